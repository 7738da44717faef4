"""Could cheap evidence keep most pairs of a crawl away from the transformer?

The default decision reads every pair against the crawl (its headline against the crawl's
bodies, its body against the crawl's headlines) in the transformer's space, so every pair's
headline and lead are embedded. A cascade could skip the transformer for a pair only where
cheap evidence already says what the corpus evidence would: the pair is genuine, no rule
fires, its body is of ordinary length, and its headline and body are each other's best
matches in a cheap space (its body among the headline's ``k`` best bodies there, and its
headline among the body's ``k`` best headlines). This script measures, on realistic
crawls (``../shared/bench/crawl.py``), how many pairs such a gate would skip in two cheap
spaces, the static word-piece vectors (:mod:`headcheck.embed.static`) and TF-IDF, and how
many of the pairs it skips the default decision flags (each a fault lost to the gate).

A crawl holds several articles of one story (other outlets, updates; an article's reader
comments): a headline's best bodies in a cheap space are as often its story's other
articles as its own, so the gate skips few pairs. Measured here (20% faults, seed 1, the
default decision of commit fa484dc): with k = 4 (its body among the headline's five best)
the gate skipped 18.5% of the FNC-1 crawl's pairs in the static space and 29.2% in TF-IDF,
and among them were 2 and 4 faults that the default catches; on ARC 7.9% and 13.6%, with 1
and 4. Where it loses no fault (k = 1) it skips 4-13%. Even if a skipped pair cost nothing,
that is at most 1.15x the default's rate without loss, and the skipped pairs' leads would
still be needed as neighbours of the pairs that are embedded.

    python benchmarks/cheap_gate.py --data fnc1 arc --share 0.2 --seed 1
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from crawl import build  # the benchmark's own crawl builder, found by the path above

RANKS = (0, 1, 2, 4)


def ranks(headlines: np.ndarray, leads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each pair: how many bodies fit its headline better than its own, and how many
    headlines fit its body better than its own (rows are vectors, or sparse TF-IDF rows)."""
    similarity = headlines @ leads.T
    similarity = similarity.toarray() if hasattr(similarity, "toarray") else similarity
    own = np.diag(similarity).copy()[:, None]
    better_bodies = similarity > own
    better_headlines = np.greater(similarity.T, own)
    return better_bodies.sum(1), better_headlines.sum(1)


def measure(crawl: Path) -> list[dict[str, object]]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from headcheck import Detector
    from headcheck.text.prepare import prepare_many
    from headcheck.text.rules import rule_reasons

    rows = [json.loads(line) for line in crawl.read_text(encoding="utf-8").splitlines()]
    pairs = [(r["title"], r["text"]) for r in rows]
    detector = Detector()
    flagged = np.array([r.is_mismatch for r in detector.check_many(pairs)])
    fault = np.array([r["label"] == 1 for r in rows])
    units = prepare_many(pairs)
    words = np.array([len(u.text.split()) for u in units])
    plain = ~np.array([bool(rule_reasons(u)) for u in units])
    ordinary = plain & (np.array([u.sentence_count for u in units]) >= 3)
    ordinary &= words >= np.median(words) / 3
    static = detector.embeddings.static
    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english")
    tfidf.fit([u.text for u in units] + [u.headline for u in units])
    spaces = {
        "static": (
            static.encode([u.headline for u in units]),
            static.encode([u.lead for u in units]),
        ),
        "tfidf": (
            tfidf.transform([u.headline for u in units]),
            tfidf.transform([u.lead for u in units]),
        ),
    }
    out: list[dict[str, object]] = []
    for space, (headlines, leads) in spaces.items():
        by_headline, by_body = ranks(headlines, leads)
        for k in RANKS:
            gate = ordinary & (by_headline <= k) & (by_body <= k)
            out.append(
                {
                    "space": space,
                    "k": k,
                    "skipped": round(float(gate.mean()), 3),
                    "flagged_skipped": int((gate & flagged).sum()),
                    "faults_skipped": int((gate & fault).sum()),
                    "rows": len(rows),
                }
            )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="+", default=["fnc1", "arc"])
    parser.add_argument("--share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print("| set | space | k | share skipped | flagged by the default among them | faults |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for data in args.data:
            for line in measure(build(data, args.share, args.seed, Path(folder))):
                print(
                    f"| {data} | {line['space']} | {line['k']} | {line['skipped']:.3f} "
                    f"| {line['flagged_skipped']} | {line['faults_skipped']} |"
                )


if __name__ == "__main__":
    main()
