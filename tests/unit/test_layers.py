"""The layers hold: read from the imports themselves (ast), not from what the docs say.

Top to bottom: ``handlers/`` -> ``web/`` -> ``services.py`` -> the rooms (legacy, plugins, media,
desktop, members) -> ``ws/`` -> ``sessions/`` -> the foundation (types, events, config,
errors, models, ...). A module imports only its own layer or those below; the only imports
pointing up are annotations (``if TYPE_CHECKING:``), and there are at most two of them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("nekoapi", "handlers")

# Bottom to top; a module's layer is the first entry naming its room (nekoapi.<room>), else its package.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset(
        {
            "nekoapi",
            "nekoapi.accesslog",
            "nekoapi.config",
            "nekoapi.configdoc",
            "nekoapi.children",
            "nekoapi.configkeys",
            "nekoapi.contract",
            "nekoapi.errors",
            "nekoapi.events",
            "nekoapi.forms",
            "nekoapi.logfile",
            "nekoapi.logs",
            "nekoapi.memory",
            "nekoapi.models",
            "nekoapi.private_names",
            "nekoapi.reaper",
            "nekoapi.throttle",
            "nekoapi.tokens",
            "nekoapi.types",
        }
    ),
    frozenset({"nekoapi.sessions"}),
    frozenset({"nekoapi.ws"}),
    frozenset({"nekoapi.members", "nekoapi.metrics"}),
    frozenset({"nekoapi.desktop"}),
    frozenset({"nekoapi.media"}),
    frozenset({"nekoapi.plugins"}),
    frozenset({"nekoapi.legacy"}),
    frozenset({"nekoapi.services"}),
    frozenset({"nekoapi.web"}),
    frozenset({"nekoapi.cli", "nekoapi.__main__"}),
    frozenset({"handlers"}),
)


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module
    annotations_only: bool  # under ``if TYPE_CHECKING:``


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def _resolve(source: str, is_package: bool, node: ast.ImportFrom, modules: dict[str, Path]) -> Iterator[str]:
    base = source.split(".") if is_package else source.split(".")[:-1]
    if node.level:
        base = base[: len(base) - node.level + 1]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    for alias in node.names:
        candidate = f"{prefix}.{alias.name}"
        yield candidate if candidate in modules else prefix


def _blocks(tree: ast.Module, condition: str) -> set[int]:
    """ids of the nodes inside ``if <condition>:``."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and condition in ast.unparse(node.test):
            inside.update(id(child) for statement in node.body for child in ast.walk(statement))
    return inside


def imports() -> list[Import]:
    modules = _modules()
    found: list[Import] = []
    for source, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        annotations = _blocks(tree, "TYPE_CHECKING")
        # A module run as the program (python -m) is nobody's dependency then: its entry block is no import edge.
        entry = _blocks(tree, "__name__ == '__main__'")
        for node in ast.walk(tree):
            if id(node) in entry:
                continue
            if isinstance(node, ast.ImportFrom):
                targets = list(_resolve(source, path.name == "__init__.py", node, modules))
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in targets:
                if target.split(".")[0] in PACKAGES and target != source:
                    found.append(Import(source, target, id(node) in annotations))
    return found


def layer(module: str) -> int:
    parts = module.split(".")
    for depth in (2, 1):
        prefix = ".".join(parts[:depth])
        for index, members in enumerate(LAYERS):
            if prefix in members:
                return index
    raise AssertionError(f"{module} is in no layer: add its room to LAYERS")


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_every_module_has_a_layer() -> None:
    for module in _modules():
        layer(module)


def test_the_import_graph_has_no_cycles() -> None:
    edges: dict[str, set[str]] = {}
    for found in imports():
        if not found.annotations_only:
            edges.setdefault(found.source, set()).add(found.target)
    assert _cycle(edges) is None, f"import cycle: {' -> '.join(_cycle(edges) or [])}"


def test_imports_point_down_but_for_at_most_two_annotations() -> None:
    upward = [i for i in imports() if layer(i.target) > layer(i.source)]
    assert [i for i in upward if not i.annotations_only] == []
    assert len({(i.source, i.target) for i in upward}) <= 2, upward


def test_no_domain_room_imports_web() -> None:
    rooms = (
        "nekoapi.desktop",
        "nekoapi.media",
        "nekoapi.plugins",
        "nekoapi.sessions",
        "nekoapi.members",
        "nekoapi.legacy",
    )
    into_web = {
        (i.source, i.target) for i in imports() if i.source.startswith(rooms) and i.target.startswith("nekoapi.web")
    }
    assert into_web == set(), into_web


def _lines(pattern: str) -> list[str]:
    regex = re.compile(pattern)
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "nekoapi").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if regex.search(line)
    ]


def test_nothing_outside_sessions_touches_a_state_backend() -> None:
    assert [line for line in _lines(r"\.backend\.") if not line.startswith("nekoapi/sessions/")] == []


def test_only_the_configuration_raises_config_errors() -> None:
    assert [line for line in _lines(r"ConfigError\(") if not line.startswith("nekoapi/config.py")] == []
