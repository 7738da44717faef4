"""The package's shape: no import cycle between its modules, and no long module without a
stated reason. Read from the source with :mod:`ast`, so an import inside a function, or
under ``if TYPE_CHECKING:``, counts as much as one at the top of a module."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "headcheck"
#: Lines a module may have before it needs a reason to be longer.
MAX_LINES = 300
#: Modules over MAX_LINES, and why they are kept whole.
LONG: dict[str, str] = {}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(path: Path, name: str, known: set[str]) -> set[str]:
    """The package's modules that the module ``name`` at ``path`` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # "from a import b" imports the module a.b when there is one, else a name of a.
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            # Importing headcheck.a.b runs headcheck/a/__init__.py first: that counts too.
            while target.count(".") >= 1 and target != name:
                found.add(target)
                target = target.rpartition(".")[0]
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imported(path, name, known) for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read():
    edges = graph()
    assert "headcheck.decide.context" in edges["headcheck.detector"]
    assert "headcheck.errors" in edges["headcheck.io.formats"]


def test_no_import_cycle():
    edges = graph()
    assert cycles(edges) == []
    # The top package re-exports the public API (Detector, check_frame, ...), so a module
    # that imports it closes a loop through it: none may. (Importing headcheck.a.b runs the
    # top package's __init__ too; that edge is the one every package has, and left out.)
    assert not {name for name, targets in edges.items() if "headcheck" in targets}


def test_cycles_are_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_long_modules_give_a_reason():
    lines = {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules().items()
    }
    assert {name for name, n in lines.items() if n > MAX_LINES} == set(LONG)
    assert all(len(reason.split()) >= 5 for reason in LONG.values())
