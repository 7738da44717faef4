"""Peak memory and rate of ``headcheck scan`` on 10,000 and 1,000,000 rows that are all
distinct: flat, not growing with the input, every row written once and in order.

The rows are made from a realistic crawl (``../shared/bench/crawl.py`` on FNC-1 train, 10%
faults, seed 1: news bodies of real length): row ``i`` is crawl row ``i mod n`` with its row
number written into its headline ("... (report i)") and at the start of its body ("Report
i. ..."), so that no two rows share a headline or a lead and neither the embedding cache nor
the result cache can serve a row: this measures the detector, not a cache. Each file is
written, scanned and deleted in turn.

Two ways to score them:

* ``--encoder model`` (the default): ``headcheck scan FILE -o OUT`` with no options, the
  command a user runs; the peak is the largest summed RSS of the scan and its worker
  processes, sampled every 50 ms. A million distinct rows with the model takes about five
  hours on this project's two cores.
* ``--encoder hash``: ``tests/scan_runner.py``, the same ``scan_file`` with the cheap
  hashing encoder of ``tests/synthetic.py`` in place of the model (everything else real:
  reading, cleaning, language identification, rules, features, the corpus decision's blocks,
  the bounded caches, the writer), so that a million rows take minutes; the peak is the
  process's own (getrusage). This is what ``tests/test_load.py`` holds to its bound.

Each run's output is read back: its row count, and its ids, which must be 0, 1, 2, ... in
order. Prints a line a run and the ratio of the two peaks (the target: the large run under
1.5 GB and at most 1.10x the small one).

Usage: python benchmarks/memory.py [--rows 1000000] [--small 10000] [--encoder model|hash]
                                   [--workers N] [--work DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from speed import headcheck_command  # noqa: E402
from speed import run as run_measured  # noqa: E402

from crawl import build as build_crawl  # noqa: E402 - the sibling benchmark's builder
from crawl import strip  # noqa: E402

RUNNER = HERE.parent / "tests" / "scan_runner.py"


def distinct_rows(base: list[dict[str, Any]], count: int) -> Iterator[dict[str, Any]]:
    """``count`` rows from ``base``, each with its own headline and lead (see the module)."""
    for i in range(count):
        row = base[i % len(base)]
        yield {
            "id": i,
            "title": f"{row['title']} (report {i})",
            "text": f"Report {i}. {row['text']}",
        }


def write(path: Path, rows: Iterator[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_back(path: Path) -> tuple[int, bool]:
    """(rows written, whether their ids are 0, 1, 2, ... in order)."""
    count, in_order = 0, True
    with path.open(encoding="utf-8") as f:
        for line in f:
            in_order = in_order and json.loads(line).get("id") == count
            count += 1
    return count, in_order


def scan(source: Path, output: Path, encoder: str, workers: int | None) -> dict[str, float]:
    """Seconds and peak RSS (MB) of one scan of ``source``."""
    if encoder == "model":
        command = [headcheck_command(), "scan", str(source), "-o", str(output), "--no-progress"]
        if workers is not None:
            command += ["--workers", str(workers)]
        wall, peak, _, cpu = run_measured(command)
        return {"seconds": wall, "peak_mb": peak / 2**20, "cpu_seconds": cpu}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(RUNNER), str(source), str(output)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"{RUNNER} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout)
    return {"seconds": time.perf_counter() - started, "peak_mb": report["peak_rss_mb"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--encoder", choices=["model", "hash"], default="model")
    parser.add_argument("--work", type=Path, default=None, help="folder for the files")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--workers", type=int, default=None, help="scan's --workers (default: scan's own default)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.work) as folder:
        work = Path(folder)
        base_file = work / "base.jsonl"
        strip(build_crawl("fnc1", 0.1, 1, work), base_file)
        with base_file.open(encoding="utf-8") as f:
            base = [json.loads(line) for line in f]
        figures: dict[str, Any] = {"encoder": args.encoder, "base_rows": len(base), "runs": {}}
        print(f"rows made distinct from a {len(base)}-row FNC-1 crawl; encoder: {args.encoder}")
        for rows in (args.small, args.rows):
            source, output = work / f"rows-{rows}.jsonl", work / f"out-{rows}.jsonl"
            write(source, distinct_rows(base, rows))
            measured = scan(source, output, args.encoder, args.workers)
            written, in_order = read_back(output)
            source.unlink()
            output.unlink()
            rate = rows / measured["seconds"]
            figures["runs"][rows] = {
                **{k: round(v, 1) for k, v in measured.items()},
                "rows_per_s": round(rate, 1),
                "rows_written": written,
                "in_order": in_order,
            }
            exact = "exact" if written == rows else "MISMATCH"
            print(
                f"{rows:>9,} rows: peak {measured['peak_mb']:,.0f} MB, "
                f"{measured['seconds']:,.0f} s ({rate:,.1f} rows/s), {written:,} rows written "
                f"({exact}, ids {'in order' if in_order else 'OUT OF ORDER'})"
            )
    small, large = (figures["runs"][n]["peak_mb"] for n in (args.small, args.rows))
    figures["peak_ratio"] = round(large / small, 3)
    print(f"peak memory, {args.rows:,} rows / {args.small:,} rows: {large / small:.3f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
