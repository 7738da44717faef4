"""What the report says, section by section, as plain rows of text; :mod:`headcheck.report.render`
writes them as HTML or Markdown (and does all the escaping)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from headcheck.report.summary import BODY_START, Article, RateRow

if TYPE_CHECKING:
    from headcheck.report.build import Report


def _pct(share: float) -> str:
    return f"{share:.1%}"


def _num(value: float | None, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def totals(report: Report) -> list[tuple[str, str]]:
    s = report.summary
    rows = [
        ("file", report.source),
        ("articles", f"{s.articles:,}"),
        ("scored", f"{s.scored:,}"),
        ("flagged", f"{s.flagged:,} ({_pct(s.flagged_rate)})"),
        ("decision", s.decision),
        ("decisions from", "the scanned file" if report.scored_input else "this run"),
    ]
    return rows


def distribution_rows(report: Report) -> list[list[str]]:
    """Percentiles of the similarity of the corpus and of its re-paired headlines, and the
    share of each flagged for low similarity."""
    s = report.summary
    low = dict(s.reasons).get("low_similarity", 0)
    series = [("corpus", s.similarities, low / s.scored if s.scored else 0.0)]
    series += [
        (f"{kind} re-pairs", values, report.repaired_flagged[kind])
        for kind, values in report.repaired.items()
    ]
    rows = []
    for name, values, flagged in series:
        if len(values):
            p5, p50, p95 = np.percentile(values, [5, 50, 95])
            rows.append(
                [name, f"{len(values):,}", f"{p5:.3f}", f"{p50:.3f}", f"{p95:.3f}", _pct(flagged)]
            )
    return rows


def rate_rows(rows: Iterable[RateRow]) -> list[list[str]]:
    """A group or length table's rows: name, articles, flagged, share, most common reason."""
    return [
        [r.name, f"{r.articles:,}", f"{r.flagged:,}", _pct(r.rate), r.top_reason or ""]
        for r in rows
    ]


def example_table(report: Report, articles: list[Article]) -> tuple[list[str], list[list[str]]]:
    """Head and rows of a table of examples; probability and group columns when there are any."""
    shown = report.confident + report.borderline
    probability = any(a.result.mismatch_probability is not None for a in shown)
    group = any(a.group is not None for a in shown)
    head = ["line", "headline", "start of body", "best-matching sentence", "similarity"]
    head += ["probability"] * probability + ["reasons"] + ["group"] * group
    rows = []
    for a in articles:
        r = a.result
        body = (a.body_start or "") + ("…" if len(a.body_start or "") >= BODY_START else "")
        row = [str(a.line), "" if a.headline is None else str(a.headline), body]
        row += [r.evidence or "", _num(r.similarity)]
        row += [_num(r.mismatch_probability)] * probability
        row += [", ".join(r.reasons) or "not flagged"] + [a.group or ""] * group
        rows.append(row)
    return head, rows


def evaluation_rows(evaluation: dict[str, Any]) -> list[list[str]]:
    rows = []
    for key, value in evaluation.items():
        if key == "reasons":
            continue  # shown in their own section
        name = key.replace("_", " ")
        if isinstance(value, dict):
            for inner, item in value.items():
                if isinstance(item, dict):
                    item = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in item.items())
                rows.append([f"{name}: {inner}", str(item)])
        else:
            rows.append([name, "" if value is None else str(value)])
    return rows


@dataclass(frozen=True, slots=True)
class Section:
    """One part of the report: a heading, a line of explanation, a table and figures."""

    id: str
    heading: str
    text: str = ""
    head: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    figures: tuple[str, ...] = ()


RATE_HEAD = ["articles", "flagged", "flagged share", "most common reason"]


def sections(report: Report) -> list[Section]:
    """The report's sections, in order, for either format."""
    s = report.summary
    out = [
        Section("totals", "Totals", "", ["measure", "value"], [list(r) for r in totals(report)]),
        Section(
            "distribution",
            "Similarity distribution",
            "Genuine pairs sit to the right; a headline over another story's body scores like "
            "the re-paired ones, so the part of the corpus that overlaps them is what gets "
            "flagged.",
            ["", "pairs", "5th percentile", "median", "95th percentile", "low similarity"],
            distribution_rows(report),
            ("similarity", "probability"),
        ),
        Section(
            "reasons",
            "Flagged by reason",
            "An article flagged for several reasons counts under each.",
            ["reason", "articles", "share of all"],
            [[name, f"{n:,}", _pct(n / s.articles)] for name, n in s.reasons],
            ("flagged",),
        ),
    ]
    if s.groups:
        out.append(
            Section("groups", "Flagged by group", "", ["group", *RATE_HEAD], rate_rows(s.groups))
        )
    out.append(
        Section(
            "lengths",
            "Flagged by headline length",
            "",
            ["headline words", *RATE_HEAD],
            rate_rows(s.lengths),
        )
    )
    out.append(
        Section(
            "confident",
            "Most confident flags",
            "Flagged pairs furthest past the decision.",
            *example_table(report, report.confident),
        )
    )
    out.append(
        Section(
            "borderline",
            "Borderline pairs",
            "The least suspicious pairs flagged for low similarity and the most suspicious "
            "ones left unflagged: where a threshold is chosen.",
            *example_table(report, report.borderline),
        )
    )
    if report.evaluation is not None:
        out.append(
            Section(
                "evaluation",
                "Against the labels",
                "Mismatch score: the calibrated probability, else minus the similarity; pairs "
                "flagged by a rule or not scorable rank first.",
                ["measure", "value"],
                evaluation_rows(report.evaluation),
                ("roc", "precision-recall", "calibration"),
            )
        )
    return out
