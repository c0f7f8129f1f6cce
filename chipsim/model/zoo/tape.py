"""A stage's layers as a tape of ops: what a recording forward keeps, and the
peak of temporaries while its forward or backward runs.

Each op reads activations, writes one (in place: into its first input's
storage) and keeps what its layer's rule (``saves.py``) says. From the tape:

- ``saved_bytes``: the storages kept, each once, without the stage input's,
  plus the new buffers (statistics, masks, indices, copies).
- ``fwd_workspace_bytes``: a plain forward (nothing recorded) holds each
  activation from the op that writes it to the last op that reads it; the
  peak of those other than a(l-1) and a(l).
- ``bwd_workspace_bytes``: the backward runs the ops in reverse (autograd's
  order); each op's input gradients are new tensors (an add or a reshape
  hands its gradient on; a slice of a split writes into its base's), held
  until the op that wrote that input has run; a gradient arriving where one is
  already held is added in place, so it lives only during its op. The peak
  of those other than dL/da(l) and dL/da(l-1) (the first gradient to reach
  a(l-1) becomes it).

These are framework-level tensors; a kernel's private scratch (im2col, cuDNN
workspace) is not modelled (docs/networks.md says what PyTorch on CPU adds).
"""

from __future__ import annotations

from dataclasses import dataclass

from .saves import Act, Keep, Sizes


@dataclass(frozen=True)
class Op:
    """One layer on the tape."""

    inputs: tuple[Act, ...]
    output: Act
    keep: Keep
    inplace: bool = False
    #: Its input gradients: "new" tensors, the output's handed on ("alias": add,
    #: reshape), or written into the input's gradient ("slice": a split's view).
    gradient: str = "new"


class Tape:
    """The ops of one stage, from its input ``x``."""

    def __init__(self, x: Act, sizes: Sizes) -> None:
        self.x, self.sizes = x, sizes
        self.ops: list[Op] = []
        self._storage: dict[int, Act] = {id(x): x}  # act id → the act owning its storage

    def record(self, op: Op) -> Act:
        """Append ``op``; returns its output."""
        owner = self.storage_of(op.inputs[0]) if op.inplace else op.output
        self._storage[id(op.output)] = owner
        self.ops.append(op)
        return op.output

    def storage_of(self, act: Act) -> Act:
        return self._storage[id(act)]

    def saved_bytes(self) -> int:
        """Bytes a recording forward keeps besides the stage input."""
        storages = (self.storage_of(act) for op in self.ops for act in op.keep.acts)
        kept = {id(storage): storage for storage in storages}
        kept.pop(id(self.storage_of(self.x)), None)
        new = sum(op.keep.new_bytes for op in self.ops)
        return sum(self.sizes.bytes(act) for act in kept.values()) + new

    def fwd_workspace_bytes(self, out: Act) -> int:
        """Peak of activations alive during a plain forward, beyond a(l-1) and a(l)."""
        last_read = {id(self.storage_of(a)): i for i, op in enumerate(self.ops) for a in op.inputs}
        skip = {id(self.storage_of(self.x)), id(self.storage_of(out))}
        peak, live = 0, {}
        for index, op in enumerate(self.ops):
            owner = self.storage_of(op.output)
            if id(owner) not in skip:
                live[id(owner)] = self.sizes.bytes(owner)
            peak = max(peak, sum(live.values()))
            for key in [k for k in live if last_read.get(k, index) <= index]:
                del live[key]
        return peak

    def bwd_workspace_bytes(self, out: Act) -> int:
        """Peak of gradients alive during the backward, beyond dL/da(l) and dL/da(l-1)."""
        return _Backward(self, out).peak()


class _Backward:
    """Gradients through a tape in reverse. Acts map to gradient keys (an add's
    inputs share its output's); each key has its bytes and whether it counts."""

    def __init__(self, tape: Tape, out: Act) -> None:
        self.tape = tape
        self.held: dict[int, int] = {id(out): 0}
        self.keys: list[tuple[int, bool]] = [(tape.sizes.bytes(out), False)]

    def peak(self) -> int:
        peak = 0
        for op in reversed(self.tape.ops):
            transient = self._arrive(op)
            peak = max(peak, self._live() + transient)
            self.held.pop(id(op.output), None)
        return peak

    def _live(self) -> int:
        return sum(self.keys[key][0] for key in set(self.held.values()) if self.keys[key][1])

    def _arrive(self, op: Op) -> int:
        """Give ``op``'s inputs their gradients; returns the bytes alive only during ``op``."""
        transient = 0
        for act in op.inputs:
            if id(act) in self.held:  # a second gradient, added in place
                transient += self.tape.sizes.bytes(act) if op.gradient == "new" else 0
            elif op.gradient == "alias":
                self._alias(act, self.held[id(op.output)])
            else:
                self.held[id(act)] = len(self.keys)
                self.keys.append((self.tape.sizes.bytes(act), act is not self.tape.x))
        return transient

    def _alias(self, act: Act, key: int) -> None:
        """``act`` shares gradient ``key``; reaching a(l-1), it is dL/da(l-1)."""
        self.held[id(act)] = key
        if act is self.tape.x:
            self.keys[key] = (self.keys[key][0], False)
