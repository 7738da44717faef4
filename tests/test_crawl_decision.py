"""The shipped decision on realistic crawls: its trees, the corpus-relative evidence, the reasons
it gives (index pages, mixed bodies, cut bodies), suggestions, and calibrate on small crawls."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fnc1 import FNC1, SHARED, bodies, needs_fnc1, own_headlines
from headcheck import Detector
from headcheck.calibrate.calibration import default_calibration
from headcheck.calibrate.corpus import MIN_CALIBRATION_PAIRS, calibrate, usable_pairs
from headcheck.calibrate.decisions import CONTEXT_DECISION_NAMES
from headcheck.decide.boosted import Trees
from headcheck.decide.relative import anchors, relative_to_corpus
from headcheck.decide.teasers import teasers


def test_stored_trees_decide_as_the_fitted_model() -> None:
    """Trees kept as numbers give scikit-learn's own decision values, NaN included."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2_000, 4))
    x[::13, 1] = np.nan
    y = (x[:, 0] + np.nan_to_num(x[:, 1]) > 0.3).astype(int)
    model = HistGradientBoostingClassifier(max_iter=30, max_depth=3, early_stopping=False)
    model.fit(x, y)
    trees = Trees.from_dict(json.loads(json.dumps(Trees.of(model).to_dict())), 4, ValueError)
    assert np.allclose(trees.decision(x), model.decision_function(x))


def test_the_shipped_decision_loads_for_each_backend() -> None:
    """The package carries a decision with a context part for every backend, fitted on it,
    and each file passes the calibration schema (loading it skips that walk, for speed)."""
    from importlib.resources import files

    from headcheck.calibrate.calibration import Calibration

    for backend in ("torch", "onnx"):
        shipped = default_calibration(backend)
        assert shipped.mode == "default" and shipped.backend == backend
        assert shipped.context is not None
        assert shipped.context.feature_names == CONTEXT_DECISION_NAMES
        stored = files("headcheck.calibrate").joinpath("defaults", f"{backend}.json")
        assert Calibration.from_json(stored.read_text(encoding="utf-8")) == shipped
        assert json.loads(stored.read_text(encoding="utf-8"))["backend"] == backend


def test_a_corpus_is_read_against_its_anchors_whatever_its_share_of_faults() -> None:
    """Relative columns are centred on the anchor pairs (mutual best matches), so a corpus
    that is mostly faults reads its genuine pairs as a clean corpus does."""
    names = CONTEXT_DECISION_NAMES
    rng = np.random.default_rng(1)

    def corpus(genuine: int, faults: int) -> np.ndarray:
        rows = np.zeros((genuine + faults, len(names)))
        lead = names.index("lead_cosine")
        rows[:genuine, lead] = rng.normal(0.6, 0.1, genuine)
        rows[genuine:, lead] = rng.normal(0.1, 0.1, faults)
        for story in ("story_body", "story_headline"):
            rows[:genuine, names.index(story)] = 1.0  # mutual best matches
            rows[genuine:, names.index(story)] = 0.5
        return rows

    clean, dirty = corpus(900, 100), corpus(300, 700)
    assert anchors(dirty, names).sum() == 300
    lead = names.index("lead_cosine")
    clean_read, dirty_read = relative_to_corpus(clean, names), relative_to_corpus(dirty, names)
    assert clean_read is not None and dirty_read is not None
    assert abs(np.median(clean_read[:900, lead])) < 0.1
    assert abs(np.median(dirty_read[:300, lead])) < 0.1
    # Without anchors there is nothing to read it against: its pairs are decided alone.
    no_anchor = dirty.copy()
    no_anchor[:, names.index("story_body")] = 0.0
    assert relative_to_corpus(no_anchor, names) is None


def test_teasers_are_paragraphs_that_open_other_bodies() -> None:
    """An index page's paragraphs are other bodies' openings; a story's own are not."""
    stories = [
        f"Story {i} opened with a sentence that is long enough to be a teaser of it. "
        + "It went on. " * 30
        for i in range(6)
    ]
    firsts = [s.split(". ")[0] + "." for s in stories]
    index_page = "\n".join(firsts[:5])
    mixed = "\n".join(firsts[:3]) + "\n" + "The real story is told here at length. " * 20
    # A story of several paragraphs and another extraction of it (a longer tail): copies
    # of one article open each other, but are no teasers.
    article = "\n".join(
        f"Paragraph {k} of the article says a thing at some length." for k in range(4)
    )
    texts = [*stories, index_page, mixed, article, article + "\nShare this story."]
    paragraphs = [t.split("\n") for t in texts]
    found = teasers(texts, paragraphs)
    assert found.counts.tolist() == [0] * 6 + [5, 3, 0, 0]
    assert found.rest_chars[6] < 50 and found.rest_chars[7] > 500


