"""What a file of articles is: its format, its parts, the rows read from it, and the
errors that name a bad one."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

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
#: Longest record read, in bytes: a JSONL line, or a CSV record with all its fields (the csv
#: module's own field limit, 128 KiB, is less than a long scraped page with its HTML). A longer
#: one is an error row, and memory stays bounded by it whatever the input holds.
MAX_RECORD_BYTES = 64 * 1024 * 1024


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
