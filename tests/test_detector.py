"""The detector on the real packaged model."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from conftest import CRICKET_TITLE, POLITICS, POLITICS_TITLE, SPORTS_TITLE
from headcheck import REASONS, CheckResult, Detector
from headcheck.result import UNSCORED_REASONS


def test_cricket_headline_over_politics_story_is_flagged(detector: Detector) -> None:
    """The motivating fault: a sports widget's title over a story about diplomats."""
    result = detector.check(CRICKET_TITLE, POLITICS)
    assert result.is_mismatch and result.reasons == ("boilerplate_title", "low_similarity")
    assert result.similarity is not None and result.similarity < detector.threshold


def test_own_headline_is_not_flagged(detector: Detector) -> None:
    """The story's own headline passes, with the best-matching sentence as evidence."""
    result = detector.check(POLITICS_TITLE, POLITICS)
    assert not result.is_mismatch and result.reason is None
    assert result.similarity is not None and result.similarity > 0.6
    assert result.evidence is not None and "Geneva" in result.evidence


def test_similarity_combines_lead_and_best_sentence(detector: Detector) -> None:
    """With a plain threshold (the full scoring) the score is the mean of the lead and
    best-sentence cosines, all in the transformer's space."""
    plain = detector.with_options(calibration=None)
    assert plain.scoring == "full"
    result = plain.check(POLITICS_TITLE, POLITICS)
    assert result.lead_similarity is not None and result.sentence_similarity is not None
    assert result.similarity == pytest.approx(
        (result.lead_similarity + result.sentence_similarity) / 2
    )


def test_fast_scoring_compares_sentences_in_the_static_space(detector: Detector) -> None:
    """The shipped decision's scoring: the transformer reads the headline and the lead only
    (the score is their cosine); the sentences are compared with static vectors."""
    assert detector.scoring == "fast"
    result = detector.check(POLITICS_TITLE, POLITICS)
    assert result.lead_similarity is not None and result.sentence_similarity is not None
    assert result.similarity == pytest.approx(result.lead_similarity)
    full = detector.with_options(calibration=None).check(POLITICS_TITLE, POLITICS)
    assert full.lead_similarity == pytest.approx(result.lead_similarity, abs=1e-6)
    assert abs(full.sentence_similarity - result.sentence_similarity) > 1e-3  # other space
    assert result.evidence is not None and "Geneva" in result.evidence


#: An input for each code one pair can be given on its own.
REASON_CASES = [
    (None, POLITICS, "missing_title"),
    (float("nan"), POLITICS, "missing_title"),
    (POLITICS_TITLE, None, "missing_text"),
    ("  <b> </b> ", POLITICS, "empty_title"),
    (POLITICS_TITLE, " \n\t ", "empty_text"),
    (POLITICS_TITLE, POLITICS_TITLE, "empty_text"),
    (42, POLITICS, "not_text"),
    (POLITICS_TITLE, ["a", "list"], "not_text"),
    (SPORTS_TITLE, POLITICS, "low_similarity"),
    ("Home | The Daily Example", POLITICS, "boilerplate_title"),
    (
        POLITICS_TITLE,
        "We use cookies on this site. Accept all cookies. Reject all.",
        "boilerplate_text",
    ),
    ("Переговоры дипломатов в Женеве о прекращении огня", POLITICS, "language_mismatch"),
    (
        POLITICS_TITLE,
        "Diplomats met in Geneva on Tuesday to discuss the ceasefire…",
        "truncated_text",
    ),
]


@pytest.mark.parametrize(("headline", "body", "reason"), REASON_CASES)
def test_every_reason_code(detector: Detector, headline: object, body: object, reason: str) -> None:
    """Each reason code is given for the input it names, first, and the record is flagged."""
    result = detector.check(headline, body)
    assert result.reason == reason and result.is_mismatch
    assert (result.similarity is None) == (reason in UNSCORED_REASONS)


def test_reason_codes_list_is_complete() -> None:
    """REASONS lists exactly the codes the parametrised test covers, the two that need a
    corpus (tests/test_crawl_decision.py) and the scan's error row (tests/test_cli.py)."""
    covered = {reason for _, _, reason in REASON_CASES}
    assert set(REASONS) == covered | {"index_page", "mixed_text", "unreadable_record"}


def test_headline_repeated_at_start_of_body_does_not_hide_a_mismatch(detector: Detector) -> None:
    """A scraper that pastes the wrong title into the body too is still caught."""
    result = detector.check(SPORTS_TITLE, f"{SPORTS_TITLE}\n{POLITICS}")
    assert result.reasons == ("low_similarity",)
    assert result.similarity == pytest.approx(detector.check(SPORTS_TITLE, POLITICS).similarity)


def test_html_in_body_scores_like_clean_text(detector: Detector) -> None:
    """Tags and entities do not change the score of a body."""
    html = "<div><p>" + POLITICS.replace(". ", ".</p><p>") + "</p></div>"
    assert detector.check(POLITICS_TITLE, html).similarity == pytest.approx(
        detector.check(POLITICS_TITLE, POLITICS).similarity, abs=1e-5
    )


