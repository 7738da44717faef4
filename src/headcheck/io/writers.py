"""Open a writer for any format."""

from __future__ import annotations

from headcheck.io.csvfile import CsvWriter
from headcheck.io.formats import Format, InputError
from headcheck.io.jsonl import JsonlWriter
from headcheck.io.parquet import ParquetWriter
from headcheck.io.partial import plain_file
from headcheck.io.writer import Writer


def can_resume(path: str, fmt: Format) -> bool:
    """Whether output to ``path`` in ``fmt`` can be checkpointed and resumed."""
    return fmt in ("jsonl", "csv") and plain_file(path)


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
