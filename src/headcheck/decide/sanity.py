"""A check that a decision flags at all, and not everything: run on clear pairs before use.

A calibration file can pass its schema and still hold a decision that never flags (an
intercept of -1e6) or always flags: a gate that lets every record through, or drops them all.
:func:`check_decision` runs the decision on eight short stories of unrelated topics, each with
its own headline (clearly matched) and with the headline of every other (56 clear mismatches;
the shipped decision, which leaves most per-pair evidence to the corpus, flags 16 of them),
and refuses it when its probabilities cannot tell them apart, when it flags every matched
pair, or when a threshold of it is 0 or 1.
"""

from __future__ import annotations

from typing import Any

from headcheck.errors import CalibrationError

#: (headline, body) of eight stories on unrelated topics, written for this check.
STORIES: tuple[tuple[str, str], ...] = (
    (
        "City council approves new budget for road repairs",
        "The city council voted on Monday to approve a budget that sets aside money for "
        "repairing roads across the city. Council members said potholes had become a "
        "danger to cyclists. Work on the worst streets is due to begin next month.",
    ),
    (
        "Storm brings heavy rain and flooding to coastal towns",
        "A powerful storm brought heavy rain to the coast overnight, flooding streets and "
        "homes in several towns. Emergency crews rescued residents trapped by rising water. "
        "Forecasters expect the rain to ease by Thursday.",
    ),
    (
        "Striker scores twice as champions win league opener",
        "The champions began their league season with a win on Saturday, their striker "
        "scoring twice in the second half. The visitors had led at the break. The coach "
        "praised his players for their fight after the interval.",
    ),
    (
        "Central bank raises interest rates to curb inflation",
        "The central bank raised its main interest rate by a quarter point on Wednesday, "
        "saying inflation remained too high. Borrowing costs for mortgages are expected to "
        "rise. Economists had predicted the move after strong wage figures.",
    ),
    (
        "Researchers find new species of frog in rainforest",
        "Scientists exploring a remote rainforest have found a species of frog never "
        "described before. The small green frog lives high in the trees and calls at night. "
        "The team said the forest is threatened by logging.",
    ),
    (
        "Tech company unveils smartphone with longer battery life",
        "The technology company showed its new smartphone at an event on Tuesday, promising "
        "a battery that lasts two days. The phone also has a brighter screen and a faster "
        "chip. It goes on sale in stores next week.",
    ),
    (
        "Hospital opens new wing for children's cancer care",
        "The hospital opened a new wing on Friday for children being treated for cancer. "
        "The wing has rooms where parents can stay overnight beside their children. Doctors "
        "said it would let more young patients be treated close to home.",
    ),
    (
        "Film festival honours veteran director with award",
        "The film festival gave its lifetime award to a veteran director on Sunday night. "
        "Actors who had worked with her spoke about her films at the ceremony. Her latest "
        "film opens the festival's programme this week.",
    ),
)


def clear_pairs() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(matched pairs, mismatched pairs): each story with its own headline (8), and each
    body with the headline of every other story (56)."""
    matched = list(STORIES)
    mismatched = [
        (headline, body)
        for i, (headline, _) in enumerate(STORIES)
        for j, (_, body) in enumerate(STORIES)
        if i != j
    ]
    return matched, mismatched


def _separation(mismatched: list[float], matched: list[float]) -> float:
    """The share of (mismatched, matched) pairs whose mismatch probabilities are ordered
    right, ties counting half: 1.0 for a decision that tells every clear pair apart, 0.5 for
    one that cannot tell them apart at all (a ROC-AUC)."""
    right = sum((m > g) + 0.5 * (m == g) for m in mismatched for g in matched)
    return right / (len(mismatched) * len(matched))


#: Least separation of the clear pairs a decision must show (the shipped ones show 1.0).
MIN_SEPARATION = 0.9


def check_decision(detector: Any, *, source: str = "the calibration") -> None:
    """Raise CalibrationError for a decision that cannot be meant: one whose mismatch
    probabilities do not tell the clear mismatches from the clear matches, one that flags all
    the clear matches, or one with a threshold that no probability can reach (1) or every
    probability does (0). Flagging none of the clear mismatches is not refused in itself: a
    self-calibrated decision may leave such short pairs to the corpus evidence, or to
    thresholds stricter than theirs. ``source`` names it in the message."""
    matched, mismatched = clear_pairs()
    results = list(detector.check_many(matched + mismatched))
    good = results[: len(matched)]
    problem = None
    if all(r.is_mismatch for r in good):
        problem = f"flags all {len(matched)} clearly matched pairs"
    else:
        probabilities = [r.mismatch_probability for r in results]
        if all(p is not None for p in probabilities):
            separation = _separation(
                [p for p in probabilities[len(matched) :] if p is not None],
                [p for p in probabilities[: len(matched)] if p is not None],
            )
            if separation < MIN_SEPARATION:
                problem = (
                    f"cannot tell {len(mismatched)} clearly mismatched pairs from "
                    f"{len(matched)} clearly matched ones (ROC-AUC {separation:.2f} on them)"
                )
    decisions = [("", detector.calibration), ("context ", detector.context)]
    for name, decision in decisions if problem is None else []:
        if decision is None:
            continue
        thresholds = (decision.short_threshold, decision.long_threshold)
        if not all(0.0 < t < 1.0 for t in thresholds):
            problem = f"has {name}thresholds {thresholds}, which flag nothing or everything"
            break
    if problem is not None:
        raise CalibrationError(
            f"{source} is refused: its decision {problem} (headcheck's built-in check, "
            "headcheck.decide.sanity); a gate with it would let every record through or drop them "
            "all. Calibrate again, or leave it out to use the shipped decision."
        )
