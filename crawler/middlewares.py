"""The rights middleware: RFC 9309 robots.txt and every TDM / AI-training
reservation, applied at request time and when the headers arrive.

A downloader middleware that replaces Scrapy's ``RobotsTxtMiddleware``:

* before a request: private-address protection, the origin's policy files
  (robots.txt, then tdmrep.json, ai.txt and the RSL documents robots.txt names)
  fetched once and cached per scheme + host + port for at most 24 hours, and
  the rights core's request-stage decision. An origin whose robots.txt is
  unreachable (5xx, 429, network error) is not crawled: its requests are
  parked and the file retried with back-off; when the retries are spent they
  are recorded as excluded (``robots-unreachable-…``) and the crawl goes on.
* when the headers arrive (``headers_received``): the header-stage decision;
  a reserved or non-HTML response is stopped before its body is downloaded.

Every exclusion is recorded with ``decision_recorded``; nothing excluded
reaches the spider. Crawl-delay and Request-rate become the origin's minimum
download delay. Usable in any Scrapy project: add it to
``DOWNLOADER_MIDDLEWARES`` and switch off ``RobotsTxtMiddleware``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urljoin

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, NotConfigured, StopDownload
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK

from crawler.capture import Capture
from crawler.context import CrawlContext
from crawler.decisions import EXCLUDED, FAILED, STAGE_HEADERS, STAGE_REQUEST, DecisionRecord, digests
from crawler.page import HTML_TYPES
from crawler.rights.aitxt import AiTxt
from crawler.rights.evidence import Evidence, Finding, FindingKind, Usage, Use, sha1_base32
from crawler.rights.robots import ROBOTS_PARSE_LIMIT_BYTES, RobotsTxt
from crawler.rights.robotsfetch import OK, UNREACHABLE, MAX_REDIRECTS, RobotsOutcome, is_fresh, retry_plan, robots_outcome, use_last_good
from crawler.rights.rsl import RslDocument
from crawler.rights.stages import OriginRights, PolicyFile, RightsAssessment, assess_request, robots_unreachable_finding
from crawler.rights.rsl import RSL_PARSE_LIMIT_BYTES as RSL_MAX_DOCUMENT_BYTES
from crawler.rights.tdmrep import MAX_FILE_BYTES as TDMREP_MAX_FILE_BYTES, TdmRepFile
from crawler.signals import decision_recorded, origin_rights_loaded
from crawler.urls import Origin, address_class, origin_of

logger = logging.getLogger(__name__)

META_POLICY_FILE = "tdmcrawl_policy_file"
META_ASSESSMENT = "tdmcrawl_assessment"
META_STOP = "tdmcrawl_stop"
META_SEED = "tdmcrawl_seed"
META_SITEMAP = "tdmcrawl_sitemap"
META_ENCODING = "tdmcrawl_content_encoding"
META_TRUNCATED = "tdmcrawl_truncated"
META_ORIGINAL_HEADERS = "tdmcrawl_headers"
META_INPUT = "tdmcrawl_input"  # an audit's (input_file, input_row, input_id): its decision row names the input row

# How much of each policy file is read: a little past each parser's own limit,
# so an oversized file is seen as oversized (and robots.txt is cut, never "allow all").
POLICY_FILE_MAX_BYTES = {
    "robots": ROBOTS_PARSE_LIMIT_BYTES + 16 * 1024,
    "ai-txt": ROBOTS_PARSE_LIMIT_BYTES + 16 * 1024,
    "tdmrep": TDMREP_MAX_FILE_BYTES + 1,
    "rsl": RSL_MAX_DOCUMENT_BYTES + 1,
}
MAX_RSL_DOCUMENTS = 3


class Decided(IgnoreRequest):
    """The request was excluded and its decision already recorded."""


class Parked(IgnoreRequest):
    """The request waits for its origin's robots.txt; it will be sent again or excluded."""


def header_pairs(headers: Any) -> list[tuple[str, str]]:
    """Scrapy Headers as (name, value) pairs, every instance, bytes as latin-1."""
    pairs = []
    for name, values in headers.items():
        key = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        for value in values:
            pairs.append((key, value.decode("latin-1") if isinstance(value, bytes) else str(value)))
    return pairs


