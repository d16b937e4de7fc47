"""Spawning's ai.txt: robots.txt grammar over paths and file-type globs,
saying which files may not go into AI datasets.

Owns deciding whether a served ``/ai.txt`` is one (text/plain, not an HTML
page answered with 200) and checking a URL against it with the robots.txt
matcher (a glob without a leading ``/`` such as ``*.jpg`` matches anywhere in
the path). No Scrapy import, no I/O.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from .evidence import Finding, FindingKind, Usage, Use
from .robots import RobotsTxt


@dataclass(frozen=True)
class AiTxt:
    state: str  # valid | absent | ignored
    source_url: str
    sha256: str = ""
    note: str = ""
    robots: RobotsTxt | None = field(default=None, compare=False)

    @classmethod
    def absent(cls, source_url: str, note: str) -> "AiTxt":
        return cls("absent", source_url, note=note)

    @classmethod
    def parse(cls, body: bytes, *, status: int, content_type: str | None, source_url: str) -> "AiTxt":
        digest = hashlib.sha256(body).hexdigest()
        if not 200 <= status < 300:
            return cls("absent", source_url, digest, f"HTTP {status}")
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        head = body[:512].lstrip().lower()
        if head.startswith((b"<!doctype", b"<html", b"<?xml")) or b"<html" in head:
            return cls("ignored", source_url, digest, "an HTML page, not an ai.txt")
        if media_type and media_type != "text/plain":
            return cls("ignored", source_url, digest, f"Content-Type {media_type}, not text/plain")
        return cls("valid", source_url, digest, "", RobotsTxt.parse(body, source_url))

    def check(self, url: str, token: str) -> Finding | None:
        if self.state != "valid" or self.robots is None:
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
            evidence=(match.evidence,),
        )
