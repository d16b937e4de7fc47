"""The demo crawl's output as the tools of the field read it.

datatrove's ``WarcReader`` over ``warc/`` and ``wet/``, ``cdxj-indexer`` over
``warc/``, warcio with digest checking over every WARC file, pyarrow's view of
the Parquet shards (the Hub's "optimized Parquet" layout), ``datasets`` and
``huggingface_hub`` reading the folder and its card. Each tool's answer is
checked against the documents table, so a record the tables do not point at,
or a pointer without its record, fails a test.

These tests read the session's demo crawl and never write into its folder.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from warcio.archiveiterator import ArchiveIterator

from crawler.model.capture import BODY_CONVENTION
from crawler.localsite import LocalSite, Route, text
from pipelines.formats.parquet import ShardedParquetWriter, recover_shards
from pipelines.formats.schema import DECISIONS_SCHEMA, DOCUMENTS_SCHEMA, column_descriptions
from tests.conftest import CrawlResult, read_rows

HUB_MAX_ROWS_PER_GROUP = 1_000
HUB_MAX_ROW_GROUP_BYTES = 100 * 1000 * 1000  # uncompressed
WARC_SETS = ("warc", "wet", "policy")


# ------------------------------------------------------------------ reading helpers
@pytest.fixture(scope="module")
def demo_out(demo_crawl: tuple[CrawlResult, LocalSite, dict]) -> Path:
    result, _, _ = demo_crawl
    assert result.returncode == 0, result.stderr[-3000:]
    return result.out


@pytest.fixture(scope="module")
def demo_documents(demo_out: Path) -> list[dict[str, Any]]:
    rows = read_rows(demo_out / "data" / "documents")
    assert rows, "the demo crawl stored nothing"
    return rows


def warc_files(out: Path, folder: str) -> list[Path]:
    return sorted(p for p in (out / folder).glob("*.gz") if not p.name.startswith("."))


def records(path: Path, check_digests: bool | str = False) -> Iterator[tuple[Any, bytes, int, int]]:
    """(record, its content bytes, offset, compressed length) for every record of a file."""
    with open(path, "rb") as handle:
        iterator = ArchiveIterator(handle, check_digests=check_digests)
        for record in iterator:
            content = record.content_stream().read()
            iterator.read_to_end(record)
            yield record, content, iterator.get_record_offset(), iterator.get_record_length()


def record_at(out: Path, file_path: str, offset: int) -> tuple[Any, bytes]:
    with open(out / file_path, "rb") as handle:
        handle.seek(offset)
        record = next(iter(ArchiveIterator(handle)))
        return record, record.content_stream().read()


def warc_fields(block: bytes) -> dict[str, str]:
    """``application/warc-fields``: every line must be ``name: value``."""
    fields: dict[str, str] = {}
    for line in block.decode("utf-8").split("\r\n"):
        if not line:
            continue
        match = re.fullmatch(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+): (.*)", line)
        assert match, f"not a name: value line: {line!r}"
        fields[match.group(1)] = match.group(2)
    return fields


def sha1_base32(data: bytes) -> str:
    return base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def wet_block(row: dict[str, Any]) -> str:
    # pipelines/formats/warc.py build_document_records: the title, a blank line, the text
    return f"{row['title']}\n\n{row['text']}" if row["title"] else row["text"]


# ------------------------------------------------------------------ datatrove
@pytest.fixture(scope="module")
def warc_reader() -> Any:
    pytest.importorskip("datatrove", reason="datatrove reads WARC and WET files")
    pytest.importorskip("cchardet", reason="datatrove's WarcReader needs faust-cchardet (datatrove[io])")
    pytest.importorskip("magic", reason="datatrove's WarcReader needs python-magic (datatrove[io])")
    from datatrove.pipeline.readers import WarcReader

    return WarcReader


def test_datatrove_reads_one_document_per_stored_page_from_warc(warc_reader: Any, demo_out: Path, demo_documents: list[dict]) -> None:
    found = list(warc_reader(str(demo_out / "warc")).run())
    by_id = {row["id"]: row for row in demo_documents}
    assert sorted(d.id for d in found) == sorted(by_id), "datatrove must see each stored page once, and no request or metadata record"
    for document in found:
        row = by_id[document.id]
        assert document.metadata["url"] == row["url"]
        assert document.metadata["date"] == row["date"]
        assert row["content_charset"] == "utf-8"  # the demo's pages; datatrove tries UTF-8 first
        assert document.text.encode("utf-8") == record_at(demo_out, row["file_path"], row["warc_record_offset"])[1]
        assert "<html" in document.text.lower()  # the decoded body: plain HTML, as the body convention promises
    # the files it read do hold request and metadata records besides the responses
    types = Counter(record.rec_type for path in warc_files(demo_out, "warc") for record, *_ in records(path))
    assert types["response"] == len(found) and types["request"] == len(found) and types["metadata"] == len(found)


def test_datatrove_reads_the_extracted_text_from_wet(warc_reader: Any, demo_out: Path, demo_documents: list[dict]) -> None:
    found = list(warc_reader(str(demo_out / "wet")).run())
    with_text = [row for row in demo_documents if row["warc_conversion_id"]]
    assert len(with_text) == len(demo_documents), "every stored demo page has text, so every one has a WET record"
    by_conversion = {row["warc_conversion_id"]: row for row in with_text}
    assert sorted(d.id for d in found) == sorted(by_conversion)
    for document in found:
        row = by_conversion[document.id]
        assert document.metadata["url"] == row["url"]
        assert document.text == wet_block(row)


# ------------------------------------------------------------------ cdxj-indexer
def test_cdxj_indexer_indexes_exactly_the_stored_responses(demo_out: Path, demo_documents: list[dict], tmp_path: Path) -> None:
    pytest.importorskip("cdxj_indexer", reason="cdxj-indexer indexes WARC files for pywb")
    from cdxj_indexer.main import main as cdxj_indexer

    index = tmp_path / "index.cdxj"
    cdxj_indexer(["--dir-root", str(demo_out), "-o", str(index), str(demo_out / "warc")])
    lines = [json.loads(line.split(" ", 2)[2]) for line in index.read_text("utf-8").splitlines() if line.strip()]
    assert sorted(entry["url"] for entry in lines) == sorted(row["url"] for row in demo_documents), "one line per response; request and metadata records are not indexed"
    by_place = {(row["file_path"], row["warc_record_offset"]): row for row in demo_documents}
    for entry in lines:
        row = by_place.get((entry["filename"], int(entry["offset"])))
        assert row is not None, f"the index points at no documents row: {entry}"
        assert entry["url"] == row["url"]
        assert int(entry["length"]) == row["warc_record_length"]
        assert entry["status"] == "200" == str(row["fetch_status"])
        assert entry["digest"] == "sha1:" + row["content_digest"]
        assert entry["mime"] == row["content_mime_type"]


# ------------------------------------------------------------------ warcio
def test_warcio_verifies_every_digest_of_every_file(demo_out: Path) -> None:
    counted = Counter()
    for folder in WARC_SETS:
        files = warc_files(demo_out, folder)
        assert files, f"no files in {folder}/"
        for path in files:
            for record, *_ in records(path, check_digests="raise"):
                counted[(folder, record.rec_type)] += 1
                if record.rec_type == "response":
                    assert record.rec_headers.get_header("WARC-Payload-Digest", "").startswith("sha1:")
                    assert record.rec_headers.get_header("WARC-Block-Digest", "").startswith("sha1:")
    assert counted[("warc", "response")] and counted[("wet", "conversion")] and counted[("policy", "response")]


def test_every_record_names_its_files_warcinfo_and_the_capture_it_belongs_to(demo_out: Path, demo_documents: list[dict]) -> None:
    for folder in WARC_SETS:
        for path in warc_files(demo_out, folder):
            found = list(records(path))
            first = found[0][0]
            assert first.rec_type == "warcinfo" and first.rec_headers.get_header("WARC-Filename") == path.name
            warcinfo_id = first.rec_headers.get_header("WARC-Record-ID")
            ids = {r.rec_headers.get_header("WARC-Record-ID"): r for r, *_ in found}
            assert len(ids) == len(found), "record ids are unique"
            for record, *_ in found[1:]:
                headers = record.rec_headers
                assert record.rec_type != "warcinfo", f"one warcinfo per file, first: {path.name}"
                assert headers.get_header("WARC-Warcinfo-ID") == warcinfo_id, f"{record.rec_type} of {path.name}"
                if record.rec_type in ("metadata", "request"):
                    partner = ids.get(headers.get_header("WARC-Concurrent-To"))
                    assert partner is not None and partner.rec_type == "response", f"{record.rec_type} {headers.get_header('WARC-Record-ID')}"
                    assert partner.rec_headers.get_header("WARC-Date") == headers.get_header("WARC-Date")
                    assert partner.rec_headers.get_header("WARC-Target-URI") == headers.get_header("WARC-Target-URI")
    for row in demo_documents:
        record, _ = record_at(demo_out, row["file_path"], row["warc_record_offset"])
        assert record.rec_headers.get_header("WARC-Record-ID") == row["id"]
        assert record.rec_headers.get_header("WARC-Warcinfo-ID") == row["warcinfo_id"]
        assert record.rec_headers.get_header("WARC-Concurrent-To") == row["warc_request_id"]
        metadata, _ = record_at(demo_out, row["file_path"], row["warc_metadata_offset"])
        assert metadata.rec_type == "metadata" and metadata.rec_headers.get_header("WARC-Record-ID") == row["warc_metadata_id"]
        conversion, block = record_at(demo_out, row["wet_file_path"], row["wet_record_offset"])
        assert conversion.rec_type == "conversion"
        assert conversion.rec_headers.get_header("WARC-Record-ID") == row["warc_conversion_id"]
        assert conversion.rec_headers.get_header("WARC-Refers-To") == row["id"]
        assert block.decode("utf-8") == wet_block(row)


def warcinfo_of(path: Path) -> dict[str, str]:
    reading = records(path)
    try:
        record, block, *_ = next(reading)
    finally:
        reading.close()
    assert record.rec_type == "warcinfo"
    assert record.rec_headers.get_header("Content-Type") == "application/warc-fields"
    return warc_fields(block)


def test_warcinfo_names_the_crawler_the_operator_and_the_policy(demo_out: Path, demo_documents: list[dict]) -> None:
    run = json.loads(next((demo_out / "runs").glob("*.json")).read_text("utf-8"))
    crawl_ids = {row["dump"] for row in demo_documents}
    for folder in WARC_SETS:
        for path in warc_files(demo_out, folder):
            info = warcinfo_of(path)
            assert info["software"].startswith("tdmcrawl/")
            assert info["operator"] == "mailto:tests@tdmcrawl.invalid"
            assert info["http-header-user-agent"] == run["user_agent"] == "tdmcrawl/" + run["software"]["tdmcrawl"] + " (+mailto:tests@tdmcrawl.invalid)"
            assert "RFC 9309" in info["robots-policy"]
            assert "strict" in info["rights-policy"]
            assert info["isPartOf"] == run["crawl_id"] and {info["isPartOf"]} == crawl_ids
            assert info["format"] == "WARC File Format 1.1"


def test_warcinfo_states_the_body_convention(demo_out: Path) -> None:
    for folder in WARC_SETS:
        for path in warc_files(demo_out, folder):
            assert BODY_CONVENTION in warcinfo_of(path).values(), path.name


def assert_http_head_as_stored(record: Any, content: bytes) -> None:
    """HTTP/1.1 syntax, no framing header that no longer describes the stored
    (decoded) body, and a true Content-Length."""
    http = record.http_headers
    assert http is not None
    if record.rec_type == "response":
        assert http.protocol == "HTTP/1.1", http.statusline
    else:
        assert http.statusline.endswith(" HTTP/1.1"), http.statusline
        return
    names = [name.lower() for name, _ in http.headers]
    assert "content-encoding" not in names and "transfer-encoding" not in names, http.headers
    assert names.count("content-length") == 1
    assert int(http.get_header("Content-Length")) == len(content)


def test_http_heads_are_http_1_1_with_a_true_content_length(demo_out: Path, demo_documents: list[dict]) -> None:
    for folder in ("warc", "policy"):
        for path in warc_files(demo_out, folder):
            for record, content, *_ in records(path):
                if record.rec_type in ("request", "response"):
                    assert_http_head_as_stored(record, content)
    for row in demo_documents:
        record, body = record_at(demo_out, row["file_path"], row["warc_record_offset"])
        assert row["content_length"] == len(body)
        assert row["content_digest"] == sha1_base32(body)
        assert row["content_sha256"] == hashlib.sha256(body).hexdigest()
        assert record.rec_headers.get_header("WARC-Payload-Digest") == "sha1:" + row["content_digest"]
        assert record.rec_headers.get_header("WARC-Identified-Payload-Type") == row["content_mime_detected"]


def test_metadata_record_fields_and_rights_match_the_row(demo_out: Path, demo_documents: list[dict]) -> None:
    for row in demo_documents:
        record, block = record_at(demo_out, row["file_path"], row["warc_metadata_offset"])
        assert record.rec_headers.get_header("Content-Type") == "application/warc-fields"
        fields = warc_fields(block)
        assert fields["policy-profile"] == row["policy_profile"]
        assert fields["text-sha256"] == row["text_sha256"] == hashlib.sha256(row["text"].encode("utf-8")).hexdigest()
        assert fields.get("license-detected") == row["license"]
        rights = json.loads(fields["tdmcrawl-rights"])
        assert rights, "the rights record is not empty"
        for name, value in rights.items():
            assert name in DOCUMENTS_SCHEMA.names, f"{name} in tdmcrawl-rights is not a documents column"
            column = row[name]
            if name.endswith("_time") and column is not None:
                assert value == pytest.approx(column.timestamp(), abs=1e-6), name
            else:
                assert value == column, f"{row['url']}: {name}"
        for required in ("robots_allowed", "robots_rule", "robots_txt_digest", "tdm_reservation", "content_usage_train_ai", "usage_train", "rights_evidence"):
            assert required in rights


def test_compressed_and_chunked_bodies_are_stored_decoded(crawl: Any, site_factory: Any) -> None:
    """The demo serves identity bodies; this site does not, so the framing
    headers of the body convention are really exercised."""
    story = "<p>" + "The ferry left the harbour at dawn with the mail and the bread. " * 30 + "</p>"
    gzipped = f"<!DOCTYPE html><html lang='en'><head><title>Gzipped</title></head><body><main>{story}<a href='/chunked.html'>more</a></main></body></html>".encode()
    chunked_page = f"<!DOCTYPE html><html lang='en'><head><title>Chunked</title></head><body><main>{story}</main></body></html>".encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunked_page[i : i + 200]), chunked_page[i : i + 200]) for i in range(0, len(chunked_page), 200)) + b"0\r\n\r\n"
    site = site_factory({
        "framing": {
            "/robots.txt": text("User-agent: *\nAllow: /\n"),
            "/": Route(200, [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")], gzip.compress(gzipped)),
            "/chunked.html": Route(200, [("Content-Type", "text/html; charset=utf-8"), ("Transfer-Encoding", "chunked")], chunked),
        }
    })
    result = crawl(site.url("framing", "/"))
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {row["url"]: row for row in result.documents()}
    expected = {site.url("framing", "/"): gzipped, site.url("framing", "/chunked.html"): chunked_page}
    assert set(rows) == set(expected)
    for url, body in expected.items():
        record, content = record_at(result.out, rows[url]["file_path"], rows[url]["warc_record_offset"])
        assert content == body
        assert_http_head_as_stored(record, content)
    gzip_record, _ = record_at(result.out, rows[site.url("framing", "/")]["file_path"], rows[site.url("framing", "/")]["warc_record_offset"])
    assert gzip_record.http_headers.get_header("X-Crawler-Content-Encoding") == "gzip"
    assert int(gzip_record.http_headers.get_header("X-Crawler-Content-Length")) == len(gzip.compress(gzipped))  # the wire length, kept


# ------------------------------------------------------------------ Parquet for the Hub
def parquet_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))


def shards(out: Path, table: str) -> list[Path]:
    return parquet_files(out / "data" / table)


def assert_hub_layout(path: Path) -> None:
    metadata = pq.ParquetFile(path).metadata
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        assert group.num_rows <= HUB_MAX_ROWS_PER_GROUP, f"{path.name} row group {g}: {group.num_rows} rows"
        assert group.total_byte_size <= HUB_MAX_ROW_GROUP_BYTES, f"{path.name} row group {g}: {group.total_byte_size} bytes"
        for c in range(group.num_columns):
            column = group.column(c)
            assert column.compression == "ZSTD", f"{path.name} {column.path_in_schema}: {column.compression}"
            assert column.has_offset_index and column.has_column_index, f"{path.name} {column.path_in_schema}: no page index"


@pytest.mark.parametrize(("table", "schema"), [("documents", DOCUMENTS_SCHEMA), ("decisions", DECISIONS_SCHEMA)])
def test_every_shard_has_the_pinned_schema_and_the_hub_layout(demo_out: Path, table: str, schema: pa.Schema) -> None:
    files = shards(demo_out, table)
    assert files
    for path in files:
        written = pq.read_schema(path)
        assert written.equals(schema, check_metadata=False), f"{path.name}: {written}"
        assert [f.nullable for f in written] == [f.nullable for f in schema]
        assert column_descriptions(written) == column_descriptions(schema)
        assert written.metadata[b"tdmcrawl.table"] == table.encode()
        assert_hub_layout(path)


def decision_row(i: int) -> dict[str, Any]:
    return {
        "url": f"http://127.0.0.1/page/{i}", "final_url": None, "decision": "excluded", "reason": "robots-disallow",
        "reason_family": "robots", "evidence": "line 2: disallow: /page/", "evidence_json": "[]", "decided_at": 1_790_000_000.0 + i,
        "stage": "request", "fetch_status": None, "url_host_name": "127.0.0.1", "url_host_registered_domain": "127.0.0.1",
        "depth": 1, "via": None, "document_id": None, "policy_digests": [], "reservations": [], "policy_profile": "strict", "dump": "c",
    }


def test_the_default_writer_keeps_row_groups_within_the_hub_limits(tmp_path: Path) -> None:
    writer = ShardedParquetWriter(tmp_path, DECISIONS_SCHEMA, "decisions-c-w0")
    for i in range(2_500):
        writer.write(decision_row(i))
    writer.close()
    [path] = parquet_files(tmp_path)
    assert [pq.ParquetFile(path).metadata.row_group(g).num_rows for g in range(pq.ParquetFile(path).metadata.num_row_groups)] == [1_000, 1_000, 500]
    assert_hub_layout(path)


def test_a_shard_rebuilt_after_a_kill_keeps_the_hub_layout(tmp_path: Path) -> None:
    writer = ShardedParquetWriter(tmp_path, DECISIONS_SCHEMA, "decisions-c-w0")
    for i in range(2_500):
        writer.write(decision_row(i))
    writer.flush(wait=True)  # killed here: no close()
    assert recover_shards(tmp_path, DECISIONS_SCHEMA) == [("decisions-c-w0-00000.parquet", 2_500)]
    [path] = parquet_files(tmp_path)
    assert_hub_layout(path)


@pytest.mark.parametrize("config", ["documents", "decisions"])
def test_datasets_loads_the_rows_pyarrow_reads(demo_out: Path, config: str, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset(str(demo_out), config, split="train", cache_dir=str(tmp_path))
    table = pa.concat_tables(pq.read_table(path) for path in shards(demo_out, config))
    assert loaded.column_names == table.column_names
    assert loaded.data.table.to_pylist() == table.to_pylist()
    assert loaded.num_rows == table.num_rows > 0


def card_front_matter(out: Path) -> dict[str, Any]:
    card = (out / "README.md").read_text("utf-8")
    assert card.startswith("---\n")
    front, _ = card[4:].split("\n---\n", 1)
    return yaml.safe_load(front)


def test_card_front_matter_is_what_the_hub_reads(demo_out: Path, demo_documents: list[dict]) -> None:
    front = card_front_matter(demo_out)
    summary = json.loads((demo_out / "summary.json").read_text("utf-8"))
    configs = {c["config_name"]: c for c in front["configs"]}
    assert list(configs) == ["documents", "decisions"]
    assert configs["documents"].get("default") is True and not configs["decisions"].get("default")
    for name, config in configs.items():
        [files] = config["data_files"]
        # the shard files of the current version by name (a glob would let datasets' cache serve an older version)
        shards = sorted(p.relative_to(demo_out).as_posix() for p in (demo_out / "data" / name).glob("*.parquet") if not p.name.startswith("."))
        assert files == {"split": "train", "path": shards} and shards
        assert "dataset version " in config["description"]
    assert front["pretty_name"] and all(crawl_id in front["pretty_name"] for crawl_id in summary["crawl_ids"])
    assert set(front["language"]) == {row["language"] for row in demo_documents if row["language"]}
    assert front["size_categories"] == ["n<1K"]
    assert "tdmcrawl" in front["tags"]
    licences = {row["license"] for row in demo_documents}
    assert len(licences) > 1, "the demo's licences are mixed"
    assert front["license"] == "other"
    assert front["license_name"] and front["license_link"] == "LICENSE.md"
    assert (demo_out / "LICENSE.md").is_file()
    listed = (demo_out / "LICENSE.md").read_text("utf-8")
    for licence, count in Counter(row["license"] or "none" for row in demo_documents).items():
        assert f"{licence}: {count}" in listed


def test_huggingface_hub_parses_the_card(demo_out: Path) -> None:
    from huggingface_hub import DatasetCard

    card = DatasetCard((demo_out / "README.md").read_text("utf-8"))
    data = card.data.to_dict()
    assert data["license"] == "other" and data["license_link"] == "LICENSE.md"
    assert [c["config_name"] for c in data["configs"]] == ["documents", "decisions"]
    assert "# tdmcrawl web crawl" in card.text
