"""Shared fixtures: the real packaged model, loaded once per test session."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from headcheck import Detector
from headcheck.embed.cache import CACHE_ENV

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "articles.jsonl"

POLITICS = (
    "Diplomats from both countries met in Geneva on Tuesday to discuss the ceasefire. "
    "The foreign minister said the talks had been constructive. Officials expect a joint "
    "statement on the release of prisoners next week."
)
POLITICS_TITLE = "Diplomats meet in Geneva for ceasefire talks"
CRICKET_TITLE = "Live Score: India vs Australia, 2nd Test, Day 3"
#: A real headline of another story: flagged for low similarity alone.
SPORTS_TITLE = "Late header sends United into the cup semi-finals"


@pytest.fixture(scope="session", autouse=True)
def cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Derived model files (ONNX export, static table) go to a fresh folder, not the user's."""
    folder = tmp_path_factory.mktemp("cache")
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(folder)
    yield folder
    if before is None:
        del os.environ[CACHE_ENV]
    else:
        os.environ[CACHE_ENV] = before


@pytest.fixture(scope="session")
def detector() -> Detector:
    """A detector on the packaged all-MiniLM-L6-v2, shared by the whole session."""
    return Detector()


_LOCAL_HOSTS = {None, "", "localhost", "127.0.0.1", "::1", "0.0.0.0", socket.gethostname()}


def _local(host: object) -> bool:
    return host in _LOCAL_HOSTS or str(host).startswith("127.")


@pytest.fixture(autouse=True)
def outside_network_blocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every test runs offline: a connection or DNS look-up beyond this machine is refused and
    recorded, and the test fails if any was tried. Loopback stays open (the local crawl site,
    Spark's JVM gateway). Subprocesses are not covered; test_safety checks the CLI's own."""
    attempts: list[object] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def allowed(sock: socket.socket, address: Any) -> bool:
        return sock.family == getattr(socket, "AF_UNIX", None) or _local(address[0])

    def connect(self: socket.socket, address: Any) -> None:
        if not allowed(self, address):
            attempts.append(address)
            raise OSError(f"network blocked in tests: connect to {address!r}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not allowed(self, address):
            attempts.append(address)
            raise OSError(f"network blocked in tests: connect to {address!r}")
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _local(host):
            attempts.append(host)
            raise OSError(f"network blocked in tests: look-up of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert attempts == [], f"a test tried to reach the network: {attempts}"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """Make every socket connection fail, and record the attempts."""
    attempts: list[tuple[object, ...]] = []

    def refuse(self: socket.socket, address: object, *args: object) -> None:
        attempts.append((address,))
        raise OSError(f"network blocked in tests: connect to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse(None, a))  # type: ignore[arg-type]
    return attempts
