"""The item a stored page travels through the pipelines as.

The spider fills ``capture`` and ``outcome`` (from the worker); the WARC
pipeline adds the record locations to ``row``; the documents pipeline writes
``row`` and records the ``stored`` decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crawler.model.capture import Capture


@dataclass
class DocumentItem:
    capture: Capture
    row: dict[str, Any]
    metadata: tuple[tuple[str, str], ...] = ()
    identified_type: str = "text/html"
    depth: int = 0
    policy_digests: tuple[str, ...] = ()
    reservations: tuple[str, ...] = ()
    original_url: str | None = None  # the URL first requested, before redirects
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RevisitItem:
    """A 304 answer to a conditional request: the page is unchanged since the
    previous crawl stored it; the WARC pipeline writes a revisit record."""

    capture: Capture
    previous: Any  # crawler.previous.PreviousCapture
    original_url: str
    depth: int = 0
    policy_digests: tuple[str, ...] = ()
    tos_url: str | None = None  # the site's terms of service and their capture in policy/
    tos_digest: str | None = None
