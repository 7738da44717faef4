"""Check a file of articles: one output row per input row, in input order."""

from __future__ import annotations

import os
import time
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing
from itertools import chain, islice
from typing import Any

from headcheck.detector import Detector
from headcheck.io.fields import check_fields
from headcheck.io.formats import (
    Format,
    InputError,
    ReadMeter,
    Row,
    check_input,
    check_not_input,
    is_stream,
)
from headcheck.io.partial import output_error
from headcheck.io.readers import read_rows
from headcheck.io.writers import can_resume, open_writer
from headcheck.result import (
    EVIDENCE_FIELD,
    MISMATCH_FIELD,
    REASON_FIELD,
    RESULT_TYPES,
    SIMILARITY_FIELD,
    SUGGESTION_ID_FIELD,
    UNREADABLE,
    CheckResult,
    result_fields,
)
from headcheck.run import resume as checkpoints
from headcheck.run.settings import ScanOptions, ScanStats


def scan_rows(
    rows: Iterable[Row],
    detector: Detector,
    options: ScanOptions,
    stats: ScanStats,
    *,
    source: str = "-",
    on_batch: Callable[[], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Score rows in batches and yield output records, updating ``stats`` as it goes.

    An unreadable row raises :class:`InputError` (``on_error="fail"``) or becomes an error row
    whose reason is ``unreadable_record`` and whose evidence is the problem. ``on_batch`` is
    called once the records of a batch have all been taken (a point to checkpoint at).
    """
    started = time.perf_counter()
    earlier = stats.seconds  # time spent before a resumed run
    iterator = iter(rows)
    # Chunks read but not yet written: the checker may run a few chunks ahead of the writer.
    waiting: deque[list[Row]] = deque()

    def pairs() -> Iterator[list[tuple[Any, Any]]]:
        while chunk := list(islice(iterator, detector.chunk_size)):
            waiting.append(chunk)
            yield [
                (row.record.get(options.title_field), row.record.get(options.text_field))
                for row in chunk
                if row.record is not None
            ]

    # A context decision reads rows as a corpus: those it decides alone are counted.
    corpus_wanted = getattr(detector, "context", None) is not None
    workers = options.workers
    if workers > 1:
        # Workers pay off only past one chunk (each chunk is checked whole by one of them,
        # and each loads its own model): an input that fits in one is checked here.
        first = list(islice(iterator, detector.chunk_size))
        after = list(islice(iterator, 1))
        iterator = chain(first, after, iterator)
        if not after:
            workers = 1
    if workers > 1:
        from headcheck.run.parallel import check_chunks

        checked = check_chunks(pairs(), detector.options(), workers=workers)
    else:
        checked = _each_chunk(detector, pairs())
    # Closed however the loop ends (an unreadable row, a consumer that stops early): a pool of
    # workers is shut down then, not left waiting for chunks that never come.
    with closing(checked):
        for chunk_results in checked:
            chunk = waiting.popleft()
            readable = [row for row in chunk if row.record is not None]
            results = iter(chunk_results)
            for row in chunk:
                if row.record is None:
                    if options.on_error == "fail":
                        raise InputError(
                            row.where(source),
                            f"{row.error} (pass --on-error skip to write an error row and go on)",
                            row.line,
                        )
                    fields: dict[str, Any] = {
                        SIMILARITY_FIELD: None,
                        MISMATCH_FIELD: True,
                        REASON_FIELD: UNREADABLE,
                        EVIDENCE_FIELD: (
                            f"line {row.line}: {row.error}"
                            if row.part is None
                            else f"{os.path.basename(row.part)} line {row.line}: {row.error}"
                        ),
                    }
                    record: dict[str, Any] = {}
                    stats.add((UNREADABLE,), scored=False)
                else:
                    result = next(results)
                    fields = result_fields(result)
                    record = row.record
                    stats.add(
                        result.reasons,
                        scored=result.scored,
                        cheap=result.stage == "cheap",
                        alone=corpus_wanted and result.stage == "model",
                    )
                stats.seconds = earlier + time.perf_counter() - started
                if options.only_flagged and not fields[MISMATCH_FIELD]:
                    continue
                if options.id_field is not None:
                    at = None if row.record is None else result.suggestion_position
                    fields[SUGGESTION_ID_FIELD] = (
                        None if at is None else readable[at].record.get(options.id_field)  # type: ignore[union-attr]  # readable rows have records
                    )
                    yield {options.id_field: record.get(options.id_field), **fields}
                else:
                    yield {**record, **fields}
            if on_batch is not None:
                on_batch()


def scan_file(
    source: str,
    destination: str,
    *,
    detector: Detector,
    options: ScanOptions,
    input_format: Format,
    output_format: Format,
    progress: Callable[[int], None] | None = None,
    resume: bool = False,
    meter: ReadMeter | None = None,
) -> ScanStats:
    """Check every record of ``source`` and write the results to ``destination`` ("-": stdio).

    Output to a plain JSONL or CSV file from an input file is checkpointed as it goes (see
    :mod:`headcheck.run.resume`); with ``resume`` a run killed before it finished continues from
    its last checkpoint (or starts afresh when there is none), giving the same output.
    ``meter`` (:class:`~headcheck.io.formats.ReadMeter`) follows how far the input has been read.
    """
    check_input(source)
    check_not_input(source, destination)
    resumable = not is_stream(source) and can_resume(destination, output_format)
    if resume and not resumable:
        raise InputError(
            destination,
            "--resume needs an input file and a plain JSONL or CSV output file; standard "
            "input, a pipe, standard output, Parquet and .gz output cannot be resumed "
            "(rerun without --resume)",
        )
    run = _run_fingerprint(source, detector, options, input_format, output_format)
    point = checkpoints.load(destination, run) if resume else None
    stats = ScanStats()
    rows: Iterable[Row] = check_fields(
        source,
        read_rows(
            source,
            input_format,
            max_record_bytes=options.max_record_bytes,
            delimiter=options.delimiter,
            meter=meter,
        ),
        {
            "--title-field": options.title_field,
            "--text-field": options.text_field,
            "--id-field": options.id_field,
        },
    )
    if point is not None:
        counts = point.counts
        stats = ScanStats(
            checked=counts["checked"],
            flagged=counts["flagged"],
            skipped=counts["skipped"],
            reasons=Counter(counts["reasons"]),
            seconds=counts["seconds"],
            cheap=counts.get("cheap", 0),
            alone=counts.get("alone", 0),
            resumed=point.rows,
        )
        rows = islice(rows, point.rows, None)
    writer = open_writer(
        destination,
        output_format,
        resume_at=None if point is None else point.size,
        fields=None if point is None else point.fields,
        partial=None if point is None else point.partial,
        column_types=RESULT_TYPES,
    )
    if resumable and point is None:
        checkpoints.remove(destination)  # a killed earlier run's, now overwritten
    last = time.monotonic()

    def checkpoint() -> None:
        nonlocal last
        if not resumable or time.monotonic() - last < checkpoints.CHECKPOINT_SECONDS:
            return
        size = writer.checkpoint()
        if size is None:
            return
        counts = {
            "checked": stats.checked,
            "flagged": stats.flagged,
            "skipped": stats.skipped,
            "reasons": dict(stats.reasons),
            "seconds": stats.seconds,
            "cheap": stats.cheap,
            "alone": stats.alone,
        }
        fields = getattr(writer, "fields", None)
        checkpoints.save(
            destination,
            checkpoints.Checkpoint(
                run, stats.checked, size, fields, counts, os.path.basename(writer.partial)
            ),
        )
        last = time.monotonic()

    try:
        for record in scan_rows(rows, detector, options, stats, source=source, on_batch=checkpoint):
            try:
                writer.write(record)
            except OSError as exc:  # a full disk, a file too large
                if isinstance(exc, BrokenPipeError):
                    raise
                raise output_error(destination, exc) from exc
            if progress is not None:
                progress(stats.checked)
    except BaseException as exc:
        # Interrupted by the user: keep the partial output and its checkpoint, to resume.
        keep = resumable and isinstance(exc, KeyboardInterrupt)
        writer.abort(keep=keep)
        if resumable and not keep:
            checkpoints.remove(destination)
        raise
    writer.close()
    if resumable:
        checkpoints.remove(destination)
    return stats


def _run_fingerprint(
    source: str,
    detector: Detector,
    options: ScanOptions,
    input_format: Format,
    output_format: Format,
) -> dict[str, Any]:
    """What a resumed run must share with the run that wrote the partial output."""
    return {
        "input": None if is_stream(source) else checkpoints.input_fingerprint(source),
        "input_format": input_format,
        "output_format": output_format,
        "options": {
            "title_field": options.title_field,
            "text_field": options.text_field,
            "id_field": options.id_field,
            "only_flagged": options.only_flagged,
            "on_error": options.on_error,
            "max_record_bytes": options.max_record_bytes,
            "delimiter": options.delimiter,
        },
        "detector": checkpoints.detector_fingerprint(detector),
    }


def _each_chunk(
    detector: Any, chunks: Iterable[list[tuple[Any, Any]]]
) -> Generator[list[CheckResult], None, None]:
    """The results of each chunk of pairs, checked in this process as they are asked for."""
    for pairs in chunks:
        yield list(detector.check_many(pairs))
