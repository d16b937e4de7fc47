"""The summary step of a live crawl: an extension that writes the run manifest
(``runs/<crawl>-<worker>.json``) and, once every writer has closed, rebuilds
the summary and dataset card with ``pipelines.dataset.summary``."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from scrapy import signals

from crawler.context import CrawlContext, software_versions
from pipelines.dataset.summary import RUNS_DIR, atomic_write, write_summary
from pipelines.formats.schema import SCHEMA_VERSION

logger = logging.getLogger(__name__)


class SummaryExtension:
    """Writes the run manifest (``runs/<crawl>-<worker>.json``) when the crawl
    starts and ends, then rebuilds the summary and card once every writer has
    closed (``engine_stopped``)."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.context = CrawlContext.for_crawler(crawler)
        self.enabled_summary = crawler.settings.getbool("TDMCRAWL_SUMMARY")
        self.finish_reason: str | None = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "SummaryExtension":
        return cls(crawler)

    @property
    def manifest_path(self) -> Path:
        return self.context.output_dir / RUNS_DIR / f"{self.context.shard_name}.json"

    def manifest(self, spider: Any, finished: bool) -> dict[str, Any]:
        settings = self.crawler.settings
        stats = {k: v for k, v in (self.crawler.stats.get_stats() or {}).items() if isinstance(v, (int, float, str))}
        return {
            "crawl_id": self.context.crawl_id,
            "worker_id": self.context.worker_id,
            "started_at": self.context.started_at,
            "finished_at": time.time() if finished else None,
            "finish_reason": self.finish_reason if finished else "running",
            "seeds": list(getattr(spider, "seeds", []) or []),
            "allowed_domains": list(getattr(spider, "allowed_domains", []) or []),
            "max_pages": getattr(spider, "max_pages", None),
            "max_depth": getattr(spider, "max_depth", None),
            "user_agent": self.context.user_agent,
            "product_token": self.context.token,
            "contact": self.context.contact,
            "operator": self.context.operator,
            "purpose": self.context.purpose,
            "hostname": self.context.hostname,
            "software": software_versions(),
            "policy": self.context.profile.as_dict(),
            "politeness": {
                "concurrent_requests": settings.getint("CONCURRENT_REQUESTS"),
                "concurrent_requests_per_origin": settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
                "download_delay": settings.getfloat("DOWNLOAD_DELAY"),
                "autothrottle": settings.getbool("AUTOTHROTTLE_ENABLED"),
                "crawl_delay_max": settings.getfloat("TDMCRAWL_CRAWL_DELAY_MAX"),
                "download_maxsize": settings.getint("DOWNLOAD_MAXSIZE"),
                "download_timeout": settings.getfloat("DOWNLOAD_TIMEOUT"),
            },
            "extractor": self.context.extract.as_json(),
            "document_types": ["html", *self.context.documents.kinds],
            "documents": self.context.documents.as_json(),
            "schema_version": SCHEMA_VERSION,
            "stats": stats,
        }

    def _write_manifest(self, spider: Any, finished: bool) -> None:
        self.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.manifest_path, json.dumps(self.manifest(spider, finished), indent=2, default=str) + "\n")

    def opened(self, spider: Any) -> None:
        self._spider = spider
        self._write_manifest(spider, finished=False)

    def spider_closed(self, spider: Any, reason: str) -> None:
        self.finish_reason = reason

    def stopped(self) -> None:
        spider = getattr(self, "_spider", None)
        self._write_manifest(spider, finished=True)
        if self.enabled_summary:
            try:
                write_summary(self.context.output_dir)
            except Exception:
                logger.exception("could not write the crawl summary; run `tdmcrawl summary %s`", self.context.output_dir)
