"""Quality and speed of `headcheck scan` on the FNC-1 training pairs (unrelated = mismatch).

Builds two JSONL files from ../shared/data/fnc1-train and scans each with the real command:

* ``pairs.jsonl``: all 49,972 headline/body pairs, in the data set's order. FNC-1 puts many
  headlines over each of its 1,683 bodies, so the embedding cache serves most texts here;
  this file gives the ROC-AUC and the articles/s on a heavily repetitive file.
* ``distinct.jsonl``: one pair per body (a fixed-seed pick), the throughput of a crawl in
  which every article is new.

Usage: python benchmarks/fnc1_scan.py [--data DIR] [--work DIR] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from headcheck.calibrate.evaluate import recall_at

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fnc1format  # noqa: E402  (a sibling script, not a package)

DEFAULT_DATA = fnc1format.FNC1


def build(data: Path, work: Path, limit: int | None) -> tuple[Path, Path]:
    bodies, stances = fnc1format.bodies(data), fnc1format.stances(data)
    if limit:
        stances = random.Random(0).sample(stances, limit)
    pairs, distinct = work / "pairs.jsonl", work / "distinct.jsonl"
    by_body: dict[str, list[int]] = {}
    with open(pairs, "w", encoding="utf-8") as f:
        for i, row in enumerate(stances):
            record = {
                "id": i,
                "title": row["Headline"],
                "text": bodies[row["Body ID"]],
                "body_id": row["Body ID"],
                "stance": row["Stance"],
            }
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            by_body.setdefault(row["Body ID"], []).append(i)
    rng = random.Random(0)
    chosen = sorted(rng.choice(ids) for ids in by_body.values())
    with open(distinct, "w", encoding="utf-8") as f:
        for i in chosen:
            row = stances[i]
            record = {"id": i, "title": row["Headline"], "text": bodies[row["Body ID"]]}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return pairs, distinct


def scan(source: Path, destination: Path) -> tuple[float, str]:
    exe = shutil.which("headcheck", path=str(Path(sys.executable).parent)) or "headcheck"
    started = time.perf_counter()
    done = subprocess.run(
        [exe, "scan", str(source), "-o", str(destination), "--id-field", "id", "--no-progress"],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"scan of {source} failed ({done.returncode}):\n{done.stderr}")
    return wall, done.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--work", type=Path, default=Path("/tmp/headcheck-fnc1"))
    parser.add_argument("--limit", type=int, default=None, help="sample this many pairs")
    args = parser.parse_args()
    if not fnc1format.present(args.data):
        sys.exit(f"FNC-1 data not found in {args.data}; pass --data")
    args.work.mkdir(parents=True, exist_ok=True)
    pairs, distinct = build(args.data, args.work, args.limit)

    wall_pairs, summary_pairs = scan(pairs, args.work / "pairs.scored.jsonl")
    wall_distinct, summary_distinct = scan(distinct, args.work / "distinct.scored.jsonl")

    stance = {}
    with open(pairs, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            stance[record["id"]] = record["stance"]
    scores, labels, flagged = [], [], []
    with open(args.work / "pairs.scored.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            similarity = row["headline_similarity"]
            scores.append(-1.0 if similarity is None else similarity)
            labels.append(int(stance[row["id"]] == "unrelated"))
            flagged.append(bool(row["is_headline_mismatch"]))
    s, y, f_ = np.array(scores), np.array(labels), np.array(flagged)
    report = {
        "pairs": len(s),
        "mismatches": int(y.sum()),
        "roc_auc": round(float(roc_auc_score(y, -s)), 4),
        "recall_at_1pct_false_flags": round(recall_at(-s, y, 0.01), 4),
        "default_threshold_false_flag_rate": round(float(f_[y == 0].mean()), 4),
        "default_threshold_recall": round(float(f_[y == 1].mean()), 4),
        "pairs_file": {
            "rows": len(s),
            "wall_s": round(wall_pairs, 1),
            "articles_per_s_wall": round(len(s) / wall_pairs, 1),
            "summary": summary_pairs,
        },
        "distinct_file": {
            "rows": len(distinct.read_text(encoding="utf-8").splitlines()),
            "wall_s": round(wall_distinct, 1),
            "summary": summary_distinct,
        },
    }
    report["distinct_file"]["articles_per_s_wall"] = round(
        report["distinct_file"]["rows"] / wall_distinct, 1
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
