"""What a check returns, and the reason codes it can carry."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

#: Why a pair was flagged, or why it could not be scored. Every code a result (or a scanned
#: file's error row) can carry is here, most specific first within each group; a test derives
#: the list from the code that emits them.
Reason = Literal[
    # Scored pairs.
    "boilerplate_title",  # the headline is a site, section, error or widget title
    "boilerplate_text",  # the body is a cookie wall, consent or log-in page, paywall or error
    "language_mismatch",  # headline and body are in two different languages
    "truncated_text",  # the body is a teaser cut short ("Read more..."), or cut after a sentence
    "index_page",  # the body is a list of other stories' teasers (read as a corpus)
    "mixed_text",  # other stories' teasers stand above (or around) the body's own story
    "low_similarity",  # scored, and the headline is too unlike the body
    # Pairs that could not be scored.
    "missing_title",  # the headline field is absent or null
    "missing_text",  # the body field is absent or null
    "empty_title",  # the headline is empty once cleaned (whitespace, tags only)
    "empty_text",  # the body is empty once cleaned, or holds nothing but the headline
    "not_text",  # a headline or body that is not a string (a number, list, mapping...)
    # A file's record that could not be read (scan --on-error skip writes an error row).
    "unreadable_record",
]
REASONS: tuple[str, ...] = get_args(Reason)
#: Reason written on the error row of a record that could not be read (--on-error skip).
UNREADABLE: Reason = "unreadable_record"
Stage = Literal["corpus", "model", "cheap", "multilingual"]
#: Reasons given to a record that could not be scored at all.
UNSCORED_REASONS = frozenset(
    {"missing_title", "missing_text", "empty_title", "empty_text", "not_text", UNREADABLE}
)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The verdict on one headline/body pair.

    ``similarity`` is in [-1, 1], higher meaning more alike; it is ``None`` when the pair
    could not be scored. With a calibration, ``mismatch_probability`` (higher meaning more
    likely a mismatch) makes the low-similarity decision instead of the threshold.
    ``reasons`` lists every reason the pair was flagged for, most specific first (empty when
    it was not); ``reason`` is the first. ``evidence`` is the body sentence that matches the
    headline best.
    """

    similarity: float | None
    reasons: tuple[Reason, ...] = ()
    evidence: str | None = None
    lead_similarity: float | None = None
    sentence_similarity: float | None = None
    #: With a calibration: the calibrated model's probability that the pair is a mismatch.
    mismatch_probability: float | None = None
    #: The pair's features (see headcheck.decide.features.FEATURE_NAMES), when it was scored.
    features: tuple[float, ...] | None = None
    #: Which stage decided: "corpus" (the transformer's cosines with the evidence of the
    #: other pairs read with it: the context decision), "model" (the transformer's cosines
    #: alone: no context decision, or too few bodies to be a corpus), "cheap" (the cascade's
    #: first stage, whose similarity and probability are then its estimates of the model's)
    #: or "multilingual" (a body in another language than English, read by the multilingual
    #: tier: see headcheck.decide.multilingual); None unscored.
    stage: Stage | None = None
    #: Read as a corpus: the headline of another pair that fits this body far better than its
    #: own (a swapped title to repair), and that pair's position among the pairs checked.
    suggestion: str | None = None
    suggestion_position: int | None = None
    #: The language of the headline and of the body's lead, as the identifier found it
    #: (py3langid's ISO 639-1 codes: "en", "de", "zh"...; see headcheck.text.language.REPORTED);
    #: None when the text is too short to tell, in no language, unsure, or unscored.
    headline_language: str | None = None
    body_language: str | None = None

    @property
    def is_mismatch(self) -> bool:
        return bool(self.reasons)

    @property
    def reason(self) -> Reason | None:
        return self.reasons[0] if self.reasons else None

    @property
    def scored(self) -> bool:
        return self.similarity is not None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "is_mismatch": self.is_mismatch, "reason": self.reason}


#: Names of the columns (and output fields) the result adds to a record or frame.
SIMILARITY_FIELD = "headline_similarity"
PROBABILITY_FIELD = "headline_mismatch_probability"
MISMATCH_FIELD = "is_headline_mismatch"
REASON_FIELD = "headline_mismatch_reason"
EVIDENCE_FIELD = "headline_evidence"
SUGGESTION_FIELD = "headline_suggestion"
#: With an id field: the id of the record whose headline is suggested.
SUGGESTION_ID_FIELD = "headline_suggestion_id"
RESULT_FIELDS = (
    SIMILARITY_FIELD,
    PROBABILITY_FIELD,
    MISMATCH_FIELD,
    REASON_FIELD,
    EVIDENCE_FIELD,
    SUGGESTION_FIELD,
)
#: The Parquet type of each result column, whatever a file's rows hold (a similarity that is
#: null in every row is still a double column).
RESULT_TYPES = {
    SIMILARITY_FIELD: "double",
    PROBABILITY_FIELD: "double",
    MISMATCH_FIELD: "bool",
    REASON_FIELD: "string",
    EVIDENCE_FIELD: "string",
    SUGGESTION_FIELD: "string",
}


def join_reasons(reasons: tuple[str, ...]) -> str | None:
    """Reasons as one output value: comma-separated, most specific first; None for none."""
    return ",".join(reasons) if reasons else None


def result_fields(result: CheckResult, *, evidence: bool = True) -> dict[str, Any]:
    """The result as output columns, rounded for files."""
    probability = result.mismatch_probability
    fields: dict[str, Any] = {
        SIMILARITY_FIELD: None if result.similarity is None else round(result.similarity, 4),
        PROBABILITY_FIELD: None if probability is None else round(probability, 4),
        MISMATCH_FIELD: result.is_mismatch,
        REASON_FIELD: join_reasons(result.reasons),
    }
    if evidence:
        fields[EVIDENCE_FIELD] = result.evidence
        fields[SUGGESTION_FIELD] = result.suggestion
    return fields
