"""Items that arrive a few at a time (Scrapy, datatrove) are read against a window of those
seen before, so they get the corpus decision that a file scan gives."""

from __future__ import annotations

from dataclasses import replace

import pytest

from headcheck import Detector
from synthetic import HashEncoder, articles

PAIRS = [(a["title"], a["text"]) for a in articles(240)]


@pytest.fixture(scope="module")
def hashed() -> Detector:
    """The shipped decision (it has a context decision) over a cheap encoder."""
    detector = Detector(encoder=HashEncoder())
    assert detector.context is not None
    return detector


def without_position(results: list) -> list:
    return [replace(r, suggestion_position=None) for r in results]


def test_pairs_read_with_a_reference_get_the_decision_of_the_whole_block(
    hashed: Detector,
) -> None:
    """The last pairs of a block, read against the ones before, are decided exactly as
    when the whole block is checked at once (the positions of suggestions aside)."""
    whole = list(hashed.check_many(PAIRS))
    tail = hashed.check_in_context(PAIRS[-16:], PAIRS[:-16])
    assert tail == without_position(whole[-16:])
    alone = [hashed.check(*pair) for pair in PAIRS[-16:]]
    assert tail != alone  # the corpus decision, not the per-pair one


def test_too_small_a_reference_keeps_the_per_pair_decision(hashed: Detector) -> None:
    assert hashed.check_in_context(PAIRS[:10], PAIRS[10:50]) == [
        hashed.check(*pair) for pair in PAIRS[:10]
    ]


def test_the_scrapy_batcher_reads_each_batch_against_its_window(hashed: Detector) -> None:
    """The pipeline's batcher keeps the last `window` pairs and reads every batch against
    them: after enough batches, a batch is decided as the block of window and batch."""
    pytest.importorskip("scrapy", reason="the scrapy extra is not installed")
    from headcheck.integrations.batcher import Batcher

    batcher = Batcher(hashed, size=16, wait=0.0, window=150)
    seen: list[tuple[str, str]] = []
    for start in range(0, 224, 16):
        batch = PAIRS[start : start + 16]
        results = batcher._score(batch)
        expected = hashed.check_in_context(batch, seen[-150:])
        assert results == expected
        seen.extend(batch)
    assert list(batcher.window) == seen[-150:]
    assert results != [hashed.check(*pair) for pair in batch]


def test_a_bad_window_setting_stops_the_crawl() -> None:
    pytest.importorskip("scrapy", reason="the scrapy extra is not installed")
    from scrapy.settings import Settings

    from headcheck.errors import ConfigurationError
    from headcheck.integrations.scrapy_settings import PipelineSettings

    assert PipelineSettings.from_settings(Settings({})).window == 1_000
    assert PipelineSettings.from_settings(Settings({"HEADCHECK_WINDOW": "0"})).window == 0
    with pytest.raises(ConfigurationError, match="HEADCHECK_WINDOW: expected a whole number"):
        PipelineSettings.from_settings(Settings({"HEADCHECK_WINDOW": "lots"}))


def test_datatrove_decides_a_window_of_documents_as_one_corpus(hashed: Detector) -> None:
    """The filter hands the detector `window` documents at a time: a corpus."""
    pytest.importorskip("datatrove", reason="the datatrove extra is not installed")
    from datatrove.data import Document

    from headcheck.integrations.datatrove import HeadlineFilter

    step = HeadlineFilter(action="annotate", window=240)
    assert step.batch_size == 240
    step._detector = hashed
    docs = [Document(text=t, id=str(i), metadata={"title": h}) for i, (h, t) in enumerate(PAIRS)]
    list(step.run(iter(docs)))
    whole = [r for r in hashed.check_many(PAIRS)]
    got = [d.metadata["headline_mismatch_probability"] for d in docs]
    assert got == [None if r.mismatch_probability is None else round(r.mismatch_probability, 4)
                   for r in whole]  # fmt: skip
    assert HeadlineFilter(window=0, context=False).batch_size == 64
