"""Read and write files of articles (JSONL, CSV, Parquet), streaming, one row at a time.

Readers never drop a record: a row that cannot be read comes back as a :class:`Row` with an
``error`` and its line number, so the caller decides whether to stop or to write an error row.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import errno
import gzip
import io
import json
import math
import os
import re
import stat
import sys
import tempfile
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, get_args

from headcheck.errors import HeadcheckError

Format = Literal["jsonl", "csv", "parquet"]
FORMATS: tuple[str, ...] = get_args(Format)
_SUFFIXES = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
#: Rows read from Parquet at a time; the reader never holds the whole file.
_PARQUET_BATCH = 1_024
#: Longest record read, in bytes: a JSONL line, or a CSV record with all its fields (the csv
#: module's own field limit, 128 KiB, is less than a long scraped page with its HTML). A longer
#: one is an error row, and memory stays bounded by it whatever the input holds.
MAX_RECORD_BYTES = 64 * 1024 * 1024
#: Bytes read at a time when a file is split into lines.
_BLOCK = 1024 * 1024
_LINE_END = re.compile(rb"\r\n|\r|\n")
#: Lone surrogates: what text decoded with errors="surrogateescape" holds for bytes that were
#: not UTF-8. They cannot be encoded as UTF-8, so writers escape or replace them.
_SURROGATE = re.compile("[\ud800-\udfff]")

try:  # an advisory lock keeps two runs from writing the same partial file (POSIX only)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class InputError(HeadcheckError):
    """A file that cannot be read, or a row that stops the run; says which file and line."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")
        self.path, self.line = path, line


class OutputError(InputError):
    """An output that cannot be written (no such folder, no permission, a full disk)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One input record, or the reason it could not be read. ``line`` is 1-based, in
    ``part`` when the input is a folder of part files (None: the input itself)."""

    line: int
    record: dict[str, Any] | None
    error: str | None = None
    part: str | None = None

    def where(self, source: str) -> str:
        """The file the row is in: its part file, else ``source``."""
        return self.part if self.part is not None else source


def detect_format(path: str, given: str | None = None, option: str = "--format") -> Format:
    """The format named by ``given``, else by the file's extension (``.gz`` is looked through)
    or, for a folder, by its part files'; JSONL for standard input and pipes without one.
    ``option`` is the option that names it, for the message when it cannot be told."""
    if given is not None:
        if given not in FORMATS:
            raise ValueError(f"unknown format {given!r}; valid formats: {', '.join(FORMATS)}")
        return given  # type: ignore[return-value]  # checked against FORMATS just above
    if path != "-" and os.path.isdir(path):
        check_input(path)  # a folder with no part files says so
        found = {_suffix_format(part) for part in part_files(path)}
        if len(found) == 1 and None not in found:
            return found.pop()  # type: ignore[return-value]  # not None, checked
        names = ", ".join(os.path.basename(p) for p in part_files(path)[:5]) or "none"
        raise ValueError(
            f"cannot tell the format of the part files in {path!r} (parts: {names}); they "
            f"must share one extension of {', '.join(sorted(_SUFFIXES))}, or name it with "
            f"{option} ({', '.join(FORMATS)})"
        )
    found_format = _suffix_format(path)
    if found_format is not None:
        return found_format
    if is_stream(path) or path.startswith(("/dev/", "/proc/")):
        return "jsonl"  # standard input or a pipe, as from <(zcat FILE): JSONL unless told
    raise ValueError(
        f"cannot tell the format of {path!r} from its extension; name it with {option} "
        f"({', '.join(FORMATS)}) or use one of {', '.join(sorted(_SUFFIXES))}"
    )


def _suffix_format(path: str) -> Format | None:
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    # Spark writes part-00000-<uuid>-c000.snappy.parquet: the last known suffix counts.
    if suffixes and suffixes[-1] in _SUFFIXES:
        return _SUFFIXES[suffixes[-1]]  # type: ignore[return-value]  # values are Formats
    return None


def _natural(name: str) -> list[Any]:
    """Sort key: digits compared as numbers (items-2 before items-10)."""
    return [int(piece) if piece.isdigit() else piece for piece in re.split(r"(\d+)", name)]


def part_files(folder: str) -> list[str]:
    """The part files of a folder of them (as Spark, datatrove or a Scrapy feed writes), in
    name order: its plain files, except hidden ones, names starting with ``_`` (``_SUCCESS``)
    and checksums (``.crc``)."""
    names = [
        name
        for name in os.listdir(folder)
        if not name.startswith((".", "_"))
        and not name.endswith(".crc")
        and os.path.isfile(os.path.join(folder, name))
    ]
    return [os.path.join(folder, name) for name in sorted(names, key=_natural)]


