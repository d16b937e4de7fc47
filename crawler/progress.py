"""Progress while a crawl runs: a live display on a terminal, one plain log
line at a regular interval otherwise (cron, CI), nothing with ``--quiet``.

Reads Scrapy's stats (pages fetched, stored, excluded by reason family) and
the scheduler's queue; never changes the crawl. Setting ``TDMCRAWL_PROGRESS``:
``auto`` (default), ``rich``, ``log`` or ``off``; ``TDMCRAWL_PROGRESS_INTERVAL``
seconds between log lines (default 30).
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


class Progress:
    def __init__(self, crawler: Any):
        mode = crawler.settings.get("TDMCRAWL_PROGRESS").lower()
        if mode == "off":
            raise NotConfigured
        if mode == "auto":
            mode = "rich" if sys.stderr.isatty() else "log"
        self.mode = mode
        self.crawler = crawler
        self.interval = crawler.settings.getfloat("TDMCRAWL_PROGRESS_INTERVAL") if mode == "log" else 0.5
        self.started = time.monotonic()
        # An audit decides URLs without fetching them: it shows "allowed" and URLs decided per second.
        self.audit = crawler.settings.getbool("TDMCRAWL_AUDIT")
        self.kept, self.unit = ("allowed", "URLs/s") if self.audit else ("stored", "pages/s")
        self._task: Any = None
        self._live: Any = None
        self._last = (self.started, 0)
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "Progress":
        return cls(crawler)

    def snapshot(self) -> dict[str, Any]:
        stats = self.crawler.stats.get_stats()
        excluded = {k.split("/", 2)[2]: v for k, v in stats.items() if k.startswith("tdmcrawl/excluded/")}
        engine = self.crawler.engine
        queue = 0
        try:
            queue = len(engine._slot.scheduler)  # type: ignore[union-attr]
        except Exception:
            pass
        fetched = stats.get("downloader/response_count", 0)
        kept = stats.get(f"tdmcrawl/decisions/{self.kept}", 0)
        counted = kept + stats.get("tdmcrawl/decisions/excluded", 0) if self.audit else fetched
        now = time.monotonic()
        last_time, last_counted = self._last
        rate = (counted - last_counted) / (now - last_time) if now > last_time else 0.0
        self._last = (now, counted)
        return {
            "fetched": fetched,
            "stored": kept,
            "excluded": dict(sorted(excluded.items(), key=lambda kv: -kv[1])),
            "failed": stats.get("tdmcrawl/decisions/failed", 0),
            "queue": queue,
            "rate": rate,
            "elapsed": now - self.started,
        }

    def line(self, s: dict[str, Any]) -> str:
        excluded = ", ".join(f"{k} {v}" for k, v in s["excluded"].items()) or "none"
        return (
            f"fetched {s['fetched']}, {self.kept} {s['stored']}, excluded [{excluded}], failed {s['failed']}, "
            f"queue {s['queue']}, {s['rate']:.1f} {self.unit}, {s['elapsed']:.0f}s"
        )

    def _render(self, s: dict[str, Any]) -> Any:
        from rich.table import Table

        table = Table(title=f"tdmcrawl — {self.crawler.spider.name if self.crawler.spider else ''}", show_header=False, expand=False)
        table.add_column(style="bold")
        table.add_column()
        table.add_row("fetched", str(s["fetched"]))
        table.add_row(self.kept, str(s["stored"]))
        table.add_row("failed", str(s["failed"]))
        for family, count in s["excluded"].items():
            table.add_row(f"excluded · {family}", str(count))
        table.add_row("queue", str(s["queue"]))
        table.add_row(self.unit, f"{s['rate']:.1f}")
        table.add_row("elapsed", f"{s['elapsed']:.0f}s")
        return table

    def tick(self) -> None:
        s = self.snapshot()
        if self.mode == "rich" and self._live is not None:
            self._live.update(self._render(s))
        else:
            logger.info("progress: %s", self.line(s))

    def opened(self, spider: Any = None) -> None:
        from twisted.internet import task

        if self.mode == "rich":
            from rich.console import Console
            from rich.live import Live

            self._live = Live(self._render(self.snapshot()), console=Console(stderr=True), refresh_per_second=2, transient=False, redirect_stderr=True, redirect_stdout=False)
            self._live.start()
        self._task = task.LoopingCall(self.tick)
        self._task.start(self.interval, now=False)

    def closed(self, spider: Any = None) -> None:
        if self._task is not None and self._task.running:
            self._task.stop()
        s = self.snapshot()
        if self._live is not None:
            self._live.update(self._render(s))
            self._live.stop()
            self._live = None
        logger.info("progress: %s", self.line(s))
