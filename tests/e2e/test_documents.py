"""PDF and EPUB documents in real crawls: taken only when asked for, fetched
whole up to the cap, rights read from inside the file with TDMRep's
precedence, text extracted in the worker pool, provenance in WARC and
Parquet, hostile files recorded with their reasons. Every file is built by
tests/documents.py (how each is built is said there)."""

from __future__ import annotations

import json

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.localsite import Route, html, text
from tests import documents as build
from tests.conftest import read_rows, run_tdmcrawl

PDF_TYPE = "application/pdf"
EPUB_TYPE = "application/epub+zip"
POLICY = "https://publisher.example/policies/tdm.json"
REPORT = "Annual report of the lake survey.\nWater levels rose in spring.\nThe ferry ran on time."


def binary(body: bytes, content_type: str = PDF_TYPE, headers: tuple[tuple[str, str], ...] = ()) -> Route:
    return Route(200, [("Content-Type", content_type), *headers], body, template=False)


def index(*paths: str) -> Route:
    links = "".join(f'<li><a href="{path}">{path}</a></li>' for path in paths)
    return html(f"<html><head><title>Library</title></head><body><main><h1>Library</h1><p>Documents of the survey, for the tests.</p><ul>{links}</ul></main></body></html>")


FILES = {
    "/docs/plain.pdf": lambda: binary(build.pdf([REPORT, "Second page: the boathouse roof was repaired."], info={"Title": "Lake survey"})),
    "/docs/reserved.pdf": lambda: binary(build.pdf(["Reserved text must never be stored."], metadata=build.xmp(build.tdm_description("1", POLICY), build.PDFA_EXTENSION_FOR_TDM))),
    "/docs/reserved-attribute.pdf": lambda: binary(build.pdf(["Reserved, attribute form."], metadata=build.xmp(build.tdm_description("1", form="attribute")), metadata_filter=True)),
    "/docs/cc.pdf": lambda: binary(
        build.pdf(
            ["Openly licensed survey notes."],
            metadata=build.xmp(build.tdm_description("0"), build.licence_description(cc_license="http://creativecommons.org/licenses/by-sa/4.0/deed.de", rights="Copyright 2026 Lake Survey")),
        )
    ),
    "/docs/ali.pdf": lambda: binary(build.pdf(["ALI licensed."], metadata=build.xmp(build.licence_description(ali="https://creativecommons.org/licenses/by/4.0/")))),
    "/docs/header-open-xmp-reserved.pdf": lambda: binary(build.pdf(["Header says open."], metadata=build.xmp(build.tdm_description("1"))), headers=(("tdm-reservation", "0"),)),
    "/reserved-area/xmp-open.pdf": lambda: binary(build.pdf(["The file says open."], metadata=build.xmp(build.tdm_description("0")))),
    "/docs/scan.pdf": lambda: binary(build.pdf(raw_contents=[b"q 0 0 m 300 400 l 200 10 l f Q"])),
    "/docs/big.pdf": lambda: binary(build.pdf([("Chapter of a long report. " * 40 + "\n") * 30] * 90, compress=False)),
    "/docs/too-big.pdf": lambda: binary(build.pdf([("Filler line of an oversized file. " * 40 + "\n") * 30] * 140, compress=False)),
    "/docs/octet-stream.pdf": lambda: binary(build.pdf(["Served as a generic download."]), "application/octet-stream"),
    "/hostile/encrypted.pdf": lambda: binary(build.encrypted_pdf()),
    "/hostile/malformed.pdf": lambda: binary(build.malformed_pdf()),
    "/hostile/pages.pdf": lambda: binary(build.pdf(["One real page."], declared_pages=50_000_000)),
    "/hostile/bomb.pdf": lambda: binary(build.inflation_bomb_pdf(120)),
    "/hostile/endless-xmp.pdf": lambda: binary(build.endless_xmp_pdf(2)),
    "/books/reserved.epub": lambda: binary(build.epub(["A reserved novel."], metas='<meta property="tdm:reservation">1</meta>'), EPUB_TYPE),
    "/books/open.epub": lambda: binary(
        build.epub(
            ["The first chapter of an open book.\n\nIts second paragraph.", "The second chapter."],
            version="2.0",
            metas='<meta name="tdm:reservation" content="0"/><meta name="tdm:policy" content="https://publisher.example/ignored.json"/>',
            rights="https://creativecommons.org/publicdomain/zero/1.0/",
        ),
        EPUB_TYPE,
    ),
    "/hostile/bomb.epub": lambda: binary(build.zip_bomb_epub(100), EPUB_TYPE),
}
TDMREP_JSON = json.dumps([{"location": "/reserved-area/", "tdm-reservation": 1}, {"location": "/", "tdm-reservation": 0}])


