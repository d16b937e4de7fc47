"""Parquet shards that a killed crawl cannot corrupt or lose.

Owns the writing of one table (documents or decisions) as a sequence of
shards in one folder: one pinned schema, zstd, bounded row groups, page index
and content-defined chunking (Hub "optimized Parquet"). A shard is written as
``.<name>.open`` and renamed when complete, so readers never see a half file;
every row is first appended to a line journal beside it, so rows of a shard
that was open when the process died are rebuilt by :func:`recover_shards`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa
import pyarrow.parquet as pq

logger = logging.getLogger(__name__)

ROWS_PER_GROUP = 1000
ROW_GROUP_BYTES = 16 * 1024 * 1024  # small enough that building a group never holds the GIL long (reactor lag), far under the Hub viewer's 286 MiB
ROWS_PER_SHARD = 100_000
SHARD_BYTES = 512 * 1024 * 1024
JOURNAL_SUFFIX = ".journal.jsonl"
OPEN_SUFFIX = ".open"


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _micros(value: Any) -> int | None:
    """Microseconds since the epoch, rounded the way ``datetime.fromtimestamp``
    rounds (as the WARC-Date of the same instant is), so a row rebuilt from
    the WARC has the very same timestamp."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, timezone.utc)
    return (value - _EPOCH) // timedelta(microseconds=1)


