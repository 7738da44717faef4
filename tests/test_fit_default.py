"""The fit of the shipped decision (benchmarks/fit_default.py): stories are found as the
crawl builder defines them, and the thresholds are read off probabilities of stories the
trees were not fitted on. Small data written here; no model is loaded."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fit_default() -> ModuleType:
    """benchmarks/fit_default.py, with its sibling benchmarks/crawl.py as ``crawl`` while it
    loads (``tests/crawl`` is another module of that name in the suite)."""
    saved = {name: sys.modules.get(name) for name in ("crawl", "fit_default")}
    try:
        _load("crawl")
        return _load("fit_default")
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def test_a_story_is_the_bodies_joined_by_shared_headlines(fit_default: ModuleType) -> None:
    related = pd.DataFrame(
        {
            "Headline": ["a", "a", "b", "b", "c", "d"],
            "Body ID": [1, 2, 2, 3, 7, 9],
        }
    )
    story = fit_default.stories(related)
    # 1-2 share "a", 2-3 share "b": one story, named by its smallest body; 7 and 9 alone.
    assert story == {1: 1, 2: 1, 3: 1, 7: 7, 9: 9}


def test_thresholds_are_read_off_stories_the_trees_did_not_see(fit_default: ModuleType) -> None:
    """Each story's label is a coin toss and its rows share a feature value: trees fitted on
    a story can learn it by heart (in-sample the probabilities sort the labels), but from the
    other stories nothing can be learned, and the held-out probabilities say so."""
    rng = np.random.default_rng(0)
    stories, per_story = 80, 120
    group = np.repeat(np.arange(stories), per_story)
    label = np.repeat(rng.integers(0, 2, stories), per_story)
    x = np.column_stack([group + rng.normal(0, 0.05, group.size), rng.normal(size=group.size)])
    learn = np.ones(group.size, dtype=bool)
    data = {"x": x, "y": label, "group": group}

    def auc(scores: np.ndarray) -> float:
        order = np.argsort(scores)
        ranks = np.empty(scores.size)
        ranks[order] = np.arange(1, scores.size + 1)
        positives = label == 1
        n_pos, n_neg = positives.sum(), (~positives).sum()
        return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))

    in_sample = fit_default._trees(x, label).probabilities(x)
    held_out = fit_default.held_out_probabilities(data, learn)
    assert auc(in_sample) > 0.95
    # Chance alone: nearby stories' coin tosses are what the held-out trees can go by.
    assert 0.2 < auc(held_out) < 0.8
