"""Presets by name: the scenarios that ship inside the package (``chipsim/scenarios``).

``chipsim run mcu-train`` works from any folder: a scenario argument is a path
when one exists there, else a preset's name. ``chipsim scenarios`` lists them.
The repository's ``scenarios/`` is a link to the same folder, so its paths in
tests and docs stay valid with one copy of each file.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .scenario import Scenario, load_scenario

#: Compute rates derived for one network or batch: preset → (the chain names the rate
#: holds for, by prefix, and what it was derived for). A run of another network warns.
DERIVED_RATES: dict[str, tuple[str, str]] = {
    "accelerator": ("mlp:", "an MLP at batch 1 (a weight-read-bound matrix-vector product)"),
    "accelerator-train": (
        "resnet50:batch=2048",
        "ResNet-50 at batch 2048 (the tensor cores' bf16 peak)",
    ),
    "gpt2-train": ("gpt2:", "GPT-2's large matrix products (the tensor cores' bf16 peak)"),
}


def preset_folder() -> Path:
    """Where the presets are installed: ``chipsim/scenarios``."""
    return Path(str(files("chipsim") / "scenarios"))


def preset_names() -> list[str]:
    """Every preset's name (its file's stem), sorted."""
    return sorted(path.stem for path in preset_folder().glob("*.toml"))


def preset_data(name: str) -> dict[str, Any]:
    """A preset's TOML as data, without building the scenario."""
    return tomllib.loads((preset_folder() / f"{name}.toml").read_text(encoding="utf-8"))


def preset_descriptions() -> dict[str, str]:
    """Each preset's one-line description, by name."""
    return {name: str(preset_data(name).get("description", "")) for name in preset_names()}


def find_scenario(text: str | os.PathLike[str]) -> Scenario:
    """A scenario file where ``text`` names one, else the preset of that name.

    A bare word that is neither is refused in one line listing the presets,
    with the closest as "did you mean"; a missing path keeps the file's error.
    """
    path = Path(text)
    if path.exists() or _looks_like_path(str(text)):
        return load_scenario(path)
    names = preset_names()
    if str(text) in names:
        return load_scenario(preset_folder() / f"{text}.toml")
    raise ConfigError(unknown_preset(str(text), names))


def unknown_preset(text: str, names: list[str]) -> str:
    """One line: not a file nor a preset, the closest name, and every name."""
    close = difflib.get_close_matches(text, names, n=1)
    guess = f" (did you mean {close[0]!r}?)" if close else ""
    return (
        f"no scenario file or preset named {text!r}{guess}; presets: {', '.join(names)} "
        "(`chipsim scenarios` describes them)"
    )


def _looks_like_path(text: str) -> bool:
    return text.endswith(".toml") or os.sep in text or "/" in text


def rate_warning(scenario: Scenario) -> str | None:
    """One line when a preset's compute rate, derived for one network, prices another."""
    derived = DERIVED_RATES.get(scenario.name)
    if derived is None or scenario.chain.name.startswith(derived[0]):
        return None
    rate = scenario.chip.compute_macs_per_ns
    if rate != preset_data(scenario.name)["chip"].get("compute_macs_per_ns"):
        return None  # a rate the user set: theirs to answer for
    return (
        f"{scenario.name}'s compute_macs_per_ns = {rate:g} was derived for {derived[1]}; "
        f"{scenario.chain.name} may run at another rate (--set compute_macs_per_ns=...)"
    )
