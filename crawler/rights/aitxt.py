"""Spawning's ai.txt: robots.txt grammar over paths and file-type globs,
saying which files may not go into AI datasets.

Owns deciding whether a served ``/ai.txt`` is one (a 2xx ``text/plain`` body,
not an HTML page answered with 200, not an error page) and checking a URL
against it with the robots.txt reader of :mod:`crawler.rights.robots` (a glob
without a leading ``/`` such as ``*.jpg`` matches anywhere in the path).

It must not fetch anything, import Scrapy, or raise on outside input.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

from .evidence import Finding, FindingKind, Usage, Use
from .robots import RobotsTxt

VALID = "valid"
ABSENT = "absent"
IGNORED = "ignored"

_SNIFF_BYTES = 1024
_HTML_STARTS = (b"<!doctype", b"<html", b"<head", b"<body", b"<?xml", b"<!--", b"<meta", b"<title", b"<script")


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _looks_like_markup(body: bytes) -> bool:
    head = body[:_SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(_HTML_STARTS) or b"<html" in head or b"<body" in head


@dataclass(frozen=True)
class AiTxt:
    """What one host's ``/ai.txt`` said, if it was an ai.txt at all.

    ``state`` is ``valid``, ``absent`` (4xx/5xx, network error) or ``ignored``
    (an HTML page or a Content-Type other than text/plain)."""

    state: str
    source_url: str
    sha256: str = ""
    note: str = ""
    robots: RobotsTxt | None = field(default=None, compare=False, repr=False)

    @classmethod
    def absent(cls, source_url: str, note: str) -> "AiTxt":
        return cls(ABSENT, source_url, note=note)

    @classmethod
    def parse(cls, body: bytes, *, status: int, content_type: str | None, source_url: str) -> "AiTxt":
        """Judge a fetched ``/ai.txt``. Never raises."""
        try:
            raw = bytes(body) if isinstance(body, (bytes, bytearray, memoryview)) else b""
            digest = hashlib.sha256(raw).hexdigest()
            if not isinstance(status, int) or not 200 <= status < 300:
                return cls(ABSENT, source_url, digest, f"HTTP {status}")
            media_type = _media_type(content_type)
            if _looks_like_markup(raw):
                return cls(IGNORED, source_url, digest, "an HTML page, not an ai.txt")
            if media_type and media_type != "text/plain":
                return cls(IGNORED, source_url, digest, f"Content-Type {media_type}, not text/plain")
            # Rules written before any User-Agent line still speak to everyone here:
            # ai.txt files are short hand-written lists, and the intent is plain.
            robots = RobotsTxt.parse(raw, source_url, leading_rules_for_all=True)
            note = "" if media_type else "no Content-Type; read as text/plain"
            return cls(VALID, source_url, digest, note, robots)
        except Exception as exc:  # defensive: outside input never raises
            return cls(IGNORED, source_url, "", f"malformed: {type(exc).__name__}")

    def check(self, url: str, token: str) -> Finding | None:
        """A training reservation when a Disallow for our group (or ``*``) wins
        for ``url``; None when an Allow wins, nothing matches, or there is no ai.txt."""
        if self.state != VALID or self.robots is None:
            return None
        match = self.robots.can_fetch(url, token)
        if match.allowed:
            return None
        return Finding(
            signal="ai-txt",
            reason="ai-txt-disallow",
            kind=FindingKind.USE,
            restrictive=True,
            usage=Usage(train=Use.DENY, tdm=Use.DENY),
            evidence=(replace(match.evidence, signal="ai-txt"),),
        )