def is_stream(path: str) -> bool:
    """Whether ``path`` is read as a stream, once, from start to end: standard input, a pipe
    or FIFO (``/dev/stdin``, a shell's ``<(...)``), a terminal; not a regular file."""
    if path == "-":
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


def check_input(path: str) -> None:
    """Raise InputError unless ``path`` is something to read records from: a regular file,
    standard input ("-"), a pipe or FIFO."""
    if is_stream(path):
        return
    if not os.path.exists(path):
        raise InputError(path, "no such file")
    if os.path.isdir(path):
        if not part_files(path):
            raise InputError(
                path, "is a folder with no part files in it (hidden, _ and .crc files are skipped)"
            )
        return
    if not os.path.isfile(path):
        raise InputError(path, "not a regular file, a pipe or standard input")


class ReadMeter:
    """How far the reader is through its input, for a progress bar: ``total`` bytes on disk
    (None for a stream), and ``position``, the bytes read of them (compressed bytes for a
    .gz; read ahead of the rows written by at most a block of rows)."""

    def __init__(self, path: str) -> None:
        self.total: int | None = None
        if not is_stream(path):
            files = part_files(path) if os.path.isdir(path) else [path]
            self.total = sum(os.path.getsize(f) for f in files)
        self._base = 0
        self._current: Any = None

    def opened(self, raw: Any) -> None:
        self._current = raw

    def next_part(self, done: int) -> None:
        self._base, self._current = self._base + done, None

    @property
    def position(self) -> int:
        try:
            return self._base + (0 if self._current is None else int(self._current.tell()))
        except (OSError, ValueError):  # closed, or not seekable
            return self._base


def check_not_input(source: str, destination: str, option: str = "-o") -> None:
    """Raise InputError when the output ``destination`` is the input ``source`` itself (the
    same file, or a link to it) or lies inside an input folder: it would be overwritten
    before it is read, or read as one of its parts. Nothing has been written then."""
    if source == "-" or destination == "-" or is_stream(source):
        return
    try:
        same = os.path.samefile(source, destination)
    except OSError:  # the output does not exist yet
        same = False
    if same:
        raise InputError(
            destination,
            f"{option} is the input itself (or a link to it): it would be overwritten before "
            "it is read; write to another file",
        )
    if os.path.isdir(source):
        folder = os.path.realpath(source)
        if os.path.realpath(os.path.dirname(os.path.abspath(destination))) == folder:
            raise InputError(
                destination,
                f"{option} is inside the input folder {source}: it would be read as one of "
                "its parts next time; write it elsewhere",
            )


def _open_binary_in(path: str, meter: ReadMeter | None = None) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    # Closed by the reader's `finally`; a .gz is decompressed as it is read.
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the reader, or with the gzip file
    except OSError as exc:
        raise InputError(path, f"cannot open: {exc.strerror or exc}") from exc
    if meter is not None:
        meter.opened(raw)
    if path.lower().endswith(".gz"):
        return _ClosingGzip(raw, "rb")  # closes the raw file with it
    return raw


def read_rows(
    path: str,
    fmt: Format,
    *,
    max_record_bytes: int = MAX_RECORD_BYTES,
    delimiter: str | None = None,
    meter: ReadMeter | None = None,
) -> Iterator[Row]:
    """Yield every record of the file in order; unreadable ones carry an error.

    Each record of the input gives exactly one row, so the rows never outnumber the records: a
    JSONL line or a CSV record longer than ``max_record_bytes`` is one error row, read past
    in blocks (memory stays bounded whatever the line), and a line ends at ``\n``, ``\r\n``
    or a lone ``\r``. A JSONL file that is one JSON array is read element by element. A CSV
    file's ``delimiter`` (None) is told from its header line: the most frequent of
    :data:`DELIMITERS` outside quotes. A folder is read part file by part file, in name order
    (see :func:`part_files`), each row naming its part.
    """
    if max_record_bytes < 1:
        raise ValueError(f"max_record_bytes must be at least 1, got {max_record_bytes}")
    if delimiter is not None:
        check_delimiter(delimiter)
    if path != "-" and os.path.isdir(path):
        for part in part_files(path):
            rows = read_rows(
                part, fmt, max_record_bytes=max_record_bytes, delimiter=delimiter, meter=meter
            )
            for row in rows:
                yield Row(row.line, row.record, row.error, part)
            if meter is not None:
                meter.next_part(os.path.getsize(part))
        return
    if fmt == "jsonl":
        yield from _read_jsonl(path, max_record_bytes, meter)
    elif fmt == "csv":
        yield from _read_csv(path, max_record_bytes, delimiter, meter)
    else:
        yield from _read_parquet(path)


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


