"""An earlier crawl's output, read for an incremental recrawl.

Owns what a new run needs from the previous one: for every stored URL its
document id, capture date and validators (``ETag``, ``Last-Modified``), so the
new run can send conditional requests (a ``304`` becomes a WARC ``revisit`` and
an ``unchanged`` decision) and can tell when a URL it stored before is now
excluded (``withdrawn``). Reads only the columns it needs.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq


@dataclass(frozen=True)
class PreviousCapture:
    document_id: str
    url: str  # the URL stored (after redirects)
    date: str  # WARC-Date of the stored capture
    etag: str | None
    last_modified: str | None
    file_path: str
    crawl_id: str

    def conditional_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


class PreviousCrawl:
    _by_crawler: "weakref.WeakKeyDictionary[Any, PreviousCrawl | None]" = weakref.WeakKeyDictionary()

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.by_url: dict[str, PreviousCapture] = {}
        documents = self.path / "data" / "documents"
        if not documents.is_dir():
            raise FileNotFoundError(f"{self.path} is not a tdmcrawl output (no data/documents)")
        wanted = ["id", "url", "date", "file_path", "dump", "http_etag", "http_last_modified"]
        for shard in sorted(documents.glob("*.parquet")):
            if shard.name.startswith("."):
                continue
            names = set(pq.read_schema(shard).names)
            table = pq.read_table(shard, columns=[c for c in wanted if c in names]).to_pydict()
            for i, url in enumerate(table["url"]):
                self.by_url[url] = PreviousCapture(
                    document_id=table["id"][i],
                    url=url,
                    date=table["date"][i],
                    etag=(table.get("http_etag") or [None] * len(table["url"]))[i],
                    last_modified=(table.get("http_last_modified") or [None] * len(table["url"]))[i],
                    file_path=table["file_path"][i],
                    crawl_id=table["dump"][i],
                )
        # a stored page is also known under the URL first requested, before redirects
        decisions = self.path / "data" / "decisions"
        self.original_to_final: dict[str, str] = {}
        for shard in sorted(decisions.glob("*.parquet")) if decisions.is_dir() else []:
            if shard.name.startswith("."):
                continue
            table = pq.read_table(shard, columns=["url", "final_url", "decision"]).to_pydict()
            for url, final, decision in zip(table["url"], table["final_url"], table["decision"]):
                if decision == "stored" and final and final != url:
                    self.original_to_final[url] = final

    def lookup(self, url: str) -> PreviousCapture | None:
        found = self.by_url.get(url)
        if found is None and url in self.original_to_final:
            found = self.by_url.get(self.original_to_final[url])
        return found

    def stored_urls(self) -> list[str]:
        return list(self.by_url)

    @classmethod
    def for_crawler(cls, crawler: Any) -> "PreviousCrawl | None":
        if crawler not in cls._by_crawler:
            path = crawler.settings.get("TDMCRAWL_PREVIOUS")
            cls._by_crawler[crawler] = cls(path) if path else None
        return cls._by_crawler[crawler]
