"""The report on the FNC-1 training pairs (unrelated = mismatch), and the README's picture.

Builds ``pairs.jsonl`` from ../shared/data/fnc1-train (title, text, stance and a label: 1 for
``unrelated``) and reports on it, scoring on the fly, with the labels (ROC, precision-recall and
calibration curves) and the stance as the group. The report is built once and written three ways:
``report.html``, ``report.md`` and every plot under ``plots/``; the similarity histogram is
copied to ``docs/report-fnc1.png``. The HTML alone is what this command writes:

    headcheck report pairs.jsonl -o report.html --label-field label --group-field stance \\
        --plot-dir plots

Usage: python benchmarks/fnc1_report.py [--data DIR] [--work DIR] [--limit N] [--no-picture]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

from headcheck import Detector
from headcheck.report import plots, render
from headcheck.report.build import build_report
from headcheck.report.options import ReportOptions

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fnc1format  # noqa: E402  (a sibling script, not a package)

DEFAULT_DATA = fnc1format.FNC1
PICTURE = HERE.parent / "docs" / "report-fnc1.png"


def build(data: Path, destination: Path, limit: int | None) -> int:
    bodies, stances = fnc1format.bodies(data), fnc1format.stances(data)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--work", type=Path, default=Path("/tmp/headcheck-fnc1-report"))
    parser.add_argument("--limit", type=int, default=None, help="sample this many pairs")
    parser.add_argument("--max-pairs", type=int, default=20_000, help="pairs re-paired")
    parser.add_argument("--no-picture", action="store_true", help=f"leave {PICTURE} alone")
    args = parser.parse_args()
    if not fnc1format.present(args.data):
        sys.exit(f"FNC-1 data not found in {args.data}; pass --data")
    args.work.mkdir(parents=True, exist_ok=True)
    pairs = args.work / "pairs.jsonl"
    print(f"{build(args.data, pairs, args.limit)} pairs in {pairs}", file=sys.stderr)
    started = time.perf_counter()
    options = ReportOptions(label_field="label", group_field="stance", max_pairs=args.max_pairs)
    report = build_report(str(pairs), detector=Detector(), options=options, input_format="jsonl")
    built = time.perf_counter() - started
    images = plots.draw(report)
    (args.work / "plots").mkdir(exist_ok=True)
    links = {}
    for image in images:
        (args.work / "plots" / f"{image.name}.png").write_bytes(image.png)
        links[image.name] = f"plots/{image.name}.png"
    render.write_text(str(args.work / "report.html"), render.html(report, images))
    render.write_text(str(args.work / "report.md"), render.markdown(report, images, links))
    print(f"report built in {built:.0f} s; written to {args.work}", file=sys.stderr)
    if not args.no_picture:
        PICTURE.parent.mkdir(exist_ok=True)
        shutil.copyfile(args.work / "plots" / "similarity.png", PICTURE)
        print(f"copied the histogram to {PICTURE} ({PICTURE.stat().st_size:,} bytes)")
    print((args.work / "report.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
