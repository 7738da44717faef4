"""Run one ``scan_file`` with the cheap :class:`synthetic.HashEncoder`, in its own process, and
print its counts and peak memory as JSON.

Usage: python scan_runner.py INPUT OUTPUT [--resume] [--delay SECONDS] [--batch-size N]
A separate process so that its peak RSS is its own, and so that a test can SIGKILL it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from headcheck import Detector
from headcheck.io.formats import detect_format
from headcheck.run.scan import scan_file
from headcheck.run.settings import ScanOptions
from peak import own_peak_rss_mb
from synthetic import HashEncoder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--on-error", default="fail")
    args = parser.parse_args()
    detector = Detector(
        encoder=HashEncoder(delay=args.delay), batch_size=args.batch_size, calibration=None
    )
    started = time.perf_counter()
    stats = scan_file(
        args.input,
        args.output,
        detector=detector,
        options=ScanOptions(on_error=args.on_error),
        input_format=detect_format(args.input),
        output_format=detect_format(args.output),
        resume=args.resume,
    )
    report = {
        "checked": stats.checked,
        "flagged": stats.flagged,
        "resumed": stats.resumed,
        "seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(own_peak_rss_mb(), 1),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
