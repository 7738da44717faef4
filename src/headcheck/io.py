"""Read and write files of articles (JSONL, CSV, Parquet), streaming, one row at a time.

Readers never drop a record: a row that cannot be read comes back as a :class:`Row` with an
``error`` and its line number, so the caller decides whether to stop or to write an error row.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, get_args

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
#: Largest CSV field read (the csv module's default is 128 KiB, less than a long scraped page
#: with its HTML): a bigger one is an error naming the line rather than a crash.
CSV_FIELD_LIMIT = 64 * 1024 * 1024
#: Lone surrogates: what text decoded with errors="surrogateescape" holds for bytes that were
#: not UTF-8. They cannot be encoded as UTF-8, so writers escape or replace them.
_SURROGATE = re.compile("[\ud800-\udfff]")

try:  # an advisory lock keeps two runs from writing the same partial file (POSIX only)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class InputError(Exception):
    """A file that cannot be read, or a row that stops the run; says which file and line."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")
        self.path, self.line = path, line


@dataclass(frozen=True, slots=True)
class Row:
    """One input record, or the reason it could not be read. ``line`` is 1-based."""

    line: int
    record: dict[str, Any] | None
    error: str | None = None


def detect_format(path: str, given: str | None = None) -> Format:
    """The format named by ``given``, else by the file's extension (``.gz`` is looked through)."""
    if given is not None:
        if given not in FORMATS:
            raise ValueError(f"unknown format {given!r}; valid formats: {', '.join(FORMATS)}")
        return given  # type: ignore[return-value]  # checked against FORMATS just above
    if path == "-":
        return "jsonl"
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    if suffixes and suffixes[-1] in _SUFFIXES:
        return _SUFFIXES[suffixes[-1]]  # type: ignore[return-value]  # values are Formats
    raise ValueError(
        f"cannot tell the format of {path!r} from its extension; name it with --format "
        f"({', '.join(FORMATS)}) or use one of {', '.join(sorted(_SUFFIXES))}"
    )


def _open_binary_in(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    # Closed by the reader's `finally`; a .gz is decompressed as it is read.
    opener: Any = gzip.open if path.lower().endswith(".gz") else open
    try:
        return opener(path, "rb")  # type: ignore[no-any-return]
    except OSError as exc:
        raise InputError(path, f"cannot open: {exc.strerror or exc}") from exc


def read_rows(path: str, fmt: Format) -> Iterator[Row]:
    """Yield every record of the file in order; unreadable ones carry an error."""
    if fmt == "jsonl":
        yield from _read_jsonl(path)
    elif fmt == "csv":
        yield from _read_csv(path)
    else:
        yield from _read_parquet(path)


def _read_jsonl(path: str) -> Iterator[Row]:
    handle = _open_binary_in(path)
    number = 0
    try:
        for number, raw in enumerate(handle, start=1):
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
    except (OSError, EOFError) as exc:  # a truncated or corrupt .gz
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


def _read_csv(path: str) -> Iterator[Row]:
    # Process-wide, as the csv module has no per-reader limit; only ever raised, never lowered.
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    handle = _open_binary_in(path)
    # Bytes that are not UTF-8 become lone surrogates, so the row that holds them can be named
    # (and skipped) rather than the whole file failing; utf-8-sig drops a byte-order mark.
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="surrogateescape", newline="")
    # strict: a quote left open or a stray quote is an error, not fields silently merged.
    reader = csv.DictReader(text, strict=True)
    try:
        header = reader.fieldnames or []
        if any(_SURROGATE.search(name) for name in header):
            raise InputError(path, "the header is not valid UTF-8; save the file as UTF-8", 1)
        end = reader.line_num  # the last line read so far
        while True:
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                problem = f"malformed CSV: {exc}"
                if "unexpected end of data" in str(exc):
                    problem += " (a quoted field that starts here is never closed)"
                yield Row(end + 1, None, problem)
                end = max(end + 1, reader.line_num)
                continue
            line, end = end + 1, reader.line_num
            if None in record:
                yield Row(line, None, "more fields than the header names")
                continue
            bad = [
                k
                for k, v in record.items()
                if isinstance(v, str) and not v.isascii() and _SURROGATE.search(v)
            ]
            if bad:
                yield Row(line, None, f"invalid UTF-8 in field(s) {', '.join(bad)}")
                continue
            yield Row(line, record)
    except csv.Error as exc:  # in the header
        raise InputError(path, f"malformed CSV header: {exc}", 1) from exc
    except (OSError, EOFError) as exc:
        raise InputError(
            path,
            f"cannot read past this line ({exc}); the lines before it were read. Is the file "
            "truncated? Recreate it",
            reader.line_num + 1,
        ) from exc
    finally:
        if handle is not sys.stdin.buffer:
            text.close()
        else:
            text.detach()