def record_decision(crawler: Any, record: DecisionRecord) -> None:
    crawler.signals.send_catch_log(decision_recorded, record=record)


@dataclass
class _Unreachable:
    """robots.txt of an origin cannot be obtained right now."""

    reason: str
    note: str
    attempts: int
    exhausted: bool = False
    retry_at: float = 0.0


@dataclass
class _OriginEntry:
    rights: OriginRights | None = None
    fetched_at: float = 0.0
    last_good_robots: RobotsTxt | None = None
    last_good_file: PolicyFile | None = None
    unreachable: _Unreachable | None = None
    fetching: asyncio.Future | None = None
    parked: list[Request] = field(default_factory=list)
    retry_handle: asyncio.TimerHandle | None = None


@dataclass(frozen=True)
class _Fetched:
    url: str
    status: int | None
    body: bytes
    content_type: str | None
    error: str | None
    hops: tuple[str, ...]
    fetched_at: float
    truncated: bool
    response: Response | None = None
    redirect_limit: bool = False


class RightsMiddleware:
    """See the module docstring. Settings (defaults in ``settings/__init__.py``):
    ``TDMCRAWL_ROBOTS_CACHE_TTL``, ``TDMCRAWL_ROBOTS_RETRY_TIMES``,
    ``TDMCRAWL_ROBOTS_RETRY_DELAY``, ``TDMCRAWL_CRAWL_DELAY_MAX``,
    ``TDMCRAWL_FETCH_TDMREP``, ``TDMCRAWL_FETCH_AITXT``, ``TDMCRAWL_FETCH_RSL``,
    ``TDMCRAWL_ALLOW_PRIVATE_ADDRESSES``."""

    def __init__(self, crawler: Any):
        settings = crawler.settings
        if not settings.getbool("TDMCRAWL_RIGHTS_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler
        self.context = CrawlContext.for_crawler(crawler)
        self.token = self.context.token
        self.profile = self.context.profile
        self.ttl = settings.getfloat("TDMCRAWL_ROBOTS_CACHE_TTL", 86400.0)
        self.retry_times = settings.getint("TDMCRAWL_ROBOTS_RETRY_TIMES", 4)
        self.retry_delay = settings.getfloat("TDMCRAWL_ROBOTS_RETRY_DELAY", 60.0)
        self.crawl_delay_max = settings.getfloat("TDMCRAWL_CRAWL_DELAY_MAX", 30.0)
        self.fetch_tdmrep = settings.getbool("TDMCRAWL_FETCH_TDMREP", True)
        self.fetch_aitxt = settings.getbool("TDMCRAWL_FETCH_AITXT", True)
        self.fetch_rsl = settings.getbool("TDMCRAWL_FETCH_RSL", True)
        self.allow_private = settings.getbool("TDMCRAWL_ALLOW_PRIVATE_ADDRESSES", False)
        self.download_maxsize = settings.getint("DOWNLOAD_MAXSIZE")
        self.decompression_ratio = settings.getfloat("TDMCRAWL_DECOMPRESSION_RATIO", 100.0)
        self.decompression_floor = settings.getint("TDMCRAWL_DECOMPRESSION_FLOOR", 1024 * 1024)
        self.allowed_addresses: set[str] = set()
        self._dns: dict[str, tuple[float, tuple[str, ...]]] = {}
        self.origins: dict[str, _OriginEntry] = {}
        self._light_rights: dict[int, tuple[OriginRights, OriginRights]] = {}
        self.min_delays: dict[str, float] = {}
        self.cache = None
        if settings.get("TDMCRAWL_REDIS_URL"):
            from crawler.cluster import RedisPolicyCache

            self.cache = RedisPolicyCache(settings.get("TDMCRAWL_REDIS_URL"), self.context.crawl_id, self.ttl)
        self._stopping = False
        self._load_registries(settings)
        crawler.signals.connect(self._headers_received, signal=signals.headers_received)
        crawler.signals.connect(self._bytes_received, signal=signals.bytes_received)
        crawler.signals.connect(self._spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self._spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)

    def _load_registries(self, settings: Any) -> None:
        """Local registry files and a Spawning-style API. A file we cannot read,
        or a registry we could not ask, is never read as "no opt-out"."""
        from pathlib import Path

        from scrapy.exceptions import UsageError

        from crawler.registry_client import UNAVAILABLE_POLICIES, SpawningRegistry
        from crawler.rights.registry import LocalRegistry

        self.local_registries = []
        for name in settings.getlist("TDMCRAWL_REGISTRY_FILES"):
            path = Path(name)
            try:
                text = path.read_text("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(f"cannot read registry file {path}: {exc}") from None
            registry = LocalRegistry.parse(text, str(path), name=f"local:{path.name}")
            dropped = [m for m in registry.malformed if not m.kept]
            if dropped:
                raise UsageError(f"registry file {path}: unreadable line(s) {', '.join(str(m.line) for m in dropped[:10])}")
            for problem in registry.malformed:
                logger.warning("registry file %s line %d: %s", path, problem.line, problem.problem)
            self.local_registries.append(registry)
        self.registry_unavailable = settings.get("TDMCRAWL_REGISTRY_UNAVAILABLE") or "stop"
        if self.registry_unavailable not in UNAVAILABLE_POLICIES:
            raise UsageError(f"TDMCRAWL_REGISTRY_UNAVAILABLE must be one of {', '.join(UNAVAILABLE_POLICIES)}")
        self.registry = SpawningRegistry.from_settings(settings)
        honoured = "registry" in self.profile.honoured
        if self.registry is not None and not self.registry.has_key and self.registry_unavailable == "stop" and honoured:
            raise UsageError(f"could not start: the opt-out registry {self.registry.endpoint} cannot be asked ({self.registry.missing_key_note()})")

    async def _registry_findings(self, request: Request) -> list[Finding] | None:
        """Findings of every registry for this URL; None when the crawl must stop
        because a registry could not be asked."""
        from crawler.rights.registry import registry_findings

        found: list[Finding] = []
        for registry in self.local_registries:
            found.extend(registry_findings(registry.match(request.url), registry.name))
        if self.registry is not None:
            result = await self.registry.check(request.url)
            if result.opted_out is None and self.registry_unavailable == "stop" and "registry" in self.profile.honoured:
                return None
            found.extend(result.findings())
        return found

    @classmethod
    def from_crawler(cls, crawler: Any) -> "RightsMiddleware":
        middleware = cls(crawler)
        crawler.tdmcrawl_rights = middleware  # the politeness extension reads min_delays
        return middleware

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

        blocked = await self._address_check(origin.host, seed=bool(request.meta.get(META_SEED)))
        if blocked is not None:
            self._exclude(request, "private-address", (blocked,), stage=STAGE_REQUEST)

        state = await self._origin_rights(origin)
        if isinstance(state, _Unreachable):
            if not state.exhausted:
                self._park(origin, request)
                raise Parked(f"waiting for {origin}/robots.txt ({state.note})")
            finding = robots_unreachable_finding(origin.url("/robots.txt"), state.reason, state.note)
            self._exclude(request, state.reason, finding.evidence, stage=STAGE_REQUEST)

        if request.meta.get(META_SITEMAP):
            # A sitemap is read only where robots.txt allows; it is not a document.
            if not state.robots.can_fetch(request.url, self.token).allowed:
                raise IgnoreRequest(f"sitemap disallowed by robots.txt: {request.url}")
            return None
        assessment = assess_request(request.url, state, self.token)
        assessment = replace(assessment, origin=self._light(state))
        if self.local_registries or self.registry is not None:
            registry = await self._registry_findings(request)
            if registry is None:
                # Never read an unanswered registry as "no opt-out": stop; a resumed crawl asks again.
                logger.error("the opt-out registry could not be asked (%s); stopping the crawl", self.registry.endpoint if self.registry else "")
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
            )
        request.meta[META_ASSESSMENT] = assessment
        return None

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
    ) -> None:
        redirects = request.meta.get("redirect_urls") or []
        record_decision(
            self.crawler,
            DecisionRecord(
                url=redirects[0] if redirects else request.url,
                decision=decision,
                reason=reason,
                evidence=evidence,
                stage=stage,
                final_url=request.url if redirects else None,
                fetch_status=status,
                depth=request.meta.get("depth", 0),
                via=request.meta.get("tdmcrawl_via"),
                policy_digests=policy_digests,
                reservations=reservations,
                input_ref=request.meta.get(META_INPUT),
            ),
        )
        raise Decided(f"{decision}: {reason}")

    async def _spider_opened(self, spider: Any = None) -> None:
        """Seeds on non-public addresses allow those addresses for the whole crawl,
        also when a resumed crawl does not request its seeds again."""
        for url in getattr(spider, "seeds", None) or ():
            await self._address_check(origin_of(url).host, seed=True)

    # ------------------------------------------------------------------ addresses
    async def _resolve(self, host: str) -> tuple[str, ...]:
        cached = self._dns.get(host)
        now = time.monotonic()
        if cached and cached[0] > now:
            return cached[1]
        try:
            infos = await asyncio.get_running_loop().run_in_executor(
                None, lambda: socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
            )
            addresses = tuple(dict.fromkeys(info[4][0] for info in infos))
        except (OSError, UnicodeError):
            addresses = ()
        self._dns[host] = (now + 300, addresses)
        return addresses

    async def _address_check(self, host: str, *, seed: bool) -> Evidence | None:
        """Evidence when the host resolves to a non-public address we may not use;
        every answer counts. A seed that resolves to such an address allows those
        addresses for the rest of the crawl (local and demo crawls)."""
        if self.allow_private:
            return None
        addresses = await self._resolve(host)
        private = [(a, address_class(a)) for a in addresses if address_class(a) != "public"]
        if seed and private:
            self.allowed_addresses.update(a for a, _ in private)
            return None
        blocked = [(a, kind) for a, kind in private if a not in self.allowed_addresses]
        if not blocked:
            return None
        listed = ", ".join(f"{a} ({kind})" for a, kind in blocked)
        return Evidence("address", f"dns:{host}", listed, note="non-public address; use --allow-private-addresses to crawl it")

    # ------------------------------------------------------------------ origins
    async def _origin_rights(self, origin: Origin) -> OriginRights | _Unreachable:
        key = str(origin)
        entry = self.origins.setdefault(key, _OriginEntry())
        while entry.fetching is not None:
            await asyncio.shield(entry.fetching)
        now = time.time()
        if entry.unreachable is not None:
            if entry.unreachable.exhausted or entry.unreachable.retry_at > now:
                return entry.unreachable
        elif entry.rights is not None and is_fresh(entry.fetched_at, now, self.ttl):
            return entry.rights
        entry.fetching = asyncio.get_running_loop().create_future()
        try:
            result = await self._load_origin(origin, entry)
        finally:
            fetching, entry.fetching = entry.fetching, None
            fetching.set_result(None)
        return result

    async def _load_origin(self, origin: Origin, entry: _OriginEntry) -> OriginRights | _Unreachable:
        robots_url = origin.url("/robots.txt")
        fetched = await self._fetch_policy_file(robots_url, "robots")
        robots_file, robots, outcome = self._read_robots(fetched)
        if outcome.kind == UNREACHABLE:
            if use_last_good(outcome, entry.last_good_robots is not None):
                last = entry.last_good_file
                robots = entry.last_good_robots  # type: ignore[assignment]
                robots_file = PolicyFile(
                    "robots", robots_url, "last-good-copy", fetched.status, last.fetched_at if last else None,
                    last.digest if last else None, note=f"now {outcome.state}: {outcome.note}",
                )
            else:
                attempts = (entry.unreachable.attempts if entry.unreachable else 0) + 1
                plan = retry_plan(attempts, retries=self.retry_times, base_delay=self.retry_delay)
                reason = outcome.reason or "robots-unreachable"
                entry.unreachable = _Unreachable(reason, outcome.note, attempts, plan.exhausted, time.time() + plan.delay)
                self.crawler.stats.inc_value(f"tdmcrawl/robots/{reason}")
                if plan.exhausted:
                    logger.warning("%s unreachable after %d attempts (%s): its URLs are excluded", robots_url, attempts, outcome.note)
                    self._release_parked(origin, entry)
                else:
                    logger.info("%s unreachable (%s); retry %d/%d in %.1fs", robots_url, outcome.note, attempts, self.retry_times, plan.delay)
                    self._schedule_retry(origin, entry, plan.delay)
                return entry.unreachable
        else:
            entry.last_good_robots, entry.last_good_file = robots, robots_file
        entry.unreachable = None

        extra_findings: list[Finding] = []
        tdmrep = aitxt = None
        tdmrep_file = aitxt_file = None
        rsl_docs: list[RslDocument] = []
        rsl_files: list[PolicyFile] = []
        everything_disallowed = not robots.can_fetch(origin.url("/"), self.token).allowed and not robots.can_fetch(origin.url("/.well-known/tdmrep.json"), self.token).allowed
        jobs = []
        if self.fetch_tdmrep and not everything_disallowed:
            jobs.append(("tdmrep", origin.url("/.well-known/tdmrep.json")))
        if self.fetch_aitxt and not everything_disallowed:
            jobs.append(("ai-txt", origin.url("/ai.txt")))
        if self.fetch_rsl and not everything_disallowed:
            for value, _line in robots.global_records("license")[:MAX_RSL_DOCUMENTS]:
                jobs.append(("rsl", urljoin(robots_url, value.strip())))
        # A well-known file robots.txt disallows for us is not read either.
        jobs = [(kind, url) for kind, url in jobs if kind == "rsl" or robots.can_fetch(url, self.token).allowed]
        results = await asyncio.gather(*(self._fetch_policy_file(url, kind) for kind, url in jobs))
        for (kind, url), fetched in zip(jobs, results):
            status = fetched.status
            if kind == "tdmrep":
                if fetched.error or (status is not None and (status >= 500 or status == 429)):
                    tdmrep = TdmRepFile.unreachable(url, fetched.error or f"HTTP {status}")
                    extra_findings.append(
                        Finding("tdmrep", "tdmrep-unreachable", FindingKind.USE, True, Usage(train=Use.DENY, tdm=Use.DENY),
                                (Evidence("tdmrep", url, fetched.error or f"HTTP {status}", note="tdmrep.json could not be read; reservation unknown"),))
                    )
                else:
                    tdmrep = TdmRepFile.parse(fetched.body, status=status or 0, content_type=fetched.content_type, source_url=url)
                tdmrep_file = self._policy_file(kind, fetched, tdmrep.state)
            elif kind == "ai-txt":
                if fetched.error or status is None:
                    aitxt = AiTxt.absent(url, fetched.error or "no response")
                else:
                    aitxt = AiTxt.parse(fetched.body, status=status, content_type=fetched.content_type, source_url=url)
                aitxt_file = self._policy_file(kind, fetched, aitxt.state)
            else:
                if fetched.error or status is None or not (200 <= status < 300):
                    document = RslDocument.unavailable(url, fetched.error or f"HTTP {status}")
                    # RSL: the licence must be read before the site is used.
                    extra_findings.append(
                        Finding("rsl", "rsl-unreachable", FindingKind.FETCH, True, evidence=(Evidence("rsl", url, fetched.error or f"HTTP {status}", note="RSL licence named in robots.txt could not be read"),))
                    )
                else:
                    document = RslDocument.parse(fetched.body, source_url=url)
                rsl_docs.append(document)
                rsl_files.append(self._policy_file(kind, fetched, document.state))

        rights = OriginRights(
            origin=str(origin),
            robots=robots,
            robots_file=robots_file,
            tdmrep=tdmrep,
            tdmrep_file=tdmrep_file,
            aitxt=aitxt,
            aitxt_file=aitxt_file,
            rsl=tuple(rsl_docs),
            rsl_files=tuple(rsl_files),
            unreachable_findings=tuple(extra_findings),
        )
        entry.rights = rights
        entry.fetched_at = time.time()
        self._apply_crawl_delay(origin, robots)
        self._release_parked(origin, entry)
        self.crawler.signals.send_catch_log(origin_rights_loaded, origin=str(origin), rights=rights)
        return rights

    def _read_robots(self, fetched: _Fetched) -> tuple[PolicyFile, RobotsTxt, RobotsOutcome]:
        """The file's record, its rules (none unless 2xx) and what the outcome means."""
        outcome = robots_outcome(fetched.status, error=fetched.error, redirect_limit=fetched.redirect_limit)
        if outcome.kind == OK:
            robots = RobotsTxt.parse(fetched.body, source_url=fetched.url)
            state = "ok-truncated" if robots.truncated or fetched.truncated else "ok"
        else:
            robots = RobotsTxt.allow_all(fetched.url, outcome.note)
            state = outcome.state
        return self._policy_file("robots", fetched, state), robots, outcome

    def _policy_file(self, kind: str, fetched: _Fetched, state: str) -> PolicyFile:
        # The worker that fetched a file archives it; the others (cluster) link to it by the same digest.
        digest = self._archive_policy_file(fetched) if fetched.response is not None else (sha1_base32(fetched.body) if fetched.status is not None else None)
        return PolicyFile(
            kind=kind,
            url=fetched.url,
            status=state,
            http_status=fetched.status,
            fetched_at=fetched.fetched_at,
            digest=digest,
            truncated=fetched.truncated,
            note=" -> ".join(fetched.hops) if fetched.hops else (fetched.error or ""),
        )

    def _archive_policy_file(self, fetched: _Fetched) -> str | None:
        """The capture of a policy file goes to ``policy/``; its payload digest
        links decisions and documents to it."""
        try:
            from pipelines.warc import WarcSets, build_capture_records
        except ImportError:  # pragma: no cover - pipelines package not installed
            return None
        response = fetched.response
        assert response is not None
        capture = capture_from_response(response, fetched_at=fetched.fetched_at, truncated="length" if fetched.truncated else None)
        sets = WarcSets.for_crawler(self.crawler)
        if sets.closed:
            return None
        metadata = [("policy-file", fetched.url), ("redirects", " -> ".join(fetched.hops))]
        written: dict[str, Any] = {}

        def build(warcinfo_id: str) -> Any:
            records = build_capture_records(capture, warcinfo_id=warcinfo_id, metadata=metadata)
            written["digest"] = records.payload_digest
            return records.records

        sets.policy.write_now(build)
        return written.get("digest")

    async def _fetch_policy_file(self, url: str, kind: str) -> _Fetched:
        if self.cache is None:
            return await self._download_policy_file(url, kind)
        cached = self.cache.get(url)
        if cached is None:
            if self.cache.try_lock(url):
                cached = self.cache.get(url)  # another worker may have stored it between our get and our lock
                if cached is not None:
                    self.cache.unlock(url)
            else:
                cached = await self.cache.wait_for(url)
        if cached is not None:
            self.crawler.stats.inc_value(f"tdmcrawl/policy/{kind}/shared")
            return _Fetched(cached["url"], cached["status"], cached["body"], cached["content_type"], cached["error"], tuple(cached["hops"]), cached["fetched_at"], cached["truncated"], None, cached["redirect_limit"])
        try:
            fetched = await self._download_policy_file(url, kind)
            failed = fetched.error is not None or fetched.status is None or fetched.status >= 500 or fetched.status == 429
            self.cache.put(
                url,
                {"url": fetched.url, "status": fetched.status, "body": fetched.body, "content_type": fetched.content_type, "error": fetched.error,
                 "hops": list(fetched.hops), "fetched_at": fetched.fetched_at, "truncated": fetched.truncated, "redirect_limit": fetched.redirect_limit},
                ttl=self.retry_delay if failed else self.ttl,
            )
            return fetched
        finally:
            self.cache.unlock(url)

    async def _download_policy_file(self, url: str, kind: str) -> _Fetched:
        hops: list[str] = []
        started = time.time()
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            target = origin_of(current)
            blocked = await self._address_check(target.host, seed=False)
            if blocked is not None:
                return _Fetched(url, None, b"", None, f"private address: {blocked.value}", tuple(hops), started, False)
            request = Request(
                current,
                callback=NO_CALLBACK,
                priority=1000,
                dont_filter=True,
                headers={"Accept-Encoding": "identity"},
                meta={
                    META_POLICY_FILE: kind,
                    "dont_redirect": True,
                    "dont_retry": True,
                    "handle_httpstatus_all": True,
                    "allow_offsite": True,
                    "download_slot": str(target),
                    # Cut at POLICY_FILE_MAX_BYTES by _bytes_received; this only bounds decompression.
                    "download_maxsize": 8 * 1024 * 1024,
                },
            )
            try:
                response = await self.crawler.engine.download_async(request)
            except Exception as exc:
                self.crawler.stats.inc_value(f"tdmcrawl/policy/{kind}/error")
                return _Fetched(url, None, b"", None, f"{type(exc).__name__}: {exc}"[:300], tuple(hops), started, False)
            self.crawler.stats.inc_value(f"tdmcrawl/policy/{kind}/status/{response.status}")
            location = response.headers.get("Location")
            if 300 <= response.status < 400 and location:
                hops.append(current)
                current = urljoin(current, location.decode("latin-1"))
                continue
            content_type = response.headers.get("Content-Type")
            return _Fetched(
                url,
                response.status,
                response.body,
                content_type.decode("latin-1") if content_type else None,
                None,
                tuple(hops),
                started,
                bool(request.meta.get(META_TRUNCATED)),
                response,
            )
        return _Fetched(url, None, b"", None, None, tuple(hops), started, False, redirect_limit=True)

    # ------------------------------------------------------------------ parking
    def _park(self, origin: Origin, request: Request) -> None:
        self.origins[str(origin)].parked.append(request)
        self.crawler.stats.inc_value("tdmcrawl/robots/parked")

    def _schedule_retry(self, origin: Origin, entry: _OriginEntry, delay: float) -> None:
        if entry.retry_handle is not None:
            entry.retry_handle.cancel()
        loop = asyncio.get_running_loop()
        entry.retry_handle = loop.call_later(delay, lambda: asyncio.ensure_future(self._retry(origin)))

    async def _retry(self, origin: Origin) -> None:
        entry = self.origins[str(origin)]
        entry.retry_handle = None
        if entry.unreachable is not None:
            entry.unreachable.retry_at = 0.0
        await self._origin_rights(origin)

    def _release_parked(self, origin: Origin, entry: _OriginEntry) -> None:
        """Send parked requests again (they are re-judged) or, when the retries
        are spent, record them as excluded."""
        parked, entry.parked = entry.parked, []
        for request in parked:
            if entry.unreachable is not None and entry.unreachable.exhausted:
                finding = robots_unreachable_finding(origin.url("/robots.txt"), entry.unreachable.reason, entry.unreachable.note)
                try:
                    self._exclude(request, entry.unreachable.reason, finding.evidence, stage=STAGE_REQUEST)
                except Decided:
                    pass
            else:
                self.crawler.engine.crawl(request.replace(dont_filter=True))

    def _spider_idle(self, spider: Any = None) -> None:
        if any(entry.parked or entry.retry_handle is not None for entry in self.origins.values()):
            raise DontCloseSpider

    def _spider_closed(self, spider: Any = None) -> None:
        if self.registry is not None:
            for key, value in self.registry.stats.items():
                self.crawler.stats.set_value(f"tdmcrawl/registry/{key}", value)
            self.registry.close()
        for entry in self.origins.values():
            if entry.retry_handle is not None:
                entry.retry_handle.cancel()
                entry.retry_handle = None

    # ------------------------------------------------------------------ politeness
    def _apply_crawl_delay(self, origin: Origin, robots: RobotsTxt) -> None:
        delay = robots.crawl_delay(self.token) or 0.0
        rate = robots.request_rate(self.token)
        if rate:
            requests, seconds = rate
            delay = max(delay, seconds / max(1, requests))
        if delay <= 0:
            return
        if delay > self.crawl_delay_max:
            logger.info("%s asks for a %.1fs delay; capped at %.1fs", origin, delay, self.crawl_delay_max)
            self.crawler.stats.inc_value("tdmcrawl/politeness/crawl_delay_capped")
            delay = self.crawl_delay_max
        key = str(origin)
        self.min_delays[key] = delay
        downloader = self.crawler.engine.downloader
        settings = downloader.per_slot_settings.setdefault(key, {})
        settings["delay"] = max(float(settings.get("delay", 0.0)), delay, downloader._delay)
        settings["jitter"] = 0.0  # Crawl-delay is a minimum: no random shortening below it
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, delay)
            slot.jitter = 0.0

    # ------------------------------------------------------------------ responses
    def _bytes_received(self, data: bytes, request: Request, spider: Any = None) -> None:
        received = request.meta.get("tdmcrawl_received", 0) + len(data)
        request.meta["tdmcrawl_received"] = received  # lets a cancelled download be told apart: too big, or not
        if not request.meta.get(META_POLICY_FILE):
            return
        if received > POLICY_FILE_MAX_BYTES.get(request.meta[META_POLICY_FILE], POLICY_FILE_MAX_BYTES["robots"]):
            # Keep what was read (at least the 500 KiB RFC 9309 asks us to parse);
            # an oversized file is cut, never turned into "allow all".
            request.meta[META_TRUNCATED] = True
            raise StopDownload(fail=False)

    def _headers_received(self, headers: Any, body_length: int, request: Request, spider: Any = None) -> None:
        if request.meta.get(META_POLICY_FILE):
            return
        encoding = headers.get("Content-Encoding")
        if encoding:
            request.meta[META_ENCODING] = encoding.decode("latin-1")
            if body_length and body_length > 0 and self.decompression_ratio > 0:
                # A decompression ratio limit: a small compressed body may not expand past
                # ratio × its size (HttpCompressionMiddleware enforces download_maxsize while decoding).
                ceiling = max(self.decompression_floor, int(body_length * self.decompression_ratio))
                request.meta["download_maxsize"] = min(request.meta.get("download_maxsize", self.download_maxsize) or ceiling, ceiling)
        assessment: RightsAssessment | None = request.meta.get(META_ASSESSMENT)
        if assessment is None or headers.get("Location"):
            return  # not ours, or a redirect: its target is judged on its own
        pairs = header_pairs(headers)
        request.meta[META_ORIGINAL_HEADERS] = pairs
        content_type = (headers.get("Content-Type") or b"").decode("latin-1").split(";", 1)[0].strip().lower()
        if content_type and content_type not in HTML_TYPES:
            request.meta[META_STOP] = ("not-html", (Evidence("http", "header:Content-Type", content_type, note="only HTML pages are stored"),), (), ())
            raise StopDownload(fail=False)
        judged = assessment.with_headers(None, pairs)
        request.meta[META_ASSESSMENT] = judged
        decision = judged.decide(self.profile)
        if decision.excluded:
            request.meta[META_STOP] = (decision.reason, decision.evidence, judged.origin.digests, decision.reservations)
            raise StopDownload(fail=False)

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


