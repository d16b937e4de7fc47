"""Which version of a dataset an output folder holds, stated where readers key their caches.

Owns the dataset version (a fingerprint of the table shards it is made of, and
the date of its last removal) and the ``configs`` of the dataset card that
name it. It reads the artefact list the summary already computed (path,
bytes, rows, sha256 of every file) and returns plain values.

Why the card lists files and carries the fingerprint: ``datasets`` (5.2, and
the 2.x-4.x line before it) caches a local folder loaded with
``load_dataset(DIR, CONFIG)`` under ``<cache>/datasets/<folder name>/<config>/
0.0.0/<hash>``, where ``<hash>`` is computed from the card's YAML only (the
``configs`` entries with their ``data_files`` patterns, as written, and any
``dataset_info``): not from the files the patterns match, their names, sizes or
times, nor from the folder's absolute path (``LocalDatasetModuleFactory.
get_module`` in ``datasets/load.py``; huggingface/datasets#2956 is the
long-open report). With a ``data/documents/*.parquet`` glob, a removal, an
``extract``, an ``--append`` crawl or a new crawl into a reused path leaves the
hash unchanged and the library returns the rows it cached first; so does any
other folder with the same name. Each config here lists its shard files by
name and carries the version fingerprint in its ``description`` (a
``BuilderConfig`` field, hashed with the rest), so every new version of the
tables is a new cache entry, and an entry is only ever filled from the files
its card lists. While a crawl or a removal is under way the card still names
the files of the last finished version, and readers see that version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

__all__ = ["TABLE_CONFIGS", "DatasetVersion", "dataset_version", "folder_version", "card_configs"]

# (config name, folder of its Parquet shards, default config)
TABLE_CONFIGS: tuple[tuple[str, str, bool], ...] = (
    ("documents", "data/documents", True),
    ("decisions", "data/decisions", False),
)
FINGERPRINT_CHARS = 16


@dataclass(frozen=True)
class DatasetVersion:
    """``fingerprint``: sha256 over the path and sha256 of every table shard,
    shortened; equal fingerprints mean byte-identical tables. ``last_removal``:
    when the last ``tdmcrawl remove`` was applied (None: never)."""

    fingerprint: str
    last_removal: str | None
    removals: int
    shards: Mapping[str, tuple[str, ...]]
    rows: Mapping[str, int]

    def describe(self) -> str:
        removal = f"last removal {self.last_removal}" if self.last_removal else "no removals"
        return f"version {self.fingerprint} ({removal})"


def _table_shards(artefacts: Iterable[Mapping[str, Any]], folder: str) -> list[Mapping[str, Any]]:
    return sorted(
        (a for a in artefacts if a["path"].startswith(folder + "/") and a["path"].endswith(".parquet") and "/" not in a["path"][len(folder) + 1 :]),
        key=lambda a: a["path"],
    )


def dataset_version(artefacts: Iterable[Mapping[str, Any]], removals: Iterable[Mapping[str, Any]] = ()) -> DatasetVersion:
    artefacts = list(artefacts)
    digest = hashlib.sha256()
    shards: dict[str, tuple[str, ...]] = {}
    rows: dict[str, int] = {}
    for name, folder, _ in TABLE_CONFIGS:
        found = _table_shards(artefacts, folder)
        shards[name] = tuple(a["path"] for a in found)
        rows[name] = sum(int(a.get("rows") or 0) for a in found)
        for a in found:
            digest.update(f"{a['path']}\0{a['sha256']}\n".encode())
    dates = sorted(str(r["removed_at"]) for r in removals if r.get("removed_at"))
    return DatasetVersion(digest.hexdigest()[:FINGERPRINT_CHARS], dates[-1] if dates else None, len(dates), shards, rows)


def folder_version(out: Path) -> str:
    """The version an output folder's summary (and so its card) states, described."""
    try:
        summary = json.loads((out / "summary.json").read_text("utf-8"))
    except (OSError, ValueError):
        return "of unknown version (no summary.json: run `tdmcrawl summary` first)"
    return dataset_version(summary.get("artefacts") or [], summary.get("removals") or []).describe()


def card_configs(version: DatasetVersion) -> list[dict[str, Any]]:
    """The ``configs`` of the card's YAML: each names its shard files (a glob
    only while a table has none yet, so the card stays loadable) and the
    version in its description."""
    configs = []
    for name, folder, default in TABLE_CONFIGS:
        files = list(version.shards.get(name) or ())
        entry: dict[str, Any] = {"config_name": name}
        if default:
            entry["default"] = True
        entry["description"] = f"tdmcrawl {name} table, dataset {version.describe()}: {version.rows.get(name, 0)} rows in {len(files)} shard(s)"
        entry["data_files"] = [{"split": "train", "path": files or f"{folder}/*.parquet"}]
        configs.append(entry)
    return configs
