"""Network specs: ``mlp:widths=784,512,10``, ``resnet18:batch=8`` or a stage-table file → a Chain.

Every network is chosen by a spec (``chipsim.model.specs``) naming a builder in
``NETWORKS`` and its parameters, or by the path of a stage table the user
wrote (``.csv`` or ``.toml``, ``chipsim.model.stage_file``). Building a spec is
cheap: it makes the stage table only. Networks with numpy math (``mlp``,
``resmlp``) build their weights when a run asks for them (``Chain.model``);
the zoo is timing only.

``dtype_bytes`` (bytes per element) is a parameter of every network; where a
spec leaves it out, the chip's ``dtype_bytes`` is used (and named in the
chain's name when it is not 4). The network's value is the one that counts.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from ..errors import ConfigError
from . import specs
from .network import MLP, Network, ResMLP, check_widths, dense_stage, dense_stages
from .stages import Chain

#: The course network's size, when nothing else is said.
COURSE_LAYERS, COURSE_WIDTH = 10, 16

#: Suffixes of stage-table files a spec may name instead of a builder.
STAGE_FILE_SUFFIXES: tuple[str, ...] = (".csv", ".toml")


def mlp(
    *,
    widths: tuple[int, ...] | None = None,
    layers: int | None = None,
    width: int | None = None,
    dtype_bytes: int = 4,
) -> Chain:
    """Dense tanh layers: ``widths`` (a0's first), or ``layers`` of one ``width`` (the course's)."""
    if widths is not None and (layers is not None or width is not None):
        raise ConfigError("network mlp takes widths=W0,W1,... or layers=L,width=S, not both")
    if widths is None:
        layers = COURSE_LAYERS if layers is None else layers
        width = COURSE_WIDTH if width is None else width
        Network.check_size(layers, width, 0)
        model: Callable[[int], Chain] = partial(Network, layers, width, dtype_bytes=dtype_bytes)
        stages, repeat, a0 = [dense_stage("dense", width, width, dtype_bytes)], layers, width
    else:
        check_widths(widths)
        model = partial(MLP, widths, dtype_bytes=dtype_bytes)
        (stages, repeat), a0 = dense_stages(widths, dtype_bytes=dtype_bytes), widths[0]
    return Chain("mlp", (a0,), stages, dtype_bytes=dtype_bytes, model=model, repeat=repeat)


def resmlp(*, width: int, blocks: int, dtype_bytes: int = 4) -> Chain:
    """Residual blocks of one width: a(l) = a(l-1) + tanh(W_l a(l-1) + b_l)."""
    Network.check_size(blocks, width, 0)
    stages, repeat = dense_stages([width] * (blocks + 1), "block", dtype_bytes)
    model = partial(ResMLP, width, blocks, dtype_bytes=dtype_bytes)
    return Chain("resmlp", (width,), stages, dtype_bytes=dtype_bytes, model=model, repeat=repeat)


def _registry() -> dict[str, Callable[..., Chain]]:
    from .zoo import ZOO

    return {"mlp": mlp, "resmlp": resmlp, **ZOO}


NETWORKS: dict[str, Callable[..., Chain]] = _registry()


def is_stage_file(text: str) -> bool:
    return Path(text.strip()).suffix.lower() in STAGE_FILE_SUFFIXES


def parse_network(text: str) -> specs.Spec:
    """Parse a network spec; errors list the networks and their parameters."""
    try:
        return specs.parse(text, NETWORKS, "network", ConfigError)
    except ConfigError as error:
        if not str(error).startswith("unknown network"):
            raise
        listed, _, close = str(error).partition("; did you mean")
        close = f"; did you mean{close}" if close else ""
        raise ConfigError(
            f"{listed}; or the path of a stage table (.csv or .toml){close}"
        ) from None


def build_network(text: str, *, dtype_bytes: int | None = None) -> Chain:
    """The stage table of a network spec or stage-table file, named by its canonical spec.

    ``dtype_bytes`` applies where the spec does not give its own.
    """
    if is_stage_file(text):
        from .stage_file import load_stage_file

        return load_stage_file(text.strip(), dtype_bytes=dtype_bytes or 4)
    spec = parse_network(text)
    params = dict(spec.params)
    name = str(spec)
    if dtype_bytes is not None and "dtype_bytes" not in params:
        params["dtype_bytes"] = dtype_bytes
        if dtype_bytes != 4:  # the name says what the sizes were counted in
            name += f"{',' if spec.params else ':'}dtype_bytes={dtype_bytes}"
    chain = NETWORKS[spec.name](**params)
    chain.name = name
    return chain


def course_chain(layers: int, width: int, *, dtype_bytes: int = 4) -> Chain:
    """The course's equal-width MLP as a stage table (weights built on demand)."""
    chain = mlp(layers=layers, width=width, dtype_bytes=dtype_bytes)
    chain.name = f"mlp:layers={layers},width={width}"
    return chain


def describe_networks() -> list[str]:
    """One usage line per network, as ``chipsim networks`` lists them."""
    lines = [specs.describe(name, builder) for name, builder in NETWORKS.items()]
    return [*lines, "PATH.csv or PATH.toml (a stage table you wrote; see docs/networks.md)"]
