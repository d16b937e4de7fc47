"""WARC output: records built with warcio, files that rotate and close cleanly.

Owns the record layout of a capture (``request``, ``response``, ``metadata`` with
one ``WARC-Date``, linked by ``WARC-Concurrent-To``), WET ``conversion`` records,
policy-file captures, file naming (``<prefix>-<timestamp>-<serial>-<host>.warc.gz``,
written as ``.open`` and renamed on close), rotation at a size (never inside
one capture) and the recovery of ``.open`` files a killed crawl left behind.

Record serialisation is a pure function of its inputs so it can run in a worker
process (gzip and digests are the CPU cost); files are written only by the
process that owns them. The Scrapy item pipeline at the end is a thin adapter.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import socket
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.warcwriter import BufferWARCWriter

from crawler.model.capture import Capture, request_head, response_head
from crawler.rights.evidence import sha1_base32
from crawler.urls import safe_url

logger = logging.getLogger(__name__)

WARC_VERSION = "1.1"
GZIP_LEVEL = 4  # measured on HTML: ~3x faster than levels 6-9 for files ~2-3% larger
OPEN_SUFFIX = ".open"
WARC_SPEC = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
DEFAULT_MAX_FILE_SIZE = 1_000_000_000


def warc_date(epoch: float) -> str:
    """W3C-DTF UTC with microseconds (WARC 1.1)."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_record_id() -> str:
    return StatusAndHeadersParser.make_warc_id()


