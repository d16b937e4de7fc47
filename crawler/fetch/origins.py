"""Origins and their policy files: what each origin (scheme + host + port)
says, loaded once and trusted for ``ttl`` seconds.

Owns the per-origin state: robots.txt first (RFC 9309: 2xx rules, 4xx allow
all, 5xx/429/network error unreachable), then tdmrep.json, ai.txt and the RSL
documents robots.txt names; an unreachable robots.txt parks the origin's
requests and retries with back-off, falls back to the last good copy when
there is one, and excludes the parked requests when the retries are spent.
Sends ``origin_rights_loaded`` each time an origin's rights are (re)loaded,
then (with a :class:`crawler.fetch.terms.TermsFinder` in ``terms``) looks up the
origin's terms of service before its parked requests go: politeness knows the
origin's Crawl-delay by then, so the terms lookup keeps to it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urljoin

from scrapy import Request

from crawler.fetch.policy_files import Fetched, PolicyFiles
from crawler.rights.aitxt import AiTxt
from crawler.rights.evidence import Evidence, Finding, FindingKind, Usage, Use
from crawler.rights.robots import RobotsTxt
from crawler.rights.robotsfetch import OK, UNREACHABLE, RobotsOutcome, is_fresh, retry_plan, robots_outcome, use_last_good
from crawler.rights.rsl import RslDocument
from crawler.rights.stages import OriginRights, PolicyFile, robots_unreachable_finding
from crawler.rights.tdmrep import TdmRepFile
from crawler.signals import origin_rights_loaded
from crawler.urls import Origin

logger = logging.getLogger(__name__)

MAX_RSL_DOCUMENTS = 3


@dataclass
class Unreachable:
    """robots.txt of an origin cannot be obtained right now."""

    reason: str
    note: str
    attempts: int
    exhausted: bool = False
    retry_at: float = 0.0

    def finding(self, origin: Origin) -> Finding:
        return robots_unreachable_finding(origin.url("/robots.txt"), self.reason, self.note)


@dataclass
class _OriginEntry:
    rights: OriginRights | None = None
    fetched_at: float = 0.0
    last_good_robots: RobotsTxt | None = None
    last_good_file: PolicyFile | None = None
    unreachable: Unreachable | None = None
    fetching: asyncio.Future | None = None
    parked: list[Request] = field(default_factory=list)
    retry_handle: asyncio.TimerHandle | None = None


# Called for each parked request when its origin's retries are spent.
ExcludeParked = Callable[[Request, Unreachable, Origin], None]


class Origins:
    def __init__(
        self,
        crawler: Any,
        files: PolicyFiles,
        *,
        token: str,
        ttl: float,
        retry_times: int,
        retry_delay: float,
        fetch_tdmrep: bool,
        fetch_aitxt: bool,
        fetch_rsl: bool,
        exclude_parked: ExcludeParked,
    ):
        self.crawler = crawler
        self.files = files
        self.token = token
        self.ttl = ttl
        self.retry_times = retry_times
        self.retry_delay = retry_delay
        self.fetch_tdmrep = fetch_tdmrep
        self.fetch_aitxt = fetch_aitxt
        self.fetch_rsl = fetch_rsl
        self.exclude_parked = exclude_parked
        self.entries: dict[str, _OriginEntry] = {}
        self.terms: Any = None  # a crawler.fetch.terms.TermsFinder, when terms of service are looked up

    async def rights(self, origin: Origin) -> OriginRights | Unreachable:
        """The origin's rights, loaded once (concurrent callers wait for the one load)."""
        entry = self.entries.setdefault(str(origin), _OriginEntry())
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
            result = await self._load(origin, entry)
        finally:
            fetching, entry.fetching = entry.fetching, None
            fetching.set_result(None)
        return result

    async def _load(self, origin: Origin, entry: _OriginEntry) -> OriginRights | Unreachable:
        robots_url = origin.url("/robots.txt")
        fetched = await self.files.fetch(robots_url, "robots")
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
                return self._unreachable(origin, entry, outcome, robots_url)
        else:
            entry.last_good_robots, entry.last_good_file = robots, robots_file
        entry.unreachable = None
        rights = await self._with_other_files(origin, robots, robots_file)
        self.crawler.signals.send_catch_log(origin_rights_loaded, origin=str(origin), rights=rights)
        if self.terms is not None:
            rights = await self.terms.add_to(origin, rights)
        entry.rights = rights
        entry.fetched_at = time.time()
        self._release_parked(origin, entry)
        return rights

    async def robots_of(self, origin: Origin) -> RobotsTxt | None:
        """robots.txt of an origin, for one request to it outside its own crawl
        (a terms page linked from another host): the origin's copy when it is
        loaded, else fetched (and archived) now; None when it is unreachable."""
        entry = self.entries.get(str(origin))
        if entry is not None and entry.rights is not None:
            return entry.rights.robots
        fetched = await self.files.fetch(origin.url("/robots.txt"), "robots")
        _file, robots, outcome = self._read_robots(fetched)
        return None if outcome.kind == UNREACHABLE else robots

    def _unreachable(self, origin: Origin, entry: _OriginEntry, outcome: RobotsOutcome, robots_url: str) -> Unreachable:
        attempts = (entry.unreachable.attempts if entry.unreachable else 0) + 1
        plan = retry_plan(attempts, retries=self.retry_times, base_delay=self.retry_delay)
        reason = outcome.reason or "robots-unreachable"
        entry.unreachable = Unreachable(reason, outcome.note, attempts, plan.exhausted, time.time() + plan.delay)
        self.crawler.stats.inc_value(f"tdmcrawl/robots/{reason}")
        if plan.exhausted:
            logger.warning("%s unreachable after %d attempts (%s): its URLs are excluded", robots_url, attempts, outcome.note)
            self._release_parked(origin, entry)
        else:
            logger.info("%s unreachable (%s); retry %d/%d in %.1fs", robots_url, outcome.note, attempts, self.retry_times, plan.delay)
            self._schedule_retry(origin, entry, plan.delay)
        return entry.unreachable

    def _read_robots(self, fetched: Fetched) -> tuple[PolicyFile, RobotsTxt, RobotsOutcome]:
        """The file's record, its rules (none unless 2xx) and what the outcome means."""
        outcome = robots_outcome(fetched.status, error=fetched.error, redirect_limit=fetched.redirect_limit)
        if outcome.kind == OK:
            robots = RobotsTxt.parse(fetched.body, source_url=fetched.url)
            state = "ok-truncated" if robots.truncated or fetched.truncated else "ok"
        else:
            robots = RobotsTxt.allow_all(fetched.url, outcome.note)
            state = outcome.state
        return self.files.record("robots", fetched, state), robots, outcome

    async def _with_other_files(self, origin: Origin, robots: RobotsTxt, robots_file: PolicyFile) -> OriginRights:
        """tdmrep.json, ai.txt and RSL, read where robots.txt lets us."""
        robots_url = robots_file.url
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
        results = await asyncio.gather(*(self.files.fetch(url, kind) for kind, url in jobs))
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
                tdmrep_file = self.files.record(kind, fetched, tdmrep.state)
            elif kind == "ai-txt":
                if fetched.error or status is None:
                    aitxt = AiTxt.absent(url, fetched.error or "no response")
                else:
                    aitxt = AiTxt.parse(fetched.body, status=status, content_type=fetched.content_type, source_url=url)
                aitxt_file = self.files.record(kind, fetched, aitxt.state)
            else:
                if fetched.error or status is None or not (200 <= status < 300):
                    document = RslDocument.unavailable(url, fetched.error or f"HTTP {status}")
                    # RSL: the licence must be read before the site is used.
                    extra_findings.append(
                        Finding("rsl", "rsl-unreachable", FindingKind.FETCH, True, evidence=(Evidence("rsl", url, fetched.error or f"HTTP {status}",
                            note="RSL licence named in robots.txt could not be read"),))
                    )
                else:
                    document = RslDocument.parse(fetched.body, source_url=url)
                rsl_docs.append(document)
                rsl_files.append(self.files.record(kind, fetched, document.state))
        return OriginRights(
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

    # ------------------------------------------------------------------ parking
    def park(self, origin: Origin, request: Request) -> None:
        self.entries[str(origin)].parked.append(request)
        self.crawler.stats.inc_value("tdmcrawl/robots/parked")

    def _schedule_retry(self, origin: Origin, entry: _OriginEntry, delay: float) -> None:
        if entry.retry_handle is not None:
            entry.retry_handle.cancel()
        loop = asyncio.get_running_loop()
        entry.retry_handle = loop.call_later(delay, lambda: asyncio.ensure_future(self._retry(origin)))

    async def _retry(self, origin: Origin) -> None:
        entry = self.entries[str(origin)]
        entry.retry_handle = None
        if entry.unreachable is not None:
            entry.unreachable.retry_at = 0.0
        await self.rights(origin)

    def _release_parked(self, origin: Origin, entry: _OriginEntry) -> None:
        """Send parked requests again (they are re-judged) or, when the retries
        are spent, have them excluded."""
        parked, entry.parked = entry.parked, []
        for request in parked:
            if entry.unreachable is not None and entry.unreachable.exhausted:
                self.exclude_parked(request, entry.unreachable, origin)
            else:
                self.crawler.engine.crawl(request.replace(dont_filter=True))

    def waiting(self) -> bool:
        """Requests are parked or a retry is scheduled (the spider must stay open)."""
        return any(entry.parked or entry.retry_handle is not None for entry in self.entries.values())

    def close(self) -> None:
        for entry in self.entries.values():
            if entry.retry_handle is not None:
                entry.retry_handle.cancel()
                entry.retry_handle = None
