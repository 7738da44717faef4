"""How the shipped decision's design does on stories it was not fitted on.

``benchmarks/crawl.py`` measures the shipped decision on crawls of the same articles it was
fitted on (other seeds, other faults, the same bodies): in-sample. A user's crawl holds other
articles. This script splits each development data set (FNC-1 train, ARC train) into two
halves of whole stories (a story is a connected component of the related headline/body pairs:
no article, and no article of the same story, is in both halves), fits the decision exactly as
``benchmarks/fit_default.py`` does on crawls of one half, and measures its own yes/no on
crawls of the other half (``../shared/bench/crawl.py``, fault shares 0, 5, 10 and 20%, seeds
1-3), once with the builder's boilerplate strings and once with ``benchmarks/strings.json``.
With ``--fit-strings builtin`` the decision is fitted on the builder's strings alone, so the
second measure is also on boilerplate strings it has not seen.

Nothing is written to the package: this is a check of the design, printed as one table
(false flags on genuine rows, recall, and each fault kind's flagged share, the mean over the
seeds). The decision is applied as ``fit_default.measure`` applies it (the rows a rule or the
corpus structure flags, and the model's threshold), not through the command line.

Usage: python benchmarks/holdout.py [--backend onnx] [--target 0.007] [--fit-strings both]
       [--dump FILE.npz | --load FILE.npz] [--split-seed 0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fit_default  # noqa: E402  (a sibling script, not a package)
import fnc1format  # noqa: E402

from crawl import KINDS, SHORT, install_memo  # noqa: E402

SHARES = (0.0, 0.05, 0.10, 0.20)
SEEDS = (1, 2, 3)


def split(data: Path, into: Path, seed: int) -> tuple[Path, Path]:
    """Write the two halves of ``data`` (whole stories each) as FNC-1 folders under ``into``."""

    bodies_csv, stances_csv = fnc1format.files(data)
    bodies, stances = fnc1format.frames(data)
    story = fit_default.stories(stances[stances.Stance != "unrelated"])
    ids = bodies["Body ID"].astype(int).tolist()
    of = {b: story.get(b, b) for b in ids}
    members: dict[int, list[int]] = {}
    for b in ids:
        members.setdefault(of[b], []).append(b)
    order = np.random.default_rng(seed).permutation(sorted(members))
    half_a: set[int] = set()
    for s in order:
        if len(half_a) >= len(ids) / 2:
            break
        half_a.update(members[int(s)])
    halves = []
    for tag, keep in (("a", half_a), ("b", set(ids) - half_a)):
        folder = into / f"{data.name}-{tag}"
        folder.mkdir(parents=True, exist_ok=True)
        bodies[bodies["Body ID"].astype(int).isin(keep)].to_csv(
            folder / bodies_csv.name, index=False
        )
        stances[stances["Body ID"].astype(int).isin(keep)].to_csv(
            folder / stances_csv.name, index=False
        )
        halves.append(folder)
    return halves[0], halves[1]


def gather(args: argparse.Namespace) -> dict[str, dict[str, np.ndarray]]:
    """Evidence rows of the fitting crawls ("fit") and of each held-out set ("test.NAME")."""
    from headcheck.detector import Detector

    args.cache.mkdir(parents=True, exist_ok=True)
    memo = install_memo(args.backend, args.cache / f"{args.backend}.npz")
    detector = Detector(backend=args.backend, calibration=None, cache_size=0, scoring="fast")
    strings = (None,) if args.fit_strings == "builtin" else (None, fit_default.STRINGS)
    out: dict[str, dict[str, np.ndarray]] = {}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        fit_folders, test_folders = {}, {}
        for name, data in fit_default.data_folders().items():
            fit_folders[name], test_folders[name] = split(data, work / "data", args.split_seed)
        fitting = fit_default.crawls(work / "fit", fit_folders, strings=strings)
        fitting += fit_default.stance_crawls(work / "fit", fit_folders)
        sets = fit_default.evidence_by_set(fitting, detector, memo)
        fit_default.story_groups(fit_folders, sets)
        out["fit"] = fit_default.stack(list(sets.values()))
        for name, folder_b in test_folders.items():
            for table in (None, fit_default.STRINGS):
                tag = "own" if table else "builtin"
                held = fit_default.crawls(
                    work / "test" / tag, {name: folder_b}, shares=SHARES, seeds=SEEDS,
                    strings=(table,),
                )  # fmt: skip
                test = fit_default.evidence_by_set(held, detector, memo)[name]
                # The crawls' names are NAME-SHARE-SEED-STRINGS.jsonl.
                shares = [float(path.name.split("-")[1]) for _, path in held]
                test["share"] = np.array(shares)[test["crawl"]]
                out[f"test.{name}.{tag}"] = test
    return out


def report(data: dict[str, dict[str, np.ndarray]], target: float) -> str:
    from headcheck.calibrate.decisions import CONTEXT_DECISION_NAMES

    fit_default._ALL = CONTEXT_DECISION_NAMES
    context = fit_default.fit_trees(data["fit"], target)
    lines = [
        "| held out | strings | share | false flags | recall | "
        + " | ".join(SHORT[k] for k in KINDS) + " |",
        "|---" * (5 + len(KINDS)) + "|",
    ]  # fmt: skip
    for key in sorted(k for k in data if k.startswith("test.")):
        _, name, tag = key.split(".")
        test = data[key]
        for share in SHARES:
            cells: dict[str, list[float]] = {}
            for crawl in np.unique(test["crawl"][test["share"] == share]):
                pick = test["crawl"] == crawl
                one = {k: v[pick] for k, v in test.items()}
                for k, v in fit_default.measure(context, one, corpus=True).items():
                    cells.setdefault(k, []).append(v)
            mean = {k: float(np.mean(v)) for k, v in cells.items()}
            kinds = [f"{mean[k]:.3f}" if k in mean else "-" for k in KINDS]
            recall = f"{mean['recall']:.3f}" if share else "-"
            lines.append(
                f"| {name} | {tag} | {share:.0%} | {mean['false_flags']:.4f} | {recall} | "
                + " | ".join(kinds) + " |"
            )  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["torch", "onnx"], default="onnx")
    parser.add_argument("--target", type=float, default=0.007)
    parser.add_argument("--fit-strings", choices=["builtin", "both"], default="both")
    parser.add_argument("--split-seed", type=int, default=0)
    parser.add_argument("--dump", type=Path, help="save the evidence rows here (.npz)")
    parser.add_argument("--load", type=Path, help="measure on evidence saved by --dump")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "headcheck-bench-embeddings"
    )
    args = parser.parse_args(argv)
    if args.load:
        with np.load(args.load) as stored:
            data: dict[str, dict[str, np.ndarray]] = {}
            for key in stored.files:
                part, field = key.rsplit("/", 1)
                data.setdefault(part, {})[field] = stored[key]
    else:
        data = gather(args)
    if args.dump:
        np.savez(args.dump, **{f"{p}/{k}": v for p, d in data.items() for k, v in d.items()})
    print(report(data, args.target))


if __name__ == "__main__":
    main()
