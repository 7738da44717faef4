"""CSV: the delimiter, records that span lines, reading and writing."""

from __future__ import annotations

import codecs
import csv
import json
import re
import sys
import zlib
from collections.abc import Generator, Iterator
from typing import Any

from headcheck.io.formats import InputError, ReadMeter, Row
from headcheck.io.lines import (
    LINE_END,
    Binary,
    Prefixed,
    first_block,
    line_pieces,
    open_binary,
    too_long,
)
from headcheck.io.partial import plain_file
from headcheck.io.writer import SURROGATE, Writer, clean_text

#: The CSV delimiters told apart from a header line, and accepted by ``--delimiter``.
DELIMITERS = (",", ";", "\t", "|")


def check_delimiter(delimiter: str) -> str:
    """``delimiter`` checked: one character, not a quote or a line end."""
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
        raise ValueError(
            f"the CSV delimiter must be one character other than a quote or a line end, got "
            f"{delimiter!r} (e.g. ',', ';', '|', or a tab: $'\\t' in bash)"
        )
    return delimiter


def detect_delimiter(header: bytes) -> str:
    """The delimiter of a CSV header line: of :data:`DELIMITERS`, the one found most often
    outside quoted fields; a comma when there is none (a file of one column)."""
    bare = re.sub(rb'"(?:[^"]|"")*"?', b"", header)
    counts = {d: bare.count(d.encode()) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties go to the first: the comma
    return best if counts[best] else ","


#: The body of a quoted CSV field: up to its closing quote, or to the end of the text.
_QUOTED = re.compile(rb'(?:[^"]+|"")*')


def _open_quote_after(line: bytes, inside: bool, delimiter: bytes) -> bool:
    """Whether a CSV record is inside a quoted field after ``line``, given whether it was
    before it (the csv module's rules: a quote opens a field only as its first character,
    ``""`` inside one is a quote, a lone one closes it)."""
    pos, end = 0, len(line)
    while True:
        if inside:
            stop = _QUOTED.match(line, pos).end()  # type: ignore[union-attr]  # always matches
            if stop >= end:
                return True
            inside = False
            pos = line.find(delimiter, stop + 1)  # what follows the closing quote
            if pos < 0:
                return False
            pos += 1
        if line.startswith(b'"', pos):
            inside, pos = True, pos + 1
            continue
        pos = line.find(delimiter, pos)
        if pos < 0:
            return False
        pos += 1


def _csv_records(
    handle: Binary, limit: int, delimiter: bytes
) -> Iterator[tuple[int, int, bytes | None]]:
    """(first line, last line, bytes) of each CSV record, which may span lines inside
    quotes; None for a record longer than ``limit`` bytes. Blank lines are not records.

    A record's end is found before the csv module parses it, so a broken record is one
    error, never a stream re-read from its middle. A quote that is still open when the file
    ends closes nothing: its first line alone is the broken record (the csv module says so)
    and the lines after it are read again as records."""
    pieces: Iterator[tuple[bytes, bool]] = line_pieces(handle)
    first = 1
    while True:
        unclosed = yield from _split_records(pieces, first, limit, delimiter)
        if unclosed is None:
            return
        first, lines = unclosed
        yield first, first, lines[0]
        pieces, first = iter([(line, True) for line in lines[1:]]), first + 1


def _split_records(
    pieces: Iterator[tuple[bytes, bool]], number: int, limit: int, delimiter: bytes
) -> Generator[tuple[int, int, bytes | None], None, tuple[int, list[bytes]] | None]:
    """The records of ``pieces``, whose first line is ``number``. Returns (first line, lines)
    of a last record left inside a quoted field when the pieces end (past the limit, it is
    yielded as too long instead)."""
    record: list[bytes] | None = []
    line: list[bytes] = []
    size, inside, first = 0, False, number
    number -= 1
    for piece, ends in pieces:
        size += len(piece)
        if record is None:  # past the limit: only the quotes' parity is followed now
            inside ^= piece.count(b'"') % 2 == 1
        elif size > limit:
            inside = _open_quote_after(b"".join([*line, piece]), inside, delimiter)
            record, line = None, []
        else:
            line.append(piece)
        if not ends:
            continue
        number += 1
        if record is not None:
            text = b"".join(line)
            line = []
            inside = _open_quote_after(text, inside, delimiter)
            record.append(text)
        if inside:
            continue  # a quoted field goes on over the line end
        if record is None:
            yield first, number, None
        elif len(record) > 1 or record[0].strip(b"\r\n"):
            yield first, number, b"".join(record)
        record, size, first = [], 0, number + 1
    if record is None:
        yield first, number, None
    elif record:
        return first, record
    return None


def read_csv(
    path: str, limit: int, delimiter: str | None = None, meter: ReadMeter | None = None
) -> Iterator[Row]:
    # Process-wide, as the csv module has no per-reader limit; a field is never longer than
    # its record, which is bounded by ``limit`` before the csv module sees it.
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)
    handle = open_binary(path, meter)
    line = 1
    try:
        first = first_block(handle)
        if delimiter is None:
            delimiter = detect_delimiter(LINE_END.split(first, maxsplit=1)[0])
        records = _csv_records(Prefixed(first, handle), limit, delimiter.encode())
        header = _csv_header(path, records, limit, delimiter)
        for line, last, raw in records:
            if raw is None:
                yield Row(line, None, f"a record {too_long(limit)}")
                continue
            # Bytes that are not UTF-8 become lone surrogates, so the row that holds them can
            # be named (and skipped) rather than the whole file failing.
            text = raw.decode("utf-8", errors="surrogateescape")
            try:
                # strict: a stray quote is an error, not fields silently merged.
                fields = next(csv.reader([text], delimiter=delimiter, strict=True))
            except csv.Error as exc:
                problem = f"malformed CSV: {exc}"
                if "unexpected end of data" in str(exc):
                    problem += " (a quoted field that starts here is never closed)"
                elif last > line:  # one record by its quotes, so one error for all its lines
                    problem += f" (in the record of lines {line}-{last}, read as one by its quotes)"
                yield Row(line, None, problem)
                continue
            if len(fields) > len(header):
                yield Row(line, None, "more fields than the header names")
                continue
            bad = [
                name
                for name, value in zip(header, fields, strict=False)
                if not value.isascii() and SURROGATE.search(value)
            ]
            if bad:
                yield Row(line, None, f"invalid UTF-8 in field(s) {', '.join(bad)}")
                continue
            record: dict[str, Any] = dict(zip(header, fields, strict=False))
            for name in header[len(fields) :]:
                record.setdefault(name, None)  # a short row: the fields it lacks are empty
            yield Row(line, record)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(
            path,
            f"cannot read past this line ({exc}); the lines before it were read. Is the file "
            "truncated? Recreate it",
            line + 1,
        ) from exc
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def _csv_header(
    path: str, records: Iterator[tuple[int, int, bytes | None]], limit: int, delimiter: str
) -> list[str]:
    first = next(records, None)
    if first is None:
        return []
    line, _, raw = first
    if raw is None:
        raise InputError(path, f"the header is {too_long(limit)}", line)
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]  # written by some Windows tools
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(
            path, "the header is not valid UTF-8; save the file as UTF-8", line
        ) from None
    try:
        return next(csv.reader([text], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise InputError(path, f"malformed CSV header: {exc}", line) from exc


def _cell(value: Any) -> Any:
    """A CSV cell: nested values as JSON, None as an empty cell, lone surrogates as U+FFFD."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, str):
        return clean_text(value)
    return value


class CsvWriter(Writer):
    """CSV needs one header: it is the union of the fields of the first ``header_rows`` records
    (held back until then), and a later record with a field the header lacks is an error
    rather than a silently dropped value. A resumed file passes its header as ``fields``."""

    def __init__(
        self,
        path: str,
        *,
        header_rows: int = 1_000,
        resume_at: int | None = None,
        fields: list[str] | None = None,
        partial: str | None = None,
    ) -> None:
        self.resumable = plain_file(path)
        if resume_at is not None and not fields:
            raise ValueError("resuming a CSV file needs its header fields")
        super().__init__(path, resume_at=resume_at, partial=partial)
        self._handle = self._open_text(resume_at)
        self._header_rows = header_rows
        self._pending: list[dict[str, Any]] = []
        self._writer: csv.DictWriter[str] | None = None
        if resume_at is not None:
            self._writer = csv.DictWriter(self._handle, fieldnames=fields or [], restval="")

    @property
    def fields(self) -> list[str] | None:
        """The header, once it is written."""
        return None if self._writer is None else list(self._writer.fieldnames)

    def write(self, record: dict[str, Any]) -> None:
        if self._writer is None:
            self._pending.append(record)
            if len(self._pending) >= self._header_rows:
                self._start()
            return
        self._write(record)

    def _start(self) -> None:
        fields = list(dict.fromkeys(clean_text(k) for record in self._pending for k in record))
        self._writer = csv.DictWriter(self._handle, fieldnames=fields, restval="")
        self._writer.writeheader()
        pending, self._pending = self._pending, []
        for record in pending:
            self._write(record)

    def _write(self, record: dict[str, Any]) -> None:
        assert self._writer is not None
        row = {clean_text(k): _cell(v) for k, v in record.items()}
        extra = [k for k in row if k not in self._writer.fieldnames]
        if extra:
            raise InputError(
                self.path,
                f"a record has field(s) {extra} that the first {self._header_rows} records "
                "lacked, and a CSV file has one header; write JSONL or Parquet instead, or "
                "pass --id-field to write only the id and the results",
            )
        self._writer.writerow(row)

    def checkpoint(self) -> int | None:
        if self._writer is None:
            return None  # rows are held back until the header is known
        return self._text_checkpoint(self._handle)

    def _finish(self) -> None:
        if self._writer is None and self._pending:
            self._start()
        self._close_text(self._handle)
