"""What the rights core knows about one URL, stage by stage.

A URL is judged three times: before it is requested (robots.txt and what
robots.txt carries, tdmrep.json, ai.txt, RSL), when the response headers
arrive (TDMRep and Content-Usage headers, X-Robots-Tag) and once the page is
parsed (HTML meta, or the metadata inside a PDF or EPUB).
:class:`RightsAssessment` carries every value seen so far so that precedence
rules that span stages (TDMRep: file < header < meta < PDF or EPUB metadata,
absence never resets; Content-Usage: robots and header combine most restrictive) are
applied in one place, and so that the final record shows all the evidence.
Owns the per-origin snapshot of policy files too. No Scrapy import, no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Sequence

from .ai_training_rules import ai_training_rule_finding
from .aiagents import agent_restriction_findings
from .aipref import (
    NO_PREFERENCE,
    ContentUsage,
    combine_content_usage,
    content_usage_findings,
    content_usage_from_headers,
    content_usage_from_robots,
)
from .aitxt import AiTxt
from .content_signal import NO_SIGNALS, ContentSignals, content_signal_findings, content_signals_from_robots
from .evidence import Evidence, Finding, FindingKind, HeaderPairs, MetaPairs, Usage, Use
from .policy import STRICT, Decision, PolicyProfile, decide
from .robots import RobotsMatch, RobotsTxt
from .rsl import RslDocument, cap_finding, rsl_findings
from .tos import SiteTerms
from .tdmrep import UNSET, TdmRepFile, TdmValue, resolve_tdm, tdm_finding, tdm_from_headers, tdm_from_meta
from .xrobots import NO_DIRECTIVES, RobotsDirectives, flag_findings, from_meta_robots, from_x_robots_tag, noai_finding, noml_finding


@dataclass(frozen=True)
class PolicyFile:
    """How one policy file of an origin was obtained, for the record and the
    link to its archived capture (``digest`` is the WARC payload digest)."""

    kind: str  # robots | tdmrep | ai-txt | rsl | tos
    url: str
    status: str  # ok, unavailable-4xx, unreachable-5xx, unreachable-neterr, unreachable-429, redirect-limit, …
    http_status: int | None = None
    fetched_at: float | None = None
    digest: str | None = None
    truncated: bool = False
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "url": self.url,
            "status": self.status,
            "http_status": self.http_status,
            "fetched_at": self.fetched_at,
            "digest": self.digest,
            "truncated": self.truncated,
            "note": self.note,
        }


@dataclass(frozen=True)
class OriginRights:
    """The policy files of one origin (scheme + host + port) as last obtained.

    ``unreachable_findings`` are set when a file whose absence we must not read
    as permission could not be obtained (robots.txt 5xx or network error after
    the retries, an RSL document robots.txt points to): they exclude every URL."""

    origin: str
    robots: RobotsTxt
    robots_file: PolicyFile
    tdmrep: TdmRepFile | None = None
    tdmrep_file: PolicyFile | None = None
    aitxt: AiTxt | None = None
    aitxt_file: PolicyFile | None = None
    rsl: tuple[RslDocument, ...] = ()
    rsl_files: tuple[PolicyFile, ...] = ()
    unreachable_findings: tuple[Finding, ...] = ()
    tos: SiteTerms | None = None  # the site's terms of service (None: not looked for)
    tos_file: PolicyFile | None = None

    @property
    def files(self) -> tuple[PolicyFile, ...]:
        found = [self.robots_file, self.tdmrep_file, self.aitxt_file, *self.rsl_files, self.tos_file]
        return tuple(f for f in found if f is not None)

    @property
    def digests(self) -> tuple[str, ...]:
        return tuple(f.digest for f in self.files if f.digest)

    def light(self) -> "OriginRights":
        """The record of the files without their parsed contents: what later
        stages need, small enough to travel with every page to a worker."""
        return replace(
            self, robots=RobotsTxt.allow_all(self.robots.source_url, ""), tdmrep=None, aitxt=None, rsl=(),
            tos=self.tos.light() if self.tos is not None else None,
        )


def robots_unreachable_finding(robots_url: str, reason: str, note: str) -> Finding:
    """robots.txt could not be obtained (RFC 9309 2.3.1.4: assume complete disallow)."""
    return Finding(
        signal="robots",
        reason=reason,
        kind=FindingKind.FETCH,
        restrictive=True,
        evidence=(Evidence("robots", robots_url, note, note="unreachable: complete disallow (RFC 9309 2.3.1.4)"),),
    )


def _robots_finding(match: RobotsMatch) -> Finding:
    return Finding(
        signal="robots",
        reason="robots-disallow" if not match.allowed else "robots-allow",
        kind=FindingKind.FETCH,
        restrictive=not match.allowed,
        evidence=(match.evidence,),
    )


@dataclass(frozen=True)
class RightsAssessment:
    url: str
    token: str
    origin: OriginRights
    robots: RobotsMatch
    fixed_findings: tuple[Finding, ...]  # request-time findings that later stages cannot change
    content_usage_robots: ContentUsage = NO_PREFERENCE
    content_signals: ContentSignals = NO_SIGNALS
    tdm_file: TdmValue = UNSET
    tdm_header: TdmValue = UNSET
    tdm_meta: TdmValue = UNSET
    tdm_embedded: TdmValue = UNSET  # TDMRep metadata inside a PDF or EPUB (crawler.rights.embedded)
    content_usage_header: ContentUsage = NO_PREFERENCE
    x_robots: RobotsDirectives = NO_DIRECTIVES
    meta_robots: RobotsDirectives = NO_DIRECTIVES
    later_findings: tuple[Finding, ...] = field(default_factory=tuple)
    stage: str = "request"

    # -- combined values ---------------------------------------------------
    @property
    def tdm(self) -> TdmValue:
        return resolve_tdm(self.tdm_file, self.tdm_header, self.tdm_meta, self.tdm_embedded)

    @property
    def content_usage(self) -> ContentUsage:
        return combine_content_usage(self.content_usage_robots, self.content_usage_header)

    @property
    def nofollow(self) -> bool:
        return self.x_robots.nofollow or self.meta_robots.nofollow

    def findings(self, profile: PolicyProfile = STRICT) -> tuple[Finding, ...]:
        found = list(self.fixed_findings)
        tdm_value = self.tdm
        tdm = tdm_finding(tdm_value)
        if tdm is not None:
            found.append(tdm)
        elif tdm_value.evidence:
            # Unset, but something was seen (a malformed file, a protocol error):
            # keep it in the record so the reader knows why nothing applied.
            found.append(Finding("tdmrep", "tdmrep-unset", FindingKind.USE, False, evidence=tdm_value.evidence))
        found.extend(content_usage_findings(self.content_usage, legacy_as_reservation=profile.legacy_aipref_as_reservation))
        for directives, family in ((self.x_robots, "x-robots-tag"), (self.meta_robots, "meta-robots")):
            for reading in (noai_finding, noml_finding):
                reserved = reading(directives, source_family=family)
                if reserved is not None:
                    found.append(reserved)
            found.extend(flag_findings(directives, source_family=family, noindex_as_reservation=profile.noindex_as_reservation))
        found.extend(self.later_findings)
        return tuple(found)

    def decide(self, profile: PolicyProfile = STRICT) -> Decision:
        return decide(self.findings(profile), profile)

    # -- later stages -------------------------------------------------------
    def with_headers(self, status: int | None, headers: HeaderPairs) -> "RightsAssessment":
        extra: list[Finding] = []
        if status is not None:
            cap = cap_finding(status, headers)
            if cap is not None:
                extra.append(cap)
        return replace(
            self,
            tdm_header=tdm_from_headers(headers),
            content_usage_header=content_usage_from_headers(headers),
            x_robots=from_x_robots_tag(headers, self.token),
            later_findings=self.later_findings + tuple(extra),
            stage="headers",
        )

    def with_page(self, metas: MetaPairs, extra: Sequence[Finding] = ()) -> "RightsAssessment":
        return replace(
            self,
            tdm_meta=tdm_from_meta(metas),
            meta_robots=from_meta_robots(metas, self.token),
            later_findings=self.later_findings + tuple(extra),
            stage="page",
        )

    def with_document(self, embedded: TdmValue, extra: Sequence[Finding] = ()) -> "RightsAssessment":
        """A PDF or EPUB: its embedded TDMRep metadata is the last carrier
        (it supersedes file, header and meta; absence resets nothing)."""
        return replace(self, tdm_embedded=embedded, later_findings=self.later_findings + tuple(extra), stage="page")

    # -- the record ------------------------------------------------------------
    def record(self, profile: PolicyProfile = STRICT) -> dict[str, object]:
        """The rights columns of a documents row (see pipelines.formats.schema)."""
        decision = self.decide(profile)
        tdm = self.tdm
        rule = self.robots.rule
        cu = self.content_usage
        usage: Usage = decision.usage
        robots_file = self.origin.robots_file
        findings = decision.findings
        rsl = [f for f in findings if f.signal == "rsl"]
        return {
            "robots_allowed": self.robots.allowed,
            "robots_rule": f"line {rule.line}: {rule.directive}: {rule.pattern}" if rule else None,
            "robots_txt_url": robots_file.url,
            "robots_txt_digest": robots_file.digest,
            "robots_txt_status": robots_file.status,
            "robots_txt_fetch_time": robots_file.fetched_at,
            "tdm_reservation": tdm.reservation,
            "tdm_source": tdm.source,
            "tdm_policy": tdm.policy,
            "content_usage": "; ".join(filter(None, (self.content_usage_robots.raw, self.content_usage_header.raw))) or None,
            "content_usage_train_ai": cu.train_ai.value,
            "content_signal": self.content_signals.raw or None,
            "x_robots_tag": " | ".join(self.x_robots.raw) or None,
            "meta_robots": " | ".join(self.meta_robots.raw) or None,
            "robots_directives": sorted(self.x_robots.directives | self.meta_robots.directives),
            "ai_agent_restrictions": [f.reason.split(":", 1)[1] for f in findings if f.signal == "ai-agent" and f.restrictive],
            # the matched <content> and the licence that decided (its terms, payment, standard)
            "rsl": "; ".join(f"{f.reason}: {' | '.join(e.value for e in f.evidence[:2])}" for f in rsl) or None,
            **terms_columns(self.origin.tos),
            "reservations": list(decision.reservations),
            "usage_train": usage.train.value,
            "usage_tdm": usage.tdm.value,
            "usage_ai_input": usage.ai_input.value,
            "usage_search": usage.search.value,
            "policy_profile": profile.name,
            "rights_evidence": findings_json(findings),
        }


def terms_columns(terms: SiteTerms | None) -> dict[str, object]:
    """The terms-of-service columns of a documents row: where the site's terms
    are (and their archived copy), and what they said."""
    found = terms is not None and terms.url is not None and terms.state == "found"
    return {
        "tos_url": terms.url if found else None,  # type: ignore[union-attr]
        "tos_digest": terms.digest if found else None,  # type: ignore[union-attr]
        "tos_said": list(terms.kinds()) if terms is not None else [],
    }


def findings_json(findings: Sequence[Finding]) -> str:
    return json.dumps(
        [
            {
                "signal": f.signal,
                "reason": f.reason,
                "kind": f.kind.value,
                "restrictive": f.restrictive,
                "usage": {k: v for k, v in f.usage.as_dict().items() if v != Use.UNKNOWN.value},
                "evidence": [e.as_dict() for e in f.evidence],
            }
            for f in findings
        ],
        ensure_ascii=False,
    )


def assess_request(url: str, origin: OriginRights, token: str) -> RightsAssessment:
    """Everything knowable before the request is sent."""
    robots = origin.robots.can_fetch(url, token)
    found: list[Finding] = list(origin.unreachable_findings)
    found.append(_robots_finding(robots))
    robots_url = origin.robots_file.url
    content_usage = content_usage_from_robots(origin.robots.records_with_file_level(token, "content-usage"), url, robots_url)
    signals = content_signals_from_robots(origin.robots.records_with_file_level(token, "content-signal"), robots_url)
    found.extend(content_signal_findings(signals))
    training_rule = ai_training_rule_finding(origin.robots, url, token)
    if training_rule is not None:
        found.append(training_rule)
    found.extend(agent_restriction_findings(origin.robots, url))
    if origin.aitxt is not None:
        aitxt = origin.aitxt.check(url, token)
        if aitxt is not None:
            found.append(aitxt)
    for document in origin.rsl:
        found.extend(rsl_findings(document, url))
    if origin.tos is not None:
        found.extend(origin.tos.findings)
    tdm_file = origin.tdmrep.lookup(url) if origin.tdmrep is not None else UNSET
    return RightsAssessment(
        url=url,
        token=token,
        origin=origin,
        robots=robots,
        fixed_findings=tuple(found),
        content_usage_robots=content_usage,
        content_signals=signals,
        tdm_file=tdm_file,
    )
