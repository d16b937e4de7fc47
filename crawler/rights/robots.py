"""robots.txt read the RFC 9309 way, with Protego underneath for path matching.

Owns the group structure of a robots.txt (which lines belong to which user
agents), the matching of our product token to groups (by equality, not
substring), the merging of every group that names us, the choice of the
winning rule with its line (for the evidence), Crawl-delay / Request-rate, and
access to the records other formats put in robots.txt (Content-Usage and
Content-Signal inside groups; Sitemap and RSL License globally).

Protego's own group handling differs from the RFC in three ways we must not
inherit (a substring match of agents, one longest group instead of all
matching groups merged, and an unknown line splitting a run of User-agent
lines), so groups are parsed here and Protego only answers "does this pattern
match this path" through :mod:`crawler.rights.urlpattern`.

Never raises on outside input; parses at most ``ROBOTS_PARSE_LIMIT_BYTES``.
No Scrapy import, no I/O.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import Iterable

from .evidence import Evidence
from .urlpattern import path_of, pattern_matches, pattern_priority

ROBOTS_PARSE_LIMIT_BYTES = 512_000  # RFC 9309 2.5: at least 500 KiB
MAX_MALFORMED_KEPT = 50
_GLOBAL_RECORDS = ("sitemap", "license")
_RULE_RECORDS = ("allow", "disallow")
_KEY_ALIASES = {"useragent": "user-agent", "user agent": "user-agent", "dissallow": "disallow", "disalow": "disallow"}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*([smhd]?)\s*(?:\s+\S+)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class RobotsRule:
    directive: str  # "allow" | "disallow"
    pattern: str
    line: int


@dataclass(frozen=True)
class RobotsMatch:
    allowed: bool
    rule: RobotsRule | None
    agents: tuple[str, ...]
    evidence: Evidence


@dataclass
class _Group:
    agents: list[str] = field(default_factory=list)  # normalised tokens
    agent_lines: list[int] = field(default_factory=list)
    rules: list[RobotsRule] = field(default_factory=list)
    records: list[tuple[str, str, int]] = field(default_factory=list)  # (key, value, line)


def normalise_agent(value: str) -> str:
    """A User-agent value as a product token: lowercase, up to the first ``/``
    or space, trailing ``*`` dropped (``ResearchBot/1.0`` → ``researchbot``)."""
    value = value.strip().lower()
    if value == "*":
        return "*"
    value = re.split(r"[/\s]", value, maxsplit=1)[0]
    return value.rstrip("*") or "*"


def _decode(body: bytes | str) -> tuple[str, str]:
    """(text, note). UTF-8 (BOM stripped, whole or partial); bytes that are not
    UTF-8 are read as cp1252 so one bad byte never drops the file."""
    if isinstance(body, str):
        return body.lstrip("\ufeff"), ""
    for bom in (b"\xef\xbb\xbf", b"\xef\xbb", b"\xef"):
        if body.startswith(bom):
            body = body[len(bom) :]
            break
    try:
        return body.decode("utf-8"), ""
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace"), "not UTF-8: read leniently"


def _sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


class RobotsTxt:
    """A parsed robots.txt. Build with :meth:`parse` or :meth:`allow_all`."""

    def __init__(self, source_url: str, raw: bytes, note: str = ""):
        self.source_url = source_url
        self.size = len(raw)
        self.sha1 = _sha1_b32(raw)
        self.sha256 = hashlib.sha256(raw).hexdigest()
        self.truncated = False
        self.note = note
        self.malformed_lines: tuple[tuple[int, str], ...] = ()
        self._groups: list[_Group] = []
        self._globals: list[tuple[str, str, int]] = []
        self._lines: dict[int, str] = {}
        self._cache: dict[str, tuple[list[_Group], tuple[str, ...]]] = {}

    # ------------------------------------------------------------------ building
    @classmethod
    def allow_all(cls, source_url: str, note: str) -> "RobotsTxt":
        """No rules: what a 4xx robots.txt means (RFC 9309 2.3.1.3)."""
        return cls(source_url, b"", note)

    @classmethod
    def parse(cls, body: bytes | str, source_url: str = "") -> "RobotsTxt":
        raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        robots = cls(source_url, raw)
        try:
            robots._parse(raw if isinstance(body, bytes) else body)
        except Exception as exc:  # defensive: a parser of outside input never raises
            robots._groups, robots._globals = [], []
            robots.note = f"malformed: {type(exc).__name__}"
        return robots

    def _parse(self, body: bytes | str) -> None:
        if isinstance(body, bytes) and len(body) > ROBOTS_PARSE_LIMIT_BYTES:
            body = body[:ROBOTS_PARSE_LIMIT_BYTES]
            # Drop the partial last line: "Disallow: /pri" must never become a broader rule.
            cut = max(body.rfind(b"\n"), body.rfind(b"\r"))
            body = body[: cut + 1] if cut >= 0 else b""
            self.truncated = True
        text, note = _decode(body)
        if note:
            self.note = note
        malformed: list[tuple[int, str]] = []
        current: _Group | None = None
        in_agent_lines = False
        for number, line in enumerate(_LINE_BREAK.split(text), start=1):
            content = line.split("#", 1)[0].strip()
            if not content:
                continue
            if ":" in content:
                key, value = content.split(":", 1)
            else:
                # Google accepts "User-agent foo"; so do we, for the known keys only.
                parts = content.split(None, 1)
                if len(parts) == 2 and parts[0].lower() in ("user-agent", "allow", "disallow", "sitemap"):
                    key, value = parts
                else:
                    if len(malformed) < MAX_MALFORMED_KEPT:
                        malformed.append((number, content[:200]))
                    continue
            key = key.strip().lower()
            key = _KEY_ALIASES.get(key, key)
            value = value.strip()
            self._lines[number] = content[:300]
            if key in _GLOBAL_RECORDS:
                self._globals.append((key, value, number))
                continue
            if key == "user-agent":
                if current is None or not in_agent_lines:
                    current = _Group()
                    self._groups.append(current)
                    in_agent_lines = True
                current.agents.append(normalise_agent(value))
                current.agent_lines.append(number)
                continue
            if current is None:
                continue  # rules before the first User-agent line belong to no group
            if key in _RULE_RECORDS:
                in_agent_lines = False
                if value:  # an empty Disallow is not a rule
                    current.rules.append(RobotsRule(key, value, number))
                continue
            # Any other record (Crawl-delay, Content-Usage, Content-Signal, unknown)
            # belongs to the current group and does not end a run of User-agent lines.
            current.records.append((key, value, number))
        self.malformed_lines = tuple(malformed)

    # ------------------------------------------------------------------ groups
    def _applicable(self, token: str) -> tuple[list[_Group], tuple[str, ...]]:
        token = token.strip().lower()
        cached = self._cache.get(token)
        if cached is None:
            named = [g for g in self._groups if token in g.agents]
            if named:
                cached = (named, (token,))
            else:
                fallback = [g for g in self._groups if "*" in g.agents]
                cached = (fallback, ("*",) if fallback else ())
            self._cache[token] = cached
        return cached

    def has_group_for(self, token: str) -> bool:
        token = token.strip().lower()
        return any(token in g.agents for g in self._groups)

    def group_agents(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a for g in self._groups for a in g.agents))

    # ------------------------------------------------------------------ answers
    def can_fetch(self, url: str, token: str) -> RobotsMatch:
        groups, agents = self._applicable(token)
        try:
            path = path_of(url)
        except ValueError:
            path = url
        if path == "/robots.txt":
            return RobotsMatch(True, None, agents, Evidence("robots", self.source_url, "/robots.txt is always allowed"))
        best: RobotsRule | None = None
        best_key = (-1, False)
        for group in groups:
            for rule in group.rules:
                if pattern_matches(rule.pattern, path):
                    key = (pattern_priority(rule.pattern), rule.directive == "allow")  # longest wins; allow wins a tie
                    if key > best_key:
                        best, best_key = rule, key
        allowed = best is None or best.directive == "allow"
        if best is None:
            value = "no matching rule" if groups else "no group applies"
            evidence = Evidence("robots", self.source_url, value, note=self._note_for(agents))
        else:
            evidence = Evidence("robots", self.source_url, self._lines.get(best.line, f"{best.directive}: {best.pattern}"), line=best.line, note=self._note_for(agents))
        return RobotsMatch(allowed, best, agents, evidence)

    def _note_for(self, agents: tuple[str, ...]) -> str:
        parts = []
        if agents:
            parts.append("group " + ", ".join(agents))
        if self.truncated:
            parts.append(f"file truncated at {ROBOTS_PARSE_LIMIT_BYTES} bytes")
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)

    def records(self, token: str, name: str) -> tuple[tuple[str, int], ...]:
        name = name.lower()
        groups, _ = self._applicable(token)
        found = [(value, line) for g in groups for key, value, line in g.records if key == name]
        return tuple(sorted(found, key=lambda item: item[1]))

    def global_records(self, name: str) -> tuple[tuple[str, int], ...]:
        name = name.lower()
        return tuple((value, line) for key, value, line in self._globals if key == name)

    @property
    def sitemaps(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(value for value, _ in self.global_records("sitemap") if value))

    def crawl_delay(self, token: str) -> float | None:
        delays = []
        for value, _ in self.records(token, "crawl-delay"):
            try:
                delay = float(value)
            except ValueError:
                continue
            if math.isfinite(delay) and delay >= 0:
                delays.append(delay)
        return max(delays) if delays else None

    def request_rate(self, token: str) -> tuple[int, float] | None:
        slowest: tuple[int, float] | None = None
        for value, _ in self.records(token, "request-rate"):
            match = _RATE.match(value)
            if not match:
                continue
            requests, amount, unit = int(match.group(1)), int(match.group(2)), match.group(3).lower()
            if requests <= 0 or amount <= 0:
                continue
            rate = (requests, float(amount * _UNIT_SECONDS[unit]))
            if slowest is None or rate[1] / rate[0] > slowest[1] / slowest[0]:
                slowest = rate
        return slowest

    def lines(self, numbers: Iterable[int]) -> list[str]:
        return [self._lines.get(n, "") for n in numbers]
