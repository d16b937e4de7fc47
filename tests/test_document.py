"""The document reader (crawler/document.py) and its bounds, alone and in a
real worker process: the per-file memory cap and time limit."""

from __future__ import annotations

import asyncio
import time

import pytest

from crawler.model.capture import Capture
from crawler.document import DocumentFailure, DocumentOptions, declared_kind, open_document, parse_kinds, sniff_kind
from crawler.workers import ExtractionTimeout, WorkerPool
from pipelines.extraction import PageJob, process_page
from tests import documents as build

OPTIONS = DocumentOptions(kinds=("pdf", "epub"))


def read(body: bytes, options: DocumentOptions = OPTIONS):
    opened = open_document(body, sniff_kind(body), options)
    if isinstance(opened, DocumentFailure):
        return opened
    return opened, opened.text(options)


def test_kinds_are_recognised_from_headers_and_bytes() -> None:
    assert parse_kinds("pdf, epub,html") == ("pdf", "epub")
    with pytest.raises(ValueError, match="docx"):
        parse_kinds(["pdf", "docx"])
    assert declared_kind("application/pdf; qs=0.9", "https://x/a") == "pdf"
    assert declared_kind("application/octet-stream", "https://x/Report%20final.PDF") == "pdf"
    assert declared_kind("application/octet-stream", "https://x/a.zip") is None
    assert declared_kind("text/html", "https://x/a.pdf") is None
    assert sniff_kind(b"\n\n%PDF-1.4 ...") == "pdf" and sniff_kind(build.epub(["x"])) == "epub" and sniff_kind(b"<html>") is None


def test_text_pages_and_rights_of_a_plain_pdf() -> None:
    opened, text = read(build.pdf(["First page.\nSecond line.", "Second page."], info={"Title": "T"}))
    assert text == "First page.\nSecond line.\n\nSecond page."
    assert opened.page_count == 2 and opened.rights.title == "T" and opened.extractor.startswith("pypdf ")


@pytest.mark.parametrize(
    ("body", "reason", "words"),
    [
        (build.encrypted_pdf(), "document-encrypted", "user password"),
        (build.malformed_pdf(), "document-malformed", "startxref"),
        (build.pdf(["x"], declared_pages=10**9), "document-too-many-pages", "1000000000 pages"),
        (build.endless_xmp_pdf(2), "document-metadata-too-large", "limit"),
        (build.pdf(["x"], metadata=build.XMP_HEAD + b"<a/>" * 600_000, metadata_filter=True), "document-metadata-too-large", "limit"),
        (build.epub(["x"], extra_members={"META-INF/rights.xml": b"<rights/>"}), "document-encrypted", "DRM"),
    ],
)
def test_hostile_files_fail_with_a_reason(body: bytes, reason: str, words: str) -> None:
    failure = read(body)
    assert isinstance(failure, DocumentFailure) and failure.reason == reason and words in failure.note, failure


@pytest.mark.parametrize(("body", "words"), [(build.inflation_bomb_pdf(100), "pypdf's limit"), (build.zip_bomb_epub(80), "decompresses past")])
def test_bombs_stop_at_the_decompression_limit(body: bytes, words: str) -> None:
    opened, text = read(body)
    assert isinstance(text, DocumentFailure) and text.reason == "document-decompression-limit" and words in text.note


def test_an_owner_password_with_text_extraction_allowed_is_read() -> None:
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(build.pdf(["Open to read, locked to edit."]))))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128", permissions_flag=0b1111_0000_1100 | 16)
    out = io.BytesIO()
    writer.write(out)
    opened, text = read(out.getvalue())
    assert text == "Open to read, locked to edit."


def _job(body: bytes, options: DocumentOptions) -> PageJob:
    capture = Capture(url="http://127.0.0.1/doc.pdf", status=200, response_headers=(("Content-Type", "application/pdf"),), body=body, fetched_at=time.time())
    return PageJob(capture=capture, assessment=None, documents=options, stored_rights={})


def _in_worker(job: PageJob):
    async def run():
        pool = WorkerPool(1, soft_timeout=30.0, longest_job=job.documents.timeout)
        try:
            return await pool.run(process_page, job)
        finally:
            await pool.close_async()

    return asyncio.run(run())


def test_the_memory_cap_holds_in_a_worker() -> None:
    # 60 MiB inflated stays under pypdf's own limit (75 MB): only the cap can stop it.
    options = DocumentOptions(kinds=("pdf",), memory=24 * 1024 * 1024)
    outcome = _in_worker(_job(build.inflation_bomb_pdf(60), options))
    assert outcome.failure == "document-memory-limit", outcome
    plain = _in_worker(_job(build.pdf(["Small enough."]), options))
    assert plain.failure is None and plain.row["text"] == "Small enough." and plain.row["page_count"] == 1


def test_the_per_file_time_limit_holds_in_a_worker() -> None:
    options = DocumentOptions(kinds=("pdf",), timeout=0.3, max_pages=100_000)
    body = build.pdf([f"Page {n} of a long report, with some words on it." for n in range(4000)])
    with pytest.raises(ExtractionTimeout):
        _in_worker(_job(body, options))
