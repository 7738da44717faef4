"""Gradient-boosted trees stored as plain numbers: the context decision's model.

scikit-learn's ``HistGradientBoostingClassifier`` is fitted offline (``benchmarks/
fit_default.py``) and its trees are kept as JSON, never as a pickle: per tree, one row per
node of ``(feature, threshold, left, right, value, missing_left, leaf)``. The decision value of
a row of features is the baseline plus, for each tree, the value of the leaf it reaches (a
row goes left where its feature is at most the threshold, and where it is NaN when
``missing_left``); its probability is the logistic function of that.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

#: The most trees and nodes per tree a stored model may hold (a fitted one has 200 of 15).
MAX_TREES = 2_000
MAX_NODES = 1_024
_NODE_WIDTH = 7


@dataclass(frozen=True, slots=True)
class Trees:
    """A boosted ensemble: ``nodes[t]`` is tree t's node table (columns as above)."""

    baseline: float
    nodes: tuple[tuple[tuple[float, ...], ...], ...]

    @classmethod
    def of(cls, model: Any) -> Trees:
        """The trees of a fitted binary ``HistGradientBoostingClassifier``."""
        baseline = float(np.ravel(model._baseline_prediction)[0])
        trees = []
        for (predictor,) in model._predictors:
            table = predictor.nodes
            trees.append(
                tuple(
                    (
                        float(node["feature_idx"]),
                        float(node["num_threshold"]),
                        float(node["left"]),
                        float(node["right"]),
                        float(node["value"]),
                        float(node["missing_go_to_left"]),
                        float(node["is_leaf"]),
                    )
                    for node in table
                )
            )
        return cls(baseline, tuple(trees))

    def decision(self, rows: np.ndarray) -> np.ndarray:
        """The decision value (log-odds of a mismatch) of each row of features."""
        x = np.atleast_2d(np.asarray(rows, dtype=np.float64))
        total = np.full(len(x), self.baseline)
        every = np.arange(len(x))
        for tree in self.nodes:
            table = np.asarray(tree)
            at = np.zeros(len(x), dtype=np.int64)
            while True:
                inner = table[at, 6] == 0
                if not inner.any():
                    break
                rows_in, nodes = every[inner], at[inner]
                value = x[rows_in, table[nodes, 0].astype(np.int64)]
                left = np.where(np.isnan(value), table[nodes, 5] == 1, value <= table[nodes, 1])
                at[inner] = np.where(left, table[nodes, 2], table[nodes, 3]).astype(np.int64)
            total += table[at, 4]
        return total

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.decision(rows), -50, 50)))

    def to_dict(self) -> dict[str, Any]:
        return {"baseline": self.baseline, "nodes": [list(map(list, t)) for t in self.nodes]}

    @classmethod
    def from_dict(cls, data: Any, width: int, fail: Callable[[str], Exception]) -> Trees:
        """Validate stored trees over ``width`` features; ``fail(message)`` builds the error."""
        if not isinstance(data, dict) or set(data) != {"baseline", "nodes"}:
            raise fail("trees must be an object with 'baseline' and 'nodes'")
        baseline, trees = data["baseline"], data["nodes"]
        if not _finite(baseline):
            raise fail(f"trees baseline must be a finite number, got {baseline!r}")
        if not isinstance(trees, list) or not 1 <= len(trees) <= MAX_TREES:
            raise fail(f"trees nodes must be a list of 1 to {MAX_TREES} trees")
        checked = []
        for number, tree in enumerate(trees):
            if not isinstance(tree, list) or not 1 <= len(tree) <= MAX_NODES:
                raise fail(f"tree {number} must hold 1 to {MAX_NODES} nodes")
            for at, node in enumerate(tree):
                if not (
                    isinstance(node, list)
                    and len(node) == _NODE_WIDTH
                    and all(_finite(v) for v in node)
                ):
                    raise fail(f"tree {number}: a node must be {_NODE_WIDTH} finite numbers")
                feature, _, left, right, _, missing, leaf = node
                if leaf not in (0, 1) or missing not in (0, 1):
                    raise fail(f"tree {number}: leaf and missing_left must be 0 or 1")
                if not leaf and not (
                    float(feature).is_integer()
                    and 0 <= feature < width
                    # Children come after their parent, so every walk ends at a leaf.
                    and all(float(c).is_integer() and at < c < len(tree) for c in (left, right))
                ):
                    raise fail(
                        f"tree {number}: a split names a feature that is not there or a child "
                        "that does not come after it"
                    )
            checked.append(tuple(tuple(float(v) for v in node) for node in tree))
        return cls(float(baseline), tuple(checked))


def _finite(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) <= 1e12
    )
