"""Sitemaps (sitemaps.org): the URLs a site lists, read safely.

Owns reading a sitemap or sitemap index, plain or gzip-compressed, with the
protocol's limits (50,000 URLs, 50 MB uncompressed) and no entity expansion or
network access in the XML parser. Pure; never raises on malformed input.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass

import lxml.etree

MAX_URLS = 50_000
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Sitemap:
    kind: str  # "urlset" | "sitemapindex" | "invalid"
    urls: tuple[str, ...]
    note: str = ""


def _gunzip(body: bytes) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as handle:
            return handle.read(MAX_BYTES + 1)
    except (OSError, EOFError, zlib.error):
        return b""


def _local_name(tag: object) -> str:
    # Not lxml's QName: in recovery mode a tag can be ":" or "a:", which QName rejects.
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def parse_sitemap(body: bytes) -> Sitemap:
    """The URLs a sitemap lists (``kind`` ``invalid`` with a note when it is not one)."""
    try:
        return _parse(bytes(body))
    except Exception as error:  # a parser of outside input never raises
        return Sitemap("invalid", (), f"unreadable: {type(error).__name__}")


def _parse(body: bytes) -> Sitemap:
    if body[:2] == b"\x1f\x8b":
        body = _gunzip(body)
    if len(body) > MAX_BYTES:
        return Sitemap("invalid", (), f"larger than {MAX_BYTES} bytes")
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True, remove_comments=True)
    try:
        root = lxml.etree.fromstring(body, parser=parser)
    except (lxml.etree.XMLSyntaxError, ValueError):
        return Sitemap("invalid", (), "not XML")
    if root is None:
        return Sitemap("invalid", (), "empty")
    kind = _local_name(root.tag).lower()
    if kind not in ("urlset", "sitemapindex"):
        return Sitemap("invalid", (), f"root element {kind or '?'}")
    urls = []
    for element in root.iter():
        if _local_name(element.tag) == "loc" and element.text:
            urls.append(element.text.strip())
            if len(urls) >= MAX_URLS:
                break
    return Sitemap(kind, tuple(dict.fromkeys(u for u in urls if u)))
