"""Read back the result fields that `headcheck scan` wrote (JSONL, CSV or Parquet)."""

from __future__ import annotations

import math
from typing import Any

from headcheck.io.formats import InputError
from headcheck.result import (
    EVIDENCE_FIELD,
    MISMATCH_FIELD,
    PROBABILITY_FIELD,
    REASON_FIELD,
    SIMILARITY_FIELD,
    CheckResult,
)

_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


def is_scanned(record: dict[str, Any]) -> bool:
    """Whether a record carries the result fields of `headcheck scan`."""
    return SIMILARITY_FIELD in record and MISMATCH_FIELD in record


def _number(record: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = record.get(name)
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.inf
    if math.isnan(number):
        return None  # pandas' empty cell
    if isinstance(value, bool) or not low <= number <= high:
        raise ValueError(f"field {name!r} holds {value!r}, expected a number in [{low}, {high}]")
    return number


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError(f"field {MISMATCH_FIELD!r} holds {value!r}, expected true or false")


def result_of(record: dict[str, Any], source: str, line: int) -> CheckResult:
    """The result a scanned record carries; a field that `scan` cannot have written raises
    :class:`InputError` naming the file and line."""
    try:
        similarity = _number(record, SIMILARITY_FIELD, -1.0, 1.0)
        probability = _number(record, PROBABILITY_FIELD, 0.0, 1.0)
        flagged = _flag(record.get(MISMATCH_FIELD))
    except ValueError as exc:
        raise InputError(source, f"{exc} (as `headcheck scan` writes it)", line) from exc
    raw = record.get(REASON_FIELD)
    reasons = tuple(r.strip() for r in str(raw).split(",") if r.strip()) if raw else ()
    if flagged != bool(reasons):
        raise InputError(
            source,
            f"{MISMATCH_FIELD} is {flagged} but {REASON_FIELD} is {raw!r}; a flagged record "
            "carries its reasons and an unflagged one none",
            line,
        )
    evidence = record.get(EVIDENCE_FIELD)
    return CheckResult(
        similarity=similarity,
        reasons=reasons,  # type: ignore[arg-type]  # codes as written, newer ones included
        evidence=evidence if isinstance(evidence, str) else None,
        mismatch_probability=probability,
    )
