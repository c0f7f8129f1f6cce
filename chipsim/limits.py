"""The documented upper bounds on sizes and numbers, checked before any work.

Each bound keeps a run finite and in memory; the README's "Limits" paragraph
lists them:

- ``MAX_LAYERS``: a plan is held in memory, about ten bytes an op and at
  least 2·L ops, so 10⁷ layers is a few hundred MB at most for the linear
  strategies (beyond that nothing finishes in reasonable time anyway).
- ``MAX_WIDTH``: widths whose bandwidth terms (3·s² multiply-adds) stay
  exact floats; a math run is bounded far lower by memory (``chipsim.model.memory``).
- ``MAX_LATENCY_NS``: 10¹⁵ ns (about 11.6 days) per op, so a plan's total,
  at most ~10¹⁴ ops times that, stays a finite float64.
- ``MAX_SEED``: seeds are 0..2⁶³−1, what numpy's ``SeedSequence`` takes and
  an int64 column of a sweep table holds.
- ``MAX_DIMENSION``: any one size a network spec gives (a batch, a
  resolution, a width multiplier's result…), so a stage table is built
  before anything overflows; ``MAX_TOTAL``: a network's summed activation
  bytes and multiply-adds stay int64 (2⁶²), exactly.
"""

from __future__ import annotations

MAX_LAYERS = 10**7
MAX_WIDTH = 10**12
MAX_LATENCY_NS = 10**15
MAX_SEED = 2**63 - 1
MAX_DIMENSION = 10**9
MAX_TOTAL = 2**62


def shown(value: object) -> str:
    """A value for a one-line message: huge integers by their size, not their 400 digits."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    return repr(value)
