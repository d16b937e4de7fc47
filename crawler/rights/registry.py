"""Opt-out registries: creators' reservations kept outside their own sites.

Owns the local registry file format (parsing and matching), the Spawning-style
API's wire format (the request body and the reading of its answer), and the
findings a registry match, a registry answer or an unavailable registry gives.
It must not do I/O, import Scrapy or raise on outside input: the HTTP client is
:mod:`crawler.fetch.registry_client`, and the middleware reads the files.

Local registry file (UTF-8 text, one entry a line)::

    # comments and blank lines are ignored
    # PATTERN            PURPOSES   SINCE        NOTE
    example.org          train,tdm  2025-01-31   request 12 from the publisher
    url-prefix:https://example.net/artists/alice/    all    2024-06-01
    url:https://example.com/gallery/7.html           train
    glob:https://*.example.com/*.jpg                 tdm    -    images only

Fields are separated by tabs when the line has one, otherwise by runs of
spaces; the note is the rest of the line. ``PATTERN`` is ``KIND:VALUE``:

* ``domain:HOST`` — the host and every subdomain of it (``*.`` or a leading
  dot is dropped: a domain entry always covers the apex too);
* ``url-prefix:URL`` — every URL that starts with it;
* ``url:URL`` — that URL only (the fragment is ignored);
* ``glob:PATTERN`` — the whole URL against a pattern where ``*`` is any run of
  characters and everything else is literal; a glob without ``://`` is matched
  against the URL without its scheme (``*.example.com/*.jpg``).

Without a kind, a bare host is a domain, a URL with ``*`` a glob, and any other
URL a URL prefix (the wider reading: an opt-out of a page covers what is under
it). URLs compare with the scheme and host lowercased, the default port and
fragment dropped, and ``http`` and ``https`` alike: an opt-out is about a work,
not the transport it came over.

``PURPOSES`` is a comma list of ``train``, ``tdm``, ``ai_input`` (or
``ai-input``), ``search`` and ``all`` (or ``*``); missing or ``-`` means
``all``. ``SINCE`` is an ISO date (``YYYY-MM-DD``) or ``-``; it records when the
creator opted out and never limits the opt-out. A line that cannot be read is
recorded in ``malformed`` and, when its pattern is unusable, not applied; an
unknown purpose word or a bad date is recorded too but the entry is kept (an
unknown purpose word is read as ``all``, a bad date as none): a registry is
never read as allowing more than it says.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Sequence
from urllib.parse import quote, urlsplit

from .evidence import NO_USAGE, Evidence, Finding, FindingKind, Usage, Use

SIGNAL = "registry"
OPT_OUT = "registry-opt-out"
UNAVAILABLE = "registry-unavailable"

PATTERN_KINDS = ("domain", "url-prefix", "url", "glob")
PURPOSES = frozenset({"train", "tdm", "ai_input", "search", "all"})
# Purposes whose reservation covers the use we crawl for (training / TDM).
RESERVING_PURPOSES = frozenset({"train", "tdm", "all"})
_PURPOSE_ALIASES = {"ai-input": "ai_input", "*": "all"}
_KIND_ALIASES = {"prefix": "url-prefix", "urlprefix": "url-prefix", "host": "domain"}
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_HOST_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$")
_KEEP_AS_WRITTEN = "".join(chr(c) for c in range(0x21, 0x7F))  # keep printable ASCII as written

# The Spawning API takes at most this many URLs in one request.
SPAWNING_MAX_BATCH = 10_000


# --------------------------------------------------------------------------- values
@dataclass(frozen=True)
class RegistryEntry:
    """One creator's opt-out as a registry lists it.

    ``source`` and ``line`` say where it was read (a file and its 1-based line,
    or an API endpoint), so the evidence leads back to it."""

    registry: str
    pattern_kind: str
    pattern: str
    purposes: frozenset[str]
    since: date | None = None
    note: str = ""
    source: str = ""
    line: int | None = None

    @property
    def reserves_training(self) -> bool:
        return bool(self.purposes & RESERVING_PURPOSES)

    @property
    def usage(self) -> Usage:
        """The purposes as a usage verdict: each one listed is denied."""
        if "all" in self.purposes:
            return Usage(train=Use.DENY, tdm=Use.DENY, ai_input=Use.DENY, search=Use.DENY)
        return Usage(**{purpose: Use.DENY for purpose in self.purposes if purpose in ("train", "tdm", "ai_input", "search")})

    def describe(self) -> str:
        """The entry in the file's own notation (purposes sorted), for evidence."""
        purposes = ",".join(sorted(self.purposes)) or "all"
        since = self.since.isoformat() if self.since else "-"
        return f"{self.pattern_kind}:{self.pattern} {purposes} {since}"


