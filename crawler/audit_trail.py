"""The audit trail: a decision row for every request Scrapy's own components
end, so that every URL the crawler admitted or sent a request for is accounted
for in ``data/decisions``.

Scrapy ends requests in places that tell nobody:

* a ``request_scheduled`` handler that raises ``IgnoreRequest`` (Scrapy's
  downloader ``OffsiteMiddleware`` does, for a redirect leaving the allowed
  domains): the engine drops the request without a signal. :class:`AuditTrail`
  judges the scope itself first (also for ``dont_filter`` requests, which the
  offsite filter lets through), records ``out-of-scope`` with the redirect
  target as ``final_url``, and drops the request;
* the scheduler refusing a request (the duplicate filter): ``request_dropped``;
  :class:`AuditTrail` records ``duplicate``, ``duplicate-redirect`` or
  ``fetch-redirect-loop``;
* a spider middleware that returns nothing for a request the spider yielded
  (``DepthMiddleware``, ``UrlLengthMiddleware``, a project's own):
  :class:`SpiderOutputAudit` sits on both sides of the spider middlewares and
  records what went in and did not come out (``out-of-scope-depth``,
  ``out-of-scope-url-length``, ``ignored``).

Requests that end in an exception reach the spider's errback, which records
them. Policy-file requests (robots.txt, …) are the rights middleware's and
have no row of their own.
"""

from __future__ import annotations

import itertools
from typing import Any, AsyncIterator, Iterable, Iterator
from weakref import WeakKeyDictionary

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest

from crawler.decisions import EXCLUDED, FAILED, STAGE_FETCH, STAGE_REQUEST, DecisionRecord
from crawler.middlewares import META_POLICY_FILE, META_SEED, META_SITEMAP, record_decision
from crawler.rights.evidence import Evidence

META_OUTPUT_TICKET = "tdmcrawl_output_ticket"  # set on requests a spider callback yields, until the spider middlewares let them through


def redirect_evidence(meta: dict[str, Any], url: str) -> tuple[Evidence, ...]:
    """One ``redirect`` evidence per URL of the redirect chain that led to ``url``."""
    chain = [*(meta.get("redirect_urls") or ()), url]
    return tuple(Evidence("redirect", hop, f"redirected to {target}") for hop, target in zip(chain, chain[1:]))


def request_record(request: Request, decision: str, reason: str, evidence: tuple[Evidence, ...], *, stage: str = STAGE_REQUEST, status: int | None = None) -> DecisionRecord:
    """The decision of a request, keyed by the URL first asked for; the redirect chain is in its evidence."""
    meta = request.meta
    redirects = meta.get("redirect_urls") or []
    return DecisionRecord(
        url=redirects[0] if redirects else request.url,
        decision=decision,
        reason=reason,
        evidence=evidence + redirect_evidence(meta, request.url),
        stage=stage,
        final_url=request.url if redirects else None,
        fetch_status=status,
        depth=meta.get("depth", 0),
        via=meta.get("tdmcrawl_via"),
    )


