"""Cloudflare Content Signals: the robots.txt ``Content-Signal:`` record.

Owns the record's value syntax (comma-separated ``key=value``; keys ``search``,
``ai-input``, ``ai-train`` with values ``yes``/``no``, both case-insensitive,
whitespace tolerated; other keys such as Cloudflare's ``use=reference`` kept
raw) and its mapping onto our categories. Several records of the applicable
group combine most restrictive. A missing key neither grants nor restricts
(unknown). Must not import Scrapy, do I/O or parse robots.txt itself: the
robots module hands in the records of the group that applies. Content Signals
are kept apart from AIPREF on purpose: the vocabularies are close but not the
same, so neither is translated into the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .evidence import Evidence, Finding, FindingKind, Usage, Use, clean_evidence_text, most_restrictive

SIGNAL = "content-signal"
MAX_VALUE_CHARS = 16 * 1024
MAX_RECORDS = 1000
MAX_EXTRAS = 32
RAW_LIMIT = 4096

_KEYS = ("search", "ai-input", "ai-train")
_VALUES = {"yes": Use.ALLOW, "no": Use.DENY}


@dataclass(frozen=True)
class ContentSignals:
    """What a site's Content-Signal records say. ``extras`` keeps keys outside
    the three-key policy as written (key lowercased); ``malformed`` is set when
    any part could not be read (an unknown value, a part without ``=``)."""

    search: Use = Use.UNKNOWN
    ai_input: Use = Use.UNKNOWN
    ai_train: Use = Use.UNKNOWN
    extras: tuple[tuple[str, str], ...] = ()
    raw: str = ""
    malformed: bool = False
    evidence: tuple[Evidence, ...] = ()

    @property
    def usage(self) -> Usage:
        # The policy text states a "no" as an express Art. 4 CDSM reservation,
        # so ai-train=no reserves TDM as well; a "yes" grants AI training only.
        return Usage(
            train=self.ai_train,
            tdm=Use.DENY if self.ai_train is Use.DENY else Use.UNKNOWN,
            ai_input=self.ai_input,
            search=self.search,
        )


NO_SIGNALS = ContentSignals()


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1].strip()
    return text


def _read(value: str) -> tuple[dict[str, Use], list[tuple[str, str]], list[str]]:
    uses: dict[str, Use] = {}
    extras: list[tuple[str, str]] = []
    problems: list[str] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        key, equals, raw_value = part.partition("=")
        key = key.strip().lower()
        raw_value = raw_value.strip()
        if not equals or not key:
            problems.append(f"{part[:30]!r} is not key=value")
            continue
        if key in _KEYS:
            use = _VALUES.get(_unquote(raw_value).lower())
            if use is None:
                problems.append(f"{key}={raw_value[:20]} is neither yes nor no, unknown")
                use = Use.UNKNOWN
            # A key given twice: the most restrictive statement stands.
            uses[key] = most_restrictive((uses.get(key, Use.UNKNOWN), use))
        elif len(extras) < MAX_EXTRAS:
            extras.append((key[:64], raw_value[:200]))
    return uses, extras, problems


def parse_content_signal(value: str, *, source: str, line: int | None = None) -> ContentSignals:
    """One ``Content-Signal:`` value. Never raises."""
    try:
        text = str(value)
        problems: list[str] = []
        if len(text) > MAX_VALUE_CHARS:
            text = text[:MAX_VALUE_CHARS]
            problems.append(f"value cut at {MAX_VALUE_CHARS} characters")
        uses, extras, more = _read(text)
        problems.extend(more)
    except Exception as error:
        return ContentSignals(
            raw=clean_evidence_text(value, RAW_LIMIT),
            malformed=True,
            evidence=(Evidence(SIGNAL, source, value, line=line, note=f"unreadable: {type(error).__name__}"),),
        )
    search = uses.get("search", Use.UNKNOWN)
    ai_input = uses.get("ai-input", Use.UNKNOWN)
    ai_train = uses.get("ai-train", Use.UNKNOWN)
    note = f"search {search.value}; ai-input {ai_input.value}; ai-train {ai_train.value}"
    if extras:
        note += "; kept raw: " + ", ".join(f"{k}={v}" for k, v in extras)
    if problems:
        note += "; malformed: " + "; ".join(problems)
    return ContentSignals(
        search=search,
        ai_input=ai_input,
        ai_train=ai_train,
        extras=tuple(extras),
        raw=clean_evidence_text(text, RAW_LIMIT),
        malformed=bool(problems),
        evidence=(Evidence(SIGNAL, source, text, line=line, note=note),),
    )


def combine_content_signals(*values: ContentSignals) -> ContentSignals:
    """Several statements: per key the most restrictive wins; extras, raw text
    and evidence are all kept."""
    if not values:
        return NO_SIGNALS
    if len(values) == 1:
        return values[0]
    return ContentSignals(
        search=most_restrictive(v.search for v in values),
        ai_input=most_restrictive(v.ai_input for v in values),
        ai_train=most_restrictive(v.ai_train for v in values),
        extras=tuple(dict.fromkeys(e for v in values for e in v.extras))[:MAX_EXTRAS],
        raw=clean_evidence_text("; ".join(v.raw for v in values if v.raw), RAW_LIMIT),
        malformed=any(v.malformed for v in values),
        evidence=tuple(e for v in values for e in v.evidence),
    )


def content_signals_from_robots(records: Sequence[tuple[str, int]], source_url: str) -> ContentSignals:
    """The ``Content-Signal`` records of the applicable robots.txt group,
    given as ``(value, line)``; several combine most restrictive. No record:
    no signals (everything unknown)."""
    try:
        parsed = [parse_content_signal(value, source=source_url, line=line) for value, line in list(records)[:MAX_RECORDS]]
    except Exception as error:
        return ContentSignals(
            malformed=True,
            evidence=(Evidence(SIGNAL, source_url, note=f"records unreadable: {type(error).__name__}"),),
        )
    return combine_content_signals(*parsed)


def content_signal_findings(cs: ContentSignals) -> list[Finding]:
    """``ai-train=no`` is a restrictive reservation of training (and TDM);
    ``ai-input=no`` and ``search=no`` are recorded without restricting (our
    purpose is training). When nothing is denied but something is allowed, one
    non-restrictive finding records the grant. Every finding carries the full
    usage the signals state."""
    usage = cs.usage
    found: list[Finding] = []
    if cs.ai_train is Use.DENY:
        found.append(Finding(SIGNAL, "content-signal-ai-train", FindingKind.USE, True, usage, cs.evidence))
    if cs.ai_input is Use.DENY:
        found.append(Finding(SIGNAL, "content-signal-ai-input", FindingKind.USE, False, usage, cs.evidence))
    if cs.search is Use.DENY:
        found.append(Finding(SIGNAL, "content-signal-search", FindingKind.USE, False, usage, cs.evidence))
    if not found and Use.ALLOW in (cs.ai_train, cs.ai_input, cs.search):
        found.append(Finding(SIGNAL, "content-signal-allowed", FindingKind.USE, False, usage, cs.evidence))
    return found
