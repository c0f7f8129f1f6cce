"""ChipConfig validation and the SimPy chip's separate ports."""

from __future__ import annotations

import math

import pytest

from chipsim import Chip, ChipConfig, ConfigError


def test_defaults_are_the_course_chip() -> None:
    chip = ChipConfig()
    assert (chip.fwd_ns, chip.loadmem_ns, chip.buffer_slots) == (20, 10, 2)
    assert (chip.bwd_ns, chip.storemem_ns, chip.storedisk_ns) == (0, 0, 0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"fwd_ns": -1}, "chip field fwd_ns must be a finite number >= 0 ns, got -1"),
        ({"loaddisk_ns": math.inf}, "chip field loaddisk_ns must be a finite number >= 0 ns"),
        ({"loaddisk_ns": math.nan}, "chip field loaddisk_ns must be a finite number >= 0 ns"),
        ({"bwd_ns": "5"}, "chip field bwd_ns must be a number of nanoseconds, got '5'"),
        ({"bwd_ns": True}, "chip field bwd_ns must be a number of nanoseconds, got True"),
        ({"buffer_slots": 0}, "chip field buffer_slots must be a whole number >= 1, got 0"),
        ({"buffer_slots": 2.0}, "chip field buffer_slots must be a whole number >= 1, got 2.0"),
        (
            {"fwd": 3},
            "unknown chip field 'fwd'; valid fields are fwd_ns, bwd_ns, loadmem_ns, "
            "storemem_ns, loaddisk_ns, storedisk_ns, buffer_slots",
        ),
    ],
)
def test_invalid_fields_are_named_with_what_is_valid(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        ChipConfig().replace(changes)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"buffer_slots": 4, "buffer_bytes": 64},
            "chip fields buffer_slots (4) and buffer_bytes (64) both size the buffer; "
            "give one of them",
        ),
        ({"buffer_bytes": -1}, "chip field buffer_bytes must be a whole number >= 0, got -1"),
        ({"mode": "fast"}, "chip field mode must be one of serial, overlapped, got 'fast'"),
        ({"staging_slots": -1}, "chip field staging_slots must be a whole number >= 0, got -1"),
        ({"disk_fault_rate": 1}, "chip field disk_fault_rate must be >= 0 and < 1, got 1"),
        ({"disk_fault_rate": "x"}, "chip field disk_fault_rate must be a probability, got 'x'"),
        ({"max_retries": 1001}, "chip field max_retries must be at most 1000, got 1001"),
        ({"dtype_bytes": 0}, "chip field dtype_bytes must be a whole number >= 1, got 0"),
        ({"mem_bytes_per_ns": 0}, "chip field mem_bytes_per_ns must be > 0, got 0"),
        (
            {"disk_bytes_per_ns": math.inf},
            "chip field disk_bytes_per_ns must be a number > 0 (omit it for fixed latencies), "
            "got inf",
        ),
        ({"static_mw": -2.5}, "chip field static_mw must be >= 0, got -2.5"),
        (
            {"loadmem_nj": math.nan},
            "chip field loadmem_nj must be a finite number >= 0 (omit it for no energy), got nan",
        ),
        (
            {"fwd_ns": 2e15},
            "chip field fwd_ns must be at most 1e+15 ns (chipsim.limits), got 2000000000000000.0",
        ),
    ],
)
def test_every_field_check_says_what_is_wrong_and_what_is_valid(fields: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        ChipConfig(**fields)
    assert str(error.value) == message


def test_float_latencies_are_allowed_and_ints_stay_ints() -> None:
    chip = ChipConfig().replace({"loaddisk_ns": 12.5, "fwd_ns": 7})
    assert chip.loaddisk_ns == 12.5
    assert isinstance(chip.fwd_ns, int)


def test_op_latencies_come_from_the_config_and_free_costs_nothing() -> None:
    chip = ChipConfig(storedisk_ns=3, storemem_ns=4)
    assert chip.op_latency_ns("storedisk") == 3
    assert chip.op_latency_ns("storemem") == 4
    assert chip.op_latency_ns("free") == 0


def test_the_chip_has_separate_ports_and_storage_places() -> None:
    chip = Chip(ChipConfig(buffer_slots=5))
    assert set(chip.ports) == {"compute", "buffer", "disk"}
    assert len({id(port) for port in chip.ports.values()}) == 3
    assert all(port.capacity == 1 for port in chip.ports.values())
    assert chip.buffer.slots == 5
    assert len(chip.buffer) == 0
