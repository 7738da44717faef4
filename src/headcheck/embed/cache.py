"""The user cache folder: derived model files built locally (ONNX exports, static tables)."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import sys
import tempfile
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

#: Environment variable that moves the cache folder (e.g. to a shared disk on a cluster).
CACHE_ENV = "HEADCHECK_CACHE"


def cache_dir() -> Path:
    """``$HEADCHECK_CACHE``, else ``$XDG_CACHE_HOME/headcheck``, else ``~/.cache/headcheck``."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "headcheck"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "-"


def cache_key(folder: Path) -> str:
    """A name for files derived from the model in ``folder``: changes when the model's weights
    or the libraries that derive the files change."""
    digest = hashlib.sha256(str(folder.resolve()).encode())
    for name in sorted(os.listdir(folder)):
        path = folder / name
        if path.is_file():
            stat = path.stat()
            digest.update(f"{name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    for package in ("headcheck", "onnxruntime", "onnx", "torch", "transformers", "tokenizers"):
        digest.update(f"{package}={_version(package)}".encode())
    return f"{folder.name}-{digest.hexdigest()[:16]}"


def private_folder(path: Path) -> Path:
    """``path`` (a folder in the cache folder), created (with the cache folder) readable and
    writable by this user only; an existing folder is left as it is."""
    # The folders above the cache folder are the user's own (e.g. ~/.cache): default modes.
    cache_dir().mkdir(mode=0o700, parents=True, exist_ok=True)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _digest_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (processes that build
    the same cache file at once never read a half-written one), then its SHA-256 beside it
    (``NAME.sha256``), which :func:`read_verified` checks before the file is used."""
    private_folder(path.parent)
    _replace(path, data)
    _replace(_digest_path(path), hashlib.sha256(data).hexdigest().encode() + b"\n")


def _replace(path: Path, data: bytes) -> None:
    # mkstemp creates a new file (no link followed); the rename replaces what was there.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read_own(path: Path) -> bytes:
    """The bytes of ``path`` if it is a regular file of this user, not a link; else OSError."""
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(handle, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{path} is not a regular file")
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise OSError(f"{path} belongs to another user")
        return f.read()


def read_verified(path: Path) -> tuple[bytes | None, str | None]:
    """(the bytes of the cache file ``path``, None) when it matches the digest recorded when
    it was written; (None, None) when there is no such file; (None, what is wrong) when there
    is one that must not be used. The bytes are checked as read, so what is used is what was
    checked."""
    if not os.path.lexists(path):
        return None, None
    try:
        data = _read_own(path)
        recorded = _read_own(_digest_path(path)).decode("ascii", "replace").strip()
    except FileNotFoundError:
        return None, "no digest was recorded for it"
    except OSError as exc:
        return None, str(exc)
    if hashlib.sha256(data).hexdigest() != recorded:
        return None, "it does not match the digest recorded when it was written"
    return data, None


def warn_rebuild(path: Path, problem: str, what: str) -> None:
    """Say on stderr that a cache file is not used, and why."""
    print(
        f"headcheck: warning: not using the cached {what} {path}: {problem}; building it again",
        file=sys.stderr,
        flush=True,
    )


def arrays_in(data: bytes) -> dict[str, Any]:
    """The arrays of an ``.npz`` file's bytes, by name, without copying them (read-only
    views of ``data``, which stays alive with them): its members are stored, as
    ``numpy.savez`` writes them, and the bytes were checked by :func:`read_verified`, so
    reading them is only parsing each member's header. A compressed member is unpacked."""
    import numpy as np

    arrays: dict[str, Any] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            name = info.filename.removesuffix(".npy")
            if info.compress_type != zipfile.ZIP_STORED:
                arrays[name] = np.load(io.BytesIO(archive.read(info)), allow_pickle=False)
                continue
            # The member's bytes follow its local header: 30 bytes, then its name and extra.
            local = data[info.header_offset : info.header_offset + 30]
            if len(local) < 30 or local[:4] != b"PK\x03\x04":
                raise ValueError(f"{info.filename}: no local header where the zip says")
            start = (
                info.header_offset
                + 30
                + int.from_bytes(local[26:28], "little")
                + int.from_bytes(local[28:30], "little")
            )
            arrays[name] = array_in(memoryview(data)[start : start + info.file_size])
    return arrays


def array_in(data: bytes | memoryview) -> Any:
    """The array of an ``.npy`` file's bytes, as a read-only view of them (no copy)."""
    import numpy as np

    source = io.BytesIO(data)
    major, _ = np.lib.format.read_magic(source)
    if major == 1:
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(source)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(source)
    if dtype.hasobject:
        raise ValueError("an array of Python objects is not read from the cache")
    count = int(np.prod(shape, dtype=np.int64))
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=source.tell())
    return flat.reshape(shape, order="F" if fortran else "C")