class CountingEncoder:
    """Wraps the real encoder and records every text it is asked to embed."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = "counting"
        self.seen: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        return self.inner.encode(texts)  # type: ignore[attr-defined]


def test_identical_texts_are_embedded_once_per_batch(detector: Detector) -> None:
    """Repeated headlines and bodies in a batch cost one embedding each."""
    counting = CountingEncoder(detector.encoder)
    fresh = Detector(encoder=counting, cache_size=0)
    pairs = [(POLITICS_TITLE, POLITICS)] * 5 + [(CRICKET_TITLE, POLITICS)] * 5
    results = list(fresh.check_many(pairs))
    assert len(results) == 10
    assert len(counting.seen) == len(set(counting.seen))
    assert counting.seen.count(POLITICS_TITLE) == 1


def test_cache_reuses_embeddings_across_batches(detector: Detector) -> None:
    """With the cache on, a text seen in an earlier batch is not embedded again."""
    counting = CountingEncoder(detector.encoder)
    fresh = Detector(encoder=counting, batch_size=1)
    list(fresh.check_many([(POLITICS_TITLE, POLITICS)] * 3))
    assert counting.seen.count(POLITICS_TITLE) == 1


def test_check_many_streams_batch_by_batch(detector: Detector) -> None:
    """Results of the first batch come out before later input is read."""
    consumed = 0

    def pairs() -> Iterator[tuple[str, str]]:
        nonlocal consumed
        for _ in range(100):
            consumed += 1
            yield POLITICS_TITLE, POLITICS

    fresh = Detector(encoder=detector.encoder, batch_size=4, context=False)
    stream = fresh.check_many(pairs())
    first = next(stream)
    assert isinstance(first, CheckResult) and consumed == 4
    # Read as a corpus, a block is read whole before its first result.
    block = Detector(encoder=detector.encoder, batch_size=4).check_many(pairs())
    consumed = 0
    next(block)
    assert consumed == 100


def test_check_many_keeps_order_and_count(detector: Detector) -> None:
    """One result per pair, in input order, bad pairs included."""
    pairs = [(POLITICS_TITLE, POLITICS), (None, POLITICS), (SPORTS_TITLE, POLITICS), ("x", 3)]
    reasons = [r.reason for r in detector.check_many(pairs)]
    assert reasons == [None, "missing_title", "low_similarity", "not_text"]


@pytest.mark.parametrize("bad", [1.5, -2, float("nan"), "0.3", True])
def test_bad_threshold_is_rejected_early(bad: object) -> None:
    """A threshold that cannot be a cosine cut-off fails at construction."""
    with pytest.raises(ValueError, match="threshold"):
        Detector(threshold=bad)  # type: ignore[arg-type]


def test_threshold_moves_the_decision(detector: Detector) -> None:
    """A threshold above a pair's similarity flags it."""
    strict = Detector(encoder=detector.encoder, threshold=0.99)
    assert strict.check(POLITICS_TITLE, POLITICS).is_mismatch


def test_scoring_makes_no_network_call(no_network: list[tuple[object, ...]]) -> None:
    """Loading the packaged model and scoring work with every socket blocked."""
    fresh = Detector()
    assert fresh.check(CRICKET_TITLE, POLITICS).is_mismatch
    assert no_network == []


def test_with_options_shares_the_model_not_the_cache_and_decides(detector: Detector) -> None:
    """A calibrated copy reuses the loaded model but keeps a cache of its own (growing it
    leaves the original's as it was), and its probability decides."""
    from headcheck.calibrate.calibration import Calibration
    from headcheck.decide.features import FEATURE_NAMES

    n = len(FEATURE_NAMES)
    # Probability of a mismatch falls as the lead cosine rises: sigmoid(2 - 10 * cosine).
    calibration = Calibration(
        FEATURE_NAMES,
        (0.0,) * n,
        (1.0,) * n,
        (-10.0,) + (0.0,) * (n - 1),
        2.0,
        0.5,
        0.5,
        0.01,
        "test",
        "labelled",
        100,
        backend=detector.backend,
    )
    twin = detector.with_options(calibration=calibration, cache_size=5 * detector.cache_size)
    assert twin.encoder is detector.encoder
    assert twin.embeddings.cache is not detector.embeddings.cache
    assert twin.cache_size == 5 * detector.cache_size != detector.cache_size
    good, bad = twin.check(POLITICS_TITLE, POLITICS), twin.check(SPORTS_TITLE, POLITICS)
    assert good.mismatch_probability is not None and good.mismatch_probability < 0.5
    assert not good.is_mismatch
    assert bad.mismatch_probability is not None and bad.mismatch_probability > 0.5
    assert bad.reasons == ("low_similarity",)
    # The twin without a calibration decides by the plain threshold again.
    plain = detector.with_options(calibration=None)
    assert plain.check(POLITICS_TITLE, POLITICS).mismatch_probability is None


def test_punctuation_only_fields_are_empty(detector: Detector) -> None:
    """A headline or body with no letter or digit is reported empty, not scored."""
    assert detector.check("&&& --- !!!", POLITICS).reasons == ("empty_title",)
    assert detector.check(POLITICS_TITLE, "*** ... ---").reasons == ("empty_text",)


def test_a_repeated_pair_reuses_its_result_without_the_model(detector: Detector) -> None:
    """The second time a pair comes by, its result is served from the cache, unchanged."""
    calls: list[int] = []

    class Counting:
        name = "counting"

        def encode(self, texts: list[str]) -> object:
            calls.append(len(texts))
            return detector.encoder.encode(texts)

    counting = Detector(encoder=Counting())
    first = counting.check(POLITICS_TITLE, POLITICS)
    encoded = len(calls)
    counting.embeddings.cache.clear()  # only the pair cache can serve the repeat now
    assert counting.check(POLITICS_TITLE, POLITICS) == first
    assert len(calls) == encoded
    uncached = Detector(encoder=Counting(), cache_size=0)
    uncached.check(POLITICS_TITLE, POLITICS)
    uncached.check(POLITICS_TITLE, POLITICS)
    assert len(calls) > encoded + 1
