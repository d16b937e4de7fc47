"""A crawl job that survives a crash: its lock, its frontier journal, and the
recovery of an output folder a killed crawl left behind.

Owns the job directory (``--job DIR``, by default ``<out>/.job``):

* ``lock``: held for the life of the crawl (``flock``), so two runs never
  share one job directory;
* ``state.json``: the crawl id, worker id and status (``running``,
  ``stopped`` after a graceful stop, ``finished``);
* ``frontier.jsonl``: every URL the crawl admitted (seeds, links, sitemap
  entries), appended and flushed as it is admitted;
* ``scrapy/``: Scrapy's ``JOBDIR`` (disk request queues while running).

On resume the output is repaired first (WARC files left ``.open`` cut to their
last complete capture, Parquet shards rebuilt from their journals, captures
that reached the WARC but not the tables turned into rows), then every
admitted URL without a decision is sent again. So after any kill every WARC
and Parquet file is valid, no URL is stored twice and none is lost.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

logger = logging.getLogger(__name__)

RUNNING = "running"
STOPPED = "stopped"
FINISHED = "finished"


class JobLocked(Exception):
    """Another crawl holds this job directory."""


@dataclass(frozen=True)
class FrontierEntry:
    url: str
    depth: int
    via: str | None
    hops: str


class JobDirectory:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock_handle: Any = None
        self._journal: Any = None

    # ------------------------------------------------------------------ lock
    def lock(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        handle = open(self.path / "lock", "a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise JobLocked(f"another crawl is using the job directory {self.path}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock_handle = handle

    def unlock(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self._lock_handle is not None:
            fcntl.flock(self._lock_handle.fileno(), fcntl.LOCK_UN)
            self._lock_handle.close()
            self._lock_handle = None

    # ------------------------------------------------------------------ state
    @property
    def state_file(self) -> Path:
        return self.path / "state.json"

    def read_state(self) -> dict[str, Any]:
        try:
            return json.loads(self.state_file.read_text("utf-8"))
        except (OSError, ValueError):
            return {}

    def write_state(self, **values: Any) -> None:
        state = self.read_state()
        state.update(values, updated_at=time.time())
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.path / ".state.json.tmp"
        tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
        os.replace(tmp, self.state_file)

    # ------------------------------------------------------------------ frontier
    @property
    def frontier_file(self) -> Path:
        return self.path / "frontier.jsonl"

    def read_frontier(self) -> Iterator[FrontierEntry]:
        if not self.frontier_file.exists():
            return
        with open(self.frontier_file, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not line.endswith("\n"):
                    break  # a line torn by a kill
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                yield FrontierEntry(entry["u"], int(entry.get("d", 0)), entry.get("v"), entry.get("h", ""))

    def admit(self, url: str, depth: int, via: str | None, hops: str) -> None:
        if self._journal is None:
            self.path.mkdir(parents=True, exist_ok=True)
            self._journal = open(self.frontier_file, "a", encoding="utf-8")
        self._journal.write(json.dumps({"u": url, "d": depth, "v": via, "h": hops}, ensure_ascii=False) + "\n")
        self._journal.flush()

    def start_new_crawl(self) -> None:
        """Forget the previous crawl's frontier and Scrapy job state (its output stays)."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        self.frontier_file.unlink(missing_ok=True)
        if self.scrapy_dir.is_dir():
            shutil.rmtree(self.scrapy_dir)

    @property
    def scrapy_dir(self) -> Path:
        return self.path / "scrapy"

    def reset_scrapy_queue(self) -> None:
        """The frontier journal, not Scrapy's queue, is the record of what is
        left to do: a queue a kill interrupted may be torn, so it is dropped."""
        for name in ("requests.queue", "requests.seen"):
            target = self.scrapy_dir / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()


@dataclass
class RecoveryReport:
    warc_files: list[tuple[str, int, int]] = field(default_factory=list)
    parquet_shards: list[tuple[str, int]] = field(default_factory=list)
    orphan_captures: int = 0

    def __bool__(self) -> bool:
        return bool(self.warc_files or self.parquet_shards or self.orphan_captures)


def recover_output(out: Path, *, crawl_id: str, worker_id: str, profile: str) -> RecoveryReport:
    """Repair what a killed crawl left in ``out`` (see the module docstring)."""
    from pipelines.formats.parquet import ShardedParquetWriter, recover_shards
    from pipelines.formats.schema import DECISIONS_SCHEMA, DOCUMENTS_SCHEMA
    from pipelines.formats.warc import recover_open_files

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
    import pyarrow.parquet as pq

    from crawler.model.decisions import STAGE_PAGE, STORED, DecisionRecord
    from pipelines.formats.parquet import ShardedParquetWriter
    from pipelines.dataset.reextract import iter_stored_captures, rebuild_row
    from pipelines.formats.schema import DECISIONS_SCHEMA, DOCUMENTS_SCHEMA

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
                    writer("documents", DOCUMENTS_SCHEMA).write({column: row.get(column) for column in DOCUMENTS_SCHEMA.names})
                    known_ids.add(document_id)
                    rebuilt += 1
                if original not in decided:
                    record = DecisionRecord(
                        url=original,
                        decision=STORED,
                        stage=STAGE_PAGE,
                        final_url=capture.url,
                        fetch_status=capture.status,
                        depth=len(capture.hops),
                        via=capture.via,
                        document_id=document_id,
                        policy_digests=tuple(d for d in (stored.stored_rights.get("robots_txt_digest"),) if d),
                        reservations=tuple(stored.stored_rights.get("reservations") or ()),
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
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

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
