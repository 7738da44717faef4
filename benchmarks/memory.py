"""Peak memory of `headcheck scan` on a 10,000-row and a 1,000,000-row JSONL: flat, not growing
with the input.

The rows cycle through the crawl-like stream of ``benchmarks/speed.py`` (FNC-1 bodies, 5%
faults), each with its own id. Both files are scanned the same way (by default the fast
configuration: onnx backend, the cascade of a calibration fitted on the stream, 2 workers),
and the peak of the summed RSS of the scan and its workers is compared. The output row count
is checked against the input's.

Usage: python benchmarks/memory.py [--rows N] [--small N] [--work DIR] [--torch]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import faults  # noqa: E402 - helpers beside this script
import speed  # noqa: E402


def write_rows(stream: list[dict], path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i in range(rows):
            row = stream[i % len(stream)]
            record = {"id": i, "title": row["title"], "text": row["text"]}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


def count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=faults.DEFAULT_DATA)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--torch", action="store_true", help="torch backend, no cascade, 1 process")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="headcheck-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    headcheck = shutil.which("headcheck", path=str(Path(sys.executable).parent)) or "headcheck"
    stream = speed.build_stream(args.data, None)
    write_rows(stream, work / "stream.jsonl", len(stream))
    if args.torch:
        options = ["--no-cascade"]
    else:
        calibration = work / "calibration-onnx.json"
        speed.run([headcheck, "calibrate", str(work / "stream.jsonl"), "-o", str(calibration),
                   "--backend", "onnx", "--max-pairs", "600", "--no-context"])  # fmt: skip
        options = ["--backend", "onnx", "--calibration", str(calibration), "--workers", "2"]
    figures = {}
    for rows in (args.small, args.rows):
        source, output = work / f"rows-{rows}.jsonl", work / f"out-{rows}.jsonl"
        write_rows(stream, source, rows)
        command = [headcheck, "scan", str(source), "-o", str(output), "--id-field", "id",
                   "--no-progress", *options]  # fmt: skip
        wall, peak, stderr = speed.run(command)
        written = count_lines(output)
        figures[rows] = {"seconds": round(wall), "peak_rss_mb": round(peak / 2**20),
                         "rows_out": written}  # fmt: skip
        print(f"{rows:>9} rows: peak {peak / 2**20:.0f} MB, {wall:.0f} s, "
              f"{written} rows written ({'exact' if written == rows else 'MISMATCH'})")  # fmt: skip
        print(f"   {stderr.strip().splitlines()[-1]}")
        source.unlink()
    small, large = figures[args.small]["peak_rss_mb"], figures[args.rows]["peak_rss_mb"]
    print(f"peak memory {args.rows} rows / {args.small} rows: {large / small:.3f}")


if __name__ == "__main__":
    main()
