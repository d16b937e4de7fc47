"""``tdmcrawl remove``: take pages out of a finished dataset on request, crash-safe.

Owns the removal of the stored pages that match one selector (a domain with
its subdomains, a URL prefix, or a list of URLs) from an output folder: their
``documents`` rows, their WET ``conversion`` records and their WARC captures
(``request``, ``response``, ``metadata``, and ``revisit`` records that refer to
a removed capture), the ``data/removals`` row that records the removal, and the
recovery of a removal a crash interrupted. It keeps ``decisions`` rows as they
are (they are the audit trail; their values are fixed) and never touches the
policy files in ``policy/`` (they are the evidence for those decisions). It
must never delete or overwrite a file of the current version before the new
version is complete and validated, and never fetches anything.

A page is selected when its ``url``, its original URL before redirects (the
``decisions`` row that stored it, or ``fetch_redirect_chain``) or the
``WARC-Target-URI`` of one of its records matches. Records are dropped when
their id belongs to a removed document, when they are linked to a dropped
record (``WARC-Concurrent-To``; ``WARC-Refers-To`` for revisits and
conversions), or when their target URI matches.

Each WARC and WET file holding a dropped record is rewritten under a new name
(``<name>-r<stamp>.warc.gz``): every kept record is copied byte for byte (one
gzip member per record), so record ids, digests and the warcinfo record stay
as they were. A file left with nothing but its warcinfo record is not written
at all. Files holding no dropped record are left alone. The ``documents``
shards holding removed rows, or rows that point into a rewritten file, are
rewritten under their own names with the pointers (``file_path``,
``warc_record_offset``, ``warc_record_length``, ``warc_metadata_offset``,
``wet_file_path``, ``wet_record_offset``) moved to the new files.

The protocol (``DIR`` is the output folder; every path in the journal is
relative to it):

1. **Stage.** The new files are built in ``DIR/.remove-staging/`` (mirroring
   the folder layout) and validated: every new WARC/WET file reads to its end
   with warcio and its digests check; every kept row that points into a
   rewritten file opens its response, metadata and conversion records (ids
   compared) at its new offsets; every new shard reads back with the pinned
   schema; no removed id is left. A crash here leaves ``DIR`` untouched; the
   next run deletes the staging folder.
2. **Journal.** ``DIR/.remove-journal.json`` is written atomically with state
   ``swapping`` and the list of moves (staged file -> new name in the
   dataset), replacements (staged shard -> shard of the same name, with a
   hidden backup hard link of the old shard) and old files to delete.
3. **Swap.** Backups are linked, new WARC/WET files and the removals row are
   moved in (new names, nothing refers to them yet), then the shards are
   replaced one by one (``os.replace``). The old WARC/WET files stay, so every
   pointer of every shard, old or new, resolves at every moment.
4. **Commit.** The journal is rewritten with state ``committed``.
5. **Finish.** Old WARC/WET files and backups are deleted, the summary and
   card are rebuilt (``pipelines.dataset.summary.write_summary``), then the staging
   folder and the journal are deleted.

Recovery (:func:`resume_interrupted_removal`, run first by every ``remove``
and meant for ``tdmcrawl summary``): a journal in state ``swapping`` is rolled
back (backups put back, moved-in files deleted: the old version exactly); a
journal in state ``committed`` is finished (step 5). Every step is idempotent,
so a crash during recovery is recovered the same way. One removal at a time:
``DIR/.remove-lock`` is held (``flock``) by the process working on ``DIR``.

What a reader of ``DIR`` sees after a kill, before any recovery: up to the
first shard replacement, exactly the old version (plus new WARC/WET files that
no row points to yet); from there to the commit, the replaced shards are new
and the others old, every pointer still resolving; after the commit, the new
version. A removal refuses to run while a crawl holds one of the job
directories in ``DIR`` (``.job*/lock``), and repairs the files of abandoned
workers first, as ``tdmcrawl summary`` does.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from warcio.archiveiterator import ArchiveIterator

from pipelines.dataset.query import DOMAIN as QUERY_DOMAIN
from pipelines.dataset.query import LookupInputError, classify_query, normalise_url
from pipelines.dataset.recovery import recover_abandoned
from pipelines.dataset.removals import DOMAIN, PREFIX, REMOVALS_DIR, URLS, Selector
from pipelines.dataset.summary import write_summary
from pipelines.formats.parquet import ROWS_PER_GROUP
from pipelines.formats.schema import DOCUMENTS_SCHEMA, REMOVALS_SCHEMA

logger = logging.getLogger(__name__)

STAGING_DIR = ".remove-staging"
JOURNAL_FILE = ".remove-journal.json"
LOCK_FILE = ".remove-lock"
DOCUMENTS_DIR = "data/documents"
BACKUP_SUFFIX = ".remove-backup"

SWAPPING = "swapping"
COMMITTED = "committed"
JOURNAL_VERSION = 1


# The folders whose files hold captures or text of stored pages, and the file
# names in them; policy/ is left alone (robots.txt and the like, not pages).
CAPTURE_FOLDERS = (("warc", ".warc.gz"), ("wet", ".warc.wet.gz"))
_REWRITTEN_NAME = re.compile(r"^(?P<stem>.+?)(?:-r\d{8}T\d{12}Z)?(?P<suffix>\.warc\.wet\.gz|\.warc\.gz)$")
_GZIP_MAGIC = b"\x1f\x8b"
# Record types that belong to one page's capture (warcinfo belongs to the file).
_PAGE_RECORD_TYPES = frozenset({"request", "response", "metadata", "revisit", "resource", "conversion"})
_COPY_BLOCK = 1 << 20


class RemoveError(Exception):
    """A removal that cannot be done as asked (bad selector, not an output
    folder, a crawl or another removal running, files that cannot be rewritten
    safely); the folder is unchanged."""


def _checkpoint(name: str) -> None:
    """Called between the steps of the protocol (``staged``, ``journal-written``,
    ``files-moved``, ``shards-replaced``, ``committed``). Does nothing: the
    crash-safety tests replace it to stop the process at an exact step."""


# ------------------------------------------------------------------ selectors


def make_selector(*, domain: str | None = None, url_prefix: str | None = None, urls: Sequence[str] | None = None) -> Selector:
    """One selector from exactly one of the three; raises ``RemoveError``."""
    given = [name for name, value in (("--domain", domain), ("--url-prefix", url_prefix), ("--urls", urls)) if value is not None]
    if len(given) != 1:
        raise RemoveError("give exactly one of --domain D, --url-prefix P or --urls FILE" + (f" (got {', '.join(given)})" if given else ""))
    if domain is not None:
        try:
            kind, value = classify_query(domain)
        except LookupInputError as exc:
            raise RemoveError(f"--domain: {exc}") from None
        if kind != QUERY_DOMAIN:
            raise RemoveError(f"--domain expects a host name such as example.org, not a URL: {domain!r} (use --url-prefix or --urls)")
        return Selector(DOMAIN, (value,))
    if url_prefix is not None:
        text = url_prefix.strip().rstrip("*")
        if not re.match(r"^https?://.", text, re.IGNORECASE):
            raise RemoveError(f"--url-prefix expects an http(s) URL prefix such as https://example.org/blog/, not {url_prefix!r}")
        value = normalise_url(text, prefix=True)
        if not value:
            raise RemoveError(f"--url-prefix: not a URL prefix with a host: {url_prefix!r}")
        return Selector(PREFIX, (value,))
    if isinstance(urls, (str, bytes)):
        raise RemoveError("urls must be a list of URLs (the command line reads them from --urls FILE)")
    values = []
    for url in urls or ():
        normal = normalise_url(url.strip()) if re.match(r"^https?://.", url.strip(), re.IGNORECASE) else None
        if not normal:
            raise RemoveError(f"not an http(s) URL with a host: {url!r}")
        values.append(normal)
    if not values:
        raise RemoveError("the URL list is empty")
    return Selector(URLS, tuple(dict.fromkeys(values)))


def read_url_list(path: Path | str) -> list[str]:
    """URLs from a file: one per line; blank lines and ``#`` comments skipped."""
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise RemoveError(f"cannot read the URL list {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RemoveError(f"the URL list {path} is not UTF-8 text") from None
    urls = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not re.match(r"^https?://.", line, re.IGNORECASE):
            raise RemoveError(f"{path} line {number}: not an http(s) URL: {line!r}")
        urls.append(line)
    if not urls:
        raise RemoveError(f"the URL list {path} holds no URL")
    return urls


# ------------------------------------------------------------------ the report
@dataclass(frozen=True)
class RemovalReport:
    """What a removal did, or with ``dry_run`` would do."""

    out: str
    scope: str
    reason: str
    dry_run: bool
    documents: int  # documents rows removed
    decisions: int  # decisions rows naming a removed document or capture (kept as they are)
    warc_records: int  # records dropped from warc/
    wet_records: int  # records dropped from wet/
    files_rewritten: tuple[str, ...] = ()  # WARC/WET files replaced by a new file
    files_dropped: tuple[str, ...] = ()  # WARC/WET files left with nothing: not rewritten
    new_files: tuple[str, ...] = ()  # the new WARC/WET files
    shards_rewritten: tuple[str, ...] = ()  # documents shards written anew (same names)
    removals_file: str | None = None
    removed_at: str | None = None
    recovered: str | None = None  # what was done first to an interrupted removal

    @property
    def files_changed(self) -> int:
        return len(self.files_rewritten) + len(self.files_dropped) + len(self.shards_rewritten)

    def describe(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        lines = []
        if self.recovered:
            lines.append(self.recovered)
        lines.append(
            f"{verb} {self.documents} document{'s' if self.documents != 1 else ''} "
            f"({self.warc_records} WARC and {self.wet_records} WET records; {self.decisions} decision rows concern them and are kept)"
        )
        if self.documents == 0 and self.warc_records == 0 and self.wet_records == 0:
            lines.append("nothing matched: the dataset is unchanged" if not self.dry_run else "nothing matches")
            return "\n".join(lines) + "\n"
        change = "would change" if self.dry_run else "changed"
        lines.append(f"{change} {self.files_changed} files:")
        for name in self.files_rewritten:
            lines.append(f"  rewritten  {name}")
        for name in self.files_dropped:
            lines.append(f"  emptied    {name} (nothing left: not rewritten)")
        for name in self.shards_rewritten:
            lines.append(f"  rewritten  {name}")
        if not self.dry_run:
            lines.append(f"new files: {', '.join(self.new_files) or 'none'}")
            lines.append(f"recorded in {self.removals_file}; summary and dataset card updated")
        return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ reading the folder
@dataclass(frozen=True)
class _Record:
    offset: int
    length: int
    rec_type: str
    record_id: str
    target: str
    concurrent_to: tuple[str, ...]
    refers_to: str


@dataclass
class _Capturefile:
    relative: str
    records: list[_Record]
    size: int


def _scan_file(path: Path, relative: str) -> _Capturefile:
    """Every record of one WARC/WET file with the byte range of its gzip member.
    Raises ``RemoveError`` when the file cannot be copied record by record."""
    records = []
    expected_offset = 0
    try:
        with open(path, "rb") as handle:
            iterator = ArchiveIterator(handle, no_record_parse=True)
            for record in iterator:
                iterator.read_to_end(record)
                offset, length = iterator.get_record_offset(), iterator.get_record_length()
                if offset != expected_offset:
                    raise RemoveError(f"{relative}: bytes {expected_offset}-{offset} belong to no record; refusing to rewrite it")
                expected_offset = offset + length
                headers = record.rec_headers
                records.append(
                    _Record(
                        offset=offset,
                        length=length,
                        rec_type=record.rec_type or "",
                        record_id=headers.get_header("WARC-Record-ID") or "",
                        target=headers.get_header("WARC-Target-URI") or "",
                        concurrent_to=tuple(v for k, v in headers.headers if k.lower() == "warc-concurrent-to"),
                        refers_to=headers.get_header("WARC-Refers-To") or "",
                    )
                )
    except RemoveError:
        raise
    except Exception as exc:
        raise RemoveError(f"{relative} cannot be read record by record ({exc}); repair it before removing") from None
    size = path.stat().st_size
    if expected_offset != size:
        raise RemoveError(f"{relative}: {size - expected_offset} bytes after the last record; refusing to rewrite it")
    with open(path, "rb") as handle:
        for record in records:
            handle.seek(record.offset)
            if handle.read(2) != _GZIP_MAGIC:
                raise RemoveError(f"{relative} is not one gzip member per record; its records cannot be copied as they are")
    return _Capturefile(relative, records, size)


def _capture_files(out: Path) -> list[tuple[Path, str]]:
    found = []
    for folder, suffix in CAPTURE_FOLDERS:
        for path in sorted((out / folder).glob("*" + suffix)):
            if path.name.startswith(".") or not path.is_file():
                continue
            found.append((path, f"{folder}/{path.name}"))
    return found


def _document_shards(out: Path) -> list[Path]:
    return sorted(p for p in (out / DOCUMENTS_DIR).glob("*.parquet") if not p.name.startswith((".", "_")))


POINTER_COLUMNS = [
    "id", "url", "fetch_redirect_chain", "file_path", "warc_record_offset", "warc_record_length", "warc_request_id",
    "warc_metadata_id", "warc_metadata_offset", "wet_file_path", "wet_record_offset", "warc_conversion_id",
]


@dataclass
class _Plan:
    selector: Selector
    removed_ids: set[str]  # documents.id of the removed rows
    dropped_record_ids: set[str]
    drops: dict[str, set[int]]  # relative file -> offsets of dropped records
    files: dict[str, _Capturefile]
    shard_rows: dict[str, int]  # shard name -> rows removed from it
    documents: int
    decisions: int
    warc_records: int
    wet_records: int


def _plan(out: Path, selector: Selector) -> _Plan:
    # Pages whose original URL matched: the decision that stored them names the document.
    redirected_ids: set[str] = set()
    decided_ids: list[str] = []
    for path in sorted((out / "data" / "decisions").glob("*.parquet")):
        if path.name.startswith((".", "_")):
            continue
        table = pq.read_table(path, columns=["url", "final_url", "document_id"])
        for url, final_url, document_id in zip(*(table.column(c).to_pylist() for c in ("url", "final_url", "document_id"))):
            if document_id:
                decided_ids.append(document_id)
            if document_id and (selector.matches(url) or selector.matches(final_url)):
                redirected_ids.add(document_id)

    rows_by_shard: dict[str, list[dict[str, Any]]] = {}
    for path in _document_shards(out):
        rows_by_shard[path.name] = pq.read_table(path, columns=POINTER_COLUMNS).to_pylist()

    # Ids to drop grow until stable: a selected row names its records; a dropped
    # record drags the records linked to it; a dropped response takes its row.
    # Decisions may name documents of an earlier crawl (``unchanged``): their
    # ids have no row here, but this folder's revisits refer to them.
    row_by_id = {row["id"]: row for rows in rows_by_shard.values() for row in rows}
    dropped: set[str] = set(redirected_ids)
    for row in row_by_id.values():
        if selector.matches(row["url"]) or any(selector.matches(u) for u in row.get("fetch_redirect_chain") or ()):
            dropped.add(row["id"])

    files = {relative: _scan_file(path, relative) for path, relative in _capture_files(out)}
    all_records = [(relative, record) for relative, scanned in files.items() for record in scanned.records]
    page_records = [record for _, record in all_records if record.rec_type in _PAGE_RECORD_TYPES]
    dropped.update(record.record_id for record in page_records if selector.matches(record.target))
    while True:
        before = len(dropped)
        for document_id in [i for i in dropped if i in row_by_id]:
            row = row_by_id[document_id]
            dropped.update(v for v in (row["warc_request_id"], row["warc_metadata_id"], row["warc_conversion_id"]) if v)
        for record in page_records:
            if record.record_id not in dropped and (
                any(link in dropped for link in record.concurrent_to)
                or (record.rec_type in ("revisit", "conversion") and record.refers_to in dropped)
            ):
                dropped.add(record.record_id)
        if len(dropped) == before:
            break
    removed_ids = {i for i in dropped if i in row_by_id}

    drops: dict[str, set[int]] = {}
    warc_records = wet_records = 0
    for relative, record in all_records:
        if record.rec_type != "warcinfo" and record.record_id in dropped:
            drops.setdefault(relative, set()).add(record.offset)
            if relative.startswith("wet/"):
                wet_records += 1
            else:
                warc_records += 1

    shard_rows = {name: sum(1 for row in rows if row["id"] in removed_ids) for name, rows in rows_by_shard.items()}
    # The decision rows about the removed pages: those naming a removed
    # document (or, in a recrawl, the earlier capture a removed revisit refers to).
    decisions = sum(1 for document_id in decided_ids if document_id in dropped)
    return _Plan(
        selector=selector,
        removed_ids=removed_ids,
        dropped_record_ids=dropped,
        drops=drops,
        files=files,
        shard_rows=shard_rows,
        documents=len(removed_ids),
        decisions=decisions,
        warc_records=warc_records,
        wet_records=wet_records,
    )


def _rows_pointing_into(out: Path, rewritten: set[str]) -> set[str]:
    """Shards with a row whose WARC or WET file is rewritten."""
    names = set()
    for path in _document_shards(out):
        table = pq.read_table(path, columns=["file_path", "wet_file_path"])
        if set(table.column("file_path").to_pylist()) & rewritten or set(table.column("wet_file_path").to_pylist()) & rewritten:
            names.add(path.name)
    return names


# ------------------------------------------------------------------ staging
@dataclass
class _Staged:
    moves: list[tuple[str, str]] = field(default_factory=list)  # staging path -> dataset path (new names)
    replaces: list[tuple[str, str, str]] = field(default_factory=list)  # staging, dataset path, backup
    deletes: list[str] = field(default_factory=list)  # old files
    files_rewritten: list[str] = field(default_factory=list)
    files_dropped: list[str] = field(default_factory=list)
    new_files: list[str] = field(default_factory=list)
    shards_rewritten: list[str] = field(default_factory=list)
    removals_file: str = ""


def _new_name(relative: str, stamp: str) -> str:
    folder, name = relative.split("/", 1)
    match = _REWRITTEN_NAME.match(name)
    if not match:  # pragma: no cover - _capture_files only lists these suffixes
        raise RemoveError(f"unexpected file name {relative}")
    return f"{folder}/{match.group('stem')}-r{stamp}{match.group('suffix')}"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_kept_records(source: Path, target: Path, scanned: _Capturefile, dropped_offsets: set[int]) -> dict[int, int]:
    """Copy every kept record's gzip member as it is; old offset -> new offset."""
    moved: dict[int, int] = {}
    position = 0
    with open(source, "rb") as reader, open(target, "xb") as writer:
        for record in scanned.records:
            if record.offset in dropped_offsets:
                continue
            reader.seek(record.offset)
            left = record.length
            moved[record.offset] = position
            while left:
                block = reader.read(min(left, _COPY_BLOCK))
                if not block:
                    raise RemoveError(f"{scanned.relative} ended inside a record")
                writer.write(block)
                left -= len(block)
            position += record.length
        writer.flush()
        os.fsync(writer.fileno())
    return moved


def _write_shard(table: Any, path: Path) -> None:
    """The documents writer's file options (zstd, page index, content-defined
    chunking, row groups of ``ROWS_PER_GROUP``), so a rewritten shard is the
    same kind of file as a crawled one."""
    options: dict[str, Any] = {"compression": "zstd", "write_page_index": True}
    try:
        writer = pq.ParquetWriter(path, table.schema, use_content_defined_chunking=True, **options)
    except TypeError:  # pyarrow < 21 has no content-defined chunking
        writer = pq.ParquetWriter(path, table.schema, **options)
    try:
        if table.num_rows:
            # An empty shard gets no row group at all: readers such as
            # ``datasets`` take the first row group's size as their batch size.
            writer.write_table(table, row_group_size=ROWS_PER_GROUP)
    finally:
        writer.close()
    _fsync(path)


def _stage(out: Path, plan: _Plan, *, reason: str, removed_at: str, stamp: str) -> _Staged:
    staging = out / STAGING_DIR
    staged = _Staged()
    offsets: dict[str, dict[int, int]] = {}  # old file -> old offset -> new offset
    renamed: dict[str, str | None] = {}  # old file -> new file (None: nothing left)
    for relative in sorted(plan.drops):
        scanned = plan.files[relative]
        kept = [r for r in scanned.records if r.offset not in plan.drops[relative]]
        if all(r.rec_type == "warcinfo" for r in kept):
            renamed[relative] = None
            offsets[relative] = {}
            staged.files_dropped.append(relative)
            staged.deletes.append(relative)
            continue
        new_relative = _new_name(relative, stamp)
        if (out / new_relative).exists():
            raise RemoveError(f"{new_relative} already exists; refusing to overwrite it")
        target = staging / new_relative
        target.parent.mkdir(parents=True, exist_ok=True)
        offsets[relative] = _copy_kept_records(out / relative, target, scanned, plan.drops[relative])
        renamed[relative] = new_relative
        staged.files_rewritten.append(relative)
        staged.new_files.append(new_relative)
        staged.moves.append((f"{STAGING_DIR}/{new_relative}", new_relative))
        staged.deletes.append(relative)

    rewritten = set(renamed)
    touched = {name for name, count in plan.shard_rows.items() if count} | _rows_pointing_into(out, rewritten)
    for name in sorted(touched):
        source = out / DOCUMENTS_DIR / name
        table = pq.read_table(source)
        keep = pc.invert(pc.is_in(table.column("id"), value_set=pa.array(sorted(plan.removed_ids), type=pa.string())))
        table = table.filter(keep)
        table = _move_pointers(table, renamed, offsets)
        table = table.cast(DOCUMENTS_SCHEMA)
        target = staging / DOCUMENTS_DIR / name
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_shard(table, target)
        backup = f"{DOCUMENTS_DIR}/.{name}{BACKUP_SUFFIX}"
        staged.replaces.append((f"{STAGING_DIR}/{DOCUMENTS_DIR}/{name}", f"{DOCUMENTS_DIR}/{name}", backup))
        staged.shards_rewritten.append(f"{DOCUMENTS_DIR}/{name}")

    removals_name = f"{REMOVALS_DIR}/removals-{stamp}.parquet"
    if (out / removals_name).exists():
        raise RemoveError(f"{removals_name} already exists; refusing to overwrite it")
    row = {
        "removed_at": removed_at,
        "reason": reason,
        "scope": plan.selector.scope(),
        "documents": plan.documents,
        "decisions": plan.decisions,
    }
    target = staging / removals_name
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist([row], schema=REMOVALS_SCHEMA), target, compression="zstd")
    _fsync(target)
    staged.moves.append((f"{STAGING_DIR}/{removals_name}", removals_name))
    staged.removals_file = removals_name
    return staged


def _move_pointers(table: Any, renamed: dict[str, str | None], offsets: dict[str, dict[int, int]]) -> Any:
    """The kept rows with their WARC and WET pointers moved to the new files."""
    columns = {name: table.column(name).to_pylist() for name in ("id", "file_path", "warc_record_offset", "warc_metadata_offset", "wet_file_path", "wet_record_offset")}

    def moved(file: str | None, offset: int | None, row_id: str, what: str) -> tuple[str | None, int | None]:
        if file is None or file not in renamed:
            return file, offset
        new_file = renamed[file]
        new_offset = offsets[file].get(offset) if offset is not None else None
        if new_file is None or (offset is not None and new_offset is None):
            raise RemoveError(f"the kept document {row_id} points at a record that is being removed ({what} in {file} at {offset})")
        return new_file, new_offset

    file_paths, record_offsets, metadata_offsets, wet_paths, wet_offsets = [], [], [], [], []
    for i, row_id in enumerate(columns["id"]):
        file_path, record_offset = moved(columns["file_path"][i], columns["warc_record_offset"][i], row_id, "response")
        _, metadata_offset = moved(columns["file_path"][i], columns["warc_metadata_offset"][i], row_id, "metadata")
        wet_path, wet_offset = moved(columns["wet_file_path"][i], columns["wet_record_offset"][i], row_id, "conversion")
        file_paths.append(file_path)
        record_offsets.append(record_offset)
        metadata_offsets.append(metadata_offset)
        wet_paths.append(wet_path)
        wet_offsets.append(wet_offset)
    for name, values in (
        ("file_path", file_paths),
        ("warc_record_offset", record_offsets),
        ("warc_metadata_offset", metadata_offsets),
        ("wet_file_path", wet_paths),
        ("wet_record_offset", wet_offsets),
    ):
        index = table.schema.get_field_index(name)
        table = table.set_column(index, table.schema.field(index), pa.array(values, type=table.schema.field(index).type))
    return table


# ------------------------------------------------------------------ validation
def _read_record_at(handle: Any, offset: int) -> tuple[str, str, int]:
    """(type, id, member length) of the record whose gzip member starts at ``offset``."""
    handle.seek(offset)
    iterator = ArchiveIterator(handle, no_record_parse=True)
    record = next(iterator)
    iterator.read_to_end(record)
    return record.rec_type or "", record.rec_headers.get_header("WARC-Record-ID") or "", iterator.get_record_length()


def _check_capture_file(path: Path, relative: str, dropped_ids: set[str]) -> None:
    """Reads to the end with digests checked, the way ``warcio check`` does."""
    try:
        with open(path, "rb") as handle:
            iterator = ArchiveIterator(handle, check_digests=True)
            for record in iterator:
                stream = record.content_stream()
                while stream.read(_COPY_BLOCK):
                    pass
                if record.digest_checker.passed is False:
                    raise RemoveError(f"validation: {relative}: digest mismatch in {record.rec_headers.get_header('WARC-Record-ID')}")
                if record.rec_type != "warcinfo" and (record.rec_headers.get_header("WARC-Record-ID") or "") in dropped_ids:
                    raise RemoveError(f"validation: {relative} still holds a removed record")
    except RemoveError:
        raise
    except Exception as exc:
        raise RemoveError(f"validation: {relative} does not read back ({exc})") from None


def _validate(out: Path, plan: _Plan, staged: _Staged) -> None:
    """The staged version is complete: see step 1 of the module docstring."""
    staging = out / STAGING_DIR
    new_files = set(staged.new_files)
    for relative in staged.new_files:
        _check_capture_file(staging / relative, relative, plan.dropped_record_ids)

    def location(relative: str) -> Path:
        return staging / relative if relative in new_files else out / relative

    handles: dict[str, Any] = {}
    existing: set[str] = set()
    deleted = set(staged.deletes)
    try:
        for shard in staged.shards_rewritten:
            try:
                table = pq.read_table(staging / shard)
            except Exception as exc:
                raise RemoveError(f"validation: {shard} does not read back ({exc})") from None
            if not table.schema.equals(DOCUMENTS_SCHEMA, check_metadata=False):
                raise RemoveError(f"validation: {shard} does not have the documents schema")
            removed_left = set(table.column("id").to_pylist()) & plan.removed_ids
            if removed_left:
                raise RemoveError(f"validation: {shard} still holds {len(removed_left)} removed rows")
            for row in table.select(POINTER_COLUMNS).to_pylist():
                if row["file_path"] not in new_files and row["wet_file_path"] not in new_files:
                    # Points into files this removal does not change: they must still be there.
                    for relative in (row["file_path"], row["wet_file_path"]):
                        if relative and relative not in existing:
                            if relative in deleted or not (out / relative).is_file():
                                raise RemoveError(f"validation: {row['id']} points into {relative}, which would not exist")
                            existing.add(relative)
                    continue
                checks = [
                    (row["file_path"], row["warc_record_offset"], "response", row["id"], row["warc_record_length"]),
                    (row["file_path"], row["warc_metadata_offset"], "metadata" if row["warc_metadata_id"] else "response", row["warc_metadata_id"] or row["id"], None),
                ]
                if row["wet_file_path"]:
                    checks.append((row["wet_file_path"], row["wet_record_offset"], "conversion", row["warc_conversion_id"], None))
                for relative, offset, kind, record_id, length in checks:
                    if relative not in handles:
                        if not location(relative).is_file():
                            raise RemoveError(f"validation: {row['id']} points into {relative}, which does not exist")
                        handles[relative] = open(location(relative), "rb")
                    try:
                        found_type, found_id, found_length = _read_record_at(handles[relative], offset)
                    except Exception as exc:
                        raise RemoveError(f"validation: {row['id']}: no record at {relative} offset {offset} ({exc})") from None
                    if (found_type, found_id) != (kind, record_id) or (length is not None and found_length != length):
                        raise RemoveError(
                            f"validation: {row['id']}: {relative} offset {offset} holds {found_type} {found_id}, expected {kind} {record_id}"
                        )
    finally:
        for handle in handles.values():
            handle.close()
    removals = pq.read_table(staging / staged.removals_file)
    if removals.num_rows != 1 or not removals.schema.equals(REMOVALS_SCHEMA, check_metadata=False):
        raise RemoveError("validation: the removals row does not read back")


# ------------------------------------------------------------------ journal and swap
def _write_journal(out: Path, journal: dict[str, Any]) -> None:
    path = out / JOURNAL_FILE
    tmp = out / f".{JOURNAL_FILE}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(journal, handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync(out)


def _read_journal(out: Path) -> dict[str, Any] | None:
    path = out / JOURNAL_FILE
    if not path.exists():
        return None
    try:
        journal = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise RemoveError(f"{path} cannot be read ({exc}); restore it or remove it by hand after checking the folder") from None
    if not isinstance(journal, dict) or journal.get("state") not in (SWAPPING, COMMITTED):
        raise RemoveError(f"{path} is not a removal journal this version understands")
    return journal


def _swap(out: Path, staged: _Staged) -> None:
    for _, target, backup in staged.replaces:
        if not (out / backup).exists():
            try:
                os.link(out / target, out / backup)
            except OSError:  # a file system without hard links
                shutil.copy2(out / target, out / backup)
    for source, target in staged.moves:
        (out / target).parent.mkdir(parents=True, exist_ok=True)
        os.rename(out / source, out / target)
    for folder in {str(Path(t).parent) for _, t in staged.moves}:
        _fsync(out / folder)
    _checkpoint("files-moved")
    for source, target, _ in staged.replaces:
        os.replace(out / source, out / target)
    if staged.replaces:
        _fsync(out / DOCUMENTS_DIR)
    _checkpoint("shards-replaced")


def _roll_back(out: Path, journal: dict[str, Any]) -> None:
    """Put the old version back exactly (state ``swapping``). Idempotent."""
    for _, target, backup in journal.get("replaces", []):
        if (out / backup).exists():
            os.replace(out / backup, out / target)
            # Renaming a hard link onto another link of the same file does
            # nothing (POSIX): the backup is then still there and is spare.
            if (out / backup).exists():
                os.unlink(out / backup)
    for _, target in journal.get("moves", []):
        if (out / target).exists():
            os.unlink(out / target)
    shutil.rmtree(out / STAGING_DIR, ignore_errors=True)
    os.unlink(out / JOURNAL_FILE)


def _finish(out: Path, journal: dict[str, Any]) -> None:
    """Complete a committed removal (step 5). Idempotent."""
    for relative in journal.get("deletes", []):
        if (out / relative).exists():
            os.unlink(out / relative)
    for _, _, backup in journal.get("replaces", []):
        if (out / backup).exists():
            os.unlink(out / backup)
    try:
        write_summary(out)
    except Exception as exc:
        raise RemoveError(
            f"the new version of {out} is in place, but the summary could not be rebuilt ({exc}); "
            f"run `tdmcrawl summary {out}` to finish"
        ) from None
    shutil.rmtree(out / STAGING_DIR, ignore_errors=True)
    os.unlink(out / JOURNAL_FILE)


class _RemovalLock:
    """``DIR/.remove-lock`` held with ``flock``: one process works on a folder's removals at a time."""

    def __init__(self, out: Path):
        self.path = out / LOCK_FILE
        self.handle: Any = None

    def acquire(self) -> bool:
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self.handle = handle
        return True

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


def _resume_locked(out: Path) -> str | None:
    torn = out / f".{JOURNAL_FILE}.tmp"
    if torn.exists():  # a journal write the kill cut short; the journal itself is whole or absent
        os.unlink(torn)
    journal = _read_journal(out)
    if journal is None:
        if (out / STAGING_DIR).exists():
            shutil.rmtree(out / STAGING_DIR)
            return "discarded the staging folder of an interrupted removal (the dataset was not changed)"
        return None
    if journal["state"] == COMMITTED:
        _finish(out, journal)
        return f"finished an interrupted removal ({journal.get('removals_file')})"
    _roll_back(out, journal)
    return "rolled back an interrupted removal (the dataset is as it was before it)"


def resume_interrupted_removal(out_dir: Path | str) -> str | None:
    """Finish or roll back a removal a crash interrupted in ``out_dir`` (see the
    module docstring); returns what was done, None when nothing was pending or
    another process is working on the folder's removals right now."""
    out = Path(out_dir)
    if not any((out / name).exists() for name in (JOURNAL_FILE, STAGING_DIR, f".{JOURNAL_FILE}.tmp")):
        return None
    lock = _RemovalLock(out)
    if not lock.acquire():
        return None
    try:
        return _resume_locked(out)
    finally:
        lock.release()


# ------------------------------------------------------------------ crawls in the folder
def _hold_job_locks(out: Path) -> list[Any]:
    """Take the lock of every job directory in ``out``, so no crawl runs while the
    files are rewritten; raises ``RemoveError`` when one is running."""
    held = []
    for lock_path in sorted(out.glob(".job*/lock")):
        handle = open(lock_path, "a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            _release_all(held)
            raise RemoveError(f"a crawl is running in {out} (job directory {lock_path.parent.name}); remove pages after it ends") from None
        held.append(handle)
    return held


def _release_all(handles: list[Any]) -> None:
    for handle in handles:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


def _unfinished_files(out: Path) -> list[str]:
    """Files a killed crawl left (``.open`` WARC files, Parquet journals): they may
    hold captures or text, and only the crawl's own repair can finish them."""
    found = []
    for folder in ("warc", "wet", "data/documents", "data/decisions"):
        for path in (out / folder).glob("*"):
            if path.name.endswith((".open", ".journal.jsonl")):
                found.append(f"{folder}/{path.name}")
    return sorted(found)


# ------------------------------------------------------------------ the removal
def _is_output_dir(out: Path) -> bool:
    return (out / DOCUMENTS_DIR).is_dir() or (out / "warc").is_dir()


def remove(
    out_dir: Path | str,
    *,
    domain: str | None = None,
    url_prefix: str | None = None,
    urls: Sequence[str] | None = None,
    reason: str,
    dry_run: bool = False,
) -> RemovalReport:
    """Write a new version of the dataset in ``out_dir`` without the pages that
    match the selector (exactly one of ``domain``, ``url_prefix``, ``urls``),
    record the removal in ``data/removals`` and rebuild the summary and card.
    With ``dry_run``, only count what would change. Raises ``RemoveError``."""
    out = Path(out_dir)
    if not _is_output_dir(out):
        raise RemoveError(f"{out} is not a tdmcrawl output folder (no data/documents or warc/ in it)")
    reason = (reason or "").strip()
    if not reason:
        raise RemoveError("give the reason for the removal (--reason TEXT): it is recorded in the removals table")
    selector = make_selector(domain=domain, url_prefix=url_prefix, urls=urls)

    if dry_run:  # reads only, so it takes no lock and changes no file
        if (out / JOURNAL_FILE).exists():
            raise RemoveError(
                f"an interrupted removal is pending in {out}; run `tdmcrawl remove` without --dry-run "
                f"or `tdmcrawl summary {out}` to finish it first"
            )
        _refuse_unfinished_crawl(out)
        return _planned_report(out, _plan(out, selector), reason=reason, dry_run=True)

    lock = _RemovalLock(out)
    if not lock.acquire():
        raise RemoveError(f"another tdmcrawl remove is working on {out}; try again when it has ended")
    job_locks: list[Any] = []
    staging = out / STAGING_DIR
    try:
        recovered = _resume_locked(out)
        for repaired in recover_abandoned(out):
            logger.info("repaired the files of an interrupted worker: %s", repaired)
        job_locks = _hold_job_locks(out)
        _refuse_unfinished_crawl(out)
        plan = _plan(out, selector)
        if not plan.removed_ids and not plan.drops:
            return _planned_report(out, plan, reason=reason, dry_run=False, recovered=recovered)
        now = datetime.now(timezone.utc)
        removed_at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
        staging.mkdir()
        try:
            staged = _stage(out, plan, reason=reason, removed_at=removed_at, stamp=stamp)
            _validate(out, plan, staged)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)  # nothing was swapped: the staging is just waste
            raise
        _checkpoint("staged")
        journal = {
            "version": JOURNAL_VERSION,
            "state": SWAPPING,
            "removed_at": removed_at,
            "removals_file": staged.removals_file,
            "moves": staged.moves,
            "replaces": staged.replaces,
            "deletes": staged.deletes,
        }
        _write_journal(out, journal)
        _checkpoint("journal-written")
        try:
            _swap(out, staged)
        except BaseException:
            # Anything but a kill (which the next run recovers): put the old version back now.
            try:
                _roll_back(out, journal)
            except Exception:  # pragma: no cover - the journal stays for the next run
                logger.exception("could not roll back the removal; the next `tdmcrawl remove` or `summary` will")
            raise
        journal["state"] = COMMITTED
        _write_journal(out, journal)
        _checkpoint("committed")
        _finish(out, journal)
        return RemovalReport(
            out=str(out),
            scope=selector.scope(),
            reason=reason,
            dry_run=False,
            documents=plan.documents,
            decisions=plan.decisions,
            warc_records=plan.warc_records,
            wet_records=plan.wet_records,
            files_rewritten=tuple(staged.files_rewritten),
            files_dropped=tuple(staged.files_dropped),
            new_files=tuple(staged.new_files),
            shards_rewritten=tuple(staged.shards_rewritten),
            removals_file=staged.removals_file,
            removed_at=removed_at,
            recovered=recovered,
        )
    finally:
        _release_all(job_locks)
        lock.release()


def _refuse_unfinished_crawl(out: Path) -> None:
    leftovers = _unfinished_files(out)
    if leftovers:
        raise RemoveError(
            f"{out} holds files of an unfinished crawl ({', '.join(leftovers[:3])}{' …' if len(leftovers) > 3 else ''}); "
            "resume that crawl (or run `tdmcrawl summary` after it) before removing pages"
        )


def _planned_report(out: Path, plan: _Plan, *, reason: str, dry_run: bool, recovered: str | None = None) -> RemovalReport:
    """What the plan would change (a dry run, or a removal that matched nothing)."""
    touched_shards = {n for n, c in plan.shard_rows.items() if c} | _rows_pointing_into(out, set(plan.drops))
    return RemovalReport(
        out=str(out),
        scope=plan.selector.scope(),
        reason=reason,
        dry_run=dry_run,
        documents=plan.documents,
        decisions=plan.decisions,
        warc_records=plan.warc_records,
        wet_records=plan.wet_records,
        files_rewritten=tuple(r for r in sorted(plan.drops) if not _only_warcinfo_left(plan, r)),
        files_dropped=tuple(r for r in sorted(plan.drops) if _only_warcinfo_left(plan, r)),
        shards_rewritten=tuple(f"{DOCUMENTS_DIR}/{n}" for n in sorted(touched_shards)),
        recovered=recovered,
    )


def _only_warcinfo_left(plan: _Plan, relative: str) -> bool:
    dropped = plan.drops.get(relative, set())
    return all(r.rec_type == "warcinfo" for r in plan.files[relative].records if r.offset not in dropped)


# ------------------------------------------------------------------ command