def _read_parquet(path: str) -> Iterator[Row]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise InputError(
            path, "reading Parquet needs pyarrow: pip install 'headcheck[parquet]'"
        ) from exc
    try:
        source: Any = pa.BufferReader(sys.stdin.buffer.read()) if path == "-" else path
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


# -- writers ---------------------------------------------------------------------------------


def clean_text(value: str) -> str:
    """``value`` with each lone surrogate replaced by U+FFFD, for formats that cannot escape it."""
    return value if value.isascii() else _SURROGATE.sub("\ufffd", value)


def _clean(value: Any) -> Any:
    """A value with lone surrogates replaced in every string it holds (keys included)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def partial_path(path: str) -> str:
    """The hidden file an output is written under until it is complete: ``.NAME.partial``
    beside it. The name is fixed, so ``scan --resume`` finds it after a killed run."""
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.partial")


class Writer:
    """Writes records one at a time. A file is written under a temporary name beside it and
    renamed when ``close`` finishes it, so a failed or killed run never leaves a partial file
    under the real name; ``abort`` removes the temporary file.

    Plain (not gzipped) JSONL and CSV files can be resumed: the temporary name is fixed
    (:func:`partial_path`), locked while a run writes it, :meth:`checkpoint` flushes it and
    says how many bytes are safely written, and ``resume_at`` truncates it to such a point and
    appends from there. Parquet, gzip and standard output cannot (``resumable`` is False).
    """

    #: Whether this kind of writer can checkpoint and resume.
    resumable = False

    def __init__(self, path: str, *, resume_at: int | None = None) -> None:
        self.path = path
        if resume_at is not None and not self.resumable:
            raise InputError(path, f"{type(self).__name__} output cannot be resumed")
        if path == "-":
            self._target = path
        elif self.resumable:
            self._target = partial_path(path)
        else:
            folder, name = os.path.split(os.path.abspath(path))
            self._target = os.path.join(folder, f".{name}.{os.getpid()}.partial")

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
        self._finish()
        if self._target != self.path:
            os.replace(self._target, self.path)

    def abort(self, *, keep: bool = False) -> None:
        """Close after a failure and remove the temporary file (``keep``: leave it, to resume)."""
        # The run already failed; its error is the one to show, not one from closing.
        with contextlib.suppress(Exception):
            self._finish()
        if not keep and self._target != self.path and os.path.exists(self._target):
            os.remove(self._target)

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.close()
        else:
            # Interrupted by the user: keep the partial file, as a killed run would, to resume.
            self.abort(keep=exc_type is KeyboardInterrupt and self.resumable)

    def _open_text(self, resume_at: int | None) -> IO[str]:
        if self._target == "-":
            return sys.stdout
        if self.path.lower().endswith(".gz"):
            return gzip.open(self._target, "wt", encoding="utf-8", newline="")
        # Opened for appending, so nothing is truncated before the lock is held. Closed by
        # _finish (a writer outlives this call).
        handle = open(self._target, "a", encoding="utf-8", newline="")  # noqa: SIM115
        if self.resumable and fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                raise InputError(
                    self.path,
                    f"another run is writing this output right now (its partial file "
                    f"{self._target} is locked); wait for it or write elsewhere",
                ) from None
        if resume_at is None:
            handle.truncate(0)
        else:
            size = os.fstat(handle.fileno()).st_size
            if size < resume_at:
                handle.close()
                raise InputError(
                    self.path,
                    f"cannot resume: the partial file {self._target} holds {size} bytes, "
                    f"fewer than the {resume_at} its checkpoint recorded (was it changed?); "
                    "rerun without --resume to start over",
                )
            handle.truncate(resume_at)  # drops a torn last line and rows past the checkpoint
        return handle

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


def _plain_file(path: str) -> bool:
    return path != "-" and not path.lower().endswith(".gz")


class JsonlWriter(Writer):
    """One JSON object a line. A lone surrogate is written as a ``\\udXXX`` escape, which any
    JSON reader turns back into the same string, so the record reads back unchanged."""

    def __init__(self, path: str, *, resume_at: int | None = None) -> None:
        self.resumable = _plain_file(path)
        super().__init__(path, resume_at=resume_at)
        self._handle = self._open_text(resume_at)

    def write(self, record: dict[str, Any]) -> None:
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
    ) -> None:
        self.resumable = _plain_file(path)
        if resume_at is not None and not fields:
            raise ValueError("resuming a CSV file needs its header fields")
        super().__init__(path, resume_at=resume_at)
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
    """Buffers rows and writes a row group at a time, with the schema of the first group
    (columns that were all empty there become strings). Lone surrogates become U+FFFD."""

    def __init__(self, path: str, *, rows_per_group: int = 10_000) -> None:
        try:
            import pyarrow  # noqa: F401 - only checks that the extra is installed
        except ImportError as exc:
            raise InputError(
                path, "writing Parquet needs pyarrow: pip install 'headcheck[parquet]'"
            ) from exc
        super().__init__(path)
        self._rows: list[dict[str, Any]] = []
        self._rows_per_group = rows_per_group
        self._writer: Any = None
        self._schema: Any = None

    def write(self, record: dict[str, Any]) -> None:
        self._rows.append(_clean(record))
        if len(self._rows) >= self._rows_per_group:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self._rows and self._writer is not None:
            return
        if self._schema is None:
            names = list(dict.fromkeys(k for record in self._rows for k in record))
            inferred = pa.Table.from_pydict(
                {name: [record.get(name) for record in self._rows] for name in names}
            ).schema
            self._schema = pa.schema(
                [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in inferred]
            )
            sink = sys.stdout.buffer if self._target == "-" else self._target
            self._writer = pq.ParquetWriter(sink, self._schema)
        known = set(self._schema.names)
        for record in self._rows:
            extra = [k for k in record if k not in known]
            if extra:
                raise InputError(
                    self.path,
                    f"a record has field(s) {extra} that the first "
                    "row group lacked; write JSONL instead",
                )
        try:
            table = pa.Table.from_pydict(
                {name: [record.get(name) for record in self._rows] for name in self._schema.names},
                schema=self._schema,
            )
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise InputError(
                self.path,
                f"records do not fit the Parquet schema of the first "
                f"row group ({exc}); write JSONL instead",
            ) from exc
        self._writer.write_table(table)
        self._rows = []

    def _finish(self) -> None:
        try:
            self._flush()
        finally:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        if self._target == "-":
            sys.stdout.buffer.flush()


def can_resume(path: str, fmt: Format) -> bool:
    """Whether output to ``path`` in ``fmt`` can be checkpointed and resumed."""
    return fmt in ("jsonl", "csv") and _plain_file(path)


def open_writer(
    path: str,
    fmt: Format,
    *,
    resume_at: int | None = None,
    fields: list[str] | None = None,
) -> Writer:
    """A writer for ``path``; ``resume_at`` (with the CSV header as ``fields``) continues a
    partial file from a checkpoint instead of starting it afresh."""
    if fmt == "jsonl":
        return JsonlWriter(path, resume_at=resume_at)
    if fmt == "csv":
        return CsvWriter(path, resume_at=resume_at, fields=fields)
    if resume_at is not None:
        raise InputError(path, "Parquet output cannot be resumed")
    return ParquetWriter(path)
