"""W3C TDM Reservation Protocol (TDMRep, CG Final Report 2024-05-10).

Owns the three web carriers of a TDM reservation: ``/.well-known/tdmrep.json``
(site rules, first matching entry in array order wins), the ``tdm-reservation``
/ ``tdm-policy`` response headers and the HTML ``<meta>`` tags of the same
names, and their precedence (file < header < meta < the metadata embedded in
a PDF or EPUB, read by :mod:`crawler.rights.embedded`; a later carrier that
sets a value supersedes, absence never resets). It turns the resolved value into a
:class:`Finding`. It must not fetch anything (the caller hands in bytes and
headers, and the policy URL is never followed), import Scrapy, or raise on
what a server sent: malformed input yields an unset value with a note.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from .evidence import Evidence, Finding, FindingKind, HeaderPairs, MetaPairs, Usage, Use, header_values
from .urlpattern import pattern_matches

SIGNAL = "tdmrep"
MAX_FILE_BYTES = 1024 * 1024
# Real files hold a handful of rules; the cap keeps a per-URL lookup bounded
# (each entry costs one pattern match) and below the pattern-matcher cache size.
MAX_ENTRIES = 4096
MAX_HEADER_INSTANCES = 64

VALID = "valid"
NOT_IMPLEMENTED = "not-implemented"
MALFORMED = "malformed"
UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class TdmValue:
    """The TDMRep value one carrier (or the resolved set of carriers) gives a URL.

    ``reservation`` is 1 (TDM rights reserved), 0 (not reserved) or None
    (unset: nothing said, or a protocol error); ``policy`` is the ``tdm-policy``
    URL, kept only with reservation 1; ``source`` names the carrier that set the
    value (``file``, ``header``, ``meta``)."""

    reservation: int | None
    policy: str | None
    source: str | None
    evidence: tuple[Evidence, ...] = ()


UNSET = TdmValue(None, None, None, ())


@dataclass(frozen=True)
class TdmEntry:
    """One rule of ``tdmrep.json``: ``index`` is its 0-based position in the
    array; ``reservation`` is None when the value was a protocol error;
    ``location`` is None when missing or unusable (such an entry never matches)."""

    location: str | None
    reservation: int | None
    policy: str | None
    index: int
    raw: str = ""
    note: str = ""


def _short(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)[:60]
    except (TypeError, ValueError, RecursionError):
        return type(value).__name__


def _reservation_from_json(value: object) -> tuple[int | None, str]:
    """0 / 1 per the spec; anything else is a protocol error (unset)."""
    if isinstance(value, bool):  # bool is an int subclass in Python: true is not 1
        return None, f"protocol error: tdm-reservation {_short(value)} is not 0 or 1; unset"
    if isinstance(value, (int, float)) and value in (0, 1):
        # JSON has one number type, so 1.0 is the number 1.
        return int(value), ""
    if isinstance(value, str) and value.strip() in ("0", "1"):
        # Lenient: the text a header would carry, quoted. Its meaning is not in
        # doubt, and ignoring a reservation is the costlier mistake.
        return int(value.strip()), f"lenient: string {_short(value)} read as the number {value.strip()}"
    shown = _short(value) if value is not None else "missing"
    return None, f"protocol error: tdm-reservation {shown} is not 0 or 1; unset"


def _location_from_json(value: object, source_url: str) -> tuple[str | None, str]:
    if not isinstance(value, str) or not value.strip():
        return None, "location missing or not a string; entry never matches"
    location = value.strip()
    lowered = location.lower()
    if lowered.startswith(("http://", "https://")):
        # Lenient: an absolute URL on this host is read as its path.
        parts = urlsplit(location)
        own = urlsplit(source_url).netloc.lower() if source_url else ""
        if own and parts.netloc.lower() != own:
            return None, "location names another host; entry never matches"
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return path, "lenient: absolute URL location read as its path"
    return location, ""


def _entry_from_json(item: dict, index: int, source_url: str) -> TdmEntry:
    notes: list[str] = []
    location, location_note = _location_from_json(item.get("location"), source_url)
    reservation, reservation_note = _reservation_from_json(item.get("tdm-reservation"))
    policy: str | None = None
    raw_policy = item.get("tdm-policy")
    if reservation == 1 and isinstance(raw_policy, str) and raw_policy.strip():
        policy = raw_policy.strip()
    elif raw_policy is not None and reservation == 1:
        notes.append("tdm-policy is not a URL string; ignored")
    elif raw_policy is not None:
        notes.append("tdm-policy ignored: reservation is not 1")
    notes = [n for n in (location_note, reservation_note, *notes) if n]
    try:
        raw = json.dumps(item, ensure_ascii=False, sort_keys=True)[:400]
    except (TypeError, ValueError, RecursionError):
        raw = "<unprintable entry>"
    return TdmEntry(location, reservation, policy, index, raw, "; ".join(notes))


def _looks_like_html(body: bytes, content_type: str | None) -> bool:
    if content_type and "html" in content_type.lower():
        return True
    return body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


@dataclass(frozen=True)
class TdmRepFile:
    """A site's ``/.well-known/tdmrep.json`` as obtained.

    ``state``: ``valid`` (a JSON array, rules in ``entries``), ``not-implemented``
    (4xx, an HTML page, an unresolved redirect: the origin does not implement the
    protocol, reservation unset), ``malformed`` (not a JSON array of rules:
    unset, with a warning in ``note``) or ``unreachable`` (5xx, 429 or a network
    error: unknown, retry later)."""

    state: str
    source_url: str
    sha256: str = ""
    entries: tuple[TdmEntry, ...] = ()
    note: str = ""
    content_type: str | None = None
    http_status: int | None = None

    @classmethod
    def parse(cls, body: bytes, *, status: int, content_type: str | None, source_url: str) -> "TdmRepFile":
        """Read a tdmrep.json response. Never raises."""
        try:
            return cls._parse(body, status=status, content_type=content_type, source_url=source_url)
        except Exception as error:  # a parser of outside input never raises
            note = f"malformed: unexpected {type(error).__name__}"
            return cls(MALFORMED, source_url, note=note, content_type=content_type, http_status=status)

    @classmethod
    def _parse(cls, body: bytes, *, status: int, content_type: str | None, source_url: str) -> "TdmRepFile":
        body = bytes(body or b"")
        digest = hashlib.sha256(body).hexdigest()
        made = dict(source_url=source_url, sha256=digest, content_type=content_type, http_status=status)
        if status == 429 or 500 <= status <= 599:
            return cls(UNREACHABLE, note=f"HTTP {status}: reservation unknown, retry later", **made)
        if not 100 <= status <= 599:
            return cls(UNREACHABLE, note="no HTTP status: reservation unknown, retry later", **made)
        if 300 <= status <= 399:
            return cls(NOT_IMPLEMENTED, note=f"HTTP {status}: redirect did not lead to the file; protocol not implemented", **made)
        if not 200 <= status <= 299:
            return cls(NOT_IMPLEMENTED, note=f"HTTP {status}: protocol not implemented", **made)
        if _looks_like_html(body, content_type):
            return cls(NOT_IMPLEMENTED, note=f"HTML served ({content_type or 'no Content-Type'}): protocol not implemented", **made)
        if len(body) > MAX_FILE_BYTES:
            return cls(MALFORMED, note=f"malformed: file larger than {MAX_FILE_BYTES} bytes", **made)
        notes: list[str] = []
        if body.startswith(b"\xef\xbb\xbf"):
            body = body[3:]
            notes.append("UTF-8 BOM removed")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            # Lenient: the structure may still be readable; a damaged location just won't match.
            text = body.decode("utf-8", "replace")
            notes.append("invalid UTF-8 replaced")
        try:
            data = json.loads(text)
        except RecursionError:
            return cls(MALFORMED, note="malformed: JSON nested too deeply", **made)
        except ValueError as error:
            return cls(MALFORMED, note=f"malformed: not JSON ({str(error)[:80]})", **made)
        if not isinstance(data, list):
            kind = type(data).__name__ if not isinstance(data, dict) else "object"
            return cls(MALFORMED, note=f"malformed: not a JSON array (a {kind}); reservation unset", **made)
        entries: list[TdmEntry] = []
        skipped = 0
        for index, item in enumerate(data[:MAX_ENTRIES]):
            if isinstance(item, dict):
                entries.append(_entry_from_json(item, index, source_url))
            else:
                skipped += 1
        if skipped:
            notes.append(f"{skipped} array item(s) not objects, ignored")
        if len(data) > MAX_ENTRIES:
            notes.append(f"only the first {MAX_ENTRIES} of {len(data)} entries read")
        if content_type and "json" not in content_type.lower():
            notes.append(f"Content-Type {content_type} is not JSON; read anyway")
        return cls(VALID, entries=tuple(entries), note="; ".join(notes), **made)

    @classmethod
    def unreachable(cls, source_url: str, note: str) -> "TdmRepFile":
        """5xx, 429 or a network error: the reservation is unknown; retry later."""
        return cls(UNREACHABLE, source_url, note=f"unreachable: {note}; reservation unknown, retry later")

    def _file_evidence(self, value: str, note: str) -> Evidence:
        return Evidence(SIGNAL, self.source_url, value, note=note)

    def lookup(self, url: str) -> TdmValue:
        """The value of the FIRST entry, in array order, whose location matches
        the URL (the spec's "most specific match is the first in sequence";
        not the longest match). No match, or a file in any state but valid, is unset."""
        if self.state != VALID:
            return replace(UNSET, evidence=(self._file_evidence(self.state, f"tdmrep.json {self.state}: {self.note}"),))
        for entry in self.entries:
            if entry.location is None or not pattern_matches(entry.location, url):
                continue
            where = f"entry {entry.index} (first match in array order), location {entry.location}"
            detail = f"; Content-Type {self.content_type}" if self.content_type else ""
            note = f"{where}{detail}" + (f"; {entry.note}" if entry.note else "")
            evidence = (self._file_evidence(entry.raw, note),)
            if entry.reservation is None:
                return replace(UNSET, evidence=evidence)
            return TdmValue(entry.reservation, entry.policy, "file", evidence)
        return replace(UNSET, evidence=(self._file_evidence("", f"no entry matches this URL ({len(self.entries)} entries)"),))


_CARRIER_NOTES = {"header": "response header", "meta": "HTML meta"}


def tdm_from_values(
    values: list[str], policies: list[str], source: str, *, where: str | None = None, policy_where: str | None = None, note: str | None = None
) -> TdmValue:
    """Shared reading of the carriers that give values (headers, HTML meta, the
    metadata embedded in a PDF or EPUB): trimmed ``0``/``1`` only, the last
    valid instance wins, protocol errors and conflicts are noted. ``where`` and
    ``policy_where`` name the evidence source (default ``<source>:tdm-reservation``)."""
    where = where or f"{source}:tdm-reservation"
    policy_where = policy_where or f"{source}:tdm-policy"
    instances: list[str] = []
    for value in values[:MAX_HEADER_INSTANCES]:
        # A proxy may have folded repeated fields into one comma list.
        instances.extend(part.strip() for part in value.split(","))
    valid = [v for v in instances if v in ("0", "1")]
    errors = [v for v in instances if v not in ("0", "1")]
    notes: list[str] = []
    if errors:
        outcome = "instance ignored" if valid else "unset"
        notes.append(f"protocol error: {', '.join(repr(e[:20]) for e in errors[:5])} is not 0 or 1; {outcome}")
    if len(set(valid)) > 1:
        notes.append(f"conflicting instances {', '.join(valid)}; the last valid one used")
    shown = " | ".join(values[:MAX_HEADER_INSTANCES])
    notes.insert(0, note or _CARRIER_NOTES.get(source, source))
    if not valid:
        if not values and not policies:
            return UNSET
        if not values:
            notes.append("tdm-policy without tdm-reservation; ignored")
        return replace(UNSET, evidence=(Evidence(SIGNAL, where, shown, note="; ".join(notes)),))
    reservation = int(valid[-1])
    policy = next((p.strip() for p in reversed(policies) if p.strip()), None)
    if policy is not None and reservation != 1:
        notes.append("tdm-policy ignored: reservation is 0")
        policy = None
    evidence = [Evidence(SIGNAL, where, shown, note="; ".join(notes))]
    if policy is not None:
        evidence.append(Evidence(SIGNAL, policy_where, policy, note="policy URL recorded, not fetched"))
    return TdmValue(reservation, policy, source, tuple(evidence))


def tdm_from_headers(headers: HeaderPairs) -> TdmValue:
    """The ``tdm-reservation`` / ``tdm-policy`` response headers (names case-insensitive)."""
    try:
        return tdm_from_values(
            header_values(headers, "tdm-reservation"),
            header_values(headers, "tdm-policy"),
            "header",
        )
    except Exception as error:  # never raise on what a server sent
        return replace(UNSET, evidence=(Evidence(SIGNAL, "header:tdm-reservation", note=f"unreadable: {type(error).__name__}"),))


def tdm_from_meta(metas: MetaPairs) -> TdmValue:
    """``<meta name="tdm-reservation">`` / ``"tdm-policy"`` of an HTML page (the
    page only, not the media it references)."""
    try:
        values = [content for name, content in metas if name.strip().lower() == "tdm-reservation"]
        policies = [content for name, content in metas if name.strip().lower() == "tdm-policy"]
        return tdm_from_values(values, policies, "meta")
    except Exception as error:
        return replace(UNSET, evidence=(Evidence(SIGNAL, "meta:tdm-reservation", note=f"unreadable: {type(error).__name__}"),))


def resolve_tdm(*values: TdmValue) -> TdmValue:
    """Apply TDMRep precedence to carrier values given in order (file, header,
    meta, embedded in the PDF or EPUB: ``pdf`` / ``epub``): the last value that is set wins; an unset value (absence
    or a protocol error) never resets an earlier one. The result keeps every
    carrier's evidence, superseded values marked as such."""
    winner: TdmValue | None = None
    for value in values:
        if value.reservation is not None:
            winner = value
    evidence: list[Evidence] = []
    if winner is not None:
        evidence.extend(winner.evidence)
    for value in values:
        if value is winner:
            continue
        for item in value.evidence:
            if winner is not None and value.reservation is not None:
                item = replace(item, note=f"superseded by {winner.source} value {winner.reservation}; {item.note}")
            evidence.append(item)
    if winner is None:
        return replace(UNSET, evidence=tuple(evidence))
    return replace(winner, evidence=tuple(evidence))


def tdm_finding(value: TdmValue) -> Finding | None:
    """Reservation 1: a restrictive use finding (training and TDM denied; input
    to AI at inference time too, as a policy call: RAG ingestion is arguably
    TDM). Reservation 0: a non-restrictive finding. Unset: None."""
    if value.reservation == 1:
        return Finding(
            signal=SIGNAL,
            reason="tdmrep-reserved",
            kind=FindingKind.USE,
            restrictive=True,
            usage=Usage(train=Use.DENY, tdm=Use.DENY, ai_input=Use.DENY),
            evidence=value.evidence,
        )
    if value.reservation == 0:
        return Finding(
            signal=SIGNAL,
            reason="tdmrep-not-reserved",
            kind=FindingKind.USE,
            restrictive=False,
            usage=Usage(train=Use.ALLOW, tdm=Use.ALLOW),
            evidence=value.evidence,
        )
    return None
