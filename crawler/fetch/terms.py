"""Finding, fetching and reading an origin's terms of service.

Owns the lookup the origins make after robots.txt and the well-known files,
before any page of the origin is requested (its requests wait for it, like
for robots.txt): the home page ``/`` is read for a link to the terms
(``<link rel="terms-of-service">``, then link text, then link path:
:func:`crawler.rights.tos.discover_terms`); without one, a few common paths in
the page's language are tried (a page found there counts only if it names
itself terms); a subdomain whose own home page links no terms takes those its
registered domain's home page links. robots.txt decides every one of these
fetches, and none is made for a URL a site-wide reservation or an opt-out
registry already excludes. The terms page as fetched is archived like any
policy file (its digest is in ``policy_digests`` and ``tos_digest``); the home
page read for the link is archived without its body (the request is on record;
the page itself is archived only if the crawl stores it).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Awaitable, Callable

from crawler.fetch.addresses import AddressGuard
from crawler.fetch.policy_files import PolicyFiles
from crawler.fetch.registries import Registries
from crawler.rights import tos as terms
from crawler.rights.evidence import Evidence, Finding, FindingKind, Usage, Use
from crawler.rights.policy import PolicyProfile
from crawler.rights.robots import RobotsTxt
from crawler.rights.stages import OriginRights, PolicyFile, assess_request
from crawler.urls import Origin, origin_of, parent_origins, registered_domain

TERMS_CANDIDATES = 3  # linked terms URLs tried, best first
HOME_PAGES_KEPT = 64  # home pages held for the crawl's own request of them (each at most 1 MB, see POLICY_FILE_MAX_BYTES)
TERMS_MEDIA_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "text/markdown")

Found = tuple[terms.SiteTerms, PolicyFile]
RobotsOf = Callable[[Origin], Awaitable[RobotsTxt | None]]


class TermsFinder:
    """Looks up one origin's terms for the :class:`crawler.fetch.origins.Origins`.
    ``robots_of`` gives another origin's robots.txt (for terms linked on
    another host); ``common_paths`` is how many fallback paths are tried."""

    def __init__(
        self,
        crawler: Any,
        files: PolicyFiles,
        guard: AddressGuard,
        registries: Registries,
        *,
        token: str,
        profile: PolicyProfile,
        common_paths: int,
        robots_of: RobotsOf,
    ):
        self.crawler = crawler
        self.files = files
        self.guard = guard
        self.registries = registries
        self.token = token
        self.profile = profile
        self.common_paths = common_paths
        self.robots_of = robots_of
        self._home_pages: dict[str, tuple[Any, float]] = {}  # URL -> (the home page's Response, fetched at), until the crawl requests it

    def take_home_page(self, url: str) -> tuple[Any, float] | None:
        """The home page this lookup read at ``url`` (whole, not redirected, HTML),
        once: the crawl's own request for that page uses it, so the origin is not
        asked for the same page twice in a row."""
        return self._home_pages.pop(url, None)

    def _keep_home_page(self, home: Any) -> None:
        media = (home.content_type or "").split(";", 1)[0].strip().lower()
        if home.response is None or home.status != 200 or home.truncated or home.hops or media not in ("text/html", "application/xhtml+xml"):
            return
        while len(self._home_pages) >= HOME_PAGES_KEPT:
            del self._home_pages[next(iter(self._home_pages))]  # the oldest: its origin's crawl went elsewhere
        self._home_pages[home.url] = (home.response, home.fetched_at)

    async def add_to(self, origin: Origin, rights: OriginRights) -> OriginRights:
        """``rights`` with the origin's terms (and the record of their capture);
        unchanged for an origin robots.txt closes entirely (none of its pages is fetched)."""
        robots = rights.robots
        if not robots.can_fetch(origin.url("/"), self.token).allowed and not robots.can_fetch(origin.url("/.well-known/tdmrep.json"), self.token).allowed:
            return rights
        site_terms, policy_file = await self.find(origin, rights)
        return replace(rights, tos=site_terms, tos_file=policy_file)

    async def find(self, origin: Origin, rights: OriginRights) -> tuple[terms.SiteTerms, PolicyFile | None]:
        home_url = origin.url("/")
        home_body, home_base, note = b"", home_url, ""
        if await self._may_fetch(home_url, rights):
            home = await self.files.fetch(home_url, "tos-home")
            self.files.note_read(home, "home page read for the link to the terms of service")
            if home.status is not None and 200 <= home.status < 300:
                home_body = home.body
                home_base = home.response.url if home.response is not None else home_url
                self._keep_home_page(home)
            else:
                note = f"home page: {home.error or f'HTTP {home.status}'}"
        else:
            note = "the home page may not be fetched or used (robots.txt, a reservation or an opt-out registry)"
        candidates = [c for c in terms.discover_terms(home_body, home_base) if self._same_site(origin, c)]
        found, failed = await self._fetch_first(origin, candidates[:TERMS_CANDIDATES], rights=rights, page=home_base)
        if found is not None:
            return found
        if failed is not None:
            return self._unreachable(failed[0], failed[1], candidates[0].how, home_base), None
        if not candidates:
            guesses = [terms.TermsLink(origin.url(path), "common-path", 0) for path in terms.common_paths(terms.page_language(home_body))[: self.common_paths]]
            found, _failed = await self._fetch_first(origin, guesses, rights=rights, page=None, must_look_like_terms=True)
            if found is not None:
                return found
            found = await self._from_parent(origin)
            if found is not None:
                return found
        return terms.SiteTerms(terms.NONE, note=note or "no link to terms on the home page and no common path answered with terms"), None

    @staticmethod
    def _same_site(origin: Origin, link: terms.TermsLink) -> bool:
        # An explicit rel="terms-of-service" is the owner's word wherever it points;
        # a link found by its text or path counts only on the same registered domain.
        if link.how == "rel":
            return True
        host = origin_of(link.url).host
        return host == origin.host or registered_domain(host) == registered_domain(origin.host)

    async def _may_fetch(self, url: str, rights: OriginRights | None, robots: RobotsTxt | None = None) -> bool:
        """A request for ``url`` would be sent at all: robots.txt allows it and,
        on an origin whose policy files we hold, nothing the profile honours (a
        site-wide reservation, an opt-out registry) excludes it."""
        if rights is None:
            return robots is not None and robots.can_fetch(url, self.token).allowed
        assessment = assess_request(url, rights, self.token)
        if self.registries.active:
            registry = await self.registries.findings(url)
            if registry is None:
                return False
            assessment = replace(assessment, fixed_findings=assessment.fixed_findings + tuple(registry))
        return not assessment.decide(self.profile).excluded

    async def _fetch_first(
        self, origin: Origin, links: list[terms.TermsLink], *, rights: OriginRights | None, page: str | None,
        must_look_like_terms: bool = False, inherited: bool = False, robots: RobotsTxt | None = None,
    ) -> tuple[Found | None, tuple[str, str] | None]:
        """The first of ``links`` that answers with a terms page, archived and
        read; else None and the last one that could not be fetched (5xx, 429,
        network error) with why."""
        failed = None
        for link in links:
            target = origin_of(link.url)
            if target == origin:
                allowed = await self._may_fetch(link.url, rights, robots)
            else:
                allowed = await self._may_fetch(link.url, None, await self.robots_of(target))
            if not allowed:
                self.crawler.stats.inc_value("tdmcrawl/policy/tos/not-fetched")
                continue
            fetched = await self.files.fetch(link.url, "tos")
            if fetched.failed:
                failed = (link.url, fetched.error or f"HTTP {fetched.status}")
                if fetched.status is not None:
                    self.files.record("tos", fetched, f"unreachable-{fetched.status}")  # archived: every request is accounted for
                continue
            media = (fetched.content_type or "").split(";", 1)[0].strip().lower()
            if (
                not 200 <= (fetched.status or 0) < 300
                or (media and media not in TERMS_MEDIA_TYPES)
                or (must_look_like_terms and not terms.looks_like_terms(fetched.body, fetched.content_type))
            ):
                self.files.record("tos", fetched, f"not-terms-{fetched.status}")  # archived: every request is accounted for
                continue
            policy_file = self.files.record("tos", fetched, "ok-truncated" if fetched.truncated else "ok")
            final_url = fetched.response.url if fetched.response is not None else link.url
            found_by = f"inherited {link.how} on {page}" if inherited else link.as_evidence(page or final_url)
            read = terms.SiteTerms.read(
                fetched.body, content_type=fetched.content_type, url=final_url, digest=policy_file.digest,
                found_by=found_by, page=page, fetched_at=fetched.fetched_at,
            )
            self.crawler.stats.inc_value("tdmcrawl/policy/tos/found")
            for kind in read.kinds():
                self.crawler.stats.inc_value(f"tdmcrawl/policy/tos/{kind}")
            return (read, policy_file), None
        return None, failed

    def _unreachable(self, url: str, why: str, how: str, page: str) -> terms.SiteTerms:
        """A linked terms page that cannot be read is never read as "no
        reservation": like an unreachable tdmrep.json, it reserves."""
        evidence = Evidence("tos", url, why, note=f"the terms of service (found by {how} on {page}) could not be read; reservation unknown")
        finding = Finding("tos", "tos-unreachable", FindingKind.USE, True, Usage(train=Use.DENY, tdm=Use.DENY), (evidence,))
        self.crawler.stats.inc_value("tdmcrawl/policy/tos/unreachable")
        return terms.SiteTerms(terms.UNREACHABLE, url=url, found_by=how, page=page, findings=(finding,), note=why)

    async def _from_parent(self, origin: Origin) -> Found | None:
        """Terms linked from the home page of the origin's registered domain
        (``example.org``, then ``www.example.org``), for a subdomain that links none."""
        for parent in parent_origins(origin):
            if await self.guard.check(parent.host, seed=False) is not None:
                continue
            robots = await self.robots_of(parent)
            if robots is None or not robots.can_fetch(parent.url("/"), self.token).allowed:
                continue
            home = await self.files.fetch(parent.url("/"), "tos-home")
            self.files.note_read(home, "home page read for the link to the terms of service")
            if home.status is None or not 200 <= home.status < 300:
                continue
            base = home.response.url if home.response is not None else parent.url("/")
            links = [c for c in terms.discover_terms(home.body, base) if self._same_site(origin, c)][:TERMS_CANDIDATES]
            found, _failed = await self._fetch_first(parent, links, rights=None, page=base, inherited=True, robots=robots)
            if found is not None:
                return found
        return None
