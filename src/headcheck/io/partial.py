"""Output files written safely: a partial file beside the destination, locked while a run
writes it, renamed into place when whole."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile

from headcheck.io.formats import InputError, OutputError

try:  # an advisory lock keeps two runs from writing the same partial file (POSIX only)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]  # no module on Windows: no lock there
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


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
        remove_quietly(partial)


def remove_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def lock_path(path: str) -> str:
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.lock")


def lock_partial(path: str) -> int:
    """Hold the lock of output ``path`` (``.NAME.lock``, never a link followed) for this run:
    two runs writing one output, or resuming one partial file, would interleave their rows."""
    target = lock_path(path)
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


def remove_stale_partials(path: str, keep: str) -> None:
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
                remove_quietly(entry.path)


def reopen_partial(path: str, partial: str | None) -> tuple[int, str]:
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


def plain_file(path: str) -> bool:
    return path != "-" and not path.lower().endswith(".gz")
