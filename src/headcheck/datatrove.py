"""datatrove filter: drop or annotate documents whose headline does not match their text.

The document's text is the body; the headline is read from ``doc.metadata[title_key]``
(datatrove's readers put every non-text field of a record there).
"""

from __future__ import annotations

import os
from typing import Any, Literal, get_args

try:
    from datatrove.data import Document
    from datatrove.pipeline.filters.base_filter import BaseFilter
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "headcheck.datatrove needs datatrove: pip install 'headcheck[datatrove]'"
    ) from exc

from headcheck.decision import DEFAULT_THRESHOLD, check_threshold
from headcheck.errors import ConfigurationError, check_front_end
from headcheck.result import result_fields

FilterAction = Literal["drop", "annotate"]
FILTER_ACTIONS: tuple[str, ...] = get_args(FilterAction)


class HeadlineFilter(BaseFilter):
    """Scores each document's headline against its text, in batches.

    ``action="drop"`` removes flagged documents, with the reason code as datatrove's drop
    reason (stats ``dropped_<first reason>``; an ``exclusion_writer`` keeps them);
    ``"annotate"`` keeps every document. Either way each reason counts in
    ``flagged_<reason>`` and the result fields are added to ``doc.metadata``. The model loads
    lazily, once per worker.
    """

    name = "🗞️ Headline match"

    def __init__(
        self,
        *,
        title_key: str = "title",
        action: FilterAction = "drop",
        threshold: float = DEFAULT_THRESHOLD,
        model: str | os.PathLike[str] | None = None,
        batch_size: int = 32,
        device: str | None = None,
        calibration: str | os.PathLike[str] | None = None,
        exclusion_writer: Any = None,
    ) -> None:
        if action not in FILTER_ACTIONS:
            raise ConfigurationError(
                f"HeadlineFilter: action must be one of {', '.join(FILTER_ACTIONS)}, got {action!r}"
            )
        # Here, in the process that builds the pipeline, not on the first document of each
        # worker: a model that cannot be found or a calibration that cannot be used stops the
        # pipeline before it runs (fails closed).
        check_front_end("HeadlineFilter", model=model, calibration=calibration)
        super().__init__(exclusion_writer=exclusion_writer, batch_size=batch_size)
        self.title_key = title_key
        self.action = action
        self.threshold = check_threshold(threshold)
        self.model = model
        self.device = device
        self.calibration = None if calibration is None else str(calibration)
        self._detector: Any = None

    def __getstate__(self) -> dict[str, Any]:
        # Workers get the settings, never a loaded model: each loads its own on first use.
        state = self.__dict__.copy()
        state["_detector"] = None
        return state

    def _get_detector(self) -> Any:
        if self._detector is None:
            from headcheck.detector import Detector

            self._detector = Detector(
                model=self.model,
                threshold=self.threshold,
                batch_size=self.batch_size,
                device=self.device,
                calibration=self.calibration,
                # Batches of a few dozen documents are no corpus: decide each on its own.
                context=False,
            )
        return self._detector

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        pairs = [(doc.metadata.get(self.title_key), doc.text) for doc in batch]
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
