"""The archive step: the WARC file sets of one crawler (``warc/`` stored
documents, ``wet/`` their text, ``policy/`` the policy files consulted), the
item pipeline that writes each stored document's records, and the listener
that archives each policy file the rights middleware announces with
``policy_file_fetched``. Record building and files are ``pipelines.formats.warc``."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Sequence

from scrapy import signals

from crawler.context import CrawlContext
from crawler.model.capture import Capture
from crawler.model.decisions import STAGE_HEADERS, UNCHANGED, DecisionRecord
from crawler.model.items import DocumentItem, RevisitItem
from crawler.signals import policy_file_fetched, record_decision
from crawler.workers import WorkerPool
from pipelines.formats.warc import (
    DocumentRecords,
    DocumentRecordsJob,
    SerializedRecord,
    Slot,
    WarcFileSet,
    build_capture_records,
    build_document_records,
    build_revisit_records,
)


class WarcSets:
    """The WARC file sets of one crawler: ``warc/`` (stored documents), ``wet/``
    (their extracted text), ``policy/`` (robots.txt, tdmrep.json, ai.txt, RSL)."""

    _by_crawler: "weakref.WeakKeyDictionary[object, WarcSets]" = weakref.WeakKeyDictionary()

    def __init__(self, context: CrawlContext, max_size: int):
        base = context.output_dir
        name = context.shard_name
        self.context = context
        self.documents = WarcFileSet(base / "warc", name, max_size=max_size, info=context.warcinfo("stored documents: request, response and metadata records"))
        self.wet = WarcFileSet(base / "wet", name, suffix=".warc.wet.gz", max_size=max_size, info=context.warcinfo("extracted text of the stored documents (conversion records)"))
        self.policy = WarcFileSet(base / "policy", name, max_size=max_size, info=context.warcinfo("policy files consulted: robots.txt, tdmrep.json, ai.txt, RSL"))
        self.closed = False

    @classmethod
    def for_crawler(cls, crawler: object) -> WarcSets:
        sets = cls._by_crawler.get(crawler)
        if sets is None:
            context = CrawlContext.for_crawler(crawler)
            max_size = crawler.settings.getint("TDMCRAWL_WARC_MAX_SIZE")
            sets = cls._by_crawler[crawler] = cls(context, max_size)
            crawler.signals.connect(sets.close, signal=signals.spider_closed)  # type: ignore[attr-defined]
        return sets

    def close(self, *args: object, **kwargs: object) -> None:
        if self.closed:
            return
        self.closed = True
        for file_set in (self.documents, self.wet, self.policy):
            file_set.close()


@dataclass(frozen=True)
class DocumentSlots:
    """Where a stored page's records will go, reserved before they are built
    (the records carry their file's warcinfo id)."""

    warc: Slot
    wet: Slot | None

    @property
    def warcinfo_ids(self) -> tuple[str, str | None]:
        return self.warc.warcinfo_id, self.wet.warcinfo_id if self.wet else None


def reserve_document(sets: WarcSets, with_text: bool = True) -> DocumentSlots:
    return DocumentSlots(sets.documents.reserve(), sets.wet.reserve() if with_text else None)


def release_document(sets: WarcSets, slots: DocumentSlots) -> None:
    sets.documents.release(slots.warc)
    if slots.wet is not None:
        sets.wet.release(slots.wet)


class WarcPipeline:
    """Writes each stored document's request, response and metadata records to
    ``warc/`` and its text as a conversion record to ``wet/``, and puts the
    record locations into the item's row. Serialisation runs in the worker pool.
    Also archives every policy file the rights middleware announces
    (``policy_file_fetched``) to ``policy/``."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.context = CrawlContext.for_crawler(crawler)
        self.sets = WarcSets.for_crawler(crawler)
        self.pool = WorkerPool.for_crawler(crawler)
        self.write_wet = crawler.settings.getbool("TDMCRAWL_WRITE_WET")
        crawler.signals.connect(self.archive_policy_file, signal=policy_file_fetched)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "WarcPipeline":
        return cls(crawler)

    def archive_policy_file(self, capture: Capture, metadata: Sequence[tuple[str, object]], digest: str) -> None:
        """A policy file's capture goes to ``policy/``; the decisions cite it by
        ``digest``, the payload digest of its response record."""
        if self.sets.closed:
            return
        self.sets.policy.write_now(lambda warcinfo_id: build_capture_records(capture, warcinfo_id=warcinfo_id, metadata=metadata).records)

    async def process_item(self, item: object) -> object:
        if isinstance(item, RevisitItem):
            return self._write_revisit(item)
        if not isinstance(item, DocumentItem):
            return item
        row = item.row
        slots: DocumentSlots | None = item.extra.pop("warc_slots", None)
        built: DocumentRecords | None = item.extra.pop("warc_records", None)
        if built is None:
            # Records not built with the page (an item from another spider): build them now, in the pool.
            if slots is None:
                slots = reserve_document(self.sets, with_text=self.write_wet and bool(row.get("text")))
            job = DocumentRecordsJob(
                capture=item.capture,
                warcinfo_id=slots.warc.warcinfo_id,
                metadata=item.metadata,
                identified_type=item.identified_type,
                wet_warcinfo_id=slots.wet.warcinfo_id if slots.wet else None,
                text=row.get("text") or "",
                title=row.get("title"),
                language=row.get("language"),
            )
            try:
                built = await self.pool.run(build_document_records, job)
            except BaseException:
                release_document(self.sets, slots)
                raise
        assert slots is not None
        slot, wet_slot = slots.warc, slots.wet
        if wet_slot is not None and built.conversion is None:
            self.sets.wet.release(wet_slot)
            wet_slot = None
        written = self.sets.documents.write(slot, built.capture.records)
        records = built.capture
        location = dict(
            id=records.response_id,
            date=records.date,
            file_path=f"warc/{written.file_name}",
            warc_request_id=records.request_id,
            warc_record_offset=written.offsets[1],
            warc_record_length=written.lengths[1],
            warc_metadata_id=records.metadata_id,
            warc_metadata_offset=written.offsets[2] if len(written.offsets) > 2 else written.offsets[1],
            warcinfo_id=slot.warcinfo_id,
            content_digest=records.payload_digest.split(":", 1)[1],
        )
        if wet_slot and built.conversion is not None:
            wet = self.sets.wet.write(wet_slot, [built.conversion])
            location.update(wet_file_path=f"wet/{wet.file_name}", wet_record_offset=wet.offsets[0], warc_conversion_id=built.conversion.record_id)
        else:
            location.update(wet_file_path=None, wet_record_offset=None, warc_conversion_id=None)
        row.update(location)
        item.extra["location"] = location
        stats = self.crawler.stats  # type: ignore[attr-defined]
        stats.inc_value("tdmcrawl/warc/records", len(written.offsets))
        stats.inc_value("tdmcrawl/warc/bytes", sum(written.lengths))
        return item

    def _write_revisit(self, item: RevisitItem) -> RevisitItem:
        previous = item.previous
        written_ids: dict[str, str] = {}

        def build(warcinfo_id: str) -> Sequence[SerializedRecord]:
            records = build_revisit_records(item.capture, warcinfo_id=warcinfo_id, refers_to=previous.document_id, refers_to_target_uri=previous.url, refers_to_date=previous.date)
            written_ids["revisit"] = records.response_id
            return records.records

        self.sets.documents.write_now(build)
        self.crawler.stats.inc_value("tdmcrawl/warc/revisits")  # type: ignore[attr-defined]
        record_decision(
            self.crawler,
            DecisionRecord(
                url=item.original_url,
                decision=UNCHANGED,
                reason="http-304-not-modified",
                stage=STAGE_HEADERS,
                final_url=item.capture.url,
                fetch_status=item.capture.status,
                depth=item.depth,
                via=item.capture.via,
                document_id=previous.document_id,
                policy_digests=item.policy_digests,
                tos_url=item.tos_url,
                tos_digest=item.tos_digest,
            ),
        )
        return item
