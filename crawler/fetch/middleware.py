"""The rights middleware: RFC 9309 robots.txt and every TDM / AI-training
reservation, applied at request time and when the headers arrive.

A downloader middleware that replaces Scrapy's ``RobotsTxtMiddleware``:

* before a request: the address guard (:mod:`crawler.fetch.addresses`), the
  origin's policy files (:mod:`crawler.fetch.origins`: robots.txt, then
  tdmrep.json, ai.txt and the RSL documents robots.txt names, then the terms of
  service (:mod:`crawler.fetch.terms`), fetched once and cached per scheme +
  host + port for at most 24 hours), the opt-out
  registries (:mod:`crawler.fetch.registries`) and the rights core's
  request-stage decision. An origin whose robots.txt is unreachable (5xx,
  429, network error) is not crawled: its requests are parked and the file
  retried with back-off; when the retries are spent they are recorded as
  excluded (``robots-unreachable-…``) and the crawl goes on.
* when the headers arrive (``headers_received``): the header-stage decision;
  a reserved or non-HTML response is stopped before its body is downloaded
  (unless it is a PDF or EPUB the crawl takes: ``TDMCRAWL_DOCUMENTS``; those are
  read whole, up to ``TDMCRAWL_DOCUMENT_MAX_SIZE``).

Every exclusion is recorded with ``decision_recorded``; nothing excluded
reaches the spider. Crawl-delay and Request-rate are the politeness
extension's (it listens to ``origin_rights_loaded``). Usable in any Scrapy
project: add it to ``DOWNLOADER_MIDDLEWARES`` and switch off ``RobotsTxtMiddleware``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, NotConfigured, StopDownload, UsageError
from scrapy.http import Response

from crawler.cluster import RedisPolicyCache
from crawler.context import CrawlContext
from crawler.fetch.addresses import AddressGuard
from crawler.fetch.origins import Origins, Unreachable
from crawler.fetch.policy_files import PolicyFiles
from crawler.fetch.registries import Registries
from crawler.fetch.terms import TermsFinder
from crawler.fetch.responses import header_pairs
from crawler.model.decisions import EXCLUDED, STAGE_HEADERS, STAGE_REQUEST, DecisionRecord
from crawler.model.meta import (
    META_ASSESSMENT,
    META_ENCODING,
    META_EXPECTED_SIZE,
    META_FETCHED_AT,
    META_ORIGINAL_HEADERS,
    META_POLICY_FILE,
    META_RECEIVED,
    META_REDIRECTED,
    META_SEED,
    META_SITEMAP,
    META_STOP,
    META_TRUNCATED,
)
from crawler.document import DocumentOptions
from crawler.page import HTML_TYPES
from crawler.rights.evidence import Evidence
from crawler.rights.policy import PolicyProfile
from crawler.rights.stages import OriginRights, RightsAssessment, assess_request
from crawler.rights.tos import SiteTerms
from crawler.signals import record_decision
from crawler.urls import Origin, origin_of

logger = logging.getLogger(__name__)
CONDITIONAL_HEADERS = ("If-None-Match", "If-Modified-Since")  # a recrawl's request: the server's own answer is wanted


class Decided(IgnoreRequest):
    """The request was excluded and its decision already recorded."""


class Parked(IgnoreRequest):
    """The request waits for its origin's robots.txt; it will be sent again or excluded."""


