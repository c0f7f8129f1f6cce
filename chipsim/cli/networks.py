"""``networks``: the networks a --network spec can name, one's stage table, or two side by side."""

from __future__ import annotations

from collections.abc import Sequence

import click

from ..errors import ConfigError
from ..formatting import (
    BYTE_UNITS,
    COUNT_UNITS,
    TIME_UNITS,
    bytes_text,
    column_cells,
    column_unit,
    count_text,
    text_table,
)
from ..model.networks import build_network, describe_networks
from ..model.stages import Chain
from ..outputs import jsonout


@click.group(name="networks", invoke_without_command=True)
@click.pass_context
def networks_command(ctx: click.Context) -> None:
    """List the networks a --network spec can name (then `networks show SPEC [SPEC]`)."""
    if ctx.invoked_subcommand is None:
        click.echo("\n".join(describe_networks()))


@networks_command.command(name="show")
@click.argument("specs", nargs=-1, required=True, metavar="SPEC [SPEC]")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (a list for two).")
def networks_show(specs: tuple[str, ...], as_json: bool) -> None:
    """Print a network's stage table (output shape, elements, bytes, MACs, parameters),
    or, given two specs, their sizes side by side."""
    if len(specs) > 2:
        raise ConfigError(f"networks show takes one spec or two to compare, got {len(specs)}")
    chains = [build_network(spec) for spec in specs]
    if as_json:
        payload = [chain.as_dict() for chain in chains]
        click.echo(jsonout.dumps(payload[0] if len(payload) == 1 else payload, indent=2))
        return
    click.echo(side_by_side(chains) if len(chains) == 2 else stage_table(chains[0]))


def stage_table(chain: Chain) -> str:
    """The stage table, each size or count column in one unit named in its header."""
    stages = chain.as_dict()["stages"]
    columns: dict[str, list[object]] = {
        "output_shape": ["x".join(map(str, stage["output_shape"])) for stage in stages]
    }
    for key in [key for key in stages[0] if key not in ("name", "output_shape")]:
        values = [stage.get(key) for stage in stages]
        units = _units_of(key)
        unit, scale = column_unit(values, units)
        columns[_header(key, unit)] = column_cells(values, scale)
    rows = [
        (stage["name"], [cells[i] for cells in columns.values()]) for i, stage in enumerate(stages)
    ]
    math = "numpy math" if chain.has_math else "timing only"
    totals = ", ".join(f"{name} {text}" for name, text in _totals(chain))
    return "\n".join(
        [
            f"{chain.name}: L={chain.layers}, input {'x'.join(map(str, chain.input_shape))}, "
            f"{chain.dtype_bytes}-byte values, {math}",
            text_table("name", list(columns), rows),
            f"totals: {totals}",
        ]
    )


def _units_of(key: str) -> tuple[tuple[str, float], ...]:
    """A stage column's kind of quantity, from its name (``*bytes``, ``*_ns``, or a count)."""
    if key.endswith("bytes"):
        return BYTE_UNITS
    return TIME_UNITS if key.endswith("_ns") else COUNT_UNITS


def _header(key: str, unit: str) -> str:
    """``saved_bytes`` in KiB reads ``saved_KiB``; ``bytes`` alone ``size_KiB``."""
    if unit in ("", "B", "ns"):
        return key
    stem = key.removesuffix("bytes").removesuffix("_ns").rstrip("_") or "size"
    return f"{stem}_{unit}"


def _totals(chain: Chain) -> list[tuple[str, str]]:
    """What a network adds up to, for people: the rows of ``side_by_side`` too."""
    totals = chain.totals()
    sizes = chain.activation_bytes[1:]
    return [
        ("stages", str(chain.layers)),
        ("input", "x".join(map(str, chain.input_shape))),
        ("macs_fwd", count_text(totals["macs_fwd"])),
        ("macs_bwd", count_text(int(chain.macs_bwd.sum()))),
        ("params", count_text(totals["params"])),
        ("activation_elements", count_text(totals["activation_elements"])),
        ("activation_bytes", bytes_text(totals["activation_bytes"])),
        ("largest_activation", bytes_text(int(sizes.max()))),
        ("working_memory", bytes_text(chain.working_bytes)),
    ]


def side_by_side(chains: Sequence[Chain]) -> str:
    """Two networks' totals, one column each."""
    first, second = (_totals(chain) for chain in chains)
    rows = [(name, [a, b]) for (name, a), (_, b) in zip(first, second, strict=True)]
    return text_table("", [chain.name for chain in chains], rows, name_line=False)