class _Prefixed:
    """A binary handle that gives ``prefix`` (bytes already read from it) first."""

    def __init__(self, prefix: bytes, handle: IO[bytes]) -> None:
        self.prefix, self.handle = prefix, handle

    def read(self, size: int = -1) -> bytes:
        if self.prefix:
            out, self.prefix = self.prefix, b""
            return out
        return self.handle.read(size)

    def read1(self, size: int = -1) -> bytes:
        if self.prefix:
            return self.read(size)
        return getattr(self.handle, "read1", self.handle.read)(size)


def _first_block(handle: IO[bytes]) -> bytes:
    return getattr(handle, "read1", handle.read)(_BLOCK)


def _too_long(limit: int) -> str:
    return f"longer than {limit:,} bytes (the --max-record-bytes limit); not read"


def _pieces(handle: IO[bytes]) -> Iterator[tuple[bytes, bool]]:
    """The bytes of ``handle`` in order, as pieces: a piece that ends a line (True: it ends
    with its line ending, or with the file) or a block of a line that goes on (False)."""
    read = getattr(handle, "read1", handle.read)  # read1: what is there, without waiting
    pending, open_line = b"", False
    while True:
        block = read(_BLOCK)
        if not block:
            if pending or open_line:
                yield pending, True
            return
        data = pending + block if pending else block
        start = 0
        for match in _LINE_END.finditer(data):
            if match.end() == len(data) and match.group() == b"\r":
                break  # the first half of a \r\n split across two blocks, maybe
            yield data[start : match.end()], True
            start, open_line = match.end(), False
        pending = data[start:]
        if len(pending) >= _BLOCK:  # a whole block without a line end: part of a long line
            cut = len(pending) - pending.endswith(b"\r")
            yield pending[:cut], False
            pending, open_line = pending[cut:], True


def _lines(handle: IO[bytes], limit: int) -> Iterator[bytes | None]:
    """Each line of ``handle`` with its ending; None for one longer than ``limit`` bytes,
    whose bytes are dropped as they are read."""
    parts: list[bytes] | None = []
    size = 0
    for piece, ends in _pieces(handle):
        size += len(piece)
        if parts is not None:
            if size > limit:
                parts = None
            else:
                parts.append(piece)
        if ends:
            yield None if parts is None else b"".join(parts)
            parts, size = [], 0


def _read_jsonl(path: str, limit: int, meter: ReadMeter | None = None) -> Iterator[Row]:
    handle = _open_binary_in(path, meter)
    number = 0
    try:
        first = _first_block(handle)
        if first.lstrip(b" \t\r\n").removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"["):
            yield from _read_json_array(path, _Prefixed(first, handle), limit)
            return
        for number, raw in enumerate(_lines(_Prefixed(first, handle), limit), start=1):
            if raw is None:
                yield Row(number, None, f"a line {_too_long(limit)}")
                continue
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]  # written by some Windows tools
            if not raw.strip():
                continue  # a blank line holds no record
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Row(number, None, f"invalid UTF-8 at byte {exc.start}")
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Row(number, None, f"invalid JSON: {exc.msg} (column {exc.colno})")
                continue
            except RecursionError:
                yield Row(number, None, "invalid JSON: nested too deeply to read")
                continue
            except ValueError as exc:  # e.g. an integer of more than 4,300 digits
                yield Row(number, None, f"invalid JSON: {exc}")
                continue
            if not isinstance(value, dict):
                yield Row(number, None, f"expected a JSON object, found {type(value).__name__}")
                continue
            yield Row(number, value)
    except (OSError, EOFError, zlib.error) as exc:  # a truncated or corrupt .gz
        raise InputError(
            path,
            f"cannot read past this line ({exc}); the lines before it were read. Is the "
            "file truncated? Recreate it, or scan what can be read: "
            "zcat FILE 2>/dev/null | headcheck scan -",
            number + 1,
        ) from exc
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def _read_json_array(path: str, handle: _Prefixed, limit: int) -> Iterator[Row]:
    """The elements of a file that is one JSON array, read block by block (each element
    bounded by ``limit``), each with the line it starts on. An element that is not an object
    is an error row; the array itself broken stops with InputError (no element after it can
    be found)."""
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8-sig")()
    text, pos, line, done = "", 0, 1, False

    def more() -> bool:
        nonlocal text, pos, done
        if done:
            return False
        block = handle.read1(_BLOCK)
        done = not block
        try:
            text = text[pos:] + utf8.decode(block, final=done)
        except UnicodeDecodeError as exc:
            raise InputError(path, "the JSON array is not valid UTF-8", line) from exc
        pos = 0
        return bool(block) or bool(text)

    def skip_space() -> str | None:
        """The next character that is not white space (None at the end), left unread."""
        nonlocal pos, line
        while True:
            stripped = len(text) - len(text[pos:].lstrip(" \t\r\n"))
            line += text.count("\n", pos, stripped)
            pos = stripped
            if pos < len(text):
                return text[pos]
            if not more():
                return None

    skip_space()
    pos += 1  # the opening [
    expect_value = True
    while True:
        char = skip_space()
        if char is None:
            raise InputError(path, "the JSON array is never closed (is the file truncated?)", line)
        if char == "]":
            pos += 1
            if skip_space() is not None:
                raise InputError(path, "text after the end of the JSON array", line)
            return
        if not expect_value:
            if char != ",":
                raise InputError(
                    path, f"invalid JSON array: expected , or ] but found {char!r}", line
                )
            pos += 1
            expect_value = True
            continue
        while True:
            try:
                value, end = decoder.raw_decode(text, pos)
                break
            except RecursionError:
                raise InputError(path, "invalid JSON: nested too deeply to read", line) from None
            except ValueError as exc:
                if len(text) - pos > limit:
                    raise InputError(
                        path, f"an element of the JSON array {_too_long(limit)}", line
                    ) from None
                if not more():
                    detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                    raise InputError(path, f"invalid JSON in the array: {detail}", line) from None
        start = line
        line += text.count("\n", pos, end)
        pos, expect_value = end, False
        if isinstance(value, dict):
            yield Row(start, value)
        else:
            yield Row(start, None, f"expected a JSON object, found {type(value).__name__}")


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
    handle: IO[bytes], limit: int, delimiter: bytes
) -> Iterator[tuple[int, int, bytes | None]]:
    """(first line, last line, bytes) of each CSV record, which may span lines inside
    quotes; None for a record longer than ``limit`` bytes. Blank lines are not records.

    A record's end is found before the csv module parses it, so a broken record is one
    error, never a stream re-read from its middle. A quote that is still open when the file
    ends closes nothing: its first line alone is the broken record (the csv module says so)
    and the lines after it are read again as records."""
    pieces: Iterator[tuple[bytes, bool]] = _pieces(handle)
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


