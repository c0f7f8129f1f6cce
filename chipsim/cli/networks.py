"""``networks``: the networks a --network spec can name, and one's stage table."""

from __future__ import annotations

import click

from ..model.networks import build_network, describe_networks
from ..outputs import jsonout
from .text import strip_lines


@click.group(name="networks", invoke_without_command=True)
@click.pass_context
def networks_command(ctx: click.Context) -> None:
    """List the networks a --network spec can name (then `networks show SPEC`)."""
    if ctx.invoked_subcommand is None:
        click.echo("\n".join(describe_networks()))


@networks_command.command(name="show")
@click.argument("spec")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def networks_show(spec: str, as_json: bool) -> None:
    """Print a network's stage table: output shape, elements, bytes, MACs, parameters."""
    chain = build_network(spec)
    if as_json:
        click.echo(jsonout.dumps(chain.as_dict(), indent=2))
        return
    rows = [
        {**stage, "output_shape": "x".join(map(str, stage["output_shape"]))}
        for stage in chain.as_dict()["stages"]
    ]
    import pandas as pd  # tables only: --json and the other commands start without it

    frame = pd.DataFrame(rows).set_index("name")
    totals = ", ".join(f"{key} {value:,}" for key, value in chain.totals().items())
    math = "numpy math" if chain.has_math else "timing only"
    click.echo(
        f"{chain.name}: L={chain.layers}, input {'x'.join(map(str, chain.input_shape))}, "
        f"{chain.dtype_bytes}-byte values, {math}"
    )
    click.echo(strip_lines(frame.to_string()))
    click.echo(f"totals: {totals}")
