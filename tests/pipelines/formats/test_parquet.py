"""Parquet shards: one schema, atomic shards, rows rebuilt after a kill."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow.parquet as pq

from pipelines.formats.parquet import ShardedParquetWriter, recover_shards
from pipelines.formats.schema import DECISIONS_SCHEMA, DOCUMENTS_SCHEMA


def decision_row(i: int) -> dict:
    return {
        "url": f"http://127.0.0.1/{i}", "final_url": None, "decision": "stored", "reason": None, "reason_family": None,
        "evidence": None, "evidence_json": "[]", "decided_at": time.time(), "stage": "page", "fetch_status": 200,
        "url_host_name": "127.0.0.1", "url_host_registered_domain": "127.0.0.1", "depth": 0, "via": None,
        "document_id": None, "policy_digests": [], "reservations": [], "policy_profile": "strict", "dump": "c",
    }


def test_shards_rotate_and_share_one_schema(tmp_path: Path) -> None:
    writer = ShardedParquetWriter(tmp_path, DECISIONS_SCHEMA, "decisions-c-w0", rows_per_group=4, rows_per_shard=8)
    for i in range(20):
        writer.write(decision_row(i))
    writer.close()
    files = sorted(tmp_path.glob("*.parquet"))
    assert [f.name for f in files] == [f"decisions-c-w0-{n:05d}.parquet" for n in range(3)]
    assert all(pq.read_schema(f).equals(DECISIONS_SCHEMA, check_metadata=False) for f in files)
    assert sum(pq.ParquetFile(f).metadata.num_rows for f in files) == 20
    assert max(pq.ParquetFile(f).metadata.num_row_groups for f in files) == 2
    assert not list(tmp_path.glob(".*"))  # no journal or open file left


def test_killed_writer_loses_no_journaled_row(tmp_path: Path) -> None:
    writer = ShardedParquetWriter(tmp_path, DECISIONS_SCHEMA, "decisions-c-w0", rows_per_group=4, rows_per_shard=8)
    for i in range(13):
        writer.write(decision_row(i))
    writer.flush(wait=True)  # the first shard is complete, the second open
    # killed: no close(); a torn last line as a kill mid-write would leave
    journal = next(tmp_path.glob(".*.journal.jsonl"))
    with open(journal, "a") as handle:
        handle.write('{"url": "http://127.0.0.1/torn"')
    assert len([f for f in tmp_path.glob("*.parquet") if not f.name.startswith(".")]) == 1
    rebuilt = recover_shards(tmp_path, DECISIONS_SCHEMA)
    assert rebuilt == [("decisions-c-w0-00001.parquet", 5)]
    urls = sorted(r["url"] for f in tmp_path.glob("*.parquet") for r in pq.read_table(f).to_pylist())
    assert urls == sorted(f"http://127.0.0.1/{i}" for i in range(13))
    # a resumed writer continues the serials
    again = ShardedParquetWriter(tmp_path, DECISIONS_SCHEMA, "decisions-c-w0")
    again.write(decision_row(99))
    again.close()
    assert (tmp_path / "decisions-c-w0-00002.parquet").exists()


def test_documents_schema_columns() -> None:
    names = DOCUMENTS_SCHEMA.names
    for required in ("id", "url", "text", "fetch_time", "fetch_status", "license", "file_path", "warc_record_offset"):
        assert required in names
    assert all((f.metadata or {}).get(b"description") for f in DOCUMENTS_SCHEMA)
