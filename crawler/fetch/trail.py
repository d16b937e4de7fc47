"""The audit trail: a decision row for every request Scrapy's own components
end, so that every URL the crawler admitted or sent a request for is in
``data/decisions``.

Scrapy ends requests in places that tell nobody:

* a ``request_scheduled`` handler that raises ``IgnoreRequest``: the engine
  drops the request without a signal. Scrapy's downloader ``OffsiteMiddleware``
  does so for a redirect that leaves the allowed domains (a page that answers
  ``302 Location: http://169.254.169.254/…``), and lets ``dont_filter``
  requests (resumed or parked ones) through. :class:`AuditTrail` judges the
  scope first, for every request: ``out-of-scope``, the redirect target as
  ``final_url``, and the request dropped;
* the scheduler refusing a request (the duplicate filter, ``request_dropped``):
  :class:`AuditTrail` records ``duplicate-redirect`` or
  ``fetch-redirect-loop`` for a redirect, and ``duplicate`` for a request the
  spider admitted (in a cluster that one is another worker's to decide);
* a spider middleware that returns nothing for a request the spider yielded
  (``DepthMiddleware``, ``UrlLengthMiddleware``, a project's own):
  :class:`SpiderOutputTickets` (next to the spider) and
  :class:`SpiderOutputAudit` (next to the engine) record what went in and did
  not come out: ``out-of-scope-depth``, ``out-of-scope-url-length``,
  ``ignored``.

A request that ends in an exception (``IgnoreRequest`` from a downloader
middleware, ``StopDownload`` from a signal handler, a network error) reaches
the spider's errback, which records it. Policy-file requests (robots.txt, …)
belong to the rights middleware and have no row of their own.
"""

from __future__ import annotations

import itertools
from typing import Any, AsyncIterator, Iterable, Iterator
from weakref import WeakKeyDictionary

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest

from crawler.model.decisions import EXCLUDED, FAILED, STAGE_FETCH, STAGE_REQUEST, DecisionRecord
from crawler.model.meta import META_POLICY_FILE, META_SEED, META_SITEMAP
from crawler.rights.evidence import Evidence
from crawler.signals import record_decision

META_OUTPUT_TICKET = "tdmcrawl_output_ticket"  # on a request a callback yielded, until the spider middlewares let it through


class AuditTrail:
    """Extension: the scope of every scheduled request, and a row for each
    request the scheduler drops (see the module docstring)."""

    def __init__(self, crawler: Any, *, clustered: bool = False):
        self.crawler = crawler
        self.clustered = clustered
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "AuditTrail":
        return cls(crawler, clustered=bool(crawler.settings.get("TDMCRAWL_REDIS_URL")))

    def _record(self, request: Request, decision: str, reason: str, evidence: Evidence, *, stage: str = STAGE_REQUEST, status: int | None = None) -> None:
        record_decision(self.crawler, DecisionRecord.for_request(request, decision, reason, (evidence,), stage=stage, status=status))
        self.crawler.stats.inc_value(f"tdmcrawl/audit/{reason}")

    def request_scheduled(self, request: Request, spider: Any = None) -> None:
        """A redirect (or any request) outside the crawl's domains is recorded
        and dropped here, before Scrapy's offsite filter drops it silently."""
        meta = request.meta
        spider = self.crawler.spider
        in_scope = getattr(spider, "in_scope", None)
        if in_scope is None or meta.get(META_POLICY_FILE) or in_scope(request.url):
            return
        redirects = meta.get("redirect_urls") or []
        if not redirects and (meta.get(META_SEED) or meta.get("allow_offsite")):
            return  # a seed is crawled even outside the allowed domains; where it redirects to is not
        domains = ", ".join(getattr(spider, "allowed_domains", None) or ()) or "none"
        note = f"outside the crawl's domains ({domains}); never requested"
        if redirects:
            evidence = Evidence("scope", redirects[-1], f"redirects to {request.url}", note=note)
            status = (meta.get("redirect_reasons") or [None])[-1]  # the redirect's HTTP status ("meta refresh" otherwise)
            self._record(request, EXCLUDED, "out-of-scope", evidence, status=status if isinstance(status, int) else None)
        else:
            self._record(request, EXCLUDED, "out-of-scope", Evidence("scope", request.url, "not followed", note=note))
        raise IgnoreRequest(f"out of scope: {request.url}")

    def request_dropped(self, request: Request, spider: Any = None) -> None:
        """The scheduler refused the request: Scrapy's duplicate filter had seen it."""
        meta = request.meta
        if meta.get(META_POLICY_FILE) or meta.get(META_SITEMAP):
            return
        redirects = meta.get("redirect_urls") or []
        if request.url in redirects:
            self._record(request, FAILED, "fetch-redirect-loop", Evidence("http", redirects[-1], f"redirects to {request.url}", note="a redirect loop"), stage=STAGE_FETCH)
        elif redirects:
            self._record(request, EXCLUDED, "duplicate-redirect", Evidence("http", redirects[-1], f"redirects to {request.url}", note="that URL is already in the crawl"), stage=STAGE_FETCH)
        elif not self.clustered:  # in a cluster, the worker whose request went first decides the URL
            self._record(request, EXCLUDED, "duplicate", Evidence("scheduler", request.url, "dropped by the duplicate filter", note="the same request was already sent in this crawl"))


