"""Text preparation: cleaning, the repeated headline, sentences and the lead."""

from headcheck.text.prepare import (
    LEAD_CHARS,
    MAX_SENTENCES,
    lead,
    normalise,
    prepare,
    split_sentences,
    strip_repeated_headline,
)


def test_normalise_removes_tags_entities_and_extra_space() -> None:
    """HTML tags, scripts and entities go; paragraph breaks stay as one newline."""
    raw = "<p>Fish &amp; chips\u00a0 prices   rise</p><script>alert(1)</script><p>Second  para</p>"
    assert normalise(raw) == "Fish & chips prices rise\nSecond para"


def test_normalise_drops_control_characters() -> None:
    """Control and zero-width characters from bad scraping are removed."""
    assert normalise("Bank\x00 holds\u200b rates\x1b") == "Bank holds rates"


def test_repeated_headline_is_stripped_ignoring_case_and_punctuation() -> None:
    """A body that starts with its headline loses it, whatever the case and punctuation."""
    body = "BANK HOLDS RATES -- The central bank left rates unchanged."
    assert (
        strip_repeated_headline("Bank holds rates", body)
        == "The central bank left rates unchanged."
    )


def test_headline_in_the_middle_of_a_word_is_not_stripped() -> None:
    """Only a whole-word match at the start counts."""
    body = "Bank holdsworth said rates would rise."
    assert strip_repeated_headline("Bank holds", body) == body


def test_split_sentences_joins_fragments_and_honours_paragraphs() -> None:
    """Short fragments such as datelines join the next sentence; paragraphs split."""
    body = (
        "LONDON (AP). Prices rose again in March, officials said.\n"
        "A second paragraph starts here now."
    )
    assert split_sentences(body) == [
        "LONDON (AP). Prices rose again in March, officials said.",
        "A second paragraph starts here now.",
    ]


def test_split_sentences_keeps_at_most_the_limit() -> None:
    """Only the first sentences of a long body are kept."""
    body = " ".join(f"Sentence number {i} is here." for i in range(40))
    assert len(split_sentences(body)) == MAX_SENTENCES


def test_lead_is_cut_at_a_word_boundary() -> None:
    """The lead stops before LEAD_CHARS and does not split a word."""
    body = "word " * 1_000
    cut = lead(body)
    assert len(cut) <= LEAD_CHARS and cut.endswith("word")


def test_prepare_of_a_body_that_is_only_its_headline_is_empty() -> None:
    """A body holding nothing but the headline leaves nothing to score."""
    units = prepare("Storm hits coast", "<h1>Storm hits coast</h1>")
    assert units.lead == "" and units.sentences == ()


def test_normalise_fast_path_matches_the_per_character_filter() -> None:
    """Lines with and without control, format and unassigned characters clean alike."""
    import random
    import unicodedata

    pool = "ab Z.\n\t\u00a0\u200b\u200e\u2028\x00\x07\x1b\x7f\ud800\ue000\U000e0001é文"
    rng = random.Random(4)
    for _ in range(300):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 40)))
        expected = "".join(
            ch
            for ch in unicodedata.normalize("NFKC", text)
            if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
        )
        assert normalise(text) == normalise(expected)
        assert not any(
            unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in normalise(text) if ch != "\n"
        )


def test_limit_holds_when_normalising_lengthens_the_text() -> None:
    """NFKC turns "¨" into a space and a combining mark and "ﬃ" into three letters: the cut
    is made again after it, so a limited body is never longer than the limit."""
    assert len(normalise("0¨" * 6_000, limit=10_000)) <= 10_000
    assert len(normalise("ﬃ" * 5_000, limit=10_000)) == 10_000
