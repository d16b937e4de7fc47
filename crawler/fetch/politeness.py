"""Politeness that Scrapy does not do on its own, on top of AutoThrottle.

Owns two rules per origin (download slot): the delay never drops below what
the origin's robots.txt asked for (Crawl-delay, Request-rate; capped at
``TDMCRAWL_CRAWL_DELAY_MAX``; learnt from ``origin_rights_loaded``), and a
``Retry-After`` on a 429 or 503 holds the origin's next request back that long
(capped at ``TDMCRAWL_RETRY_AFTER_MAX``). An extension: connect it after
AutoThrottle so its adjustments win.
"""

from __future__ import annotations

import email.utils
import logging
import time
from typing import Any

from scrapy import signals

from crawler.context import CrawlContext
from crawler.rights.robots import RobotsTxt
from crawler.signals import origin_rights_loaded

logger = logging.getLogger(__name__)


def robots_delay(robots: RobotsTxt, token: str) -> float:
    """The minimum delay between requests robots.txt asks of ``token``: its
    Crawl-delay or its Request-rate, whichever is longer (0 when neither)."""
    delay = robots.crawl_delay(token) or 0.0
    rate = robots.request_rate(token)
    if rate:
        requests, seconds = rate
        delay = max(delay, seconds / max(1, requests))
    return delay


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


def retry_after_wait(response: Any, cap: float) -> float | None:
    """Seconds a 429 or 503 response asks to wait before the origin's next
    request (its Retry-After, at most ``cap``); None when it asks nothing."""
    if response.status not in (429, 503):
        return None
    header = response.headers.get("Retry-After")
    wait = parse_retry_after(header.decode("latin-1") if header else None)
    if wait is None or wait <= 0:
        return None
    return min(wait, cap)


class Politeness:
    def __init__(self, crawler: Any, *, token: str, crawl_delay_max: float, retry_after_max: float):
        self.crawler = crawler
        self.token = token
        self.crawl_delay_max = crawl_delay_max
        self.retry_after_max = retry_after_max
        self.min_delays: dict[str, float] = {}
        crawler.signals.connect(self._response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(self._origin_rights_loaded, signal=origin_rights_loaded)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "Politeness":
        settings = crawler.settings
        return cls(
            crawler,
            token=CrawlContext.for_crawler(crawler).token,
            crawl_delay_max=settings.getfloat("TDMCRAWL_CRAWL_DELAY_MAX"),
            retry_after_max=settings.getfloat("TDMCRAWL_RETRY_AFTER_MAX"),
        )

    def _origin_rights_loaded(self, origin: str, rights: Any) -> None:
        """The origin's robots.txt delay becomes its slot's minimum delay."""
        delay = robots_delay(rights.robots, self.token)
        if delay <= 0:
            return
        if delay > self.crawl_delay_max:
            logger.info("%s asks for a %.1fs delay; capped at %.1fs", origin, delay, self.crawl_delay_max)
            self.crawler.stats.inc_value("tdmcrawl/politeness/crawl_delay_capped")
            delay = self.crawl_delay_max
        self.min_delays[origin] = delay
        downloader = self.crawler.engine.downloader
        settings = downloader.per_slot_settings.setdefault(origin, {})
        settings["delay"] = max(float(settings.get("delay", 0.0)), delay, downloader._delay)
        settings["jitter"] = 0.0  # Crawl-delay is a minimum: no random shortening below it
        slot = downloader.slots.get(origin)
        if slot is not None:
            slot.delay = max(slot.delay, delay)
            slot.jitter = 0.0

    def _response_downloaded(self, response: Any, request: Any, spider: Any = None) -> None:
        key = request.meta.get("download_slot")
        engine = self.crawler.engine
        if key is None or engine is None:
            return
        slot = engine.downloader.slots.get(key)
        if slot is None:
            return
        minimum = self.min_delays.get(key, 0.0)
        if slot.delay < minimum:
            slot.delay = minimum
        wait = retry_after_wait(response, self.retry_after_max)
        if wait is not None:
            # The downloader waits (delay - now + lastseen) before the slot's next
            # request, but only when the slot has a delay at all.
            slot.delay = max(slot.delay, 0.001)
            slot.lastseen = max(slot.lastseen, time.monotonic() + wait - slot.delay)
            self.crawler.stats.inc_value("tdmcrawl/politeness/retry_after")
            logger.info("%s asked to wait %.0fs (Retry-After, HTTP %d)", key, wait, response.status)