# ---------------------------------------------------------------- spider output
class _OutputLedger:
    """The requests each pass of a callback's output (keyed by its response, 0
    for ``start``) let in on the spider side and not yet out on the engine side."""

    def __init__(self) -> None:
        self.tickets = itertools.count(1)
        self.passes: dict[int, dict[int, Request]] = {}


_ledgers: "WeakKeyDictionary[Any, _OutputLedger]" = WeakKeyDictionary()


def _ledger(crawler: Any) -> _OutputLedger:
    return _ledgers.setdefault(crawler, _OutputLedger())


def _pass_key(response: Any) -> int:
    return id(response) if response is not None else 0


class SpiderOutputTickets:
    """Spider middleware next to the spider (a high order): gives each request
    a callback or ``start`` yields a ticket, which :class:`SpiderOutputAudit`
    takes back."""

    def __init__(self, ledger: _OutputLedger):
        self.ledger = ledger

    @classmethod
    def from_crawler(cls, crawler: Any) -> "SpiderOutputTickets":
        return cls(_ledger(crawler))

    def _note(self, key: int, item: Any) -> Any:
        if isinstance(item, Request) and not item.meta.get(META_POLICY_FILE):
            ticket = next(self.ledger.tickets)
            item.meta[META_OUTPUT_TICKET] = ticket
            self.ledger.passes.setdefault(key, {})[ticket] = item
        return item

    def process_spider_output(self, response: Any, result: Iterable[Any], spider: Any = None) -> Iterator[Any]:
        key = _pass_key(response)
        for item in result:
            yield self._note(key, item)

    async def process_spider_output_async(self, response: Any, result: AsyncIterator[Any], spider: Any = None) -> AsyncIterator[Any]:
        key = _pass_key(response)
        async for item in result:
            yield self._note(key, item)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for item in start:
            yield self._note(0, item)


class SpiderOutputAudit:
    """Spider middleware next to the engine (a low order): takes back the
    tickets of the requests that come out of the middlewares in between, and
    when the output ends records each request whose ticket did not."""

    def __init__(self, crawler: Any, ledger: _OutputLedger, *, depth_limit: int = 0, length_limit: int = 0):
        self.crawler = crawler
        self.ledger = ledger
        self.depth_limit = depth_limit
        self.length_limit = length_limit

    @classmethod
    def from_crawler(cls, crawler: Any) -> "SpiderOutputAudit":
        settings = crawler.settings
        return cls(crawler, _ledger(crawler), depth_limit=settings.getint("DEPTH_LIMIT"), length_limit=settings.getint("URLLENGTH_LIMIT"))

    def _passed(self, key: int, item: Any) -> None:
        if isinstance(item, Request):
            ticket = item.meta.pop(META_OUTPUT_TICKET, None)
            if ticket is not None:
                self.ledger.passes.get(key, {}).pop(ticket, None)

    def _ended(self, key: int) -> None:
        for request in self.ledger.passes.pop(key, {}).values():
            request.meta.pop(META_OUTPUT_TICKET, None)
            record_decision(self.crawler, self.record_for(request))

    def record_for(self, request: Request) -> DecisionRecord:
        """Why a spider middleware dropped the request, as far as the settings tell."""
        depth = request.meta.get("depth", 0)
        if self.depth_limit and depth > self.depth_limit:
            reason = "out-of-scope-depth"
            evidence = Evidence("scope", "setting:DEPTH_LIMIT", str(self.depth_limit), note=f"the link is {depth} hops from its seed; never requested")
        elif self.length_limit and len(request.url) > self.length_limit:
            reason = "out-of-scope-url-length"
            evidence = Evidence("scope", "setting:URLLENGTH_LIMIT", str(self.length_limit), note=f"the URL has {len(request.url)} characters; never requested")
        else:
            reason = "ignored"
            evidence = Evidence("scope", request.url, "dropped by a spider middleware", note="never requested")
        self.crawler.stats.inc_value(f"tdmcrawl/audit/{reason}")
        return DecisionRecord.for_request(request, EXCLUDED, reason, (evidence,), stage=STAGE_REQUEST)

    def process_spider_output(self, response: Any, result: Iterable[Any], spider: Any = None) -> Iterator[Any]:
        key = _pass_key(response)
        try:
            for item in result:
                self._passed(key, item)
                yield item
        finally:
            self._ended(key)

    async def process_spider_output_async(self, response: Any, result: AsyncIterator[Any], spider: Any = None) -> AsyncIterator[Any]:
        key = _pass_key(response)
        try:
            async for item in result:
                self._passed(key, item)
                yield item
        finally:
            self._ended(key)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        try:
            async for item in start:
                self._passed(0, item)
                yield item
        finally:
            self._ended(0)
