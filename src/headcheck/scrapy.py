"""Scrapy item pipeline: check each scraped item's headline against its body.

Enable it in the project's settings::

    ITEM_PIPELINES = {"headcheck.scrapy.HeadcheckPipeline": 300}
    HEADCHECK_ACTION = "tag"          # or "drop"

Settings (all optional): ``HEADCHECK_ENABLED`` (True), ``HEADCHECK_MODEL`` (a model folder;
default the packaged all-MiniLM-L6-v2), ``HEADCHECK_THRESHOLD``, ``HEADCHECK_CALIBRATION``
(a file from ``headcheck calibrate``, which then decides instead of the threshold),
``HEADCHECK_ACTION`` (``tag`` writes the result onto the item, ``drop`` drops flagged items
with :class:`HeadlineMismatch`), ``HEADCHECK_TITLE_FIELD`` ("title"), ``HEADCHECK_TEXT_FIELD``
("text"), ``HEADCHECK_RESULT_FIELD`` ("headcheck"), ``HEADCHECK_BATCH_SIZE`` (16),
``HEADCHECK_BATCH_WAIT`` (seconds an item waits for others to fill a batch, 0.05) and
``HEADCHECK_DEVICE`` and ``HEADCHECK_BACKEND`` ("torch" or "onnx"; unset, the calibration's, else
onnx where onnxruntime is installed; a calibration's cheap
stage is used when it has one).

Failures fail closed: an invalid ``HEADCHECK_*`` setting, a model that cannot be found or
loaded, or a calibration that cannot be used (unreadable, fitted on another backend, refused
by the clear-pair check) raises :class:`~headcheck.errors.ConfigurationError` with the reason
when the crawler starts, so the crawl does not run (``scrapy crawl`` exits 1); it never runs
unchecked. ``HEADCHECK_ENABLED = False`` is the way to crawl without the check. An item
that cannot be scored (its batch is retried pair by pair, so only that item fails) is passed
on unchecked, counted in the ``headcheck/errors`` stat and logged (the first with its
traceback); the crawl goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

try:
    from itemadapter import ItemAdapter
    from scrapy.exceptions import DropItem, NotConfigured
    from scrapy.utils.defer import maybe_deferred_to_future
    from twisted.internet.defer import Deferred
    from twisted.internet.threads import deferToThread
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("headcheck.scrapy needs Scrapy: pip install 'headcheck[scrapy]'") from exc

from headcheck.calibration import Calibration, CalibrationError
from headcheck.decision import DEFAULT_THRESHOLD, check_threshold
from headcheck.detector import Detector
from headcheck.errors import ConfigurationError
from headcheck.model import BACKENDS, Backend, ModelError, resolve_model
from headcheck.result import CheckResult, result_fields

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

Action = Literal["tag", "drop"]
ACTIONS: tuple[str, ...] = get_args(Action)
STATS_PREFIX = "headcheck"


class HeadlineMismatch(DropItem):
    """Raised for a flagged item when ``HEADCHECK_ACTION = "drop"``; Scrapy counts it in
    ``item_dropped_reasons_count/HeadlineMismatch``."""


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """The ``HEADCHECK_*`` settings, checked."""

    model: str | None = None
    threshold: float = DEFAULT_THRESHOLD
    calibration: Calibration | None = None
    action: Action = "tag"
    title_field: str = "title"
    text_field: str = "text"
    result_field: str = "headcheck"
    batch_size: int = 16
    batch_wait: float = 0.05
    device: str | None = None
    #: None: the calibration's backend, else headcheck's default (onnx where it runs).
    backend: Backend | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> PipelineSettings:
        """Read and check the settings; a bad value raises ConfigurationError naming the valid
        ones (which stops the crawl: never NotConfigured, which would run it unchecked)."""
        calibration = None
        if settings.get("HEADCHECK_CALIBRATION"):
            try:
                calibration = Calibration.load(settings.get("HEADCHECK_CALIBRATION"))
            except CalibrationError as exc:
                raise ConfigurationError(f"HEADCHECK_CALIBRATION: {exc}") from exc
        action = settings.get("HEADCHECK_ACTION", "tag")
        if action not in ACTIONS:
            raise ConfigurationError(
                f"HEADCHECK_ACTION is {action!r}; valid values: {', '.join(ACTIONS)}"
            )
        try:
            threshold = check_threshold(settings.getfloat("HEADCHECK_THRESHOLD", DEFAULT_THRESHOLD))
            batch_size = settings.getint("HEADCHECK_BATCH_SIZE", 16)
            batch_wait = settings.getfloat("HEADCHECK_BATCH_WAIT", 0.05)
        except ValueError as exc:
            raise ConfigurationError(f"bad HEADCHECK_ setting: {exc}") from exc
        if batch_size < 1 or batch_wait < 0:
            raise ConfigurationError(
                f"HEADCHECK_BATCH_SIZE must be >= 1 and HEADCHECK_BATCH_WAIT >= 0, got "
                f"{batch_size} and {batch_wait}"
            )
        backend = settings.get("HEADCHECK_BACKEND") or None
        if backend is not None and backend not in BACKENDS:
            raise ConfigurationError(
                f"HEADCHECK_BACKEND is {backend!r}; valid values: {', '.join(BACKENDS)}"
            )
        fields = {}
        for name, default in (("TITLE", "title"), ("TEXT", "text"), ("RESULT", "headcheck")):
            value = settings.get(f"HEADCHECK_{name}_FIELD", default)
            if not isinstance(value, str) or not value:
                raise ConfigurationError(
                    f"HEADCHECK_{name}_FIELD must be a field name, got {value!r}"
                )
            fields[name.lower()] = value
        return cls(
            model=settings.get("HEADCHECK_MODEL"),
            threshold=threshold,
            calibration=calibration,
            action=action,
            title_field=fields["title"],
            text_field=fields["text"],
            result_field=fields["result"],
            batch_size=batch_size,
            batch_wait=batch_wait,
            device=settings.get("HEADCHECK_DEVICE"),
            backend=backend,
        )


class _Batcher:
    """Gathers pairs from items processed concurrently and scores them together in a thread,
    one batch at a time, so the reactor never waits on the model."""

    def __init__(self, detector: Detector, *, size: int, wait: float) -> None:
        self.detector, self.size, self.wait = detector, size, wait
        self._pending: list[tuple[tuple[Any, Any], Deferred[CheckResult]]] = []
        self._timer: Any = None
        self._busy = False

    def submit(self, pair: tuple[Any, Any]) -> Deferred[CheckResult]:
        from twisted.internet import reactor

        deferred: Deferred[CheckResult] = Deferred()
        self._pending.append((pair, deferred))
        if len(self._pending) >= self.size:
            self.flush()
        elif self._timer is None:
            self._timer = reactor.callLater(self.wait, self.flush)  # type: ignore[attr-defined]
        return deferred

    def flush(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        if self._busy or not self._pending:
            return  # the running batch flushes again when it ends
        batch, self._pending = self._pending, []
        self._busy = True
        pairs = [pair for pair, _ in batch]
        running = deferToThread(self._score, pairs)

        def deliver(results: list[CheckResult | Exception]) -> None:
            for (_, waiting), result in zip(batch, results, strict=True):
                if isinstance(result, Exception):
                    waiting.errback(result)
                else:
                    waiting.callback(result)

        def fail(failure: Any) -> None:
            for _, waiting in batch:
                waiting.errback(failure)

        def done(_: object) -> None:
            self._busy = False
            if self._pending:
                self.flush()

        running.addCallbacks(deliver, fail)
        running.addBoth(done)

    def _score(self, pairs: list[tuple[Any, Any]]) -> list[CheckResult | Exception]:
        """Score a batch; when it fails, score its pairs one by one, so that only the pair
        that fails gets the error."""
        try:
            return list(self.detector.check_many(pairs))
        except Exception:
            if len(pairs) == 1:
                raise
        results: list[CheckResult | Exception] = []
        for pair in pairs:
            try:
                results.append(self.detector.check(*pair))
            except Exception as exc:
                results.append(exc)
        return results


class HeadcheckPipeline:
    """Checks each item's headline against its body; tags or drops mismatches."""

    def __init__(self, config: PipelineSettings, stats: StatsCollector | None = None) -> None:
        self.config = config
        self.stats = stats
        self.detector: Detector | None = None
        self._batcher: _Batcher | None = None
        self._untaggable_logged = False
        self._error_logged = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HeadcheckPipeline:
        settings = crawler.settings
        if not settings.getbool("HEADCHECK_ENABLED", True):
            raise NotConfigured("HEADCHECK_ENABLED is False")
        config = PipelineSettings.from_settings(settings)
        pipeline = cls(config, crawler.stats)
        try:
            # Now, so a missing or broken model stops the crawl at its start with the reason,
            # instead of failing every item, or (NotConfigured) letting the crawl run with the
            # check off: a quality gate fails closed. HEADCHECK_ENABLED = False runs without.
            pipeline.load_model()
        except (ModelError, ValueError) as exc:  # ValueError: a calibration of another backend
            raise ConfigurationError(
                f"headcheck cannot check this crawl: {exc} (fix it, or set HEADCHECK_ENABLED = "
                "False to crawl without the check)"
            ) from exc
        return pipeline

    def load_model(self) -> None:
        """Build the detector and load its model (raises ModelError when it cannot)."""
        if self.detector is not None:
            return
        resolve_model(self.config.model)  # the cheap check first, with its own message
        detector = Detector(
            model=self.config.model,
            threshold=self.config.threshold,
            batch_size=self.config.batch_size,
            device=self.config.device,
            calibration=self.config.calibration,
            backend=self.config.backend,
            # Items arrive a few at a time: each is decided on its own evidence (and the
            # cascade can run), never with a calibration's corpus decision.
            context=False,
        )
        detector.encoder  # noqa: B018 - loads the weights now, not on the first item
        if self.config.calibration is not None:
            detector.check_decision()  # a calibration that flags nothing stops here too
        self.detector = detector

    def open_spider(self, spider: Any = None) -> None:
        """Load the model (unless from_crawler did) and start batching."""
        self.load_model()
        assert self.detector is not None
        self._batcher = _Batcher(
            self.detector, size=self.config.batch_size, wait=self.config.batch_wait
        )

    def close_spider(self, spider: Any = None) -> None:
        if self._batcher is not None:
            self._batcher.flush()
        if self.stats is None:
            return
        flagged = self.stats.get_value(f"{STATS_PREFIX}/flagged", 0)
        if flagged:
            items = self.stats.get_value(f"{STATS_PREFIX}/items", 0)
            reasons = {
                key.rsplit("/", 1)[1]: value
                for key, value in self.stats.get_stats().items()
                if key.startswith(f"{STATS_PREFIX}/flagged/")
            }
            logger.warning(
                "headcheck flagged %d of %d items (%s); action: %s",
                flagged,
                items,
                ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())),
                self.config.action,
            )

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"{STATS_PREFIX}/{key}")

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        if self._batcher is None:
            self.open_spider(spider)
        assert self._batcher is not None
        self._inc("items")
        try:
            adapter = ItemAdapter(item)
            pair = (adapter.get(self.config.title_field), adapter.get(self.config.text_field))
            result = await maybe_deferred_to_future(self._batcher.submit(pair))
        except Exception as exc:
            # One bad item must not stop a crawl: count it, log it (the first in full), and
            # pass it on unchecked.
            self._inc("errors")
            first, self._error_logged = not self._error_logged, True
            logger.log(
                logging.ERROR if first else logging.DEBUG,
                "headcheck could not score an item (%s: %s); such items pass "
                "unchecked and are counted in headcheck/errors",
                type(exc).__name__,
                exc,
                exc_info=first,
            )
            return item
        if result.scored:
            self._inc("checked")
        else:
            self._inc(f"skipped/{result.reason}")
        if result.is_mismatch:
            self._inc("flagged")
            for reason in result.reasons:
                self._inc(f"flagged/{reason}")
            if self.config.action == "drop":
                self._inc("dropped")
                score = "n/a" if result.similarity is None else f"{result.similarity:.3f}"
                raise HeadlineMismatch(
                    f"headline does not match the body ({result.reason}, similarity {score}): "
                    f"{str(pair[0])[:80]!r}"
                )
        if self.config.action == "tag":
            self._tag(adapter, result)
        return item

    def _tag(self, adapter: ItemAdapter, result: CheckResult) -> None:
        try:
            adapter[self.config.result_field] = result_fields(result)
        except (KeyError, TypeError, AttributeError) as exc:
            self._inc("untaggable")
            if not self._untaggable_logged:
                self._untaggable_logged = True
                logger.warning(
                    "headcheck cannot write field %r on %s items (%s); declare the field "
                    "(scrapy.Field(), a dataclass or attrs field) or set HEADCHECK_RESULT_FIELD. "
                    "Such items pass untagged and are counted in headcheck/untaggable.",
                    self.config.result_field,
                    type(adapter.item).__name__,
                    exc,
                )
