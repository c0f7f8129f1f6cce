"""The zoo's stages as PyTorch modules, and what autograd keeps and allocates in them.

Used by ``benchmarks/saved_tensors.py`` (needs ``pip install -e .[bench]``:
torch and torchvision). Each zoo stage maps onto torchvision's modules (the
whole block where the network is not a chain); gpt2's blocks are written here
as GPT-2's reference code computes them (attention's "math" path).

Measured per stage, in training mode, at the zoo's defaults (batch 1, float32):
- ``saved``: storages ``torch.autograd.graph.saved_tensors_hooks`` sees during
  a recording forward, each once, without the stage input's and without
  parameters and buffers (resident, not activations);
- ``fwd_ws`` / ``bwd_ws``: the CPU allocator's peak of allocations made during
  a plain (no-grad) forward / the backward that some op reads (framework
  tensors, not a kernel's private scratch), beyond the input, the output, the
  saved tensors and the gradients left behind (input's and weights').
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
import torchvision
from torch import nn
from torch._C._profiler import _EventType
from torch.profiler import ProfilerActivity, profile


def _ptr(tensor: torch.Tensor) -> int:
    return tensor.untyped_storage().data_ptr()


def saved_bytes(module: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Run ``module(x)`` recording; bytes of the storages autograd saved."""
    skip = {_ptr(t) for t in (x, *module.parameters(), *module.buffers())}
    found: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        if _ptr(tensor) not in skip:
            found.setdefault(_ptr(tensor), tensor.untyped_storage().nbytes())
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        y = module(x)
    return y, sum(found.values())


def _allocations(prof: profile) -> tuple[list[tuple[int, int, int, int]], set[int]]:
    """(time, pointer, ±bytes, allocation id) in time order; ids of tensors ops read."""
    events, read = [], set()

    def walk(nodes) -> None:
        for node in nodes:
            if node.tag == _EventType.Allocation:
                f = node.extra_fields
                events.append((node.start_time_ns, f.ptr, f.alloc_size, f.allocation_id))
            elif node.tag == _EventType.TorchOp:
                read.update(i.allocation_id for i in node.extra_fields.inputs if _is_tensor(i))
            walk(node.children)

    walk(prof.profiler.kineto_results.experimental_event_tree())
    return sorted(events), read


def _is_tensor(value) -> bool:
    return getattr(value, "allocation_id", None) is not None


def peak_temporaries(run: Callable[[], object], kept: Callable[[object], set[int]]) -> int:
    """Peak bytes of tensors allocated during ``run()`` that an op reads, less those
    still alive at its end whose storage pointer is in ``kept(run's result)``."""
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True, record_shapes=True) as p:
        result = run()
    events, read = _allocations(p)
    alive: dict[int, int] = {}
    for _, ptr, size, aid in events:
        if size > 0:
            alive[aid] = ptr
        else:
            alive.pop(aid, None)
    skip = {aid for aid, ptr in alive.items() if ptr in kept(result)}
    live: dict[int, int] = {}
    peak = 0
    for _, _, size, aid in events:
        if aid in skip or aid not in read:
            continue
        if size > 0:
            live[aid] = size
        else:
            live.pop(aid, None)
        peak = max(peak, sum(live.values()))
    return peak


def measure(module: nn.Module, x: torch.Tensor) -> dict[str, object]:
    """Saved and workspace bytes of one stage on input ``x``; its output for the next."""
    module.train()
    with torch.no_grad():
        module(x)  # warm-up: lazy initialisations are no workspace
        fwd_ws = peak_temporaries(lambda: module(x), lambda y: {_ptr(x), _ptr(y)})
    y, saved = saved_bytes(module, x)
    for parameter in module.parameters():
        parameter.grad = None

    def left_behind(_: object) -> set[int]:
        grads = [p.grad for p in module.parameters()] + [x.grad]
        return {_ptr(g) for g in grads if g is not None}

    grad = torch.randn_like(y)  # dL/da(l): made before, not a temporary
    bwd_ws = peak_temporaries(lambda: y.backward(grad), left_behind)
    return {"saved": saved, "fwd_ws": fwd_ws, "bwd_ws": bwd_ws, "output": y.detach()}


class Seq(nn.Module):
    """Modules and plain functions applied in turn."""

    def __init__(self, *steps: nn.Module | Callable) -> None:
        super().__init__()
        self.mods = nn.ModuleList(s for s in steps if isinstance(s, nn.Module))
        self.steps = steps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for step in self.steps:
            x = step(x)
        return x


def _flat(x: torch.Tensor) -> torch.Tensor:
    return torch.flatten(x, 1)


def resnet(model: nn.Module) -> Iterator[tuple[str, nn.Module]]:
    yield "conv1", Seq(model.conv1, model.bn1, model.relu)
    yield "maxpool", model.maxpool
    for group, layer in enumerate((model.layer1, model.layer2, model.layer3, model.layer4), 2):
        for index, block in enumerate(layer, start=1):
            yield f"conv{group}_{index}", block
    yield "avgpool+fc", Seq(model.avgpool, _flat, model.fc)


