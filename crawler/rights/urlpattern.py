"""RFC 9309 path patterns, shared by every file format that borrowed them.

robots.txt rules, robots.txt ``Content-Usage`` paths, TDMRep ``location``,
ai.txt globs and RSL ``<content url>`` all use the robots.txt pattern language
(``*``, ``$``, percent-decoding of unreserved octets). Matching is delegated to
Protego so there is one implementation of it; this module only adapts the
question "does this pattern match this URL" and "how specific is it".
No Scrapy import, no I/O.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote, urlsplit

from protego import Protego

_PROBE_AGENT = "tdmcrawl-pattern-probe"
_SAFE = "/*$%?=&;:@!,'()+~"
# Characters Protego reads as line breaks. Inside a pattern (a TDMRep location
# or an RSL url can hold them) they would start a second rule, so
# "/x\nDisallow: /" would match every URL; percent-encoded, as they are in the
# URLs matched, they stay literal.
_PROTEGO_LINE_BREAKS = re.compile("[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Real patterns are short; caching long ones would let a few hostile files pin
# megabytes each in memory for the rest of the crawl.
_CACHED_PATTERN_CHARS = 2048


_ENCODED_SLASH = re.compile("%2F", re.IGNORECASE)


def slash_equivalent_query(text: str) -> str:
    """``text`` (a path or a pattern) with ``%2F`` in its query written ``/``.

    RFC 9309 2.2.2 figure 4 row 2: the rule ``/foo/bar?baz=https://foo.bar``
    matches the URL ``/foo/bar?baz=https%3A%2F%2Ffoo.bar`` and the reverse. In
    a query ``/`` needs no encoding (RFC 3986 3.4), so both spellings carry the
    same data; Protego keeps ``%2F`` apart from ``/`` everywhere (right in the
    path, where they differ), so the query is made to agree before it compares.
    ``:`` and the other reserved characters Protego already compares encoded."""
    path, mark, query = text.partition("?")
    if not mark or "%" not in query:
        return text
    return f"{path}?{_ENCODED_SLASH.sub('/', query)}"


def _percent_encoded(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8"))


def _build_matcher(pattern: str) -> Protego:
    # A "#" starts a fragment, which no request path carries: the pattern is
    # what precedes it, as robots.txt (a comment) and Protego read it, so a
    # location "/page#part" still covers /page.
    pattern = slash_equivalent_query(_PROTEGO_LINE_BREAKS.sub(_percent_encoded, pattern.split("#", 1)[0]))
    # A one-rule file: the URL is "disallowed" exactly when the pattern matches.
    return Protego.parse(f"User-agent: *\nDisallow: {pattern}\n")


_cached_matcher = lru_cache(maxsize=8192)(_build_matcher)


def _matcher(pattern: str) -> Protego:
    return _cached_matcher(pattern) if len(pattern) <= _CACHED_PATTERN_CHARS else _build_matcher(pattern)


def path_of(url_or_path: str) -> str:
    """The path and query of a URL (``/`` when empty); a bare path is returned as is."""
    if url_or_path.startswith("/"):
        return url_or_path
    parts = urlsplit(url_or_path)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def pattern_matches(pattern: str, url_or_path: str) -> bool:
    """True when the RFC 9309 ``pattern`` matches the path (and query) of the URL.

    An empty pattern matches nothing (an empty ``Disallow:`` is not a rule). A
    pattern without a leading ``/`` (seen in ai.txt: ``*.jpg``) is matched the way
    Protego reads it, as if it began with ``/``.
    """
    pattern = pattern.strip()
    if not pattern:
        return False
    try:
        path = path_of(url_or_path)
    except ValueError:  # an unparseable URL matches nothing
        return False
    if path == "/robots.txt":
        # Protego always allows /robots.txt (RFC 9309 2.2.2); answer for the pattern itself.
        return pattern in ("/", "/*", "*", "/robots.txt", "/robots.txt$") or (
            pattern.endswith("*") and "/robots.txt".startswith(pattern.rstrip("*"))
        )
    try:
        return not _matcher(pattern).can_fetch(f"http://pattern.invalid{slash_equivalent_query(path)}", _PROBE_AGENT)
    except Exception:  # a pathological pattern never decides anything
        return False


def pattern_priority(pattern: str) -> int:
    """Specificity of a pattern: its length in octets once percent-encoded (RFC 9309 2.2.2)."""
    # A lone surrogate (a str handed in rather than decoded bytes) cannot be
    # UTF-8; counted as the three octets it would take, it never raises.
    return len(quote(pattern.strip(), safe=_SAFE, errors="surrogatepass"))