@pytest.fixture(scope="module")
def document_crawl(tmp_path_factory):
    from crawler.localsite import LocalSite

    routes = {path: make() for path, make in FILES.items()}
    routes["/"] = index(*FILES)
    routes["/.well-known/tdmrep.json"] = Route(200, [("Content-Type", "application/json")], TDMREP_JSON)
    routes["/robots.txt"] = text("User-agent: *\nAllow: /\n")
    site = LocalSite({"lib": routes}).start()
    out = tmp_path_factory.mktemp("documents") / "out"
    try:
        done = run_tdmcrawl(
            "crawl", site.url("lib"), "--out", str(out), "--quiet", "--documents", "pdf,epub",
            "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "TDMCRAWL_WORKERS=1", "-s", "DOWNLOAD_TIMEOUT=20",
            "-s", "TDMCRAWL_DOCUMENT_MAX_SIZE=3000000", "-s", "TDMCRAWL_DOCUMENT_MAX_PAGES=1000",
            timeout=240,
        )
        assert done.returncode == 0, done.stderr
        yield site, out
    finally:
        site.stop()


def _decisions(out):
    return {row["url"]: row for row in read_rows(out / "data" / "decisions")}


def _documents(out):
    return {row["url"]: row for row in read_rows(out / "data" / "documents")}


def test_tdm_reservation_in_xmp_excludes_under_strict_naming_the_xmp_source(document_crawl) -> None:
    site, out = document_crawl
    decisions = _decisions(out)
    for path in ("/docs/reserved.pdf", "/docs/reserved-attribute.pdf", "/docs/header-open-xmp-reserved.pdf"):
        row = decisions[site.url("lib", path)]
        assert (row["decision"], row["reason"], row["reason_family"], row["stage"]) == ("excluded", "tdmrep-reserved", "tdmrep", "page"), row
        assert row["evidence"].startswith("tdmrep pdf-xmp:tdm:reservation: 1"), row["evidence"]
    evidence = json.loads(decisions[site.url("lib", "/docs/reserved.pdf")]["evidence_json"])
    assert {"signal": "tdmrep", "source": "pdf-xmp:tdm:policy", "value": POLICY}.items() <= evidence[1].items()
    # The header's 0 is superseded by the file's own 1, and kept in the evidence as such.
    superseded = json.loads(decisions[site.url("lib", "/docs/header-open-xmp-reserved.pdf")]["evidence_json"])
    assert any(e["source"] == "header:tdm-reservation" and e["note"].startswith("superseded by pdf value 1") for e in superseded)
    stored = _documents(out)
    assert not any("reserved" in url and url.endswith(".pdf") and "reserved-area" not in url for url in stored)


def test_file_level_signals_apply_before_the_download_and_xmp_supersedes_tdmrep_json(document_crawl) -> None:
    site, out = document_crawl
    # tdmrep.json reserves /reserved-area/: decided at request time, the PDF is never fetched.
    row = _decisions(out)[site.url("lib", "/reserved-area/xmp-open.pdf")]
    assert (row["decision"], row["reason"], row["stage"]) == ("excluded", "tdmrep-reserved", "request")
    assert "/reserved-area/xmp-open.pdf" not in site.paths("lib")
    # tdmrep.json says 0 for the rest; the file's own XMP 1 supersedes it.
    evidence = json.loads(_decisions(out)[site.url("lib", "/docs/reserved.pdf")]["evidence_json"])
    assert any(e["source"].endswith("/.well-known/tdmrep.json") and e["note"].startswith("superseded by pdf value 1") for e in evidence), evidence


