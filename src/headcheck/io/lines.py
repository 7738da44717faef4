"""A file's bytes cut into records (lines) of bounded length, whatever their line ends."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Protocol

from headcheck.io.formats import InputError, ReadMeter
from headcheck.io.writer import ClosingGzip

#: Bytes read at a time when a file is split into lines.
BLOCK = 1024 * 1024
LINE_END = re.compile(rb"\r\n|\r|\n")


def open_binary(path: str, meter: ReadMeter | None = None) -> Binary:
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
        return ClosingGzip(raw, "rb")  # closes the raw file with it
    return raw


class Binary(Protocol):
    """What the readers read from: a file opened in binary mode, a gzip file, standard
    input's buffer, or a :class:`Prefixed` one of them."""

    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class Prefixed:
    """A binary handle that gives ``prefix`` (bytes already read from it) first."""

    def __init__(self, prefix: bytes, handle: Binary) -> None:
        self.prefix, self.handle = prefix, handle

    def read(self, size: int = -1) -> bytes:
        if self.prefix:
            out, self.prefix = self.prefix, b""
            return out
        return self.handle.read(size)

    def close(self) -> None:
        self.handle.close()

    def read1(self, size: int = -1) -> bytes:
        if self.prefix:
            return self.read(size)
        return getattr(self.handle, "read1", self.handle.read)(size)


def first_block(handle: Binary) -> bytes:
    return getattr(handle, "read1", handle.read)(BLOCK)


def too_long(limit: int) -> str:
    return f"longer than {limit:,} bytes (the --max-record-bytes limit); not read"


def line_pieces(handle: Binary) -> Iterator[tuple[bytes, bool]]:
    """The bytes of ``handle`` in order, as pieces: a piece that ends a line (True: it ends
    with its line ending, or with the file) or a block of a line that goes on (False)."""
    read = getattr(handle, "read1", handle.read)  # read1: what is there, without waiting
    pending, open_line = b"", False
    while True:
        block = read(BLOCK)
        if not block:
            if pending or open_line:
                yield pending, True
            return
        data = pending + block if pending else block
        start = 0
        for match in LINE_END.finditer(data):
            if match.end() == len(data) and match.group() == b"\r":
                break  # the first half of a \r\n split across two blocks, maybe
            yield data[start : match.end()], True
            start, open_line = match.end(), False
        pending = data[start:]
        if len(pending) >= BLOCK:  # a whole block without a line end: part of a long line
            cut = len(pending) - pending.endswith(b"\r")
            yield pending[:cut], False
            pending, open_line = pending[cut:], True


def read_lines(handle: Binary, limit: int) -> Iterator[bytes | None]:
    """Each line of ``handle`` with its ending; None for one longer than ``limit`` bytes,
    whose bytes are dropped as they are read."""
    parts: list[bytes] | None = []
    size = 0
    for piece, ends in line_pieces(handle):
        size += len(piece)
        if parts is not None:
            if size > limit:
                parts = None
            else:
                parts.append(piece)
        if ends:
            yield None if parts is None else b"".join(parts)
            parts, size = [], 0
