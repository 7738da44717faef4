"""The report's figures, drawn with matplotlib's object API (no pyplot, no global backend) and
returned as PNG bytes. Needs the ``report`` extra."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from headcheck.report.build import Report

COLOURS = {"corpus": "#1f5f99", "random": "#c8372d", "near-topic": "#e08a1e", "line": "#333333"}
DPI = 100


@dataclass(frozen=True, slots=True)
class Image:
    """One figure: a file-name stem, a caption (also its alt text) and its PNG bytes."""

    name: str
    caption: str
    png: bytes


def require() -> None:
    """Raise ImportError naming the extra when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401 - only checks that the extra is installed
    except ImportError as exc:
        raise ImportError(
            "the report's plots need matplotlib: pip install 'headcheck[report]' "
            "(or write Markdown without --plot-dir, which has tables only)"
        ) from exc


def _figure(width: float = 7.0, height: float = 3.6, panels: int = 1) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    return figure, figure.subplots(1, panels)


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _densities(ax: Any, series: dict[str, np.ndarray], bins: np.ndarray) -> None:
    for kind, values in series.items():
        if len(values):
            ax.hist(
                np.clip(values, bins[0], bins[-1]),
                bins=bins,
                density=True,
                histtype="stepfilled" if kind == "corpus" else "step",
                alpha=0.35 if kind == "corpus" else 1.0,
                linewidth=1.8,
                color=COLOURS[kind],
                label=f"{kind if kind == 'corpus' else kind + ' re-pairs'} ({len(values):,})",
            )


def histogram(report: Report) -> Image:
    summary = report.summary
    figure, ax = _figure()
    _densities(ax, {"corpus": summary.similarities, **report.repaired}, np.linspace(-0.3, 1.0, 53))
    if summary.threshold is not None:
        ax.axvline(summary.threshold, color=COLOURS["line"], linestyle="--", linewidth=1.2)
        ax.annotate(
            f" threshold {summary.threshold:g}",
            (summary.threshold, 0.97),
            xycoords=("data", "axes fraction"),
            va="top",
            fontsize=9,
        )
    ax.set_xlabel("headline-body similarity (higher = more alike)")
    ax.set_ylabel("density")
    ax.legend(fontsize=9, frameon=False, loc="upper right")
    ax.set_title("The corpus's pairs against its headlines over other bodies", fontsize=11)
    caption = (
        "Similarity of the corpus's headline-body pairs, and of the same headlines re-paired "
        "with random and with near-topic other bodies of the file"
    )
    return Image("similarity", caption, _png(figure))


def probability(report: Report) -> Image:
    summary = report.summary
    assert summary.probabilities is not None
    figure, ax = _figure()
    _densities(
        ax,
        {"corpus": summary.probabilities, **report.repaired_probabilities},
        np.linspace(0.0, 1.0, 41),
    )
    for cut, style in zip(summary.probability_thresholds or (), ("--", ":"), strict=False):
        ax.axvline(cut, color=COLOURS["line"], linestyle=style, linewidth=1.2)
    ax.set_xlabel("calibrated mismatch probability (higher = more likely a mismatch)")
    ax.set_ylabel("density")
    ax.set_yscale("log")
    ax.legend(fontsize=9, frameon=False, loc="upper center")
    caption = (
        "Calibrated mismatch probability of the corpus and of its re-paired headlines; "
        "dashed: threshold for headlines of 5 words or fewer, dotted: for longer ones"
    )
    return Image("probability", caption, _png(figure))


def rates(report: Report) -> Image:
    summary = report.summary
    figure, (left, right) = _figure(9.0, 3.4, panels=2)
    names = [name for name, _ in summary.reasons][::-1]
    left.barh(names, [n / summary.articles for _, n in summary.reasons][::-1], color="#1f5f99")
    left.set_xlabel("share of all articles")
    left.set_title("Flagged, by reason", fontsize=11)
    buckets = summary.lengths
    right.bar([b.name for b in buckets], [b.rate for b in buckets], color="#1f5f99")
    right.set_xlabel("headline words")
    right.set_ylabel("flagged share")
    right.set_title("Flagged, by headline length", fontsize=11)
    caption = "Share of articles flagged for each reason, and by headline length"
    return Image("flagged", caption, _png(figure))