def test_plain_pdf_is_stored_whole_with_its_text_pages_and_provenance(document_crawl) -> None:
    site, out = document_crawl
    url = site.url("lib", "/docs/plain.pdf")
    row = _documents(out)[url]
    original = FILES["/docs/plain.pdf"]().body
    assert "Water levels rose in spring." in row["text"] and "boathouse roof" in row["text"]
    assert (row["content_mime_type"], row["content_mime_detected"], row["page_count"], row["no_text_layer"]) == (PDF_TYPE, PDF_TYPE, 2, False)
    assert row["extractor"].startswith("pypdf ") and row["title"] == "Lake survey" and row["language"] == "en"
    assert row["content_length"] == len(original) and row["content_truncated"] is None
    assert _decisions(out)[url]["decision"] == "stored"
    with open(out / row["file_path"], "rb") as handle:
        handle.seek(row["warc_record_offset"])
        record = next(iter(ArchiveIterator(handle)))
        assert record.rec_headers.get_header("WARC-Identified-Payload-Type") == PDF_TYPE
        assert record.content_stream().read() == original
    with open(out / row["wet_file_path"], "rb") as handle:
        handle.seek(row["wet_record_offset"])
        assert "Water levels rose in spring." in next(iter(ArchiveIterator(handle))).content_stream().read().decode("utf-8")


def test_large_pdf_is_fetched_whole_and_one_over_the_cap_is_never_stored(document_crawl) -> None:
    site, out = document_crawl
    big = FILES["/docs/big.pdf"]().body
    assert 2_000_000 < len(big) < 3_000_000  # well above Common Crawl's 1 MiB cut
    row = _documents(out)[site.url("lib", "/docs/big.pdf")]
    assert row["content_length"] == len(big) and row["page_count"] == 90 and row["content_truncated"] is None
    over = _decisions(out)[site.url("lib", "/docs/too-big.pdf")]
    assert (over["decision"], over["reason"]) == ("failed", "fetch-size-limit"), over
    assert site.url("lib", "/docs/too-big.pdf") not in _documents(out)


def test_licence_in_xmp_and_package_metadata_becomes_spdx_with_its_source(document_crawl) -> None:
    site, out = document_crawl
    documents = _documents(out)
    cc = documents[site.url("lib", "/docs/cc.pdf")]
    assert (cc["license"], cc["license_source"]) == ("CC-BY-SA-4.0", "xmp-cc-license"), cc["license_evidence"]
    assert {c["source"] for c in cc["license_candidates"]} == {"xmp-cc-license", "xmp-dc-rights"}
    assert cc["copyright_notice"] == "Copyright 2026 Lake Survey"
    ali = documents[site.url("lib", "/docs/ali.pdf")]
    assert (ali["license"], ali["license_source"]) == ("CC-BY-4.0", "ali-license-ref")
    book = documents[site.url("lib", "/books/open.epub")]
    assert (book["license"], book["license_source"]) == ("CC0-1.0", "epub-dc-rights")
    # The metadata record beside the response carries the XMP rights fields.
    with open(out / cc["file_path"], "rb") as handle:
        handle.seek(cc["warc_metadata_offset"])
        metadata = next(iter(ArchiveIterator(handle))).content_stream().read().decode("utf-8")
    assert "xmp-tdm:reservation: 0" in metadata and "xmp-cc:license: http://creativecommons.org/licenses/by-sa/4.0/deed.de" in metadata
    assert "document-type: pdf" in metadata and "page-count: 1" in metadata


