"""Check a file of articles: one output row per input row, in input order."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Literal, get_args

from headcheck.detector import Detector
from headcheck.io import Format, InputError, Row, open_writer, read_rows
from headcheck.result import (
    EVIDENCE_FIELD,
    MISMATCH_FIELD,
    REASON_FIELD,
    SIMILARITY_FIELD,
    result_fields,
)

OnError = Literal["fail", "skip"]
ON_ERROR: tuple[str, ...] = get_args(OnError)
#: Reason written on the error row of a record that could not be read (with --on-error skip).
UNREADABLE = "unreadable_record"


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """How records map to pairs and what is written back."""

    title_field: str = "title"
    text_field: str = "text"
    #: When set, output rows hold only this field and the result fields (to join back on).
    id_field: str | None = None
    only_flagged: bool = False
    on_error: OnError = "fail"
    #: Processes that check in parallel (1: in this process).
    workers: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"workers must be a positive integer, got {self.workers!r}")
        if self.on_error not in ON_ERROR:
            raise ValueError(
                f"on_error must be one of {', '.join(ON_ERROR)}, got {self.on_error!r}"
            )


@dataclass(slots=True)
class ScanStats:
    """Counts kept while a scan runs (mutable on purpose: it is filled as rows go by)."""

    checked: int = 0
    flagged: int = 0
    #: Records that could not be scored (an input reason, or unreadable).
    skipped: int = 0
    #: Flagged records by reason; a record flagged for several reasons counts under each.
    reasons: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    #: Records the cascade's cheap stage decided without the transformer.
    cheap: int = 0

    def add(self, reasons: tuple[str, ...], *, scored: bool, cheap: bool = False) -> None:
        self.checked += 1
        self.skipped += not scored
        self.cheap += cheap
        if reasons:
            self.flagged += 1
            self.reasons.update(reasons)

    @property
    def mismatch_rate(self) -> float:
        return self.flagged / self.checked if self.checked else 0.0

    @property
    def per_second(self) -> float:
        return self.checked / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """One line: checked, flagged with its reasons, skipped, rate and speed."""
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(self.reasons.items()))
        return (
            f"checked {self.checked}, flagged {self.flagged} ({self.mismatch_rate:.1%})"
            + (f" [{reasons}]" if reasons else "")
            + f", skipped {self.skipped}"
            + (f", {self.cheap / self.checked:.0%} by the cheap stage" if self.cheap else "")
            + f", {self.per_second:.1f} articles/s in {self.seconds:.1f} s"
        )


def scan_rows(
    rows: Iterable[Row],
    detector: Detector,
    options: ScanOptions,
    stats: ScanStats,
    *,
    source: str = "-",
) -> Iterator[dict[str, Any]]:
    """Score rows in batches and yield output records, updating ``stats`` as it goes.

    An unreadable row raises :class:`InputError` (``on_error="fail"``) or becomes an error row
    whose reason is ``unreadable_record`` and whose evidence is the problem.
    """
    started = time.perf_counter()
    iterator = iter(rows)
    # Chunks read but not yet written: the checker may run a few chunks ahead of the writer.
    waiting: deque[list[Row]] = deque()

    def pairs() -> Iterator[list[tuple[Any, Any]]]:
        while chunk := list(islice(iterator, detector.batch_size)):
            waiting.append(chunk)
            yield [
                (row.record.get(options.title_field), row.record.get(options.text_field))
                for row in chunk
                if row.record is not None
            ]

    if options.workers > 1:
        from headcheck.parallel import check_chunks

        checked = check_chunks(pairs(), detector.options(), workers=options.workers)
    else:
        checked = (list(detector.check_many(chunk_pairs)) for chunk_pairs in pairs())
    for chunk_results in checked:
        chunk = waiting.popleft()
        results = iter(chunk_results)
        for row in chunk:
            if row.record is None:
                if options.on_error == "fail":
                    raise InputError(
                        source,
                        f"{row.error} (pass --on-error skip to write an error row and go on)",
                        row.line,
                    )
                fields: dict[str, Any] = {
                    SIMILARITY_FIELD: None,
                    MISMATCH_FIELD: True,
                    REASON_FIELD: UNREADABLE,
                    EVIDENCE_FIELD: f"line {row.line}: {row.error}",
                }
                record: dict[str, Any] = {}
                stats.add((UNREADABLE,), scored=False)
            else:
                result = next(results)
                fields = result_fields(result)
                record = row.record
                stats.add(result.reasons, scored=result.scored, cheap=result.stage == "cheap")
            stats.seconds = time.perf_counter() - started
            if options.only_flagged and not fields[MISMATCH_FIELD]:
                continue
            if options.id_field is not None:
                yield {options.id_field: record.get(options.id_field), **fields}
            else:
                yield {**record, **fields}


def scan_file(
    source: str,
    destination: str,
    *,
    detector: Detector,
    options: ScanOptions,
    input_format: Format,
    output_format: Format,
    progress: Callable[[int], None] | None = None,
) -> ScanStats:
    """Check every record of ``source`` and write the results to ``destination`` ("-": stdio)."""
    if source != "-" and not Path(source).is_file():
        raise InputError(source, "no such file")
    stats = ScanStats()
    rows = read_rows(source, input_format)
    with open_writer(destination, output_format) as writer:
        for record in scan_rows(rows, detector, options, stats, source=source):
            writer.write(record)
            if progress is not None:
                progress(stats.checked)
    return stats
