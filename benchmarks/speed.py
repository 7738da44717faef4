"""Articles per second, peak memory and recall of headcheck against plain sentence-transformers.

Builds a crawl-like stream from ../shared/data/fnc1-train with the fault set of
``benchmarks/faults.py``: one genuine pair per body (its own headline, some with share-button
or cookie lines appended), plus 5% faults of every kind there (random-story, near-topic and
boilerplate headlines, boilerplate and truncated bodies), shuffled with a fixed seed. Then,
in one run, on the same machine:

  (a) plain      sentence-transformers as a scraper would use it: embed the headline and the
                 body (the model's first 256 tokens) with all-MiniLM-L6-v2, cosine
  (b) torch      `headcheck scan --calibration` with the torch backend, every pair scored by
                 the model (--no-cascade)
  (c) cascade    `headcheck scan --calibration --backend onnx --workers 2`: the cheap stage
                 decides the clear pairs, the int8 ONNX model the rest
  (d) onnx       as (c) with --no-cascade: the cascade's agreement is measured against it
  (e) context    `headcheck scan --calibration --backend onnx` with a calibration that holds a
                 context decision (the default of `calibrate`): the stream is read as one
                 corpus, every pair scored by the model (the cascade does not apply)

Each run is its own process; its peak memory is the largest summed RSS of it and its worker
processes, sampled every 50 ms. (b)-(d) are calibrated without labels on a sample of the
stream itself (`headcheck calibrate --max-pairs --no-context`: pairs decided one by one, as a
pipeline does and as the cascade needs), once per backend, and (e) on the same sample with
its context decision; that one-off time is reported apart. The five runs are repeated in
interleaved rounds (``--repeat``, default 2) and each keeps its fastest round (peak memory:
its largest). Each round also runs the same
command on the stream's first 10 rows: its start-up (imports, model, workers), which is taken
out of the "steady" speed, what a crawl of millions of articles sees. Recall is at 1% false flags on
the genuine rows, rule-flagged rows counting as flagged at any cut-off. Speed is printed as
a ratio against (a) measured in the same run.

It also times the cold start: `headcheck scan` of a 10-row file, against importing
sentence-transformers and loading the model, each the median of three runs.

Usage: python benchmarks/speed.py [--data DIR] [--work DIR] [--genuine N] [--calibration-pairs N]
                                 [--repeat N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import faults  # noqa: E402 - the fault set's builder lives beside this script

FAULT_SHARE = 0.05


def build_stream(data: Path, genuine: int | None, seed: int = 7) -> list[dict[str, Any]]:
    rows = faults.build(data)
    rng = random.Random(seed)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_kind.setdefault(row["fault"], []).append(row)
    pairs = zip(by_kind["clean"], by_kind["clean_with_furniture"], strict=True)
    good = [rng.choice(pair) for pair in pairs]
    if genuine:
        good = rng.sample(good, min(genuine, len(good)))
    wanted = round(len(good) * FAULT_SHARE / (1 - FAULT_SHARE))
    kinds = [k for k in faults.FAULTS if by_kind.get(k)]
    bad = [
        row
        for k, kind in enumerate(kinds)
        for row in rng.sample(by_kind[kind], wanted // len(kinds) + (k < wanted % len(kinds)))
    ]
    stream = good + bad
    rng.shuffle(stream)
    return stream


class PeakMemory:
    """Samples the summed RSS of a process and its descendants until stopped."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree_rss(self) -> int:
        children: dict[int, list[int]] = {}
        rss: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            pid = int(entry.name)
            children.setdefault(int(fields.get("PPid", "0").strip()), []).append(pid)
            rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
        total, todo = 0, [self.pid]
        while todo:
            pid = todo.pop()
            total += rss.get(pid, 0)
            todo.extend(children.get(pid, []))
        return total

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self._tree_rss())

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def run(command: list[str]) -> tuple[float, int, str]:
    """(wall seconds, peak RSS bytes, stderr) of a command; exits when it fails."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    memory = PeakMemory(process.pid)
    _, stderr = process.communicate()
    wall = time.perf_counter() - started
    peak = memory.stop()
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}")
    return wall, peak, stderr


def plain(source: str, destination: str) -> None:
    """Run (a): the plain sentence-transformers path; writes one cosine per row."""
    from sentence_transformers import SentenceTransformer

    from headcheck.model import packaged_model_path

    model = SentenceTransformer(str(packaged_model_path()), local_files_only=True)
    model.max_seq_length = 256
    with open(source, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    cosines = []
    for start in range(0, len(rows), 64):
        chunk = rows[start : start + 64]
        titles = model.encode([r["title"] for r in chunk], normalize_embeddings=True)
        bodies = model.encode([r["text"] for r in chunk], normalize_embeddings=True)
        cosines.extend(np.sum(titles * bodies, axis=1).tolist())
    Path(destination).write_text(json.dumps(cosines))


def recall(scores: np.ndarray, labels: np.ndarray) -> float:
    from headcheck.corpus import recall_at

    return recall_at(scores, labels, 0.01)


def scan_scores(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mismatch score, flagged, decided-cheaply unknown) per row of a scan's output."""
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    rules = np.array(
        [bool(set((r["headline_mismatch_reason"] or "").split(",")) - {"", "low_similarity"})
         or r["headline_similarity"] is None for r in rows]
    )  # fmt: skip
    probability = np.array([r["headline_mismatch_probability"] or 0.0 for r in rows])
    scores = np.where(rules, 2.0, probability)
    return scores, np.array([r["is_headline_mismatch"] for r in rows]), rules


