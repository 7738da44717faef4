"""What every writer shares: values made safe to write, and the :class:`Writer` base class
(one row at a time, in order, to a partial file renamed when whole)."""

from __future__ import annotations

import contextlib
import gzip
import io
import math
import os
import re
import sys
from collections.abc import Callable
from typing import IO, Any

from headcheck.io.formats import InputError
from headcheck.io.partial import (
    create_partial,
    lock_partial,
    lock_path,
    output_error,
    remove_quietly,
    remove_stale_partials,
    reopen_partial,
)

#: Lone surrogates: what text decoded with errors="surrogateescape" holds for bytes that were
#: not UTF-8. They cannot be encoded as UTF-8, so writers escape or replace them.
SURROGATE = re.compile("[\ud800-\udfff]")


# -- writers ---------------------------------------------------------------------------------


def clean_text(value: str) -> str:
    """``value`` with each lone surrogate replaced by U+FFFD, for formats that cannot escape it."""
    return value if value.isascii() else SURROGATE.sub("\ufffd", value)


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


def finite_value(value: Any) -> Any:
    """A value with each NaN or infinity it holds replaced by None."""
    return _rebuild(value, _finite_leaf)


def _clean_leaf(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


def clean_value(value: Any) -> Any:
    """A value with lone surrogates replaced in every string it holds (keys included)."""
    return _rebuild(value, _clean_leaf)


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
        self._lock_fd: int | None = None
        self._fd: int | None = None
        if resume_at is not None and not self.resumable:
            raise InputError(path, f"{type(self).__name__} output cannot be resumed")
        if path == "-":
            self._target = path
            return
        if self.resumable:
            self._lock_fd = lock_partial(path)
        try:
            if resume_at is None:
                self._fd, self._target = create_partial(path)
                if self.resumable:
                    remove_stale_partials(path, keep=self._target)
            else:
                self._fd, self._target = reopen_partial(path, partial)
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
            remove_quietly(self._target)
        self._unlock()

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            remove_quietly(lock_path(self.path))
            os.close(self._lock_fd)
            self._lock_fd = None

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
                ClosingGzip(raw), encoding="utf-8", newline="", write_through=False
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


class ClosingGzip(gzip.GzipFile):
    """A gzip stream that closes the file under it too (GzipFile leaves a given one open)."""

    def __init__(self, raw: IO[bytes], mode: str = "wb") -> None:
        super().__init__(fileobj=raw, mode=mode, filename="")
        self._raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()