@dataclass(frozen=True)
class MalformedLine:
    """A line of a registry file that could not be read as written. ``kept``
    says whether an entry was still taken from it (a bad date or purpose word)
    or the line was not applied at all (an unusable pattern)."""

    line: int
    text: str
    note: str
    kept: bool = False


# --------------------------------------------------------------------------- URLs
def _normal_host(host: str) -> str | None:
    """Lowercased ASCII (IDNA) host without a trailing dot, an IP address in its
    compressed form (IPv6 without brackets), or None if it is neither."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        return None
    if ":" in host or host.replace(".", "").isdigit():
        try:
            return ipaddress.ip_address(host).compressed
        except ValueError:
            return None
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except (UnicodeError, ValueError):
        return None
    labels = ascii_host.split(".")
    if not all(_HOST_LABEL.match(label) for label in labels) or len(ascii_host) > 253:
        return None
    return ascii_host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def _normal_url(url: str) -> str | None:
    """``//host[:port]/path?query``: the form URLs are compared in (scheme-blind
    between http and https, default port and fragment dropped, the path's
    non-ASCII and spaces percent-encoded). None if ``url`` is not an http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            return None
        host = _normal_host(parts.hostname or "")
        if host is None:
            return None
        port = parts.port
    except (ValueError, UnicodeError):
        return None
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or str(port) == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = quote(parts.path or "/", safe=_KEEP_AS_WRITTEN)
    query = quote(parts.query, safe=_KEEP_AS_WRITTEN)
    return f"//{netloc}{path}" + (f"?{query}" if query else "")


def _host_of(url: str) -> str | None:
    try:
        return _normal_host(urlsplit(url.strip()).hostname or "")
    except (ValueError, UnicodeError):
        return None


def _glob_regex(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if ch == "*" else re.escape(ch) for ch in pattern), re.DOTALL)


def _glob_subject(pattern: str) -> str:
    """The glob in the form URLs are compared in: scheme-blind and with a
    lowercased host part, as :func:`_normal_url` writes URLs."""
    rest = pattern.split("://", 1)[1] if "://" in pattern else pattern
    host, slash, path = rest.partition("/")
    return "//" + host.lower().rstrip(".") + slash + quote(path, safe=_KEEP_AS_WRITTEN)


# --------------------------------------------------------------------------- local files
def _split_fields(text: str) -> list[str]:
    """Pattern, purposes, since, note: tab-separated when the line has a tab
    (runs of tabs align columns), otherwise space-separated; the note is the rest."""
    separator = r"\t+" if "\t" in text else r"\s+"
    return [part.strip() for part in re.split(separator, text, maxsplit=3)]


