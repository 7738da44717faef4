"""A labelled scraper-fault set built from FNC-1, and how well headcheck catches each fault.

From the bodies and headlines in ../shared/data/fnc1-train it builds, with a fixed seed, one
row of each kind per body (the texts of the boilerplate pieces are written here):

  clean                 the body under one of its own (related) headlines
  clean_with_furniture  the same, with share-button, newsletter or cookie lines appended
  random_headline       a headline of a random other story
  near_topic_headline   a headline of one of the five bodies most like this one (TF-IDF) that
                        share no headline with it: a "related stories" sidebar (recall is also
                        reported by how alike the two bodies are: near the top they often
                        tell the same event, under another FNC-1 claim)
  boilerplate_title     a site, section or widget title ("Home", "Live Score: ...")
  boilerplate_text      its own headline over a cookie wall, paywall, error or bot-check page,
                        some of them a paywall teaser that keeps the article's first sentence
  truncated_text        its own headline over the body cut after its first sentence

The first two are genuine (label 0), the rest faults (label 1). It then scores every row with
the detector and reports recall per fault at 1% false flags on the genuine rows: the rows a
rule flags count as flagged at any threshold, the rest are ranked by similarity (calibrated:
by the mismatch probability).

Every body is in the set under each kind, so read as one corpus (the calibrated detector's
context decision, see headcheck.decide.context) a near-topic headline also sits on its own body, and
a cut body is the start of its own whole copy. `--no-context` calibrates and checks without
that reading, each row on its own evidence.

`--labelled` calibrates with labels instead (``calibrate --label-field``), on the rows of half
the bodies, and measures recall on the other half's rows.

Usage: python benchmarks/faults.py [--data DIR] [--bodies N] [--write rows.jsonl]
       [--calibrate] [--labelled] [--no-context] [--backend onnx]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
# The sibling reader of FNC-1-format folders. Appended, not put first: tests/test_fault_benchmark
# loads this file, and the suite's own modules (tests/crawl) must keep their names.
if str(HERE) not in sys.path:
    sys.path.append(str(HERE))

import fnc1format  # noqa: E402  (a sibling script, not a package)

DEFAULT_DATA = fnc1format.FNC1
SEED = 20261127

GENUINE = ("clean", "clean_with_furniture")
#: Bands of the TF-IDF cosine between a near-topic row's body and its headline's own body.
SOURCE_BANDS = (("under 0.2", 0.2), ("0.2-0.4", 0.4), ("0.4 and over", float("inf")))
FAULTS = (
    "random_headline",
    "near_topic_headline",
    "boilerplate_title",
    "boilerplate_text",
    "truncated_text",
)

BOILERPLATE_TITLES = [
    "Home",
    "Home | Example Times",
    "Live Score",
    "Live Score: {a} vs {b}, 1st ODI",
    "Cricket live score",
    "Related stories",
    "You may also like",
    "Page not found",
    "404 Not Found",
    "Subscribe to read",
    "Sign in",
    "Just a moment...",
    "Latest News - Example Daily",
    "Most Read",
    "Breaking News",
    "Top Stories",
    "Sport",
    "Trending Now",
]
TEAMS = ["India", "Australia", "England", "Pakistan", "New Zealand", "South Africa"]

BOILERPLATE_BODIES = [
    "We use cookies to improve your experience on our site. By clicking Accept all, you agree "
    "to the storing of cookies on your device to enhance site navigation and analyse site "
    "usage. Manage your cookie preferences. Accept all cookies. Reject all.",
    "This site uses cookies. By continuing to browse the site you are agreeing to our use of "
    "cookies and personalised advertising. Cookie policy.",
    "You have reached your limit of free articles this month. Subscribe now for unlimited "
    "digital access, starting at 1 dollar for the first month. Already a subscriber? Log in.",
    "This article is for subscribers only. Subscribe today to keep reading, or sign in to "
    "continue reading if you already have an account.",
    "Page not found. The page you are looking for might have been removed, had its name "
    "changed or is temporarily unavailable. Error 404.",
    "Checking your browser before accessing the site. This process is automatic. Please "
    "enable JavaScript and cookies to continue. Ray ID: 7f3a9c2b1d.",
    "Access denied. You don't have permission to access this page on this server. Please "
    "verify you are human by completing the captcha below.",
    "Something went wrong. We are having trouble loading this page. Please enable JavaScript "
    "in your browser and try again.",
]
#: Appended to a teaser: the article's first sentence, then the wall.
PAYWALL_AFTER_TEASER = (
    "Subscribe to continue reading. You have reached your limit of free articles this month. "
    "Already a subscriber? Log in."
)
FURNITURE_LINES = [
    "Share this article",
    "Share on Facebook",
    "Tweet",
    "Follow us on Twitter for the latest news!",
    "Sign up for our free newsletter.",
    "We use cookies to improve your experience. Accept all cookies.",
    "Advertisement",
    "Read more",
    "Click here to watch the video.",
]

_FIRST_SENTENCE = re.compile(r"^(.{40,400}?[.!?])\s+[\"'“(A-Z0-9]", re.DOTALL)


def load(data: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Bodies by id, and each body's related (agree/disagree/discuss) headlines."""
    return fnc1format.bodies(data), fnc1format.related(data)