def test_epub_tdmrep_metadata_is_read(document_crawl) -> None:
    site, out = document_crawl
    reserved = _decisions(out)[site.url("lib", "/books/reserved.epub")]
    assert (reserved["decision"], reserved["reason"]) == ("excluded", "tdmrep-reserved")
    assert reserved["evidence"].startswith("tdmrep epub-opf:tdm:reservation: 1")
    book = _documents(out)[site.url("lib", "/books/open.epub")]
    assert (book["tdm_reservation"], book["tdm_source"], book["tdm_policy"]) == (0, "epub", None)
    assert (book["content_mime_detected"], book["page_count"]) == (EPUB_TYPE, 2)
    assert "Its second paragraph." in book["text"] and "The second chapter." in book["text"]


def test_pdf_without_text_layer_is_stored_with_empty_text_and_a_flag(document_crawl) -> None:
    site, out = document_crawl
    row = _documents(out)[site.url("lib", "/docs/scan.pdf")]
    assert (row["text"], row["no_text_layer"], row["page_count"], row["wet_file_path"]) == ("", True, 1, None)


def test_hostile_files_get_their_reasons_and_the_crawl_goes_on(document_crawl) -> None:
    site, out = document_crawl
    decisions = _decisions(out)
    expected = {
        "/hostile/encrypted.pdf": "document-encrypted",
        "/hostile/malformed.pdf": "document-malformed",
        "/hostile/pages.pdf": "document-too-many-pages",
        "/hostile/bomb.pdf": "document-decompression-limit",
        "/hostile/endless-xmp.pdf": "document-metadata-too-large",
        "/hostile/bomb.epub": "document-decompression-limit",
    }
    for path, reason in expected.items():
        row = decisions[site.url("lib", path)]
        assert (row["decision"], row["reason"], row["stage"]) == ("failed", reason, "page"), row
        assert row["evidence"], row
    assert "password" in decisions[site.url("lib", "/hostile/encrypted.pdf")]["evidence"]
    assert "50000000 pages" in decisions[site.url("lib", "/hostile/pages.pdf")]["evidence"]
    # Everything else was still collected, the generic download type included.
    assert _decisions(out)[site.url("lib", "/docs/octet-stream.pdf")]["decision"] == "stored"


def test_summary_counts_documents_by_type_and_the_card_states_them(document_crawl) -> None:
    _, out = document_crawl
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    documents = _documents(out)
    pdfs = sum(1 for row in documents.values() if row["content_mime_detected"] == PDF_TYPE)
    assert summary["document_types"]["collected"] == ["html", "pdf", "epub"]
    assert summary["document_types"]["by_type"] == {"html": 1, "pdf": pdfs, "epub": 1}
    card = (out / "README.md").read_text("utf-8")
    assert f"Document types collected: HTML pages (1), PDF documents ({pdfs}), EPUB publications (1)." in card


def test_extract_rebuilds_pdf_rows_from_the_warc(document_crawl, tmp_path) -> None:
    import shutil

    site, out = document_crawl
    copy = tmp_path / "copy"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns(".job"))
    before = _documents(copy)
    done = run_tdmcrawl("extract", str(copy), timeout=240)
    assert done.returncode == 0, done.stderr
    after = _documents(copy)
    assert set(after) == set(before)
    for url in (site.url("lib", "/docs/plain.pdf"), site.url("lib", "/docs/cc.pdf"), site.url("lib", "/books/open.epub"), site.url("lib", "/docs/scan.pdf")):
        for column in ("text", "page_count", "no_text_layer", "license", "license_source", "tdm_reservation", "tdm_source", "extractor", "id"):
            assert after[url][column] == before[url][column], (url, column)


def test_documents_are_not_collected_unless_asked_for(crawl, site_factory) -> None:
    site = site_factory({"a": {"/": index("/report.pdf"), "/report.pdf": binary(build.pdf([REPORT]))}})
    result = crawl(site.url("a"))
    assert result.returncode == 0, result.stderr
    row = result.decision_for(site.url("a", "/report.pdf"))
    assert (row["decision"], row["reason"], row["stage"]) == ("excluded", "not-html", "headers")
    assert [d["content_mime_detected"] for d in result.documents()] == ["text/html"]
