"""``tdmcrawl wacz DIR``: the folder's web archive as one WACZ file for replay tools.

Owns the WACZ package (WACZ 1.1.1, https://specs.webrecorder.net/wacz/1.1.1/):
``archive/`` holds the folder's closed WARC files (page captures, and the
policy files consulted, named ``policy-<name>`` so they never clash with a
page WARC of the same name), stored uncompressed in the ZIP (they are gzip
already, and replay reads them by range); ``indexes/index.cdx`` is the
folder's CDXJ index of its page WARC files (``pipelines.formats.cdxj``, brought up
to date first) and the index of its policy WARC files, merged into one
sorted file whose ``filename`` names the member of ``archive/``;
``pages/pages.jsonl`` lists every stored document (id, url, ts, title) from
the ``documents`` table; ``datapackage.json`` lists every member with its
sha256 and size, and ``datapackage-digest.json`` the digest of that. The
package is written as a hidden file beside its target and renamed when
complete. No Scrapy here.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from crawler import __version__
from pipelines.formats.cdxj import WARC_DIR, index_lines, index_path, index_text, merged_lines, sync_indexes, warc_files
from pipelines.formats.parquet import read_table

__all__ = ["WACZ_VERSION", "write_wacz"]

WACZ_VERSION = "1.1.1"
INDEX_MEMBER = "indexes/index.cdx"  # CDXJ lines; pywb's wb-manager reads *.cdx members of a WACZ
PAGES_MEMBER = "pages/pages.jsonl"
POLICY_DIR = "policy"
_BLOCK = 1 << 20


POLICY_PREFIX = "policy-"  # policy WARC files share the page WARC files' names


def _members(out: Path) -> list[tuple[Path, str]]:
    """(WARC file, its name in ``archive/``): page WARC files by their name,
    policy WARC files prefixed."""
    pages = [(warc, warc.name) for warc in warc_files(out / WARC_DIR)]
    return pages + [(warc, POLICY_PREFIX + warc.name) for warc in warc_files(out / POLICY_DIR)]


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _pages(out: Path) -> Iterator[str]:
    yield json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "Stored pages"}) + "\n"
    folder = out / "data" / "documents"
    if not folder.is_dir():
        return
    table = read_table(folder, columns=["id", "url", "fetch_time", "title"])
    for row in sorted(table.to_pylist(), key=lambda r: (r["url"], _iso(r["fetch_time"]) or "")):
        page = {"id": row["id"], "url": row["url"], "ts": _iso(row["fetch_time"])}
        if row.get("title"):
            page["title"] = row["title"]
        yield json.dumps(page, ensure_ascii=False) + "\n"


class _HashingWriter:
    """Counts and hashes what goes into one ZIP member."""

    def __init__(self, handle: Any):
        self.handle, self.size, self.digest = handle, 0, hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.handle.write(data)
        self.size += len(data)
        self.digest.update(data)


def _resource(path: str, writer: _HashingWriter) -> dict[str, Any]:
    return {"name": os.path.basename(path).lower(), "path": path, "hash": "sha256:" + writer.digest.hexdigest(), "bytes": writer.size}


def write_wacz(out: Path | str, target: Path | str, title: str | None = None) -> dict[str, Any]:
    """Package ``out`` into the WACZ file ``target``; returns counts."""
    out, target = Path(out), Path(target)
    sync_indexes(out)
    members = _members(out)
    if not members:
        raise ValueError(f"{out} holds no closed WARC file to package")
    tmp = target.with_name(f".{target.name}.open")
    resources: list[dict[str, Any]] = []
    counts = {"warc_files": len(members), "index_lines": 0, "pages": 0}
    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as package:
            for warc, name in members:
                with open(warc, "rb") as source, package.open(zipfile.ZipInfo("archive/" + name, _zip_time(warc)), "w", force_zip64=True) as sink:
                    writer = _HashingWriter(sink)
                    for block in iter(lambda: source.read(_BLOCK), b""):
                        writer.write(block)
                resources.append(_resource("archive/" + name, writer))

            info = zipfile.ZipInfo(INDEX_MEMBER, _zip_time())
            info.compress_type = zipfile.ZIP_DEFLATED
            with ExitStack() as files, package.open(info, "w", force_zip64=True) as sink:
                streams = []
                for warc, name in members:
                    if name == warc.name:  # a page WARC file: the folder's own index
                        streams.append(index_lines(files.enter_context(open(index_path(out, warc), encoding="utf-8"))))
                    else:  # a policy WARC file, under its name in archive/
                        streams.append(index_lines(index_text(warc).splitlines(), rename=lambda _, name=name: name))
                writer = _HashingWriter(sink)
                for line in merged_lines(streams):
                    writer.write(line.encode("utf-8"))
                    counts["index_lines"] += 1
            resources.append(_resource(INDEX_MEMBER, writer))

            info = zipfile.ZipInfo(PAGES_MEMBER, _zip_time())
            info.compress_type = zipfile.ZIP_DEFLATED
            with package.open(info, "w") as sink:
                writer = _HashingWriter(sink)
                for line in _pages(out):
                    writer.write(line.encode("utf-8"))
                    counts["pages"] += 1
            counts["pages"] -= 1  # the header line
            resources.append(_resource(PAGES_MEMBER, writer))

            datapackage = {
                "profile": "data-package",
                "wacz_version": WACZ_VERSION,
                "title": title or f"tdmcrawl web archive of {out.resolve().name}",
                "description": "Pages stored by tdmcrawl (a crawler that fetches only what site owners allow), and the "
                "robots.txt, tdmrep.json, ai.txt and RSL files it consulted (archive/policy-*).",
                "created": _now(),
                "software": f"tdmcrawl {__version__}",
                "resources": resources,
            }
            data = (json.dumps(datapackage, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
            package.writestr(zipfile.ZipInfo("datapackage.json", _zip_time()), data, compress_type=zipfile.ZIP_DEFLATED)
            digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(data).hexdigest()}
            package.writestr(zipfile.ZipInfo("datapackage-digest.json", _zip_time()), json.dumps(digest, indent=2) + "\n", compress_type=zipfile.ZIP_DEFLATED)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return counts


def _zip_time(path: Path | None = None) -> tuple[int, int, int, int, int, int]:
    moment = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc) if path else datetime.now(timezone.utc)
    return (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, moment.second)
