"""The documented upper bounds on sizes, numbers and work, checked before any work.

Each bound keeps a run finite and in memory; the README's "Limits" paragraph
lists them:

- ``MAX_LAYERS``: a network's layer count (a plan of a long chain is also
  bounded by the work limits below, which fire far sooner for most strategies).
- ``MAX_WIDTH``: widths whose bandwidth terms (3·s² multiply-adds) stay
  exact floats; a math run is bounded far lower by memory (``chipsim.model.memory``).
- ``MAX_LATENCY_NS``: 10¹⁵ ns (about 11.6 days) per op, so a plan's total,
  at most ~10¹⁴ ops times that, stays a finite float64.
- ``MAX_SEED``: seeds are 0..2⁶³−1, what numpy's ``SeedSequence`` takes and
  an int64 column of a sweep table holds.
- ``MAX_DIMENSION``: any one size a network spec gives (a batch, a
  resolution, a width multiplier's result…), so a stage table is built
  before anything overflows; ``MAX_TOTAL``: a network's summed activation
  bytes and multiply-adds stay int64 (2⁶²), exactly. Every integer chip
  field (slots, bytes, retries) is at most ``MAX_TOTAL`` too, so it fits an
  int64 column of a sweep table.
- ``MAX_DIGITS``: a strategy or network parameter written with more digits
  than this is refused as text, before Python converts it.
- ``MAX_NESTING``: brackets or tables nested deeper than this in an input
  file are refused before a parser recurses into them.
- ``MAX_INPUT_BYTES``: a scenario, stage table or trace file read as input;
  only regular files are read (not ``/dev/zero``, not a FIFO).
- ``MAX_STAGES``: rows of a stage table (real profiles have hundreds).
- ``MAX_TABLE_BYTES``: a trace or sweep table ``chipsim plot`` reads.

Work, estimated from a plan's closed form before it is built (``chipsim.planners.work``):

- ``MAX_PLAN_OPS``: ops of one plan; ``MAX_WORK_SECONDS`` and ``MAX_WORK_BYTES``:
  the estimated time and peak memory of one command's run, from the per-op
  costs below (measured on a 2-core machine, ``benchmarks/refusals.py``).
- ``MAX_REPLICATIONS``: seeded draws of a run's timing; a p99 is stable far
  sooner, and each replication re-times every op of the plan.
- ``MAX_FIGURE_OPS``: ops of a trace drawn as a figure (one bar each):
  ``report``'s traced run and ``plot``'s trace.
- ``MAX_PARETO_VALUES``: budgets or weights ``pareto`` sweeps (each budget is
  planned by ``optimal`` once per weight and objective).
- ``DEFAULT_PLAN_TIMEOUT_S``: how long a third-party strategy may plan
  (``--plan-timeout``, at most ``MAX_PLAN_TIMEOUT_S``, a day).
"""

from __future__ import annotations

MAX_LAYERS = 10**7
MAX_WIDTH = 10**12
MAX_LATENCY_NS = 10**15
MAX_SEED = 2**63 - 1
MAX_DIMENSION = 10**9
MAX_TOTAL = 2**62

MAX_DIGITS = 30
MAX_NESTING = 100
MAX_INPUT_BYTES = 8 * 2**20
MAX_STAGES = 100_000
MAX_TABLE_BYTES = 64 * 2**20

MAX_PLAN_OPS = 2 * 10**7
MAX_WORK_SECONDS = 120
MAX_WORK_BYTES = 2 * 2**30
MAX_REPLICATIONS = 100_000
MAX_FIGURE_OPS = 100_000
MAX_PARETO_VALUES = 100
DEFAULT_PLAN_TIMEOUT_S = 60.0
MAX_PLAN_TIMEOUT_S = 86_400.0

#: Measured cost of one op, in seconds and bytes held, by what is done with it: built
#: into a plan, simulated serially (timing only), simulated with the numpy math, or
#: simulated in overlapped mode (SimPy processes); ``retimed``: one op of a replication
#: (each replication also costs ``SECONDS_PER_REPLICATION``). benchmarks/refusals.py.
SECONDS_PER_OP = {"plan": 1e-6, "serial": 4e-6, "math": 25e-6, "overlapped": 30e-6, "retimed": 2e-7}
BYTES_PER_OP = {"plan": 40, "serial": 100, "math": 100, "overlapped": 450, "retimed": 0}
SECONDS_PER_REPLICATION = 2.5e-4
#: ``optimal`` beyond its exact planner plans about this long per layer (periodic.py).
SECONDS_PER_PERIODIC_LAYER = 3e-5


def shown(value: object) -> str:
    """A value for a one-line message: huge integers by their size, not their 400 digits."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    return repr(value)


def text_shown(text: str, width: int = 40) -> str:
    """Text for a one-line message: its repr, long text cut in the middle."""
    if len(text) <= width:
        return repr(text)
    return f"{text[: width // 2]!r}…{text[-width // 4 :]!r} ({len(text)} characters)"
