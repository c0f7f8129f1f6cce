"""The simulated chip a plan runs on (``Chip``): a SimPy environment, its ports
and its storage places, sized by a ``ChipConfig``.

The parameters are chipsim.model.chip's; this is the mechanism the engine and the
overlapped timing run on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import simpy

from ..model.budget import Budget
from ..model.ops import PORTS
from .storage import ActivationBuffer, Disk, Inputs, Registers

if TYPE_CHECKING:
    from ..model.chip import ChipConfig
    from ..model.stages import Chain


class Chip:
    """One simulated chip: a SimPy environment, its ports and its storage places.

    The buffer counts slots when the chip gives ``buffer_slots`` (an
    equal-width network), else the bytes of ``chain``'s activations.

    Ports (``compute``, ``buffer``, ``disk``) are separate capacity-1 SimPy
    resources, so an overlapped timing mode can run them concurrently; the
    serial mode simply never asks for two at once. Storage places hold the
    real numpy arrays and enforce SPEC.md's capacity and presence rules.
    """

    def __init__(
        self,
        config: ChipConfig,
        chain: Chain | None = None,
        *,
        env: simpy.Environment | None = None,
    ) -> None:
        self.config = config
        self.env = env if env is not None else simpy.Environment()
        self.ports = {name: simpy.Resource(self.env, capacity=1) for name in PORTS}
        self.inputs = Inputs()
        self.buffer = _buffer(config, chain)
        self.disk = Disk()
        self.registers = Registers(staging_slots=config.staging_slots)


def _buffer(config: ChipConfig, chain: Chain | None) -> ActivationBuffer:
    """The chip's one byte budget (``ChipConfig.budget``) over ``chain``'s activations;
    without a chain, a slot-counting chip's activations are one unit each. In one
    memory the buffer may use all of it: ``Plan.check_fits`` has checked, before the
    run, every op's bytes of every role against ``memory_bytes``."""
    sizes = None if chain is None else chain.activation_bytes.tolist()
    if config.memory_bytes is not None and chain is not None:  # checkpoints share the memory,
        return ActivationBuffer(Budget(config.memory_bytes, "memory_bytes"), sizes)  # all checked
    return ActivationBuffer(config.budget(chain), sizes)
