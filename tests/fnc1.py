"""The FNC-1 training pairs of ``../shared/data/fnc1-train`` for the tests that use them (they
skip, saying why, where the shared data is not there), read by ``benchmarks/fnc1format.py``,
the one reader of FNC-1-format folders."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "fnc1format", Path(__file__).resolve().parents[1] / "benchmarks" / "fnc1format.py"
)
assert _SPEC is not None and _SPEC.loader is not None
fnc1format = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(fnc1format)

SHARED: Path = fnc1format.SHARED
FNC1: Path = fnc1format.FNC1
needs_fnc1 = pytest.mark.skipif(
    not fnc1format.present(FNC1), reason=f"FNC-1 data not found at {FNC1}"
)


@functools.cache
def bodies() -> dict[str, str]:
    """Each body's text by its id."""
    return fnc1format.bodies(FNC1)


@functools.cache
def stances() -> tuple[dict[str, str], ...]:
    """Every headline/body row (Headline, Body ID, Stance), in file order."""
    return tuple(fnc1format.stances(FNC1))


def own_headlines() -> dict[str, str]:
    """Each body's first related headline (its own story's), by body id, in file order."""
    own: dict[str, str] = {}
    for row in stances():
        if row["Stance"] != "unrelated":
            own.setdefault(row["Body ID"], row["Headline"])
    return own
