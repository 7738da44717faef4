"""Checking on several CPU cores: worker processes, each with its own detector.

The transformer already uses every core for one large batch, but the rest of a check (text
cleaning, rules, lexical features, the cascade's cheap stage) is Python on one core. Worker
processes run all of it side by side, one thread each. Chunks go out in order and come back
in order; at most two per worker are in flight, so memory stays flat on any input size.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Generator, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from headcheck.embed.resolve import ModelError
from headcheck.result import CheckResult

_detector: Any = None
#: Why this worker could not build its detector: raised with the first chunk, in the parent,
#: as one error with its message (a failed initializer would break the pool with a
#: traceback from each worker instead).
_failed: str | None = None


def _start(options: dict[str, Any]) -> None:
    global _detector, _failed
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from headcheck.detector import Detector
    from headcheck.errors import HeadcheckError

    try:
        _detector = Detector(**options)
        _detector.encoder  # noqa: B018 - load the model now, not inside the first chunk
    except (HeadcheckError, OSError, ValueError) as exc:
        _failed = str(exc)


def _check(pairs: list[tuple[Any, Any]]) -> list[CheckResult]:
    if _failed is not None:
        raise ModelError(f"a worker process could not load the model: {_failed}")
    return list(_detector.check_many(pairs))


def check_chunks(
    chunks: Iterable[list[tuple[Any, Any]]], options: dict[str, Any], *, workers: int
) -> Generator[list[CheckResult], None, None]:
    """Results of each chunk of pairs, in order, checked by ``workers`` processes made with
    ``Detector(**options, threads=1)``."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    options = {**options, "threads": 1}
    pending: deque[Future[list[CheckResult]]] = deque()
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start,
                             initargs=(options,)) as pool:  # fmt: skip
        try:
            for chunk in chunks:
                pending.append(pool.submit(_check, chunk))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except BrokenProcessPool as exc:
            raise ModelError(
                "a worker process failed to start or died (see the messages above); "
                "try --workers 1 to see the error directly"
            ) from exc
        finally:
            for future in pending:
                future.cancel()
