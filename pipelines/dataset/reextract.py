"""Rebuild the documents table (and WET) from the WARC files already written.

Owns reading stored captures back: each ``response`` record with its
``metadata`` record (the rights record and provenance written at crawl time)
becomes the same :class:`~crawler.model.capture.Capture` the live crawl had, and goes
through the same :func:`pipelines.extraction.process_page` in the worker pool
(PDF and EPUB captures included, read by the same document reader),
so a new extractor version or new options give new rows without a new fetch,
and the live crawl and ``tdmcrawl extract`` give identical rows for the same
capture. The crash recovery of a resumed crawl uses the same reader to rebuild
rows for captures that reached the WARC but not the tables.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from warcio.archiveiterator import ArchiveIterator

from crawler.document import DocumentOptions
from crawler.model.capture import Capture
from crawler.page import ExtractOptions
from crawler.workers import WorkerPool
from pipelines.extraction import PageJob, process_page
from pipelines.formats.parquet import ShardedParquetWriter
from pipelines.formats.schema import DOCUMENTS_SCHEMA
from pipelines.formats.warc import WarcFileSet, build_conversion_record

logger = logging.getLogger(__name__)
ALL_DOCUMENTS = DocumentOptions().with_all_kinds()


@dataclass(frozen=True)
class StoredCapture:
    """A response record with everything needed to rebuild its documents row."""

    capture: Capture
    crawl_id: str
    stored_rights: dict[str, Any]
    location: dict[str, Any]  # the WARC columns of the row
    identified_type: str
    extract_options: str | None


def _parse_fields(block: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in block.decode("utf-8", "replace").split("\r\n"):
        if ": " in line:
            name, value = line.split(": ", 1)
            fields[name] = value
    return fields


def _epoch(warc_date: str) -> float:
    return datetime.fromisoformat(warc_date.replace("Z", "+00:00")).timestamp()


def iter_stored_captures(warc_path: Path, relative_name: str) -> Iterator[StoredCapture]:
    """Captures of one WARC file written by tdmcrawl (request, response, metadata)."""
    warcinfo: dict[str, str] = {}
    pending: dict[str, Any] = {}
    with open(warc_path, "rb") as handle:
        iterator = ArchiveIterator(handle)
        for record in iterator:
            kind = record.rec_type
            headers = record.rec_headers
            if kind == "warcinfo":
                warcinfo = _parse_fields(record.content_stream().read())
                warcinfo["id"] = headers.get_header("WARC-Record-ID")
                continue
            if kind == "request":
                continue
            if kind == "response":
                body = record.content_stream().read()
                offset, length = iterator.get_record_offset(), None
                iterator.read_to_end(record)
                length = iterator.get_record_length()
                http = record.http_headers
                pending = {
                    "id": headers.get_header("WARC-Record-ID"),
                    "url": headers.get_header("WARC-Target-URI"),
                    "date": headers.get_header("WARC-Date"),
                    "request_id": headers.get_header("WARC-Concurrent-To"),
                    "warcinfo_id": headers.get_header("WARC-Warcinfo-ID"),
                    "ip": headers.get_header("WARC-IP-Address"),
                    "protocol": headers.get_header("WARC-Protocol"),
                    "truncated": headers.get_header("WARC-Truncated"),
                    "identified": headers.get_header("WARC-Identified-Payload-Type") or "text/html",
                    "digest": headers.get_header("WARC-Payload-Digest") or "",
                    "status": int(http.get_statuscode() or 0),
                    "headers": tuple((k, v) for k, v in http.headers if k.lower() not in ("content-length",) and not k.lower().startswith("x-crawler-")),
                    "encoding": http.get_header("X-Crawler-Content-Encoding"),
                    "body": body,
                    "offset": offset,
                    "length": length,
                }
                continue
            if kind == "metadata" and pending and headers.get_header("WARC-Concurrent-To") == pending["id"]:
                fields = _parse_fields(record.content_stream().read())
                offset = iterator.get_record_offset()  # after reading: warcio reads to the end to find it
                rights = json.loads(fields.get("tdmcrawl-rights", "{}"))
                latency = fields.get("fetchTimeMs")
                extractor = fields.get("extractor", "")
                capture = Capture(
                    url=pending["url"],
                    status=pending["status"],
                    response_headers=pending["headers"],
                    body=pending["body"],
                    fetched_at=_epoch(pending["date"]),
                    original_encoding=pending["encoding"],
                    ip_address=pending["ip"],
                    protocol=pending["protocol"],
                    truncated=pending["truncated"],
                    download_latency=int(latency) / 1000 if latency and latency.isdigit() else None,
                    redirect_chain=tuple(fields.get("scrapy-redirect-urls", "").split()),
                    via=fields.get("via") or None,
                    hops=fields.get("hopsFromSeed", ""),
                )
                location = {
                    "id": pending["id"],
                    "date": pending["date"],
                    "file_path": relative_name,
                    "warc_record_offset": pending["offset"],
                    "warc_record_length": pending["length"],
                    "warc_request_id": pending["request_id"],
                    "warc_metadata_id": headers.get_header("WARC-Record-ID"),
                    "warc_metadata_offset": offset,
                    "warcinfo_id": pending["warcinfo_id"],
                    "content_digest": pending["digest"].split(":", 1)[-1],
                }
                options_json = extractor[extractor.index("{"):] if "{" in extractor else None  # "<name> <version> <options JSON>"
                yield StoredCapture(capture, warcinfo.get("isPartOf", ""), rights, location, pending["identified"], options_json)
                pending = {}


def stored_captures(out: Path) -> Iterator[StoredCapture]:
    for path in sorted((out / "warc").glob("*.warc.gz")):
        yield from iter_stored_captures(path, f"warc/{path.name}")


def rebuild_row(stored: StoredCapture, options: ExtractOptions | None) -> dict[str, Any] | None:
    """The documents row of a stored capture (same function as the live crawl)."""
    if options is None:
        options = ExtractOptions(**json.loads(stored.extract_options)) if stored.extract_options else ExtractOptions()
    # A PDF or EPUB the crawl stored is read again whatever --documents said.
    job = PageJob(capture=stored.capture, assessment=None, options=options, crawl_id=stored.crawl_id, stored_rights=stored.stored_rights, documents=ALL_DOCUMENTS)
    outcome = process_page(job)
    if outcome.failure or not outcome.row:
        return None
    row = dict(outcome.row)
    row.update(stored.location)
    return row


def extract_directory(out: Path | str, *, options: ExtractOptions | None = None, workers: int | None = None, write_wet: bool = True) -> dict[str, int]:
    """``tdmcrawl extract``: rebuild ``data/documents`` (and ``wet/``) from ``warc/``
    with every core; the old table is replaced only once the new one is complete."""
    import asyncio

    out = Path(out)
    new_docs = out / "data" / ".documents.rebuild"
    new_wet = out / ".wet.rebuild"
    for folder in (new_docs, new_wet):
        if folder.exists():
            shutil.rmtree(folder)
    counts = {"captures": 0, "rows": 0}
    crawl_ids: set[str] = set()

    async def run() -> None:
        pool = WorkerPool(workers, soft_timeout=60.0, longest_job=ALL_DOCUMENTS.timeout)
        writer = None
        wet = None
        pending: list[Any] = []
        try:
            for stored in stored_captures(out):
                counts["captures"] += 1
                crawl_ids.add(stored.crawl_id)
                if writer is None:
                    writer = ShardedParquetWriter(new_docs, DOCUMENTS_SCHEMA, f"documents-{stored.crawl_id}-extract")
                    wet = WarcFileSet(new_wet, f"{stored.crawl_id}-extract", suffix=".warc.wet.gz", info=[("isPartOf", stored.crawl_id), ("description",
                        "extracted text, rebuilt by tdmcrawl extract")])
                pending.append(asyncio.ensure_future(pool.run(_rebuild_job, (stored, options))))
                if len(pending) >= pool.max_inflight:
                    await _drain(pending, writer, wet, counts, write_wet, build_conversion_record)
            await _drain(pending, writer, wet, counts, write_wet, build_conversion_record)
        finally:
            await pool.close_async()
            if writer is not None:
                writer.close()
            if wet is not None:
                wet.close()

    asyncio.run(run())
    # swap in the new table and WET files
    old_docs = out / "data" / "documents"
    if new_docs.exists():
        backup = out / "data" / ".documents.old"
        if old_docs.exists():
            os.replace(old_docs, backup)
        os.replace(new_docs, old_docs)
        if backup.exists():
            shutil.rmtree(backup)
    if write_wet and new_wet.exists():
        old_wet = out / "wet"
        if old_wet.exists():
            shutil.rmtree(old_wet)
        os.replace(new_wet, old_wet)
    return counts


def _rebuild_job(args: tuple[StoredCapture, ExtractOptions | None]) -> tuple[dict[str, Any] | None, StoredCapture]:
    stored, options = args
    return rebuild_row(stored, options), stored


async def _drain(pending: list[Any], writer: Any, wet: Any, counts: dict[str, int], write_wet: bool, build_conversion_record: Any) -> None:
    while pending:
        future = pending.pop(0)
        row, stored = await future
        if row is None:
            continue
        if write_wet and row.get("text"):
            slot = wet.reserve()
            block = f"{row['title']}\n\n{row['text']}" if row.get("title") else row["text"]
            record = build_conversion_record(target_uri=row["url"], refers_to=row["id"], date=row["date"], text=block, warcinfo_id=slot.warcinfo_id, language=row.get("language"))
            written = wet.write(slot, [record])
            row.update(wet_file_path=f"wet/{written.file_name}", wet_record_offset=written.offsets[0], warc_conversion_id=record.record_id)
        else:
            row.update(wet_file_path=None, wet_record_offset=None, warc_conversion_id=None)
        writer.write({name: row.get(name) for name in DOCUMENTS_SCHEMA.names})
        counts["rows"] += 1
