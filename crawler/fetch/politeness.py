"""Politeness that Scrapy does not do on its own, on top of AutoThrottle.

Owns two rules per origin (download slot): the delay never drops below what
the origin's robots.txt asked for (Crawl-delay, Request-rate; capped by the
rights middleware), and a ``Retry-After`` on a 429 or 503 holds the origin's
next request back that long (capped). An extension: connect it after
AutoThrottle so its adjustments win.
"""

from __future__ import annotations

import email.utils
import logging
import time
from typing import Any

from scrapy import signals

logger = logging.getLogger(__name__)

RETRY_AFTER_MAX = 600.0


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (now or time.time()))


class Politeness:
    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.retry_after_max = crawler.settings.getfloat("TDMCRAWL_RETRY_AFTER_MAX", RETRY_AFTER_MAX)
        crawler.signals.connect(self._response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "Politeness":
        return cls(crawler)

    def _response_downloaded(self, response: Any, request: Any, spider: Any = None) -> None:
        key = request.meta.get("download_slot")
        engine = self.crawler.engine
        if key is None or engine is None:
            return
        slot = engine.downloader.slots.get(key)
        if slot is None:
            return
        rights = getattr(self.crawler, "tdmcrawl_rights", None)
        minimum = rights.min_delays.get(key, 0.0) if rights is not None else 0.0
        if slot.delay < minimum:
            slot.delay = minimum
        if response.status in (429, 503):
            header = response.headers.get("Retry-After")
            wait = parse_retry_after(header.decode("latin-1") if header else None)
            if wait is not None and wait > 0:
                wait = min(wait, self.retry_after_max)
                # The downloader waits (delay - now + lastseen) before the slot's next
                # request, but only when the slot has a delay at all.
                slot.delay = max(slot.delay, 0.001)
                slot.lastseen = max(slot.lastseen, time.monotonic() + wait - slot.delay)
                self.crawler.stats.inc_value("tdmcrawl/politeness/retry_after")
                logger.info("%s asked to wait %.0fs (Retry-After, HTTP %d)", key, wait, response.status)