def first_sentence(body: str) -> str | None:
    """The body's first sentence when the body has more after it; None otherwise."""
    flat = " ".join(body.split())
    match = _FIRST_SENTENCE.match(flat)
    if match is None or len(flat) < 3 * len(match.group(1)):
        return None
    return match.group(1)


def build(data: Path, *, bodies_limit: int | None = None, seed: int = SEED) -> list[dict[str, Any]]:
    """The labelled rows, in a fixed-seed order."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    bodies, related = load(data)
    ids = sorted(i for i in bodies if related.get(i))
    rng = random.Random(seed)
    if bodies_limit:
        ids = sorted(rng.sample(ids, bodies_limit))
    all_ids = sorted(i for i in bodies if related.get(i))
    index = {i: k for k, i in enumerate(all_ids)}
    tfidf = TfidfVectorizer(stop_words="english", min_df=2, sublinear_tf=True)
    matrix = tfidf.fit_transform([bodies[i] for i in all_ids])
    headline_sets = {i: set(related[i]) for i in all_ids}

    rows: list[dict[str, Any]] = []

    def add(body_id: str, kind: str, title: str, text: str, **extra: Any) -> None:
        rows.append(
            {
                "id": f"{body_id}-{kind}",
                "body_id": body_id,
                "fault": kind,
                "label": int(kind not in GENUINE),
                "title": title,
                "text": text,
                **extra,
            }
        )

    for body_id in ids:
        body = bodies[body_id]
        own = rng.choice(related[body_id])
        add(body_id, "clean", own, body)
        lines = rng.sample(FURNITURE_LINES, rng.randint(2, 4))
        add(body_id, "clean_with_furniture", own, body + "\n" + "\n".join(lines))

        other = rng.choice([i for i in all_ids if not headline_sets[i] & headline_sets[body_id]])
        add(body_id, "random_headline", rng.choice(related[other]), body)

        similarity = (matrix @ matrix[index[body_id]].T).toarray().ravel()
        order = [all_ids[k] for k in np.argsort(-similarity)]
        near = [i for i in order if i != body_id and not headline_sets[i] & headline_sets[body_id]]
        source = rng.choice(near[:5])
        add(
            body_id,
            "near_topic_headline",
            rng.choice(related[source]),
            body,
            source_similarity=round(float(similarity[index[source]]), 4),
        )

        title = rng.choice(BOILERPLATE_TITLES)
        a, b = rng.sample(TEAMS, 2)
        add(body_id, "boilerplate_title", title.format(a=a, b=b), body)

        teaser = first_sentence(body)
        if teaser is not None and rng.random() < 0.3:
            wall = f"{teaser} {PAYWALL_AFTER_TEASER}"
        else:
            wall = rng.choice(BOILERPLATE_BODIES)
        add(body_id, "boilerplate_text", own, wall)

        if teaser is not None:
            add(body_id, "truncated_text", own, teaser)
    return rows


def recall_at_false_flags(rows: list[dict[str, Any]], rate: float) -> dict[str, Any]:
    """Recall per fault when the cut-off flags ``rate`` of the genuine rows.

    A rule-flagged row (any reason but low_similarity) is flagged at every cut-off; the
    others are flagged when their similarity is below the cut-off.
    """

    def score(row: dict[str, Any]) -> float:
        reasons = set(row["reasons"]) - {"low_similarity"}
        if reasons or row["similarity"] is None:
            return float("inf")
        if row.get("probability") is not None:
            return row["probability"]
        return -row["similarity"]

    genuine = sorted((score(r) for r in rows if r["label"] == 0), reverse=True)
    allowed = int(rate * len(genuine))
    cut = genuine[allowed] if allowed < len(genuine) else -float("inf")

    # Rule flags hold at every cut-off, so the false-flag rate can exceed ``rate``: it is
    # reported as measured.
    def flagged(value: float) -> bool:
        return value > cut or value == float("inf")

    report: dict[str, Any] = {
        "false_flag_rate": round(sum(flagged(s) for s in genuine) / len(genuine), 4)
    }
    by_kind: dict[str, list[bool]] = {}
    for row in rows:
        if row["label"] == 1:
            by_kind.setdefault(row["fault"], []).append(flagged(score(row)))
    flagged_all = [f for v in by_kind.values() for f in v]
    report["recall_all_faults"] = round(sum(flagged_all) / len(flagged_all), 4)
    report["recall"] = {k: round(sum(v) / len(v), 4) for k, v in sorted(by_kind.items())}
    # Near-topic recall by how alike the two bodies are (TF-IDF): at the top the headline's
    # own body often tells the same event (another FNC-1 claim about it), not another story.
    bands: dict[str, list[bool]] = {}
    for row in rows:
        if "source_similarity" in row:
            band = next(name for name, top in SOURCE_BANDS if row["source_similarity"] < top)
            bands.setdefault(band, []).append(flagged(score(row)))
    report["near_topic_by_source_similarity"] = {
        name: {"rows": len(bands[name]), "recall": round(sum(bands[name]) / len(bands[name]), 4)}
        for name, _ in SOURCE_BANDS
        if bands.get(name)
    }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--bodies", type=int, default=None, help="use this many bodies")
    parser.add_argument("--write", type=Path, default=None, help="also write the labelled rows")
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="also calibrate without labels on a crawl of the genuine rows plus "
        "3%% of the faults, and report the calibrated recall",
    )
    parser.add_argument("--backend", default="torch", choices=("torch", "onnx"))
    parser.add_argument(
        "--no-context", action="store_true", help="calibrate without the context decision"
    )
    parser.add_argument(
        "--labelled",
        action="store_true",
        help="also calibrate with labels on the rows of half the bodies and report recall on "
        "the other half's rows, both ways round",
    )
    args = parser.parse_args()
    if not fnc1format.present(args.data):
        sys.exit(f"FNC-1 data not found in {args.data}; pass --data")
    rows = build(args.data, bodies_limit=args.bodies)
    if args.write:
        with open(args.write, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")

    from headcheck import Detector

    detector = Detector(cache_size=200_000, backend=args.backend)
    report: dict[str, Any] = {"rows": len(rows), "by_kind": dict(Counter(r["fault"] for r in rows))}
    report["uncalibrated"] = score_rows(rows, detector)
    if args.calibrate:
        from headcheck.calibrate.corpus import calibrate

        rng = random.Random(SEED)
        faults = [r for r in rows if r["label"] == 1]
        crawl = [r for r in rows if r["label"] == 0] + rng.sample(faults, len(faults) * 3 // 100)
        calibration = calibrate(
            [(r["title"], r["text"]) for r in crawl], detector=detector, context=not args.no_context
        )
        calibrated = detector.with_options(calibration=calibration)
        report["calibrated"] = score_rows(rows, calibrated)
    if args.labelled:
        report["labelled"] = labelled(rows, detector, context=not args.no_context)
    print(json.dumps(report, indent=2))


def labelled(rows: list[dict[str, Any]], detector: Any, *, context: bool) -> dict[str, Any]:
    """Calibrate with labels on the rows of half the bodies (a fixed-seed split) and score the
    other half's rows, both ways round: what ``calibrate --label-field`` learns from a
    labelled sample of a crawl, measured on bodies it has not seen. ``pooled`` measures
    recall at 1% false flags over all rows, each scored by the half it was not fitted on."""
    from headcheck.calibrate.corpus import calibrate

    bodies = sorted({r["body_id"] for r in rows})
    first = set(random.Random(SEED).sample(bodies, len(bodies) // 2))
    halves = (
        [r for r in rows if r["body_id"] in first],
        [r for r in rows if r["body_id"] not in first],
    )
    report: dict[str, Any] = {}
    for name, (fit_on, scored) in (("first", halves), ("second", halves[::-1])):
        calibration = calibrate(
            [(r["title"], r["text"]) for r in fit_on],
            detector=detector,
            labels=[r["label"] for r in fit_on],
            context=context,
        )
        report[f"fitted_on_{name}_half"] = score_rows(
            scored, detector.with_options(calibration=calibration)
        )
    report["pooled"] = recall_at_false_flags(halves[0] + halves[1], 0.01)
    return report


def score_rows(rows: list[dict[str, Any]], detector: Any) -> dict[str, Any]:
    """Score every row, then measure recall per fault at 1% false flags."""
    started = time.perf_counter()
    pairs = ((r["title"], r["text"]) for r in rows)
    for row, result in zip(rows, detector.check_many(pairs), strict=True):
        row["similarity"], row["reasons"] = result.similarity, list(result.reasons)
        row["probability"] = result.mismatch_probability
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "at_1pct_false_flags": recall_at_false_flags(rows, 0.01),
    }


if __name__ == "__main__":
    main()
