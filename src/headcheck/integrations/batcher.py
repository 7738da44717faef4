"""Items that arrive one at a time (a Scrapy pipeline), checked in batches on a thread: a
batch goes when it is full or when its first item has waited long enough."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

from headcheck.detector import Detector
from headcheck.result import CheckResult

if TYPE_CHECKING:
    pass
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread


class _Clock(Protocol):
    """What the pipeline asks of Twisted's reactor: a call later."""

    def callLater(self, delay: float, call: Callable[[], Any], /) -> Any: ...


class Batcher:
    """Gathers pairs from items processed concurrently and scores them together in a thread,
    one batch at a time, so the reactor never waits on the model. Each batch is read as a
    corpus together with the last ``window`` pairs scored before it."""

    def __init__(self, detector: Detector, *, size: int, wait: float, window: int = 0) -> None:
        self.detector, self.size, self.wait = detector, size, wait
        self.window: deque[tuple[Any, Any]] = deque(maxlen=window)
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
            # The reactor is a module attribute installed at run time, untyped until then.
            self._timer = cast(_Clock, reactor).callLater(self.wait, self.flush)
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
            if self.window.maxlen:
                results: list[CheckResult | Exception] = list(
                    self.detector.check_in_context(pairs, self.window)
                )
                self.window.extend(pairs)
                return results
            return list(self.detector.check_many(pairs))
        except Exception:
            if len(pairs) == 1:
                raise
        results = []
        for pair in pairs:
            try:
                results.append(self.detector.check(*pair))
            except Exception as exc:
                results.append(exc)
        return results
