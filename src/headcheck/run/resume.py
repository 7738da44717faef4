"""Checkpoints of a running scan, so that ``scan --resume`` continues a killed run.

While ``scan`` writes a JSONL or CSV file it flushes the partial output at the end of a batch
(at most every :data:`CHECKPOINT_SECONDS`) and then records, in a small JSON file beside it
(``.NAME.resume.json``), how many input rows that output covers, its size in bytes, the counts
so far and a fingerprint of the run: the input file's path, size and modification time, the
formats, the options and the detector's settings. ``--resume`` truncates the partial file to
the recorded size (dropping a torn last line and any row written after the checkpoint), skips
the rows it covers, and goes on. The batches stay aligned with an uninterrupted run's, so the
output is the same.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from headcheck.io.formats import InputError, part_files
from headcheck.io.partial import write_whole

#: The state file's format; a file of another version is refused.
STATE_VERSION = 2
#: A checkpoint is written at the end of a batch when this long has passed since the last.
CHECKPOINT_SECONDS = 0.5


def state_path(path: str) -> str:
    """The checkpoint file of output ``path``: ``.NAME.resume.json`` beside it."""
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.resume.json")


def input_fingerprint(source: str) -> dict[str, Any]:
    """What identifies the input file: its absolute path, size and modification time (for a
    folder of part files, those of each part, in reading order)."""
    if os.path.isdir(source):
        return {
            "path": os.path.abspath(source),
            "parts": [input_fingerprint(part) for part in part_files(source)],
        }
    info = os.stat(source)
    return {"path": os.path.abspath(source), "size": info.st_size, "mtime_ns": info.st_mtime_ns}


def detector_fingerprint(detector: Any) -> dict[str, Any]:
    """The detector settings that change what is written, and the batch size (which decides
    how rows are grouped for the model, and so where a resumed run's batches fall)."""
    calibration = detector.calibration
    return {
        "model": None if detector.model is None else str(detector.model),
        "threshold": detector.threshold,
        "batch_size": detector.batch_size,
        "backend": getattr(detector, "backend", "torch"),
        "cascade": getattr(detector, "cascade", None) is not None,
        # Whether pairs are read as a corpus, and how they are scored, change the verdicts.
        "context": getattr(detector, "context", None) is not None,
        "scoring": getattr(detector, "scoring", None),
        "calibration": None if calibration is None else calibration.digest(),
    }


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """How far a run got: ``rows`` input rows are covered by the first ``size`` bytes of the
    partial output. ``fields`` is the CSV header; ``counts`` the ScanStats so far;
    ``partial`` the partial file's name (in the output's folder; not predictable, see
    :func:`headcheck.io.partial.create_partial`)."""

    run: dict[str, Any]
    rows: int
    size: int
    fields: list[str] | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    partial: str | None = None
    version: int = STATE_VERSION


def save(path: str, checkpoint: Checkpoint) -> None:
    """Write the checkpoint of output ``path`` atomically (a kill leaves the previous one)."""
    # A new partial file (no link followed), then a rename over whatever is at the name.
    write_whole(state_path(path), json.dumps(asdict(checkpoint)))


def remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(state_path(path))


def load(path: str, run: dict[str, Any]) -> Checkpoint | None:
    """The checkpoint of output ``path`` if it belongs to ``run``; None when there is none.

    A checkpoint of another run (another input, or the input changed, or other options) or
    an unreadable one raises InputError saying what differs and what to do.
    """
    target = state_path(path)
    try:
        with os.fdopen(os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb") as f:
            data = json.loads(f.read(1 << 20))
        checkpoint = Checkpoint(**data)
        if checkpoint.version != STATE_VERSION or not isinstance(checkpoint.run, dict):
            raise ValueError(f"version {checkpoint.version!r}, expected {STATE_VERSION}")
        if not isinstance(checkpoint.rows, int) or not isinstance(checkpoint.size, int):
            raise ValueError("rows and size must be integers")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(
            path,
            f"cannot resume: its checkpoint {target} is unreadable ({exc}); "
            "rerun without --resume to start over",
        ) from exc
    differences = _differences(checkpoint.run, run)
    if differences:
        raise InputError(
            path,
            "cannot resume: the partial output was written by another run ("
            + "; ".join(differences)
            + "); rerun without --resume to start over, or with the same input and options",
        )
    return checkpoint


def _differences(before: dict[str, Any], now: dict[str, Any], prefix: str = "") -> list[str]:
    found = []
    for key in sorted(set(before) | set(now)):
        old, new = before.get(key), now.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            found += _differences(old, new, f"{prefix}{key}.")
        elif old != new:
            found.append(f"{prefix}{key} was {old!r}, now {new!r}")
    return found