def _read_csv(
    path: str, limit: int, delimiter: str | None = None, meter: ReadMeter | None = None
) -> Iterator[Row]:
    # Process-wide, as the csv module has no per-reader limit; a field is never longer than
    # its record, which is bounded by ``limit`` before the csv module sees it.
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)
    handle = _open_binary_in(path, meter)
    line = 1
    try:
        first = _first_block(handle)
        if delimiter is None:
            delimiter = detect_delimiter(_LINE_END.split(first, maxsplit=1)[0])
        records = _csv_records(_Prefixed(first, handle), limit, delimiter.encode())  # type: ignore[arg-type]  # reads like a handle
        header = _csv_header(path, records, limit, delimiter)
        for line, last, raw in records:
            if raw is None:
                yield Row(line, None, f"a record {_too_long(limit)}")
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
                if not value.isascii() and _SURROGATE.search(value)
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
        raise InputError(path, f"the header is {_too_long(limit)}", line)
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


def _read_parquet(path: str) -> Iterator[Row]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise InputError(
            path, "reading Parquet needs pyarrow: pip install 'headcheck[parquet]'"
        ) from exc
    try:
        if is_stream(path):  # Parquet is read from its end: a stream is read whole first
            with contextlib.ExitStack() as stack:
                stream = sys.stdin.buffer if path == "-" else stack.enter_context(open(path, "rb"))
                source: Any = pa.BufferReader(stream.read())
        else:
            source = path
        parquet = pq.ParquetFile(source)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(path, f"not a readable Parquet file: {exc}") from exc
    number = 0
    try:
        for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH):
            for record in batch.to_pylist():
                number += 1
                yield Row(number, record)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(path, f"cannot read past this row: {exc}", number + 1) from exc


#: Readable records a field must be absent from, all of them, before it is taken for a wrong
#: field name (a record that lacks a field the others have is a row flagged missing_*).
FIELD_CHECK_RECORDS = 100


class FieldError(InputError):
    """A field named by an option that none of the first records has."""


def closest_first(name: str, fields: list[str]) -> list[str]:
    """``fields`` ordered by how close each is to ``name`` (difflib's ratio, case ignored)."""
    from difflib import SequenceMatcher

    def distance(field: str) -> float:
        return -SequenceMatcher(None, name.lower(), field.lower()).ratio()

    return sorted(fields, key=distance)