def capture_from_response(response: Response, *, fetched_at: float | None = None, truncated: str | None = None) -> Capture:
    """The facts of a Scrapy response as a :class:`Capture` (decoded body; the
    Content-Encoding the server sent, seen at ``headers_received``, kept)."""
    request = response.request
    meta = request.meta if request is not None else {}
    latency = meta.get("download_latency")
    started = fetched_at if fetched_at is not None else (time.time() - latency if latency else time.time())
    redirects = tuple(meta.get("redirect_urls") or ())
    headers = header_pairs(response.headers)
    original = meta.get(META_ENCODING)
    if original and any(k.lower() == "content-encoding" for k, _ in headers):
        original = None  # Scrapy could not decode it: the body is still encoded
    protocol = getattr(response, "protocol", None)
    return Capture(
        url=response.url,
        status=response.status,
        response_headers=tuple(headers),
        body=response.body,
        fetched_at=started,
        method=request.method if request is not None else "GET",
        request_headers=tuple(header_pairs(request.headers)) if request is not None else (),
        original_encoding=original,
        ip_address=str(response.ip_address) if getattr(response, "ip_address", None) else None,
        protocol=protocol,
        truncated=truncated or ("length" if "download_stopped" in (response.flags or []) else None),
        download_latency=latency,
        redirect_chain=redirects,
        via=meta.get("tdmcrawl_via"),
        depth=meta.get("depth", 0),
        hops=meta.get("tdmcrawl_hops", ""),
    )


def excluded_failure_record(request: Request, reason: str, note: str, status: int | None = None) -> DecisionRecord:
    redirects = request.meta.get("redirect_urls") or []
    assessment: RightsAssessment | None = request.meta.get(META_ASSESSMENT)
    return DecisionRecord(
        url=redirects[0] if redirects else request.url,
        decision=FAILED,
        reason=reason,
        evidence=(Evidence("http", request.url, note),),
        stage="fetch",
        final_url=request.url if redirects else None,
        fetch_status=status,
        depth=request.meta.get("depth", 0),
        via=request.meta.get("tdmcrawl_via"),
        policy_digests=digests(assessment.origin.digests) if assessment else (),
    )
