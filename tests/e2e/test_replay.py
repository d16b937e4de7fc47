"""The web archive opens in the tools archivists use: the CDXJ index in
``DIR/indexes`` is what ``cdxj-indexer`` writes and stays right through
``remove`` and ``extract``; ``tdmcrawl wacz`` writes a package ``wacz
validate`` accepts; pywb, serving on 127.0.0.1, replays a stored page's bytes
from the package and from the folder's own index.

pywb runs from a virtualenv of its own: pywb 2.10 (the latest) pins
``redis==2.10.6`` and ``fakeredis<1.0``, which cannot live beside the
``redis>=4.2`` that scrapy-redis 0.9 needs; installed together, pip falls back
to pywb 2.8.0 with gevent 22.10, whose ``wayback`` script does not start
(``pkg_resources.DistributionNotFound: zope.interface``); and pywb's
``brotlipy`` replaces the ``brotli`` module Scrapy decodes brotli bodies with
(a brotli bomb then fails as ``fetch-attribute-error``). So pywb is not one
of tdmcrawl's test dependencies. ``TDMCRAWL_TEST_PYWB`` may
name the ``bin`` folder of such a virtualenv (``.ci/run`` makes one);
otherwise the tests make one with ``pip install pywb`` once per session.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import venv
import zipfile
from pathlib import Path
from typing import Iterator

import pytest

from crawler.localsite import Route, html, text
from tests.conftest import FAST, read_rows, run_tdmcrawl

PROSE = "Minutes of the harbour board, the ferry timetable and the lake levels, for the replay tests. " * 4
PYWB_REQUIREMENT = "pywb>=2.10,<3"
ROBOTS = "User-agent: *\nAllow: /\n# the robots.txt of the replay tests\n"


def page(title: str, *links: str) -> Route:
    body = "".join(f'<p><a href="{link}">{link}</a></p>' for link in links)
    return html(f"<html><head><title>{title}</title></head><body><main><h1>{title}</h1><p>{title}: {PROSE}</p>{body}</main></body></html>")


def site_routes() -> dict[str, Route]:
    routes = {"/": page("home", *(f"/n/{i}" for i in range(4))), "/robots.txt": text(ROBOTS)}
    routes.update({f"/n/{i}": page(f"note {i}") for i in range(4)})
    return routes


@pytest.fixture(scope="session")
def pywb_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("TDMCRAWL_TEST_PYWB")
    if given:
        return Path(given)
    home = tmp_path_factory.mktemp("pywb-venv")
    venv.create(home, with_pip=True)
    done = subprocess.run([str(home / "bin" / "python"), "-m", "pip", "install", "-q", PYWB_REQUIREMENT], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return home / "bin"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def crawl_site(site, out: Path) -> None:
    done = run_tdmcrawl("crawl", site.url("a"), "--out", str(out), "--quiet", *FAST)
    assert done.returncode == 0, done.stderr


def index_files(out: Path) -> list[Path]:
    return sorted((out / "indexes").glob("*.cdxj"))


def cdxj_lines(out: Path) -> list[tuple[str, str, dict]]:
    lines = []
    for path in index_files(out):
        text = path.read_text("utf-8").splitlines()
        assert text == sorted(text), f"{path.name} is not sorted"
        for line in text:
            key, stamp, fields = line.split(" ", 2)
            lines.append((key, stamp, json.loads(fields)))
    return lines


def assert_index_is_right(out: Path) -> None:
    """One index per closed WARC file of warc/, each exactly what the
    cdxj-indexer command writes for it, and every stored document found at its offset."""
    warcs = sorted(p for p in (out / "warc").glob("*.warc.gz") if not p.name.startswith("."))
    assert warcs and len(index_files(out)) == len(warcs)
    for warc in warcs:
        reference = subprocess.run([sys.executable, "-m", "cdxj_indexer.main", "--sort", str(warc)], capture_output=True, text=True, check=True).stdout
        assert (out / "indexes" / (warc.name.removesuffix(".warc.gz") + ".cdxj")).read_text("utf-8") == reference, warc.name
    lines = cdxj_lines(out)
    for _, _, fields in lines:
        assert (out / "warc" / fields["filename"]).is_file(), fields
    by_url = {(f["url"], "warc/" + f["filename"]): f for _, _, f in lines}
    for document in read_rows(out / "data" / "documents"):
        entry = by_url[(document["url"], document["file_path"])]
        assert int(entry["offset"]) == document["warc_record_offset"], document["url"]


def test_the_cdxj_index_follows_the_warc_files_through_remove_and_extract(tmp_path: Path, site_factory) -> None:
    site = site_factory({"a": site_routes()})
    out = tmp_path / "out"
    crawl_site(site, out)
    assert_index_is_right(out)
    removed = site.url("a", "/n/1")
    assert removed in {f["url"] for _, _, f in cdxj_lines(out)}
    before = {p.name for p in index_files(out)}

    done = run_tdmcrawl("remove", str(out), "--url-prefix", removed, "--reason", "asked by the owner")
    assert done.returncode == 0, done.stderr
    assert_index_is_right(out)
    assert removed not in {f["url"] for _, _, f in cdxj_lines(out)}
    assert {p.name for p in index_files(out)} != before  # the rewritten WARC file has a new name, and so its index

    done = run_tdmcrawl("extract", str(out))
    assert done.returncode == 0, done.stderr
    assert_index_is_right(out)


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def wayback(pywb_bin: Path, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A pywb root folder and the URL of its wayback server on 127.0.0.1 (started by the test)."""
    root = tmp_path / "pywb"
    root.mkdir()
    port = free_port()
    holder: dict[str, subprocess.Popen] = {}

    def start() -> str:
        holder["process"] = subprocess.Popen([str(pywb_bin / "wayback"), "-p", str(port), "-b", "127.0.0.1"], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while True:
            assert holder["process"].poll() is None, holder["process"].stderr.read().decode()[-2000:]
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return f"http://127.0.0.1:{port}"
            except OSError:
                assert time.monotonic() < deadline, "pywb did not start"
                time.sleep(0.1)

    yield root, start  # type: ignore[misc]
    process = holder.get("process")
    if process:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_wacz_validates_and_pywb_replays_a_stored_page(tmp_path: Path, site_factory, pywb_bin: Path, wayback) -> None:
    site = site_factory({"a": site_routes()})
    out = tmp_path / "out"
    crawl_site(site, out)
    package = tmp_path / "crawl.wacz"
    done = run_tdmcrawl("wacz", str(out), "--output", str(package))
    assert done.returncode == 0, done.stderr

    validated = subprocess.run([str(Path(sys.executable).parent / "wacz"), "validate", "-f", str(package)], capture_output=True, text=True, timeout=300)
    assert validated.returncode == 0 and "Validation succeeded" in validated.stdout, validated.stdout + validated.stderr
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        pages = [json.loads(line) for line in archive.read("pages/pages.jsonl").decode().splitlines()]
        for info in archive.infolist():
            if info.filename.startswith("archive/"):
                assert info.compress_type == zipfile.ZIP_STORED, info.filename
    assert "indexes/index.cdx" in names and any(n.startswith("archive/policy-") for n in names)
    stored = read_rows(out / "data" / "documents")
    assert sorted(p["url"] for p in pages[1:]) == sorted(d["url"] for d in stored)
    # the validator is not a formality: a package whose file differs from its manifest fails
    tampered = tmp_path / "tampered.wacz"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, data.replace(b"note 2", b"note X") if info.filename == "pages/pages.jsonl" else data)
    rejected = subprocess.run([str(Path(sys.executable).parent / "wacz"), "validate", "-f", str(tampered)], capture_output=True, text=True, timeout=300)
    assert rejected.returncode == 1, rejected.stdout

    root, start = wayback
    for command in (["init", "package"], ["add", "--unpack-wacz", "package", str(package)], ["init", "folder"]):
        done = subprocess.run([str(pywb_bin / "wb-manager"), *command], cwd=root, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    # The folder as a collection: its own index, its warc/ as the archive.
    collection = root / "collections" / "folder"
    (collection / "archive").rmdir()
    (collection / "archive").symlink_to(out / "warc", target_is_directory=True)
    for index in index_files(out):
        shutil.copy(index, collection / "indexes" / index.name)
    base = start()

    document = next(d for d in stored if d["url"] == site.url("a", "/n/2"))
    status, original = fetch(document["url"])
    assert status == 200 and b"note 2" in original
    stamp = document["fetch_time"].strftime("%Y%m%d%H%M%S")
    for name in ("package", "folder"):
        status, replayed = fetch(f"{base}/{name}/{stamp}id_/{document['url']}")
        assert status == 200, (name, replayed[:500])
        assert replayed == original, name
    # the robots.txt the crawl consulted is in the package too
    status, robots = fetch(f"{base}/package/{stamp}id_/{site.url('a', '/robots.txt')}")
    assert (status, robots.decode()) == (200, ROBOTS)
