"""The audit's decisions table: an extension that writes one
``data/decisions/`` row per input URL (``decision_recorded`` with an input
reference), in the audit's schema (``pipelines.dataset.audit_report``), and
counts decisions in the stats the progress display reads."""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.context import CrawlContext
from crawler.model.decisions import STAGE_HEADERS
from crawler.rights.policy import reason_family
from crawler.signals import decision_recorded
from pipelines.dataset.audit_report import LICENCE_SIGNAL
from pipelines.formats.parquet import ShardedParquetWriter
from pipelines.formats.schema import AUDIT_DECISIONS_SCHEMA


def audit_row(record: Any, *, crawl_id: str, profile: str) -> dict[str, Any]:
    row = record.row(crawl_id=crawl_id, profile=profile)
    input_file, input_row, input_id = record.input_ref
    licence = next((e.value for e in record.evidence if e.signal == LICENCE_SIGNAL), None)
    row.update(input_file=input_file, input_row=input_row, input_id=input_id, headers_read=record.stage == STAGE_HEADERS, license=licence)
    return row


class AuditDecisionsWriter:
    def __init__(self, crawler: Any, context: CrawlContext, rows_per_group: int):
        self.crawler = crawler
        self.context = context
        self.writer = ShardedParquetWriter(context.output_dir / "data" / "decisions", AUDIT_DECISIONS_SCHEMA, f"decisions-{context.shard_name}", rows_per_group=rows_per_group)
        crawler.signals.connect(self.record, signal=decision_recorded)
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "AuditDecisionsWriter":
        if not crawler.settings.getbool("TDMCRAWL_AUDIT"):
            raise NotConfigured
        return cls(crawler, CrawlContext.for_crawler(crawler), crawler.settings.getint("TDMCRAWL_PARQUET_ROWS_PER_GROUP") * 10)

    def record(self, record: Any) -> None:
        if record.input_ref is None:
            return  # not an input URL (an audit records nothing else)
        self.writer.write(audit_row(record, crawl_id=self.context.crawl_id, profile=self.context.profile.name))
        stats = self.crawler.stats
        stats.inc_value(f"tdmcrawl/decisions/{record.decision}")
        if record.decision == "excluded" and record.reason:
            stats.inc_value(f"tdmcrawl/excluded/{reason_family(record.reason)}")
            stats.inc_value(f"tdmcrawl/reason/{record.reason}")

    def close(self, *args: Any, **kwargs: Any) -> None:
        self.writer.close()
