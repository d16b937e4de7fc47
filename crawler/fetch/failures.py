"""Why a request ended without a page: its exception mapped to a decision and
reason code by type, in one table (as httpx maps transport exceptions), never
by the words of its message.

The exception and everything it wraps are looked at (``__cause__`` and the
``reasons`` of Twisted's ``ResponseFailed``), table rows in order, so a
``DownloadFailedError`` raised from a ``ParseError`` reads as an invalid
response. What Scrapy reports without a type of its own is read from the
request's facts instead: a cancelled download over its size limit
(``Content-Length`` or the bytes received, counted by the rights middleware),
a request dropped after a redirect response (the redirect limit), a redirect
out of the crawl's scope.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from twisted.internet.error import ConnectionDone, ConnectionLost, DNSLookupError, TCPTimedOutError
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefusedError
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.web._newclient import ParseError, ResponseFailed, ResponseNeverReceived

from crawler.fetch.dns import NonPublicAddressError
from crawler.model.decisions import EXCLUDED, FAILED
from crawler.model.meta import META_EXPECTED_SIZE, META_RECEIVED, META_REDIRECTED

# (exception types, decision, reason), first match wins.
EXCEPTION_REASONS: tuple[tuple[tuple[type[BaseException], ...], str, str], ...] = (
    ((NonPublicAddressError,), EXCLUDED, "private-address"),  # the DNS answer changed to a private address
    ((DNSLookupError, CannotResolveHostError), FAILED, "fetch-dns"),
    ((TxTimeoutError, TCPTimedOutError, DownloadTimeoutError), FAILED, "fetch-timeout"),
    ((TxConnectionRefusedError, DownloadConnectionRefusedError), FAILED, "fetch-connection-refused"),
    ((_DecompressionMaxSizeExceeded,), FAILED, "fetch-decompression-limit"),  # a compression bomb, or too big once decoded
    ((ParseError,), FAILED, "fetch-invalid-response"),  # bytes that are not HTTP
    ((ConnectionLost, ConnectionDone, ResponseFailed, ResponseNeverReceived, DownloadFailedError, ResponseDataLossError), FAILED, "fetch-connection-lost"),
)


def wrapped(error: BaseException) -> Iterator[BaseException]:
    """The exception, then what it wraps, depth first."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inner = [getattr(reason, "value", reason) for reason in getattr(current, "reasons", None) or ()]
        if current.__cause__ is not None:
            inner.insert(0, current.__cause__)
        pending[:0] = [e for e in inner if isinstance(e, BaseException)]


def failure_decision(error: BaseException, *, status: int | None, url: str, meta: Mapping[str, Any], maxsize: int) -> tuple[str, str]:
    """(decision, reason) for a request to ``url`` that ended with ``error``;
    ``meta`` is its meta, ``maxsize`` the crawl's ``DOWNLOAD_MAXSIZE``."""
    if isinstance(error, HttpError) and status is not None:
        return FAILED, f"http-{status}"
    if isinstance(error, DownloadCancelledError):
        limit = meta.get("download_maxsize", maxsize)
        expected_url, expected = meta.get(META_EXPECTED_SIZE) or (None, 0)
        if limit and max(expected if expected_url == url else 0, meta.get(META_RECEIVED, 0)) > limit:
            return FAILED, "fetch-size-limit"
    for exception in wrapped(error):
        for types, decision, reason in EXCEPTION_REASONS:
            if isinstance(exception, types):
                return decision, reason
    if isinstance(error, IgnoreRequest):
        if meta.get(META_REDIRECTED) == url:
            return FAILED, "fetch-redirect-limit"  # a redirect response the redirect middleware would not follow
        if meta.get("redirect_urls"):
            return EXCLUDED, "out-of-scope"  # a redirect out of the crawl's domains
        return EXCLUDED, "ignored"
    name = type(error).__name__
    return FAILED, "fetch-" + "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")