class AuditTrail:
    """Extension: the scope of every scheduled request, and a row for each
    request the scheduler drops (see the module docstring)."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "AuditTrail":
        return cls(crawler)

    def request_scheduled(self, request: Request, spider: Any = None) -> None:
        meta = request.meta
        in_scope = getattr(self.crawler.spider, "in_scope", None)
        if in_scope is None or meta.get(META_POLICY_FILE) or in_scope(request.url):
            return
        redirects = meta.get("redirect_urls") or []
        if not redirects and (meta.get(META_SEED) or meta.get("allow_offsite")):
            return  # a seed is crawled even outside the allowed domains; what it redirects to is not
        domains = ", ".join(getattr(self.crawler.spider, "allowed_domains", None) or ()) or "(none)"
        if redirects:
            evidence = (Evidence("scope", redirects[-1], f"redirects to {request.url}", note=f"outside the crawl's domains: {domains}"),)
        else:
            evidence = (Evidence("scope", request.url, "not followed", note=f"outside the crawl's domains: {domains}"),)
        status = (meta.get("redirect_reasons") or [None])[-1]
        record_decision(self.crawler, request_record(request, EXCLUDED, "out-of-scope", evidence, status=status if isinstance(status, int) else None))
        self.crawler.stats.inc_value("tdmcrawl/audit/out_of_scope")
        raise IgnoreRequest(f"out of scope: {request.url}")

    def request_dropped(self, request: Request, spider: Any = None) -> None:
        """The scheduler refused the request: Scrapy's duplicate filter had seen
        the same request (a redirect to a URL already in the crawl, a link to a
        page already fetched as a redirect target)."""
        meta = request.meta
        if meta.get(META_POLICY_FILE) or meta.get(META_SITEMAP):
            return
        redirects = meta.get("redirect_urls") or []
        if request.url in redirects:
            decision, reason, note = FAILED, "fetch-redirect-loop", "a redirect loop"
        elif redirects:
            decision, reason, note = EXCLUDED, "duplicate-redirect", "that URL is already in the crawl"
        else:
            decision, reason, note = EXCLUDED, "duplicate", "the same request was already sent in this crawl (as a redirect target or under another form of the URL)"
        evidence = (Evidence("scheduler", request.url, "dropped by the duplicate filter", note=note),)
        record_decision(self.crawler, request_record(request, decision, reason, evidence, stage=STAGE_FETCH if redirects else STAGE_REQUEST))
        self.crawler.stats.inc_value(f"tdmcrawl/audit/{reason}")


class _OutputLedger:
    """Requests each pass of a callback's output (keyed by its response; 0 for
    ``start``) issued on the spider side and the engine side has not seen yet."""

    def __init__(self) -> None:
        self.tickets = itertools.count(1)
        self.passes: dict[int, dict[int, Request]] = {}


_ledgers: "WeakKeyDictionary[Any, _OutputLedger]" = WeakKeyDictionary()


def _pass_key(response: Any) -> int:
    return id(response) if response is not None else 0


class SpiderOutputAudit:
    """Spider middleware next to the engine (a low order; :class:`SpiderOutputTickets`
    sits next to the spider, a high order): takes back the tickets of the
    requests that come out of the middlewares in between, and records the
    requests whose tickets did not when the output ends."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.ledger = _ledgers.setdefault(crawler, _OutputLedger())
        settings = crawler.settings
        self.depth_limit = settings.getint("DEPTH_LIMIT")
        self.length_limit = settings.getint("URLLENGTH_LIMIT")

    @classmethod
    def from_crawler(cls, crawler: Any) -> "SpiderOutputAudit":
        return cls(crawler)

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
        depth = request.meta.get("depth", 0)
        if self.depth_limit and depth > self.depth_limit:
            reason = "out-of-scope-depth"
            evidence = Evidence("scope", "setting:DEPTH_LIMIT", str(self.depth_limit), note=f"the link is {depth} hops from its seed")
        elif self.length_limit and len(request.url) > self.length_limit:
            reason = "out-of-scope-url-length"
            evidence = Evidence("scope", "setting:URLLENGTH_LIMIT", str(self.length_limit), note=f"the URL is {len(request.url)} characters long")
        else:
            reason = "ignored"
            evidence = Evidence("scope", request.url, "dropped by a spider middleware")
        self.crawler.stats.inc_value(f"tdmcrawl/audit/{reason}")
        return request_record(request, EXCLUDED, reason, (evidence,))

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


class SpiderOutputTickets:
    """Spider middleware next to the spider: gives each request a callback (or
    ``start``) yields a ticket, which :class:`SpiderOutputAudit` takes back."""

    def __init__(self, crawler: Any):
        self.ledger = _ledgers.setdefault(crawler, _OutputLedger())

    @classmethod
    def from_crawler(cls, crawler: Any) -> "SpiderOutputTickets":
        return cls(crawler)

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
