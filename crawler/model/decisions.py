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

from crawler.model.meta import META_INPUT, META_VIA
from crawler.rights.evidence import Evidence
from crawler.rights.policy import reason_family
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
    ) -> "DecisionRecord":
        """The record of a request (anything with ``url`` and ``meta``, a Scrapy
        ``Request``): keyed by the URL first asked for, before any redirect;
        every hop of its redirect chain is named in the evidence (``redirect``),
        so each URL requested on its behalf is in the record."""
        redirects = request.meta.get("redirect_urls") or []
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
            "policy_profile": profile,
            "dump": crawl_id,
        }


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
