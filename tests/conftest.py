"""Shared fixtures: the real packaged model, loaded once per test session."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from headcheck import Detector
from headcheck.cache import CACHE_ENV

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
