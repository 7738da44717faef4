"""What `headcheck calibrate` costs against `headcheck scan` of the same file, in one run.

Writes a file of ``--rows`` distinct FNC-1 pairs (a fixed-seed sample of the training
headline/body pairs, ``../shared/data/fnc1-train``), then times ``headcheck scan FILE`` and
``headcheck calibrate FILE``, each in a fresh process (so neither finds the other's embeddings
cached), alternating, ``--repeat`` times, and prints the ratio of their medians. The issue's
target: calibrate of a 10,000-row crawl costs at most twice the scan.

Usage: python benchmarks/calibrate_cost.py [--rows 10000] [--repeat 2] [--backend torch]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fnc1format  # noqa: E402  (a sibling script, not a package)

DATA = fnc1format.FNC1


def write_rows(path: Path, rows: int) -> None:
    bodies = fnc1format.bodies(DATA)
    pairs = sorted({(r["Headline"], r["Body ID"]) for r in fnc1format.stances(DATA)})
    chosen = random.Random(0).sample(pairs, min(rows, len(pairs)))
    with path.open("w", encoding="utf-8") as f:
        for i, (headline, body) in enumerate(chosen):
            f.write(json.dumps({"id": i, "title": headline, "text": bodies[body]}) + "\n")


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--backend", choices=["torch", "onnx"], default="torch")
    args = parser.parse_args(argv)
    exe = str(Path(sys.executable).with_name("headcheck"))
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "crawl.jsonl"
        write_rows(source, args.rows)
        common = ["--backend", args.backend]
        scan = [exe, "scan", str(source), "-o", str(Path(folder) / "out.jsonl"), "-q",
                "--no-progress", *common]  # fmt: skip
        calibrate = [exe, "calibrate", str(source), "-o", str(Path(folder) / "cal.json"), *common]
        times: dict[str, list[float]] = {"scan": [], "calibrate": []}
        for _ in range(args.repeat):
            times["scan"].append(timed(scan))
            times["calibrate"].append(timed(calibrate))
    medians = {k: statistics.median(v) for k, v in times.items()}
    print(
        json.dumps(
            {
                "rows": args.rows,
                "backend": args.backend,
                "seconds": {k: [round(t, 1) for t in v] for k, v in times.items()},
                "calibrate_over_scan": round(medians["calibrate"] / medians["scan"], 2),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
