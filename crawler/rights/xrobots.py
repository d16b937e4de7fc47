"""Robots directives in ``X-Robots-Tag`` headers and ``<meta name="robots">``.

Owns the reading of directive lists (``noai, noimageai, noindex, …``), Google's
per-agent scoping (``otherbot: noindex, noai`` belongs to ``otherbot`` only) and
the findings they give: ``noai`` / ``noimageai`` reserve AI use (DeviantArt
convention), ``noml`` and ``DisallowAITraining`` reserve training, the search directives (``noindex``, ``nofollow``, ``noarchive``,
``nocache``) are recorded as flags that a profile may choose to honour.
Must not import Scrapy, do I/O or decide anything beyond these findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .evidence import Evidence, Finding, FindingKind, HeaderPairs, MetaPairs, Usage, Use

HEADER_NAME = "X-Robots-Tag"

# Directives whose own syntax is "name: value"; their name must never be read
# as an agent scope.
_VALUED_DIRECTIVES = frozenset(
    {"max-snippet", "max-image-preview", "max-video-preview", "unavailable_after", "unavailable-after"}
)
_NOAI = frozenset({"noai", "noimageai"})
# "No machine learning": training reservations site owners write where robots
# directives go. ``noml`` is asked of crawlers alongside ``noai``;
# ``DisallowAITraining`` is the meta / header form of the robots.txt rule of
# draft-canel-robots-ai-control.
_NOML = frozenset({"noml", "disallowaitraining"})
# Directives without a value; "noindex:" is a broken directive, never an agent.
_PLAIN_DIRECTIVES = frozenset(
    {"all", "index", "follow", "noindex", "nofollow", "none", "noarchive", "nocache", "nosnippet",
     "noimageindex", "notranslate", "indexifembedded", "noai", "noimageai", "noodp", "noydir",
     "noml", "disallowaitraining"}
)
_AGENT_NAME = re.compile(r"[a-z0-9][a-z0-9._/*-]{0,127}")
_VALUE_LIKE = re.compile(r"-?\d+|large|standard")

# Bounds on attacker-controlled input: a header or meta value longer than this
# is read up to the limit, and at most this many values / parts are kept.
_VALUE_LIMIT = 8192
_MAX_VALUES = 64
_MAX_PARTS = 256


@dataclass(frozen=True)
class RobotsDirectives:
    """The robots directives that apply to our token, from one or more sources.

    ``applied`` runs parallel to ``evidence``: the directives each source
    contributed, so a finding can cite only the sources that caused it."""

    directives: frozenset[str] = frozenset()
    ignored: tuple[str, ...] = ()
    raw: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    applied: tuple[frozenset[str], ...] = field(default=(), repr=False)

    @property
    def noai(self) -> bool:
        return bool(self.directives & _NOAI)

    @property
    def noml(self) -> bool:
        return bool(self.directives & _NOML)

    @property
    def nofollow(self) -> bool:
        return "nofollow" in self.directives or "none" in self.directives

    @property
    def noindex(self) -> bool:
        return "noindex" in self.directives or "none" in self.directives

    @property
    def noarchive(self) -> bool:
        return "noarchive" in self.directives

    @property
    def nocache(self) -> bool:
        return "nocache" in self.directives

    def evidence_for(self, wanted: frozenset[str]) -> tuple[Evidence, ...]:
        """Evidence of the sources that contributed any of ``wanted``."""
        if len(self.applied) != len(self.evidence):
            return self.evidence
        return tuple(e for e, got in zip(self.evidence, self.applied) if got & wanted)


NO_DIRECTIVES = RobotsDirectives()


@dataclass(frozen=True)
class _Parsed:
    applied: frozenset[str]
    ignored: tuple[str, ...]
    note: str


def _is_scope(name: str, rest: str) -> bool:
    """Is ``name: rest`` an agent scope rather than a directive with a value?

    Known valued directives are never scopes; an unknown ``name`` followed by
    something that looks like a value (a number, ``large``, a date) is read as
    a directive we do not know, not as an agent, so it cannot swallow the
    directives after it."""
    if not name or name in _VALUED_DIRECTIVES or name in _PLAIN_DIRECTIVES or not _AGENT_NAME.fullmatch(name):
        return False
    value = rest.strip().lower()
    return not (_VALUE_LIKE.fullmatch(value) or value[:1].isdigit())


def _applies(scope: str | None, our_token: str) -> bool:
    # "tdmcrawl/1.0" names our product token too (the part before "/" is the token).
    return scope is None or scope.split("/", 1)[0] == our_token


def _normalise_directive(part: str) -> str:
    """``Max-Snippet : 20`` → ``max-snippet:20``; ``NoAI`` → ``noai``."""
    name, sep, value = part.partition(":")
    name = name.strip().lower()
    if not sep:
        return " ".join(name.split())
    return f"{name}:{' '.join(value.split()).lower()}"


def _parse_value(value: str, token: str) -> _Parsed:
    """Read one header instance or meta content.

    Parts are comma separated. A part ``name: rest`` whose ``name`` is not a
    valued directive opens a scope for agent ``name``; the directives after it
    (until another scope opens) belong to that agent. Directives before any
    scope apply to every agent."""
    truncated = len(value) > _VALUE_LIMIT
    text = value[:_VALUE_LIMIT]
    our_token = token.strip().lower()
    scope: str | None = None
    applied: list[str] = []
    ignored: list[str] = []
    previous_valued = ""
    parts = text.split(",")
    too_many = len(parts) > _MAX_PARTS
    for part in parts[:_MAX_PARTS]:
        part = part.strip()
        if not part:
            continue
        name, sep, rest = part.partition(":")
        name_key = name.strip().lower()
        if sep and _is_scope(name_key, rest):
            scope = name_key
            directive = _normalise_directive(rest) if rest.strip() else ""
        elif previous_valued == "unavailable_after" and part[:1].isdigit():
            # An RFC 850 date ("Friday, 25-Jun-10 15:00:00 PST") was split at its comma.
            target = applied if _applies(scope, our_token) else ignored
            if target:
                target[-1] = f"{target[-1]}, {' '.join(part.split()).lower()}"
            continue
        else:
            directive = _normalise_directive(part)
        previous_valued = directive.split(":", 1)[0] if ":" in directive else ""
        if previous_valued == "unavailable-after":
            previous_valued = "unavailable_after"
        if not directive:
            continue
        if _applies(scope, our_token):
            applied.append(directive)
        else:
            ignored.append(f"{scope}: {directive}")
    notes = []
    if truncated or too_many:  # first, so the bounded note always keeps it
        notes.append("malformed: value over the length limit, read in part")
    if applied:
        notes.append("applies: " + ", ".join(dict.fromkeys(applied)))
    if ignored:
        notes.append("scoped to other agents, not applied: " + ", ".join(ignored))
    if not applied and not ignored:
        notes.append("no directives")
    return _Parsed(frozenset(applied), tuple(ignored), "; ".join(notes))


def _build(items: list[tuple[str, str]], token: str, signal: str, too_many: bool) -> RobotsDirectives:
    if not items:
        return NO_DIRECTIVES
    directives: set[str] = set()
    ignored: list[str] = []
    raw: list[str] = []
    evidence: list[Evidence] = []
    applied: list[frozenset[str]] = []
    for source, value in items:
        parsed = _parse_value(value, token)
        directives |= parsed.applied
        ignored.extend(parsed.ignored)
        raw.append(value[:_VALUE_LIMIT])
        evidence.append(Evidence(signal, source, value, note=parsed.note))
        applied.append(parsed.applied)
    if too_many:
        evidence.append(Evidence(signal, items[-1][0], "", note=f"malformed: more than {_MAX_VALUES} values; the rest not read"))
        applied.append(frozenset())
    return RobotsDirectives(frozenset(directives), tuple(ignored), tuple(raw), tuple(evidence), tuple(applied))


def from_x_robots_tag(headers: HeaderPairs, token: str) -> RobotsDirectives:
    """Every ``X-Robots-Tag`` instance of a response, read for agent ``token``."""
    try:
        values = [v for k, v in headers if isinstance(k, str) and k.strip().lower() == "x-robots-tag"]
    except (TypeError, ValueError):
        return NO_DIRECTIVES
    items = [(f"header:{HEADER_NAME}", str(v)) for v in values[:_MAX_VALUES]]
    return _build(items, token, "x-robots-tag", len(values) > _MAX_VALUES)


def from_meta_robots(metas: MetaPairs, token: str) -> RobotsDirectives:
    """``<meta name="robots">`` and ``<meta name="<token>">`` (names case-insensitive)."""
    wanted = {"robots", token.strip().lower()}
    items: list[tuple[str, str]] = []
    count = 0
    try:
        for name, content in metas:
            key = str(name).strip().lower()
            if key not in wanted:
                continue
            count += 1
            if count <= _MAX_VALUES:
                items.append((f"meta:{key}", str(content)))
    except (TypeError, ValueError):
        pass
    return _build(items, token, "meta-robots", count > _MAX_VALUES)


def merge_directives(*values: RobotsDirectives) -> RobotsDirectives:
    """The union of several sources (a header and the page's meta, say)."""
    present = [v for v in values if v.raw or v.evidence]
    if not present:
        return NO_DIRECTIVES
    if len(present) == 1:
        return present[0]
    evidence: list[Evidence] = []
    applied: list[frozenset[str]] = []
    for value in present:
        evidence.extend(value.evidence)
        if len(value.applied) == len(value.evidence):
            applied.extend(value.applied)
        else:
            applied.extend([value.directives] * len(value.evidence))
    return RobotsDirectives(
        directives=frozenset().union(*(v.directives for v in present)),
        ignored=tuple(i for v in present for i in v.ignored),
        raw=tuple(r for v in present for r in v.raw),
        evidence=tuple(evidence),
        applied=tuple(applied),
    )


def noai_finding(d: RobotsDirectives, *, source_family: str) -> Finding | None:
    """``noai`` / ``noimageai``: not authorised for AI datasets, training or AI input."""
    if not d.noai:
        return None
    return Finding(
        signal=source_family,
        reason="noai",
        kind=FindingKind.USE,
        restrictive=True,
        usage=Usage(train=Use.DENY, ai_input=Use.DENY),
        evidence=d.evidence_for(_NOAI),
    )


def noml_finding(d: RobotsDirectives, *, source_family: str) -> Finding | None:
    """``noml`` / ``DisallowAITraining``: not to be used to train machine-learning models."""
    if not d.noml:
        return None
    reason = "noml" if "noml" in d.directives else "disallow-ai-training"
    return Finding(
        signal=source_family,
        reason=reason,
        kind=FindingKind.USE,
        restrictive=True,
        usage=Usage(train=Use.DENY, tdm=Use.DENY),
        evidence=d.evidence_for(_NOML),
    )


# flag name -> the directives that set it
_FLAGS: tuple[tuple[str, frozenset[str]], ...] = (
    ("noindex", frozenset({"noindex", "none"})),
    ("nofollow", frozenset({"nofollow", "none"})),
    ("noarchive", frozenset({"noarchive"})),
    ("nocache", frozenset({"nocache"})),
    ("noimageindex", frozenset({"noimageindex"})),
)


def flag_findings(d: RobotsDirectives, *, source_family: str, noindex_as_reservation: bool = False) -> list[Finding]:
    """Search directives as recorded flags (``noai-flag-noindex`` …), which do
    not restrict use; with ``noindex_as_reservation`` (img2dataset's reading)
    ``noindex`` becomes a training reservation ``noai-noindex``."""
    found: list[Finding] = []
    for flag, setters in _FLAGS:
        if not d.directives & setters:
            continue
        evidence = d.evidence_for(setters)
        if flag == "noindex" and noindex_as_reservation:
            found.append(
                Finding(source_family, "noai-noindex", FindingKind.USE, True, Usage(train=Use.DENY), evidence)
            )
        else:
            found.append(Finding(source_family, f"noai-flag-{flag}", FindingKind.USE, False, evidence=evidence))
    return found
