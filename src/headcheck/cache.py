"""The user cache folder: derived model files built locally (ONNX exports, static tables)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

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
    for package in ("headcheck", "onnxruntime", "torch", "tokenizers"):
        digest.update(f"{package}={_version(package)}".encode())
    return f"{folder.name}-{digest.hexdigest()[:16]}"


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: processes that build
    the same cache file at once never read a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
