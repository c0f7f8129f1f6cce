"""``scenarios``: the presets a scenario argument can name, with their descriptions."""

from __future__ import annotations

import click

from ..study.presets import preset_descriptions


@click.command(name="scenarios")
def scenarios_command() -> None:
    """List the presets (`chipsim run NAME` runs one from any folder) with their descriptions."""
    described = preset_descriptions()
    width = max(len(name) for name in described)
    for name, description in described.items():
        click.echo(f"{name:<{width}}  {description}")
