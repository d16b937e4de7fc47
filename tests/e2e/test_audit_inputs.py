"""``tdmcrawl audit`` on datasets rather than URL lists: a folder of Parquet
files with id and text columns, and a dataset saved by ``datasets``
(``save_to_disk``, Arrow files, a DatasetDict of splits). Each row is joined
back to its input by (input_file, input_row), the filtered copy keeps the
input's schema and features and loads with ``datasets``, and the summary
counts the documents and characters excluded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawler.localsite import LocalSite, Route, html, text
from tests.conftest import FAST, read_rows, run_tdmcrawl


@pytest.fixture(scope="module")
def site() -> Any:
    site = LocalSite({
        "open": {"/robots.txt": text("User-agent: *\nAllow: /\n"), "/*": html("<p>page</p>")},
        "closed": {"/robots.txt": text("User-agent: *\nDisallow: /members/\n"), "/*": html("<p>page</p>")},
        "reserved": {"/robots.txt": text("User-agent: *\nAllow: /\n"), "/.well-known/tdmrep.json": Route(200, [("Content-Type", "application/json")], '[{"location": "/", "tdm-reservation": 1}]')},
    }).start()
    yield site
    site.stop()


def rows_for(site: LocalSite) -> list[dict[str, Any]]:
    """Twelve documents: four per origin, one of them a members page; texts of known lengths."""
    rows = []
    for origin in ("open", "closed", "reserved"):
        for n in range(4):
            path = f"/members/{n}" if n == 0 else f"/posts/{n}"
            rows.append({"id": f"{origin}-{n}", "url": site.url(origin, path), "text": "é" * (10 * (n + 1)), "score": float(n)})
    return rows


def excluded_ids(rows: list[dict[str, Any]]) -> set[str]:
    return {r["id"] for r in rows if r["id"].startswith("reserved-") or r["id"] in ("closed-0",)}


def audit(tmp_path: Path, *inputs: str, extra: tuple[str, ...] = ()) -> tuple[Path, list[dict[str, Any]], dict[str, Any]]:
    out = tmp_path / "out"
    done = run_tdmcrawl("audit", *inputs, "--out", str(out), "--quiet", "--allow-private-addresses", "--write-filtered", str(tmp_path / "filtered.parquet"), *FAST, *extra)
    assert done.returncode == 0, done.stderr[-3000:]
    return out, read_rows(out / "data" / "decisions"), json.loads((out / "summary.json").read_text())


def test_parquet_folder_with_id_and_text(site: LocalSite, tmp_path: Path) -> None:
    from datasets import load_dataset

    rows = rows_for(site)
    folder = tmp_path / "fineweb-like" / "data"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows[:7]), folder / "train-00000.parquet", row_group_size=3)
    pq.write_table(pa.Table.from_pylist(rows[7:]), folder / "train-00001.parquet")
    out, decisions, summary = audit(tmp_path, str(tmp_path / "fineweb-like"))
    assert len(decisions) == len(rows)
    by_id = {d["input_id"]: d for d in decisions}
    for row in rows:
        decision = by_id[row["id"]]
        expected_file, position = ("data/train-00000.parquet", rows.index(row)) if rows.index(row) < 7 else ("data/train-00001.parquet", rows.index(row) - 7)
        assert (decision["input_file"], decision["input_row"], decision["url"]) == (expected_file, position, row["url"])
        assert decision["decision"] == ("excluded" if row["id"] in excluded_ids(rows) else "allowed"), decision
    assert by_id["closed-0"]["reason"] == "robots-disallow" and by_id["reserved-1"]["reason"] == "tdmrep-reserved"
    text = summary["text"]
    gone = [r for r in rows if r["id"] in excluded_ids(rows)]
    assert text["column"] == "text" and text["documents"] == 12 and text["documents_excluded"] == len(gone)
    assert text["characters"] == sum(len(r["text"]) for r in rows)  # characters, not UTF-8 bytes
    assert text["characters_excluded"] == sum(len(r["text"]) for r in gone)
    filtered = load_dataset("parquet", data_files=str(tmp_path / "filtered.parquet"), split="train", cache_dir=str(tmp_path / "cache"))
    assert filtered.column_names == ["id", "url", "text", "score"]
    assert filtered["id"] == [r["id"] for r in rows if r["id"] not in excluded_ids(rows)]
    assert pq.read_schema(tmp_path / "filtered.parquet").remove_metadata() == pq.read_schema(folder / "train-00000.parquet").remove_metadata()


def test_saved_hugging_face_dataset(site: LocalSite, tmp_path: Path) -> None:
    from datasets import ClassLabel, Dataset, DatasetDict, load_dataset

    rows = rows_for(site)
    for row in rows:
        row["label"] = rows.index(row) % 2
    saved = DatasetDict({
        "train": Dataset.from_list(rows[:8]).cast_column("label", ClassLabel(names=["news", "forum"])),
        "test": Dataset.from_list(rows[8:]).cast_column("label", ClassLabel(names=["news", "forum"])),
    })
    saved.save_to_disk(str(tmp_path / "saved"), max_shard_size="1KB")
    out, decisions, summary = audit(tmp_path, str(tmp_path / "saved"), extra=("--id-column", "id"))
    assert sorted(d["input_id"] for d in decisions) == sorted(r["id"] for r in rows)
    assert {d["input_file"].split("/")[0] for d in decisions} == {"train", "test"}
    assert summary["text"]["documents_excluded"] == len(excluded_ids(rows))
    filtered = load_dataset("parquet", data_files=str(tmp_path / "filtered.parquet"), split="train", cache_dir=str(tmp_path / "cache"))
    assert filtered.features["label"] == ClassLabel(names=["news", "forum"])  # the input's features survive
    assert sorted(filtered["id"]) == sorted(r["id"] for r in rows if r["id"] not in excluded_ids(rows))


def test_a_url_column_of_another_name_and_rows_without_a_url(site: LocalSite, tmp_path: Path) -> None:
    table = pa.table({"link": [site.url("open", "/a"), None, "mailto:someone@example.org", site.url("closed", "/members/x")]})
    pq.write_table(table, tmp_path / "links.parquet")
    done = run_tdmcrawl("audit", str(tmp_path / "links.parquet"), "--out", str(tmp_path / "wrong"), "--quiet")
    assert done.returncode == 2 and "no column 'url'" in done.stderr
    out, decisions, summary = audit(tmp_path, str(tmp_path / "links.parquet"), extra=("--url-column", "link"))
    by_row = {d["input_row"]: d for d in decisions}
    assert [by_row[n]["decision"] for n in range(4)] == ["allowed", "excluded", "excluded", "excluded"]
    assert [by_row[n]["reason"] for n in range(4)] == [None, "invalid-url", "invalid-url", "robots-disallow"]
    assert "text" not in summary
    assert pq.read_table(tmp_path / "filtered.parquet").column("link").to_pylist() == [site.url("open", "/a")]


def test_with_headers_the_download_stops_at_the_headers(tmp_path: Path) -> None:
    """A page that sends its headers and then nothing: an audit that waited for
    the body would time out; one that stops at the headers reads a 200."""
    hanging = LocalSite({
        "slow": {
            "/robots.txt": text("User-agent: *\nAllow: /\n"),
            "/hangs": Route(200, [("Content-Type", "text/html"), ("Link", '<https://creativecommons.org/licenses/by/4.0/>; rel="license"')], b"<html>", action="hang"),
            "/reserved": Route(200, [("Content-Type", "application/pdf"), ("X-Robots-Tag", "noai")], b"%PDF", action="hang"),
        },
    }).start()
    try:
        (tmp_path / "urls.txt").write_text(f"{hanging.url('slow', '/hangs')}\n{hanging.url('slow', '/reserved')}\n")
        out, decisions, summary = audit(tmp_path, str(tmp_path / "urls.txt"), extra=("--with-headers", "-s", "DOWNLOAD_TIMEOUT=60"))
        by_row = {d["input_row"]: d for d in decisions}
        first = by_row[0]
        assert (first["decision"], first["stage"], first["fetch_status"], first["headers_read"], first["license"]) == ("allowed", "headers", 200, True, "CC-BY-4.0")
        assert first["evidence"].startswith("licence header:Link: CC-BY-4.0")  # the licence, no fetch failure
        # not HTML, still judged on its headers: a reservation is a reservation whatever the media type
        assert (by_row[1]["decision"], by_row[1]["reason"], by_row[1]["stage"]) == ("excluded", "noai", "headers")
        assert summary["counts"]["urls_headers_read"] == 2 and "headers:noai" not in summary["not_seen"]
        assert [r.path for r in hanging.origins["slow"].requests if r.path not in ("/robots.txt", "/.well-known/tdmrep.json", "/ai.txt")] == ["/hangs", "/reserved"]
    finally:
        hanging.stop()
