"""URLs and addresses: canonical forms, origins, registered domains, address classes.

Pure functions shared by the spider, the rights middleware, the workers and the
writers. Owns how a URL is keyed for de-duplication and which addresses count
as non-public. Must not import Scrapy or touch the network (DNS lookups happen
in the Scrapy shell; this module only classifies their answers).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import tldextract
from w3lib.url import canonicalize_url, safe_url_string

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2083

# Query parameters that only carry a session or tracking state: two URLs that
# differ only in these are the same document (spider-trap defence).
SESSION_PARAMETERS = frozenset(
    {
        "jsessionid", "phpsessid", "sid", "sessionid", "session_id", "aspsessionid", "cfid", "cftoken",
        "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid",
    }
)
_PATH_SESSION = re.compile(r";(jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)

_extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # bundled list: never fetched


@dataclass(frozen=True)
class Origin:
    """scheme + host + port: the unit robots.txt, tdmrep.json and politeness apply to."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        default = DEFAULT_PORTS.get(self.scheme)
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}" if self.port == default else f"{self.scheme}://{host}:{self.port}"

    def url(self, path: str) -> str:
        return str(self) + path


def origin_of(url: str) -> Origin:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        port = DEFAULT_PORTS.get(scheme, 0)
    return Origin(scheme, host, port)


def safe_url(url: str) -> str:
    """The URL as it can be sent and written into a WARC header: CR, LF and tabs
    removed, spaces and non-ASCII percent-encoded (IDNA for the host)."""
    url = re.sub(r"[\r\n\t\x00]", "", url.strip())
    url = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", url)  # a '%' that starts no escape is a literal percent sign
    return safe_url_string(url)


def try_safe_url(url: str) -> str | None:
    """:func:`safe_url`, or None for a URL that cannot be made one (a broken
    IPv6 literal, a port out of range, a host IDNA refuses)."""
    try:
        return safe_url(url)
    except (ValueError, UnicodeError):
        return None


def url_key(url: str) -> str:
    """The de-duplication key of a URL: canonical form (w3lib: sorted query,
    normalised escapes, no fragment), without session or tracking parameters,
    with the default port dropped and the host lowercased."""
    url = _PATH_SESSION.sub("", url)
    parts = urlsplit(url)
    if parts.query:
        kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in SESSION_PARAMETERS]
        parts = parts._replace(query=urlencode(kept))
    netloc = parts.netloc.lower()
    scheme = parts.scheme.lower()
    default = DEFAULT_PORTS.get(scheme)
    if default and netloc.endswith(f":{default}"):
        netloc = netloc[: -len(f":{default}")]
    return canonicalize_url(urlunsplit((scheme, netloc, parts.path, parts.query, "")))


@lru_cache(maxsize=262144)  # links recur across pages: the canonical form is computed once per process
def url_fingerprint(url: str) -> int:
    """64 bits of the URL's de-duplication key: a compact seen-set entry (the
    chance that two of 10^7 URLs collide is about 3e-6)."""
    return int.from_bytes(hashlib.blake2b(url_key(url).encode("utf-8"), digest_size=8).digest(), "big")


_HOST = re.compile(r"^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)$")


def is_crawlable_url(url: str) -> bool:
    """http(s), a host made of letters, digits, '.', '-', '_' (after IDNA) or an
    IP literal, a valid port, and within the length limit."""
    if len(url) > MAX_URL_LENGTH:
        return False
    try:
        parts = urlsplit(url)
        parts.port  # raises on a port out of range
    except ValueError:
        return False
    host = (parts.netloc.rsplit("@", 1)[-1].rsplit(":", 1)[0] if not parts.netloc.endswith("]") else parts.netloc.rsplit("@", 1)[-1]).lower()
    return parts.scheme in ("http", "https") and bool(parts.hostname) and bool(_HOST.match(host))


@lru_cache(maxsize=65536)
def registered_domain(host: str) -> str:
    """eTLD+1 from the bundled public suffix list; an IP address or a single-label
    host (``localhost``) is its own registered domain."""
    host = host.lower().strip(".").strip("[]")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    parts = _extract(host)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}"
    return host


def parent_origins(origin: Origin) -> tuple[Origin, ...]:
    """The origins a subdomain inherits site-wide documents (terms of service)
    from: its registered domain and that domain's ``www.``, same scheme and
    port; none for a registered domain itself, ``www.`` of one, or an IP address."""
    domain = registered_domain(origin.host)
    if not domain or domain == origin.host or address_class(origin.host) != "invalid":
        return ()
    return tuple(Origin(origin.scheme, host, origin.port) for host in (domain, "www." + domain) if host != origin.host)


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback address literals (127.0.0.0/8, ::1)."""
    return host.lower().rstrip(".") == "localhost" or address_class(host) == "loopback"


def address_class(ip: str) -> str:
    """``public`` for a globally routable address, else what it is: ``loopback``,
    ``private``, ``link-local``, ``multicast``, ``reserved``, ``unspecified`` or
    ``invalid``. IPv4-mapped IPv6 addresses are judged by their IPv4 address."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0].strip("[]"))
    except ValueError:
        return "invalid"
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if addr.is_loopback:
        return "loopback"
    if addr.is_link_local:
        return "link-local"
    if addr.is_multicast:
        return "multicast"
    if addr.is_unspecified:
        return "unspecified"
    if addr.is_private:
        return "private"
    if addr.is_reserved or not addr.is_global:
        return "reserved"
    return "public"
