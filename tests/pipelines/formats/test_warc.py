"""WARC records and files, read back with warcio (digests verified)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from crawler.model.capture import Capture
from pipelines.formats.warc import (
    OPEN_SUFFIX,
    WarcFileSet,
    build_capture_records,
    build_conversion_record,
    recover_open_files,
)


def capture(i: int = 0, body: bytes | None = None) -> Capture:
    return Capture(
        url=f"http://127.0.0.1:8000/a b/page?x={i}&q=é",
        status=200,
        response_headers=(
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Encoding", "gzip"),
            ("Transfer-Encoding", "chunked"),
            ("X-Evil", "ok\r\nInjected: yes"),
        ),
        body=body if body is not None else f"<html><body>héllo {i}</body></html>".encode() * 20,
        fetched_at=time.time(),
        request_headers=(("User-Agent", "tdmcrawl/0.1.0 (+test)"), ("Accept", "text/html")),
        original_encoding="gzip",
        ip_address="127.0.0.1",
        protocol="HTTP/1.1",
    )


def write(folder: Path, count: int, max_size: int = 10**9) -> tuple[WarcFileSet, list]:
    files = WarcFileSet(folder, "TEST", info=[("isPartOf", "crawl-x")], max_size=max_size)
    written = []
    for i in range(count):
        slot = files.reserve()
        records = build_capture_records(capture(i), warcinfo_id=slot.warcinfo_id, metadata=[("via", "http://127.0.0.1:8000/"), ("tdm-reservation", "0")], identified_payload_type="text/html")
        written.append((records, files.write(slot, records.records)))
    files.close()
    return files, written


def records_of(path: Path) -> list:
    with open(path, "rb") as handle:
        out = []
        for record in ArchiveIterator(handle, check_digests="raise"):
            out.append((record.rec_type, record.rec_headers, record.http_headers, record.content_stream().read()))
        return out


def test_capture_layout_digests_and_links(tmp_path: Path) -> None:
    files, written = write(tmp_path, 2)
    (name,) = files.closed_files
    got = records_of(tmp_path / name)
    assert [r[0] for r in got] == ["warcinfo", "request", "response", "metadata", "request", "response", "metadata"]
    warcinfo = got[0][1]
    assert warcinfo.get_header("WARC-Filename") == name
    request, response, metadata = got[1], got[2], got[3]
    records = written[0][0]
    assert response[1].get_header("WARC-Record-ID") == records.response_id
    assert request[1].get_header("WARC-Concurrent-To") == records.response_id
    assert metadata[1].get_header("WARC-Concurrent-To") == records.response_id
    assert {r[1].get_header("WARC-Date") for r in got[1:4]} == {records.date}
    assert all(r[1].get_header("WARC-Warcinfo-ID") == warcinfo.get_header("WARC-Record-ID") for r in got[1:])
    # Mode A: decoded body, framing headers renamed, true Content-Length, no injected header line
    assert response[2].get_header("Content-Encoding") is None
    assert response[2].get_header("X-Crawler-Content-Encoding") == "gzip"
    assert response[2].get_header("X-Crawler-Transfer-Encoding") == "chunked"
    assert int(response[2].get_header("Content-Length")) == len(response[3])
    assert response[2].get_header("Injected") is None
    assert response[2].protocol == "HTTP/1.1" and response[2].statusline.startswith("200")
    assert response[1].get_header("WARC-Payload-Digest").startswith("sha1:")
    assert response[1].get_header("WARC-Identified-Payload-Type") == "text/html"
    assert metadata[1].get_header("WARC-Payload-Digest") is None  # metadata has no payload
    assert b"tdm-reservation: 0" in metadata[3]
    # query kept, space and non-ASCII percent-encoded
    assert response[1].get_header("WARC-Target-URI") == "http://127.0.0.1:8000/a%20b/page?x=0&q=%C3%A9"
    assert request[2].protocol == "GET" and "?x=0&q=%C3%A9" in request[2].statusline


def test_offsets_open_single_records(tmp_path: Path) -> None:
    files, written = write(tmp_path, 3)
    path = tmp_path / files.closed_files[0]
    records, location = written[2]
    with open(path, "rb") as handle:
        handle.seek(location.offsets[1])
        record = next(iter(ArchiveIterator(handle)))
        assert record.rec_headers.get_header("WARC-Record-ID") == records.response_id


def test_rotation_never_splits_a_capture(tmp_path: Path) -> None:
    files, written = write(tmp_path, 6, max_size=2500)
    assert len(files.closed_files) >= 3
    for name in files.closed_files:
        types = [r[0] for r in records_of(tmp_path / name)]
        assert types[0] == "warcinfo"
        assert len(types[1:]) % 3 == 0 and types[1:4] == ["request", "response", "metadata"]
    assert not list(tmp_path.glob("*" + OPEN_SUFFIX))
    assert subprocess.run([sys.executable, "-m", "warcio.cli", "check", *[str(tmp_path / n) for n in files.closed_files]]).returncode == 0


def test_conversion_record(tmp_path: Path) -> None:
    files = WarcFileSet(tmp_path, "WET", suffix=".warc.wet.gz")
    slot = files.reserve()
    record = build_conversion_record(target_uri="http://x.test/p", refers_to="<urn:uuid:1>", date="2026-01-01T00:00:00.000000Z", text="Title\n\nBody text é", warcinfo_id=slot.warcinfo_id,
        language="en")
    files.write(slot, [record])
    files.close()
    (_, headers, _, block) = records_of(tmp_path / files.closed_files[0])[1]
    assert headers.get_header("WARC-Type") == "conversion"
    assert headers.get_header("WARC-Refers-To") == "<urn:uuid:1>"
    assert headers.get_header("WARC-Identified-Payload-Type") == "text/plain"
    assert block.decode() == "Title\n\nBody text é"


def test_recover_open_file_keeps_complete_records(tmp_path: Path) -> None:
    files = WarcFileSet(tmp_path, "CRASH")
    for i in range(3):
        slot = files.reserve()
        files.write(slot, build_capture_records(capture(i), warcinfo_id=slot.warcinfo_id).records)
    open_path = next(tmp_path.glob("*" + OPEN_SUFFIX))
    files._current.handle.close()  # the process dies: the file stays .open
    with open(open_path, "ab") as handle:
        handle.write(b"\x1f\x8b\x08\x00 half a gzip member")
    recovered = recover_open_files(tmp_path)
    assert len(recovered) == 1 and recovered[0][1] == 7 and recovered[0][2] > 0
    final = tmp_path / recovered[0][0]
    assert final.exists() and not open_path.exists()
    assert len(records_of(final)) == 7
