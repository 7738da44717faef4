"""Counts and rates of a checked corpus: flagged by reason, by group and by headline length."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from headcheck.calibrate.decisions import SHORT_HEADLINE_WORDS
from headcheck.calibrate.evaluate import LENGTH_BUCKETS
from headcheck.detector import Detector
from headcheck.result import CheckResult

NO_HEADLINE = "no headline"
#: Characters of the body kept to show beside an example.
BODY_START = 240


@dataclass(frozen=True, slots=True)
class Article:
    """One record as the report keeps it: enough to show it, not the whole body."""

    line: int
    headline: Any
    body_start: str | None
    group: str | None
    label: int | None
    result: CheckResult


@dataclass(frozen=True, slots=True)
class RateRow:
    """Articles and flags in one slice of the corpus (a group, a headline-length bucket)."""

    name: str
    articles: int
    flagged: int
    top_reason: str | None

    @property
    def rate(self) -> float:
        return self.flagged / self.articles if self.articles else 0.0


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts over every article, and how the decision was made."""

    articles: int
    scored: int
    flagged: int
    #: Flagged articles by reason, most common first (an article counts under each reason).
    reasons: list[tuple[str, int]]
    groups: list[RateRow]
    lengths: list[RateRow]
    similarities: np.ndarray
    #: Calibrated mismatch probabilities of the scored articles, when they have them.
    probabilities: np.ndarray | None
    decision: str
    #: The similarity cut-off to mark on the histogram; None when a calibration decides.
    threshold: float | None
    #: A calibration's thresholds (short headlines, longer ones), when known.
    probability_thresholds: tuple[float, float] | None
    #: Things the reader should know, such as a file decided with another threshold.
    notes: list[str]

    @property
    def flagged_rate(self) -> float:
        return self.flagged / self.articles if self.articles else 0.0


def _rows(slices: dict[str, list[CheckResult]]) -> dict[str, RateRow]:
    out = {}
    for name, results in slices.items():
        reasons = Counter(x for r in results for x in r.reasons)
        top = reasons.most_common(1)[0][0] if reasons else None
        out[name] = RateRow(name, len(results), sum(r.is_mismatch for r in results), top)
    return out


def _bucket(headline: Any) -> str:
    words = len(headline.split()) if isinstance(headline, str) else 0
    for low, high, name in LENGTH_BUCKETS:
        if words and low <= words <= high:
            return name
    return NO_HEADLINE


def _groups(articles: Sequence[Article], limit: int) -> list[RateRow]:
    slices: dict[str, list[CheckResult]] = {}
    for a in articles:
        if a.group is not None:
            slices.setdefault(a.group, []).append(a.result)
    ordered = sorted(slices, key=lambda g: (-len(slices[g]), g))
    rows = list(_rows({g: slices[g] for g in ordered[:limit]}).values())
    rest = ordered[limit:]
    if rest:
        others = [r for g in rest for r in slices[g]]
        rows.extend(_rows({f"({len(rest)} other groups)": others}).values())
    return rows


def summarise(
    articles: Sequence[Article], *, detector: Detector, max_groups: int, scored_input: bool
) -> Summary:
    """Count the articles' flags and say how they were decided (``detector``'s settings)."""
    results = [a.result for a in articles]
    scored = [r for r in results if r.scored]
    similarities = np.array([r.similarity for r in scored], dtype=np.float64)
    probabilities = None
    if scored and all(r.mismatch_probability is not None for r in scored):
        probabilities = np.array([r.mismatch_probability for r in scored], dtype=np.float64)
    calibration, notes = detector.calibration, []
    threshold: float | None = None
    cuts = None
    if probabilities is not None and calibration is not None:
        cuts = (calibration.short_threshold, calibration.long_threshold)
        decision = (
            f"calibrated ({calibration.mode}): mismatch probability at least {cuts[0]:.3f} for "
            f"headlines of {SHORT_HEADLINE_WORDS} words or fewer, {cuts[1]:.3f} for longer ones"
        )
    elif probabilities is not None:
        decision = "calibrated (the file's own decisions)"
        notes.append(
            "The file was scanned with a calibration: pass the same file with --calibration "
            "to mark its thresholds and decide the re-paired headlines with it."
        )
    else:
        threshold = detector.threshold
        decision = f"similarity below {threshold:g}"
        if calibration is not None:
            notes.append("The file was scanned without a calibration; --calibration is unused.")
            threshold = None
    if scored_input and threshold is not None:
        low = [r.similarity for r in scored if "low_similarity" in r.reasons]
        clear = [r.similarity for r in scored if not r.is_mismatch]
        # Scored results (scored_input) all have a similarity.
        if any(s >= threshold for s in low) or any(s < threshold for s in clear):  # type: ignore[operator]
            notes.append(
                f"The file's decisions do not match --threshold {threshold:g}: pass the "
                "threshold it was scanned with, so the histogram marks the right cut-off."
            )
    by_length: dict[str, list[CheckResult]] = {name: [] for *_, name in LENGTH_BUCKETS}
    by_length[NO_HEADLINE] = []
    for a in articles:
        by_length[_bucket(a.headline)].append(a.result)
    reasons = Counter(x for r in results for x in r.reasons)
    return Summary(
        articles=len(results),
        scored=len(scored),
        flagged=sum(r.is_mismatch for r in results),
        reasons=sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])),
        groups=_groups(articles, max_groups),
        lengths=[row for row in _rows(by_length).values() if row.articles],
        similarities=similarities,
        probabilities=probabilities,
        decision=decision,
        threshold=threshold,
        probability_thresholds=cuts,
        notes=notes,
    )
