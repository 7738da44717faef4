"""headcheck.REASONS lists every reason code the code can emit, and the README documents each."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import headcheck
from conftest import ROOT

PACKAGE = Path(headcheck.__file__).resolve().parent


def _strings(node: ast.AST | None) -> Iterator[str]:
    """String constants a value expression can evaluate to (through ``a if c else b``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)
    elif isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            yield from _strings(element)


def _mentions_reason(annotation: ast.AST | None) -> bool:
    return annotation is not None and "Reason" in ast.unparse(annotation)


def emitted_reasons(tree: ast.AST) -> set[str]:
    """Codes a module puts into a result: appended to a ``reasons`` list, passed as
    ``reasons=``, assigned to a name annotated ``Reason`` or returned by a function that
    returns one."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "append"
                and isinstance(func.value, ast.Name)
                and func.value.id == "reasons"
            ):
                for arg in node.args:
                    found.update(_strings(arg))
            for keyword in node.keywords:
                if keyword.arg == "reasons":
                    found.update(_strings(keyword.value))
        if isinstance(node, ast.AnnAssign) and _mentions_reason(node.annotation):
            found.update(_strings(node.value))
        if isinstance(node, ast.FunctionDef):
            typed = {
                inner.target.id
                for inner in ast.walk(node)
                if isinstance(inner, ast.AnnAssign)
                and isinstance(inner.target, ast.Name)
                and _mentions_reason(inner.annotation)
            }
            for inner in ast.walk(node):
                if isinstance(inner, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id in typed for t in inner.targets
                ):
                    found.update(_strings(inner.value))
                if isinstance(inner, ast.Return) and _mentions_reason(node.returns):
                    found.update(_strings(inner.value))
    return found


def test_reasons_lists_every_code_the_code_emits() -> None:
    """The codes found in the source are exactly headcheck.REASONS."""
    found: set[str] = set()
    for path in sorted(PACKAGE.glob("**/*.py")):
        found |= emitted_reasons(ast.parse(path.read_text(encoding="utf-8")))
    # The walker itself must find the codes of every kind of site (rules, input problems,
    # the corpus decision, the scan's error rows), or this test would prove nothing.
    assert {"boilerplate_title", "missing_title", "index_page", "unreadable_record"} <= found
    assert found == set(headcheck.REASONS)
    assert len(headcheck.REASONS) == len(set(headcheck.REASONS))


def test_the_walker_sees_a_new_code() -> None:
    """A code appended anywhere in the shape the source uses is found (so a new one that is
    not in REASONS fails the test above)."""
    source = "def rule(x):\n    reasons = []\n    reasons.append('paywall_title')\n"
    assert emitted_reasons(ast.parse(source)) == {"paywall_title"}


def test_the_readme_documents_every_reason() -> None:
    """The README's reason table has a row for each code, and no other."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Reason codes", 1)[1].split("\n#", 1)[0]
    documented = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            documented |= set(re.findall(r"`([a-z_]+)`", line.split("|")[1]))
    assert documented == set(headcheck.REASONS)
