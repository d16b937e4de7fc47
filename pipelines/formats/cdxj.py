"""The CDXJ index of an output folder's WARC files, for replay tools (pywb, wabac.js).

Owns ``DIR/indexes/``: one sorted CDXJ file per closed WARC file of ``warc/``
(``indexes/<name>.cdxj`` for ``warc/<name>.warc.gz``), written by
``cdxj-indexer``, the Webrecorder indexer pywb's tooling uses, exactly as its
command ``cdxj-indexer --sort FILE`` writes it: ``SURT timestamp {json}``
with ``url``, ``mime``, ``status``, ``digest``, ``length``, ``offset`` and
``filename`` (the WARC file's name), so a pywb collection with
``archive_paths: DIR/warc/`` and ``index_paths: DIR/indexes/`` replays the
folder. :func:`sync_indexes` makes the folder right after any change of its
WARC files: an index for each WARC file that has none or an older one, none
for a WARC file that is gone (a removal rewrites WARC files under new names
and deletes the old ones; ``extract`` leaves them alone). It runs wherever the
summary is rebuilt (end of a crawl, ``summary``, ``remove``, ``extract``).
WARC files are never changed once closed (renamed from ``.open``), so a
file's name and time say whether its index is current. The policy files in
``policy/`` (robots.txt and the like; their WARC files share the page WARC
files' names) are indexed when a WACZ is packed (``pipelines.dataset.wacz``), not
here. No Scrapy here.
"""

from __future__ import annotations

import heapq
import io
import json
import os
import secrets
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

__all__ = ["INDEX_DIR", "WARC_DIR", "warc_files", "index_path", "index_text", "sync_indexes", "index_lines", "merged_lines"]

INDEX_DIR = "indexes"
WARC_DIR = "warc"
INDEX_SUFFIX = ".cdxj"
STALE_TMP_SECONDS = 3600


def warc_files(folder: Path) -> list[Path]:
    """The closed WARC files of ``folder`` (hidden and ``.open`` files are not)."""
    return sorted(p for p in folder.glob("*.warc.gz") if not p.name.startswith("."))


def index_path(out: Path, warc: Path) -> Path:
    return out / INDEX_DIR / (warc.name.removesuffix(".warc.gz") + INDEX_SUFFIX)


def index_text(warc: Path) -> str:
    """The sorted CDXJ lines of one WARC file, ``filename`` its name."""
    from cdxj_indexer.main import CDXJIndexer

    buffer = io.StringIO()
    CDXJIndexer(output=buffer, inputs=[str(warc)], sort=True).process_all()
    return buffer.getvalue()


def _write_index(warc: Path, target: Path) -> None:
    # Workers of one crawl share the folder and may index at the same time: each writes its own temporary file.
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_text(index_text(warc), encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def sync_indexes(out: Path | str) -> dict[str, list[str]]:
    """Index every WARC file of ``warc/`` that has no current index; delete the
    indexes of WARC files that are gone. Returns the index names written and deleted."""
    out = Path(out)
    folder = out / INDEX_DIR
    wanted = {index_path(out, warc).name: warc for warc in warc_files(out / WARC_DIR)}
    written: list[str] = []
    deleted: list[str] = []
    if wanted:
        folder.mkdir(exist_ok=True)
    for name, warc in wanted.items():
        target = folder / name
        if target.exists() and target.stat().st_mtime_ns >= warc.stat().st_mtime_ns:
            continue
        _write_index(warc, target)
        written.append(name)
    if folder.is_dir():
        for path in folder.glob("*" + INDEX_SUFFIX):
            if path.name not in wanted:
                path.unlink(missing_ok=True)
                deleted.append(path.name)
        for stale in folder.glob(".*.tmp"):  # left by a kill; a write in progress is younger than this
            try:
                if time.time() - stale.stat().st_mtime > STALE_TMP_SECONDS:
                    stale.unlink(missing_ok=True)
            except FileNotFoundError:
                pass
    return {"written": written, "deleted": deleted}


def index_lines(lines: Iterable[str], rename: Callable[[str], str] | None = None) -> Iterator[str]:
    """CDXJ lines with ``filename`` rewritten by ``rename`` (the order stays
    sorted when every line names the same WARC file, as in one file's index)."""
    for line in lines:
        if not line.strip():
            continue
        if rename is None:
            yield line if line.endswith("\n") else line + "\n"
            continue
        key, stamp, fields = line.rstrip("\n").split(" ", 2)
        record = json.loads(fields)
        record["filename"] = rename(record["filename"])
        yield f"{key} {stamp} {json.dumps(record)}\n"


def merged_lines(streams: Iterable[Iterator[str]]) -> Iterator[str]:
    """One sorted stream of CDXJ lines from sorted streams."""
    return heapq.merge(*streams)
