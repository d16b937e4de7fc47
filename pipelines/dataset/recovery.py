"""Recovery of an output folder a killed crawl left behind: WARC files left
``.open`` cut to their last complete capture, Parquet shards rebuilt from
their journals, captures that reached the WARC but not the tables turned into
rows (see ``crawler.jobs`` for the job directory that says a crawl was killed).
Runs at the start of a resumed crawl, and offline (``tdmcrawl summary``,
``tdmcrawl remove``) for workers that never came back."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from crawler.jobs import RUNNING, STOPPED, JobDirectory, JobLocked
from crawler.model.decisions import STAGE_PAGE, STORED, DecisionRecord, stored_reason
from pipelines.dataset.reextract import iter_stored_captures, rebuild_row
from pipelines.formats.parquet import ShardedParquetWriter, recover_shards
from pipelines.formats.schema import DECISIONS_SCHEMA, DOCUMENTS_SCHEMA
from pipelines.formats.warc import recover_open_files

logger = logging.getLogger(__name__)


@dataclass
class RecoveryReport:
    warc_files: list[tuple[str, int, int]] = field(default_factory=list)
    parquet_shards: list[tuple[str, int]] = field(default_factory=list)
    orphan_captures: int = 0

    def __bool__(self) -> bool:
        return bool(self.warc_files or self.parquet_shards or self.orphan_captures)


def recover_output(out: Path, *, crawl_id: str, worker_id: str, profile: str) -> RecoveryReport:
    """Repair what a killed crawl left in ``out`` (see the module docstring)."""
    report = RecoveryReport()
    for sub, ends in (("warc", ("metadata", "warcinfo")), ("wet", ("conversion", "warcinfo")), ("policy", ("metadata", "warcinfo"))):
        if (out / sub).is_dir():
            report.warc_files.extend(recover_open_files(out / sub, capture_ends=ends))
    for sub, schema in (("documents", DOCUMENTS_SCHEMA), ("decisions", DECISIONS_SCHEMA)):
        folder = out / "data" / sub
        if folder.is_dir():
            report.parquet_shards.extend(recover_shards(folder, schema))

    report.orphan_captures = _rebuild_orphans(out, [name for name, kept, _ in report.warc_files if kept], crawl_id=crawl_id, worker_id=worker_id, profile=profile)
    return report


def _latest_warc(out: Path, prefix: str) -> list[str]:
    names = sorted(p.name for p in (out / "warc").glob(f"{prefix}-*.warc.gz"))
    return names[-1:]


def _rebuild_orphans(out: Path, recovered: list[str], *, crawl_id: str, worker_id: str, profile: str) -> int:
    """Rows for captures that reached the WARC but not the tables, and the
    ``stored`` decision of a document whose row was journaled just before the
    kill but whose decision was not (without it the URL would be fetched and
    stored a second time). Both can only concern the files the kill
    interrupted or the newest one (rows are journaled right after their
    capture is written), so only those are read. A capture whose URL another
    capture has since been stored for (another worker took the URL over after
    the kill) stays in the WARC but gets no row."""
    prefix = f"{crawl_id}-{worker_id}"
    candidates = sorted({n for n in recovered if n.endswith(".warc.gz") and (out / "warc" / n).exists()} | set(_latest_warc(out, prefix)))
    if not candidates:
        return 0
    known_ids: set[str] = set()
    for path in (out / "data" / "documents").glob("*.parquet"):
        if not path.name.startswith("."):
            known_ids.update(pq.read_table(path, columns=["id"]).column("id").to_pylist())
    decided = decided_urls(out, crawl_id)
    writers: dict[str, ShardedParquetWriter] = {}

    def writer(table: str, schema: Any) -> ShardedParquetWriter:
        if table not in writers:
            writers[table] = ShardedParquetWriter(out / "data" / table, schema, f"{table}-{prefix}")
        return writers[table]

    rebuilt = decisions_restored = 0
    try:
        for name in candidates:
            for stored in iter_stored_captures(out / "warc" / name, f"warc/{name}"):
                capture = stored.capture
                original = capture.redirect_chain[0] if capture.redirect_chain else capture.url
                document_id = stored.location["id"]
                truncated = capture.truncated  # a rebuilt row also knows a page cut by the parser
                if original in decided and decided[original] != document_id:
                    # Decided from another capture: a worker that took over this URL
                    # after the kill stored it again. One document per URL.
                    continue
                if document_id in known_ids:
                    if original in decided:
                        continue
                    decisions_restored += 1
                else:
                    row = rebuild_row(stored, None)
                    if row is None:
                        continue
                    row.update(wet_file_path=None, wet_record_offset=None, warc_conversion_id=None)
                    truncated = row.get("content_truncated")
                    writer("documents", DOCUMENTS_SCHEMA).write({column: row.get(column) for column in DOCUMENTS_SCHEMA.names})
                    known_ids.add(document_id)
                    rebuilt += 1
                if original not in decided:
                    record = DecisionRecord(
                        url=original,
                        decision=STORED,
                        reason=stored_reason(truncated),
                        stage=STAGE_PAGE,
                        final_url=capture.url,
                        fetch_status=capture.status,
                        depth=len(capture.hops),
                        via=capture.via,
                        document_id=document_id,
                        policy_digests=tuple(d for d in (stored.stored_rights.get("robots_txt_digest"), stored.stored_rights.get("tos_digest")) if d),
                        reservations=tuple(stored.stored_rights.get("reservations") or ()),
                        tos_url=stored.stored_rights.get("tos_url"),
                        tos_digest=stored.stored_rights.get("tos_digest"),
                    )
                    writer("decisions", DECISIONS_SCHEMA).write(record.row(crawl_id=crawl_id, profile=profile))
                    decided[original] = document_id
    finally:
        for opened in writers.values():
            opened.close()
    if rebuilt or decisions_restored:
        logger.info(
            "rebuilt %d rows and %d stored decisions from captures the interrupted run had written to the WARC files",
            rebuilt, decisions_restored,
        )
    return rebuilt + decisions_restored


def decided_urls(out: Path, crawl_id: str) -> dict[str, str | None]:
    """Every URL crawl ``crawl_id`` already decided in the output's tables, with
    the document its decision names (None unless stored). Other crawls the same
    folder holds (``--append``) do not count: each crawl decides its own URLs."""
    decided: dict[str, str | None] = {}
    for path in (out / "data" / "decisions").glob("*.parquet"):
        if not path.name.startswith("."):
            table = pq.read_table(path, columns=["url", "document_id", "dump"])
            table = table.filter(pc.equal(table.column("dump"), crawl_id))
            decided.update(zip(table.column("url").to_pylist(), table.column("document_id").to_pylist()))
    return decided


def recover_abandoned(out: Path) -> list[str]:
    """Repair the output of every job in ``out`` whose process is gone (its job
    directory is not locked) but that never finished: a worker that was killed.
    Jobs still running hold their lock and are left alone."""
    repaired = []
    for job_path in sorted(p for p in Path(out).glob(".job*") if p.is_dir()):
        job = JobDirectory(job_path)
        state = job.read_state()
        if state.get("status") not in (RUNNING, STOPPED) or not state.get("crawl_id"):
            continue
        try:
            job.lock()
        except JobLocked:
            continue
        try:
            report = recover_output(Path(out), crawl_id=state["crawl_id"], worker_id=state.get("worker_id", "w0"), profile=state.get("profile", "strict"))
            if report:
                repaired.append(f"{state.get('worker_id', 'w0')}: {len(report.warc_files)} WARC, {len(report.parquet_shards)} Parquet, {report.orphan_captures} rows from WARC")
            job.write_state(status=STOPPED, finish_reason=state.get("finish_reason") or "abandoned")
        finally:
            job.unlock()
    return repaired
