"""Read and write files of articles (JSONL, CSV, Parquet), streaming, one row at a time.

Readers never drop a record: a row that cannot be read comes back as a :class:`Row` with an
``error`` and its line number, so the caller decides whether to stop or to write an error row.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
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
    try:
        for number, raw in enumerate(handle, start=1):
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
            if not isinstance(value, dict):
                yield Row(number, None, f"expected a JSON object, found {type(value).__name__}")
                continue
            yield Row(number, value)
    except (OSError, EOFError) as exc:  # a truncated or corrupt .gz
        raise InputError(path, f"cannot read past this point: {exc}") from exc
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def _read_csv(path: str) -> Iterator[Row]:
    handle = _open_binary_in(path)
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    try:
        reader = csv.DictReader(text)
        try:
            for record in reader:
                line = reader.line_num
                if None in record:
                    yield Row(line, None, "more fields than the header names")
                    continue
                yield Row(line, record)
        except UnicodeDecodeError as exc:
            raise InputError(path, f"invalid UTF-8: {exc.reason}", reader.line_num + 1) from exc
        except csv.Error as exc:
            raise InputError(path, f"malformed CSV: {exc}", reader.line_num) from exc
    except (OSError, EOFError) as exc:
        raise InputError(path, f"cannot read past this point: {exc}") from exc
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


class Writer:
    """Writes records one at a time. A file is written under a temporary name beside it and
    renamed when ``close`` finishes it, so a failed or killed run never leaves a partial file
    under the real name; ``abort`` removes the temporary file."""

    def __init__(self, path: str) -> None:
        self.path = path
        if path == "-":
            self._target = path
        else:
            folder, name = os.path.split(os.path.abspath(path))
            self._target = os.path.join(folder, f".{name}.{os.getpid()}.partial")

    def write(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        """Flush what is buffered and close the handle."""
        raise NotImplementedError

    def close(self) -> None:
        self._finish()
        if self._target != self.path:
            os.replace(self._target, self.path)

    def abort(self) -> None:
        # The run already failed; its error is the one to show, not one from closing.
        with contextlib.suppress(Exception):
            self._finish()
        if self._target != self.path and os.path.exists(self._target):
            os.remove(self._target)

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _open_text(self) -> IO[str]:
        if self._target == "-":
            return sys.stdout
        if self.path.lower().endswith(".gz"):
            return gzip.open(self._target, "wt", encoding="utf-8", newline="")
        return open(self._target, "w", encoding="utf-8", newline="")

    def _close_text(self, handle: IO[str]) -> None:
        if handle is sys.stdout:
            handle.flush()
        else:
            handle.close()


class JsonlWriter(Writer):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self._handle = self._open_text()

    def write(self, record: dict[str, Any]) -> None:
        self._handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")

    def _finish(self) -> None:
        self._close_text(self._handle)


def _cell(value: Any) -> Any:
    """A CSV cell: nested values as JSON, None as an empty cell."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


class CsvWriter(Writer):
    """CSV needs one header: it is the union of the fields of the first ``header_rows`` records
    (held back until then), and a later record with a field the header lacks is an error
    rather than a silently dropped value."""

    def __init__(self, path: str, *, header_rows: int = 1_000) -> None:
        super().__init__(path)
        self._handle = self._open_text()
        self._header_rows = header_rows
        self._pending: list[dict[str, Any]] = []
        self._writer: csv.DictWriter[str] | None = None

    def write(self, record: dict[str, Any]) -> None:
        if self._writer is None:
            self._pending.append(record)
            if len(self._pending) >= self._header_rows:
                self._start()
            return
        self._write(record)

    def _start(self) -> None:
        fields = list(dict.fromkeys(k for record in self._pending for k in record))
        self._writer = csv.DictWriter(self._handle, fieldnames=fields, restval="")
        self._writer.writeheader()
        pending, self._pending = self._pending, []
        for record in pending:
            self._write(record)

    def _write(self, record: dict[str, Any]) -> None:
        assert self._writer is not None
        extra = [k for k in record if k not in self._writer.fieldnames]
        if extra:
            raise InputError(
                self.path,
                f"a record has field(s) {extra} that the first {self._header_rows} records "
                "lacked, and a CSV file has one header; write JSONL or Parquet instead, or "
                "pass --id-field to write only the id and the results",
            )
        self._writer.writerow({k: _cell(v) for k, v in record.items()})

    def _finish(self) -> None:
        if self._writer is None and self._pending:
            self._start()
        self._close_text(self._handle)


class ParquetWriter(Writer):
    """Buffers rows and writes a row group at a time, with the schema of the first group
    (columns that were all empty there become strings)."""

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
        self._rows.append(record)
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


def open_writer(path: str, fmt: Format) -> Writer:
    if fmt == "jsonl":
        return JsonlWriter(path)
    if fmt == "csv":
        return CsvWriter(path)
    return ParquetWriter(path)