def gzip_member(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return compressor.compress(data) + compressor.flush()


class _Serializer(BufferWARCWriter):
    # metadata and warcinfo blocks have no payload (WARC 1.1 6.6); warcio would
    # otherwise give them a payload digest.
    NO_PAYLOAD_DIGEST_TYPES = ("warcinfo", "revisit", "metadata")


def _serialize(record: object) -> bytes:
    writer = _Serializer(gzip=False, warc_version=WARC_VERSION)
    writer.write_record(record)
    return gzip_member(writer.get_contents())


def warc_fields(fields: Iterable[tuple[str, object]]) -> bytes:
    """``application/warc-fields``: one ``name: value`` line per field; values are
    single lines (CR/LF replaced) and empty values are skipped."""
    lines = []
    for name, value in fields:
        if value is None or value == "" or value == []:
            continue
        text = str(value).replace("\r", " ").replace("\n", " ")
        lines.append(f"{name}: {text}\r\n")
    return "".join(lines).encode("utf-8")


@dataclass(frozen=True)
class SerializedRecord:
    record_id: str
    record_type: str
    data: bytes  # one gzip member


@dataclass(frozen=True)
class CaptureRecords:
    """The records of one capture, ready to append to one file, in write order."""

    date: str
    request_id: str
    response_id: str
    metadata_id: str | None
    payload_digest: str
    payload_sha256: str
    records: tuple[SerializedRecord, ...]

    @property
    def size(self) -> int:
        return sum(len(r.data) for r in self.records)


def _capture_fields(capture: Capture, warcinfo_id: str) -> tuple[str, str, dict[str, str]]:
    """The capture's ``WARC-Date``, its target URI, and the headers every
    record of the capture carries."""
    date = warc_date(capture.fetched_at)
    common = {"WARC-Date": date, "WARC-Warcinfo-ID": warcinfo_id}
    if capture.ip_address:
        common["WARC-IP-Address"] = capture.ip_address
    return date, safe_url(capture.url), common


def _request_record(writer: Any, capture: Capture, target: str, common: dict[str, str], record_id: str, *, concurrent_to: str) -> Any:
    request_line, request_headers = request_head(capture)
    return writer.create_warc_record(
        target,
        "request",
        payload=io.BytesIO(b""),
        length=0,
        warc_headers_dict=dict(common, **{"WARC-Record-ID": record_id, "WARC-Concurrent-To": concurrent_to}),
        http_headers=StatusAndHeaders(request_line, request_headers, is_http_request=True),
    )


def build_capture_records(
    capture: Capture,
    *,
    warcinfo_id: str,
    metadata: Sequence[tuple[str, object]] = (),
    identified_payload_type: str | None = None,
    record_ids: tuple[str, str, str] | None = None,
) -> CaptureRecords:
    """request + response (+ metadata when given): the Common Crawl order, one
    ``WARC-Date`` (the capture start) on all three."""
    writer = _Serializer(gzip=False, warc_version=WARC_VERSION)
    request_id, response_id, metadata_id = record_ids or (new_record_id(), new_record_id(), new_record_id())
    date, target, common = _capture_fields(capture, warcinfo_id)

    status_line, headers = response_head(capture)
    response_fields = dict(common, **{"WARC-Record-ID": response_id, "WARC-Concurrent-To": request_id})
    if capture.protocol:
        response_fields["WARC-Protocol"] = capture.protocol.lower()
    if identified_payload_type:
        response_fields["WARC-Identified-Payload-Type"] = identified_payload_type
    if capture.truncated:
        response_fields["WARC-Truncated"] = capture.truncated
    payload_digest = sha1_base32(capture.body)
    response_fields["WARC-Payload-Digest"] = payload_digest
    response = writer.create_warc_record(
        target,
        "response",
        payload=io.BytesIO(capture.body),
        length=len(capture.body),
        warc_headers_dict=response_fields,
        http_headers=StatusAndHeaders(status_line, headers, protocol="HTTP/1.1"),
    )

    request = _request_record(writer, capture, target, common, request_id, concurrent_to=response_id)
    records = [SerializedRecord(request_id, "request", _serialize(request)), SerializedRecord(response_id, "response", _serialize(response))]

    if metadata:
        block = warc_fields(metadata)
        meta = writer.create_warc_record(
            target,
            "metadata",
            payload=io.BytesIO(block),
            length=len(block),
            warc_content_type="application/warc-fields",
            warc_headers_dict=dict(common, **{"WARC-Record-ID": metadata_id, "WARC-Concurrent-To": response_id}),
        )
        records.append(SerializedRecord(metadata_id, "metadata", _serialize(meta)))
    else:
        metadata_id = None  # type: ignore[assignment]

    return CaptureRecords(
        date=date,
        request_id=request_id,
        response_id=response_id,
        metadata_id=metadata_id,
        payload_digest=payload_digest,
        payload_sha256=hashlib.sha256(capture.body).hexdigest(),
        records=tuple(records),
    )


SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


def build_revisit_records(
    capture: Capture,
    *,
    warcinfo_id: str,
    refers_to: str,
    refers_to_target_uri: str,
    refers_to_date: str,
) -> CaptureRecords:
    """A 304 answer to a conditional request: ``request`` + ``revisit``
    (profile server-not-modified) pointing at the earlier capture by id, URI
    and date (what pywb and wabac.js resolve revisits by)."""
    writer = _Serializer(gzip=False, warc_version=WARC_VERSION)
    request_id, revisit_id = new_record_id(), new_record_id()
    date, target, common = _capture_fields(capture, warcinfo_id)
    status_line, headers = response_head(capture)
    revisit = writer.create_warc_record(
        target,
        "revisit",
        payload=io.BytesIO(b""),
        length=0,
        warc_headers_dict=dict(
            common,
            **{
                "WARC-Record-ID": revisit_id,
                "WARC-Concurrent-To": request_id,
                "WARC-Profile": SERVER_NOT_MODIFIED,
                "WARC-Refers-To": refers_to,
                "WARC-Refers-To-Target-URI": safe_url(refers_to_target_uri),
                "WARC-Refers-To-Date": refers_to_date,
            },
        ),
        http_headers=StatusAndHeaders(status_line, headers, protocol="HTTP/1.1"),
    )
    request = _request_record(writer, capture, target, common, request_id, concurrent_to=revisit_id)
    return CaptureRecords(
        date=date,
        request_id=request_id,
        response_id=revisit_id,
        metadata_id=None,
        payload_digest="",
        payload_sha256="",
        records=(SerializedRecord(request_id, "request", _serialize(request)), SerializedRecord(revisit_id, "revisit", _serialize(revisit))),
    )


def build_conversion_record(
    *,
    target_uri: str,
    refers_to: str,
    date: str,
    text: str,
    warcinfo_id: str,
    language: str | None = None,
    record_id: str | None = None,
) -> SerializedRecord:
    """WET-style extracted text: ``conversion``, ``WARC-Refers-To`` the response,
    the capture's date, ``text/plain`` (bare, for datatrove)."""
    writer = _Serializer(gzip=False, warc_version=WARC_VERSION)
    record_id = record_id or new_record_id()
    block = text.encode("utf-8")
    fields = {
        "WARC-Record-ID": record_id,
        "WARC-Date": date,
        "WARC-Refers-To": refers_to,
        "WARC-Warcinfo-ID": warcinfo_id,
        "WARC-Identified-Payload-Type": "text/plain",
    }
    if language:
        fields["WARC-Identified-Content-Language"] = language
    record = writer.create_warc_record(
        safe_url(target_uri),
        "conversion",
        payload=io.BytesIO(block),
        length=len(block),
        warc_content_type="text/plain; charset=utf-8",
        warc_headers_dict=fields,
    )
    return SerializedRecord(record_id, "conversion", _serialize(record))


def build_warcinfo_record(filename: str, info: Sequence[tuple[str, object]], record_id: str | None = None) -> SerializedRecord:
    writer = _Serializer(gzip=False, warc_version=WARC_VERSION)
    record_id = record_id or new_record_id()
    block = warc_fields(info)
    record = writer.create_warc_record(
        "",
        "warcinfo",
        payload=io.BytesIO(block),
        length=len(block),
        warc_content_type="application/warc-fields",
        warc_headers_dict={"WARC-Record-ID": record_id, "WARC-Filename": filename, "WARC-Date": warc_date(time.time())},
    )
    return SerializedRecord(record_id, "warcinfo", _serialize(record))


# --------------------------------------------------------------------------
# Files


@dataclass
class _OpenFile:
    name: str
    path: Path  # the .open path while written
    warcinfo_id: str
    handle: io.BufferedWriter
    size: int = 0
    pending: int = 0
    closing: bool = False
    records: int = 0


@dataclass(frozen=True)
class Slot:
    """A place reserved in one file for one capture, so its records can be built
    (with that file's warcinfo id) before they are written."""

    file_name: str
    warcinfo_id: str


@dataclass(frozen=True)
class Written:
    file_name: str
    offsets: tuple[int, ...]  # byte offset of each record's gzip member
    lengths: tuple[int, ...]


@dataclass
class WarcFileSet:
    """A rotating set of WARC files in one folder (``warc/``, ``wet/``, ``policy/``).

    Thread-safe: the reactor thread writes, the progress display reads sizes."""

    directory: Path
    prefix: str
    suffix: str = ".warc.gz"
    max_size: int = DEFAULT_MAX_FILE_SIZE
    info: Sequence[tuple[str, object]] = ()
    hostname: str = field(default_factory=socket.gethostname)
    _current: _OpenFile | None = None
    _closing: dict[str, _OpenFile] = field(default_factory=dict)
    _serial: int = -1
    _lock: threading.Lock = field(default_factory=threading.Lock)
    closed_files: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.directory = Path(self.directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._serial = self._last_serial()

    def _last_serial(self) -> int:
        # A resumed crawl continues the serials, never appends to an old file.
        serials = [-1]
        for path in self.directory.iterdir():
            name = path.name
            if name.startswith(self.prefix + "-"):
                parts = name[len(self.prefix) + 1 :].split("-")
                if len(parts) >= 2 and parts[1].isdigit():
                    serials.append(int(parts[1]))
        return max(serials)

    def _open_new(self) -> _OpenFile:
        self._serial += 1
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        host = "".join(c if c.isalnum() or c in ".-" else "-" for c in self.hostname)[:63] or "localhost"
        name = f"{self.prefix}-{stamp}-{self._serial:05d}-{host}{self.suffix}"
        path = self.directory / (name + OPEN_SUFFIX)
        handle = open(path, "xb")
        info = list(self.info) + [("format", "WARC File Format 1.1"), ("conformsTo", WARC_SPEC)]
        warcinfo = build_warcinfo_record(name, info)
        handle.write(warcinfo.data)
        handle.flush()
        return _OpenFile(name, path, warcinfo.record_id, handle, size=len(warcinfo.data), records=1)

    def reserve(self) -> Slot:
        with self._lock:
            if self._current is None or self._current.closing:
                self._current = self._open_new()
            self._current.pending += 1
            return Slot(self._current.name, self._current.warcinfo_id)

    def _file(self, name: str) -> _OpenFile:
        if self._current is not None and self._current.name == name:
            return self._current
        return self._closing[name]

    def write(self, slot: Slot, records: Sequence[SerializedRecord]) -> Written:
        """Append the records of one capture to the slot's file and release the slot."""
        with self._lock:
            target = self._file(slot.file_name)
            offsets, lengths = [], []
            for record in records:
                offsets.append(target.size)
                lengths.append(len(record.data))
                target.handle.write(record.data)
                target.size += len(record.data)
                target.records += 1
            target.handle.flush()  # a killed process leaves every finished capture in the file
            self._release_locked(target)
            return Written(target.name, tuple(offsets), tuple(lengths))

    def release(self, slot: Slot) -> None:
        """Give a slot back unused (the document turned out to be excluded)."""
        with self._lock:
            self._release_locked(self._file(slot.file_name))

    def _release_locked(self, target: _OpenFile) -> None:
        target.pending -= 1
        if target is self._current and target.size >= self.max_size:
            target.closing = True
            self._closing[target.name] = target
            self._current = None
        if target.closing and target.pending <= 0:
            self._close_file(target)

    def write_now(self, build: "callable[[str], Sequence[SerializedRecord]]") -> Written:  # type: ignore[valid-type]
        """Reserve, build with the file's warcinfo id, write: for small records
        built in this process (policy files)."""
        slot = self.reserve()
        try:
            records = build(slot.warcinfo_id)
        except BaseException:
            self.release(slot)
            raise
        return self.write(slot, records)

    def _close_file(self, target: _OpenFile) -> None:
        target.handle.close()
        final = self.directory / target.name
        os.replace(target.path, final)
        self._closing.pop(target.name, None)
        self.closed_files.append(target.name)

    @property
    def current_name(self) -> str | None:
        return self._current.name if self._current else None

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self._current.closing = True
                self._closing[self._current.name] = self._current
                self._current = None
            for target in list(self._closing.values()):
                if target.pending > 0:
                    logger.warning("closing %s with %d captures never written", target.name, target.pending)
                self._close_file(target)


def recover_open_files(directory: Path | str, capture_ends: Sequence[str] | None = None) -> list[tuple[str, int, int]]:
    """Make every ``*.open`` file a killed crawl left valid: keep it up to the
    end of its last complete capture (the last record whose type is in
    ``capture_ends``, e.g. the metadata record that closes a capture; any
    complete record when None), drop the rest, rename it. Returns (file name,
    records kept, bytes dropped) for each; a file with nothing kept is removed."""
    recovered = []
    for path in sorted(Path(directory).glob("*" + OPEN_SUFFIX)):
        size = path.stat().st_size
        good_end = 0
        records = kept = 0
        try:
            with open(path, "rb") as handle:
                iterator = ArchiveIterator(handle, check_digests=False)
                for record in iterator:
                    record.content_stream().read()
                    iterator.read_to_end(record)
                    records += 1
                    if capture_ends is None or record.rec_type in capture_ends:
                        good_end = iterator.get_record_offset() + iterator.get_record_length()
                        kept = records
        except Exception as exc:  # a half-written member ends the walk
            logger.info("recovering %s: stopped at %d (%s)", path.name, good_end, exc)
        with open(path, "r+b") as handle:
            handle.truncate(good_end)
        final = path.with_name(path.name[: -len(OPEN_SUFFIX)])
        if kept == 0:
            path.unlink()
        else:
            os.replace(path, final)
        recovered.append((final.name, kept, size - good_end))
    return recovered


# --------------------------------------------------------------------------
# Building a stored document's records (runs in a worker process)


@dataclass(frozen=True)
class DocumentRecordsJob:
    capture: Capture
    warcinfo_id: str
    metadata: tuple[tuple[str, str], ...]
    identified_type: str
    wet_warcinfo_id: str | None
    text: str
    title: str | None
    language: str | None


@dataclass(frozen=True)
class DocumentRecords:
    capture: CaptureRecords
    conversion: SerializedRecord | None


def build_document_records(job: DocumentRecordsJob) -> DocumentRecords:
    ids = (new_record_id(), new_record_id(), new_record_id())
    capture = build_capture_records(
        job.capture,
        warcinfo_id=job.warcinfo_id,
        metadata=job.metadata,
        identified_payload_type=job.identified_type,
        record_ids=ids,
    )
    conversion = None
    if job.wet_warcinfo_id is not None:
        block = f"{job.title}\n\n{job.text}" if job.title else job.text
        conversion = build_conversion_record(
            target_uri=job.capture.url,
            refers_to=capture.response_id,
            date=capture.date,
            text=block,
            warcinfo_id=job.wet_warcinfo_id,
            language=job.language,
        )
    return DocumentRecords(capture, conversion)
