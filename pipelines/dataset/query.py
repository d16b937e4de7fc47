"""How a question about an output folder names pages: a URL, a URL prefix or
a domain (``classify_query``), and the one form URLs are compared in
(``normalise_url``). Shared by ``lookup``, ``remove`` and the removals record."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from crawler.urls import DEFAULT_PORTS, safe_url


URL = "url"
PREFIX = "prefix"
DOMAIN = "domain"

DEFAULT_LIMIT = 10_000  # rows per list in a lookup answer


class LookupInputError(Exception):
    """A query that cannot be read, or a folder that is not a tdmcrawl output."""


def classify_query(query: str) -> tuple[str, ...]:
    """``(kind, value)``: how a query is read.

    - ``("url", URL)``: an http(s) URL, matched exactly (scheme and host
      lowercased, default port and fragment dropped);
    - ``("prefix", PREFIX)``: an http(s) URL ending in ``/`` or ``*`` (the
      ``*`` removed), matching every URL that starts with it;
    - ``("domain", HOST)``: anything else, a host or registered domain,
      matching that host and every subdomain.

    Raises ``LookupInputError`` for an empty query, a URL without a host, or
    a host followed by a path or port without a scheme (ambiguous: say
    ``https://`` or ``http://``)."""
    text = (query or "").strip()
    if not text:
        raise LookupInputError("empty query: give a URL, a URL prefix ending in / or *, or a domain")
    scheme = text.split(":", 1)[0].lower() if "://" in text else ""
    if scheme in ("http", "https"):
        is_prefix = text.endswith(("/", "*"))
        normalised = normalise_url(text.rstrip("*") if is_prefix else text, prefix=is_prefix)
        if normalised is None:
            raise LookupInputError(f"not a URL with a host: {query!r}")
        return (PREFIX, normalised) if is_prefix else (URL, normalised)
    if scheme:
        raise LookupInputError(f"only http and https URLs are crawled, not {scheme}: {query!r}")
    host = text.lower().rstrip(".")
    if host.startswith("*."):
        host = host[2:]
    host = host.lstrip(".")
    if "/" in host or ":" in host.strip("[]") or not host:
        raise LookupInputError(
            f"{query!r} is neither a URL nor a domain: to look up a path or a port, write the URL with http:// or https://"
        )
    return (DOMAIN, _idna(host))


def _idna(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def normalise_url(url: str, *, prefix: bool = False) -> str | None:
    """The URL as the crawler records it: percent-encoded, IDNA host, scheme
    and host lowercased, default port and fragment dropped. A prefix whose
    host is not finished (``https://exa*``) is only lowercased."""
    try:
        safe = safe_url(url)
    except ValueError:
        return None
    scheme, rest = safe.split("://", 1)
    scheme = scheme.lower()
    if prefix and not re.search(r"[/?#]", rest):
        return f"{scheme}://{rest.lower()}" if rest else None
    try:
        parts = urlsplit(safe)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = parts.path or ("" if prefix else "/")
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def host_of_prefix(prefix: str) -> str | None:
    """The host every URL under ``prefix`` has, when the prefix ends its authority."""
    after_scheme = prefix.split("://", 1)[1]
    if "/" not in after_scheme:
        return None
    return urlsplit(prefix).hostname
