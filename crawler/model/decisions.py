"""The decision record: one row per URL the crawler considered.

Owns the record's fields and the reason codes that are not rights signals
(``http-…``, ``not-html``, ``private-address``, ``out-of-scope``, ``fetch-…``).
Pure: the Scrapy components build records and send them with the
``decision_recorded`` signal.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

from crawler.model.meta import META_ASSESSMENT, META_INPUT, META_VIA
from crawler.rights.evidence import Evidence
from crawler.rights.policy import reason_family
from crawler.rights.tos import SiteTerms
from crawler.urls import origin_of, registered_domain

STORED = "stored"
EXCLUDED = "excluded"
FAILED = "failed"
UNCHANGED = "unchanged"
WITHDRAWN = "withdrawn"
ALLOWED = "allowed"  # an audit's verdict: a crawl would have been allowed to request the URL
DECISIONS = (STORED, EXCLUDED, FAILED, UNCHANGED, WITHDRAWN, ALLOWED)

STAGE_REQUEST = "request"
STAGE_HEADERS = "headers"
STAGE_PAGE = "page"
STAGE_FETCH = "fetch"


@dataclass(frozen=True)
class DecisionRecord:
    url: str
    decision: str
    reason: str | None = None
    evidence: tuple[Evidence, ...] = ()
    stage: str = STAGE_REQUEST
    final_url: str | None = None
    fetch_status: int | None = None
    depth: int = 0
    via: str | None = None
    document_id: str | None = None
    policy_digests: tuple[str, ...] = ()
    reservations: tuple[str, ...] = ()
    decided_at: float = field(default_factory=time.time)
    input_ref: tuple[str, int, str | None] | None = None  # an audit's (input_file, input_row, input_id)
    tos_url: str | None = None  # the site's terms of service, archived in policy/
    tos_digest: str | None = None

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"unknown decision {self.decision!r}")

    @classmethod
    def for_request(
        cls,
        request: Any,
        decision: str,
        reason: str | None,
        evidence: tuple[Evidence, ...],
        *,
        stage: str,
        status: int | None = None,
        policy_digests: tuple[str, ...] = (),
        reservations: tuple[str, ...] = (),
        terms: SiteTerms | None = None,
    ) -> "DecisionRecord":
        """The record of a request (anything with ``url`` and ``meta``, a Scrapy
        ``Request``): keyed by the URL first asked for, before any redirect;
        every hop of its redirect chain is named in the evidence (``redirect``),
        so each URL requested on its behalf is in the record. The site's terms
        of service come from ``terms`` or the request's rights assessment."""
        redirects = request.meta.get("redirect_urls") or []
        if terms is None:
            terms = terms_of(request.meta.get(META_ASSESSMENT))
        return cls(
            url=redirects[0] if redirects else request.url,
            decision=decision,
            reason=reason,
            evidence=tuple(evidence) + redirect_evidence(redirects, request.url),
            stage=stage,
            final_url=request.url if redirects else None,
            fetch_status=status,
            depth=request.meta.get("depth", 0),
            via=request.meta.get(META_VIA),
            policy_digests=policy_digests,
            reservations=reservations,
            input_ref=request.meta.get(META_INPUT),
            **terms_link(terms),
        )

    def row(self, *, crawl_id: str, profile: str) -> dict[str, object]:
        try:
            host = origin_of(self.url).host
        except ValueError:  # an audit's input row that is no URL at all
            host = ""
        return {
            "url": self.url,
            "final_url": self.final_url if self.final_url and self.final_url != self.url else None,
            "decision": self.decision,
            "reason": self.reason,
            "reason_family": reason_family(self.reason),
            "evidence": " | ".join(str(e) for e in self.evidence) or None,
            "evidence_json": json.dumps([e.as_dict() for e in self.evidence], ensure_ascii=False),
            "decided_at": self.decided_at,
            "stage": self.stage,
            "fetch_status": self.fetch_status,
            "url_host_name": host,
            "url_host_registered_domain": registered_domain(host) if host else "",
            "depth": self.depth,
            "via": self.via,
            "document_id": self.document_id,
            "policy_digests": list(self.policy_digests),
            "reservations": list(self.reservations),
            "tos_url": self.tos_url,
            "tos_digest": self.tos_digest,
            "policy_profile": profile,
            "dump": crawl_id,
        }


def terms_of(assessment: Any) -> SiteTerms | None:
    """The site's terms of service a rights assessment carries (None without one)."""
    return assessment.origin.tos if assessment is not None else None


def terms_link(terms: "SiteTerms | None") -> dict[str, str | None]:
    """``tos_url`` and ``tos_digest`` of a decision: the site's terms of
    service and their archived capture in ``policy/`` (nothing when the terms
    were not looked for or none were found)."""
    if terms is None or not terms.url:
        return {"tos_url": None, "tos_digest": None}
    return {"tos_url": terms.url, "tos_digest": terms.digest}


def redirect_evidence(redirects: Iterable[str], url: str) -> tuple[Evidence, ...]:
    """One ``redirect`` evidence per hop of the chain ``redirects`` that ended at ``url``."""
    chain = [*redirects, url]
    return tuple(Evidence("redirect", hop, f"redirected to {target}") for hop, target in zip(chain, chain[1:]))


def stored_reason(content_truncated: str | None) -> str | None:
    """The reason of a ``stored`` decision: none for a whole document,
    ``truncated-<why>`` when part of the page was cut (``length``, ``time``, or
    ``parse-depth`` for a page nested deeper than the parser holds)."""
    return f"truncated-{content_truncated}" if content_truncated else None


def digests(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))
