"""Read a file of articles, in any format, one row at a time.

Readers never drop a record: a row that cannot be read comes back as a
:class:`~headcheck.io.formats.Row` with an ``error`` and its line number, so the caller
decides whether to stop or to write an error row."""

from __future__ import annotations

import os
from collections.abc import Iterator

from headcheck.io.csvfile import check_delimiter, read_csv
from headcheck.io.formats import MAX_RECORD_BYTES, Format, ReadMeter, Row, part_files
from headcheck.io.jsonl import read_jsonl
from headcheck.io.parquet import read_parquet


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
        yield from read_jsonl(path, max_record_bytes, meter)
    elif fmt == "csv":
        yield from read_csv(path, max_record_bytes, delimiter, meter)
    else:
        yield from read_parquet(path)
