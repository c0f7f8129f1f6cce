"""A chip's one memory in words (``memory_bytes``): the peak ``run`` prints, and the plan
listing ``plan`` prints, both from ``chipsim.sim.plan_memory`` (the figures of the JSON
``memory`` object)."""

from __future__ import annotations

from ..formatting import BYTE_UNITS, bytes_of, column_cells, column_unit
from ..model.chip import ChipConfig
from ..model.stages import Chain
from ..sim.plan import PHASES, Plan
from ..sim.plan_memory import MemoryAtPeak, peak_of, role_bytes, use_of

#: How the roles read, in groups: what the plan keeps, the op in flight, what is resident.
ROLE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("kept", ("checkpoints", "recorded")),
    ("op in flight", ("activations", "gradients", "workspace")),
    ("resident", ("weights", "weight_gradients", "optimizer_state")),
)


def peak_text(peak: MemoryAtPeak) -> str:
    """Two lines: the peak against ``memory_bytes`` and where it falls, then every role's
    bytes then, grouped (``run`` prints them; the same figures as ``--json``'s ``memory``)."""
    share = f"{100 * peak.peak_bytes / peak.memory_bytes:.1f} %" if peak.memory_bytes else "-"
    return (
        f"memory at its peak: {bytes_of(peak.peak_bytes)} of {bytes_of(peak.memory_bytes)} "
        f"({share}), during `{peak.peak_op}` ({peak.peak_at})\n  {roles_text(peak)}"
    )


def roles_text(peak: MemoryAtPeak) -> str:
    """Each role's bytes at the peak, zeros included, by group: "kept: checkpoints 0 B, …"."""
    groups, named = [], set()
    for group, roles in ROLE_GROUPS:
        present = [role for role in roles if role in peak.by_role]
        named.update(present)
        groups.append((group, present))
    others = [role for role in peak.by_role if role not in named]  # a role the model adds
    groups.append(("other", others))
    return "; ".join(f"{group}: {_bytes_of_roles(peak, roles)}" for group, roles in groups if roles)


def _bytes_of_roles(peak: MemoryAtPeak, roles: list[str]) -> str:
    return ", ".join(role_bytes(role, peak.by_role[role]) for role in roles)


def plan_listing(plan: Plan, chip: ChipConfig, chain: Chain) -> str:
    """``plan``'s text on a chip with one memory: what the memory needs at its peak, the
    notes, then op by op the memory in use during it and, of that, the checkpoints."""
    use = use_of(plan, chip, chain)
    peak = peak_of(use, plan, chip.memory_bytes)
    unit, scale = column_unit([peak.peak_bytes], BYTE_UNITS)
    unit = "bytes" if unit == "B" else unit
    totals = column_cells(use.total.tolist(), scale)
    kept = column_cells(use.by_role["checkpoints"].tolist(), scale)
    lines = [
        f"plan {plan.strategy} for L={plan.layers}: needs {bytes_of(peak.peak_bytes)} of the "
        f"{bytes_of(peak.memory_bytes)} memory at its peak, during `{peak.peak_op}` "
        f"({peak.peak_at})",
        *(f"note: {note}" for note in plan.notes),
    ]
    ops = [str(op) for _, op in plan.ops()]
    pad = max(map(len, ops), default=0) + 2
    width = max(map(len, totals), default=0)
    rows = zip(ops, totals, kept, strict=True)
    cells = [f"  {op:<{pad}}{total:>{width}}  {held}" for op, total, held in rows]
    if cells:
        cells[use.peak_index] += "  <- peak"
    for name in PHASES:
        where = plan.phase_slice(name)
        lines.append(
            f"{name} ({len(cells[where])} ops; memory {unit} during each, of it checkpoints):"
        )
        lines.extend(cells[where])
    return "\n".join(lines)
