"""The vocabulary every rights module shares: usage verdicts, evidence, findings.

Owns the small frozen values that cross module lines in the rights core. It
must not import Scrapy, do I/O or know about any one signal's syntax.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import re
from dataclasses import dataclass, field, fields
from typing import Iterable, Sequence

EVIDENCE_VALUE_LIMIT = 300
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]+")


class Use(str, enum.Enum):
    """What a signal says about one category of use."""

    ALLOW = "allow"
    DENY = "deny"
    UNKNOWN = "unknown"


def most_restrictive(uses: Iterable[Use]) -> Use:
    """Any deny wins, then any allow; nothing said means unknown (AIPREF combine rule)."""
    seen = set(uses)
    if Use.DENY in seen:
        return Use.DENY
    if Use.ALLOW in seen:
        return Use.ALLOW
    return Use.UNKNOWN


@dataclass(frozen=True)
class Usage:
    """A verdict per category of use. ``train`` is AI training, ``tdm`` text and
    data mining in the CDSM Art. 4 sense, ``ai_input`` use at inference time
    (RAG, grounding), ``search`` a search index."""

    train: Use = Use.UNKNOWN
    tdm: Use = Use.UNKNOWN
    ai_input: Use = Use.UNKNOWN
    search: Use = Use.UNKNOWN

    def combine(self, other: "Usage") -> "Usage":
        return Usage(
            **{
                f.name: most_restrictive((getattr(self, f.name), getattr(other, f.name)))
                for f in fields(self)
            }
        )

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name).value for f in fields(self)}

    @property
    def reserves_training(self) -> bool:
        """True when the use we crawl for (training / TDM) is denied."""
        return self.train is Use.DENY or self.tdm is Use.DENY


NO_USAGE = Usage()


def clean_evidence_text(text: object, limit: int = EVIDENCE_VALUE_LIMIT) -> str:
    """One line of printable text: control characters (CR/LF included) become a
    space so evidence can never inject lines into WARC fields or logs."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    out = _CONTROL.sub(" ", str(text)).strip()
    if len(out) > limit:
        out = out[: limit - 1] + "\u2026"
    return out


@dataclass(frozen=True)
class Evidence:
    """What was seen, and where: enough for an auditor to find it again.

    ``signal`` is the family (``robots``, ``tdmrep``, ``content-usage``,
    ``content-signal``, ``x-robots-tag``, ``meta-robots``, ``ai-txt``, ``rsl``,
    ``ai-agent``, ``registry``, ``licence``, ``http``, ``address``); ``source`` is the URL of the
    file or ``header:<Name>`` / ``meta:<name>`` / ``html``; ``value`` the exact text
    seen (one line, bounded); ``line`` its 1-based line in the file; ``note`` how it
    was read (for example ``malformed: not a JSON array``)."""

    signal: str
    source: str
    value: str = ""
    line: int | None = None
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", clean_evidence_text(self.value))
        object.__setattr__(self, "source", clean_evidence_text(self.source, 2048))
        object.__setattr__(self, "note", clean_evidence_text(self.note))

    def as_dict(self) -> dict[str, object]:
        return {
            "signal": self.signal,
            "source": self.source,
            "value": self.value,
            "line": self.line,
            "note": self.note,
        }

    def __str__(self) -> str:
        where = self.source + (f" line {self.line}" if self.line is not None else "")
        text = f"{self.signal} {where}: {self.value}" if self.value else f"{self.signal} {where}"
        return f"{text} ({self.note})" if self.note else text


class FindingKind(str, enum.Enum):
    """``fetch`` findings govern whether a URL may be requested at all (robots.txt,
    an RSL licence server); ``use`` findings govern what the content may be used
    for (reservations), which a profile may record without excluding."""

    FETCH = "fetch"
    USE = "use"


@dataclass(frozen=True)
class Finding:
    """One thing one signal said about one URL.

    ``reason`` is the code the document is excluded under if this finding wins
    (it starts with the signal's family, e.g. ``tdmrep-reserved``);
    ``restrictive`` says whether it restricts our use (or, for fetch findings,
    the fetch)."""

    signal: str
    reason: str
    kind: FindingKind
    restrictive: bool
    usage: Usage = NO_USAGE
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)


HeaderPairs = Sequence[tuple[str, str]]
"""HTTP headers as (name, value) pairs, every instance kept in order; the Scrapy
shell decodes values as latin-1 (the bytes as sent) before handing them in."""


def header_values(headers: HeaderPairs, name: str) -> list[str]:
    """Every value of header ``name`` (case-insensitive), in order received."""
    wanted = name.lower()
    return [value for key, value in headers if key.lower() == wanted]


MetaPairs = Sequence[tuple[str, str]]
"""HTML ``<meta name=... content=...>`` tags as (name lowercased, content) pairs,
in document order, as the page parser extracts them."""


def sha1_base32(data: bytes) -> str:
    """``sha1:`` + uppercase Base32: the digest form WARC, CDX and Common Crawl share."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")
