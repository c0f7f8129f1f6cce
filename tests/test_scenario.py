"""Scenario files: the course file is the built-in default; errors name file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from chipsim import ChipConfig, ConfigError, Scenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "scenarios" / "course.toml"


def test_course_file_is_the_built_in_default() -> None:
    assert load_scenario(COURSE) == Scenario()
    assert Scenario().is_course


def test_missing_keys_keep_the_course_values(tmp_path: Path) -> None:
    path = tmp_path / "wide.toml"
    path.write_text("[network]\nwidth = 64\n[chip]\nloaddisk_ns = 35.5\n")
    scenario = load_scenario(path)
    assert scenario.name == "wide"
    assert scenario.width == 64
    assert scenario.layers == 10
    assert scenario.chip == ChipConfig(loaddisk_ns=35.5)


def test_overrides_replace_values_and_validate() -> None:
    scenario = Scenario().with_overrides(layers=20, chip={"buffer_slots": 4})
    assert (scenario.layers, scenario.chip.buffer_slots, scenario.width) == (20, 4, 16)
    assert not scenario.is_course
    with pytest.raises(ConfigError, match="unknown chip field 'slots'"):
        Scenario().with_overrides(chip={"slots": 4})
    with pytest.raises(ConfigError, match="network layers must be a whole number >= 1, got 0"):
        Scenario().with_overrides(layers=0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[chip]\nfwd = 20\n", "bad.toml: unknown chip field 'fwd'; valid fields are fwd_ns,"),
        ("[chip]\nfwd_ns = -3\n", "bad.toml: chip field fwd_ns must be a finite number >= 0 ns"),
        ("[chip]\nfwd_ns = '20'\n", "bad.toml: chip field fwd_ns must be a number of nanoseconds"),
        (
            "[network]\nlayers = '10'\n",
            "bad.toml: [network] layers must be a whole number, got '10'",
        ),
        (
            "[network]\ndepth = 10\n",
            "bad.toml: [network]: unknown key 'depth'; valid: layers, width, seed",
        ),
        (
            "layers = 10\n",
            "bad.toml: unknown top-level key 'layers'; valid: name, description, network, chip",
        ),
        ("chip = 3\n", "bad.toml: chip must be a table ([chip]), got 3"),
        ("name = 3\n", "bad.toml: name must be a string, got 3"),
        ("[network]\nwidth = 0\n", "bad.toml: network width must be a whole number >= 1, got 0"),
        ("[chip\n", "bad.toml: not valid TOML: "),
    ],
)
def test_bad_files_are_one_line_errors_naming_file_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_scenario(path)
    assert str(error.value).startswith(str(tmp_path / message))
    assert "\n" not in str(error.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: no such scenario file"):
        load_scenario(tmp_path / "nope.toml")
