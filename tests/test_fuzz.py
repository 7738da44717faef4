"""Property-based bad input: whatever a scraper hands over, a check returns a verdict with a
reason and never raises, and what it writes can be read back."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import POLITICS, POLITICS_TITLE
from headcheck import Detector
from headcheck.io.readers import read_rows
from headcheck.io.writers import open_writer
from headcheck.result import REASONS, UNSCORED_REASONS, CheckResult, result_fields
from headcheck.text.prepare import MAX_BODY_CHARS, prepare

#: Characters scrapers really produce, and some they should not: controls, bidi marks,
#: zero-width and byte-order marks, combining marks, emoji, private use, replacement char.
_ODD = (
    "\x00\x01\x07\x1b\x7f\x85\xa0\u00ad\u200b\u200d\u200e\u200f\u202a\u202e\u2066\u2069"
    "\ufeff\ufffd\ufffe\uffff\u0301\u0327\ue000\U000f0000\U0001f525\U0001f1ee\U0001f1f3"
    "\u05e9\u05dc\u05d5\u05dd\u0627\u0644\u0639\u0631\u0628\u064a\u0629\u4e2d\u6587\u3042"
    "\t\n\r\x0b\x0c\u2028\u2029 &<>;#'\"\\"
)
characters = st.one_of(
    st.characters(),  # any code point except lone surrogates
    st.characters(codec=None, categories=["Cs"]),  # lone surrogates, e.g. '\udc80'
    st.sampled_from(_ODD),
)
any_text = st.text(alphabet=characters, max_size=300)
_WORDS = "the talks minister said Geneva on Tuesday ceasefire cricket score match vote"
words = st.sampled_from(_WORDS.split(" "))
prose = st.lists(words, min_size=1, max_size=40).map(" ".join)
#: HTML fragments as scrapers leave them: tags (closed or not), comments, scripts, entities.
html_piece = st.one_of(
    st.sampled_from(
        [
            "<p>",
            "</p>",
            "<br/>",
            "<div class='x'>",
            "</div>",
            "<script>var a = '<p>';</script>",
            "<style>p{}</style>",
            "<!-- comment -->",
            "<!--",
            "<script>",
            "<",
            ">",
            "&amp;",
            "&lt;p&gt;",
            "&#0;",
            "&#xD800;",
            "&#1114112;",
            "&nbsp;",
            "&bogus;",
            "<a href='&quot;'>",
            "<img src=x onerror=alert(1)>",
            "<![CDATA[ x ]]>",
        ]
    ),
    prose,
    any_text,
)
html_text = st.lists(html_piece, max_size=20).map("".join)
whitespace = st.text(alphabet=" \t\n\r\x0b\x0c\u00a0\u2028\u3000\u200b", max_size=20)
not_text = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.binary(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(float("nan")),
)
field = st.one_of(any_text, html_text, prose, whitespace, not_text)

FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_verdict(result: CheckResult, headline: Any, body: Any) -> None:
    """A result carries known reasons; an unscored one says why; a flag always has a reason."""
    assert isinstance(result, CheckResult)
    assert set(result.reasons) <= set(REASONS) | {
        "boilerplate_title",
        "boilerplate_text",
        "language_mismatch",
        "truncated_text",
    }
    if result.similarity is None:
        assert result.reason in UNSCORED_REASONS
    else:
        assert -1.0001 <= result.similarity <= 1.0001
        assert not math.isnan(result.similarity)
        assert isinstance(result.evidence, str) and result.evidence
    if not isinstance(headline, str) or not isinstance(body, str):
        assert result.reason in {"missing_title", "missing_text", "not_text"}
    # What a check returns is always writable as JSON text (no lone surrogates in evidence).
    json.dumps(result_fields(result), ensure_ascii=False).encode("utf-8")


@FUZZ
@given(headline=field, body=field)
def test_check_never_raises_and_always_gives_a_reason(
    detector: Detector, headline: Any, body: Any
) -> None:
    """Any headline and body, of any type and content, get a verdict."""
    assert_verdict(detector.check(headline, body), headline, body)


@FUZZ
@given(pairs=st.lists(st.tuples(field, field), min_size=1, max_size=6))
def test_a_batch_gives_what_single_checks_give(
    detector: Detector, pairs: list[tuple[Any, Any]]
) -> None:
    """A bad pair in a batch does not disturb its neighbours: batched verdicts equal single."""
    batched = list(detector.check_many(pairs))
    assert len(batched) == len(pairs)
    for (headline, body), result in zip(pairs, batched, strict=True):
        single = detector.check(headline, body)
        assert result.reasons == single.reasons
        assert (result.similarity is None) == (single.similarity is None)
        if result.similarity is not None:
            assert result.similarity == pytest.approx(single.similarity, abs=1e-4)


@settings(max_examples=30, deadline=None)
@given(headline=any_text, body=st.one_of(any_text, html_text))
def test_cleaned_text_holds_no_surrogates_or_controls(headline: str, body: str) -> None:
    """What is embedded is valid UTF-8 text without control characters."""
    units = prepare(headline, body)
    for text in (units.headline, units.lead, *units.sentences):
        text.encode("utf-8")  # raises on a lone surrogate
        assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in text)


@settings(max_examples=20, deadline=None)
@given(piece=st.one_of(prose, html_text, any_text), headline=st.one_of(prose, any_text))
def test_huge_fields_are_cut_before_cleaning(piece: str, headline: str) -> None:
    """A 10 MB body and a 10,000-character headline are cleaned in bounded time."""
    body = (piece + " ") * (10_000_000 // (len(piece) + 1) + 1)
    started = time.perf_counter()
    units = prepare((headline + " ") * (10_000 // (len(headline) + 1) + 1), body)
    assert time.perf_counter() - started < 2.0
    assert len(units.text) <= MAX_BODY_CHARS


def test_ten_megabyte_body_costs_about_what_a_normal_one_does(detector: Detector) -> None:
    """Only the lead and first sentences are embedded: a 10 MB body scores like a normal one."""
    fresh = Detector(encoder=detector.encoder, cache_size=0)  # no cache: both really embed
    sentences = [
        f"Paragraph {i} of the report describes what the delegates discussed on day {i}."
        for i in range(1, 40)
    ]
    normal = POLITICS + " " + " ".join(sentences)
    huge = normal + " " + " ".join(sentences) * (10_000_000 // len(" ".join(sentences)) + 1)
    assert len(huge) > 10_000_000
    fresh.check(POLITICS_TITLE, normal)  # warm up

    def best_of_three(body: str) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            result = fresh.check(POLITICS_TITLE, body)
            times.append(time.perf_counter() - started)
            assert result.scored and not result.is_mismatch
        return min(times)

    normal_s, huge_s = best_of_three(normal), best_of_three(huge)
    print(f"\n[huge body] normal {normal_s * 1000:.0f} ms, 10 MB {huge_s * 1000:.0f} ms")
    assert huge_s < 2 * normal_s + 0.2


def test_ten_thousand_character_headline_is_scored(detector: Detector) -> None:
    """A 10,000-character headline is cut and scored, not rejected or crashed on."""
    headline = (POLITICS_TITLE + " ") * (10_000 // len(POLITICS_TITLE) + 1)
    result = detector.check(headline[:10_000], POLITICS)
    assert result.scored


# -- writers -----------------------------------------------------------------------------------

record_value = st.one_of(
    any_text,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.tuples(any_text, record_value), min_size=1, max_size=8))
def test_jsonl_writer_round_trips_any_text(tmp_path_factory: Any, values: list[Any]) -> None:
    """JSONL output never crashes and reads back unchanged, lone surrogates included (escaped)."""
    path = tmp_path_factory.mktemp("w") / "out.jsonl"
    records = [{"title": title, "value": value} for title, value in values]
    with open_writer(str(path), "jsonl") as writer:
        for record in records:
            writer.write(record)
    path.read_bytes().decode("utf-8")  # the file is valid UTF-8
    rows = list(read_rows(str(path), "jsonl"))
    assert [r.record for r in rows] == records


def _no_surrogates(text: str) -> str:
    return "".join("\ufffd" if 0xD800 <= ord(ch) < 0xE000 else ch for ch in text)


@settings(max_examples=60, deadline=None)
@given(titles=st.lists(any_text, min_size=1, max_size=8), fmt=st.sampled_from(["csv", "parquet"]))
def test_csv_and_parquet_writers_replace_lone_surrogates(
    tmp_path_factory: Any, titles: list[str], fmt: str
) -> None:
    """CSV and Parquet cannot hold a lone surrogate: it becomes U+FFFD, the row is kept."""
    path: Path = tmp_path_factory.mktemp("w") / f"out.{fmt}"
    with open_writer(str(path), fmt) as writer:  # type: ignore[arg-type]
        for title in titles:
            writer.write({"title": title, "n": 1})
    rows = [r.record for r in read_rows(str(path), fmt)]  # type: ignore[arg-type]
    assert len(rows) == len(titles)
    for row, title in zip(rows, titles, strict=True):
        assert row is not None
        assert row["title"] == _no_surrogates(title)
