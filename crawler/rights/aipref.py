"""IETF AI preferences: the ``Content-Usage`` vocabulary and its two attachments.

Owns draft-ietf-aipref-vocab (labels ``train-ai`` and ``search``, values
Token ``y``/``n`` in an RFC 9651 Structured Fields Dictionary; anything else is
unknown; a Dictionary that fails to parse makes everything unknown; several
statements combine most restrictive) and draft-ietf-aipref-attach (the
``Content-Usage`` response header, and the ``Content-Usage:`` record of a
robots.txt group with its optional path, longest match wins, identical paths
combine most restrictive). Labels of older drafts that are still deployed
(``bots=n`` …) are recorded, and read as reservations only when the profile
says so. Must not import Scrapy, do I/O or parse robots.txt itself: the
robots module hands in the records of the group that applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import http_sf

from .evidence import (
    Evidence,
    Finding,
    FindingKind,
    HeaderPairs,
    Usage,
    Use,
    clean_evidence_text,
    header_values,
    most_restrictive,
)
from .urlpattern import pattern_matches, pattern_priority

SIGNAL = "content-usage"
MAX_VALUE_CHARS = 64 * 1024
MAX_ROBOTS_RECORDS = 1000
RAW_LIMIT = 4096

# Labels of drafts -01 to -04 (see rights-signals.md 3.1), with the category of
# use each one named. The current draft ignores them as unknown labels.
LEGACY_LABEL_USAGE: dict[str, Usage] = {
    "bots": Usage(train=Use.DENY, tdm=Use.DENY, ai_input=Use.DENY, search=Use.DENY),
    "all": Usage(train=Use.DENY, tdm=Use.DENY, ai_input=Use.DENY, search=Use.DENY),
    "tdm": Usage(train=Use.DENY, tdm=Use.DENY),
    "ai": Usage(train=Use.DENY),
    "genai": Usage(train=Use.DENY),
    "train-genai": Usage(train=Use.DENY),
    "ai-use": Usage(ai_input=Use.DENY),
    "ai-output": Usage(ai_input=Use.DENY),
    "inference": Usage(ai_input=Use.DENY),
}


@dataclass(frozen=True)
class ContentUsage:
    """AI usage preferences for one document, from one or more statements.

    ``legacy_labels`` lists labels of older drafts seen with value ``n``;
    ``parse_error`` is set when a Dictionary failed to parse (that statement
    then says nothing); ``raw`` is the text as seen (bounded)."""

    train_ai: Use
    search: Use
    legacy_labels: tuple[str, ...] = ()
    parse_error: str | None = None
    raw: str = ""
    evidence: tuple[Evidence, ...] = ()

    @property
    def usage(self) -> Usage:
        # train-ai=n reserves training; TDM in the CDSM sense is not named, so it stays unknown.
        return Usage(train=self.train_ai, search=self.search)


NO_PREFERENCE = ContentUsage(Use.UNKNOWN, Use.UNKNOWN)


@dataclass(frozen=True)
class _Reading:
    train_ai: Use = Use.UNKNOWN
    search: Use = Use.UNKNOWN
    legacy: tuple[str, ...] = ()
    error: str | None = None
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        if self.error is not None:
            return f"malformed: {self.error}; all unknown"
        parts = [f"train-ai {self.train_ai.value}", f"search {self.search.value}"]
        if self.legacy:
            parts.append("legacy labels with n: " + ", ".join(self.legacy))
        return "; ".join([*parts, *self.notes])


def _bare(member: object) -> object:
    """The bare value of a Dictionary member (an item or inner list, with or without parameters)."""
    if isinstance(member, tuple) and len(member) == 2 and isinstance(member[1], dict):
        return member[0]
    return member


def _preference(label: str, member: object, notes: list[str]) -> Use:
    value = _bare(member)
    if isinstance(value, http_sf.Token):
        text = str(value)
        if text == "y":
            return Use.ALLOW
        if text == "n":
            return Use.DENY
        notes.append(f"{label}: token {text[:20]} is neither y nor n, unknown")
        return Use.UNKNOWN
    shown = "boolean" if isinstance(value, bool) else type(value).__name__
    notes.append(f"{label}: {shown} value is not a token, unknown")
    return Use.UNKNOWN


def _read(value: str) -> _Reading:
    """Parse one Content-Usage value. Never raises."""
    text = value.strip(" \t")
    if not text:
        return _Reading()
    if len(text) > MAX_VALUE_CHARS:
        return _Reading(error=f"value longer than {MAX_VALUE_CHARS} characters")
    if not text.isascii():
        return _Reading(error="non-ASCII characters")
    try:
        parsed = http_sf.parse(text.encode("ascii"), tltype="dictionary")
    except Exception as error:  # StructuredFieldError, or anything else the parser trips on
        return _Reading(error=clean_evidence_text(error, 120) or type(error).__name__)
    if not isinstance(parsed, dict):
        return _Reading(error="not a Dictionary")
    notes: list[str] = []
    # The parser keeps the last of duplicate keys, as RFC 9651 requires.
    train = _preference("train-ai", parsed["train-ai"], notes) if "train-ai" in parsed else Use.UNKNOWN
    search = _preference("search", parsed["search"], notes) if "search" in parsed else Use.UNKNOWN
    legacy = tuple(
        label
        for label in parsed
        if label in LEGACY_LABEL_USAGE and isinstance(_bare(parsed[label]), http_sf.Token) and str(_bare(parsed[label])) == "n"
    )
    return _Reading(train, search, legacy, None, tuple(notes))


def _from_reading(reading: _Reading, raw: str, evidence: Evidence) -> ContentUsage:
    return ContentUsage(
        train_ai=reading.train_ai,
        search=reading.search,
        legacy_labels=reading.legacy,
        parse_error=reading.error,
        raw=clean_evidence_text(raw, RAW_LIMIT),
        evidence=(evidence,),
    )


def parse_content_usage(value: str, *, source: str = "header:Content-Usage", line: int | None = None) -> ContentUsage:
    """One Content-Usage Dictionary (a header value, or the preference part of
    a robots.txt record). Never raises; a parse failure makes everything unknown."""
    try:
        value = str(value)
        reading = _read(value)
    except Exception as error:
        reading = _Reading(error=f"unreadable: {type(error).__name__}")
    return _from_reading(reading, value, Evidence(SIGNAL, source, value, line=line, note=reading.summary()))


def content_usage_from_headers(headers: HeaderPairs) -> ContentUsage:
    """Every ``Content-Usage`` header instance, joined with ", " as RFC 9651
    says field lines are combined, then parsed once. None: no preference."""
    try:
        values = [v for v in header_values(headers, "Content-Usage") if v.strip(" \t")]
    except Exception:
        return NO_PREFERENCE
    if not values:
        return NO_PREFERENCE
    return parse_content_usage(", ".join(values), source="header:Content-Usage")


def _split_record(value: str) -> tuple[str | None, str]:
    """A robots.txt record's path (if the value starts with ``/``, up to the
    first SP/HTAB) and its preference (the rest)."""
    text = value.strip(" \t")
    if not text.startswith("/"):
        return None, text
    for index, char in enumerate(text):
        if char in " \t":
            return text[:index], text[index:].strip(" \t")
    return text, ""


def content_usage_from_robots(records: Sequence[tuple[str, int]], url: str, source_url: str) -> ContentUsage:
    """The preference robots.txt attaches to ``url``: of the records of the
    applicable group whose path matches (a record without a path covers every
    path, with the specificity of ``/``), those with the most specific path
    (RFC 9309 octet count) win; several of equal specificity, identical paths
    included, combine most restrictive (not the allow-wins tie rule of
    Allow/Disallow). No matching record: no preference."""
    try:
        return _from_robots(records, url, source_url)
    except Exception as error:
        return ContentUsage(
            Use.UNKNOWN,
            Use.UNKNOWN,
            parse_error=f"unreadable: {type(error).__name__}",
            evidence=(Evidence(SIGNAL, source_url, note=f"robots.txt Content-Usage records unreadable: {type(error).__name__}"),),
        )


def _from_robots(records: Sequence[tuple[str, int]], url: str, source_url: str) -> ContentUsage:
    matching: list[tuple[int, str | None, str, str, int]] = []
    for value, line in list(records)[:MAX_ROBOTS_RECORDS]:
        path, preference = _split_record(value)
        if path is not None and not pattern_matches(path, url):
            continue
        priority = pattern_priority(path if path is not None else "/")
        matching.append((priority, path, preference, value, line))
    if not matching:
        return NO_PREFERENCE
    best = max(priority for priority, *_ in matching)
    chosen = [m for m in matching if m[0] == best]
    values: list[ContentUsage] = []
    for _priority, path, preference, value, line in chosen:
        reading = _read(preference)
        scope = f"path {path}" if path is not None else "no path (whole group)"
        how = f"robots.txt Content-Usage, {scope}, most specific of {len(matching)} matching"
        if path is not None and not preference:
            how += "; no preference after the path"
        evidence = Evidence(SIGNAL, source_url, value, line=line, note=f"{how}; {reading.summary()}")
        values.append(_from_reading(reading, value, evidence))
    return combine_content_usage(*values)


def combine_content_usage(*values: ContentUsage) -> ContentUsage:
    """Several statements about one document: per label the most restrictive
    wins (any n, then any y, else unknown). Raw texts, legacy labels, parse
    errors and evidence are all kept."""
    if not values:
        return NO_PREFERENCE
    if len(values) == 1:
        return values[0]
    legacy = tuple(dict.fromkeys(label for v in values for label in v.legacy_labels))
    errors = [v.parse_error for v in values if v.parse_error]
    return ContentUsage(
        train_ai=most_restrictive(v.train_ai for v in values),
        search=most_restrictive(v.search for v in values),
        legacy_labels=legacy,
        parse_error="; ".join(errors) if errors else None,
        raw=clean_evidence_text("; ".join(v.raw for v in values if v.raw), RAW_LIMIT),
        evidence=tuple(e for v in values for e in v.evidence),
    )


def content_usage_findings(cu: ContentUsage, *, legacy_as_reservation: bool) -> list[Finding]:
    """Findings for one document's combined Content-Usage.

    ``train-ai=n`` is a restrictive training reservation; ``train-ai=y`` and
    ``search`` are recorded without restricting (search is not our use). A
    legacy label with ``n`` is restrictive only when ``legacy_as_reservation``
    and its old category covered training or TDM (``bots``, ``all``, ``tdm``,
    ``ai``, ``genai``, ``train-genai``); labels of inference-time use
    (``ai-use``, ``ai-output``, ``inference``) are recorded like CS ``ai-input``."""
    found: list[Finding] = []
    if cu.train_ai is Use.DENY:
        found.append(Finding(SIGNAL, "content-usage-train-ai", FindingKind.USE, True, Usage(train=Use.DENY), cu.evidence))
    elif cu.train_ai is Use.ALLOW:
        found.append(Finding(SIGNAL, "content-usage-train-ai-allowed", FindingKind.USE, False, Usage(train=Use.ALLOW), cu.evidence))
    if cu.search is Use.DENY:
        found.append(Finding(SIGNAL, "content-usage-search", FindingKind.USE, False, Usage(search=Use.DENY), cu.evidence))
    elif cu.search is Use.ALLOW:
        found.append(Finding(SIGNAL, "content-usage-search-allowed", FindingKind.USE, False, Usage(search=Use.ALLOW), cu.evidence))
    for label in cu.legacy_labels:
        usage = LEGACY_LABEL_USAGE.get(label, Usage())
        restrictive = legacy_as_reservation and usage.reserves_training
        if restrictive:
            how = "legacy AIPREF label read as a reservation by the profile"
        else:
            how = "legacy AIPREF label: unknown under the current draft, recorded only"
        note = Evidence(SIGNAL, "profile:legacy_aipref_as_reservation", f"{label}=n", note=how)
        found.append(
            Finding(
                SIGNAL,
                f"content-usage-legacy-{label}",
                FindingKind.USE,
                restrictive,
                usage if legacy_as_reservation else Usage(),
                cu.evidence + (note,),
            )
        )
    return found
