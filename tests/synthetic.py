"""Made-up articles and a cheap encoder, for tests whose subject is I/O, not the model.

:class:`HashEncoder` stands in for the model where scoring a million rows with it would take
a day on a CI machine: a hashed bag of words, L2-normalised, deterministic, with an optional
delay per call to make a run last long enough to kill it. It is never used to test verdicts.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

_PLACES = ["Geneva", "Lagos", "Lima", "Osaka", "Tartu", "Perth", "Quito", "Bergen", "Accra"]
_TOPICS = [
    ("council", "approves a budget for new cycle lanes", "The vote passed after a long debate"),
    ("court", "rules on the port expansion", "Judges heard from residents and the operator"),
    ("hospital", "opens a children's ward", "Doctors said waiting times should fall"),
    ("university", "wins a grant for battery research", "The team studies silicon electrodes"),
    ("museum", "shows ship models from the old harbour", "Curators restored letters by sailors"),
    ("farmers", "protest over grain prices", "Tractors blocked the ring road for hours"),
    ("airport", "adds night flights to the capital", "Neighbours fear more noise after midnight"),
]


class HashEncoder:
    """A hashed bag of words, L2-normalised: ``encode(texts)`` like a real model, no weights."""

    name = "hash-bag-of-words"

    def __init__(self, dim: int = 256, *, delay: float = 0.0) -> None:
        self.dim, self.delay = dim, delay

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                code = zlib.crc32(word.encode("utf-8", "surrogatepass"))
                rows[i, code % self.dim] += 1.0 if code & 0x10000 else -1.0
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        if self.delay:
            time.sleep(self.delay)
        return rows / norms


def article(i: int) -> dict[str, Any]:
    """Article ``i``: distinct for every i; every seventh carries another article's title."""
    place = _PLACES[i % len(_PLACES)]
    who, what, detail = _TOPICS[(i // len(_PLACES)) % len(_TOPICS)]
    title = f"{place} {who} {what} in report number {i}"
    text = (
        f"The {who} in {place} {what.split(' ', 1)[1]} on day {i % 28 + 1}, officials said. "
        f"{detail}, according to report number {i}. "
        f"A further statement is expected from the {who} next week."
    )
    if i % 7 == 3:
        other = (i * 31 + 5) % (len(_PLACES) * len(_TOPICS))
        o_who, o_what, _ = _TOPICS[(other // len(_PLACES)) % len(_TOPICS)]
        title = f"{_PLACES[other % len(_PLACES)]} {o_who} {o_what} in report number {other}"
    return {"id": i, "title": title, "text": text}


def articles(n: int) -> Iterator[dict[str, Any]]:
    return (article(i) for i in range(n))


def write_jsonl(path: Path, records: Iterator[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")
    return path
