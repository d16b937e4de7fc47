"""The audit's fetch step: page requests decided by the rights middleware and
then never downloaded.

``tdmcrawl audit`` sends every input URL through the same downloader
middleware chain as a crawl. :class:`crawler.fetch.middleware.RightsMiddleware`
fetches, caches and archives the origin's policy files and makes the
request-stage decision (recording exclusions itself); this middleware, placed
right after it, takes each page request the rights allowed:

* by default it records the URL as ``allowed`` and drops the request, so no
  page is ever asked for;
* with ``TDMCRAWL_AUDIT_HEADERS`` (``--with-headers``) the request goes out and
  is stopped as soon as its headers arrive (``StopDownload`` at
  ``headers_received``): the rights middleware judges those headers exactly as
  in a crawl (X-Robots-Tag, tdm-reservation, Content-Usage, 401/402 with RSL),
  and the spider records what remains allowed. The media type is not a consent
  signal, so an audit judges the headers of non-HTML answers too.

Because the decisions are the rights middleware's own, an audit and a crawl
of the same URLs cannot disagree on any request-time signal.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured, StopDownload

from crawler.context import CrawlContext
from crawler.fetch.middleware import Decided
from crawler.fetch.responses import header_pairs
from crawler.model.decisions import ALLOWED, STAGE_REQUEST, DecisionRecord
from crawler.model.meta import META_ASSESSMENT, META_INPUT, META_POLICY_FILE, META_STOP
from crawler.rights.evidence import Evidence
from crawler.rights.stages import RightsAssessment
from crawler.signals import record_decision

NOT_HTML = "not-html"


def allowed_record(request: Request, profile: Any, *, stage: str, status: int | None = None, evidence: tuple[Evidence, ...] = ()) -> DecisionRecord:
    """The ``allowed`` row of an input URL: the policy files it was judged by,
    and the reservations the profile recorded without honouring them."""
    assessment: RightsAssessment | None = request.meta.get(META_ASSESSMENT)
    return DecisionRecord.for_request(
        request, ALLOWED, None, evidence, stage=stage, status=status,
        policy_digests=assessment.origin.digests if assessment is not None else (),
        reservations=assessment.decide(profile).reservations if assessment is not None else (),
    )


class AuditMiddleware:
    """See the module docstring. Enabled by ``TDMCRAWL_AUDIT``; place it right
    after ``RightsMiddleware`` (and before the cluster's politeness middleware,
    so a request that is never sent never waits for its origin)."""

    def __init__(self, crawler: Any, *, with_headers: bool):
        self.crawler = crawler
        self.with_headers = with_headers
        self.profile = CrawlContext.for_crawler(crawler).profile
        if with_headers:
            crawler.signals.connect(self._headers_received, signal=signals.headers_received)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "AuditMiddleware":
        if not crawler.settings.getbool("TDMCRAWL_AUDIT"):
            raise NotConfigured
        return cls(crawler, with_headers=crawler.settings.getbool("TDMCRAWL_AUDIT_HEADERS"))

    def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get(META_POLICY_FILE) or META_INPUT not in request.meta:
            return None
        if self.with_headers:
            return None  # sent, and stopped at its headers
        record_decision(self.crawler, allowed_record(request, self.profile, stage=STAGE_REQUEST))
        raise Decided("allowed: not downloaded (audit)")

    def _headers_received(self, headers: Any, body_length: int, request: Request, spider: Any = None) -> None:
        if request.meta.get(META_POLICY_FILE) or META_INPUT not in request.meta:
            return
        stop = request.meta.get(META_STOP)
        assessment: RightsAssessment | None = request.meta.get(META_ASSESSMENT)
        if stop is not None and stop[0] == NOT_HTML and assessment is not None:
            # The rights middleware stops a non-HTML answer before judging its headers: judge them here.
            judged = assessment.with_headers(None, header_pairs(headers))
            request.meta[META_ASSESSMENT] = judged
            decision = judged.decide(self.profile)
            if decision.excluded:
                request.meta[META_STOP] = (decision.reason, decision.evidence, judged.origin.digests, decision.reservations)
            else:
                request.meta.pop(META_STOP, None)
        raise StopDownload(fail=False)  # the headers are all an audit reads