def _labelled(report: Report) -> list[Image]:
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import precision_recall_curve, roc_curve

    y, scores, evaluation = report.labels, report.scores, report.evaluation
    assert y is not None and scores is not None and evaluation is not None
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    tp, fp = evaluation["recall"] * positives, evaluation["false_flag_rate"] * negatives
    images = []
    figure, ax = _figure(4.6, 4.0)
    fpr, tpr, _ = roc_curve(y, scores)
    ax.plot(fpr, tpr, color=COLOURS["corpus"], label=f"ROC-AUC {evaluation['roc_auc']}")
    ax.plot([0, 1], [0, 1], color="#999999", linewidth=0.8, linestyle=":")
    ax.plot(evaluation["false_flag_rate"], evaluation["recall"], "o", color=COLOURS["random"])
    ax.set(xlabel="false-flag rate (genuine pairs flagged)", ylabel="recall (mismatches caught)")
    ax.legend(fontsize=9, frameon=False, loc="lower right", title="dot: the decision")
    ax.set_title("ROC", fontsize=11)
    images.append(Image("roc", "ROC curve of the mismatch score against the labels", _png(figure)))
    figure, ax = _figure(4.6, 4.0)
    precision, recall, _ = precision_recall_curve(y, scores)
    ap = evaluation["average_precision"]
    ax.plot(recall, precision, color=COLOURS["corpus"], label=f"average precision {ap}")
    if tp + fp:
        ax.plot(evaluation["recall"], tp / (tp + fp), "o", color=COLOURS["random"])
    ax.set(xlabel="recall", ylabel="precision", ylim=(0, 1.02))
    ax.legend(fontsize=9, frameon=False, loc="lower left", title="dot: the decision")
    ax.set_title("Precision-recall", fontsize=11)
    images.append(Image("precision-recall", "Precision-recall curve", _png(figure)))
    figure, ax = _figure(4.6, 4.0)
    scored_y = report.scored_labels
    assert scored_y is not None
    bins = int(np.clip(len(scored_y) // 10, 2, 10))
    probabilities = report.summary.probabilities
    if probabilities is not None:
        observed, predicted = calibration_curve(scored_y, probabilities, n_bins=bins)
        ax.plot([0, 1], [0, 1], color="#999999", linewidth=0.8, linestyle=":")
        ax.set(xlabel="mean calibrated probability", ylabel="share that are mismatches")
        caption = "Reliability of the calibrated probability: mismatch share by probability bin"
    else:
        similarities = report.summary.similarities
        observed, predicted = calibration_curve(
            scored_y, (1.0 - similarities) / 2.0, n_bins=bins, strategy="quantile"
        )
        predicted = 1.0 - 2.0 * predicted  # back to similarity
        if report.summary.threshold is not None:
            ax.axvline(report.summary.threshold, color=COLOURS["line"], linestyle="--")
        ax.set(xlabel="mean similarity of the bin", ylabel="share that are mismatches")
        caption = (
            "Share of labelled mismatches by similarity bin (no calibration: a calibration "
            "file from `headcheck calibrate` turns similarity into a probability)"
        )
    ax.set_title("Calibration", fontsize=11)
    ax.plot(predicted, observed, "o-", color=COLOURS["corpus"])
    ax.set_ylim(-0.02, 1.02)
    images.append(Image("calibration", caption, _png(figure)))
    return images


def draw(report: Report) -> list[Image]:
    """Every figure the report has data for."""
    images = []
    if len(report.summary.similarities):
        images.append(histogram(report))
    if report.summary.probabilities is not None:
        images.append(probability(report))
    if report.summary.reasons:
        images.append(rates(report))
    if report.labels is not None and 0 < report.labels.sum() < len(report.labels):
        scored = report.scored_labels
        if scored is not None and 0 < scored.sum() < len(scored):
            images.extend(_labelled(report))
    return images
