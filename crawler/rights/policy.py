"""The policy: combine what every signal said into one decision for our use.

Owns the profiles (which reservations exclude) and the one function that turns
findings into a decision, naming the reason. Most restrictive wins. Fetch
findings (robots.txt, an RSL licence server) exclude under every profile; use
findings (reservations of training / TDM) exclude only under a profile that
honours their signal family, and are otherwise recorded as reservations.
Must not import Scrapy, parse any format or do I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from .evidence import NO_USAGE, Evidence, Finding, FindingKind, Usage

# Every family of use reservation the project understands, in the order a
# reason is named when several exclude the same document (most specific and
# most formal first).
USE_SIGNAL_FAMILIES: tuple[str, ...] = (
    "tdmrep",
    "content-usage",
    "content-signal",
    "disallow-ai-training",
    "rsl",
    "x-robots-tag",
    "meta-robots",
    "ai-txt",
    "registry",
    "ai-agent",
    "media",
    "tos",
    "tos-scraping",
)
# Honoured unless a profile says otherwise: every reservation of TDM or AI
# training. A general ban on automated collection in the terms of service
# (``tos-scraping``) is recorded, and excludes only under a profile that asks.
DEFAULT_HONOURED: tuple[str, ...] = tuple(f for f in USE_SIGNAL_FAMILIES if f != "tos-scraping")
FETCH_SIGNAL_FAMILIES: tuple[str, ...] = ("address", "robots", "rsl")


@dataclass(frozen=True)
class PolicyProfile:
    """Which reservations exclude a document. A profile is named in the crawl's
    records and summary; its values come from a settings module."""

    name: str = "strict"
    honoured: frozenset[str] = frozenset(DEFAULT_HONOURED)
    legacy_aipref_as_reservation: bool = True
    noindex_as_reservation: bool = False
    description: str = "Every reservation of text and data mining or AI training excludes the document."

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> "PolicyProfile":
        honoured = values.get("honour", DEFAULT_HONOURED)
        unknown = set(honoured) - set(USE_SIGNAL_FAMILIES)  # type: ignore[arg-type]
        if unknown:
            raise ValueError(f"unknown signal families in policy profile: {', '.join(sorted(unknown))}")
        return cls(
            name=str(values.get("name", "strict")),
            honoured=frozenset(honoured),  # type: ignore[arg-type]
            legacy_aipref_as_reservation=bool(values.get("legacy_aipref_as_reservation", True)),
            noindex_as_reservation=bool(values.get("noindex_as_reservation", False)),
            description=str(values.get("description", "")),
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "honour": sorted(self.honoured, key=USE_SIGNAL_FAMILIES.index),
            "legacy_aipref_as_reservation": self.legacy_aipref_as_reservation,
            "noindex_as_reservation": self.noindex_as_reservation,
            "description": self.description,
        }


STRICT = PolicyProfile()


@dataclass(frozen=True)
class Decision:
    """``excluded`` with the winning ``reason`` and its evidence, or allowed
    (``reason`` None). ``reservations`` lists restrictive use findings that the
    profile recorded without honouring them; ``findings`` keeps everything seen."""

    excluded: bool
    reason: str | None
    evidence: tuple[Evidence, ...] = ()
    reservations: tuple[str, ...] = ()
    usage: Usage = NO_USAGE
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def reason_family(self) -> str | None:
        return reason_family(self.reason)


def reason_family(reason: str | None) -> str | None:
    """The family a reason code starts with (``robots-disallow`` → ``robots``,
    ``ai-agent-restriction:GPTBot`` → ``ai-agent``, ``http-404`` → ``http``)."""
    if not reason:
        return None
    for family in sorted(
        set(USE_SIGNAL_FAMILIES) | set(FETCH_SIGNAL_FAMILIES) | {"noai", "noml", "allow-ai-training", "private-address", "not-html", "out-of-scope"},
        key=len,
        reverse=True,
    ):
        if reason == family or reason.startswith(family + "-") or reason.startswith(family + ":"):
            return family
    return reason.split("-", 1)[0].split(":", 1)[0]


def _order(finding: Finding) -> tuple[int, int]:
    fetch_rank = 0 if finding.kind is FindingKind.FETCH else 1
    families = FETCH_SIGNAL_FAMILIES if finding.kind is FindingKind.FETCH else USE_SIGNAL_FAMILIES
    rank = families.index(finding.signal) if finding.signal in families else len(families)
    return fetch_rank, rank


def decide(findings: Iterable[Finding], profile: PolicyProfile = STRICT) -> Decision:
    """Combine findings: any restrictive fetch finding, or any restrictive use
    finding of an honoured family, excludes; the reason named is the first such
    finding in a fixed precedence (fetch before use, then family order)."""
    all_findings = tuple(findings)
    usage = NO_USAGE
    for finding in all_findings:
        usage = usage.combine(finding.usage)
    excluding = [
        f
        for f in all_findings
        if f.restrictive and (f.kind is FindingKind.FETCH or f.signal in profile.honoured)
    ]
    recorded = tuple(
        dict.fromkeys(
            f.reason
            for f in all_findings
            if f.restrictive and f.kind is FindingKind.USE and f.signal not in profile.honoured
        )
    )
    if not excluding:
        return Decision(False, None, (), recorded, usage, all_findings)
    winner = min(excluding, key=_order)  # stable: first of equal rank wins
    return Decision(True, winner.reason, winner.evidence, recorded, usage, all_findings)
