"""The simulated chip a plan runs on (``Chip``): a SimPy environment, its ports
and its storage places, sized by a ``ChipConfig``.

The parameters are chipsim.model.chip's; this is the mechanism the engine and the
overlapped timing run on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import simpy

from ..errors import ConfigError
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
    """Slots where the chip counts slots (the course's unit), else bytes of ``chain``."""
    if config.buffer_slots is not None:
        if chain is not None:
            config.buffer_capacity_bytes(chain)  # refuses slots on a network whose sizes differ
        return ActivationBuffer(config.buffer_slots)
    if chain is None:
        raise ConfigError("a chip sized in buffer_bytes needs the network's activation sizes")
    return ActivationBuffer(config.buffer_capacity_bytes(chain), chain.activation_bytes.tolist())