def rows_to_table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """Rows (dicts; timestamps as epoch seconds, JSON-friendly) to a table of
    ``schema``, column by column: each column is one C-level conversion, so a
    row group costs the reactor milliseconds, not a Python loop over every cell."""
    columns = []
    for column in schema:
        values = [row.get(column.name) for row in rows]
        if pa.types.is_timestamp(column.type):
            values = [_micros(v) for v in values]
            columns.append(pa.array(values, type=pa.int64()).cast(column.type))
        else:
            columns.append(pa.array(values, type=column.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    options: dict[str, Any] = {"compression": "zstd", "write_page_index": True}
    try:
        return pq.ParquetWriter(path, schema, use_content_defined_chunking=True, **options)
    except TypeError:  # pyarrow < 21 has no content-defined chunking
        return pq.ParquetWriter(path, schema, **options)


@dataclass
class _Shard:
    name: str
    open_path: Path
    journal_path: Path
    journal: Any
    writer: pq.ParquetWriter | None = None  # created and used by the file thread only


@dataclass
class ShardedParquetWriter:
    """Append rows; they reach a row group every ``rows_per_group`` rows (or
    ``row_group_bytes``) and a new shard every ``rows_per_shard`` rows.

    The caller's thread only journals rows and builds each row group's table;
    encoding, compression and file work happen in one background thread, in
    order, so a crawl's reactor never waits for zstd."""

    directory: Path
    schema: pa.Schema
    basename: str  # e.g. "documents-<crawl id>-w0"
    rows_per_group: int = ROWS_PER_GROUP
    row_group_bytes: int = ROW_GROUP_BYTES
    rows_per_shard: int = ROWS_PER_SHARD
    shard_bytes: int = SHARD_BYTES
    _buffer: list[dict[str, Any]] = field(default_factory=list)
    _buffer_bytes: int = 0
    _shard: _Shard | None = None
    _shard_rows: int = 0
    _shard_bytes: int = 0
    _serial: int = -1
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _files: Any = None  # the single file thread
    _pending: list[Any] = field(default_factory=list)
    rows_written: int = 0
    shards: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.directory = Path(self.directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        existing = [-1]
        for path in self.directory.iterdir():
            stem = path.name.lstrip(".")
            if stem.startswith(self.basename + "-"):
                serial = stem[len(self.basename) + 1 :].split(".", 1)[0]
                if serial.isdigit():
                    existing.append(int(serial))
        self._serial = max(existing)
        self._files = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"parquet-{self.basename[:20]}")
        # pyarrow loads more of itself on the first conversion: do it now, not mid-crawl.
        self._files.submit(rows_to_table, [], self.schema)

    def _open_shard(self) -> None:
        self._serial += 1
        name = f"{self.basename}-{self._serial:05d}.parquet"
        journal_path = self.directory / f".{name}{JOURNAL_SUFFIX}"
        self._shard = _Shard(name, self.directory / f".{name}{OPEN_SUFFIX}", journal_path, open(journal_path, "a", encoding="utf-8"))
        self._shard_rows = 0
        self._shard_bytes = 0

    def write(self, row: dict[str, Any], line: str | None = None) -> None:
        """``line``: the row's journal line when the caller already has it (encoded in a worker)."""
        if line is None:
            line = json.dumps(row, ensure_ascii=False, default=str)
        with self._lock:
            if self._shard is None:
                self._open_shard()
            assert self._shard is not None
            self._shard.journal.write(line + "\n")
            self._shard.journal.flush()
            self._buffer.append(row)
            self._buffer_bytes += len(line)
            if len(self._buffer) >= self.rows_per_group or self._buffer_bytes >= self.row_group_bytes:
                self._flush_group()

    def _submit(self, fn: Any, *args: Any) -> None:
        self._pending = [f for f in self._pending if not f.done()]
        for future in self._pending:
            if future.done() and future.exception():
                raise future.exception()  # a write that failed surfaces at the next call
        self._pending.append(self._files.submit(fn, *args))

    def _flush_group(self) -> None:
        if not self._buffer:
            return
        assert self._shard is not None
        self._submit(self._write_rows, self._shard, self._buffer)
        self._shard_rows += len(self._buffer)
        self._shard_bytes += self._buffer_bytes
        self.rows_written += len(self._buffer)
        self._buffer = []
        self._buffer_bytes = 0
        if self._shard_rows >= self.rows_per_shard or self._shard_bytes >= self.shard_bytes:
            self._close_shard()

    def _write_rows(self, shard: _Shard, rows: list[dict[str, Any]]) -> None:
        if shard.writer is None:
            shard.writer = _writer(shard.open_path, self.schema)
        shard.writer.write_table(rows_to_table(rows, self.schema))

    def _finish_shard(self, shard: _Shard) -> None:
        if shard.writer is not None:
            shard.writer.close()
            os.replace(shard.open_path, self.directory / shard.name)
        os.unlink(shard.journal_path)  # its rows are in the renamed shard now

    def _close_shard(self) -> None:
        shard, self._shard = self._shard, None
        if shard is None:
            return
        shard.journal.close()
        self.shards.append(shard.name)
        self._submit(self._finish_shard, shard)

    def flush(self, wait: bool = False) -> None:
        """Write buffered rows as a row group (the shard stays open)."""
        with self._lock:
            self._flush_group()
        if wait:
            for future in list(self._pending):
                future.result()

    def close(self) -> None:
        with self._lock:
            self._flush_group()
            self._close_shard()
        self._files.shutdown(wait=True)
        for future in self._pending:
            future.result()  # raise what the file thread could not do
        self._pending = []


def recover_shards(directory: Path | str, schema: pa.Schema) -> list[tuple[str, int]]:
    """Turn what a killed writer left (``.<name>.open`` + its journal) into a
    complete shard built from the journal; a torn last journal line is dropped.
    Returns (shard name, rows) for each shard rebuilt."""
    directory = Path(directory)
    rebuilt = []
    for journal in sorted(directory.glob("." + "*" + JOURNAL_SUFFIX)):
        name = journal.name[1 : -len(JOURNAL_SUFFIX)]
        rows = []
        with open(journal, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not line.endswith("\n"):
                    break  # torn write at the moment of the kill
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    break
        open_path = directory / f".{name}{OPEN_SUFFIX}"
        if rows:
            final = directory / name
            tmp = directory / f".{name}.rebuild"
            writer = _writer(tmp, schema)  # the same row groups, compression and page index as any shard
            for start in range(0, len(rows), ROWS_PER_GROUP):
                writer.write_table(rows_to_table(rows[start : start + ROWS_PER_GROUP], schema))
            writer.close()
            os.replace(tmp, final)
            rebuilt.append((name, len(rows)))
        if open_path.exists():
            open_path.unlink()
        journal.unlink()
    return rebuilt


def read_table(directory: Path | str, columns: Iterable[str] | None = None, filters: Any = None) -> pa.Table:
    """All complete shards of a folder as one table (hidden and open files skipped)."""
    files = sorted(str(p) for p in Path(directory).glob("*.parquet") if not p.name.startswith("."))
    if not files:
        return pa.table({})
    return pq.ParquetDataset(files).read(columns=list(columns) if columns else None, filter=filters) if filters is not None else pa.concat_tables(
        [pq.read_table(f, columns=list(columns) if columns else None) for f in files], promote_options="default"
    )