def missing_fields(
    records: list[dict[str, Any]],
    fields: dict[str, str],
    kind: tuple[str, str] = ("record", "records"),
) -> str | None:
    """What to tell the user when a field named by an option (``{option: field}``) is in none
    of ``records`` (the first of a file or stream): the fields they have, closest first, and
    the option to name it with; None when every field is found (or there are no records)."""
    if not records:
        return None
    seen = list(dict.fromkeys(str(k) for record in records for k in record))
    for option, name in fields.items():
        if not any(name in record for record in records):
            have = ", ".join(repr(f) for f in closest_first(name, seen))
            first = kind[0] if len(records) == 1 else f"{len(records)} {kind[1]}"
            hint = ""
            if len(seen) == 1:
                glued = [d for d in DELIMITERS if d in seen[0]]
                if glued:  # one field holding the names: a CSV read with another delimiter
                    hint = f" (or the CSV delimiter: --delimiter {glued[0]!r})"
            return (
                f"no field {name!r} ({option}) in the first {first}, which have "
                f"{have or 'no fields'}; name the field with {option}{hint}"
            )
    return None


def check_fields(path: str, rows: Iterator[Row], fields: dict[str, str | None]) -> Iterator[Row]:
    """``rows``, unchanged, after checking that each named field (``{option: field}``, e.g.
    ``{"--title-field": "title"}``) is in at least one of the first
    :data:`FIELD_CHECK_RECORDS` readable records; raises FieldError naming the fields those
    records have, closest first, before any row is yielded."""
    wanted = {option: name for option, name in fields.items() if name is not None}
    head: list[Row] = []
    readable: list[dict[str, Any]] = []
    for row in rows:
        head.append(row)
        if row.record is not None:
            readable.append(row.record)
            if len(readable) >= FIELD_CHECK_RECORDS:
                break
    if readable:
        problem = missing_fields(readable, wanted)
        if problem is not None:
            raise FieldError(path, problem)
    yield from head
    yield from rows


# -- writers ---------------------------------------------------------------------------------


def clean_text(value: str) -> str:
    """``value`` with each lone surrogate replaced by U+FFFD, for formats that cannot escape it."""
    return value if value.isascii() else _SURROGATE.sub("\ufffd", value)


