"""The layout stays true: imports point down only, no import circles, public names import.

Every ``import`` and ``from ... import`` under ``src/`` counts, those under
``TYPE_CHECKING`` and inside functions included. docs/architecture.md explains the rooms.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
OURS = ("core", "keys", "exchanges")

#: the rooms, lowest first: a module may import its own room and the rooms before it
ROOMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("simulator", ("exchanges.simulator",)),  # a server: imports nothing of the library
    ("core", ("core",)),
    ("keys", ("keys",)),
    ("capabilities", ("exchanges._capabilities",)),
    ("sharing", ("exchanges.sharing",)),  # what processes share through Redis
    ("trading", ("exchanges.trading",)),
    ("interface", ("exchanges._base", "exchanges._streaming")),
    ("ccxt", ("exchanges.ccxt",)),
    ("factory", ("exchanges.factory",)),
    ("venues", ("exchanges.venues",)),
    ("observers", ("exchanges.metrics", "exchanges.pytest_plugin")),
    ("package", ("exchanges",)),  # exchanges/__init__.py: the public names
    ("bots", ("exchanges.bots",)),  # each model in a process of its own
    ("cli", ("exchanges.cli",)),
)
#: rooms that import nothing of the library but themselves, whatever their rank
ISOLATED = frozenset({"simulator"})


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _resolve(target: str, modules: Mapping[str, Path]) -> str | None:
    """The module ``target`` names (``pkg.name`` may be a module or a name in ``pkg``)."""
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target or None


def imports_of(name: str, path: Path, modules: Mapping[str, Path]) -> set[str]:
    """The project modules ``name`` imports, wherever the import statement stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                prefix = ".".join([*base, node.module] if node.module else base)
            else:
                prefix = node.module or ""
            targets = [f"{prefix}.{alias.name}" for alias in node.names]
        for target in targets:
            module = _resolve(target, modules) if target.split(".")[0] in OURS else None
            if module is not None and module != name:
                found.add(module)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def room_of(module: str) -> str:
    best, length = "", -1
    for room, prefixes in ROOMS:
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and len(prefix) > length:
                best, length = room, len(prefix)
    if not best:
        raise AssertionError(f"{module} is in no room: add it to ROOMS")
    return best


def layering_violations(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Imports that point up (or sideways out of an isolated room)."""
    rank = {room: i for i, (room, _) in enumerate(ROOMS)}
    wrong = []
    for module, targets in sorted(graph.items()):
        room = room_of(module)
        for target in sorted(targets):
            other = room_of(target)
            if other == room:
                continue
            if room in ISOLATED or rank[other] > rank[room]:
                wrong.append(f"{module} ({room}) imports {target} ({other})")
    return wrong


def import_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


# ---------------------------------------------------------------------------- the checks
def test_imports_point_down_only() -> None:
    assert layering_violations(import_graph()) == []


def test_no_import_circles() -> None:
    assert import_cycles(import_graph()) == []


def test_every_module_is_in_a_room() -> None:
    for module in import_graph():
        room_of(module)


def test_the_checker_catches_a_wrong_import() -> None:
    """The checks themselves fail on what they are there to refuse."""
    graph = import_graph()
    up = {**graph, "core._models": {*graph["core._models"], "exchanges._base"}}
    assert layering_violations(up) == ["core._models (core) imports exchanges._base (interface)"]
    server = {**graph, "exchanges.simulator._book": {"core._models"}}
    assert "exchanges.simulator._book (simulator) imports core._models (core)" in (
        layering_violations(server)
    )
    into_cli = {**graph, "exchanges.factory._factory": {"exchanges.cli._common"}}
    assert layering_violations(into_cli)
    circle = {**graph, "exchanges.trading._tracker": {"exchanges.trading._guard"}}
    circle["exchanges.trading._guard"] = {*graph["exchanges.trading._guard"], "exchanges.trading"}
    assert import_cycles(circle)


def test_the_parser_sees_every_kind_of_import(tmp_path: Path) -> None:
    source = (
        "from __future__ import annotations\n"
        "import core._models\n"
        "from typing import TYPE_CHECKING\n"
        "from . import _registry\n"
        "from ..ccxt import CcxtExchange\n"
        "if TYPE_CHECKING:\n"
        "    from keys import KeyManager\n"
        "def f():\n"
        "    from exchanges.simulator import CLIENT_OPTIONS\n"
    )
    path = SRC / "exchanges" / "factory" / "_probe.py"
    modules = {**_modules(), "exchanges.factory._probe": path}
    tmp = tmp_path / "probe.py"
    tmp.write_text(source)
    found = imports_of("exchanges.factory._probe", tmp, modules)
    # ``tmp`` is not under src/: its package comes from the name, as for a real module
    assert found == {
        "core._models",
        "exchanges.factory._registry",
        "exchanges.ccxt",
        "keys",
        "exchanges.simulator",
    }


def _public_modules() -> list[str]:
    names = []
    for top in OURS:
        package = importlib.import_module(top)
        names.append(top)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{top}."):
            if info.ispkg and not info.name.rpartition(".")[2].startswith("_"):
                names.append(info.name)
    return names


@pytest.mark.parametrize("name", _public_modules())
def test_every_public_name_imports(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        assert module.__doc__, f"{name} has neither __all__ nor a docstring"
        return
    for attr in exported:
        assert getattr(module, attr, None) is not None, f"{name}.{attr} does not import"


@pytest.mark.parametrize("name", [m for m in _modules() if (SRC / Path(*m.split("."))).is_dir()])
def test_every_package_says_what_it_holds(name: str) -> None:
    doc = importlib.import_module(name).__doc__
    assert doc, f"{name}/__init__.py needs a docstring saying what its room holds"
    assert len(doc.split()) >= 8, f"{name}/__init__.py: say what the room holds and may use"


#: "every module under ~400 lines, one concept each" (issue 12): past this, split it
MAX_LINES = 400


def test_every_module_is_small_enough_to_hold_one_concept() -> None:
    too_long = {
        name: n
        for name, path in _modules().items()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert too_long == {}, f"split these modules (> {MAX_LINES} lines): {too_long}"