def _read_pattern(raw: str) -> tuple[str, str] | str:
    """(kind, pattern) or the reason the pattern is unusable."""
    if raw.startswith("["):  # an IPv6 literal is a host
        raw = "domain:" + raw
    kind, sep, value = raw.partition(":")
    kind = _KIND_ALIASES.get(kind.lower(), kind.lower())
    if sep and kind in PATTERN_KINDS:
        pattern = value.strip()
    elif "://" in raw:
        kind, pattern = ("glob" if "*" in raw else "url-prefix"), raw
    elif sep and not value.isdigit():
        return f"unknown pattern kind {kind!r}: write domain:, url-prefix:, url: or glob:"
    else:
        kind, pattern = "domain", raw
    if not pattern:
        return "empty pattern"
    if kind == "domain":
        bare = pattern.lower()
        bare = bare[2:] if bare.startswith("*.") else bare.lstrip(".")
        bare = bare.split(":", 1)[0] if bare.count(":") == 1 else bare  # a port says nothing about the host
        host = _normal_host(bare)
        if host is None:
            return f"not a host name: {pattern!r} (a path needs url-prefix:)"
        return kind, host
    if kind in ("url", "url-prefix"):
        if _normal_url(pattern) is None:
            return f"not an http(s) URL: {pattern!r}"
        return kind, pattern
    return kind, pattern  # glob: any text is a pattern


def _read_purposes(raw: str) -> tuple[frozenset[str], str]:
    """(purposes, problem). A word we cannot read might be a reservation of our
    use (``training``), so it adds ``all`` rather than being dropped."""
    if raw in ("", "-"):
        return frozenset({"all"}), ""
    words = [w.strip().lower() for w in raw.split(",") if w.strip()]
    known = {_PURPOSE_ALIASES.get(w, w) for w in words} & PURPOSES
    unknown = [w for w in words if _PURPOSE_ALIASES.get(w, w) not in PURPOSES]
    if not unknown:
        return frozenset(known or {"all"}), ""
    return frozenset(known | {"all"}), f"unknown purpose {', '.join(repr(w) for w in unknown)}; read as all"


def _read_date(raw: str) -> tuple[date | None, str]:
    if raw in ("", "-"):
        return None, ""
    try:
        return date.fromisoformat(raw), ""
    except ValueError:
        return None, f"not a date (YYYY-MM-DD): {raw!r}; kept without a date"


