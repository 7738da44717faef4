"""Pairs made from a corpus to measure a decision on: each body under a random headline of
the corpus, and under the headline of one of its nearest other bodies (a near-topic one)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from headcheck.detector import Detector
from headcheck.text.prepare import prepare

#: Neighbours a hard re-pairing is drawn from, and the cosine above which a neighbour is
#: taken for a copy of the same story (and skipped).
HARD_NEIGHBOURS = 10
NEAR_DUPLICATE = 0.92


def repair_pairs(
    pairs: Sequence[tuple[str, str]], detector: Detector, rng: np.random.Generator
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Re-pair the corpus's headlines with other bodies: (random ones, hard ones).

    Random: each body gets the headline of a random other pair. Hard: each distinct body gets
    a headline of one of its HARD_NEIGHBOURS most similar other bodies (by lead embedding),
    skipping near-duplicates and bodies that already carry that headline.
    """
    n = len(pairs)
    order = rng.permutation(n)
    random_pairs = []
    for k in range(n):
        j = order[k]
        if pairs[j][0] == pairs[k][0]:
            j = order[(k + 1) % n]
        random_pairs.append((pairs[j][0], pairs[k][1]))

    leads: dict[str, int] = {}
    body_of: list[int] = []
    raw_body: list[str] = []
    for headline, body in pairs:
        lead = prepare(headline, body, languages=False).lead
        if lead not in leads:
            leads[lead] = len(leads)
            raw_body.append(body)
        body_of.append(leads[lead])
    headlines_of: dict[int, list[str]] = {}
    for k, b in enumerate(body_of):
        headlines_of.setdefault(b, []).append(pairs[k][0])
    vectors = detector.embed(list(leads))
    hard_pairs = []
    for start in range(0, len(vectors), 1_000):
        block = vectors[start : start + 1_000] @ vectors.T
        for offset, row in enumerate(block):
            b = start + offset
            row[b] = -1.0
            row[row > NEAR_DUPLICATE] = -1.0
            nearest = np.argpartition(-row, min(HARD_NEIGHBOURS, len(row) - 1))
            top = [t for t in nearest[:HARD_NEIGHBOURS] if row[t] > -1.0]
            if not top:
                continue
            neighbour = int(rng.choice(top))
            own = set(headlines_of[b])
            options = [h for h in headlines_of[neighbour] if h not in own]
            if options:
                hard_pairs.append((options[int(rng.integers(len(options)))], raw_body[b]))
    return random_pairs, hard_pairs
