"""Downloading policy files: robots.txt, tdmrep.json, ai.txt, the RSL
documents robots.txt names, and the terms of service (with the home page read
for the link to them).

Owns how one is fetched: through the engine at high priority, redirects
followed by hand (at most RFC 9309's five, each hop's address checked), no
retries (the origin's back-off decides), the body cut a little past its
parser's limit (an oversized robots.txt is cut, never read as "allow all"), in
a cluster once for every worker (:class:`crawler.cluster.RedisPolicyCache`).
Each file downloaded is announced with ``policy_file_fetched`` (its capture and
payload digest) for the archive; the :class:`PolicyFile` record cites the digest.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urljoin

from scrapy import Request
from scrapy.exceptions import StopDownload
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK

from crawler.fetch.addresses import AddressGuard
from crawler.fetch.responses import capture_from_response
from crawler.model.meta import META_POLICY_FILE, META_TRUNCATED
from crawler.rights.evidence import sha1_base32
from crawler.rights.robots import ROBOTS_PARSE_LIMIT_BYTES
from crawler.rights.robotsfetch import MAX_REDIRECTS
from crawler.rights.rsl import RSL_PARSE_LIMIT_BYTES
from crawler.rights.stages import PolicyFile
from crawler.rights.tdmrep import MAX_FILE_BYTES as TDMREP_MAX_FILE_BYTES
from crawler.rights.tos import MAX_TERMS_BYTES as TERMS_MAX_BYTES
from crawler.signals import policy_file_fetched
from crawler.urls import origin_of

# How much of each policy file is read: a little past each parser's own limit,
# so an oversized file is seen as oversized (and robots.txt is cut, never "allow all").
POLICY_FILE_MAX_BYTES = {
    "robots": ROBOTS_PARSE_LIMIT_BYTES + 16 * 1024,
    "ai-txt": ROBOTS_PARSE_LIMIT_BYTES + 16 * 1024,
    "tdmrep": TDMREP_MAX_FILE_BYTES + 1,
    "rsl": RSL_PARSE_LIMIT_BYTES + 1,
    "tos": TERMS_MAX_BYTES,  # a terms of service page
    "tos-home": 1024 * 1024,  # the home page, read for the link to the terms (not archived)
}


@dataclass(frozen=True)
class Fetched:
    """One policy file as downloaded (or shared by another worker: no ``response``)."""

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

    def as_cached(self) -> dict[str, Any]:
        return {"url": self.url, "status": self.status, "body": self.body, "content_type": self.content_type, "error": self.error,
                "hops": list(self.hops), "fetched_at": self.fetched_at, "truncated": self.truncated, "redirect_limit": self.redirect_limit}

    @classmethod
    def from_cached(cls, cached: dict[str, Any]) -> "Fetched":
        return cls(cached["url"], cached["status"], cached["body"], cached["content_type"], cached["error"], tuple(cached["hops"]),
                   cached["fetched_at"], cached["truncated"], None, cached["redirect_limit"])

    @property
    def failed(self) -> bool:
        return self.error is not None or self.status is None or self.status >= 500 or self.status == 429


class PolicyFiles:
    """Fetches policy files for one crawler. ``cache`` (a cluster's shared
    copies) keeps a file ``ttl`` seconds, a failed fetch ``retry_delay``."""

    def __init__(self, crawler: Any, guard: AddressGuard, cache: Any = None, *, ttl: float, retry_delay: float):
        self.crawler = crawler
        self.guard = guard
        self.cache = cache
        self.ttl = ttl
        self.retry_delay = retry_delay

    async def fetch(self, url: str, kind: str) -> Fetched:
        if self.cache is None:
            return await self._download(url, kind)
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
            return Fetched.from_cached(cached)
        try:
            fetched = await self._download(url, kind)
            self.cache.put(url, fetched.as_cached(), ttl=self.retry_delay if fetched.failed else self.ttl)
            return fetched
        finally:
            self.cache.unlock(url)

    async def _download(self, url: str, kind: str) -> Fetched:
        hops: list[str] = []
        started = time.time()
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            target = origin_of(current)
            blocked = await self.guard.check(target.host, seed=False)
            if blocked is not None:
                return Fetched(url, None, b"", None, f"private address: {blocked.value}", tuple(hops), started, False)
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
                    # Cut at POLICY_FILE_MAX_BYTES by bytes_received; this only bounds decompression.
                    "download_maxsize": 8 * 1024 * 1024,
                },
            )
            try:
                response = await self.crawler.engine.download_async(request)
            except Exception as exc:
                self.crawler.stats.inc_value(f"tdmcrawl/policy/{kind}/error")
                return Fetched(url, None, b"", None, f"{type(exc).__name__}: {exc}"[:300], tuple(hops), started, False)
            self.crawler.stats.inc_value(f"tdmcrawl/policy/{kind}/status/{response.status}")
            location = response.headers.get("Location")
            if 300 <= response.status < 400 and location:
                hops.append(current)
                current = urljoin(current, location.decode("latin-1"))
                continue
            content_type = response.headers.get("Content-Type")
            return Fetched(
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
        return Fetched(url, None, b"", None, None, tuple(hops), started, False, redirect_limit=True)

    @staticmethod
    def bytes_received(received: int, request: Request) -> None:
        """Cut a policy file at its size cap (keeping what was read)."""
        if received > POLICY_FILE_MAX_BYTES.get(request.meta[META_POLICY_FILE], POLICY_FILE_MAX_BYTES["robots"]):
            request.meta[META_TRUNCATED] = True
            raise StopDownload(fail=False)

    def record(self, kind: str, fetched: Fetched, state: str) -> PolicyFile:
        """The file's record. The worker that downloaded it announces it (the
        archive keeps it); the others (cluster) cite it by the same digest."""
        if fetched.response is not None:
            digest: str | None = self._announce(fetched)
        else:
            digest = sha1_base32(fetched.body) if fetched.status is not None else None
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

    def note_read(self, fetched: Fetched, why: str) -> None:
        """Archive that a page was read for a policy lookup (the terms link on a
        home page), without its body: the request is on record, while the page's
        content is archived only if the crawl stores it (and leaves with a removal)."""
        if fetched.response is None:
            return
        capture = replace(capture_from_response(fetched.response, fetched_at=fetched.fetched_at), body=b"", truncated="length")
        metadata = (("policy-lookup", fetched.url), ("note", why), ("redirects", " -> ".join(fetched.hops)))
        self.crawler.signals.send_catch_log(policy_file_fetched, capture=capture, metadata=metadata, digest=sha1_base32(b""))

    def _announce(self, fetched: Fetched) -> str:
        assert fetched.response is not None
        capture = capture_from_response(fetched.response, fetched_at=fetched.fetched_at, truncated="length" if fetched.truncated else None)
        digest = sha1_base32(capture.body)  # the WARC-Payload-Digest of its response record
        metadata = (("policy-file", fetched.url), ("redirects", " -> ".join(fetched.hops)))
        self.crawler.signals.send_catch_log(policy_file_fetched, capture=capture, metadata=metadata, digest=digest)
        return digest
