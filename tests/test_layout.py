"""The package layout is the architecture: each layer imports only the layers below it.

Read from the source with ``ast`` (imports inside functions and ``TYPE_CHECKING``
blocks count too), so a lazy import cannot hide an upward edge or a cycle.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "chipsim"

#: Each layer, bottom to top; a module may import its own layer and those below.
LAYERS = ("foundation", "model", "sim", "planners", "study", "outputs", "faces")

#: What the planners may take from the sim layer: the plan vocabulary, never the engine.
PLANNERS_MAY_IMPORT_FROM_SIM = {
    "chipsim.sim.plan",
    "chipsim.sim.plan_checks",
    "chipsim.sim.plan_columns",
}

#: Top-level modules every layer may use, and the shims kept for old import paths.
FOUNDATION = {"errors", "limits", "progress", "files", "formatting"}
DEPRECATED = {"plan", "trace", "strategies"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    top = module.split(".")[1] if "." in module else ""
    if top in FOUNDATION:
        return "foundation"
    if top in LAYERS:
        return top
    return "faces"  # chipsim itself, cli, pytest_plugin, testing, __main__, old paths


def imports_of(path: Path) -> set[str]:
    """Every chipsim module ``path`` imports, resolved to full names."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            target = ".".join([*base, node.module] if node.module else base)
            if node.level == 0:
                target = node.module or ""
            for alias in node.names:  # ``from . import plots`` names a module
                candidate = f"{target}.{alias.name}"
                found.add(candidate if resolves(candidate) else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {target for target in found if target.split(".")[0] == "chipsim"}


def resolves(module: str) -> bool:
    relative = Path(*module.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative).is_dir()


GRAPH = {
    module_name(path): imports_of(path)
    for path in sorted(PACKAGE.rglob("*.py"))
    if module_name(path).split(".")[1:2] != ["__main__"]
}


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down(module: str) -> None:
    if module.split(".")[1:2] and module.split(".")[1] in DEPRECATED:
        return  # an old path re-exports its new home, one layer up by design
    mine = LAYERS.index(layer_of(module))
    upward = [t for t in GRAPH[module] if LAYERS.index(layer_of(t)) > mine]
    assert upward == [], f"{module} ({LAYERS[mine]}) imports from above: {upward}"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if layer_of(m) == "planners"))
def test_planners_never_import_the_engine(module: str) -> None:
    from_sim = {t for t in GRAPH[module] if layer_of(t) == "sim"}
    assert from_sim <= PLANNERS_MAY_IMPORT_FROM_SIM, f"{module} imports {from_sim}"


def test_no_import_cycles() -> None:
    """A module's own package loads before it, so that edge is not a cycle."""
    graph = {
        module: {t for t in targets if t in GRAPH and not module.startswith(t + ".")}
        for module, targets in GRAPH.items()
    }
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        pytest.fail(f"import cycle: {' -> '.join(error.args[1])}")


@pytest.mark.parametrize(
    ("old", "new", "name"),
    [
        ("chipsim.plan", "chipsim.sim.plan", "Plan"),
        ("chipsim.trace", "chipsim.sim.trace", "Trace"),
        ("chipsim.strategies", "chipsim.planners", "make_plan"),
    ],
)
def test_old_paths_still_import_with_a_deprecation_warning(old: str, new: str, name: str) -> None:
    import importlib
    import sys

    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {new}"):
        module = importlib.import_module(old)
    assert getattr(module, name) is getattr(importlib.import_module(new), name)
