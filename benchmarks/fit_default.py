"""Fit the shipped default decision on labelled realistic crawls of the development data.

``headcheck scan`` without ``--calibration`` decides with the calibration shipped in the
package (``src/headcheck/calibrate/defaults/<backend>.json``). This script writes it: it builds
labelled crawls with ``../shared/bench/crawl.py`` from FNC-1 train and ARC train (fault
shares 5, 10 and 20%, seeds 101-103, which the benchmark's seeds 1-3 do not use), once with
the builder's boilerplate strings and once with ``benchmarks/strings.json`` (other site,
widget, wall and error strings written for this project), reads each as one corpus as
``scan`` does, and fits on every row:

* the context decision (FEATURE_NAMES + CONTEXT_FEATURE_NAMES) and the corpus-free decision
  (FEATURE_NAMES), logistic models fitted on the labels of the rows no rule flags (the model
  decides only those), and
* their thresholds, per headline-length bucket, so that ``--target`` of the genuine rows are
  flagged, rule flags included.

It also fits on one data set and measures on the other, as a check that the decision is not
a description of one file (printed, not stored).

Usage: python benchmarks/fit_default.py [--backend torch] [--target 0.007] [--check-only]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fnc1format  # noqa: E402  (a sibling script, not a package)

from crawl import SETS, SHARED, install_memo  # noqa: E402

STRINGS = HERE / "strings.json"
SHARES = (0.05, 0.10, 0.20)
SEEDS = (101, 102, 103)


def data_folders() -> dict[str, Path]:
    """The development data sets, by name."""
    return {name: SHARED / "data" / folder for name, folder in SETS.items()}


def crawls(
    work: Path,
    folders: dict[str, Path],
    *,
    shares: tuple[float, ...] = SHARES,
    seeds: tuple[int, ...] = SEEDS,
    strings: tuple[Path | None, ...] = (None, STRINGS),
) -> list[tuple[str, Path]]:
    """Labelled crawls of each data folder: every share, seed and set of strings."""
    work.mkdir(parents=True, exist_ok=True)
    out = []
    for name, folder in folders.items():
        for share in shares:
            for seed in seeds:
                for table in strings:
                    tag = "own" if table else "builtin"
                    path = work / f"{name}-{share:g}-{seed}-{tag}.jsonl"
                    command = [
                        sys.executable, str(SHARED / "bench" / "crawl.py"), str(folder),
                        "--share", str(share), "--seed", str(seed), "-o", str(path),
                    ]  # fmt: skip
                    if table:
                        command += ["--strings", str(table)]
                    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
                    out.append((name, path))
    return out


#: Crawls of many headlines per body as well (a body re-scraped under several titles): the
#: related pairs of a fixed-seed sample of STANCE_BODIES bodies, plus this share of its
#: unrelated ones as random headlines, so that the decision learns what repeats say.
STANCE_SHARES = (0.1, 0.4)
STANCE_BODIES = 400


def stance_crawls(work: Path, folders: dict[str, Path]) -> list[tuple[str, Path]]:

    work.mkdir(parents=True, exist_ok=True)
    out = []
    for name, data in folders.items():
        bodies, stances = fnc1format.frames(data)
        bodies = bodies.drop_duplicates("Body ID")
        for share, seed in zip(STANCE_SHARES, SEEDS, strict=False):
            rng = np.random.default_rng(seed)
            sample = min(STANCE_BODIES, len(bodies))
            chosen = set(rng.choice(bodies["Body ID"].to_numpy(), sample, replace=False))
            pairs = stances[stances["Body ID"].isin(chosen)].merge(bodies, on="Body ID")
            related = pairs[pairs.Stance != "unrelated"]
            unrelated = pairs[pairs.Stance == "unrelated"]
            n_bad = min(len(unrelated), round(share * len(related) / (1 - share)))
            rows = [
                (h, b, i, 0, "genuine")
                for h, b, i in zip(
                    related.Headline, related.articleBody, related["Body ID"], strict=True
                )
            ]
            picked = unrelated.iloc[rng.permutation(len(unrelated))[:n_bad]]
            rows += [
                (h, b, i, 1, "random_headline")
                for h, b, i in zip(
                    picked.Headline, picked.articleBody, picked["Body ID"], strict=True
                )
            ]
            path = work / f"{name}-stances-{share:g}.jsonl"
            with path.open("w", encoding="utf-8") as f:
                for k in rng.permutation(len(rows)):
                    h, b, i, label, kind = rows[k]
                    record = {
                        "id": f"stances-{i}", "title": str(h), "text": str(b), "label": label,
                        "kind": kind,
                    }  # fmt: skip
                    f.write(json.dumps(record) + "\n")
            out.append((name, path))
    return out


def evidence(path: Path, detector: Any) -> dict[str, np.ndarray]:
    """The feature rows, labels, kinds and rule flags of one crawl read as a corpus (the pairs
    the multilingual tier decides are left out: the context decision does not decide them)."""
    from headcheck.decide.context import NEIGHBOURS

    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    found = detector.block_evidence([(r["title"], r["text"]) for r in rows], neighbours=NEIGHBOURS)
    keys = found.keys
    english = np.array([found.results[k].stage != "multilingual" for k in keys], dtype=bool)
    ruled = np.array(
        [bool(set(found.results[k].reasons) - {"low_similarity"}) for k in keys], dtype=bool
    )
    structure = (found.teasers.counts >= 2) | np.array(found.cut, dtype=bool)
    kept = [k for k, keep in zip(keys, english, strict=True) if keep]
    return {
        "x": found.rows[english],
        "raw": np.array([found.results[k].features for k in kept], dtype=np.float64),
        "y": np.array([rows[k]["label"] for k in kept]),
        "kind": np.array([rows[k]["kind"] for k in kept]),
        "ruled": (ruled | structure)[english],
        # The body each row was made from ("SEED-BODYID" in a crawl's ids): the fit's folds
        # keep a story's rows together.
        "body": np.array([int(str(rows[k].get("id", "-1")).rsplit("-", 1)[-1]) for k in kept]),
    }


def evidence_by_set(
    every: list[tuple[str, Path]], detector: Any, memo: Any
) -> dict[str, dict[str, np.ndarray]]:
    """The evidence of each crawl, stacked per data set, each row with its crawl's number
    (the memoised embeddings are saved after each crawl)."""
    by_set: dict[str, list[dict[str, np.ndarray]]] = {}
    for number, (name, path) in enumerate(every):
        found = evidence(path, detector)
        found["crawl"] = np.full(len(found["y"]), number)
        by_set.setdefault(name, []).append(found)
        memo.save()
    return {name: stack(parts) for name, parts in by_set.items()}


def stories(related: Any) -> dict[int, int]:
    """Body ID -> the smallest Body ID of its story: bodies joined by a shared related
    headline (a connected component of the related pairs)."""
    parent: dict[int, int] = {}

    def root(b: int) -> int:
        while parent.setdefault(b, b) != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        return b

    first: dict[str, int] = {}
    for headline, body in zip(related["Headline"], related["Body ID"], strict=True):
        body = int(body)
        root(body)
        if headline in first:
            a, b = root(first[headline]), root(body)
            if a != b:
                parent[max(a, b)] = min(a, b)
        else:
            first[headline] = body
    return {b: root(b) for b in parent}


def story_groups(folders: dict[str, Path], sets: dict[str, dict[str, np.ndarray]]) -> None:
    """Put a "group" column in each set's evidence: its rows' story, unique across sets."""

    for number, (name, folder) in enumerate(folders.items()):
        stances = fnc1format.frames(folder)[1]
        story = stories(stances[stances.Stance != "unrelated"])
        data = sets[name]
        data["group"] = np.array(
            [number * 10_000_000 + story.get(int(b), int(b)) for b in data["body"]]
        )


def stack(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


#: The fault kinds the models learn from: the headline and wall kinds, and the cut body
#: (the teasers of index pages and mixed bodies are found by the corpus rule instead).
LEARNED = ("genuine", "genuine_noisy", "random_headline", "near_topic_headline",
           "boilerplate_headline", "boilerplate_body", "truncated_body")  # fmt: skip
#: The corpus-free decision leaves the cut body out: without a corpus, length says little.
LEARNED_ALONE = LEARNED[:-1]


def headline_words(data: dict[str, np.ndarray]) -> np.ndarray:
    # headline_words is not a corpus-relative column: the log count as computed.
    return np.rint(np.expm1(data["x"][:, _ALL.index("headline_words")])).astype(int)


#: Folds of the cross-fitting that sets the context decision's thresholds.
FOLDS = 5


def _trees(x: np.ndarray, y: np.ndarray) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    from headcheck.decide.boosted import Trees

    weight = np.where(y == 1, (y == 0).sum() / max(1, y.sum()), 1.0)
    model = HistGradientBoostingClassifier(
        max_iter=200, max_depth=3, learning_rate=0.1, min_samples_leaf=100,
        l2_regularization=1.0, early_stopping=False, random_state=0,
    )  # fmt: skip
    model.fit(x, y, sample_weight=weight)
    return Trees.of(model)


def held_out_probabilities(data: dict[str, np.ndarray], learn: np.ndarray) -> np.ndarray:
    """Each row's probability from trees fitted without its story (FOLDS folds of whole
    stories): what the decision says of articles it has not seen."""
    from sklearn.model_selection import GroupKFold

    out = np.empty(len(data["y"]))
    folds = GroupKFold(n_splits=FOLDS)
    for train, test in folds.split(data["x"], data["y"], groups=data["group"]):
        fit = train[learn[train]]
        out[test] = _trees(data["x"][fit], data["y"][fit]).probabilities(data["x"][test])
    return out


def fit_trees(data: dict[str, np.ndarray], target: float) -> Any:
    """The context decision: boosted trees on the learned kinds' unflagged rows, with
    thresholds read off held-out probabilities (:func:`held_out_probabilities`) when the
    rows have story groups: thresholds read off the rows the trees were fitted on flag a
    third as many genuine rows as on articles the trees have not seen."""
    from headcheck.calibrate.decisions import CONTEXT_DECISION_NAMES, ContextDecision
    from headcheck.calibrate.thresholds import labelled_thresholds

    learn = ~data["ruled"] & np.isin(data["kind"], LEARNED)
    trees = _trees(data["x"][learn], data["y"][learn])
    probabilities = (
        held_out_probabilities(data, learn) if "group" in data else trees.probabilities(data["x"])
    )
    short, long = labelled_thresholds(
        probabilities, data["y"], headline_words(data), target=target, flagged=data["ruled"],
    )  # fmt: skip
    return ContextDecision(
        CONTEXT_DECISION_NAMES, trees, short, long, round(float(data["y"].mean()), 4)
    )


def fit_alone(data: dict[str, np.ndarray], target: float) -> Any:
    """The corpus-free decision: a logistic model over FEATURE_NAMES."""
    from headcheck.calibrate.thresholds import fit_labelled
    from headcheck.decide.features import FEATURE_NAMES

    keep = np.isin(data["kind"], LEARNED_ALONE)
    return fit_labelled(
        data["raw"][keep], data["y"][keep], headline_words(data)[keep],
        target=target, names=FEATURE_NAMES, flagged=data["ruled"][keep],
    )  # fmt: skip


def measure(decision: Any, data: dict[str, np.ndarray], corpus: bool) -> dict[str, Any]:
    x = data["x"] if corpus else data["raw"]
    p = decision.probabilities(x)
    words = headline_words(data)
    cut = np.where(words <= 5, decision.short_threshold, decision.long_threshold)
    flagged = (p >= cut) | data["ruled"]
    y, kind = data["y"], data["kind"]
    out = {
        "false_flags": round(float(flagged[y == 0].mean()), 4),
        "recall": round(float(flagged[y == 1].mean()), 4),
    }
    for k in sorted(set(kind[y == 1].tolist())):
        out[k] = round(float(flagged[kind == k].mean()), 3)
    return out


_ALL: tuple[str, ...] = ()


def main(argv: list[str] | None = None) -> None:
    global _ALL
    from headcheck.calibrate.calibration import Calibration
    from headcheck.calibrate.corpus import _versions
    from headcheck.calibrate.decisions import CONTEXT_DECISION_NAMES
    from headcheck.detector import Detector

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["torch", "onnx"], default="torch")
    parser.add_argument("--target", type=float, default=0.007)
    parser.add_argument("--check-only", action="store_true", help="fit and print; write nothing")
    parser.add_argument("--load", type=Path, help="fit on evidence saved by --dump instead")
    parser.add_argument("--dump", type=Path, help="also save the evidence rows here (.npz)")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "headcheck-bench-embeddings"
    )
    args = parser.parse_args(argv)
    _ALL = CONTEXT_DECISION_NAMES
    args.cache.mkdir(parents=True, exist_ok=True)
    if args.load:
        with np.load(args.load) as stored:
            sets = {
                name: {k.split(".", 1)[1]: stored[k] for k in stored.files if k.startswith(name)}
                for name in SETS
            }
    else:
        memo = install_memo(args.backend, args.cache / f"{args.backend}.npz")
        detector = Detector(backend=args.backend, calibration=None, cache_size=0, scoring="fast")
        folders = data_folders()
        with tempfile.TemporaryDirectory() as folder:
            every = crawls(Path(folder), folders) + stance_crawls(Path(folder), folders)
            sets = evidence_by_set(every, detector, memo)
    if all("body" in data for data in sets.values()):
        story_groups(data_folders(), sets)
    if args.dump:
        np.savez(args.dump, **{f"{n}.{k}": v for n, d in sets.items() for k, v in d.items()})
    everything = stack(list(sets.values()))
    for fitter, corpus, label in ((fit_trees, True, "context"), (fit_alone, False, "corpus-free")):
        for train, test in (("fnc1", "arc"), ("arc", "fnc1")):
            decision = fitter(sets[train], args.target)
            print(f"{label}: fitted on {train}, measured on {test}:",
                  measure(decision, sets[test], corpus))  # fmt: skip
        decision = fitter(everything, args.target)
        for name, data in sets.items():
            print(f"{label}: fitted on both, measured on {name}:", measure(decision, data, corpus))
    context = fit_trees(everything, args.target)
    alone = fit_alone(everything, args.target)
    if args.check_only:
        return
    calibration = Calibration.of(
        alone,
        target=args.target,
        model="all-MiniLM-L6-v2",
        mode="default",
        size=len(everything["y"]),
        versions=_versions(),
    )
    calibration = replace(
        calibration,
        backend=args.backend,
        context=context,
    )
    destination = (
        HERE.parent / "src" / "headcheck" / "calibrate" / "defaults" / f"{args.backend}.json"
    )
    destination.parent.mkdir(exist_ok=True)
    calibration.save(destination)
    print(f"wrote {destination}", file=sys.stderr)


if __name__ == "__main__":
    main()
