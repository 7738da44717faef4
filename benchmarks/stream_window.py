"""Items that arrive a few at a time: the Scrapy pipeline's window against a file scan.

Builds realistic crawls with ../shared/bench/crawl.py, then decides each crawl three ways and
scores each with ../shared/bench/score.py:

* ``scan``: ``headcheck scan`` on the file (the whole crawl read as a corpus);
* ``stream``: the Scrapy pipeline's batcher, items in crawl order in batches of 64, each batch
  read against the last ``--window`` items (HEADCHECK_WINDOW, default 1,000);
* ``stream-alone``: the same with the window off (each item on its own evidence).

Every row is a distinct article. Seconds are wall time on this machine, in one run.

    python benchmarks/stream_window.py --data fnc1 arc --seeds 1 2
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from crawl import build, check, score  # the benchmark's own helpers, found by the path above


def stream(crawl: Path, out: Path, window: int, batch: int = 64) -> float:
    """Decide the crawl's rows as the Scrapy pipeline does; return the seconds taken."""
    from headcheck import Detector
    from headcheck.integrations.batcher import Batcher
    from headcheck.result import result_fields

    rows = [json.loads(line) for line in crawl.read_text(encoding="utf-8").splitlines()]
    detector = Detector()
    detector.encoder  # noqa: B018 - loaded before the clock starts, as the pipeline does
    batcher = Batcher(detector, size=batch, wait=0.0, window=window)
    started = time.perf_counter()
    with out.open("w", encoding="utf-8") as f:
        for start in range(0, len(rows), batch):
            part = rows[start : start + batch]
            results = batcher._score([(r["title"], r["text"]) for r in part])
            for row, result in zip(part, results, strict=True):
                assert not isinstance(result, Exception), result
                f.write(json.dumps({"id": row["id"], **result_fields(result)}) + "\n")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="+", default=["fnc1"], choices=["fnc1", "arc"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1])
    parser.add_argument("--share", type=float, default=0.10)
    parser.add_argument("--window", type=int, default=1_000)
    args = parser.parse_args(argv)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for data in args.data:
            for seed in args.seeds:
                crawl = build(data, args.share, seed, work)
                scanned = check(crawl, work, "default", "onnx")
                results.append({"data": data, "seed": seed, "way": "scan", **scanned})
                for way, window in (("stream", args.window), ("stream-alone", 0)):
                    out = work / f"{crawl.stem}.{way}.out.jsonl"
                    seconds = stream(crawl, out, window)
                    result = score(crawl, out)
                    result["seconds"] = round(seconds, 1)
                    results.append({"data": data, "seed": seed, "way": way, **result})
    kinds = ["near_topic_headline", "random_headline", "truncated_body", "index_page",
             "mixed_body"]  # fmt: skip
    print("| data | seed | way | false flags | recall | " + " | ".join(kinds) + " | seconds |")
    print("|---" * (6 + len(kinds)) + "|")
    for r in results:
        cells = [f"{r.get(f'flagged[{k}]', float('nan')):.2f}" for k in kinds]
        print(
            f"| {r['data']} | {r['seed']} | {r['way']} | {r['false_flags']:.3f} | "
            f"{r['recall']:.3f} | " + " | ".join(cells) + f" | {r['seconds']} |"
        )
    print(json.dumps(results, indent=1, default=str), file=sys.stderr)


if __name__ == "__main__":
    main()
