"""The dataset version the card states, and what ``tdmcrawl push`` would upload and delete."""

from __future__ import annotations

from pathlib import Path

from pipelines.dataset.version import card_configs, dataset_version
from pipelines.dataset.push import plan_push

ARTEFACTS = [
    {"path": "warc/a.warc.gz", "bytes": 10, "sha256": "w" * 64, "records": 4},
    {"path": "data/documents/documents-c-w0-00000.parquet", "bytes": 5, "sha256": "1" * 64, "rows": 7},
    {"path": "data/documents/documents-c-w1-00000.parquet", "bytes": 5, "sha256": "2" * 64, "rows": 3},
    {"path": "data/decisions/decisions-c-w0-00000.parquet", "bytes": 5, "sha256": "3" * 64, "rows": 20},
    {"path": "data/domains/domains.parquet", "bytes": 5, "sha256": "4" * 64, "rows": 2},
]


def test_the_version_changes_with_any_table_shard_and_only_with_them() -> None:
    base = dataset_version(ARTEFACTS)
    assert base.rows == {"documents": 10, "decisions": 20}
    assert base.shards["documents"] == ("data/documents/documents-c-w0-00000.parquet", "data/documents/documents-c-w1-00000.parquet")
    rewritten = [dict(a, sha256="9" * 64) if a["path"].endswith("w1-00000.parquet") else a for a in ARTEFACTS]
    assert dataset_version(rewritten).fingerprint != base.fingerprint  # same names, other bytes (a re-crawl with the same crawl id)
    other_warc = [dict(a, sha256="0" * 64) if a["path"].startswith("warc/") else a for a in ARTEFACTS]
    assert dataset_version(other_warc).fingerprint == base.fingerprint
    removed = dataset_version(ARTEFACTS, [{"removed_at": "2026-12-01T10:00:00Z"}, {"removed_at": "2026-12-03T09:00:00Z"}])
    assert removed.last_removal == "2026-12-03T09:00:00Z" and removed.removals == 2
    assert removed.describe() == f"version {base.fingerprint} (last removal 2026-12-03T09:00:00Z)"


def test_card_configs_name_the_files_and_the_version() -> None:
    version = dataset_version(ARTEFACTS)
    documents, decisions = card_configs(version)
    assert documents["config_name"] == "documents" and documents["default"] is True and "default" not in decisions
    assert documents["data_files"] == [{"split": "train", "path": list(version.shards["documents"])}]
    assert version.fingerprint in documents["description"] and version.fingerprint in decisions["description"]
    empty = card_configs(dataset_version([]))
    assert empty[0]["data_files"] == [{"split": "train", "path": "data/documents/*.parquet"}]  # still loadable once shards appear


def test_push_plan_deletes_what_the_folder_no_longer_has(tmp_path: Path) -> None:
    for relative in ("README.md", "warc/new.warc.gz", "wet/kept.warc.wet.gz", "data/removals/r.parquet", ".job/lock", "warc/held.warc.gz"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(b"x")
    remote = [".gitattributes", "README.md", "warc/old.warc.gz", "wet/kept.warc.wet.gz", "data/removals/r.parquet", "warc/held.warc.gz", ".job/lock"]
    plan = plan_push(tmp_path, remote, exclude=["warc/held.*"])
    assert [p for p, _ in plan.uploads] == ["README.md", "warc/new.warc.gz", "wet/kept.warc.wet.gz"]
    # replaced by a removal, never to be published, or a job file: deleted; held back by --exclude: kept
    assert plan.deletions == [".job/lock", "data/removals/r.parquet", "warc/old.warc.gz"]
    offline = plan_push(tmp_path, None)
    assert not offline.remote_known and offline.deletions == []
