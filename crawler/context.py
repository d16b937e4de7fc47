"""The facts of one crawl that every component shares: where output goes, the
crawl id, the identity sent to sites, the policy profile, the extractor options.

Built once per Scrapy crawler from its settings (``CrawlContext.for_crawler``),
so the spider, middlewares, pipelines and extensions agree on them.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import time
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from crawler import PRODUCT_TOKEN, __version__
from crawler.document import DocumentOptions
from crawler.jobs import FINISHED, JobDirectory
from crawler.model.capture import BODY_CONVENTION
from crawler.page import EXTRACTORS, ExtractOptions
from crawler.rights.policy import PolicyProfile

_contexts: "weakref.WeakKeyDictionary[Any, CrawlContext]" = weakref.WeakKeyDictionary()


SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def safe_name(value: str, what: str) -> str:
    """Crawl and worker ids become parts of file names: letters, digits, '.', '_'
    and '-' only, so no id can write outside the output folder."""
    if not SAFE_NAME.match(value):
        from scrapy.exceptions import UsageError

        raise UsageError(f"{what} {value!r} may only contain letters, digits, '.', '_' and '-'")
    return value


def new_crawl_id(now: float | None = None) -> str:
    stamp = datetime.fromtimestamp(now or time.time(), timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"tdmcrawl-{stamp}-{secrets.token_hex(3)}"


def user_agent(contact: str | None, token: str = PRODUCT_TOKEN) -> str:
    """``tdmcrawl/<version> (+<contact>)``: the product token first, the way
    robots.txt groups name it, and never the words Scrapy or Spider."""
    return f"{token}/{__version__} (+{contact})" if contact else f"{token}/{__version__}"


def software_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {PRODUCT_TOKEN: __version__}
    for package in ("scrapy", "protego", "warcio", "trafilatura", "pyarrow", "lxml", "py3langid", "http-sf"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            pass
    return versions


def resumable_crawl_id(job_dir: Path) -> str | None:
    """The crawl id of an unfinished job in ``job_dir`` (a resumed crawl keeps its id)."""
    state = JobDirectory(job_dir).read_state()
    if state.get("crawl_id") and state.get("status") != FINISHED:
        return str(state["crawl_id"])
    return None


def _document_options(settings: Any) -> DocumentOptions:
    try:
        return DocumentOptions.from_settings(settings)
    except ValueError as exc:
        from scrapy.exceptions import UsageError

        raise UsageError(f"TDMCRAWL_DOCUMENTS: {exc}") from None


@dataclass
class CrawlContext:
    output_dir: Path
    job_dir: Path
    crawl_id: str
    worker_id: str
    token: str
    contact: str | None
    user_agent: str
    profile: PolicyProfile
    extract: ExtractOptions
    operator: str
    purpose: str
    documents: DocumentOptions = field(default_factory=DocumentOptions)
    started_at: float = field(default_factory=time.time)
    hostname: str = field(default_factory=socket.gethostname)

    @classmethod
    def from_settings(cls, settings: Any) -> "CrawlContext":
        token = settings.get("TDMCRAWL_PRODUCT_TOKEN")
        output_dir = Path(settings.get("TDMCRAWL_OUTPUT_DIR"))
        job_dir = Path(settings.get("TDMCRAWL_JOB_DIR") or output_dir / ".job")
        contact = settings.get("TDMCRAWL_CONTACT") or None
        extract = dict(settings.getdict("TDMCRAWL_EXTRACT"))
        if not settings.getbool("TDMCRAWL_EXTRACT_TEXT"):
            extract["extract_text"] = False
        extract["extractor"] = settings.get("TDMCRAWL_EXTRACTOR")
        if extract["extractor"] not in EXTRACTORS:
            raise ValueError(f"TDMCRAWL_EXTRACTOR must be one of {', '.join(EXTRACTORS)}, not {extract['extractor']!r}")
        return cls(
            output_dir=output_dir,
            job_dir=job_dir,
            crawl_id=safe_name(settings.get("TDMCRAWL_CRAWL_ID") or resumable_crawl_id(job_dir) or new_crawl_id(), "crawl id"),
            worker_id=safe_name(settings.get("TDMCRAWL_WORKER_ID"), "worker id"),
            token=token,
            contact=contact,
            user_agent=settings.get("USER_AGENT") or user_agent(contact, token),
            profile=PolicyProfile.from_mapping(settings.getdict("TDMCRAWL_POLICY")),
            extract=ExtractOptions(**extract),
            operator=settings.get("TDMCRAWL_OPERATOR") or (contact or "unspecified"),
            purpose=settings.get("TDMCRAWL_PURPOSE"),
            documents=_document_options(settings),
        )

    @classmethod
    def for_crawler(cls, crawler: Any) -> "CrawlContext":
        context = _contexts.get(crawler)
        if context is None:
            context = _contexts[crawler] = cls.from_settings(crawler.settings)
            context.output_dir.mkdir(parents=True, exist_ok=True)
        return context

    @property
    def shard_name(self) -> str:
        """Names files so several crawls or workers can share one output folder."""
        return f"{self.crawl_id}-{self.worker_id}"

    def relative(self, path: Path) -> str:
        return os.path.relpath(path, self.output_dir).replace(os.sep, "/")

    def warcinfo(self, description: str) -> list[tuple[str, object]]:
        versions = software_versions()
        return [
            ("software", f"{self.token}/{__version__} (" + "; ".join(f"{k} {v}" for k, v in versions.items() if k != self.token) + ")"),
            ("operator", self.operator),
            ("hostname", self.hostname),
            ("isPartOf", self.crawl_id),
            ("description", description),
            ("http-header-user-agent", self.user_agent),
            ("robots", "classic"),
            ("robots-policy", "RFC 9309 (Protego matching; 4xx allow, 5xx/429/network error disallow and retry, 24 h cache, 500 KiB parse limit)"),
            ("rights-policy", f"profile {self.profile.name}: honours {', '.join(sorted(self.profile.honoured)) or 'no reservations (recorded only)'}"),
            ("purpose", self.purpose),
            ("document-types", ", ".join(("html", *self.documents.kinds))),
            ("body-convention", BODY_CONVENTION),
        ]
