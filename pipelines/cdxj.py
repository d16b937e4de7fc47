"""The CDXJ index of an output folder's WARC files, for replay tools (pywb, wabac.js).

Owns ``DIR/indexes/``: one sorted CDXJ file per closed WARC file of ``warc/``
(the captures of stored pages) and ``policy/`` (the robots.txt, tdmrep.json,
ai.txt and RSL files consulted), written by ``cdxj-indexer`` (the
Webrecorder indexer pywb's own tooling uses, same line format:
``SURT timestamp {json}`` with ``url``, ``mime``, ``status``, ``digest``,
``length``, ``offset``, ``filename``). ``filename`` is relative to ``DIR``
(``warc/<name>.warc.gz``), so a pywb collection whose archive path is ``DIR``
resolves every line. :func:`sync_indexes` makes the folder right after any
change of its WARC files: an index for each WARC file that has none or an
older one, none for a WARC file that is gone (a removal rewrites WARC files
under new names and deletes the old ones; ``extract`` leaves them alone). It
runs wherever the summary is rebuilt (end of a crawl, ``summary``,
``remove``, ``extract``). WARC files are never changed once closed (renamed
from ``.open``), so a file's name and time say whether its index is current.
No Scrapy here.
"""

from __future__ import annotations

import heapq
import io
import os
from pathlib import Path
from typing import Callable, Iterable, Iterator

__all__ = ["INDEX_DIR", "ARCHIVE_FOLDERS", "archive_files", "index_name", "sync_indexes", "index_lines", "merged_lines"]

INDEX_DIR = "indexes"
ARCHIVE_FOLDERS = ("warc", "policy")
INDEX_SUFFIX = ".cdxj"


def archive_files(out: Path) -> list[Path]:
    """The closed WARC files of the folder (hidden and ``.open`` files are not)."""
    found: list[Path] = []
    for folder in ARCHIVE_FOLDERS:
        found += sorted(p for p in (out / folder).glob("*.warc.gz") if not p.name.startswith("."))
    return found


def index_name(out: Path, warc: Path) -> str:
    """``warc/a.warc.gz`` -> ``warc-a.cdxj`` (page and policy files may share a name)."""
    relative = warc.relative_to(out).as_posix()
    return relative.replace("/", "-").removesuffix(".warc.gz") + INDEX_SUFFIX


def _write_index(out: Path, warc: Path, target: Path) -> None:
    from cdxj_indexer.main import CDXJIndexer

    buffer = io.StringIO()
    indexer = CDXJIndexer(output=buffer, inputs=[str(warc)], sort=True, dir_root=str(out))
    indexer.process_all()
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(tmp, target)


def sync_indexes(out: Path | str) -> dict[str, list[str]]:
    """Index every WARC file that has no current index; delete indexes of WARC
    files that are gone. Returns the index names written and deleted."""
    out = Path(out)
    folder = out / INDEX_DIR
    wanted = {index_name(out, warc): warc for warc in archive_files(out)}
    written: list[str] = []
    deleted: list[str] = []
    if wanted:
        folder.mkdir(exist_ok=True)
    for name, warc in wanted.items():
        target = folder / name
        if target.exists() and target.stat().st_mtime_ns >= warc.stat().st_mtime_ns:
            continue
        _write_index(out, warc, target)
        written.append(name)
    if folder.is_dir():
        for path in folder.glob("*" + INDEX_SUFFIX):
            if path.name not in wanted:
                path.unlink()
                deleted.append(path.name)
        for stale in folder.glob(".*.tmp"):  # a write a kill interrupted
            stale.unlink()
    return {"written": written, "deleted": deleted}


def index_lines(path: Path, rename: Callable[[str], str] | None = None) -> Iterator[str]:
    """The lines of one index file, with ``filename`` rewritten by ``rename``
    (the order stays sorted: every line of one file names the same WARC file)."""
    import json

    with open(path, encoding="utf-8") as handle:
        for line in handle:
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
