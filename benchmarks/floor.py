"""How fast could the default command be on this machine? The cost floor of "Fast by default".

The target is ``headcheck scan`` at 30 times the rows per second of plain
sentence-transformers. This script measures, in one run on one realistic crawl
(``../shared/bench/crawl.py`` on FNC-1 train, 10% faults, seed 1, its labels stripped), what
that target leaves for each row and what each part of a row costs:

  budget       the CPU milliseconds a row may take at 30x: the machine's CPUs over 30 times
               the plain path's rows per second, the plain path (as ``benchmarks/speed.py``
               runs it: headline and body, 256 tokens, embedded with the packaged model by
               sentence-transformers, cosine) measured here on the whole crawl (or its
               first ``--plain-rows`` rows), in its own process, its start included
  lead         the int8 transformer on one lead (the first 640 characters of the body), as
               the default encoder runs it (each text alone, one thread), CPU ms
  headline     the same for one headline
  static lead  the distilled static vectors of one lead (what a cascade would use instead)
  rest         the CPU ms a row of ``headcheck scan`` costs outside the transformer (reading,
               cleaning, language identification, rules, features, the corpus evidence, the
               trees, writing), measured on a real scan of the whole crawl in this process
               with the transformer's own CPU time taken out

It prints each cost against the budget, and the largest share of the leads that could be
embedded by the transformer within it. The inputs are the crawl's distinct rows; the
transformer costs are the best of three passes over the same 400 leads and headlines.

    python benchmarks/floor.py [--plain-rows N] [--json FILE]
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

from speed import run  # noqa: E402  (a command's wall, peak memory and CPU seconds)

from crawl import build, strip  # noqa: E402  (the quality benchmark's crawl builder)

TARGET = 30.0
SAMPLE = 400


def plain_rate(stripped: Path, rows: int | None, work: Path) -> float:
    """Rows per second of the plain sentence-transformers path on the first ``rows`` rows, in
    a process of its own (model loading included, as a user's script would)."""
    lines = stripped.read_text(encoding="utf-8").splitlines(keepends=True)[:rows]
    part = work / "plain.jsonl"
    part.write_text("".join(lines), encoding="utf-8")
    code = (
        "import sys; sys.path.insert(0, sys.argv[3]); from speed import plain; "
        "plain(sys.argv[1], sys.argv[2])"
    )
    wall, _, _, _ = run([sys.executable, "-c", code, str(part), str(work / "p.json"), str(HERE)])
    return len(lines) / wall


def per_text_ms(texts: list[str], encode: Any) -> float:
    """CPU ms per text of ``encode`` on each text alone, best of three passes."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for text in texts:
            encode([text])
        best = min(best, time.process_time() - started)
    return 1000 * best / len(texts)


def scan_rest_ms(stripped: Path, work: Path) -> tuple[float, float, int]:
    """(CPU ms a row outside the transformer, CPU ms a row in it, rows) of a real scan of
    ``stripped`` in this process (one worker), the transformer's calls timed apart."""
    from headcheck.cli.main import main
    from headcheck.embed.onnx import OnnxEncoder

    spent = [0.0]
    encode = OnnxEncoder.encode

    def timed(self: OnnxEncoder, texts: list[str]) -> Any:
        started = time.process_time()
        try:
            return encode(self, texts)
        finally:
            spent[0] += time.process_time() - started

    OnnxEncoder.encode = timed  # type: ignore[method-assign]
    try:
        started = time.process_time()
        code = main(
            [
                "scan", str(stripped), "-o", str(work / "out.jsonl"),
                "--backend", "onnx", "--workers", "1", "--quiet", "--no-progress",
            ]
        )  # fmt: skip
        total = time.process_time() - started
    finally:
        OnnxEncoder.encode = encode  # type: ignore[method-assign]
    if code not in (0, 1):
        sys.exit(f"headcheck scan exited {code}")
    rows = sum(1 for _ in stripped.open(encoding="utf-8"))
    return 1000 * (total - spent[0]) / rows, 1000 * spent[0] / rows, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plain-rows", type=int, help="default: the whole crawl")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from headcheck.embed.onnx import OnnxEncoder
    from headcheck.embed.resolve import available_cpus, resolve_model
    from headcheck.embed.static import StaticEmbedder
    from headcheck.text.prepare import lead

    cpus = available_cpus()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        labelled = build("fnc1", 0.1, 1, work)
        stripped = work / "crawl.jsonl"
        strip(labelled, stripped)
        rows = [json.loads(line) for line in stripped.open(encoding="utf-8")]
        plain = plain_rate(stripped, args.plain_rows, work)
        encoder = OnnxEncoder(threads=1)
        sample = rows[:SAMPLE]
        leads = [lead(r["text"]) for r in sample]
        lead_ms = per_text_ms(leads, encoder.encode)
        headline_ms = per_text_ms([r["title"] for r in sample], encoder.encode)
        static = StaticEmbedder(resolve_model(None))
        static_ms = per_text_ms(leads, static.encode)
        rest_ms, model_ms, scanned = scan_rest_ms(stripped, work)
    budget = 1000 * cpus / (TARGET * plain)
    result = {
        "cpus": cpus,
        "plain_rows_per_s": round(plain, 2),
        "budget_ms": round(budget, 2),
        "lead_ms": round(lead_ms, 2),
        "headline_ms": round(headline_ms, 2),
        "static_lead_ms": round(static_ms, 3),
        "rest_ms": round(rest_ms, 2),
        "scan_transformer_ms": round(model_ms, 2),
        "scan_rows": scanned,
    }
    left = budget - rest_ms - headline_ms
    share = max(0.0, min(1.0, left / lead_ms))
    print(f"plain sentence-transformers: {plain:.1f} rows/s on {cpus} CPUs")
    print(f"budget at {TARGET:g}x: {budget:.2f} CPU ms a row")
    for name, value in (
        ("a lead, int8 transformer", lead_ms),
        ("a headline, int8 transformer", headline_ms),
        ("a lead, static vectors", static_ms),
        ("the rest of a scan (outside the transformer)", rest_ms),
        ("the transformer in that scan", model_ms),
        ("the whole scan", rest_ms + model_ms),
    ):
        print(f"  {name:46s} {value:8.2f} ms  ({value / budget:.2f} of the budget)")
    print(
        f"within the budget, with every headline embedded and the rest as it is: at most "
        f"{share:.0%} of the leads through the transformer"
    )
    result["lead_share_within_budget"] = round(share, 3)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
