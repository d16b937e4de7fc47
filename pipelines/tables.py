"""The tables step: the ``documents`` table (an item pipeline) and the
``decisions`` table (an extension listening to ``decision_recorded``), each
written as crash-safe Parquet shards by ``pipelines.formats.parquet``."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

from scrapy import signals

from crawler.context import CrawlContext
from crawler.model.decisions import EXCLUDED, STAGE_PAGE, STORED, WITHDRAWN, DecisionRecord, stored_reason
from crawler.model.items import DocumentItem
from crawler.previous import PreviousCrawl
from crawler.rights.policy import reason_family
from crawler.signals import decision_recorded
from pipelines.formats.parquet import ShardedParquetWriter
from pipelines.formats.schema import DECISIONS_SCHEMA, DOCUMENTS_SCHEMA


class DocumentsPipeline:
    """Writes each stored document's row to ``data/documents/`` and records the
    ``stored`` decision once the row is safely journaled."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.context = CrawlContext.for_crawler(crawler)
        self.writer = ShardedParquetWriter(
            self.context.output_dir / "data" / "documents",
            DOCUMENTS_SCHEMA,
            f"documents-{self.context.shard_name}",
            rows_per_group=crawler.settings.getint("TDMCRAWL_PARQUET_ROWS_PER_GROUP"),
            rows_per_shard=crawler.settings.getint("TDMCRAWL_PARQUET_ROWS_PER_SHARD"),
        )
        self.columns = DOCUMENTS_SCHEMA.names

    @classmethod
    def from_crawler(cls, crawler: Any) -> "DocumentsPipeline":
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, DocumentItem):
            return item
        row = {name: item.row.get(name) for name in self.columns}
        line = None
        row_json, location = item.extra.get("row_json"), item.extra.get("location")
        if row_json and location is not None:
            # The worker encoded the row; only its WARC location is added here.
            extra_json = json.dumps(location, ensure_ascii=False)
            line = row_json[:-1] + ", " + extra_json[1:] if row_json != "{}" else extra_json
        self.writer.write(row, line)
        self.crawler.stats.inc_value("tdmcrawl/documents")
        self.crawler.stats.inc_value("tdmcrawl/documents/bytes", row.get("content_length") or 0)
        record = DecisionRecord(
            url=item.original_url or row["url"],
            decision=STORED,
            reason=stored_reason(row.get("content_truncated")),
            stage=STAGE_PAGE,
            final_url=row["url"],
            fetch_status=row.get("fetch_status"),
            depth=item.depth,
            via=row.get("via"),
            document_id=row.get("id"),
            policy_digests=item.policy_digests,
            reservations=item.reservations,
            tos_url=row.get("tos_url"),
            tos_digest=row.get("tos_digest"),
        )
        self.crawler.signals.send_catch_log(decision_recorded, record=record)
        return item

    async def close_spider(self, spider: Any = None) -> None:
        await asyncio.to_thread(self.writer.close)  # the last row group and the footer, off the reactor


class DecisionsWriter:
    """Extension: one ``data/decisions/`` row per ``decision_recorded`` signal,
    and counters under ``tdmcrawl/decisions/…`` and ``tdmcrawl/excluded/…``."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.context = CrawlContext.for_crawler(crawler)
        self.writer = ShardedParquetWriter(
            self.context.output_dir / "data" / "decisions",
            DECISIONS_SCHEMA,
            f"decisions-{self.context.shard_name}",
            rows_per_group=crawler.settings.getint("TDMCRAWL_PARQUET_ROWS_PER_GROUP") * 10,
        )
        crawler.signals.connect(self.record, signal=decision_recorded)
        crawler.signals.connect(self.close, signal=signals.spider_closed)
        self.previous = PreviousCrawl.for_crawler(crawler) if crawler.settings.get("TDMCRAWL_PREVIOUS") else None

    @classmethod
    def from_crawler(cls, crawler: Any) -> "DecisionsWriter":
        return cls(crawler)

    def record(self, record: Any) -> None:
        if record.decision == EXCLUDED and self.previous is not None:
            earlier = self.previous.lookup(record.url) or (self.previous.lookup(record.final_url) if record.final_url else None)
            if earlier is not None:
                # Stored before, excluded now: consent was withdrawn since the previous crawl.
                record = replace(record, decision=WITHDRAWN, document_id=earlier.document_id)
        row = record.row(crawl_id=self.context.crawl_id, profile=self.context.profile.name)
        self.writer.write(row)
        stats = self.crawler.stats
        stats.inc_value(f"tdmcrawl/decisions/{record.decision}")
        if record.decision in ("excluded", "failed", "withdrawn") and record.reason:
            stats.inc_value(f"tdmcrawl/{record.decision}/{reason_family(record.reason)}")
            stats.inc_value(f"tdmcrawl/reason/{record.reason}")

    def close(self, *args: Any, **kwargs: Any) -> None:
        self.writer.close()
