"""Third-party Scrapy components that end requests in the ways a project's own
middlewares and extensions may: the audit-trail tests enable them with ``-s``
to check that every such request still gets its decision row.

* :class:`IgnoringMiddleware`: a downloader middleware that raises
  ``IgnoreRequest`` before the request is sent (paths under ``/ignored-before``)
  or when its response arrives (``/ignored-after``).
* :class:`CuttingExtension`: a ``headers_received`` handler that stops the
  download with ``StopDownload`` (``/cut-fail``: as a failure, ``/cut-keep``:
  keeping the partial response).
"""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, StopDownload


class IgnoringMiddleware:
    def process_request(self, request: Any, spider: Any = None) -> None:
        if "/ignored-before" in request.url:
            raise IgnoreRequest("a project middleware ignores this request")

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        if "/ignored-after" in request.url:
            raise IgnoreRequest("a project middleware ignores this response")
        return response


class CuttingExtension:
    def __init__(self, crawler: Any):
        crawler.signals.connect(self.headers_received, signal=signals.headers_received)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "CuttingExtension":
        return cls(crawler)

    def headers_received(self, headers: Any, body_length: int, request: Any, spider: Any = None) -> None:
        if "/cut-fail" in request.url:
            raise StopDownload(fail=True)
        if "/cut-keep" in request.url:
            raise StopDownload(fail=False)
