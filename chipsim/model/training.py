"""What a training step trains and keeps beside activations: ``Training``.

Which stages train: ``train = "all" | "last:N" | "from:STAGE" | names``.

MCUNetV3's sparse update (Lin et al., "On-Device Training Under 256KB Memory",
NeurIPS 2022) at stage granularity, and what fine-tuning on a device does: only
trained stages need weight gradients and optimizer state; frozen stages below
the lowest trained one need no backward at all (plans end their backward phase
at its ``bwd``, ``Plan.up_to``); frozen stages above it pass the input gradient
down without a weight gradient (half a conv or linear layer's gradient work,
``chipsim.model.costs``). A stage table's ``trainable = false`` freezes a stage
whatever ``train`` says.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from .chip_fields import OPTIMIZER_STATES
from .stages import Chain


@dataclass(frozen=True)
class Training:
    """The chip's fields of these names: weights' dtype and place, optimizer, update
    rule and the stages trained."""

    weight_dtype_bytes: int | None = None
    optimizer: str = "sgd"
    update: str = "per_step"
    train: str | tuple[str, ...] = "all"
    weights_in: str = "memory"

    def weight_bytes(self, chain: Chain) -> np.ndarray:
        """Each stage's weights in bytes, l = 0..L (0 at index 0)."""
        return chain.stage_column("params") * (self.weight_dtype_bytes or chain.dtype_bytes)

    def trained(self, chain: Chain) -> np.ndarray:
        """Per stage l = 0..L: whether its weights train."""
        return trained_stages(chain, self.train)

    def lowest_trained(self, chain: Chain) -> int:
        """The lowest trained stage: backprop ends at its ``bwd``."""
        return int(np.argmax(self.trained(chain)))

    def trained_weight_bytes(self, chain: Chain) -> np.ndarray:
        """Each trained stage's weights in bytes (0 for frozen stages)."""
        return np.where(self.trained(chain), self.weight_bytes(chain), 0)

    def weights_in_memory_bytes(self, chain: Chain) -> int:
        """Weights the memory holds: trained ones always, frozen ones unless in flash."""
        held = self.trained_weight_bytes if self.weights_in == "flash" else self.weight_bytes
        return int(held(chain).sum())

    def resident_bytes(self, chain: Chain) -> int:
        """Weights in memory and optimizer state: held for the whole step."""
        states = OPTIMIZER_STATES[self.optimizer] * int(self.trained_weight_bytes(chain).sum())
        return self.weights_in_memory_bytes(chain) + states

    def gradient_bytes(self, chain: Chain) -> int:
        """The most weight-gradient bytes held at once, in any plan."""
        weights = self.trained_weight_bytes(chain)
        return int(weights.sum() if self.update == "per_step" else weights.max())


#: Stage names a message shows from each end of a long list.
FEW_SHOWN = 4

#: What ``train`` may say, for messages.
TRAIN_FORMS = '"all", "last:N", "from:STAGE" or stage names ("conv1,fc", or a TOML list)'


def check_train(value: object) -> str | tuple[str, ...]:
    """The ``train`` field as a string or a tuple of names; a ConfigError otherwise."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"chip field train must be {TRAIN_FORMS}, got {value!r}")


def trained_stages(chain: Chain, train: str | tuple[str, ...]) -> np.ndarray:
    """Per stage l = 0..L: whether its weights train (index 0, the input, never does)."""
    trainable = chain.stage_column("trainable").astype(bool)
    mask = trainable.copy()
    mask[1:] &= _selected(chain, train)
    if not mask.any():
        raise ConfigError(
            f"train={_shown(train)} trains no stage of {chain.name}: {_frozen(chain, train)}"
        )
    return mask


def _frozen(chain: Chain, train: str | tuple[str, ...]) -> str:
    """Why the stages ``train`` selects train nothing: their stage table freezes them."""
    names = np.array([stage.name for stage in chain.stages])
    picked = list(names[_selected(chain, train)])
    able = list(names[chain.stage_column("trainable")[1:].astype(bool)])
    verb = "is" if len(picked) == 1 else "are"
    return (
        f"{_few(picked)} {verb} not trainable (trainable = false in its stage table); "
        f"trainable stages: {_few(able) if able else 'none'}"
    )


def _selected(chain: Chain, train: str | tuple[str, ...]) -> np.ndarray:
    layers = chain.layers
    if train == "all":
        return np.ones(layers, dtype=bool)
    if isinstance(train, str) and train.startswith("last:"):
        count = _whole(train.removeprefix("last:"), layers)
        return np.arange(1, layers + 1) > layers - count
    if isinstance(train, str) and train.startswith("from:"):
        return np.arange(1, layers + 1) >= _index(chain, train.removeprefix("from:"))
    names = train.split(",") if isinstance(train, str) else train
    return np.isin(np.arange(1, layers + 1), [_named(chain, name.strip()) for name in names])


def _named(chain: Chain, name: str) -> int:
    """A stage named in a list; a name with a colon that no stage has is a form mistyped
    (``first:3``), answered with the forms ``train`` takes."""
    if ":" in name and name not in {stage.name for stage in chain.stages}:
        form = name.split(":", 1)[0] + ":"
        raise ConfigError(
            f"train={name}: {form!r} is not a form train takes, nor a stage; valid: {TRAIN_FORMS}"
        )
    return _index(chain, name)


def _whole(text: str, layers: int) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= layers:
        raise ConfigError(f"train=last:N takes N from 1 to {layers} (the stages), got {text!r}")
    return int(text)


def _index(chain: Chain, name: str) -> int:
    """Stage ``name``'s number l (1..L); a ConfigError naming the closest names."""
    names = [stage.name for stage in chain.stages]
    if name in names:
        return names.index(name) + 1
    close = difflib.get_close_matches(name, names, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; its stages are {_few(names)}"
    raise ConfigError(f"train names stage {name!r}, which {chain.name} does not have{hint}")


def _few(names: list[str]) -> str:
    """The names, or the first and last few of a long list (``last:N`` and ``from:`` users
    need the last ones) and how many there are."""
    if len(names) <= 2 * FEW_SHOWN + 1:
        return ", ".join(names)
    return (
        f"{', '.join(names[:FEW_SHOWN])}, …, {', '.join(names[-FEW_SHOWN:])} ({len(names)} stages)"
    )


def _shown(train: str | tuple[str, ...]) -> str:
    return train if isinstance(train, str) else ",".join(train)
