"""``python -m chipsim`` runs the CLI."""

from .cli import main

main(prog_name="chipsim")
