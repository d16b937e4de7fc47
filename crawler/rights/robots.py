"""robots.txt read the RFC 9309 way, with Protego underneath for path matching.

Owns the group structure of a robots.txt (which lines belong to which user
agents), the matching of our product token to groups (by equality, not
substring), the merging of every group that names us, the choice of the
winning rule with its line (for the evidence), Crawl-delay / Request-rate, and
access to the records other formats put in robots.txt (Content-Usage and
Content-Signal inside groups; Sitemap and RSL License globally).

Protego's own group handling differs from the RFC in ways we must not
inherit (a substring match of agents, one longest group instead of all
matching groups merged, an unknown line splitting a run of User-agent lines,
a versioned ``bot/1.0`` line never matching ``bot``), so groups are parsed
here and Protego only answers "does this pattern match this path", through
:mod:`crawler.rights.urlpattern`.

It must not fetch anything, import Scrapy, or raise on outside input; it
parses at most ``ROBOTS_PARSE_LIMIT_BYTES`` of a file.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Iterable

from protego import Protego

from .evidence import Evidence, sha1_base32
from .urlpattern import path_of, pattern_matches, pattern_priority, slash_equivalent_query

ROBOTS_PARSE_LIMIT_BYTES = 512_000  # RFC 9309 2.5: parse at least 500 KiB
MAX_MALFORMED_KEPT = 50
MALFORMED_TEXT_LIMIT = 200

_UTF8_BOM_BYTES = frozenset(b"\xef\xbb\xbf")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A record key: a word, possibly two ("User agent"), of letters, digits, - and _.
_KEY = re.compile(r"[a-z][a-z0-9_-]*(?: [a-z0-9_-]+)?")
_KEY_ALIASES = {
    "useragent": "user-agent",
    "user agent": "user-agent",
    "dissallow": "disallow",
    "dissalow": "disallow",
    "disalow": "disallow",
    "diasllow": "disallow",
    "disallaw": "disallow",
    "site-map": "sitemap",
    "crawl delay": "crawl-delay",
    "request rate": "request-rate",
}
# Keys Google (and Protego) also accept without a colon ("User-agent foo").
_COLONLESS_KEYS = ("user-agent", "allow", "disallow", "sitemap")
_RULE_KEYS = ("allow", "disallow")
# Records that belong to the whole file rather than to a group, wherever they appear.
_SITE_WIDE_KEYS = ("sitemap", "license")
# Characters str.splitlines() breaks on that our line splitter does not: they
# must never reach Protego raw, or one pattern would become two lines there.
_PROTEGO_LINE_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_RATE = re.compile(
    r"(\d{1,9})\s*/\s*(\d{1,9}(?:\.\d{1,6})?)\s*([smhd]?)(?:\s+\d{1,4}\s*-\s*\d{1,4})?",
    re.IGNORECASE,
)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_BLOCK_MIN = 16
_TOKEN_CACHE_LIMIT = 1024
_PROBE_HOST = "http://robots.invalid"


@dataclass(frozen=True)
class RobotsRule:
    """One Allow or Disallow line of a group."""

    directive: str  # "allow" | "disallow"
    pattern: str
    line: int  # 1-based line number in the file


@dataclass(frozen=True)
class RobotsMatch:
    """The answer for one URL: allowed or not, the rule that decided, and why."""

    allowed: bool
    rule: RobotsRule | None  # the winning rule; None when no rule matched
    agents: tuple[str, ...]  # User-agent values that made the group(s) apply; ("*",) for the fallback
    evidence: Evidence


@dataclass(frozen=True)
class _Group:
    agents: tuple[str, ...]  # normalised tokens
    agent_values: tuple[str, ...]  # as written, same order
    rules: tuple[RobotsRule, ...]
    records: tuple[tuple[str, str, int], ...]  # (key, value, line) of every other record


class _GroupBuilder:
    """Collects one group while the file is read (mutable only during parsing)."""

    def __init__(self) -> None:
        self.agents: list[str] = []
        self.agent_values: list[str] = []
        self.rules: list[RobotsRule] = []
        self.records: list[tuple[str, str, int]] = []

    def freeze(self) -> _Group:
        return _Group(tuple(self.agents), tuple(self.agent_values), tuple(self.rules), tuple(self.records))


@dataclass(frozen=True)
class _Applicable:
    """What applies to one token: the groups, the merged rules in winning order,
    and Protego matchers over blocks of those rules for a quick "any match?"."""

    groups: tuple[_Group, ...]
    agents: tuple[str, ...]
    ranked_rules: tuple[RobotsRule, ...]
    blocks: tuple[tuple[int, int, Protego], ...]


def normalise_agent(value: str) -> str:
    """A User-agent value as a product token: lowercase, up to the first ``/``
    or whitespace, trailing ``*`` dropped (``ResearchBot/1.0``, ``researchbot*``
    and ``ResearchBot`` are all ``researchbot``). ``*`` is the fallback; an
    empty value names no one (``""``)."""
    value = value.strip().lower()
    token = re.split(r"[/\s]", value, maxsplit=1)[0]
    if token and not token.strip("*"):
        return "*"
    return token.rstrip("*")


def _as_bytes(body: object) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        # A lone surrogate cannot be UTF-8; it becomes U+FFFD rather than an error.
        return body.encode("utf-8", "replace")
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    return b""


def _cut_to_limit(raw: bytes) -> tuple[bytes, bool]:
    """The first ``ROBOTS_PARSE_LIMIT_BYTES`` bytes, without a line the cut
    split: a half line such as ``Disallow: /pri`` must never become a broader rule."""
    if len(raw) <= ROBOTS_PARSE_LIMIT_BYTES:
        return raw, False
    head = raw[:ROBOTS_PARSE_LIMIT_BYTES]
    if raw[ROBOTS_PARSE_LIMIT_BYTES] in b"\r\n":
        return head, True  # the cut fell exactly on a line end
    cut = max(head.rfind(b"\n"), head.rfind(b"\r"))
    return head[: cut + 1], True


def _strip_bom(raw: bytes) -> bytes:
    """Drop a UTF-8 byte order mark, also a partial or mangled one: any run of
    the BOM's bytes at the start (they cannot begin a record or a comment)."""
    start = 0
    while start < len(raw) and start < 6 and raw[start] in _UTF8_BOM_BYTES:
        start += 1
    return raw[start:]


