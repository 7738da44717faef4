"""Scrapy item pipeline: check each scraped item's headline against its body.

Enable it in the project's settings::

    ITEM_PIPELINES = {"headcheck.scrapy.HeadcheckPipeline": 300}
    HEADCHECK_ACTION = "tag"          # or "drop"

Settings (all optional): headcheck's options (:mod:`headcheck.options`), each as
``HEADCHECK_`` and its name in capitals, with the same defaults as everywhere:
``HEADCHECK_TITLE_FIELD`` ("title"), ``HEADCHECK_TEXT_FIELD`` ("text"), ``HEADCHECK_MODEL``,
``HEADCHECK_BACKEND``, ``HEADCHECK_CALIBRATION`` (a file from ``headcheck calibrate``),
``HEADCHECK_THRESHOLD``, ``HEADCHECK_BATCH_SIZE`` (64), ``HEADCHECK_DEVICE``,
``HEADCHECK_ALLOW_DOWNLOAD``, ``HEADCHECK_CASCADE`` (True) and ``HEADCHECK_CONTEXT`` (True:
the corpus decision, over the window below). The pipeline's own: ``HEADCHECK_ENABLED``
(True), ``HEADCHECK_ACTION`` (``tag`` writes the result onto the item, ``drop`` drops flagged
items with :class:`HeadlineMismatch`), ``HEADCHECK_RESULT_FIELD`` ("headcheck"),
``HEADCHECK_BATCH_WAIT`` (seconds an item waits for others to fill a batch, 0.05) and
``HEADCHECK_WINDOW`` (1,000: each batch is read as a corpus together with the last this many
items scored, so items that arrive a few at a time still get the corpus evidence once a
hundred distinct bodies have been seen; 0 decides each item on its own; at most 20,000).

A wrong field name fails closed too: an item class that does not declare the headline field
stops the crawl at the first item; for dict items, when none of the first
:data:`~headcheck.io.fields.FIELD_CHECK_RECORDS` items (or of a shorter crawl) has it, the crawl is
closed (finish reason ``headcheck_missing_field``) with an error naming the fields the items
have, closest first, and later items are dropped rather than passed on unchecked.

Failures fail closed: an invalid ``HEADCHECK_*`` setting, a model that cannot be found or
loaded, or a calibration that cannot be used (unreadable, fitted on another backend, refused
by the clear-pair check) raises :class:`~headcheck.errors.ConfigurationError` with the reason
when the crawler starts, so the crawl does not run (``scrapy crawl`` exits 1); it never runs
unchecked. ``HEADCHECK_ENABLED = False`` is the way to crawl without the check. An item
that cannot be scored (its batch is retried pair by pair, so only that item fails) is passed
on unchecked, counted in the ``headcheck/errors`` stat and logged (the first with its
traceback); the crawl goes on."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

try:
    from itemadapter import ItemAdapter
    from scrapy.exceptions import DropItem, NotConfigured
    from scrapy.utils.defer import maybe_deferred_to_future
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("headcheck.scrapy needs Scrapy: pip install 'headcheck[scrapy]'") from exc

from headcheck.detector import Detector
from headcheck.embed.resolve import ModelError, resolve_model
from headcheck.errors import ConfigurationError
from headcheck.integrations.batcher import Batcher
from headcheck.integrations.scrapy_settings import STATS_PREFIX, PipelineSettings
from headcheck.io.fields import FIELD_CHECK_RECORDS, closest_first, missing_fields
from headcheck.result import CheckResult, result_fields

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class HeadlineMismatch(DropItem):
    """Raised for a flagged item when ``HEADCHECK_ACTION = "drop"``; Scrapy counts it in
    ``item_dropped_reasons_count/HeadlineMismatch``."""


class HeadcheckPipeline:
    """Checks each item's headline against its body; tags or drops mismatches."""

    def __init__(
        self,
        config: PipelineSettings,
        stats: StatsCollector | None = None,
        crawler: Crawler | None = None,
    ) -> None:
        self.config = config
        self.stats = stats
        self.crawler = crawler
        self.detector: Detector | None = None
        self._batcher: Batcher | None = None
        self._untaggable_logged = False
        self._error_logged = False
        #: The field check: whether an item had the headline field yet, the items without it
        #: so far and the fields they had; the error once the check failed.
        self._field_found = False
        self._without_field: list[list[str]] = []
        self._field_error: str | None = None
        self._item_class = ""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HeadcheckPipeline:
        settings = crawler.settings
        if not settings.getbool("HEADCHECK_ENABLED", True):
            raise NotConfigured("HEADCHECK_ENABLED is False")
        config = PipelineSettings.from_settings(settings)
        pipeline = cls(config, crawler.stats, crawler)
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
        options = self.config.options
        resolve_model(options.model)  # the cheap check first, with its own message
        detector = Detector(**options.detector_options())
        detector.encoder  # noqa: B018 - loads the weights now, not on the first item
        if options.calibration is not None:
            detector.check_decision()  # a calibration that flags nothing stops here too
        self.detector = detector

    def open_spider(self, spider: Any = None) -> None:
        """Load the model (unless from_crawler did) and start batching."""
        self.load_model()
        assert self.detector is not None
        self._batcher = Batcher(
            self.detector,
            size=self.config.options.batch_size,
            wait=self.config.batch_wait,
            window=self.config.window,
        )

    def close_spider(self, spider: Any = None) -> None:
        if self._batcher is not None:
            self._batcher.flush()
        if not self._field_found and self._without_field and self._field_error is None:
            self._fail_fields(spider, close=False)  # a crawl shorter than the check's window
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
        adapter = ItemAdapter(item)
        self._check_fields(adapter, spider)
        if self._field_error is not None:
            self._inc("dropped_field_error")
            raise DropItem(f"headcheck: {self._field_error}")
        options = self.config.options
        try:
            pair = (adapter.get(options.title_field), adapter.get(options.text_field))
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

    def _check_fields(self, adapter: ItemAdapter, spider: Any) -> None:
        """Fail closed on a wrong field name (see the module's docstring)."""
        if self._field_found or self._field_error is not None:
            return
        name = self.config.options.title_field
        names = [str(n) for n in adapter.field_names()]
        if name in names:
            self._field_found = True
            return
        self._without_field.append(names)
        declared = not isinstance(adapter.item, dict)  # an Item, dataclass or attrs class
        self._item_class = type(adapter.item).__name__
        if declared or len(self._without_field) >= FIELD_CHECK_RECORDS:
            self._fail_fields(spider, declared=declared)

    def _fail_fields(self, spider: Any, *, declared: bool = False, close: bool = True) -> None:
        name = self.config.options.title_field
        if declared:
            have = closest_first(name, self._without_field[-1])
            self._field_error = (
                f"the item class {self._item_class} has no field {name!r} "
                f"(HEADCHECK_TITLE_FIELD); it declares "
                f"{', '.join(map(repr, have)) or 'no fields'}"
            )
        else:
            self._field_error = missing_fields(
                [dict.fromkeys(n) for n in self._without_field],
                {"HEADCHECK_TITLE_FIELD": name},
                ("item", "items"),
            )
        logger.error("headcheck stops this crawl: %s", self._field_error)
        if self.stats is not None:
            self.stats.set_value(f"{STATS_PREFIX}/field_error", self._field_error)
        if close and self.crawler is not None and self.crawler.engine is not None:
            self.crawler.engine.close_spider(spider, "headcheck_missing_field")

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
