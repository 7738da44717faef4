"""Parquet, through pyarrow (the ``parquet`` extra): reading in batches and writing."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import IO, Any

from headcheck.io.formats import InputError, Row, is_stream
from headcheck.io.writer import Writer, clean_text, clean_value

#: Rows read from Parquet at a time; the reader never holds the whole file.
_PARQUET_BATCH = 1_024


def read_parquet(path: str) -> Iterator[Row]:
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
        self._rows.append(clean_value(record))
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