def mobilenetv2(model: nn.Module) -> Iterator[tuple[str, nn.Module]]:
    features = iter(model.features)
    yield "stem", next(features)
    for row, repeats in enumerate((1, 2, 3, 4, 3, 3, 1), start=1):
        for index in range(1, repeats + 1):
            yield f"block{row}_{index}", next(features)
    yield "conv_last", next(features)
    pool = nn.AdaptiveAvgPool2d(1)  # torchvision's forward calls F.adaptive_avg_pool2d
    yield "avgpool+fc", Seq(pool, _flat, model.classifier)


def vgg16(model: nn.Module) -> Iterator[tuple[str, nn.Module]]:
    layers, block, index = list(model.features), 1, 1
    while layers:
        layer = layers.pop(0)
        if isinstance(layer, nn.Conv2d):
            yield f"conv{block}_{index}", Seq(layer, layers.pop(0))
            index += 1
        else:
            yield f"pool{block}", layer
            block, index = block + 1, 1
    c = model.classifier
    yield "fc6", Seq(model.avgpool, _flat, c[0], c[1], c[2])
    yield "fc7", Seq(c[3], c[4], c[5])
    yield "fc8", c[6]


class Attention(nn.Module):
    """Causal self-attention as GPT-2's code computes it: QKᵀ, scale, mask, softmax,
    dropout, ×V. The mask is a buffer (resident), as in the reference code."""

    def __init__(self, d: int, heads: int, seq: int, p: float) -> None:
        super().__init__()
        self.c_attn, self.c_proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.attn_dropout, self.resid_dropout, self.heads = nn.Dropout(p), nn.Dropout(p), heads
        future = torch.ones(seq, seq, dtype=torch.bool).triu(1).view(1, 1, seq, seq)
        self.register_buffer("future", future)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=2)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        scores = scores.masked_fill(self.future[:, :, :t, :t], float("-inf"))
        probs = self.attn_dropout(F.softmax(scores, dim=-1))
        y = (probs @ v).transpose(1, 2).contiguous().view(b, t, d)
        return self.resid_dropout(self.c_proj(y))


class Block(nn.Module):
    """Pre-LN transformer block with GELU (tanh, GPT-2's) in one kernel."""

    def __init__(self, d: int, heads: int, seq: int, p: float) -> None:
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = Attention(d, heads, seq, p)
        self.c_fc, self.c_proj, self.dropout = (
            nn.Linear(d, 4 * d),
            nn.Linear(4 * d, d),
            nn.Dropout(p),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        hidden = F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")
        return x + self.dropout(self.c_proj(hidden))


class Embedding(nn.Module):
    def __init__(self, vocab: int, seq: int, d: int, p: float) -> None:
        super().__init__()
        self.wte, self.wpe, self.drop = nn.Embedding(vocab, d), nn.Embedding(seq, d), nn.Dropout(p)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], dtype=torch.long)
        return self.drop(self.wte(ids) + self.wpe(positions))


class Head(nn.Module):
    """Final LayerNorm and the LM head, its weight the token embedding's."""

    def __init__(self, wte: nn.Embedding, d: int) -> None:
        super().__init__()
        self.ln_f, self.wte = nn.LayerNorm(d), wte

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(self.ln_f(x), self.wte.weight)


def gpt2(
    blocks: int = 12, seq: int = 1024, d: int = 768, heads: int = 12, vocab: int = 50257
) -> Iterator[tuple[str, nn.Module]]:
    """GPT-2 small's stages, dropout 0.1 (its embd/attn/resid_pdrop)."""
    p = 0.1
    embedding = Embedding(vocab, seq, d, p)
    yield "embedding", embedding
    block = Block(d, heads, seq, p)  # identical blocks: one module measures them all
    for index in range(1, blocks + 1):
        yield f"block{index}", block
    yield "ln_f+lm_head", Head(embedding.wte, d)


def _image() -> torch.Tensor:
    return torch.randn(1, 3, 224, 224)


#: Network → (its stages, its input).
NETWORKS: dict[str, tuple[Callable[[], Iterator], Callable[[], torch.Tensor]]] = {
    "resnet18": (lambda: resnet(torchvision.models.resnet18()), _image),
    "resnet50": (lambda: resnet(torchvision.models.resnet50()), _image),
    "mobilenetv2": (lambda: mobilenetv2(torchvision.models.mobilenet_v2()), _image),
    "vgg16": (lambda: vgg16(torchvision.models.vgg16()), _image),
    "gpt2": (gpt2, lambda: torch.randint(0, 50257, (1, 1024))),
}


def measure_network(name: str) -> Iterator[tuple[str, dict[str, object]]]:
    """Each stage's measurement, its input the previous stage's output."""
    stages, make_input = NETWORKS[name]
    x, done = make_input(), {}
    for stage, module in stages():
        if id(module) not in done:
            done[id(module)] = measure(module, x)
        row = done[id(module)]
        yield stage, row
        x = row["output"].requires_grad_(True)
