"""Gradient-boosted trees stored as plain numbers: the context decision's model.

scikit-learn's ``HistGradientBoostingClassifier`` is fitted offline (``benchmarks/
fit_default.py``) and its trees are kept as JSON, never as a pickle: per tree, one row per
node of ``(feature, threshold, left, right, value, missing_left, leaf)``. The decision value of
a row of features is the baseline plus, for each tree, the value of the leaf it reaches (a
row goes left where its feature is at most the threshold, and where it is NaN when
``missing_left``); its probability is the logistic function of that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from headcheck.schema import Array, Invalid, Number, Record, stored

#: The most trees and nodes per tree a stored model may hold (a fitted one has 200 of 15).
MAX_TREES = 2_000
MAX_NODES = 1_024
_NODE_WIDTH = 7
_VALUE = Number(-1e12, 1e12)


@dataclass(frozen=True, slots=True)
class Trees:
    """A boosted ensemble: ``nodes[t]`` is tree t's node table (columns as above)."""

    baseline: float = field(metadata=stored(_VALUE))
    nodes: tuple[tuple[tuple[float, ...], ...], ...] = field(
        metadata=stored(
            Array(Array(Array(_VALUE, _NODE_WIDTH, _NODE_WIDTH), 1, MAX_NODES), 1, MAX_TREES)
        )
    )

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

    def problem(self, width: int) -> str | None:
        """What the node tables' shape cannot say, over ``width`` features: that every
        split names a feature there is and children that come after it (so every walk ends
        at a leaf), and that the flags are 0 or 1. None when the trees are sound."""
        for number, tree in enumerate(self.nodes):
            for at, (feature, _, left, right, _, missing, leaf) in enumerate(tree):
                if leaf not in (0, 1) or missing not in (0, 1):
                    return f"tree {number}: leaf and missing_left must be 0 or 1"
                if not leaf and not (
                    feature.is_integer()
                    and 0 <= feature < width
                    and all(c.is_integer() and at < c < len(tree) for c in (left, right))
                ):
                    return (
                        f"tree {number}: a split names a feature that is not there or a child "
                        "that does not come after it"
                    )
        return None

    @classmethod
    def from_dict(cls, data: Any, width: int, fail: Callable[[str], Exception]) -> Trees:
        """Stored trees over ``width`` features, checked; ``fail(message)`` builds the error."""
        try:
            trees: Trees = Record(cls).read(data, ("trees",))
        except Invalid as exc:
            raise fail(str(exc)) from exc
        problem = trees.problem(width)
        if problem:
            raise fail(problem)
        return trees