@dataclass(frozen=True)
class LocalRegistry:
    """A registry file read into entries, indexed for matching. Build with :meth:`parse`."""

    name: str
    source: str
    entries: tuple[RegistryEntry, ...] = ()
    malformed: tuple[MalformedLine, ...] = ()
    _domains: dict[str, tuple[RegistryEntry, ...]] = field(default_factory=dict, compare=False, repr=False)
    _urls: dict[str, tuple[RegistryEntry, ...]] = field(default_factory=dict, compare=False, repr=False)
    _prefixes: dict[str, tuple[tuple[str, RegistryEntry], ...]] = field(default_factory=dict, compare=False, repr=False)
    _globs: tuple[tuple[re.Pattern[str], RegistryEntry], ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def parse(cls, text: str, source: str, *, name: str = "local") -> "LocalRegistry":
        """Read a registry file's text (format in the module docstring). Never raises."""
        entries: list[RegistryEntry] = []
        malformed: list[MalformedLine] = []
        try:
            if isinstance(text, (bytes, bytearray)):
                text = bytes(text).decode("utf-8", "replace")
            lines = str(text).lstrip("\ufeff").splitlines()
        except Exception as exc:  # defensive: outside input never raises
            return cls(name, source, (), (MalformedLine(0, "", f"unreadable: {type(exc).__name__}"),))
        for number, raw_line in enumerate(lines, start=1):
            try:
                line = raw_line.strip()
                if not line or line.startswith("#"):
                    continue
                fields = _split_fields(line)
                pattern = _read_pattern(fields[0])
                if isinstance(pattern, str):
                    malformed.append(MalformedLine(number, line, pattern))
                    continue
                purposes, purpose_problem = _read_purposes(fields[1] if len(fields) > 1 else "")
                since, date_problem = _read_date(fields[2] if len(fields) > 2 else "")
                note = fields[3] if len(fields) > 3 else ""
                for problem in (purpose_problem, date_problem):
                    if problem:
                        malformed.append(MalformedLine(number, line, problem, kept=True))
                entries.append(RegistryEntry(name, pattern[0], pattern[1], purposes, since, note, source, number))
            except Exception as exc:  # defensive: one bad line never loses the file
                malformed.append(MalformedLine(number, raw_line[:300], f"malformed: {type(exc).__name__}"))
        return cls.of(entries, source=source, name=name, malformed=malformed)

    @classmethod
    def of(
        cls,
        entries: Iterable[RegistryEntry],
        *,
        source: str = "",
        name: str = "local",
        malformed: Sequence[MalformedLine] = (),
    ) -> "LocalRegistry":
        """A registry of entries built elsewhere (another file format, a merge)."""
        domains: dict[str, list[RegistryEntry]] = {}
        urls: dict[str, list[RegistryEntry]] = {}
        prefixes: dict[str, list[tuple[str, RegistryEntry]]] = {}
        globs: list[tuple[re.Pattern[str], RegistryEntry]] = []
        kept = []
        for entry in entries:
            if entry.pattern_kind == "domain":
                host = _normal_host(entry.pattern)
                if host is not None:
                    domains.setdefault(host, []).append(entry)
                    kept.append(entry)
            elif entry.pattern_kind in ("url", "url-prefix"):
                normal = _normal_url(entry.pattern)
                host = _host_of(entry.pattern)
                if normal is None or host is None:
                    continue
                if entry.pattern_kind == "url":
                    urls.setdefault(normal, []).append(entry)
                else:
                    prefixes.setdefault(host, []).append((normal, entry))
                kept.append(entry)
            elif entry.pattern_kind == "glob":
                globs.append((_glob_regex(_glob_subject(entry.pattern)), entry))
                kept.append(entry)
        return cls(
            name,
            source,
            tuple(kept),
            tuple(malformed),
            {k: tuple(v) for k, v in domains.items()},
            {k: tuple(v) for k, v in urls.items()},
            {k: tuple(v) for k, v in prefixes.items()},
            tuple(globs),
        )

    def match(self, url: str) -> list[RegistryEntry]:
        """Every entry that covers ``url``, in file order. Never raises; a URL
        that is not http(s) matches only globs."""
        try:
            found: list[RegistryEntry] = []
            normal = _normal_url(url)
            host = _host_of(url) if normal is not None else None
            if host is not None:
                # A domain entry covers its subdomains; an address only itself.
                labels = [host] if _is_ip(host) else host.split(".")
                for i in range(len(labels)):
                    found.extend(self._domains.get(".".join(labels[i:]), ()))
                found.extend(self._urls.get(normal, ()))  # type: ignore[arg-type]
                for prefix, entry in self._prefixes.get(host, ()):
                    if normal.startswith(prefix):  # type: ignore[union-attr]
                        found.append(entry)
            subject = normal if normal is not None else _glob_subject(str(url))
            for regex, entry in self._globs:
                if regex.fullmatch(subject):
                    found.append(entry)
            return sorted(set(found), key=lambda e: (e.line is None, e.line or 0, e.pattern))
        except Exception:  # defensive: a pathological URL matches nothing rather than crash the crawl
            return []


# --------------------------------------------------------------------------- findings
def _entry_evidence(entry: RegistryEntry, registry: str) -> Evidence:
    note = f"registry {registry}"
    if entry.since:
        note += f", since {entry.since.isoformat()}"
    if entry.note:
        note += f": {entry.note}"
    return Evidence(SIGNAL, entry.source or registry, entry.describe(), entry.line, note)


def registry_findings(entries: Sequence[RegistryEntry], registry: str) -> list[Finding]:
    """One finding per matching entry: a reservation of training or TDM (or
    ``all``) is restrictive (``registry-opt-out``); an entry reserving only other
    uses gives a non-restrictive finding per purpose
    (``registry-opt-out-search``, ``registry-opt-out-ai-input``) that the
    record keeps without excluding."""
    found: list[Finding] = []
    for entry in entries:
        evidence = (_entry_evidence(entry, registry),)
        if entry.reserves_training:
            found.append(Finding(SIGNAL, OPT_OUT, FindingKind.USE, True, entry.usage, evidence))
            continue
        for purpose in sorted(entry.purposes):
            usage = Usage(**{purpose: Use.DENY}) if purpose in ("ai_input", "search") else NO_USAGE
            reason = f"{OPT_OUT}-{purpose.replace('_', '-')}"
            found.append(Finding(SIGNAL, reason, FindingKind.USE, False, usage, evidence))
    return found


def unavailable_finding(registry: str, note: str) -> Finding:
    """The registry could not be asked (no key, service down): restrictive, so
    a profile honouring registries excludes rather than assumes consent."""
    return Finding(
        SIGNAL,
        UNAVAILABLE,
        FindingKind.USE,
        True,
        NO_USAGE,
        (Evidence(SIGNAL, registry, "", None, note),),
    )


# --------------------------------------------------------------------------- Spawning API
@dataclass(frozen=True)
class RegistryResult:
    """What a remote registry said about one URL: ``opted_out`` True or False,
    or None when it could not be asked (``note`` says why). ``evidence`` names
    the endpoint and the answer; it never holds the API key."""

    url: str
    registry: str
    opted_out: bool | None
    evidence: tuple[Evidence, ...] = ()
    note: str = ""
    checked_at: float | None = None

    @property
    def available(self) -> bool:
        return self.opted_out is not None

    def findings(self) -> list[Finding]:
        """``registry-opt-out`` (restrictive, training denied) when opted out,
        ``registry-unavailable`` when unknown, nothing when not opted out."""
        if self.opted_out is None:
            return [unavailable_finding(self.registry, self.note or "registry unavailable")]
        if self.opted_out:
            return [Finding(SIGNAL, OPT_OUT, FindingKind.USE, True, Usage(train=Use.DENY), self.evidence)]
        return []


@dataclass(frozen=True)
class SpawningAnswer:
    """One URL's line of a Spawning API answer; ``opted_out`` None when the
    answer did not cover the URL or said something we cannot read."""

    opted_out: bool | None
    opted_in: bool | None = None
    note: str = ""


def spawning_query_body(urls: Sequence[str]) -> bytes:
    """The request body: the URLs one a line (CR and LF inside a URL removed,
    since they would split it into two)."""
    return "\n".join(re.sub(r"[\r\n]", "", u) for u in urls).encode("utf-8")


def parse_spawning_answer(body: bytes, urls: Sequence[str]) -> dict[str, SpawningAnswer]:
    """Read an answer ``{"urls": [{"url": ..., "optOut": bool, "optIn": bool}, ...]}``
    for the ``urls`` sent. A URL is matched to its answer by the ``url`` field,
    else by position when the answer has exactly one item per URL sent (the
    service answers in request order). Only a JSON ``true``/``false`` counts;
    anything else leaves that URL unknown. Never raises."""
    unknown = {u: SpawningAnswer(None, note="not in the answer") for u in urls}
    try:
        data = json.loads(bytes(body).decode("utf-8"))
        items = data.get("urls") if isinstance(data, dict) else None
        if not isinstance(items, list):
            return {u: SpawningAnswer(None, note="malformed answer: no 'urls' list") for u in urls}
        sent = [re.sub(r"[\r\n]", "", u) for u in urls]
        by_url: dict[str, dict] = {}
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("url"), str):
                by_url.setdefault(item["url"], item)
        claimed = set(by_url) & set(sent)
        answers = dict(unknown)
        for index, (url, wire) in enumerate(zip(urls, sent)):
            item = by_url.get(wire)
            if item is None and len(items) == len(urls):
                candidate = items[index]
                if isinstance(candidate, dict) and candidate.get("url") not in claimed:
                    item = candidate
            if item is None:
                continue
            opt_out, opt_in = item.get("optOut"), item.get("optIn")
            if isinstance(opt_out, bool):
                answers[url] = SpawningAnswer(opt_out, opt_in if isinstance(opt_in, bool) else None)
            else:
                answers[url] = SpawningAnswer(None, note=f"malformed answer: optOut is {json.dumps(opt_out)[:40]}")
        return answers
    except Exception as exc:  # not JSON, not UTF-8: every URL stays unknown
        return {u: SpawningAnswer(None, note=f"malformed answer: {type(exc).__name__}") for u in urls}
