"""A politeness-aware frontier: the scheduler hands the downloader only requests
for origins that may be fetched now.

Scrapy's priority queues pop requests whatever the state of their download slot;
a request for an origin still inside its delay then sits in the downloader,
holding one place of the ``CONCURRENT_REQUESTS`` window while origins that are
ready wait behind it. Here, as in Heritrix, Nutch and StormCrawler, each origin
has its own queue and the frontier serves origins in the order they become
ready: an origin is ready when fewer of its requests are in flight (anywhere in
the downloader, middlewares included) than its concurrency allows, and its
delay since the last download started (``DOWNLOAD_DELAY``, AutoThrottle,
robots.txt Crawl-delay, Retry-After: whatever the slot holds) has run out.
When no origin is ready it asks the engine to look again at the moment the
first one will be.

The per-origin queues and their files under ``JOBDIR`` are those of Scrapy's
``DownloaderAwarePriorityQueue`` (this class extends it), so a job directory
resumes as before; the key of a queue is the request's origin
(scheme + host + port), the key our download slots use.
"""

from __future__ import annotations

import heapq
import itertools
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

from scrapy.pqueues import DownloaderAwarePriorityQueue, _path_safe
from scrapy.utils.asyncio import call_later

from crawler.urls import origin_of

STAT_PREFIX = "tdmcrawl/frontier"


class PolitenessAwarePriorityQueue(DownloaderAwarePriorityQueue):
    """Serve per-origin queues in the order their origins become ready."""

    def __init__(self, crawler: Any, downstream_queue_cls: Any, key: str, slot_startprios: Any = None, *, start_queue_cls: Any = None):
        super().__init__(crawler, downstream_queue_cls, key, slot_startprios, start_queue_cls=start_queue_cls)
        self._downloader = crawler.engine.downloader
        self._stats = crawler.stats
        self._default_concurrency = self._downloader.ip_concurrency or self._downloader.domain_concurrency
        self._order = itertools.count()
        self._ready_heap: list[tuple[float, int, str]] = []  # (monotonic time it may be ready, tie-break, slot)
        self._in_heap: set[str] = set()
        self._in_flight: dict[str, list[Any]] = {}  # slot -> requests popped and still in the downloader
        self._wakeup = EngineWakeup(crawler.engine)
        for slot in self.pqueues:
            self._enter(slot)

    # ------------------------------------------------------------------ slots
    def _slot_key(self, request: Any) -> str:
        return request.meta.get("download_slot") or str(origin_of(request.url))

    def _concurrency(self, slot: str) -> int:
        downloader_slot = self._downloader.slots.get(slot)
        return downloader_slot.concurrency if downloader_slot is not None else self._default_concurrency

    def _ready_at(self, slot: str) -> float:
        """When the slot's delay since its last download start runs out (monotonic)."""
        downloader_slot = self._downloader.slots.get(slot)
        if downloader_slot is None or not downloader_slot.delay:
            return 0.0
        return downloader_slot.lastseen + downloader_slot.delay

    def _still_in_flight(self, slot: str) -> int:
        requests = self._in_flight.get(slot)
        if not requests:
            return 0
        active = self._downloader.active
        requests[:] = [request for request in requests if request in active]
        if not requests:
            del self._in_flight[slot]
            return 0
        return len(requests)

    def _enter(self, slot: str) -> None:
        """Put a slot with queued requests on the heap unless it is there or busy."""
        if slot in self._in_heap or slot not in self.pqueues:
            return
        if self._still_in_flight(slot) >= self._concurrency(slot):
            return  # looked at again by _recheck_busy once a request leaves the downloader
        heapq.heappush(self._ready_heap, (self._ready_at(slot), next(self._order), slot))
        self._in_heap.add(slot)

    def _recheck_busy(self) -> None:
        for slot in list(self._in_flight):
            if slot not in self._in_heap and slot in self.pqueues:
                self._enter(slot)
            else:
                self._still_in_flight(slot)

    # ------------------------------------------------------------------ queue interface
    def push(self, request: Any) -> None:
        slot = self._slot_key(request)
        if slot not in self.pqueues:
            self.pqueues[slot] = self.pqfactory(slot)
        self.pqueues[slot].push(request)
        self._enter(slot)
        if self._in_heap and self._ready_heap and self._ready_heap[0][0] <= time.monotonic():
            self._wake(0.0)

    def pop(self) -> Any:
        self._recheck_busy()
        now = time.monotonic()
        while self._ready_heap:
            ready_at, _, slot = self._ready_heap[0]
            if ready_at > now:
                self._wake(ready_at - now)
                return None
            heapq.heappop(self._ready_heap)
            self._in_heap.discard(slot)
            if slot not in self.pqueues:
                continue
            current = self._ready_at(slot)  # a Retry-After or a new Crawl-delay may have moved it
            if current > now:
                heapq.heappush(self._ready_heap, (current, next(self._order), slot))
                self._in_heap.add(slot)
                continue
            if self._still_in_flight(slot) >= self._concurrency(slot):
                continue
            return self._take(slot)
        return None

    def _take(self, slot: str) -> Any:
        queue = self.pqueues[slot]
        request = queue.pop()
        if len(queue) == 0:
            del self.pqueues[slot]
            queue.close()
            if self.key:
                with suppress(OSError):
                    Path(self.key, _path_safe(slot)).rmdir()
        if request is not None:
            self._in_flight.setdefault(slot, []).append(request)
            self._stats.inc_value(f"{STAT_PREFIX}/released")
        self._enter(slot)  # more of its requests may go at once (concurrency > 1, no delay)
        return request

    def peek(self) -> Any:
        now = time.monotonic()
        for ready_at, _, slot in sorted(self._ready_heap):
            if ready_at <= now and slot in self.pqueues:
                return self.pqueues[slot].peek()
        return None

    def close(self) -> dict[str, list[int]]:
        self._wakeup.cancel()
        return super().close()

    # ------------------------------------------------------------------ waking the engine
    def _wake(self, after: float) -> None:
        self._wakeup.at(after)


class EngineWakeup:
    """Asks the engine to pull from the scheduler again after a given time.

    The engine asks the scheduler for requests after each download and on a
    5 s heartbeat; an origin whose delay runs out in between would wait for one
    of those without this call. Only the earliest wake-up asked for is kept.
    """

    def __init__(self, engine: Any):
        self._engine = engine
        self._call: Any = None
        self._at = float("inf")

    def at(self, after: float) -> None:
        when = time.monotonic() + after
        if self._call is not None:
            if self._at <= when + 0.001:
                return
            self._call.cancel()
        self._at = when
        self._call = call_later(max(after, 0.0), self._pull)

    def cancel(self) -> None:
        if self._call is not None:
            self._call.cancel()
        self._call = None
        self._at = float("inf")

    def _pull(self) -> None:
        self._call = None
        self._at = float("inf")
        pull_now(self._engine)


def pull_now(engine: Any) -> None:
    """Have the engine ask the scheduler for requests at its next turn."""
    slot = getattr(engine, "_slot", None)  # Scrapy keeps the engine's pull loop here
    if slot is not None and slot.nextcall is not None:
        slot.nextcall.schedule()
