"""The corpus report: what a scan of a file found, to look at before trusting a threshold.

Gathered here from a scanned file (its result fields are read back) or from a raw file
(scored on the fly with :func:`headcheck.run.scan.scan_rows`); drawn by
:mod:`headcheck.report.plots` and written as HTML or Markdown by
:mod:`headcheck.report.render` (:mod:`headcheck.report.write` does both). matplotlib is
imported only to draw."""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np

from headcheck.calibrate.evaluate import evaluate, mismatch_scores, parse_label
from headcheck.calibrate.repair import repair_pairs
from headcheck.detector import Detector
from headcheck.io.fields import check_fields
from headcheck.io.formats import Format, InputError, ReadMeter, Row, check_input
from headcheck.io.readers import read_rows
from headcheck.io.scored import is_scanned, result_of
from headcheck.report.options import ReportOptions
from headcheck.report.summary import BODY_START, Article, Summary, summarise
from headcheck.result import CheckResult
from headcheck.run.scan import scan_rows
from headcheck.run.settings import ScanOptions, ScanStats


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the report shows; built by :func:`build_report`."""

    source: str
    #: True when the decisions were read from a file written by `headcheck scan`.
    scored_input: bool
    summary: Summary
    #: Similarities of the corpus's headlines re-paired with other bodies, by kind
    #: ("random", "near-topic"), their calibrated probabilities, and the share flagged.
    repaired: dict[str, np.ndarray] = field(default_factory=dict)
    repaired_probabilities: dict[str, np.ndarray] = field(default_factory=dict)
    repaired_flagged: dict[str, float] = field(default_factory=dict)
    confident: list[Article] = field(default_factory=list)
    borderline: list[Article] = field(default_factory=list)
    #: With labels: headcheck.calibrate.evaluate.evaluate's metrics, the labels and the mismatch
    #: scores.
    evaluation: dict[str, Any] | None = None
    labels: np.ndarray | None = None
    scores: np.ndarray | None = None
    #: The labels of the scored articles, in the order of ``summary.similarities``.
    scored_labels: np.ndarray | None = None


def _tap(rows: Iterable[Row], source: str, seen: deque[Row] | None = None) -> Iterator[Row]:
    """Pass readable rows on (an unreadable one stops the report), remembering each in
    ``seen`` so that a result coming back from the scan can be matched to its line."""
    for row in rows:
        if row.record is None:
            raise InputError(row.where(source), str(row.error), row.line)
        if seen is not None:
            seen.append(row)
        yield row


def _label(row: Row, source: str, field_name: str, positive: str | None) -> int:
    try:
        return parse_label((row.record or {}).get(field_name), positive)
    except ValueError as exc:
        raise InputError(row.where(source), f"field {field_name!r}: {exc}", row.line) from exc


def _records(
    source: str,
    fmt: Format,
    detector: Detector,
    options: ReportOptions,
    progress: Callable[[int], None] | None,
    meter: ReadMeter | None = None,
) -> tuple[bool, Iterator[tuple[Row, CheckResult]]]:
    """(whether the file was already scanned, (row, result) of every record in order)."""
    rows = read_rows(
        source,
        fmt,
        max_record_bytes=options.max_record_bytes,
        delimiter=options.delimiter,
        meter=meter,
    )
    first = next(rows, None)
    if first is None:
        raise InputError(source, "no records: the report needs at least one article")
    # A scanned file written with --id-field lacks title and text: said below, with advice.
    scanned = first.record is not None and is_scanned(first.record)
    fields = {"--label-field": options.label_field, "--group-field": options.group_field}
    if not scanned:
        fields = {
            "--title-field": options.title_field,
            "--text-field": options.text_field,
            **fields,
        }
    rows = check_fields(source, chain([first], rows), fields)
    first = next(rows)
    if first.record is not None and is_scanned(first.record):
        missing = [f for f in (options.title_field, options.text_field) if f not in first.record]
        if len(missing) == 2:
            raise InputError(
                source,
                f"a scanned file without the fields {missing}: scan without --id-field so the "
                "articles are kept, or name the fields with --title-field and --text-field",
                first.line,
            )
        return True, (
            (row, result_of(row.record or {}, source, row.line))
            for row in _tap(chain([first], rows), source)
        )
    seen: deque[Row] = deque()
    everything = _tap(chain([first], rows), source, seen)
    scan_options = ScanOptions(title_field=options.title_field, text_field=options.text_field)
    stats = ScanStats()

    def score() -> Iterator[tuple[Row, CheckResult]]:
        for record in scan_rows(everything, detector, scan_options, stats, source=source):
            row = seen.popleft()
            yield row, result_of(record, source, row.line)
            if progress is not None:
                progress(stats.checked)

    return False, score()


def build_report(
    source: str,
    *,
    detector: Detector,
    options: ReportOptions,
    input_format: Format,
    progress: Callable[[int], None] | None = None,
    meter: ReadMeter | None = None,
) -> Report:
    """Read (and, for a raw file, score) every record of ``source`` and gather the report.

    A file with the result fields of `headcheck scan` keeps its decisions; ``detector`` then
    only scores the re-paired headlines (pass it the threshold or calibration of the scan).
    A detector with ``cascade=False`` (as the CLI uses) gives the model's own similarities
    rather than the cheap stage's predictions of them.
    """
    check_input(source)
    scored_input, records = _records(source, input_format, detector, options, progress, meter)
    rng = np.random.default_rng(options.seed)
    sample: list[tuple[str, str]] = []
    eligible = 0
    articles: list[Article] = []
    for row, result in records:
        record = row.record or {}
        headline, body = record.get(options.title_field), record.get(options.text_field)
        group = None
        if options.group_field is not None:
            value = record.get(options.group_field)
            group = "(none)" if value is None or value == "" else str(value)
        label = (
            _label(row, source, options.label_field, options.positive_label)
            if options.label_field
            else None
        )
        start = body[:BODY_START] if isinstance(body, str) else None
        articles.append(Article(row.line, headline, start, group, label, result))
        if result.scored and isinstance(headline, str) and isinstance(body, str):
            # A fixed-seed reservoir sample of the scored pairs, re-paired below.
            eligible += 1
            if len(sample) < options.max_pairs:
                sample.append((headline, body))
            else:
                slot = int(rng.integers(eligible))
                if slot < options.max_pairs:
                    sample[slot] = (headline, body)
    summary = summarise(
        articles, detector=detector, max_groups=options.max_groups, scored_input=scored_input
    )
    repaired, repaired_probabilities, repaired_flagged = _repair(sample, detector, options.seed)
    confident, borderline = _examples(articles, options.examples)
    evaluation = labels = scores = scored_labels = None
    if options.label_field is not None:
        results = [a.result for a in articles]
        labels = np.array([a.label for a in articles], dtype=int)
        scored_labels = np.array([a.label for a in articles if a.result.scored], dtype=int)
        scores = mismatch_scores(results)
        evaluation = evaluate(results, labels.tolist(), [a.headline for a in articles])
    return Report(
        source=source,
        scored_input=scored_input,
        summary=summary,
        repaired=repaired,
        repaired_probabilities=repaired_probabilities,
        repaired_flagged=repaired_flagged,
        confident=confident,
        borderline=borderline,
        evaluation=evaluation,
        labels=labels,
        scores=scores,
        scored_labels=scored_labels,
    )


def _repair(
    sample: list[tuple[str, str]], detector: Detector, seed: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, float]]:
    """Score the sample's headlines over other bodies of the file: random and near-topic ones."""
    if len(sample) < 2:
        return {}, {}, {}
    # Re-pairing reuses every text of the sample: keep all their embeddings (in a cache of
    # the copy's own: the detector's stays as it was).
    twin = detector.with_options(cache_size=max(detector.cache_size, 16 * len(sample)))
    random_pairs, hard_pairs = repair_pairs(sample, twin, np.random.default_rng(seed))
    similarities, probabilities, flagged = {}, {}, {}
    for kind, pairs in (("random", random_pairs), ("near-topic", hard_pairs)):
        results = [r for r in twin.check_many(pairs) if r.scored]
        if not results:
            continue
        similarities[kind] = np.array([r.similarity for r in results], dtype=np.float64)
        if twin.calibration is not None:
            probabilities[kind] = np.array([r.mismatch_probability for r in results])
        flagged[kind] = float(np.mean(["low_similarity" in r.reasons for r in results]))
    return similarities, probabilities, flagged


def _score(article: Article) -> float:
    """Higher = more likely a mismatch: the calibrated probability, else minus the similarity."""
    result = article.result
    if result.mismatch_probability is not None:
        return result.mismatch_probability
    return -(result.similarity if result.similarity is not None else math.inf)


def _examples(articles: list[Article], n: int) -> tuple[list[Article], list[Article]]:
    """The n flags furthest past the decision, and n pairs nearest it from either side.

    Borderline pairs are the least suspicious pairs flagged for low similarity and the most
    suspicious ones left unflagged; pairs flagged by a rule alone are not near the cut-off.
    """
    scored = [a for a in articles if a.result.scored]
    confident = heapq.nlargest(n, (a for a in scored if a.result.is_mismatch), key=_score)
    shown = {id(a) for a in confident}
    near_flag = heapq.nsmallest(
        (n + 1) // 2,
        (a for a in scored if "low_similarity" in a.result.reasons and id(a) not in shown),
        key=_score,
    )
    near_clear = heapq.nlargest(
        n - len(near_flag), (a for a in scored if not a.result.is_mismatch), key=_score
    )
    return confident, sorted(near_flag + near_clear, key=_score, reverse=True)
