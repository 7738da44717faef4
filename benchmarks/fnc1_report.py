"""The report on the FNC-1 training pairs (unrelated = mismatch), and the README's picture.

Builds ``pairs.jsonl`` from ../shared/data/fnc1-train (title, text, stance and a label: 1 for
``unrelated``), scans it with the real command, then runs ``headcheck report`` on the scanned
file twice: HTML (with every plot also written to ``plots/``) and Markdown. The labels give the
ROC, precision-recall and calibration curves; ``--group-field stance`` the flagged rate by
stance. The similarity histogram is copied to ``docs/report-fnc1.png``.

Usage: python benchmarks/fnc1_report.py [--data DIR] [--work DIR] [--limit N] [--no-picture]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "fnc1-train"
PICTURE = HERE.parent / "docs" / "report-fnc1.png"


def build(data: Path, destination: Path, limit: int | None) -> int:
    with open(data / "train_bodies.csv", encoding="utf-8", newline="") as f:
        bodies = {row["Body ID"]: row["articleBody"] for row in csv.DictReader(f)}
    with open(data / "train_stances.csv", encoding="utf-8", newline="") as f:
        stances = list(csv.DictReader(f))
    if limit:
        stances = random.Random(0).sample(stances, limit)
    with open(destination, "w", encoding="utf-8") as f:
        for i, row in enumerate(stances):
            record = {
                "id": i,
                "title": row["Headline"],
                "text": bodies[row["Body ID"]],
                "stance": row["Stance"],
                "label": int(row["Stance"] == "unrelated"),
            }
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(stances)


def headcheck(*args: str) -> str:
    exe = shutil.which("headcheck", path=str(Path(sys.executable).parent)) or "headcheck"
    started = time.perf_counter()
    done = subprocess.run([exe, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"headcheck {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    line = done.stderr.strip().splitlines()[-1]
    return f"{line} [{time.perf_counter() - started:.0f} s wall]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--work", type=Path, default=Path("/tmp/headcheck-fnc1-report"))
    parser.add_argument("--limit", type=int, default=None, help="sample this many pairs")
    parser.add_argument("--no-picture", action="store_true", help=f"leave {PICTURE} alone")
    args = parser.parse_args()
    if not (args.data / "train_stances.csv").is_file():
        sys.exit(f"FNC-1 data not found in {args.data}; pass --data")
    args.work.mkdir(parents=True, exist_ok=True)
    pairs, scanned = args.work / "pairs.jsonl", args.work / "pairs.scanned.jsonl"
    print(f"{build(args.data, pairs, args.limit)} pairs in {pairs}", file=sys.stderr)
    print(headcheck("scan", str(pairs), "-o", str(scanned), "--no-progress"), file=sys.stderr)
    common = ["--label-field", "label", "--group-field", "stance", "--no-progress"]
    html, markdown, plots = args.work / "report.html", args.work / "report.md", args.work / "plots"
    print(
        headcheck("report", str(scanned), "-o", str(html), "--plot-dir", str(plots), *common),
        file=sys.stderr,
    )
    print(headcheck("report", str(scanned), "-o", str(markdown), *common), file=sys.stderr)
    if not args.no_picture:
        PICTURE.parent.mkdir(exist_ok=True)
        shutil.copyfile(plots / "similarity.png", PICTURE)
        print(f"copied the histogram to {PICTURE} ({PICTURE.stat().st_size:,} bytes)")
    print(markdown.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
