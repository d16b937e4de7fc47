"""Worker processes: the CPU work of a crawl (parsing, extraction, WARC
serialisation and compression), off the reactor, on every core.

Owns the process pool (pebble, which can kill one hung worker), batching of
jobs into one round trip, the per-document time limit (a soft limit inside the
worker, a hard kill of the process as a backstop), backpressure (a bound on
jobs in flight) and a clean shutdown that waits for finished work. The pool is
shared by every component of one crawler through :meth:`WorkerPool.for_crawler`.
Jobs are module-level functions taking one picklable argument.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import signal
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

logger = logging.getLogger(__name__)

DEFAULT_SOFT_TIMEOUT = 30.0
DEFAULT_BATCH_SIZE = 8
DEFAULT_BATCH_DELAY = 0.004
WORKER_START_TIMEOUT = 300  # seconds for the fork server to import and the first worker to answer
TASKS_PER_WORKER = 2000  # a worker is replaced after this many batches (bounds leaks in parsers)


class ExtractionTimeout(TimeoutError):
    """A job ran past the per-document time limit (a ``TimeoutError``, so code
    that must not depend on this module, such as the rights core, can let it through)."""


class WorkerCrashed(Exception):
    """The worker process died while running a job."""


def _on_alarm(signum: int, frame: object) -> None:
    raise ExtractionTimeout("per-document time limit reached")


WORKER_NICENESS = 5  # workers do batch work; the reactor's process answers first when cores are short


_IN_WORKER = False  # True in a worker process of the pool (never in the crawl process)
_deadline: float | None = None  # monotonic time the current job_limits block must end by


def check_deadline() -> None:
    """Raise ``ExtractionTimeout`` once the current job's own time limit has
    passed: called between pages, so a parser that swallows the alarm (pypdf
    catches ``Exception`` around its steps) still stops at the next page."""
    if _deadline is not None and time.monotonic() > _deadline:
        raise ExtractionTimeout("per-document time limit reached")


def _address_space() -> int:
    """Bytes of address space this process uses now (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


@contextlib.contextmanager
def job_limits(seconds: float | None = None, memory_bytes: int | None = None) -> Iterator[None]:
    """Inside a worker process: this job's own time limit (replacing the
    per-document one; ``ExtractionTimeout`` when it runs out) and a cap on
    the address space it may add (``MemoryError`` past it), both lifted
    afterwards. In the crawl process itself (``workers=0``) nothing is limited:
    a cap there would hit the reactor."""
    if not _IN_WORKER:
        yield
        return
    import resource

    previous = resource.getrlimit(resource.RLIMIT_AS)
    global _deadline
    timed = bool(seconds and seconds > 0)
    if timed:
        _deadline = time.monotonic() + float(seconds or 0)
        # Repeating: a parser that catches Exception around its own steps (pypdf
        # does) may swallow one ExtractionTimeout, not every one after it.
        signal.setitimer(signal.ITIMER_REAL, seconds, min(0.5, seconds))
    capped = False
    used = _address_space()
    if memory_bytes and memory_bytes > 0 and used:
        limit = used + memory_bytes
        if previous[1] == resource.RLIM_INFINITY or limit < previous[1]:
            resource.setrlimit(resource.RLIMIT_AS, (limit, previous[1]))
            capped = True
    try:
        yield
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            _deadline = None
        if capped:
            resource.setrlimit(resource.RLIMIT_AS, previous)


def _worker_init(preload: tuple[str, ...]) -> None:
    global _IN_WORKER
    _IN_WORKER = True
    try:
        os.nice(WORKER_NICENESS)
    except OSError:
        pass
    # Ctrl-C and a group-wide SIGTERM reach workers too; the parent decides when
    # they stop (after finishing their jobs), and pebble kills them if it must.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGALRM, _on_alarm)
    import importlib

    for name in preload:
        try:
            module = importlib.import_module(name)
            warm_up = getattr(module, "warm_up", None)
            if callable(warm_up):
                warm_up()  # load models before the first job's time limit starts
        except Exception:  # a failed warm-up shows up again, clearly, on the first job
            pass


def _run_batch(fn: Callable[[Any], Any], payloads: list[Any], soft_timeout: float) -> list[tuple[str, Any]]:
    """Run ``fn`` on each payload with its own time limit; never raise."""
    results: list[tuple[str, Any]] = []
    for payload in payloads:
        try:
            if soft_timeout > 0:
                signal.setitimer(signal.ITIMER_REAL, soft_timeout)
            results.append(("ok", fn(payload)))
        except ExtractionTimeout as exc:
            results.append(("timeout", str(exc)))
        except Exception as exc:  # reported per job; the batch goes on
            results.append(("error", f"{type(exc).__name__}: {exc}"))
        finally:
            if soft_timeout > 0:
                signal.setitimer(signal.ITIMER_REAL, 0)
    return results


@dataclass
class _Pending:
    fn: Callable[[Any], Any]
    payloads: list[Any] = field(default_factory=list)
    futures: list[asyncio.Future] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None


class WorkerPool:
    """``await pool.run(fn, payload)`` runs ``fn(payload)`` in a worker process.

    ``workers=0`` runs jobs inline (no processes), for debugging and for tiny crawls."""

    _by_crawler: "weakref.WeakKeyDictionary[object, WorkerPool]" = weakref.WeakKeyDictionary()

    def __init__(
        self,
        workers: int | None = None,
        *,
        soft_timeout: float = DEFAULT_SOFT_TIMEOUT,
        batch_size: int = DEFAULT_BATCH_SIZE,
        batch_delay: float = DEFAULT_BATCH_DELAY,
        max_inflight: int | None = None,
        preload: tuple[str, ...] = (),
        longest_job: float | None = None,
    ):
        self.workers = (os.cpu_count() or 1) if workers is None else max(0, workers)
        self.soft_timeout = soft_timeout
        # A job may set a longer limit of its own (job_limits: a PDF); the hard kill waits for it.
        self.longest_job = max(soft_timeout, longest_job or 0.0)
        self.batch_size = max(1, batch_size)
        self.batch_delay = batch_delay
        self.max_inflight = max_inflight or max(16, self.workers * self.batch_size * 4)
        self.preload = preload
        self._pool: Any = None
        self._starting: asyncio.Future | None = None
        self._pending: dict[Callable[[Any], Any], _Pending] = {}
        self._semaphore: asyncio.Semaphore | None = None
        self._inflight: set[asyncio.Future] = set()
        self.stats = {"jobs": 0, "batches": 0, "timeouts": 0, "errors": 0, "crashes": 0, "busy_seconds": 0.0}
        self.closed = False

    # -- crawler integration ---------------------------------------------------
    @classmethod
    def for_crawler(cls, crawler: Any) -> "WorkerPool":
        """The one pool of this crawler, created from its settings on first use."""
        pool = cls._by_crawler.get(crawler)
        if pool is None:
            settings = crawler.settings
            workers = settings.getint("TDMCRAWL_WORKERS")
            pool = cls(
                None if workers < 0 else workers,
                soft_timeout=settings.getfloat("TDMCRAWL_EXTRACT_TIMEOUT"),
                batch_size=settings.getint("TDMCRAWL_WORKER_BATCH"),
                preload=("trafilatura", "crawler.page", "pipelines.extraction", "pipelines.formats.warc")
                + (("crawler.document",) if settings.getlist("TDMCRAWL_DOCUMENTS") else ()),
                longest_job=settings.getfloat("TDMCRAWL_DOCUMENT_TIMEOUT") if settings.getlist("TDMCRAWL_DOCUMENTS") else None,
            )
            cls._by_crawler[crawler] = pool
            from scrapy import signals

            crawler.signals.connect(pool.close_async, signal=signals.engine_stopped)
            # Start the workers while the first policy files are fetched, not when
            # the first page arrives (their imports take seconds on a busy machine).
            crawler.signals.connect(pool.warm_up, signal=signals.spider_opened)
        return pool

    def warm_up(self, spider: Any = None) -> None:
        """Start the worker processes now, off the event loop."""
        if self.workers > 0 and self._starting is None and not self.closed:
            self._starting = asyncio.ensure_future(asyncio.to_thread(self._start_workers))

    def _ensure_pool(self) -> Any:
        if self._pool is None and self.workers > 0 and not self.closed:
            import multiprocessing

            import pebble

            # Workers fork from a single-threaded fork server, never from this
            # process: forking a threaded process (the pool's own threads, the
            # writers' threads) can copy an import lock another thread holds,
            # and the child then hangs forever on its first import.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["crawler.forkserver", *self.preload])
            self._pool = pebble.ProcessPool(
                max_workers=self.workers,
                max_tasks=TASKS_PER_WORKER,
                initializer=_worker_init,
                initargs=(self.preload,),
                context=context,
            )
        return self._pool

    def _start_workers(self) -> None:
        # The first job starts the workers, and through the fork server that
        # waits for its imports (a second or so): done here, in a thread, so the
        # event loop never waits for it.
        pool = self._ensure_pool()
        if pool is not None:
            pool.schedule(len, args=((),)).result(timeout=WORKER_START_TIMEOUT)

    async def _started(self) -> None:
        if self._starting is None:
            self._starting = asyncio.ensure_future(asyncio.to_thread(self._start_workers))
        await asyncio.shield(self._starting)

    # -- running jobs ----------------------------------------------------------
    async def run(self, fn: Callable[[Any], Any], payload: Any) -> Any:
        if self.closed:
            raise RuntimeError("worker pool is closed")
        self.stats["jobs"] += 1
        if self.workers == 0:
            kind, value = _run_batch(fn, [payload], 0)[0]
            return self._unwrap(kind, value)
        await self._started()
        if self.closed:  # closed while the workers were starting
            raise RuntimeError("worker pool is closed")
        loop = asyncio.get_running_loop()
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.max_inflight)
        async with self._semaphore:  # backpressure: callers wait when workers lag
            future: asyncio.Future = loop.create_future()
            pending = self._pending.get(fn)
            if pending is None:
                pending = self._pending[fn] = _Pending(fn)
            pending.payloads.append(payload)
            pending.futures.append(future)
            if len(pending.payloads) >= self.batch_size:
                self._dispatch(fn)
            elif pending.timer is None:
                pending.timer = loop.call_later(self.batch_delay, self._dispatch, fn)
            self._inflight.add(future)
            try:
                return await future
            finally:
                self._inflight.discard(future)

    def _unwrap(self, kind: str, value: Any) -> Any:
        if kind == "ok":
            return value
        if kind == "timeout":
            self.stats["timeouts"] += 1
            raise ExtractionTimeout(value)
        if kind == "crash":
            self.stats["crashes"] += 1
            raise WorkerCrashed(value)
        self.stats["errors"] += 1
        raise RuntimeError(value)

    def _dispatch(self, fn: Callable[[Any], Any]) -> None:
        pending = self._pending.pop(fn, None)
        if pending is None or not pending.payloads:
            return
        if pending.timer is not None:
            pending.timer.cancel()
        self._submit(fn, pending.payloads, pending.futures, allow_split=True)

    def _submit(self, fn: Callable[[Any], Any], payloads: list[Any], futures: list[asyncio.Future], allow_split: bool) -> None:
        pool = self._ensure_pool()
        hard_timeout = self.longest_job * len(payloads) + 10 if self.soft_timeout > 0 else None
        started = time.monotonic()
        self.stats["batches"] += 1
        cf = pool.schedule(_run_batch, args=(fn, payloads, self.soft_timeout), timeout=hard_timeout)
        loop = asyncio.get_running_loop()

        def done(cf: concurrent.futures.Future) -> None:
            loop.call_soon_threadsafe(self._batch_done, cf, fn, payloads, futures, allow_split, started)

        cf.add_done_callback(done)

    def _batch_done(self, cf: concurrent.futures.Future, fn: Callable[[Any], Any], payloads: list[Any], futures: list[asyncio.Future], allow_split: bool, started: float) -> None:
        self.stats["busy_seconds"] += time.monotonic() - started
        try:
            results = cf.result()
        except Exception as exc:  # hard timeout or a crashed process: the batch is lost
            if allow_split and len(payloads) > 1:
                # Find the culprit: run each job of the batch alone.
                for payload, future in zip(payloads, futures):
                    self._submit(fn, [payload], [future], allow_split=False)
                return
            kind = "timeout" if isinstance(exc, TimeoutError) else "crash"
            results = [(kind, f"{type(exc).__name__}: {exc}")] * len(payloads)
        for future, (kind, value) in zip(futures, results):
            if future.done():
                continue
            try:
                future.set_result(self._unwrap(kind, value))
            except Exception as exc:
                future.set_exception(exc)

    # -- shutdown ---------------------------------------------------------------
    async def drain(self) -> None:
        for fn in list(self._pending):
            self._dispatch(fn)
        if self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    async def close_async(self) -> None:
        if self.closed:
            return
        if self._starting is not None:  # let the jobs waiting for the start queue theirs
            await asyncio.gather(self._starting, return_exceptions=True)
            await asyncio.sleep(0)
        await self.drain()
        self.close()

    def close(self) -> None:
        self.closed = True
        if self._pool is not None:
            self._pool.close()
            self._pool.join(timeout=30)
            self._pool = None
