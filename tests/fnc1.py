"""The FNC-1 training pairs of ``../shared/data/fnc1-train``, read in one place for the
tests that use them (they skip, saying why, where the shared data is not there)."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
FNC1 = SHARED / "data" / "fnc1-train"
needs_fnc1 = pytest.mark.skipif(
    not (FNC1 / "train_stances.csv").is_file(), reason=f"FNC-1 data not found at {FNC1}"
)


@functools.cache
def bodies() -> dict[str, str]:
    """Each body's text by its id."""
    with open(FNC1 / "train_bodies.csv", encoding="utf-8", newline="") as f:
        return {row["Body ID"]: row["articleBody"] for row in csv.DictReader(f)}


@functools.cache
def stances() -> tuple[dict[str, str], ...]:
    """Every headline/body row (Headline, Body ID, Stance), in file order."""
    with open(FNC1 / "train_stances.csv", encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


def own_headlines() -> dict[str, str]:
    """Each body's first related headline (its own story's), by body id, in file order."""
    own: dict[str, str] = {}
    for row in stances():
        if row["Stance"] != "unrelated":
            own.setdefault(row["Body ID"], row["Headline"])
    return own