def test_calibrate_counts_usable_pairs_and_keeps_the_default_below_the_minimum() -> None:
    """Fewer usable pairs than needed: the shipped decision comes back unchanged, and nothing
    is embedded (the encoder would fail if it were asked)."""

    class Refuses:
        def encode(self, texts: list[str]) -> np.ndarray:
            raise AssertionError("calibrate embedded a small corpus")

    pairs = [(f"Headline {i}", f"A body about topic {i} with words.") for i in range(50)]
    pairs += [(None, "no title"), ("title", ""), ("x", "A body about topic 1 with words.")]
    assert usable_pairs(pairs) == 50
    detector = Detector(encoder=Refuses())
    kept = calibrate(pairs, detector=detector)
    assert kept == default_calibration(detector.backend)
    assert MIN_CALIBRATION_PAIRS > 50


def _crawl(tmp_path: Path, share: float, seed: int) -> list[dict]:
    path = tmp_path / f"crawl-{share}-{seed}.jsonl"
    subprocess.run(
        [sys.executable, str(SHARED / "bench" / "crawl.py"), str(FNC1), "--share", str(share),
         "--seed", str(seed), "-o", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return [json.loads(line) for line in path.open(encoding="utf-8")]


@needs_fnc1
@pytest.mark.slow
def test_the_default_decision_holds_on_a_realistic_crawl(
    detector: Detector, tmp_path: Path
) -> None:
    """On a realistic FNC-1 crawl with 10% faults of every kind, the default decision flags
    few genuine rows, catches most faults, and names index pages, mixed and cut bodies."""
    rows = _crawl(tmp_path, 0.10, 7)
    results = list(detector.check_many((r["title"], r["text"]) for r in rows))
    label = np.array([r["label"] for r in rows])
    kind = np.array([r["kind"] for r in rows])
    flagged = np.array([r.is_mismatch for r in results])
    # FNC-1 holds two French bodies under English headlines, labelled genuine. Where the
    # multilingual tier is installed they are read by it and flagged language_mismatch, as
    # they should be: the bound is on the rows of the English path.
    english = np.array([r.stage != "multilingual" for r in results])
    assert flagged[(label == 0) & english].mean() <= 0.015
    assert all(
        "language_mismatch" in r.reasons
        for r, e, lab in zip(results, english, label, strict=True)
        if not e and lab == 0 and r.is_mismatch
    )
    assert flagged[label == 1].mean() >= 0.85
    reasons: dict[str, list[set[str]]] = {}
    for result, k in zip(results, kind, strict=True):
        reasons.setdefault(str(k), []).append(set(result.reasons))
    assert np.mean([bool(rs & {"index_page", "mixed_text"}) for rs in reasons["index_page"]]) > 0.9
    assert np.mean(["mixed_text" in rs for rs in reasons["mixed_body"]]) > 0.8
    assert np.mean(["truncated_text" in rs for rs in reasons["truncated_body"]]) > 0.4
    # The crawl is one corpus: every English pair is decided with its evidence.
    assert all(r.stage in ("corpus", "multilingual") for r in results if r.scored)
    assert sum(r.stage == "multilingual" for r in results) <= 3  # the bodies not in English


@needs_fnc1
def test_swapped_titles_get_each_other_as_suggestions(tmp_path: Path) -> None:
    """Two swapped headlines in a crawl: each flagged pair suggests the other's headline, and
    `scan --id-field` names the record it comes from."""
    from headcheck.cli.main import main

    text, own = bodies(), own_headlines()
    ids = random.Random(3).sample(sorted(own), 150)
    records = [{"id": f"r{i}", "title": own[b], "text": text[b]} for i, b in enumerate(ids)]
    records[0]["title"], records[1]["title"] = records[1]["title"], records[0]["title"]
    source = tmp_path / "crawl.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["scan", str(source), "-o", str(out), "--id-field", "id", "-q"]) == 0
    rows = [json.loads(line) for line in out.open(encoding="utf-8")]
    assert rows[0]["is_headline_mismatch"] and rows[1]["is_headline_mismatch"]
    assert rows[0]["headline_suggestion"] == records[1]["title"]
    assert rows[0]["headline_suggestion_id"] == "r1"
    assert rows[1]["headline_suggestion_id"] == "r0"
    assert sum(r["headline_suggestion"] is not None for r in rows[2:]) <= 2
