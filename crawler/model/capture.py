"""One fetch, as facts: the value that travels from the Scrapy shell to the
worker processes and the WARC writer.

Owns the body convention of the whole crawl (decoded body, the Common Crawl
way: encoding headers renamed ``X-Crawler-…`` and a true ``Content-Length``) and
the rebuilding of HTTP/1.1 request and response heads from what Scrapy kept.
Must not import Scrapy (the shell builds Captures from responses) or do I/O.
"""

from __future__ import annotations

import http
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawler.urls import safe_url

BODY_CONVENTION = (
    "decoded-identity: bodies are stored after content decoding (gzip, deflate, br, zstd); "
    "the server's Content-Encoding, Transfer-Encoding and Content-Length headers are kept "
    "as X-Crawler-Content-Encoding, X-Crawler-Transfer-Encoding and X-Crawler-Content-Length, "
    "and a true Content-Length is written (Common Crawl convention)"
)

# Headers that describe the wire framing, not the stored body.
_FRAMING_HEADERS = ("content-encoding", "transfer-encoding", "content-length")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_UNSAFE_VALUE = re.compile(r"[\r\n\x00]")


@dataclass(frozen=True)
class Capture:
    """A fetched response with the request that produced it.

    ``body`` is the decoded body; ``original_encoding`` the Content-Encoding the
    server sent when it was decoded; ``fetched_at`` the epoch second the request
    was sent (capture start); ``truncated`` a WARC-Truncated reason or None."""

    url: str
    status: int
    response_headers: tuple[tuple[str, str], ...]
    body: bytes
    fetched_at: float
    method: str = "GET"
    request_headers: tuple[tuple[str, str], ...] = ()
    original_encoding: str | None = None
    ip_address: str | None = None
    protocol: str | None = None
    truncated: str | None = None
    download_latency: float | None = None
    redirect_chain: tuple[str, ...] = ()
    via: str | None = None
    depth: int = 0
    hops: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def header(self, name: str, default: str | None = None) -> str | None:
        wanted = name.lower()
        for key, value in self.response_headers:
            if key.lower() == wanted:
                return value
        return default

    @property
    def content_type(self) -> str | None:
        value = self.header("Content-Type")
        return value.split(";", 1)[0].strip().lower() if value else None


def reason_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def clean_header_value(value: str) -> str:
    """No CR, LF or NUL in a header value: nothing a server sends can add a line."""
    return _UNSAFE_VALUE.sub(" ", value).strip()


def response_head(capture: Capture) -> tuple[str, list[tuple[str, str]]]:
    """Status line and headers of the response as stored: HTTP/1.1 syntax
    whatever the protocol, framing headers of the wire renamed ``X-Crawler-…``,
    and ``Content-Length`` equal to the stored body."""
    status_line = f"{capture.status} {reason_phrase(capture.status)}"
    headers: list[tuple[str, str]] = []
    for name, value in capture.response_headers:
        if not _HEADER_NAME.match(name):
            continue  # an invalid header name is dropped rather than written broken
        lowered = name.lower()
        if lowered in _FRAMING_HEADERS:
            if lowered == "content-encoding" and capture.original_encoding is None:
                # Still content-coded (Scrapy could not decode it): the header stays true.
                headers.append((name, clean_header_value(value)))
                continue
            headers.append((f"X-Crawler-{name}", clean_header_value(value)))
            continue
        headers.append((name, clean_header_value(value)))
    if capture.original_encoding and not any(n.lower() == "x-crawler-content-encoding" for n, _ in headers):
        headers.append(("X-Crawler-Content-Encoding", clean_header_value(capture.original_encoding)))
    headers.append(("Content-Length", str(len(capture.body))))
    return status_line, headers


def request_head(capture: Capture) -> tuple[str, list[tuple[str, str]]]:
    """Request line (path with its query) and headers, ``Host`` first."""
    parts = urlsplit(safe_url(capture.url))
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    headers = [("Host", parts.netloc)]
    for name, value in capture.request_headers:
        if name.lower() == "host" or not _HEADER_NAME.match(name):
            continue
        headers.append((name, clean_header_value(value)))
    return f"{capture.method} {target} HTTP/1.1", headers
