"""A preset's comment that cites a README section names one that exists (its title, or
the title's start before a colon: "Training a real network" stays right as presets are
added to that heading)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRESETS = ROOT / "chipsim" / "scenarios"
HEADINGS = {
    line.lstrip("#").strip()
    for readme in (ROOT / "README.md", PRESETS / "README.md")
    for line in readme.read_text(encoding="utf-8").splitlines()
    if line.startswith("#")
}

SHORT = {heading.split(":")[0] for heading in HEADINGS}


def _citations(path: Path) -> list[str]:
    comments = " ".join(
        line.lstrip("# ").strip() for line in path.read_text().splitlines() if line.startswith("#")
    )
    return re.findall(r'README\.md, "([^"]+)"', comments)


@pytest.mark.parametrize("preset", sorted(PRESETS.glob("*.toml")), ids=lambda path: path.name)
def test_every_cited_section_exists(preset: Path) -> None:
    missing = [title for title in _citations(preset) if title not in HEADINGS | SHORT]
    assert not missing, f"{preset.name} cites README sections that do not exist: {missing}"


def test_the_train_presets_cite_a_section() -> None:
    assert _citations(PRESETS / "mcu-train.toml") and _citations(PRESETS / "accelerator-train.toml")
