"""The ``audit`` spider: one request per input URL, decided by the crawl's own
rights middleware and never downloaded (``crawler.fetch.audit``).

It streams the input (``pipelines.dataset.audit_input``) and keeps at most
``TDMCRAWL_AUDIT_WINDOW`` URLs between "read" and "decided", so memory grows
with the origins in flight (their policy files, cached), not with the input.
Every input row gets exactly one decision row: a value that is no http(s) URL
is recorded as ``excluded`` / ``invalid-url``. In a distributed audit the
process started with ``--redis`` reads the input into the shared queue and
the workers (``tdmcrawl worker``) decide from it.

Run it with ``tdmcrawl audit``.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator

import scrapy
from scrapy.exceptions import UsageError

from crawler.context import CrawlContext
from crawler.fetch.audit import allowed_record
from crawler.fetch.middleware import Decided, Parked
from crawler.model.decisions import EXCLUDED, STAGE_FETCH, STAGE_HEADERS, DecisionRecord
from crawler.model.meta import META_INPUT, META_ORIGINAL_HEADERS, META_SEED
from crawler.fetch.responses import header_pairs
from crawler.rights.evidence import Evidence
from crawler.rights.licence import detect_licences
from crawler.signals import decision_recorded, record_decision
from crawler.urls import is_crawlable_url, try_safe_url
from pipelines.dataset.audit_input import AuditInput, InputError
from pipelines.dataset.audit_report import INVALID_URL, LICENCE_SIGNAL


class AuditSpider(scrapy.Spider):
    name = "audit"

    def __init__(self, inputs: list[str] | str | None = None, url_column: str = "url", id_column: str | None = None, text_column: str | None = None, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.inputs = [inputs] if isinstance(inputs, str) else list(inputs or [])
        self.url_column = url_column
        self.id_column = id_column
        self.text_column = text_column
        self.in_flight = 0
        self.read = 0
        self._room: asyncio.Event | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "AuditSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        middlewares = crawler.settings.getwithbase("DOWNLOADER_MIDDLEWARES")
        for needed in ("crawler.fetch.middleware.RightsMiddleware", "crawler.fetch.audit.AuditMiddleware"):
            if middlewares.get(needed) is None or not crawler.settings.getbool("TDMCRAWL_AUDIT"):
                raise UsageError(f"the audit spider needs TDMCRAWL_AUDIT and {needed} enabled")
        spider.context = CrawlContext.for_crawler(crawler)
        spider.window = max(1, crawler.settings.getint("TDMCRAWL_AUDIT_WINDOW"))
        spider.distributed = bool(crawler.settings.get("TDMCRAWL_REDIS_URL"))
        if spider.inputs:
            try:
                spider.audit_input = AuditInput.open(spider.inputs, url_column=spider.url_column, id_column=spider.id_column, text_column=spider.text_column)
            except InputError as exc:
                raise UsageError(str(exc)) from None
        else:
            spider.audit_input = None  # a worker of a distributed audit: its requests come from Redis
        crawler.signals.connect(spider.decided, signal=decision_recorded)
        return spider

    def decided(self, record: DecisionRecord) -> None:
        if record.input_ref is None:
            return
        self.in_flight -= 1
        if self._room is not None and self.in_flight < self.window:
            self._room.set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.audit_input is None:
            return
        self._room = asyncio.Event()
        for input_file, input_row, input_id, value in self.audit_input.rows():
            self.read += 1
            ref = (input_file, input_row, input_id)
            url = try_safe_url(value) if value else None
            if url is None or not is_crawlable_url(url):
                self.in_flight += 1  # decided at once
                record_decision(self.crawler, DecisionRecord(
                    url=value or "", decision=EXCLUDED, reason=INVALID_URL, stage=STAGE_FETCH, input_ref=ref,
                    evidence=(Evidence("input", f"{input_file}:{input_row}", repr(value)[:300], note="not an http(s) URL a crawler could request"),),
                ))
                continue
            # Bounded between reading and deciding (a cluster's queue lives in Redis instead).
            while not self.distributed and self.in_flight >= self.window:
                self._room.clear()
                await self._room.wait()
            self.in_flight += 1
            # Each input URL is what a seed is to a crawl of the same URLs (the same address rules).
            yield scrapy.Request(url, callback=self.headers_read, errback=self.on_error, dont_filter=True, meta={META_INPUT: ref, META_SEED: True, "depth": 0})

    async def headers_read(self, response: scrapy.http.Response) -> AsyncIterator[Any]:
        """--with-headers: the rights allowed the URL on its headers too; a
        licence its ``Link: rel=license`` header declares goes with the row."""
        licence = detect_licences(None, base_url=response.url, headers=header_pairs(response.headers))
        evidence = (Evidence(LICENCE_SIGNAL, "header:Link", licence.license, note=licence.evidence or ""),) if licence.license else ()
        record_decision(self.crawler, allowed_record(response.request, self.context.profile, stage=STAGE_HEADERS, status=response.status, evidence=evidence))
        return
        yield  # an async generator with nothing to yield

    def on_error(self, failure: Any) -> None:
        """Decided and parked requests already have (or will have) their row. A
        header request that failed or answered with an error status is still
        allowed by every signal the audit could see; the row says what happened."""
        error = failure.value
        if isinstance(error, (Decided, Parked)):
            return
        request = failure.request
        response = getattr(error, "response", None)
        headers_seen = response is not None or META_ORIGINAL_HEADERS in request.meta
        record_decision(self.crawler, allowed_record(
            request, self.context.profile, stage=STAGE_HEADERS if headers_seen else STAGE_FETCH,
            status=response.status if response is not None else None,
            evidence=(Evidence("http", request.url, f"{type(error).__name__}: {error}"[:300], note="the URL's headers could not be judged" if not headers_seen else ""),),
        ))

