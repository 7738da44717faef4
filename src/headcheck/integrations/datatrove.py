"""datatrove filter: drop or annotate documents whose headline does not match their text.

The document's text is the body; the headline is read from ``doc.metadata[title_field]``
(datatrove's readers put every non-text field of a record there).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any, Literal, get_args

try:
    from datatrove.data import Document
    from datatrove.pipeline.filters.base_filter import BaseFilter
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "headcheck.datatrove needs datatrove: pip install 'headcheck[datatrove]'"
    ) from exc

from headcheck.detector import Detector
from headcheck.errors import ConfigurationError
from headcheck.io.fields import FIELD_CHECK_RECORDS, missing_fields
from headcheck.options import Options
from headcheck.result import result_fields

FilterAction = Literal["drop", "annotate"]
FILTER_ACTIONS: tuple[str, ...] = get_args(FilterAction)
#: Documents decided together, as one corpus.
DEFAULT_WINDOW = 1_000


class HeadlineFilter(BaseFilter):
    """Scores each document's headline against its text, in batches.

    ``action="drop"`` removes flagged documents, with the reason code as datatrove's drop
    reason (stats ``dropped_<first reason>``; an ``exclusion_writer`` keeps them);
    ``"annotate"`` keeps every document. Either way each reason counts in
    ``flagged_<reason>`` and the result fields are added to ``doc.metadata``. The model loads
    lazily, once per worker.

    The options are headcheck's (:class:`~headcheck.options.Options`), as keywords or
    ``options=``: ``title_field`` is the metadata key of the headline, and the body is
    ``doc.text`` (or ``doc.metadata[text_field]`` when ``text_field`` is not ``"text"``).
    Documents are decided ``window`` at a time (1,000), each window read as one corpus
    (the context decision, once it holds a hundred distinct bodies); ``window=0`` or
    ``context=False`` decides each document on its own.

    When none of the first :data:`~headcheck.io.fields.FIELD_CHECK_RECORDS` documents of a task has
    the headline field, the task stops with the keys they have (a wrong name would otherwise
    drop every document as ``missing_title``).
    """

    name = "🗞️ Headline match"

    def __init__(
        self,
        *,
        action: FilterAction = "drop",
        window: int = DEFAULT_WINDOW,
        exclusion_writer: Any = None,
        options: Options | None = None,
        **given: Any,
    ) -> None:
        if action not in FILTER_ACTIONS:
            raise ConfigurationError(
                f"HeadlineFilter: action must be one of {', '.join(FILTER_ACTIONS)}, got {action!r}"
            )
        self.options = Options.build("HeadlineFilter", options, **given)
        # Here, in the process that builds the pipeline, not on the first document of each
        # worker: a model that cannot be found or a calibration that cannot be used stops the
        # pipeline before it runs (fails closed).
        self.options.check("HeadlineFilter")
        if isinstance(window, bool) or not isinstance(window, int) or not 0 <= window <= 20_000:
            raise ConfigurationError(
                f"HeadlineFilter: window must be a whole number of documents from 0 to 20,000, "
                f"got {window!r}"
            )
        self.window = window
        # A window of documents is handed to the detector at once, and read as one corpus.
        batch = max(window, self.options.batch_size) if self.options.context else 0
        super().__init__(
            exclusion_writer=exclusion_writer, batch_size=batch or self.options.batch_size
        )
        self.action = action
        self._detector: Any = None

    def __getstate__(self) -> dict[str, Any]:
        # Workers get the settings, never a loaded model: each loads its own on first use.
        state = self.__dict__.copy()
        state["_detector"] = None
        return state

    def _get_detector(self) -> Any:
        if self._detector is None:
            self._detector = Detector.from_options(self.options)
        return self._detector

    def _pair(self, doc: Document) -> tuple[Any, Any]:
        body = (
            doc.text
            if self.options.text_field == "text"
            else doc.metadata.get(self.options.text_field)
        )
        return doc.metadata.get(self.options.title_field), body

    def run(self, data: Any, rank: int = 0, world_size: int = 1) -> Any:
        return super().run(self._checked(data), rank, world_size)

    def _checked(self, data: Any) -> Iterator[Document]:
        """The documents, unchanged, once the first of them are found to have the fields."""
        head = list(islice(data, FIELD_CHECK_RECORDS))
        fields = {"title_field": self.options.title_field}
        if self.options.text_field != "text":
            fields["text_field"] = self.options.text_field
        problem = missing_fields(
            [doc.metadata for doc in head], fields, ("document's metadata", "documents' metadata")
        )
        if problem is not None:
            raise ConfigurationError(f"HeadlineFilter: {problem}")
        yield from head
        yield from data

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        pairs = [self._pair(doc) for doc in batch]
        decisions: list[bool | tuple[bool, str]] = []
        for doc, result in zip(batch, self._get_detector().check_many(pairs), strict=True):
            doc.metadata.update(result_fields(result))
            if not result.is_mismatch:
                decisions.append(True)
                continue
            for reason in result.reasons:
                self.stat_update(f"flagged_{reason}")
            decisions.append((False, str(result.reason)) if self.action == "drop" else True)
        return decisions
