"""Calibrated decisions on the development data, as the calibration issue asks.

A crawl is simulated from a labelled set: its related (genuine) pairs plus a share of its
unrelated pairs (fixed seed). `calibrate` sees the crawl without labels; the calibrated
detector is then evaluated on every labelled pair. Reported for FNC-1 with 3% and 10%
unrelated pairs in the crawl, and for ARC with 3%, next to the uncalibrated similarity.

Usage: python benchmarks/calibration.py [--data DIR] [--target 0.01] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fnc1format  # noqa: E402  (a sibling script, not a package)

DEFAULT_DATA = fnc1format.DATA
SETS = {
    "fnc1": "fnc1-train",
    "arc": "arc-train",
}


def load(data: Path, name: str, limit: int | None) -> list[tuple[str, str, int]]:
    folder = data / SETS[name]
    bodies = fnc1format.bodies(folder)
    rows = [
        (r["Headline"], bodies[r["Body ID"]], int(r["Stance"] == "unrelated"))
        for r in fnc1format.stances(folder)
    ]
    if limit:
        rows = random.Random(0).sample(rows, limit)
    return rows


def crawl_of(rows: list[tuple[str, str, int]], share: float, seed: int) -> list[tuple[str, str]]:
    """The genuine pairs plus ``share`` of the mismatched ones, shuffled."""
    rng = random.Random(seed)
    genuine = [(h, b) for h, b, y in rows if y == 0]
    mismatched = [(h, b) for h, b, y in rows if y == 1]
    crawl = genuine + rng.sample(mismatched, round(share * len(mismatched)))
    rng.shuffle(crawl)
    return crawl


def run(
    name: str,
    rows: list[tuple[str, str, int]],
    share: float,
    target: float,
    detector: Any,
    context: bool,
) -> dict[str, Any]:
    from headcheck.calibrate.corpus import calibrate
    from headcheck.calibrate.evaluate import evaluate

    started = time.perf_counter()
    crawl = crawl_of(rows, share, seed=7)
    calibration = calibrate(crawl, detector=detector, target=target, context=context)
    calibrated = detector.with_options(calibration=calibration)
    results = list(calibrated.check_many((h, b) for h, b, _ in rows))
    report = evaluate(results, [y for _, _, y in rows], [h for h, _, _ in rows])
    return {
        "set": name,
        "unrelated_share_in_crawl": share,
        "target": target,
        "estimated_mismatch_rate": calibration.estimated_mismatch_rate,
        "thresholds": [round(calibration.short_threshold, 4), round(calibration.long_threshold, 4)],
        "context_thresholds": None
        if calibration.context is None
        else [
            round(calibration.context.short_threshold, 4),
            round(calibration.context.long_threshold, 4),
        ],
        "seconds": round(time.perf_counter() - started, 1),
        **report,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--target", type=float, default=0.01)
    parser.add_argument("--limit", type=int, default=None, help="sample this many pairs per set")
    parser.add_argument("--sets", default="fnc1,arc")
    parser.add_argument("--backend", default="torch", choices=("torch", "onnx"))
    parser.add_argument(
        "--no-context", action="store_true", help="calibrate without the context decision"
    )
    args = parser.parse_args()
    from headcheck import Detector
    from headcheck.calibrate.evaluate import evaluate

    for name in args.sets.split(","):
        folder = args.data / SETS[name]
        if not folder.is_dir():
            sys.exit(f"{folder} not found; pass --data")
        rows = load(args.data, name, args.limit)
        detector = Detector(cache_size=200_000, backend=args.backend)
        plain = list(detector.check_many((h, b) for h, b, _ in rows))
        baseline = evaluate(plain, [y for _, _, y in rows], [h for h, _, _ in rows])
        print(json.dumps({"set": name, "uncalibrated": baseline}), flush=True)
        shares = (0.03, 0.10) if name == "fnc1" else (0.03,)
        for share in shares:
            report = run(name, rows, share, args.target, detector, not args.no_context)
            print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
