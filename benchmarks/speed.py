"""Rows per second, peak memory, false flags and recall of headcheck against plain
sentence-transformers, on a realistic crawl.

Builds a crawl with ``../shared/bench/crawl.py`` from FNC-1 train (``--share``, default 10%
faults; ``--seed``; each body once, the builder's seven fault kinds), strips its labels, and
runs in one session, each as its own process on the same file:

  (a) plain    sentence-transformers as a scraper would use it: the headline and the body
               (the model's first 256 tokens) embedded with the packaged all-MiniLM-L6-v2,
               cosine; no yes/no, so no false flags or recall
  (b) default  ``headcheck scan crawl.jsonl`` with no options
  (c) torch    ``headcheck scan crawl.jsonl --backend torch``

(b) and (c) are scored by ``../shared/bench/score.py`` on their own yes/no. Peak memory is
the largest summed RSS of a run and its child processes, sampled every 50 ms. The runs are
repeated in interleaved rounds (``--repeat``); each keeps its fastest round (memory: its
largest). Each round also runs the same command on the crawl's first 10 rows, its start-up,
which is taken out of the *steady* rate (what a crawl of millions of rows sees); both rates
are printed, as ratios against (a) measured in the same round. The cold start (``headcheck
scan`` of a 10-row file, model cache present) is the median of three runs.

The inputs are distinct rows (the crawl holds each body once) and the embedding cache is the
one a user gets: this measures the detector.

``--against DIR`` adds a run (d) ``against``: the default command of another checkout of
headcheck (``DIR/src``, e.g. ``git worktree add /tmp/before REV``) on the same file, in the
same rounds, with this environment's packages: a change's effect on speed, measured against
the code before it. Each round's ratio of the two is printed too, in wall time and in CPU
time (user and system seconds of the run and its workers, which the machine's other load
moves less); their spread is the noise. ``--skip torch`` and ``--skip plain`` leave runs (c)
and (a) out (without (a), no "x plain" ratio).

Usage: python benchmarks/speed.py [--share 0.1] [--seed 1] [--repeat 2] [--json FILE]
                                  [--against DIR] [--skip torch] [--skip plain]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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

# The crawl builder, label stripper and scorer of the quality benchmark (a sibling script).
from crawl import build as build_crawl  # noqa: E402
from crawl import score, strip  # noqa: E402


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


def run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str, float]:
    """(wall seconds, peak RSS bytes, stderr, CPU seconds) of a command; exits when it
    fails. The CPU seconds are user and system time of the command and every process it
    waited for (its workers): less moved than the wall time by what else the machine runs."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    memory = PeakMemory(process.pid)
    _, stderr = process.communicate()
    wall = time.perf_counter() - started
    peak = memory.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - used.ru_utime) + (after.ru_stime - used.ru_stime)
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}")
    return wall, peak, stderr, cpu


def plain(source: str, destination: str) -> None:
    """Run (a): the plain sentence-transformers path; writes one cosine per row."""
    from sentence_transformers import SentenceTransformer

    from headcheck.embed.resolve import packaged_model_path

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


def headcheck_command() -> str:
    found = shutil.which("headcheck", path=str(Path(sys.executable).parent))
    if found is None:
        sys.exit("headcheck is not installed beside this Python (make install)")
    return found


