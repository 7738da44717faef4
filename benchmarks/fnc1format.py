"""Folders in FNC-1's format, read in one place for the benchmarks and the tests.

Such a folder (``../shared/data/fnc1-train``, ``../shared/data/arc-train``) holds a bodies
file (``*bodies*.csv``: ``Body ID``, ``articleBody``) and a stances file (``*stances*.csv``:
``Headline``, ``Body ID``, ``Stance`` in agree / disagree / discuss / unrelated). A pair is a
mismatch when its stance is ``unrelated``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared"
DATA = SHARED / "data"
FNC1 = DATA / "fnc1-train"
ARC = DATA / "arc-train"


def files(folder: Path) -> tuple[Path, Path]:
    """The folder's bodies file and stances file; FileNotFoundError naming what is missing."""
    found = []
    for kind in ("bodies", "stances"):
        matches = sorted(folder.glob(f"*{kind}*.csv"))
        if not matches:
            raise FileNotFoundError(f"no *{kind}*.csv in {folder}: not an FNC-1-format folder")
        found.append(matches[0])
    return found[0], found[1]


def present(folder: Path) -> bool:
    """Whether ``folder`` holds both files (the data is not there on every machine)."""
    try:
        files(folder)
    except FileNotFoundError:
        return False
    return True


def bodies(folder: Path) -> dict[str, str]:
    """Each body's text by its id."""
    with open(files(folder)[0], encoding="utf-8", newline="") as f:
        return {row["Body ID"]: row["articleBody"] for row in csv.DictReader(f)}


def stances(folder: Path) -> list[dict[str, str]]:
    """Every headline/body row (Headline, Body ID, Stance), in file order."""
    with open(files(folder)[1], encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def related(folder: Path) -> dict[str, list[str]]:
    """Each body's related (agree, disagree, discuss) headlines, by body id, in file order."""
    found: dict[str, list[str]] = {}
    for row in stances(folder):
        if row["Stance"] != "unrelated":
            found.setdefault(row["Body ID"], []).append(row["Headline"])
    return found


def frames(folder: Path) -> tuple[Any, Any]:
    """The bodies and the stances as pandas DataFrames (pandas is imported here only)."""
    import pandas as pd

    bodies_file, stances_file = files(folder)
    return pd.read_csv(bodies_file), pd.read_csv(stances_file)