_SURROGATE_ESCAPE = re.compile("[\udc80-\udcff]")


def _lenient_byte(match: re.Match[str]) -> str:
    byte = bytes([ord(match.group()) - 0xDC00])
    try:
        return byte.decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return byte.decode("latin-1")


def _decode(raw: bytes) -> tuple[str, str]:
    """(text, note). UTF-8; a byte that is not part of valid UTF-8 is read as
    the cp1252 character it most likely was, so one bad byte neither drops the
    file nor turns ``/café`` into ``/caf``."""
    try:
        return raw.decode("utf-8"), ""
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "surrogateescape")
        return _SURROGATE_ESCAPE.sub(_lenient_byte, text), "not UTF-8: invalid bytes read as cp1252"


def _split_record(content: str) -> tuple[str, str] | None:
    """(key, value) of a non-empty, comment-free line, or None if it is not a record."""
    key, colon, value = content.partition(":")
    if colon:
        key = " ".join(key.lower().split())
        # A two-word key is only a record when it is a known spelling ("User agent");
        # otherwise "Sitemap http://x" would read as a record called "sitemap http".
        if _KEY.fullmatch(key) and (" " not in key or key in _KEY_ALIASES):
            return _KEY_ALIASES.get(key, key), value.strip()
    # Google accepts "User-agent foo" and "Disallow /x"; so do we, for those keys only.
    words = content.split(None, 2)
    for width in (2, 1):
        if len(words) > width:
            key = _KEY_ALIASES.get(" ".join(words[:width]).lower(), " ".join(words[:width]).lower())
            if key in _COLONLESS_KEYS:
                return key, content.split(None, width)[width].strip()
    return None


def _one_line_pattern(value: str) -> str:
    """``value`` with the line breaks only Protego sees percent-encoded (as Protego
    would encode those characters anyway), so the pattern stays one line there."""
    return _PROTEGO_LINE_BREAKS.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), value)