def build(work: Path, share: float, seed: int) -> tuple[Path, Path, Path]:
    """(labelled crawl, the same stripped of its labels, its first 10 rows)."""
    labelled = build_crawl("fnc1", share, seed, work)
    stripped, ten = work / "crawl.jsonl", work / "ten.jsonl"
    strip(labelled, stripped)
    lines = stripped.read_text(encoding="utf-8").splitlines(keepends=True)
    ten.write_text("".join(lines[:10]), encoding="utf-8")
    return labelled, stripped, ten


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--share", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2, help="rounds; each run keeps its best")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--against", type=Path, default=None, help="another checkout of headcheck (run d)"
    )
    parser.add_argument("--skip", choices=["torch", "plain"], action="append", default=[])
    args = parser.parse_args()
    if args.against is not None and not (args.against / "src" / "headcheck").is_dir():
        sys.exit(f"--against {args.against}: no src/headcheck there")
    headcheck = headcheck_command()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        labelled, crawl, ten = build(work, args.share, args.seed)
        rows = sum(1 for _ in crawl.open(encoding="utf-8"))
        runs = {
            "plain": lambda src, dst: [sys.executable, __file__, "--plain", str(src), str(dst)],
            "default": lambda src, dst: [headcheck, "scan", str(src), "-o", str(dst)],
            "torch": lambda src, dst: [
                headcheck,
                "scan",
                str(src),
                "-o",
                str(dst),
                "--backend",
                "torch",
            ],
        }
        for name in args.skip:
            del runs[name]
        envs: dict[str, dict[str, str]] = {}
        if args.against is not None:
            runs["against"] = lambda src, dst: [
                sys.executable, "-m", "headcheck", "scan", str(src), "-o", str(dst)
            ]  # fmt: skip
            source = str((args.against / "src").resolve())
            envs["against"] = {**os.environ, "PYTHONPATH": source}
            probe = [sys.executable, "-c", "import headcheck; print(headcheck.__file__)"]
            found = subprocess.run(probe, env=envs["against"], capture_output=True, text=True)
            if not found.stdout.startswith(source):
                sys.exit(f"--against: headcheck is imported from {found.stdout.strip()!r}")
        # One untimed run each first: the ONNX export and the static table are made once.
        for name, command in runs.items():
            run(command(ten, work / f"{name}.warm.jsonl"), envs.get(name))
        best: dict[str, dict[str, float]] = {}
        rounds: list[dict[str, tuple[float, float]]] = []  # name: (wall, CPU seconds)
        for _ in range(args.repeat):
            rounds.append({})
            for name, command in runs.items():
                wall, peak, _, cpu = run(command(crawl, work / f"{name}.out.jsonl"), envs.get(name))
                start, _, _, _ = run(command(ten, work / f"{name}.ten.jsonl"), envs.get(name))
                rounds[-1][name] = (wall, cpu)
                entry = best.setdefault(
                    name, {"wall": wall, "start": start, "peak": peak, "cpu": cpu}
                )
                entry["wall"] = min(entry["wall"], wall)
                entry["start"] = min(entry["start"], start)
                entry["peak"] = max(entry["peak"], peak)
                entry["cpu"] = min(entry["cpu"], cpu)
        quality = {
            name: score(labelled, work / f"{name}.out.jsonl") for name in runs if name != "plain"
        }
        cold_command = runs["default"](ten, work / "cold.jsonl")
        cold = statistics.median(run(cold_command)[0] for _ in range(3))
    base = best.get("plain")
    figures: dict[str, Any] = {"rows": rows, "share": args.share, "seed": args.seed,
                               "cold_start_s": round(cold, 2), "runs": {}}  # fmt: skip
    print(f"crawl: {rows} rows of FNC-1 train, {args.share:.0%} faults, seed {args.seed}")
    print(f"{'run':<8} {'rows/s':>8} {'x plain':>8} {'steady/s':>9} {'x plain':>8} "
          f"{'peak MB':>8} {'CPU ms/row':>10} {'false flags':>12} {'recall':>7}")  # fmt: skip
    for name, entry in best.items():
        rate = rows / entry["wall"]
        steady = rows / max(1e-9, entry["wall"] - entry["start"])
        ratio = steady_ratio = None
        if base is not None:
            ratio = rate / (rows / base["wall"])
            steady_ratio = steady / (rows / max(1e-9, base["wall"] - base["start"]))
        found = quality.get(name, {})
        ff, rec = found.get("false_flags"), found.get("recall")
        figures["runs"][name] = {
            "rows_per_s": round(rate, 1), "ratio": ratio and round(ratio, 2),
            "steady_rows_per_s": round(steady, 1),
            "steady_ratio": steady_ratio and round(steady_ratio, 2),
            "peak_mb": round(entry["peak"] / 2**20), "cpu_ms_per_row": round(
                entry["cpu"] / rows * 1e3, 2), "score": found,
        }  # fmt: skip
        shown_ff = "" if ff is None else f"{ff:.2%}"
        shown_recall = "" if rec is None else f"{rec:.3f}"
        shown = ["-" if r is None else f"{r:.2f}" for r in (ratio, steady_ratio)]
        print(f"{name:<8} {rate:>8.1f} {shown[0]:>8} {steady:>9.1f} "
              f"{shown[1]:>8} {entry['peak'] / 2**20:>8.0f} "
              f"{entry['cpu'] / rows * 1e3:>10.2f} {shown_ff:>12} {shown_recall:>7}")  # fmt: skip
    print(f"cold start, headcheck scan of 10 rows: {cold:.2f} s (median of 3)")
    if "against" in figures["runs"]:
        now, before = figures["runs"]["default"], figures["runs"]["against"]
        figures["default_vs_against"] = {
            "ratio": round(now["rows_per_s"] / before["rows_per_s"], 3),
            "steady_ratio": round(now["steady_rows_per_s"] / before["steady_rows_per_s"], 3),
        }
        print(
            f"default / against ({args.against}): rows/s x{figures['default_vs_against']['ratio']}"
            f", steady x{figures['default_vs_against']['steady_ratio']}"
        )
        # Each round's own ratio: the two ran back to back, so the machine's load moved
        # them alike; the spread of these ratios is the noise a difference must exceed.
        walls = [r["against"][0] / r["default"][0] for r in rounds]
        cpus = [r["against"][1] / r["default"][1] for r in rounds]
        figures["default_vs_against"]["rounds_wall"] = [round(x, 3) for x in walls]
        figures["default_vs_against"]["rounds_cpu"] = [round(x, 3) for x in cpus]
        print(f"per round, default's speed / against's: wall {_spread(walls)}; CPU {_spread(cpus)}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


def _spread(ratios: list[float]) -> str:
    shown = " ".join(f"{x:.3f}" for x in ratios)
    return f"median {statistics.median(ratios):.3f} ({shown})"


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--plain":
        plain(sys.argv[2], sys.argv[3])
    else:
        main()
