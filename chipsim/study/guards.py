"""Guard-rails: inputs that would give a silently meaningless answer, refused in one line."""

from __future__ import annotations

from ..errors import ConfigError
from .scenario import Scenario

#: Presets that price ops by their stages' sizes, named in the refusal.
PRICED_PRESETS = ("mcu-train", "accelerator-train", "m4f")


def stages_differ(scenario: Scenario) -> bool:
    """Whether the network's stages differ in activation size or multiply-adds."""
    chain = scenario.chain
    return chain.equal_width is None or len(set(chain.macs_fwd[1:].tolist())) > 1


def check_priced_by_size(scenario: Scenario) -> None:
    """Refuse a chip that prices every op by a fixed latency alone on a network whose
    stages differ: a ResNet-18 forward would cost ``fwd_ns`` per stage, whatever its size."""
    chip = scenario.chip
    if chip.uses_bandwidth or chip.buffer_slots is not None or not stages_differ(scenario):
        return  # (slots on such a network are refused later, naming buffer_bytes)
    if all(stage.fwd_ns is not None for stage in scenario.chain.stages):
        return  # a profile's measured times price the compute
    raise ConfigError(
        f"{scenario.chain.name} has stages of different sizes, but the chip prices each op "
        "by a fixed latency alone: set compute_macs_per_ns and mem_bytes_per_ns or "
        "disk_bytes_per_ns (e.g. --set compute_macs_per_ns=1000), start from a preset "
        f"that does ({', '.join(PRICED_PRESETS)}), or pass --fixed-latencies to price "
        "them so on purpose"
    )