def _rank(rule: RobotsRule) -> tuple[int, bool, int]:
    # Longest pattern first; on a tie Allow first (RFC 9309 2.2.2); then file order.
    return (-pattern_priority(rule.pattern), rule.directive != "allow", rule.line)


def _any_match_blocks(rules: tuple[RobotsRule, ...]) -> tuple[tuple[int, int, Protego], ...]:
    """Protego files of Disallow-only lines over consecutive blocks of the ranked
    rules: ``can_fetch`` is False exactly when some pattern in the block matches.
    Protego loops over a block's patterns far faster than one call per rule,
    so only the first block with a match is checked rule by rule."""
    if not rules:
        return ()
    size = max(_BLOCK_MIN, math.isqrt(len(rules)))
    blocks = []
    for start in range(0, len(rules), size):
        chunk = rules[start : start + size]
        text = "User-agent: *\n" + "".join(f"Disallow: {slash_equivalent_query(rule.pattern)}\n" for rule in chunk)
        blocks.append((start, start + len(chunk), Protego.parse(text)))
    return tuple(blocks)


class RobotsTxt:
    """A parsed robots.txt. Build with :meth:`parse` or :meth:`allow_all`.

    Immutable once built, apart from a per-token cache of the merged rules."""

    def __init__(self, source_url: str, raw: bytes, note: str = "") -> None:
        self.source_url = source_url
        self.size = len(raw)
        self.sha1 = sha1_base32(raw)
        self.sha256 = hashlib.sha256(raw).hexdigest()
        self.truncated = False
        self.note = note
        self.malformed_lines: tuple[tuple[int, str], ...] = ()
        self.invalid_values: tuple[tuple[int, str], ...] = ()  # Crawl-delay / Request-rate values we could not read
        self.orphan_rule_lines: tuple[int, ...] = ()  # Allow/Disallow before the first User-agent (ignored)
        self._groups: tuple[_Group, ...] = ()
        self._site_wide: tuple[tuple[str, str, int], ...] = ()
        self._line_text: dict[int, str] = {}
        self._named_agents: frozenset[str] = frozenset()
        self._fail_closed = False
        self._cache: dict[str, _Applicable] = {}

    # ------------------------------------------------------------------ building
    @classmethod
    def allow_all(cls, source_url: str, note: str) -> "RobotsTxt":
        """No rules at all: what a 4xx robots.txt means (RFC 9309 2.3.1.3)."""
        return cls(source_url, b"", note)

    @classmethod
    def parse(cls, body: bytes | str, source_url: str = "", *, leading_rules_for_all: bool = False) -> "RobotsTxt":
        """Read a robots.txt body. Never raises: lines that are not records are
        listed in ``malformed_lines`` and otherwise ignored (RFC 9309 2.3.1).

        ``leading_rules_for_all`` is for files that borrow the grammar (ai.txt):
        Allow/Disallow lines before the first User-agent line then form a ``*``
        group instead of being ignored as RFC 9309 says for robots.txt."""
        raw = _as_bytes(body)
        robots = cls(source_url, raw)
        try:
            robots._read(raw, leading_rules_for_all)
        except Exception as exc:  # a bug of ours must not become allow-all
            robots._groups, robots._site_wide, robots._cache = (), (), {}
            robots._fail_closed = True
            robots.note = f"malformed: parser failure ({type(exc).__name__}); everything disallowed"
        return robots

    def _read(self, raw: bytes, leading_rules_for_all: bool = False) -> None:
        head, self.truncated = _cut_to_limit(raw)
        text, self.note = _decode(_strip_bom(head))
        if text.startswith("\ufeff"):  # a BOM in a str that was handed in decoded
            text = text.lstrip("\ufeff")
        malformed: list[tuple[int, str]] = []
        invalid: list[tuple[int, str]] = []
        orphans: list[int] = []
        groups: list[_GroupBuilder] = []
        site_wide: list[tuple[str, str, int]] = []
        current: _GroupBuilder | None = None
        reading_agents = False  # inside the run of User-agent lines that opens a group
        for number, line in enumerate(_LINE_BREAK.split(text), start=1):
            content = line.split("#", 1)[0].strip()
            if not content:
                continue
            record = _split_record(content)
            if record is None:
                if len(malformed) < MAX_MALFORMED_KEPT:
                    malformed.append((number, content[:MALFORMED_TEXT_LIMIT]))
                continue
            key, value = record
            if key in _SITE_WIDE_KEYS or (current is None and key not in _RULE_KEYS and key != "user-agent"):
                # Sitemap and License anywhere, and any other record before the
                # first group, belong to the file rather than to a group.
                site_wide.append((key, value, number))
                self._line_text[number] = line.strip()
                continue
            if key == "user-agent":
                if current is None or not reading_agents:
                    current = _GroupBuilder()
                    groups.append(current)
                    reading_agents = True
                current.agents.append(normalise_agent(value))
                current.agent_values.append(value)
                continue
            if current is None:
                if not leading_rules_for_all:  # an Allow/Disallow outside any group is ignored (RFC 9309 2.2.1)
                    orphans.append(number)
                    continue
                current = _GroupBuilder()
                current.agents.append("*")
                current.agent_values.append("*")
                groups.append(current)
            if key in _RULE_KEYS:
                # Only a rule ends the run of User-agent lines (RFC 9309 2.2.4):
                # Crawl-delay, Content-Usage, Content-Signal or unknown lines do not.
                reading_agents = False
                if value:  # an empty Disallow is not a rule
                    current.rules.append(RobotsRule(key, _one_line_pattern(value), number))
                    self._line_text[number] = line.strip()
                continue
            if key in ("crawl-delay", "request-rate") and not _valid_pacing(key, value):
                invalid.append((number, content[:MALFORMED_TEXT_LIMIT]))
            current.records.append((key, value, number))
            self._line_text[number] = line.strip()[:MALFORMED_TEXT_LIMIT]
        self._groups = tuple(group.freeze() for group in groups)
        self._site_wide = tuple(site_wide)
        self._named_agents = frozenset(agent for group in self._groups for agent in group.agents)
        self.malformed_lines = tuple(malformed)
        self.invalid_values = tuple(invalid[:MAX_MALFORMED_KEPT])
        self.orphan_rule_lines = tuple(orphans[:MAX_MALFORMED_KEPT])

    # ------------------------------------------------------------------ groups
    def _applicable(self, token: str) -> _Applicable:
        key = token.strip().lower()
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        named = tuple(g for g in self._groups if key and key != "*" and key in g.agents)
        if named:
            groups = named
            values = [v for g in named for a, v in zip(g.agents, g.agent_values) if a == key]
        else:  # the * group applies only when no group names us (RFC 9309 2.2.1)
            groups = tuple(g for g in self._groups if "*" in g.agents)
            values = ["*"] if groups else []
        ranked = tuple(sorted((rule for g in groups for rule in g.rules), key=_rank))
        applicable = _Applicable(groups, tuple(dict.fromkeys(v.strip() for v in values)), ranked, _any_match_blocks(ranked))
        if len(self._cache) >= _TOKEN_CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = applicable
        return applicable

    def has_group_for(self, token: str) -> bool:
        """True when a group names this token explicitly (the ``*`` group does not count)."""
        key = token.strip().lower()
        return bool(key) and key != "*" and key in self._named_agents

    def group_agents(self) -> tuple[str, ...]:
        """Every normalised agent token the file names, ``*`` included, in file order."""
        return tuple(dict.fromkeys(a for g in self._groups for a in g.agents if a))

    # ------------------------------------------------------------------ answers
    def can_fetch(self, url: str, token: str) -> RobotsMatch:
        """May ``token`` (our bare product token, never a whole User-Agent header) fetch ``url``?"""
        applicable = self._applicable(token)
        if self._fail_closed:
            return RobotsMatch(False, None, (), self._evidence("robots.txt could not be read", None, ()))
        try:
            path = path_of(url)
        except ValueError:
            # A URL we cannot take apart cannot be shown to be allowed.
            return RobotsMatch(False, None, applicable.agents, self._evidence("unparseable URL", None, applicable.agents))
        if path == "/robots.txt":
            return RobotsMatch(True, None, applicable.agents, self._evidence("/robots.txt is always allowed", None, applicable.agents))
        rule = self._winning_rule(applicable, path)
        if rule is None:
            value = "no matching rule" if applicable.groups else "no group applies"
            return RobotsMatch(True, None, applicable.agents, self._evidence(value, None, applicable.agents))
        text = self._line_text.get(rule.line, f"{rule.directive}: {rule.pattern}")
        return RobotsMatch(rule.directive == "allow", rule, applicable.agents, self._evidence(text, rule.line, applicable.agents))

    @staticmethod
    def _winning_rule(applicable: _Applicable, path: str) -> RobotsRule | None:
        probe = _PROBE_HOST + slash_equivalent_query(path)
        ranked = applicable.ranked_rules
        for start, end, block in applicable.blocks:
            try:
                hit = not block.can_fetch(probe, "*")
            except Exception:  # never trust the shortcut over the rule-by-rule check
                hit = True
            if not hit:
                continue
            for rule in ranked[start:end]:
                if pattern_matches(rule.pattern, path):
                    return rule  # rules are ranked, so the first match wins
        return None

    def _evidence(self, value: str, line: int | None, agents: tuple[str, ...]) -> Evidence:
        parts = []
        if agents:
            parts.append("group " + ", ".join(agents))
        if self.truncated:
            parts.append(f"file truncated at {ROBOTS_PARSE_LIMIT_BYTES} bytes")
        if self.note:
            parts.append(self.note)
        return Evidence("robots", self.source_url, value, line=line, note="; ".join(parts))

    def records(self, token: str, name: str) -> tuple[tuple[str, int], ...]:
        """(value, line) of every record called ``name`` (any case) in the
        group(s) that apply to ``token``: the same groups the rules come from."""
        wanted = name.strip().lower()
        found = [(value, line) for g in self._applicable(token).groups for key, value, line in g.records if key == wanted]
        return tuple(sorted(found, key=lambda item: item[1]))

    def records_with_file_level(self, token: str, name: str) -> tuple[tuple[str, int], ...]:
        """:meth:`records` plus the same records written before the first
        group: a preference line above every User-agent line (sites put
        ``Content-Signal`` there so that scanners find it) addresses every
        crawler, so it applies alongside the group's own."""
        found = list(self.global_records(name)) + list(self.records(token, name))
        return tuple(sorted(found, key=lambda item: item[1]))

    def global_records(self, name: str) -> tuple[tuple[str, int], ...]:
        """(value, line) of records tied to no group: ``sitemap`` and ``license``
        wherever they appear, and any other record written before the first group."""
        wanted = name.strip().lower()
        return tuple((value, line) for key, value, line in self._site_wide if key == wanted)

    @property
    def sitemaps(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(value for value, _ in self.global_records("sitemap") if value))

    def crawl_delay(self, token: str) -> float | None:
        """Seconds between requests from the applicable group(s); the largest if
        several; unreadable, negative or infinite values are ignored (see ``invalid_values``)."""
        delays = [delay for value, _ in self.records(token, "crawl-delay") if (delay := _delay(value)) is not None]
        return max(delays) if delays else None

    def request_rate(self, token: str) -> tuple[int, float] | None:
        """(requests, seconds) from ``Request-rate: n/T[smhd] [window]``; the
        slowest if several. The time-of-day window is ignored."""
        slowest: tuple[int, float] | None = None
        for value, _ in self.records(token, "request-rate"):
            rate = _rate(value)
            if rate is not None and (slowest is None or rate[1] / rate[0] > slowest[1] / slowest[0]):
                slowest = rate
        return slowest

    def lines(self, numbers: Iterable[int]) -> list[str]:
        """The text of record lines by number ("" for lines that were not kept)."""
        return [self._line_text.get(n, "") for n in numbers]


def _delay(value: str) -> float | None:
    try:
        delay = float(value)
    except ValueError:
        return None
    return delay if math.isfinite(delay) and delay >= 0 else None


def _rate(value: str) -> tuple[int, float] | None:
    match = _RATE.fullmatch(value.strip())
    if match is None:
        return None
    requests, amount = int(match.group(1)), float(match.group(2))
    seconds = amount * _UNIT_SECONDS[match.group(3).lower()]
    if requests <= 0 or seconds <= 0:
        return None
    return requests, seconds


def _valid_pacing(key: str, value: str) -> bool:
    return (_delay(value) if key == "crawl-delay" else _rate(value)) is not None
