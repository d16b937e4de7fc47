"""Scrapy responses as facts: header pairs and the :class:`Capture` of a
response (decoded body, the Content-Encoding the server sent kept). Shared by
the rights middleware (policy files) and the spider (pages)."""

from __future__ import annotations

import time
from typing import Any

from scrapy.http import Response

from crawler.model.capture import Capture
from crawler.model.meta import META_ENCODING, META_FETCHED_AT, META_HOPS, META_VIA


def header_pairs(headers: Any) -> list[tuple[str, str]]:
    """Scrapy Headers as (name, value) pairs, every instance, bytes as latin-1."""
    pairs = []
    for name, values in headers.items():
        key = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        for value in values:
            pairs.append((key, value.decode("latin-1") if isinstance(value, bytes) else str(value)))
    return pairs


def capture_from_response(response: Response, *, fetched_at: float | None = None, truncated: str | None = None) -> Capture:
    """The facts of a Scrapy response as a :class:`Capture` (decoded body; the
    Content-Encoding the server sent, seen at ``headers_received``, kept)."""
    request = response.request
    meta = request.meta if request is not None else {}
    latency = meta.get("download_latency")
    started = fetched_at if fetched_at is not None else meta.get(META_FETCHED_AT) or (time.time() - latency if latency else time.time())
    redirects = tuple(meta.get("redirect_urls") or ())
    headers = header_pairs(response.headers)
    original = meta.get(META_ENCODING)
    if original and any(k.lower() == "content-encoding" for k, _ in headers):
        original = None  # Scrapy could not decode it: the body is still encoded
    protocol = getattr(response, "protocol", None)
    return Capture(
        url=response.url,
        status=response.status,
        response_headers=tuple(headers),
        body=response.body,
        fetched_at=started,
        method=request.method if request is not None else "GET",
        request_headers=tuple(header_pairs(request.headers)) if request is not None else (),
        original_encoding=original,
        ip_address=str(response.ip_address) if getattr(response, "ip_address", None) else None,
        protocol=protocol,
        truncated=truncated or ("length" if "download_stopped" in (response.flags or []) else None),
        download_latency=latency,
        redirect_chain=redirects,
        via=meta.get(META_VIA),
        depth=meta.get("depth", 0),
        hops=meta.get(META_HOPS, ""),
    )
