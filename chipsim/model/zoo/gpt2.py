"""A GPT-2-style decoder as a stage table.

Radford, Wu, Child, Luan, Amodei, Sutskever, "Language Models are
Unsupervised Multitask Learners", OpenAI 2019 (GPT-2; the layer definitions
are GPT-1's, Radford et al. 2018, with LayerNorm moved to each block's input
and a final LayerNorm added). Stages: the embedding (token + learned
position), one stage per transformer block (LN, multi-head causal
self-attention, residual add, LN, MLP with 4·d_model hidden units and GELU,
residual add), and the final LN + LM head, whose weight is tied to the token
embedding (so it adds no parameters), as in GPT-2.

Multiply-adds per block and sample: the projections, 12·seq·d² (QKV 3d², the
output d², the MLP 8d²), and the attention scores, 2·seq²·d (QKᵀ and the
weighted sum of V, each seq²·d/heads per head). The causal mask is not used
to skip work: dense attention computes every score. Softmax, GELU, scaling,
LayerNorm and adds count 0. The embedding is a lookup: 0 multiply-adds.
The input a0 is the (batch, seq) token ids, weighed at dtype_bytes each.

Attention is computed as GPT-2's reference code does (the "math" path: QKᵀ,
scale, causal mask, softmax, dropout, ×V), not by a fused kernel, so a
recording forward keeps every head's probabilities. ``dropout`` is GPT-2's
embd/attn/resid_pdrop (0.1); 0 removes the dropout layers and their masks.
GELU keeps its input whether exact or tanh-approximated (GPT-2's), when it is
one kernel (``F.gelu``); written out in Python ops it would keep more.
"""

from __future__ import annotations

from types import SimpleNamespace

from ...errors import ConfigError
from ...limits import MAX_LAYERS
from ..stages import Chain, Stage
from . import saves
from .checks import check_common, check_probability, check_whole
from .layers import Work
from .params import BATCH, DTYPE_BYTES, SAVES, Param, builder
from .saves import Act, Keep, Sizes, convention

_MLP_RATIO = 4


@builder(
    Param("blocks", int, 12),
    Param("seq", int, 1024),
    Param("d_model", int, 768),
    Param("heads", int, 12),
    Param("vocab", int, 50257),
    BATCH,
    DTYPE_BYTES,
    Param("dropout", float, 0.1),
    SAVES,
)
def gpt2(p: SimpleNamespace) -> Chain:
    """GPT-2 (defaults: GPT-2 small, 124,439,808 parameters): blocks + 2 stages."""
    name, seq, d_model, vocab, dropout = "gpt2", p.seq, p.d_model, p.vocab, p.dropout
    _check(name, p.blocks, seq, d_model, p.heads, vocab, p.batch, p.dtype_bytes)
    check_probability(name, "dropout", dropout)
    sizes = Sizes(p.batch, p.dtype_bytes, convention(name, p.saves))
    stages, x = [_embedding(sizes, seq, d_model, vocab, dropout)], Act((seq, d_model))
    for index in range(1, p.blocks + 1):
        work = Work(x, sizes)
        out = _block(work, x, p.heads, dropout)
        stages.append(work.stage(f"block{index}", out))
        x = out
    head = Work(x, sizes)
    logits = head.linear(head.layernorm(x), vocab, bias=False, tied=True)
    stages.append(head.stage("ln_f+lm_head", logits))
    return Chain(name, (p.batch, seq), stages, dtype_bytes=p.dtype_bytes)


def _embedding(sizes: Sizes, seq: int, d_model: int, vocab: int, dropout: float) -> Stage:
    """Token and learned position embeddings, added, then dropout."""
    ids = Act((seq,))
    work = Work(ids, sizes)
    tokens = work.lookup(ids, Act((seq, d_model)), Keep((ids,)), vocab * d_model)
    keep = saves.embedding_keeps(sizes, seq)
    where = work.lookup(None, Act((seq, d_model)), keep, seq * d_model)
    return work.stage("embedding", work.dropout(work.add(tokens, where), dropout))


def _block(work: Work, x: Act, heads: int, dropout: float) -> Act:
    """x + attention(LN(x)), then that + MLP(LN(that))."""
    x = work.add(x, _attention(work, work.layernorm(x), heads, dropout))
    hidden = work.linear(work.layernorm(x), _MLP_RATIO * x.shape[-1])
    hidden = work.elementwise(hidden, saves.gelu_keeps(hidden))
    return work.add(x, work.dropout(work.linear(hidden, x.shape[-1]), dropout))


def _attention(work: Work, x: Act, heads: int, dropout: float) -> Act:
    """QKV projection, QKᵀ, scale, causal mask, softmax, dropout, ×V, output projection.

    Q, K and V are views of the projection's output, so both products keep
    that one storage (at batch > 1, copies of the same total size)."""
    seq, d_model = x.shape
    query, key, value = work.split(work.linear(x, 3 * d_model), 3)
    scores = work.matmul((query, key), Act((heads, seq, seq)), seq * seq * d_model)
    scaled = work.elementwise(scores, saves.scale_keeps())
    masked = work.elementwise(scaled, saves.scale_keeps())  # the mask is a resident buffer
    probs = work.dropout(work.softmax(masked), dropout)
    mixed = work.matmul((probs, value), Act((seq, d_model)), seq * seq * d_model)
    merged = work.elementwise(mixed, Keep())  # the heads side by side: a copy
    return work.dropout(work.linear(merged, d_model), dropout)


def _check(name, blocks, seq, d_model, heads, vocab, batch, dtype_bytes) -> None:
    check_whole(name, "blocks", blocks, 1, high=MAX_LAYERS - 2)  # + embedding and head
    for field, value in (("seq", seq), ("d_model", d_model)):
        check_whole(name, field, value, 1)
    check_whole(name, "heads", heads, 1)
    if d_model % heads:
        raise ConfigError(
            f"network {name}: heads must divide d_model={d_model}, got {heads} "
            f"(valid: a divisor of {d_model})"
        )
    check_whole(name, "vocab", vocab, 1)
    check_common(name, batch, dtype_bytes)
