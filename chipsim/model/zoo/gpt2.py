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
"""

from __future__ import annotations

from ...errors import ConfigError
from ...limits import MAX_LAYERS
from ..stages import Chain
from .layers import Work, check_common, check_whole

_MLP_RATIO = 4


def gpt2(
    *,
    blocks: int = 12,
    seq: int = 1024,
    d_model: int = 768,
    heads: int = 12,
    vocab: int = 50257,
    batch: int = 1,
    dtype_bytes: int = 4,
) -> Chain:
    """GPT-2 (defaults: GPT-2 small, 124,439,808 parameters): blocks + 2 stages."""
    name = "gpt2"
    _check(name, blocks, seq, d_model, heads, vocab, batch, dtype_bytes)
    tokens = (seq, d_model)
    embedding = Work()
    embedding.params += vocab * d_model + seq * d_model
    stages = [embedding.stage("embedding", tokens, batch)]
    for index in range(1, blocks + 1):
        stages.append(_block(seq, d_model).stage(f"block{index}", tokens, batch))
    head = Work()
    head.norm(d_model)
    head.macs += seq * d_model * vocab  # its weight is the token embedding's: no parameters
    stages.append(head.stage("ln_f+lm_head", (seq, vocab), batch))
    return Chain(name, (batch, seq), stages, dtype_bytes=dtype_bytes)


def _block(seq: int, d_model: int) -> Work:
    """LN, attention (QKV, scores, weighted V, output projection), LN, MLP."""
    work = Work()
    work.norm(d_model)
    work.linear(d_model, 3 * d_model, rows=seq)
    work.macs += 2 * seq * seq * d_model  # QKᵀ and scores × V, all heads
    work.linear(d_model, d_model, rows=seq)
    work.norm(d_model)
    hidden = work.linear(d_model, _MLP_RATIO * d_model, rows=seq)
    work.linear(hidden, d_model, rows=seq)
    return work


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
