"""Reactor-lag probe: a Scrapy extension that asks the event loop to run a
callback every 10 ms and records how late each call runs. A late call means
the reactor was busy (CPU work on the main thread) and every download waited.

Enabled by the benchmark through ``EXTENSIONS``; writes p50/p95/max lag (ms)
into the crawl stats as ``bench/reactor_lag_*``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from scrapy import signals

INTERVAL = 0.010


class ReactorLagProbe:
    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.lags: list[float] = []
        self._handle: asyncio.TimerHandle | None = None
        self._running = False
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ReactorLagProbe":
        return cls(crawler)

    def _tick(self, expected: float) -> None:
        now = time.monotonic()
        lag = max(0.0, now - expected)
        if not self.lags or lag > max(self.lags):
            self.worst_at = now - self.started
        self.lags.append(lag)
        if self._running:
            loop = asyncio.get_event_loop()
            self._handle = loop.call_later(INTERVAL, self._tick, now + INTERVAL)

    def opened(self, spider: Any = None) -> None:
        self.started = time.monotonic()
        self.worst_at = 0.0
        self._running = True
        loop = asyncio.get_event_loop()
        self._handle = loop.call_later(INTERVAL, self._tick, time.monotonic() + INTERVAL)

    def closed(self, spider: Any = None) -> None:
        self._running = False
        if self._handle is not None:
            self._handle.cancel()
        lags = sorted(self.lags)
        if not lags:
            return
        stats = self.crawler.stats
        stats.set_value("bench/reactor_lag_p50_ms", round(1000 * lags[len(lags) // 2], 1))
        stats.set_value("bench/reactor_lag_p95_ms", round(1000 * lags[int(len(lags) * 0.95)], 1))
        stats.set_value("bench/reactor_lag_max_ms", round(1000 * lags[-1], 1))
        stats.set_value("bench/reactor_lag_samples", len(lags))
        stats.set_value("bench/reactor_lag_worst_at_s", round(self.worst_at, 2))  # seconds after the spider opened
