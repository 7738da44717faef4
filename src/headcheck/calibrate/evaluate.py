"""Scoring a decision on labelled pairs: recall, false flags, ROC-AUC, by headline length;
and reading a file of labelled pairs."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from headcheck.calibrate.corpus import rule_flagged
from headcheck.result import CheckResult

# -- evaluation ------------------------------------------------------------------------------

LENGTH_BUCKETS = ((0, 5, "1-5"), (6, 10, "6-10"), (11, 10_000, "11+"))


def _model_scores(results: list[CheckResult]) -> np.ndarray:
    """The model's score per result, higher = more likely a mismatch: the calibrated
    probability, or minus the similarity; NaN for a pair that was not scored."""
    return np.array(
        [
            (r.mismatch_probability if r.mismatch_probability is not None else -r.similarity)
            if r.similarity is not None
            else math.nan
            for r in results
        ],
        dtype=np.float64,
    )


def mismatch_scores(results: list[CheckResult]) -> np.ndarray:
    """One score per result, higher = more likely a mismatch: the model's score, with
    rule-flagged and unscored pairs ranked above every scored one."""
    base = _model_scores(results)
    top = np.nanmax(base) + 1.0 if np.isfinite(base).any() else 1.0
    ruled = np.array([rule_flagged(r) or r.similarity is None for r in results])
    return np.where(ruled, top, base)


def _model_auc(results: list[CheckResult], y: np.ndarray) -> float | None:
    """ROC-AUC of the model's score alone over the scored pairs: rule flags neither help nor
    cost here, where ``roc_auc`` ranks them first."""
    from sklearn.metrics import roc_auc_score

    model = _model_scores(results)
    scored = np.isfinite(model)
    if not 0 < y[scored].sum() < scored.sum():
        return None
    return round(float(roc_auc_score(y[scored], model[scored])), 4)


def recall_at(scores: np.ndarray, labels: np.ndarray, rate: float) -> float:
    """Recall when the cut-off flags ``rate`` of the genuine pairs (ties broken against us)."""
    genuine = np.sort(scores[labels == 0])[::-1]
    allowed = int(rate * len(genuine))
    cut = genuine[allowed] if allowed < len(genuine) else -np.inf
    return float((scores[labels == 1] > cut).mean())


def evaluate(
    results: list[CheckResult], labels: Sequence[int], headlines: Sequence[Any]
) -> dict[str, Any]:
    """Quality of the detector's decisions and scores against labels (1 = mismatch)."""
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

    y = np.asarray(labels, dtype=int)
    flagged = np.array([r.is_mismatch for r in results])
    scores = mismatch_scores(results)
    words = np.array([len(h.split()) if isinstance(h, str) else 0 for h in headlines])
    report: dict[str, Any] = {
        "pairs": len(y),
        "mismatches": int(y.sum()),
        "roc_auc": round(float(roc_auc_score(y, scores)), 4) if 0 < y.sum() < len(y) else None,
        "roc_auc_model": _model_auc(results, y),
        "average_precision": round(float(average_precision_score(y, scores)), 4)
        if y.sum()
        else None,
        "accuracy": round(float((flagged == (y == 1)).mean()), 4),
        "f1": round(float(f1_score(y, flagged)), 4),
        "false_flag_rate": round(float(flagged[y == 0].mean()), 4) if (y == 0).any() else None,
        "recall": round(float(flagged[y == 1].mean()), 4) if y.sum() else None,
        "recall_at_false_flags": {
            f"{rate:.1%}": round(recall_at(scores, y, rate), 4) for rate in (0.001, 0.01, 0.05)
        }
        if 0 < y.sum() < len(y)
        else None,
        "false_flag_rate_by_headline_words": {},
        "reasons": dict(sorted(Counter(x for r in results for x in r.reasons).items())),
    }
    for low, high, name in LENGTH_BUCKETS:
        bucket = (words >= low) & (words <= high) & (y == 0)
        if bucket.any():
            report["false_flag_rate_by_headline_words"][name] = {
                "pairs": int(bucket.sum()),
                "false_flag_rate": round(float(flagged[bucket].mean()), 4),
            }
    return report


# -- reading a corpus ------------------------------------------------------------------------

_LABELS = {"0": 0, "1": 1, "false": 0, "true": 1, "no": 0, "yes": 1, "genuine": 0, "mismatch": 1}


def parse_label(value: Any, positive: str | None = None) -> int:
    """A label as 0 (genuine) or 1 (mismatch); anything else raises ValueError. With
    ``positive`` (``--positive-label``), the labels are any values: that one (compared as text,
    case and surrounding space ignored) is a mismatch and every other a genuine pair."""
    if positive is not None:
        if value is None or (isinstance(value, float) and value != value) or str(value) == "":
            raise ValueError("no label (the field is absent or empty)")
        return int(str(value).strip().lower() == positive.strip().lower())
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value)
    if isinstance(value, str) and value.strip().lower() in _LABELS:
        return _LABELS[value.strip().lower()]
    raise ValueError(
        f"label {value!r} is not one of 0/1, true/false, yes/no, genuine/mismatch; for other "
        "labels name the one that marks a mismatch with --positive-label (e.g. "
        "--positive-label unrelated)"
    )


def load_pairs(
    path: str,
    fmt: Any,
    *,
    title_field: str,
    text_field: str,
    label_field: str | None = None,
    max_pairs: int | None = None,
    seed: int = 0,
    max_record_bytes: int | None = None,
    positive_label: str | None = None,
    delimiter: str | None = None,
) -> tuple[list[tuple[Any, Any]], list[int] | None, list[str]]:
    """Pairs (and labels) of a file; unreadable records and bad labels raise InputError.

    With ``max_pairs``, a fixed-seed uniform sample of that many records is kept (reservoir
    sampling: the file is read once and never held whole).
    """
    from headcheck.io.fields import check_fields
    from headcheck.io.formats import MAX_RECORD_BYTES, InputError
    from headcheck.io.readers import read_rows

    rng = np.random.default_rng(seed)
    kept: list[tuple[tuple[Any, Any], int | None]] = []
    rows = check_fields(
        path,
        read_rows(
            path, fmt, max_record_bytes=max_record_bytes or MAX_RECORD_BYTES, delimiter=delimiter
        ),
        {"--title-field": title_field, "--text-field": text_field, "--label-field": label_field},
    )
    for seen, row in enumerate(rows, start=1):
        if row.record is None:
            raise InputError(row.where(path), str(row.error), row.line)
        label = None
        if label_field is not None:
            try:
                label = parse_label(row.record.get(label_field), positive_label)
            except ValueError as exc:
                raise InputError(
                    row.where(path), f"field {label_field!r}: {exc}", row.line
                ) from exc
        item = ((row.record.get(title_field), row.record.get(text_field)), label)
        if max_pairs is None or len(kept) < max_pairs:
            kept.append(item)
        else:
            slot = int(rng.integers(seen))
            if slot < max_pairs:
                kept[slot] = item
    pairs = [pair for pair, _ in kept]
    labels = [label for _, label in kept] if label_field is not None else None
    headlines = [pair[0] for pair in pairs]
    return pairs, labels, headlines  # type: ignore[return-value]  # labels set when asked
