"""JSON Lines (and a file holding one JSON array of records): reading and writing."""

from __future__ import annotations

import codecs
import json
import sys
import zlib
from collections.abc import Iterator
from typing import Any

from headcheck.io.formats import InputError, ReadMeter, Row
from headcheck.io.lines import BLOCK, Prefixed, first_block, open_binary, read_lines, too_long
from headcheck.io.partial import plain_file
from headcheck.io.writer import SURROGATE, Writer, finite_value


def read_jsonl(path: str, limit: int, meter: ReadMeter | None = None) -> Iterator[Row]:
    handle = open_binary(path, meter)
    number = 0
    try:
        first = first_block(handle)
        if first.lstrip(b" \t\r\n").removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"["):
            yield from read_json_array(path, Prefixed(first, handle), limit)
            return
        for number, raw in enumerate(read_lines(Prefixed(first, handle), limit), start=1):
            if raw is None:
                yield Row(number, None, f"a line {too_long(limit)}")
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


def read_json_array(path: str, handle: Prefixed, limit: int) -> Iterator[Row]:
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
        block = handle.read1(BLOCK)
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
                        path, f"an element of the JSON array {too_long(limit)}", line
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


class JsonlWriter(Writer):
    """One JSON object a line. A lone surrogate is written as a ``\\udXXX`` escape, which any
    JSON reader turns back into the same string, so the record reads back unchanged."""

    def __init__(
        self, path: str, *, resume_at: int | None = None, partial: str | None = None
    ) -> None:
        self.resumable = plain_file(path)
        super().__init__(path, resume_at=resume_at, partial=partial)
        self._handle = self._open_text(resume_at)

    def write(self, record: dict[str, Any]) -> None:
        try:
            line = json.dumps(record, ensure_ascii=False, default=str, allow_nan=False)
        except ValueError:  # NaN or an infinity, which JSON cannot hold: written as null
            record = finite_value(record)
            line = json.dumps(record, ensure_ascii=False, default=str)
        if not line.isascii() and SURROGATE.search(line):
            line = json.dumps(record, ensure_ascii=True, default=str)
        self._handle.write(line + "\n")

    def checkpoint(self) -> int | None:
        return self._text_checkpoint(self._handle)

    def _finish(self) -> None:
        self._close_text(self._handle)