def _rebuild(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """A copy of ``value`` with ``leaf`` applied to every value that is not a dict, list or
    tuple, and to every string key; built without recursion, so nesting as deep as a JSON
    reader allows is fine."""
    if not isinstance(value, (dict, list, tuple)):
        return leaf(value)
    top: Any = {} if isinstance(value, dict) else []
    stack = [(value, top)]
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in items:
            if isinstance(item, (dict, list, tuple)):
                copy: Any = {} if isinstance(item, dict) else []
                stack.append((item, copy))
                item = copy
            else:
                item = leaf(item)
            if isinstance(target, dict):
                target[leaf(key) if isinstance(key, str) else key] = item
            else:
                target.append(item)
    return top


def _finite_leaf(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _finite(value: Any) -> Any:
    """A value with each NaN or infinity it holds replaced by None."""
    return _rebuild(value, _finite_leaf)


def _clean_leaf(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


def _clean(value: Any) -> Any:
    """A value with lone surrogates replaced in every string it holds (keys included)."""
    return _rebuild(value, _clean_leaf)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def output_error(path: str, exc: OSError) -> OutputError:
    """An OutputError that says, in a line, why ``path`` cannot be written."""
    if path == "-":
        return OutputError("standard output", f"cannot write: {exc.strerror or exc}")
    folder = os.path.dirname(os.path.abspath(path))
    if isinstance(exc, FileNotFoundError) and not os.path.isdir(folder):
        return OutputError(path, f"cannot write: the folder {folder} does not exist")
    if isinstance(exc, PermissionError):
        return OutputError(path, f"cannot write: no permission to write in {folder}")
    return OutputError(path, f"cannot write: {exc.strerror or exc}")


def create_partial(path: str) -> tuple[int, str]:
    """A new file beside ``path`` that its output is written to until complete:
    ``.NAME.<random>.partial``, created exclusively (an existing file or link of that name is
    never opened, so a link planted there cannot redirect the output), with the permissions a
    new ``path`` would get. Returns its descriptor and path."""
    folder, name = os.path.split(os.path.abspath(path))
    try:
        # mkstemp: O_CREAT | O_EXCL | O_NOFOLLOW, and a name that cannot be guessed.
        handle, partial = tempfile.mkstemp(prefix=f".{name}.", suffix=".partial", dir=folder)
    except OSError as exc:
        raise output_error(path, exc) from exc
    os.fchmod(handle, 0o666 & ~_umask())
    return handle, partial


def write_whole(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a new partial file beside it and a rename: a reader
    never sees half a file, and a failure leaves none (an OSError becomes an OutputError)."""
    descriptor, partial = create_partial(path)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(partial, path)
    except OSError as exc:
        raise output_error(path, exc) from exc
    finally:
        _remove(partial)


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


class Writer:
    """Writes records one at a time. A file is written under a new hidden name beside it
    (:func:`create_partial`) and renamed when ``close`` finishes it, so a failed or killed run
    never leaves a partial file under the real name; ``abort``, or a ``close`` that fails,
    removes the partial file.

    Plain (not gzipped) JSONL and CSV files can be resumed: while a run writes one it holds a
    lock on ``.NAME.lock`` beside it, :meth:`checkpoint` flushes the partial file and says how
    many bytes are safely written, and a later run given that partial file's name (which the
    checkpoint records) and ``resume_at`` truncates it to that point and appends from there.
    Parquet, gzip and standard output cannot (``resumable`` is False).
    """

    #: Whether this kind of writer can checkpoint and resume.
    resumable = False

    def __init__(
        self, path: str, *, resume_at: int | None = None, partial: str | None = None
    ) -> None:
        self.path = path
        self._lock: int | None = None
        self._fd: int | None = None
        if resume_at is not None and not self.resumable:
            raise InputError(path, f"{type(self).__name__} output cannot be resumed")
        if path == "-":
            self._target = path
            return
        if self.resumable:
            self._lock = _lock(path)
        try:
            if resume_at is None:
                self._fd, self._target = create_partial(path)
                if self.resumable:
                    _remove_stale_partials(path, keep=self._target)
            else:
                self._fd, self._target = _reopen_partial(path, partial)
        except BaseException:
            self._unlock()
            raise

    @property
    def partial(self) -> str:
        """Where the output is written until it is complete."""
        return self._target

    def write(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def checkpoint(self) -> int | None:
        """Flush what is written so far to the file and return its size in bytes: a point to
        resume from. None when there is no such point yet (or the writer cannot resume)."""
        return None

    def _finish(self) -> None:
        """Flush what is buffered and close the handle."""
        raise NotImplementedError

    def close(self) -> None:
        try:
            self._finish()
            if self._target != self.path:
                os.replace(self._target, self.path)
        except BaseException as exc:
            self._discard()
            if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
                raise output_error(self.path, exc) from exc
            raise
        self._unlock()

    def abort(self, *, keep: bool = False) -> None:
        """Close after a failure and remove the partial file (``keep``: leave it, to resume)."""
        # The run already failed; its error is the one to show, not one from closing.
        with contextlib.suppress(Exception):
            self._finish()
        if keep:
            self._unlock()
        else:
            self._discard()

    def _discard(self) -> None:
        if self._target != self.path:
            _remove(self._target)
        self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            _remove(_lock_path(self.path))
            os.close(self._lock)
            self._lock = None

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.close()
        else:
            # Interrupted by the user: keep the partial file, as a killed run would, to resume.
            self.abort(keep=exc_type is KeyboardInterrupt and self.resumable)

    def _binary(self) -> IO[bytes]:
        """The partial file (or standard output) opened for writing bytes."""
        if self._target == "-":
            return sys.stdout.buffer
        assert self._fd is not None
        handle = os.fdopen(self._fd, "ab")
        self._fd = None
        return handle

    def _open_text(self, resume_at: int | None) -> IO[str]:
        if self._target == "-":
            return sys.stdout
        raw = self._binary()
        if self.path.lower().endswith(".gz"):
            return io.TextIOWrapper(
                _ClosingGzip(raw), encoding="utf-8", newline="", write_through=False
            )
        if resume_at is None:
            raw.truncate(0)
        else:
            size = os.fstat(raw.fileno()).st_size
            if size < resume_at:
                raw.close()
                raise InputError(
                    self.path,
                    f"cannot resume: the partial file {self._target} holds {size} bytes, "
                    f"fewer than the {resume_at} its checkpoint recorded (was it changed?); "
                    "rerun without --resume to start over",
                )
            raw.truncate(resume_at)  # drops a torn last line and rows past the checkpoint
        return io.TextIOWrapper(raw, encoding="utf-8", newline="")

    def _close_text(self, handle: IO[str]) -> None:
        if handle is sys.stdout:
            handle.flush()
        else:
            handle.close()

    def _text_checkpoint(self, handle: IO[str]) -> int | None:
        if not self.resumable or self._target == "-" or handle.closed:
            return None
        handle.flush()
        return os.fstat(handle.fileno()).st_size


class _ClosingGzip(gzip.GzipFile):
    """A gzip stream that closes the file under it too (GzipFile leaves a given one open)."""

    def __init__(self, raw: IO[bytes], mode: str = "wb") -> None:
        super().__init__(fileobj=raw, mode=mode, filename="")
        self._raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def _lock_path(path: str) -> str:
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.lock")


def _lock(path: str) -> int:
    """Hold the lock of output ``path`` (``.NAME.lock``, never a link followed) for this run:
    two runs writing one output, or resuming one partial file, would interleave their rows."""
    target = _lock_path(path)
    try:
        handle = os.open(target, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OutputError(
                path, f"its lock file {target} is a symbolic link; remove it and run again"
            ) from exc
        raise output_error(path, exc) from exc
    if fcntl is not None:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(handle)
            raise OutputError(
                path,
                f"another run is writing this output right now (it holds {target}); wait "
                "for it or write elsewhere",
            ) from None
    return handle


def _remove_stale_partials(path: str, keep: str) -> None:
    """Remove partial files of ``path`` left by killed runs (this run holds its lock, so no
    other run writes them); only regular files of this user, never what a link points to."""
    folder, name = os.path.split(os.path.abspath(path))
    prefix = f".{name}."
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if (
                entry.name.startswith(prefix)
                and entry.name.endswith(".partial")
                and entry.path != keep
                and entry.is_file(follow_symlinks=False)
                and entry.stat(follow_symlinks=False).st_uid == os.getuid()
            ):
                _remove(entry.path)


def _reopen_partial(path: str, partial: str | None) -> tuple[int, str]:
    """Open a killed run's partial file of ``path`` (a name its checkpoint recorded) to append
    to it: only a regular file in the output's folder, never through a link."""
    folder, name = os.path.split(os.path.abspath(path))
    if (
        not partial
        or os.path.basename(partial) != partial
        or not partial.startswith(f".{name}.")
        or not partial.endswith(".partial")
    ):
        raise InputError(
            path,
            f"cannot resume: its checkpoint names no partial file of it ({partial!r}); rerun "
            "without --resume to start over",
        )
    target = os.path.join(folder, partial)
    try:
        handle = os.open(target, os.O_WRONLY | os.O_APPEND | _NOFOLLOW)
    except OSError as exc:
        raise InputError(
            path,
            f"cannot resume: its partial file {target} cannot be opened ({exc.strerror}); "
            "rerun without --resume to start over",
        ) from exc
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        raise InputError(
            path, f"cannot resume: {target} is not a regular file; rerun without --resume"
        )
    return handle, target


def _plain_file(path: str) -> bool:
    return path != "-" and not path.lower().endswith(".gz")


class JsonlWriter(Writer):
    """One JSON object a line. A lone surrogate is written as a ``\\udXXX`` escape, which any
    JSON reader turns back into the same string, so the record reads back unchanged."""

    def __init__(
        self, path: str, *, resume_at: int | None = None, partial: str | None = None
    ) -> None:
        self.resumable = _plain_file(path)
        super().__init__(path, resume_at=resume_at, partial=partial)
        self._handle = self._open_text(resume_at)

    def write(self, record: dict[str, Any]) -> None:
        try:
            line = json.dumps(record, ensure_ascii=False, default=str, allow_nan=False)
        except ValueError:  # NaN or an infinity, which JSON cannot hold: written as null
            record = _finite(record)
            line = json.dumps(record, ensure_ascii=False, default=str)
        if not line.isascii() and _SURROGATE.search(line):
            line = json.dumps(record, ensure_ascii=True, default=str)
        self._handle.write(line + "\n")

    def checkpoint(self) -> int | None:
        return self._text_checkpoint(self._handle)

    def _finish(self) -> None:
        self._close_text(self._handle)


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
        self.resumable = _plain_file(path)
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


class ParquetWriter(Writer):
    """Buffers rows and writes a row group at a time, so the file always reads back:

    - the columns named in ``column_types`` (the result fields) have those types whatever
      the rows hold ("double", "bool", "string");
    - every other column takes the Arrow type of its values in the first row group where
      Arrow can give them one that also reads back from Parquet; otherwise (mixed types, a
      map, nesting too deep for Parquet readers) it is a string column holding strings as
      they are and any other value as JSON. All-empty columns are strings;
    - a value in a later group that does not fit its column's type stops the run with an
      error naming the field (Parquet has one type a column), never a file that cannot be
      read. Lone surrogates become U+FFFD.
    """

    def __init__(
        self,
        path: str,
        *,
        rows_per_group: int = 10_000,
        column_types: dict[str, str] | None = None,
    ) -> None:
        try:
            import pyarrow  # noqa: F401 - only checks that the extra is installed
        except ImportError as exc:
            raise InputError(
                path, "writing Parquet needs pyarrow: pip install 'headcheck[parquet]'"
            ) from exc
        super().__init__(path)
        self._rows: list[dict[str, Any]] = []
        self._rows_per_group = rows_per_group
        self._fixed = dict(column_types or {})
        self._writer: Any = None
        self._schema: Any = None
        self._written = 0
        self._sink: IO[bytes] | None = None

    def write(self, record: dict[str, Any]) -> None:
        self._rows.append(_clean(record))
        if len(self._rows) >= self._rows_per_group:
            self._flush()

    def _start(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        names = list(dict.fromkeys(k for record in self._rows for k in record))
        fields = []
        for name in names:
            if name in self._fixed:
                kind = pa.type_for_alias(self._fixed[name])
            else:
                kind = _arrow_type([record.get(name) for record in self._rows]) or pa.string()
            fields.append(pa.field(name, kind))
        self._schema = pa.schema(fields)
        self._sink = self._binary()
        self._writer = pq.ParquetWriter(self._sink, self._schema)

    def _flush(self) -> None:
        import pyarrow as pa

        if not self._rows and self._writer is not None:
            return
        if self._schema is None:
            self._start()
        known = set(self._schema.names)
        for record in self._rows:
            extra = [k for k in record if k not in known]
            if extra:
                raise InputError(
                    self.path,
                    f"a record has field(s) {extra} that the first "
                    "row group lacked; write JSONL instead",
                )
        columns = []
        for field in self._schema:
            values = [record.get(field.name) for record in self._rows]
            if pa.types.is_string(field.type) and field.name not in self._fixed:
                values = [_as_string(v) for v in values]
            try:
                columns.append(pa.array(values, type=field.type))
            except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
                misfits = (v for v in values if v is not None and not _fits(v, field.type))
                found = type(next(misfits, None)).__name__
                raise InputError(
                    self.path,
                    f"field {field.name!r} holds {field.type} values in the first row group "
                    f"and a {found} after row {self._written:,} ({exc}); a Parquet column has "
                    "one type: write JSONL or CSV instead",
                ) from exc
        self._writer.write_table(pa.Table.from_arrays(columns, schema=self._schema))
        self._written += len(self._rows)
        self._rows = []

    def _finish(self) -> None:
        try:
            self._flush()
        finally:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            if self._sink is not None and self._sink is not sys.stdout.buffer:
                self._sink.close()
        if self._target == "-":
            sys.stdout.buffer.flush()


def _as_string(value: Any) -> str | None:
    """A value for a string column: a string as it is, anything else as JSON."""
    if value is None or isinstance(value, str):
        return value
    return clean_text(json.dumps(value, ensure_ascii=False, default=str))


def _fits(value: Any, kind: Any) -> bool:
    import pyarrow as pa

    try:
        pa.array([value], type=kind)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return False
    return True


def _arrow_type(values: list[Any]) -> Any:
    """The Arrow type of a column's values, if they have one that Parquet writes and reads
    back; None when they do not (mixed types, maps, nesting too deep, empty structs)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    present = [v for v in values if v is not None]
    if all(isinstance(v, str) for v in present):
        return pa.string()
    try:
        kind = pa.array(present).type
    except (pa.ArrowException, TypeError, ValueError, OverflowError, RecursionError):
        return None
    if pa.types.is_null(kind):
        return pa.string()
    if pa.types.is_nested(kind):
        # Arrow builds types that Parquet cannot store, or stores and cannot read back.
        try:
            sink = pa.BufferOutputStream()
            pq.write_table(pa.table({"v": pa.array(present, type=kind)}), sink)
            pq.read_table(pa.BufferReader(sink.getvalue()))
        except (pa.ArrowException, OSError, TypeError, ValueError, OverflowError, RecursionError):
            return None
    return kind


def can_resume(path: str, fmt: Format) -> bool:
    """Whether output to ``path`` in ``fmt`` can be checkpointed and resumed."""
    return fmt in ("jsonl", "csv") and _plain_file(path)


def open_writer(
    path: str,
    fmt: Format,
    *,
    resume_at: int | None = None,
    fields: list[str] | None = None,
    partial: str | None = None,
    column_types: dict[str, str] | None = None,
) -> Writer:
    """A writer for ``path``; ``resume_at`` (with the CSV header as ``fields``) continues the
    ``partial`` file (its name, as :attr:`Writer.partial` gave it) from a checkpoint instead
    of starting afresh. ``column_types`` fixes the Parquet types of some columns."""
    if fmt == "jsonl":
        return JsonlWriter(path, resume_at=resume_at, partial=partial)
    if fmt == "csv":
        return CsvWriter(path, resume_at=resume_at, fields=fields, partial=partial)
    if resume_at is not None:
        raise InputError(path, "Parquet output cannot be resumed")
    return ParquetWriter(path, column_types=column_types)
