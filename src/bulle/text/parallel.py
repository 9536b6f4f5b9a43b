"""Detection over many documents on all cores, in order, with bounded memory.

Why processes: spaCy's NER and the regular expressions hold the GIL. Each worker keeps its own
detector (model loaded once per worker); the parent sends batches of about ``BATCH_CHARS``
characters and keeps at most two batches per worker in flight, so a corpus of any size streams
through. Small inputs stay in the calling process: starting workers costs more than it saves.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

from bulle.text.config import DetectorConfig
from bulle.text.entities import Entity

BATCH_CHARS = 20_000
SMALL_INPUT = 150_000  # characters below which workers are not worth starting

Packed = list[tuple[int, int, str, float, str]]


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _work(config: DetectorConfig, texts: list[str]) -> list[Packed]:
    from bulle.text.analyzer import get_detector

    det = get_detector(config)
    return [
        [(e.start, e.end, e.label, e.score, e.source) for e in ents] for ents in det.detect(texts)
    ]


def _batches(texts: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    size = 0
    for t in texts:
        batch.append(t)
        size += len(t)
        if size >= BATCH_CHARS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def detect_stream(
    texts: Iterable[str],
    config: DetectorConfig | None = None,
    n_process: int | None = None,
    on_done: Callable[[int], None] | None = None,
) -> Iterator[list[Entity]]:
    """Entities of each text, in input order. ``on_done(chars)`` reports progress."""
    config = config or DetectorConfig()
    n = available_cores() if n_process is None else max(1, n_process)
    it = iter(texts)
    head: list[str] = []
    size = 0
    if n > 1:  # look ahead: is the input worth the workers?
        for t in it:
            head.append(t)
            size += len(t)
            if size >= SMALL_INPUT:
                break
    if n <= 1 or size < SMALL_INPUT:
        from bulle.text.analyzer import get_detector

        det = get_detector(config)
        for batch in _batches(_chain(head, it)):
            for text, ents in zip(batch, det.detect(batch), strict=True):
                if on_done:
                    on_done(len(text))
                yield ents
        return
    pool = worker_pool(config, n)
    pending: deque = deque()
    try:
        for batch in _batches(_chain(head, it)):
            pending.append((batch, pool.submit(_work, config, batch)))
            while len(pending) >= 2 * n:
                yield from _drain(pending.popleft(), on_done)
        while pending:
            yield from _drain(pending.popleft(), on_done)
    finally:
        for _, fut in pending:
            fut.cancel()


_pools: dict[tuple[DetectorConfig, int], ProcessPoolExecutor] = {}


def worker_pool(config: DetectorConfig, n: int) -> ProcessPoolExecutor:
    """Worker processes kept for the life of this process: each loads the model once, and later
    calls (a workspace de-identifying several columns) reuse them."""
    pool = _pools.get((config, n))
    if pool is None:
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        pool = ProcessPoolExecutor(
            max_workers=n, mp_context=ctx, initializer=_warm, initargs=(config,)
        )
        _pools[(config, n)] = pool
        if len(_pools) == 1:
            atexit.register(_shutdown)
    return pool


def warm_up(config: DetectorConfig | None = None, n_process: int | None = None) -> None:
    """Start the workers and load their models now (benchmarks time the steady state)."""
    config = config or DetectorConfig()
    n = available_cores() if n_process is None else max(1, n_process)
    if n > 1:
        pool = worker_pool(config, n)
        for f in [pool.submit(_work, config, ["M. Dupont."]) for _ in range(2 * n)]:
            f.result()


def _warm(config: DetectorConfig) -> None:
    from bulle.text.analyzer import get_detector

    get_detector(config)


def _shutdown() -> None:
    for pool in _pools.values():
        pool.shutdown(wait=False, cancel_futures=True)
    _pools.clear()


def _drain(item, on_done) -> Iterator[list[Entity]]:
    batch, fut = item
    for text, packed in zip(batch, fut.result(), strict=True):
        if on_done:
            on_done(len(text))
        yield [Entity(*p) for p in packed]


def _chain(head: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from head
    yield from rest
