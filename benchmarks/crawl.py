"""Quality on realistic crawls: the detector's own yes/no, as a user gets it.

Runs the matrix of the decision issue: crawls built by ``../shared/bench/crawl.py`` from
FNC-1 train and ARC train (each body once; fault shares 0, 5, 10 and 20%; seeds 1-3), and
``../shared/data/real-pages-dev/pairs.jsonl``; each checked by

* ``default``: ``headcheck scan in.jsonl -o out.jsonl`` (no options), and
* ``calibrated``: ``headcheck calibrate in.jsonl -o cal.json`` then
  ``headcheck scan in.jsonl --calibration cal.json``,

run through the real command line (in this process) on the crawl stripped of its labels, and
scored by ``../shared/bench/score.py``. Prints one table: false flags on genuine rows, recall
over all faults and the flagged share of each fault kind, as the mean over the seeds (with
the range when the seeds differ by more than a point).

The crawls of one data set hold the same bodies, so the model's embeddings are memoised for
the whole matrix (and kept on disk between runs, ``--cache``): this measures decisions, not
speed. Every decision step runs as ``headcheck scan`` runs it.

Usage: python benchmarks/crawl.py [--sets fnc1 arc] [--shares 0 0.05 0.1 0.2]
       [--seeds 1 2 3] [--configs default calibrated] [--no-real-pages] [--json FILE]
       [--keep FOLDER]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
SETS = {"fnc1": "fnc1-train", "arc": "arc-train"}
REAL_PAGES = SHARED / "data" / "real-pages-dev" / "pairs.jsonl"
KINDS = (
    "random_headline",
    "near_topic_headline",
    "boilerplate_headline",
    "boilerplate_body",
    "truncated_body",
    "index_page",
    "mixed_body",
)
SHORT = {
    "random_headline": "random",
    "near_topic_headline": "near-topic",
    "boilerplate_headline": "bp title",
    "boilerplate_body": "bp body",
    "truncated_body": "truncated",
    "index_page": "index",
    "mixed_body": "mixed",
}
REAL_KINDS = (
    "gold",
    "extracted",
    "extractor_fault",
    "random_headline",
    "near_topic_headline",
    "truncated_body",
    "site_title",
)


class MemoEncoder:
    """An encoder that remembers every text it has embedded (in memory and in a file)."""

    def __init__(self, inner: Any, path: Path | None) -> None:
        self.inner = inner
        self.path = path
        self.rows: dict[bytes, np.ndarray] = {}
        self.added = 0
        if path is not None and path.is_file():
            with np.load(path) as stored:
                keys, values = stored["keys"], stored["values"]
            self.rows = {bytes(k): v for k, v in zip(keys, values, strict=True)}

    @staticmethod
    def _key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def encode(self, texts: list[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        todo = [i for i, k in enumerate(keys) if k not in self.rows]
        if todo:
            rows = self.inner.encode([texts[i] for i in todo])
            for i, row in zip(todo, rows, strict=True):
                self.rows[keys[i]] = np.asarray(row, dtype=np.float32)
            self.added += len(todo)
        return np.stack([self.rows[k] for k in keys])

    def save(self) -> None:
        if self.path is None or not self.added:
            return
        keys = np.array(list(self.rows), dtype="S16")
        np.savez(self.path, keys=keys, values=np.stack(list(self.rows.values())))
        self.added = 0


def install_memo(backend: str, cache: Path | None) -> MemoEncoder:
    """Make every Detector of this process use one memoising encoder."""
    import headcheck.embed.cached as cached
    from headcheck.embed.model import load_encoder

    memo = MemoEncoder(load_encoder(None, backend=backend), cache)
    # Every detector loads its encoder through headcheck.embed.cached.Embeddings.
    cached.load_encoder = lambda *a, **k: memo  # type: ignore[assignment]
    return memo


def headcheck(*args: str) -> None:
    from headcheck.cli.main import main

    code = main([*args, "--no-progress", "--quiet"] if args[0] == "scan" else list(args))
    if code != 0:
        raise SystemExit(f"headcheck {' '.join(args)} exited {code}")


def score(crawl: Path, output: Path) -> dict[str, Any]:
    result = output.with_suffix(".score.json")
    subprocess.run(
        [sys.executable, str(SHARED / "bench" / "score.py"), str(crawl), str(output),
         "--json", str(result)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return json.loads(result.read_text())


def strip(crawl: Path, destination: Path) -> None:
    with open(crawl, encoding="utf-8") as f, open(destination, "w", encoding="utf-8") as out:
        for line in f:
            row = json.loads(line)
            out.write(json.dumps({k: row[k] for k in ("id", "title", "text")}) + "\n")


def check(
    crawl: Path, work: Path, config: str, backend: str, keep: Path | None = None
) -> dict[str, Any]:
    """Score one configuration on one labelled crawl file (its output, and its calibration
    file, copied into ``keep`` when given)."""
    plain = work / f"{crawl.stem}.in.jsonl"
    strip(crawl, plain)
    out = work / f"{crawl.stem}.{config}.out.jsonl"
    options = ["--backend", backend]
    started = time.perf_counter()
    if config == "calibrated":
        calibration = work / f"{crawl.stem}.cal.json"
        headcheck("calibrate", str(plain), "-o", str(calibration), *options)
        options += ["--calibration", str(calibration)]
    headcheck("scan", str(plain), "-o", str(out), *options)
    if keep is not None:
        shutil.copy(out, keep / out.name)
        if config == "calibrated":
            shutil.copy(calibration, keep / f"{crawl.stem}.cal.json")
    result = score(crawl, out)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def build(data: str, share: float, seed: int, work: Path) -> Path:
    crawl = work / f"{data}-{share:g}-{seed}.jsonl"
    subprocess.run(
        [sys.executable, str(SHARED / "bench" / "crawl.py"), str(SHARED / "data" / SETS[data]),
         "--share", str(share), "--seed", str(seed), "-o", str(crawl)],
        check=True, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return crawl


def cell(values: list[float]) -> str:
    if not values or any(v is None for v in values):
        return "-"
    mean, low, high = float(np.mean(values)), min(values), max(values)
    if high - low > 0.01:
        return f"{mean:.3f} ({low:.2f}-{high:.2f})"
    return f"{mean:.3f}"


def table(results: list[dict[str, Any]]) -> str:
    head = ["set", "decision", "share", "false flags", "recall", *(SHORT[k] for k in KINDS)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    keys = sorted({(r["set"], r["config"], r["share"]) for r in results if r["set"] != "real"})
    for name, config, share in keys:
        runs = [r for r in results if (r["set"], r["config"], r["share"]) == (name, config, share)]
        row = [name, config, f"{share:.0%}", cell([r["false_flags"] for r in runs])]
        row.append(cell([r["recall"] for r in runs]) if share else "-")
        for kind in KINDS:
            values = [r.get(f"flagged[{kind}]") for r in runs]
            row.append(cell(values) if share and all(v is not None for v in values) else "-")
        lines.append("| " + " | ".join(row) + " |")
    real = [r for r in results if r["set"] == "real"]
    if real:
        head = ["real pages", "false flags (gold / extracted)", "recall", *REAL_KINDS[2:]]
        lines += ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in real:
            row = [
                r["config"],
                f"{r['flagged[gold]']:.3f} / {r['flagged[extracted]']:.3f}",
                f"{r['recall']:.3f}",
                *(f"{r.get(f'flagged[{k}]', float('nan')):.3f}" for k in REAL_KINDS[2:]),
            ]
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", choices=sorted(SETS), default=["fnc1", "arc"])
    parser.add_argument("--shares", nargs="+", type=float, default=[0.0, 0.05, 0.10, 0.20])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument(
        "--configs", nargs="+", choices=["default", "calibrated"], default=["default", "calibrated"]
    )
    parser.add_argument("--no-real-pages", action="store_true")
    parser.add_argument(
        "--backend", choices=["torch", "onnx"], default=None, help="default: scan's default"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "headcheck-bench-embeddings",
        help="folder of the memoised embeddings kept between runs ('' for none)",
    )
    parser.add_argument("--json", type=Path, help="also write every score here")
    parser.add_argument(
        "--keep",
        type=Path,
        help="copy every scan output and calibration file into this folder (to compare the "
        "output of two versions of the code: it should not change in a refactor)",
    )
    args = parser.parse_args(argv)
    from headcheck.embed.resolve import default_backend

    args.backend = args.backend or default_backend()
    cache = None
    if str(args.cache):
        args.cache.mkdir(parents=True, exist_ok=True)
        cache = args.cache / f"{args.backend}.npz"
    memo = install_memo(args.backend, cache)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        jobs: list[tuple[str, float, int, Path]] = [
            (name, share, seed, build(name, share, seed, work))
            for name in args.sets
            for share in args.shares
            for seed in args.seeds
        ]
        if not args.no_real_pages:
            jobs.append(("real", 0.0, 0, REAL_PAGES))
        for name, share, seed, crawl in jobs:
            for config in args.configs:
                result = check(crawl, work, config, args.backend, args.keep)
                result.update(set=name, share=share, seed=seed, config=config)
                results.append(result)
                memo.save()
                print(
                    f"{name} {share:.0%} seed {seed} {config}: false flags "
                    f"{result['false_flags']:.4f}, recall {result['recall'] or 0:.3f} "
                    f"({result['seconds']} s)",
                    file=sys.stderr,
                )
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