class RightsMiddleware:
    """See the module docstring. Settings (defaults in ``settings/__init__.py``):
    ``TDMCRAWL_RIGHTS_ENABLED``, ``TDMCRAWL_ROBOTS_CACHE_TTL``,
    ``TDMCRAWL_ROBOTS_RETRY_TIMES``, ``TDMCRAWL_ROBOTS_RETRY_DELAY``,
    ``TDMCRAWL_FETCH_TDMREP``, ``TDMCRAWL_FETCH_AITXT``, ``TDMCRAWL_FETCH_RSL``,
    ``TDMCRAWL_FETCH_TOS``, ``TDMCRAWL_TOS_COMMON_PATHS``,
    ``TDMCRAWL_ALLOW_PRIVATE_ADDRESSES``, ``TDMCRAWL_DECOMPRESSION_RATIO``,
    ``TDMCRAWL_DECOMPRESSION_FLOOR``, ``TDMCRAWL_REGISTRY_…``, ``TDMCRAWL_REDIS_URL``."""

    def __init__(
        self,
        crawler: Any,
        *,
        token: str,
        profile: PolicyProfile,
        guard: AddressGuard,
        files: PolicyFiles,
        registries: Registries,
        ttl: float,
        retry_times: int,
        retry_delay: float,
        fetch_tdmrep: bool,
        fetch_aitxt: bool,
        fetch_rsl: bool,
        fetch_tos: bool,
        tos_common_paths: int,
        download_maxsize: int,
        decompression_ratio: float,
        decompression_floor: int,
        documents: DocumentOptions = DocumentOptions(),
    ):
        self.crawler = crawler
        self.token = token
        self.profile = profile
        self.guard = guard
        self.files = files
        self.registries = registries
        self.origins = Origins(
            crawler, files, token=token, ttl=ttl, retry_times=retry_times, retry_delay=retry_delay,
            fetch_tdmrep=fetch_tdmrep, fetch_aitxt=fetch_aitxt, fetch_rsl=fetch_rsl, exclude_parked=self._exclude_parked,
        )
        if fetch_tos:
            self.origins.terms = TermsFinder(
                crawler, files, guard, registries, token=token, profile=profile, common_paths=tos_common_paths, robots_of=self.origins.robots_of,
            )
        self.download_maxsize = download_maxsize
        self.decompression_ratio = decompression_ratio
        self.decompression_floor = decompression_floor
        self.documents = documents
        self._light_rights: dict[int, tuple[OriginRights, OriginRights]] = {}
        self._stopping = False
        crawler.signals.connect(self._headers_received, signal=signals.headers_received)
        crawler.signals.connect(self._bytes_received, signal=signals.bytes_received)
        crawler.signals.connect(self._spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self._spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "RightsMiddleware":
        settings = crawler.settings
        if settings.get("TDMCRAWL_RIGHTS_ENABLED") is None:
            # Never silently off: the defaults live in settings/__init__.py.
            raise UsageError('the rights middleware needs tdmcrawl\'s settings: ADDONS = {"settings.addon.TdmcrawlDefaults": 0}')
        if not settings.getbool("TDMCRAWL_RIGHTS_ENABLED"):
            raise NotConfigured
        context = CrawlContext.for_crawler(crawler)
        ttl = settings.getfloat("TDMCRAWL_ROBOTS_CACHE_TTL")
        retry_delay = settings.getfloat("TDMCRAWL_ROBOTS_RETRY_DELAY")
        guard = AddressGuard.for_crawler(crawler)
        redis_url = settings.get("TDMCRAWL_REDIS_URL")
        cache = RedisPolicyCache(redis_url, context.crawl_id, ttl) if redis_url else None
        return cls(
            crawler,
            token=context.token,
            profile=context.profile,
            guard=guard,
            files=PolicyFiles(crawler, guard, cache, ttl=ttl, retry_delay=retry_delay),
            registries=Registries.from_settings(settings, honoured="registry" in context.profile.honoured),
            ttl=ttl,
            retry_times=settings.getint("TDMCRAWL_ROBOTS_RETRY_TIMES"),
            retry_delay=retry_delay,
            fetch_tdmrep=settings.getbool("TDMCRAWL_FETCH_TDMREP"),
            fetch_aitxt=settings.getbool("TDMCRAWL_FETCH_AITXT"),
            fetch_rsl=settings.getbool("TDMCRAWL_FETCH_RSL"),
            fetch_tos=settings.getbool("TDMCRAWL_FETCH_TOS"),
            tos_common_paths=settings.getint("TDMCRAWL_TOS_COMMON_PATHS"),
            download_maxsize=settings.getint("DOWNLOAD_MAXSIZE"),
            decompression_ratio=settings.getfloat("TDMCRAWL_DECOMPRESSION_RATIO"),
            decompression_floor=settings.getint("TDMCRAWL_DECOMPRESSION_FLOOR"),
            documents=context.documents,
        )

    # ------------------------------------------------------------------ requests
    async def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get(META_POLICY_FILE):
            return None
        if not request.url.startswith(("http://", "https://")):
            return None
        for key in (META_STOP, META_TRUNCATED, META_ENCODING, META_ORIGINAL_HEADERS):
            request.meta.pop(key, None)
        origin = origin_of(request.url)
        request.meta.setdefault("download_slot", str(origin))

        blocked = await self.guard.check(origin.host, seed=bool(request.meta.get(META_SEED)))
        if blocked is not None:
            self._exclude(request, "private-address", (blocked,), stage=STAGE_REQUEST)

        state = await self.origins.rights(origin)
        if isinstance(state, Unreachable):
            if not state.exhausted:
                self.origins.park(origin, request)
                raise Parked(f"waiting for {origin}/robots.txt ({state.note})")
            self._exclude(request, state.reason, state.finding(origin).evidence, stage=STAGE_REQUEST)

        if request.meta.get(META_SITEMAP):
            # A sitemap is read only where robots.txt allows; it is not a document.
            verdict = state.robots.can_fetch(request.url, self.token)
            if not verdict.allowed:
                self._exclude(request, "robots-disallow", (verdict.evidence,), stage=STAGE_REQUEST, policy_digests=state.digests)
            return None
        assessment = assess_request(request.url, state, self.token)
        assessment = replace(assessment, origin=self._light(state))
        if self.registries.active:
            registry = await self.registries.findings(request.url)
            if registry is None:
                # Never read an unanswered registry as "no opt-out": stop; a resumed crawl asks again.
                logger.error("the opt-out registry could not be asked (%s); stopping the crawl", self.registries.endpoint)
                if not self._stopping:
                    self._stopping = True
                    asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="registry-unavailable"))
                raise IgnoreRequest("opt-out registry unavailable")
            if registry:
                assessment = replace(assessment, fixed_findings=assessment.fixed_findings + tuple(registry))
        decision = assessment.decide(self.profile)
        if decision.excluded:
            self._exclude(
                request,
                decision.reason or "excluded",
                decision.evidence,
                stage=STAGE_REQUEST,
                policy_digests=state.digests,
                reservations=decision.reservations,
                terms=state.tos,
            )
        request.meta[META_ASSESSMENT] = assessment
        return self._home_page_already_read(request)

    def _home_page_already_read(self, request: Request) -> Response | None:
        """The home page the terms lookup has just read, as the response to the
        crawl's own request for it (a plain GET): one request to the origin, not
        two in a row. Judged at the header stage like any download."""
        terms = self.origins.terms
        if terms is None or request.method != "GET" or request.body or any(request.headers.get(h) for h in CONDITIONAL_HEADERS):
            return None
        kept = terms.take_home_page(request.url)
        if kept is None:
            return None
        response, fetched_at = kept
        sent = response.request
        request.headers = sent.headers.copy()  # what was sent for it, for the WARC request record
        request.meta[META_FETCHED_AT] = fetched_at
        if "download_latency" in sent.meta:
            request.meta["download_latency"] = sent.meta["download_latency"]
        self._judge_headers(response.headers, len(response.body), request)  # a stop is recorded by process_response
        self.crawler.stats.inc_value("tdmcrawl/policy/tos/home_page_reused")
        return response.replace(request=request, flags=[*response.flags, "read by the terms lookup"])

    def _light(self, rights: OriginRights) -> OriginRights:
        light = self._light_rights.get(id(rights))
        if light is None or light[0] is not rights:
            light = (rights, rights.light())
            self._light_rights[id(rights)] = light
        return light[1]

    def _exclude(
        self,
        request: Request,
        reason: str,
        evidence: tuple[Evidence, ...],
        *,
        stage: str,
        status: int | None = None,
        decision: str = EXCLUDED,
        policy_digests: tuple[str, ...] = (),
        reservations: tuple[str, ...] = (),
        terms: SiteTerms | None = None,
    ) -> None:
        record_decision(self.crawler, DecisionRecord.for_request(
            request, decision, reason, evidence, stage=stage, status=status, policy_digests=policy_digests, reservations=reservations, terms=terms,
        ))
        raise Decided(f"{decision}: {reason}")

    def _exclude_parked(self, request: Request, unreachable: Unreachable, origin: Origin) -> None:
        try:
            self._exclude(request, unreachable.reason, unreachable.finding(origin).evidence, stage=STAGE_REQUEST)
        except Decided:
            pass

    # ------------------------------------------------------------------ crawl life
    async def _spider_opened(self, spider: Any = None) -> None:
        """Seeds on non-public addresses allow those addresses for the whole crawl,
        also when a resumed crawl does not request its seeds again."""
        for url in getattr(spider, "seeds", None) or ():
            await self.guard.check(origin_of(url).host, seed=True)

    def _spider_idle(self, spider: Any = None) -> None:
        if self.origins.waiting():
            raise DontCloseSpider

    def _spider_closed(self, spider: Any = None) -> None:
        self.registries.close(self.crawler.stats)
        self.origins.close()

    # ------------------------------------------------------------------ responses
    def _bytes_received(self, data: bytes, request: Request, spider: Any = None) -> None:
        received = request.meta.get(META_RECEIVED, 0) + len(data)
        request.meta[META_RECEIVED] = received  # lets a cancelled download be told apart: too big, or not
        if request.meta.get(META_POLICY_FILE):
            self.files.bytes_received(received, request)

    def _headers_received(self, headers: Any, body_length: int, request: Request, spider: Any = None) -> None:
        if request.meta.get(META_POLICY_FILE):
            return
        if self._judge_headers(headers, body_length, request):
            raise StopDownload(fail=False)

    def _judge_headers(self, headers: Any, body_length: int, request: Request) -> bool:
        """The header stage of a download: True when the body must not be read
        (``META_STOP`` says why; process_response records the exclusion)."""
        declared_type = (headers.get("Content-Type") or b"").decode("latin-1")
        document = self.documents.kind_of_response(declared_type, request.url) if self.documents.kinds and not headers.get("Location") else None
        if document is not None:
            # Fetched whole up to the document cap (Scrapy reads download_maxsize after this
            # signal): a larger one fails as fetch-size-limit, it is never stored cut.
            request.meta["download_maxsize"] = self.documents.max_size
            request.meta["download_warnsize"] = self.documents.max_size
        encoding = headers.get("Content-Encoding")
        if encoding:
            request.meta[META_ENCODING] = encoding.decode("latin-1")
            if body_length and body_length > 0 and self.decompression_ratio > 0:
                # A decompression ratio limit: a small compressed body may not expand past
                # ratio × its size (HttpCompressionMiddleware enforces download_maxsize while decoding).
                ceiling = max(self.decompression_floor, int(body_length * self.decompression_ratio))
                request.meta["download_maxsize"] = min(request.meta.get("download_maxsize", self.download_maxsize) or ceiling, ceiling)
        # Facts the failure table reads (crawler.fetch.failures); keyed by URL, as a
        # redirect copies its meta to the next request.
        if isinstance(body_length, int) and body_length > 0:
            request.meta[META_EXPECTED_SIZE] = (request.url, body_length)
        if headers.get("Location"):
            request.meta[META_REDIRECTED] = request.url
        assessment: RightsAssessment | None = request.meta.get(META_ASSESSMENT)
        if assessment is None or headers.get("Location"):
            return False  # not ours, or a redirect: its target is judged on its own
        pairs = header_pairs(headers)
        request.meta[META_ORIGINAL_HEADERS] = pairs
        content_type = declared_type.split(";", 1)[0].strip().lower()
        if content_type and content_type not in HTML_TYPES and document is None:
            note = "only HTML pages (and the PDF / EPUB types TDMCRAWL_DOCUMENTS asks for) are stored"
            request.meta[META_STOP] = ("not-html", (Evidence("http", "header:Content-Type", content_type, note=note),), (), ())
            return True
        judged = assessment.with_headers(None, pairs)
        request.meta[META_ASSESSMENT] = judged
        decision = judged.decide(self.profile)
        if decision.excluded:
            request.meta[META_STOP] = (decision.reason, decision.evidence, judged.origin.digests, decision.reservations)
            return True
        return False

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        if request.meta.get(META_POLICY_FILE):
            return response
        stop = request.meta.get(META_STOP)
        if stop is not None:
            reason, evidence, policy_digests, reservations = stop
            self._exclude(request, reason, evidence, stage=STAGE_HEADERS, status=response.status, policy_digests=policy_digests, reservations=reservations)
        assessment: RightsAssessment | None = request.meta.get(META_ASSESSMENT)
        if assessment is not None and response.status in (401, 402):
            judged = assessment.with_headers(response.status, header_pairs(response.headers))
            decision = judged.decide(self.profile)
            if decision.excluded:
                self._exclude(request, decision.reason or "excluded", decision.evidence, stage=STAGE_HEADERS, status=response.status, policy_digests=judged.origin.digests)
        return response