def cold_start(headcheck: str, work: Path) -> dict[str, float]:
    ten = work / "ten.jsonl"
    load = (
        "from sentence_transformers import SentenceTransformer;"
        "from headcheck.model import packaged_model_path;"
        "SentenceTransformer(str(packaged_model_path()), local_files_only=True)"
    )
    commands = {
        "import sentence-transformers + load model": [sys.executable, "-c", load],
        "headcheck scan, 10 rows (torch)": [
            headcheck, "scan", str(ten), "-o", str(work / "t.jsonl"),
        ],
        "headcheck scan, 10 rows (onnx)": [
            headcheck, "scan", str(ten), "-o", str(work / "o.jsonl"), "--backend", "onnx",
        ],
    }  # fmt: skip
    return {
        name: statistics.median(run(command)[0] for _ in range(3))
        for name, command in commands.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=faults.DEFAULT_DATA)
    parser.add_argument("--work", type=Path, default=None, help="keep files here")
    parser.add_argument("--genuine", type=int, default=None, help="genuine rows (default: all)")
    parser.add_argument("--calibration-pairs", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=2, help="rounds; each run keeps its best")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"no data at {args.data}: pass --data DIR (FNC-1 train)")
    work = args.work or Path(tempfile.mkdtemp(prefix="headcheck-speed-"))
    work.mkdir(parents=True, exist_ok=True)
    headcheck = shutil.which("headcheck", path=str(Path(sys.executable).parent)) or "headcheck"

    stream = build_stream(args.data, args.genuine)
    source = work / "stream.jsonl"
    with open(source, "w", encoding="utf-8") as f:
        for row in stream:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    labels = np.array([row["label"] for row in stream])
    print(f"stream: {len(stream)} rows, {labels.sum()} faults ({labels.mean():.1%}), {source}")

    calibrations = {}
    # (b)-(d) decide pair by pair (the cascade needs it); (e) keeps the context decision.
    for name, backend, extra in (
        ("torch", "torch", ["--no-context"]),
        ("onnx", "onnx", ["--no-context"]),
        ("context", "onnx", []),
    ):
        path = work / f"calibration-{name}.json"
        wall, _, _ = run([headcheck, "calibrate", str(source), "-o", str(path), "--backend",
                          backend, "--max-pairs", str(args.calibration_pairs), *extra])  # fmt: skip
        cascade = json.loads(path.read_text())["cascade"]
        print(f"calibrate ({name}, {args.calibration_pairs} pairs, once): {wall:.0f} s; "
              f"cascade decides {cascade['cheap_share']:.0%} of them cheaply, agreeing on "
              f"{cascade['agreement']:.2%}")  # fmt: skip
        calibrations[name] = path

    ten = work / "ten.jsonl"
    ten.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in stream[:10]))

    def commands(source: Path, tag: str) -> dict[str, tuple[list[str], Path]]:
        base = [headcheck, "scan", str(source), "--id-field", "id", "--no-progress"]
        out = {k: work / f"{k}{tag}.jsonl" for k in "bcde"}
        return {
            "(a) plain sentence-transformers": (
                [sys.executable, __file__, "--plain", str(source), str(work / f"a{tag}.json")],
                work / f"a{tag}.json",
            ),
            "(b) headcheck torch": (
                [*base, "-o", str(out["b"]), "--calibration", str(calibrations["torch"]),
                 "--no-cascade"], out["b"],
            ),
            "(c) headcheck cascade + onnx": (
                [*base, "-o", str(out["c"]), "--calibration", str(calibrations["onnx"]),
                 "--backend", "onnx", "--workers", "2"], out["c"],
            ),
            "(d) headcheck onnx, no cascade": (
                [*base, "-o", str(out["d"]), "--calibration", str(calibrations["onnx"]),
                 "--backend", "onnx", "--workers", "2", "--no-cascade"], out["d"],
            ),
            "(e) headcheck onnx, context": (
                [*base, "-o", str(out["e"]), "--calibration", str(calibrations["context"]),
                 "--backend", "onnx"], out["e"],
            ),
        }  # fmt: skip

    runs, starts = commands(source, ""), commands(ten, "-ten")
    figures: dict[str, Any] = {"rows": len(stream), "faults": int(labels.sum()), "runs": {}}
    flagged: dict[str, np.ndarray] = {}
    # Rounds of all five runs, interleaved, so that a burst of load on a shared machine hits
    # every configuration alike; each run keeps its fastest round. Each round also times the
    # same command on 10 rows: its start-up (imports, model, workers), taken out of the
    # steady-state speed that a crawl of millions would see.
    for _ in range(args.repeat):
        for name, (command, output) in runs.items():
            start, _, _ = run(starts[name][0])
            wall, peak, _ = run(command)
            if output.suffix == ".json":
                scores = -np.array(json.loads(output.read_text()))
            else:
                scores, flagged[name], _ = scan_scores(output)
            best = figures["runs"].get(name)
            if best is None or wall < best["seconds"]:
                figures["runs"][name] = {
                    "articles_per_s": round(len(stream) / wall, 2),
                    "steady_articles_per_s": round((len(stream) - 10) / max(wall - start, 1e-3), 2),
                    "seconds": round(wall, 1),
                    "start_up_seconds": round(start, 1),
                    "peak_rss_mb": max(round(peak / 2**20), best["peak_rss_mb"] if best else 0),
                    "recall_at_1pct": round(recall(scores, labels), 4),
                }
    plain = figures["runs"]["(a) plain sentence-transformers"]
    print(f"{'run':32} {'art/s':>7} {'x (a)':>6} {'steady':>7} {'x (a)':>6} {'start s':>7} "
          f"{'peak MB':>7} {'recall@1%':>9}")  # fmt: skip
    for name, row in figures["runs"].items():
        row["speed_vs_plain"] = round(row["articles_per_s"] / plain["articles_per_s"], 2)
        row["steady_vs_plain"] = round(
            row["steady_articles_per_s"] / plain["steady_articles_per_s"], 2
        )
        print(f"{name:32} {row['articles_per_s']:7.1f} {row['speed_vs_plain']:6.2f} "
              f"{row['steady_articles_per_s']:7.1f} {row['steady_vs_plain']:6.2f} "
              f"{row['start_up_seconds']:7.1f} {row['peak_rss_mb']:7d} "
              f"{row['recall_at_1pct']:9.3f}")  # fmt: skip
    c, d = flagged["(c) headcheck cascade + onnx"], flagged["(d) headcheck onnx, no cascade"]
    figures["cascade_agreement"] = round(float((c == d).mean()), 5)
    print(f"cascade (c) vs full model (d), same calibration: decisions agree on "
          f"{figures['cascade_agreement']:.2%} of rows ({int((c != d).sum())} differ)")  # fmt: skip
    figures["cold_start_s"] = cold_start(headcheck, work)
    for name, seconds in figures["cold_start_s"].items():
        print(f"cold start: {name}: {seconds:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--plain":
        plain(sys.argv[2], sys.argv[3])
    else:
        main()
