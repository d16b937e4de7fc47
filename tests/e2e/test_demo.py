"""The bundled demo site, crawled for real: every decision, licence and
never-requested URL in ``crawler/demo/expected.json`` is checked against the
tables, the servers' request logs and the files written; the outputs are read
by warcio, pyarrow and ``datasets``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from crawler.localsite import LocalSite
from tests.audit import assert_audit_trail
from tests.conftest import CrawlResult


def url_of(site: LocalSite, origin: str, path: str) -> str:
    return site.url(origin, path)


def test_crawl_completes(demo_crawl: tuple[CrawlResult, LocalSite, dict]) -> None:
    result, _, _ = demo_crawl
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "ERROR" not in result.stderr, result.stderr[-3000:]


def test_every_request_the_servers_saw_has_its_rows(demo_crawl: tuple[CrawlResult, LocalSite, dict]) -> None:
    result, site, _ = demo_crawl
    assert_audit_trail([result.out], [site])


def test_every_expected_decision(demo_crawl: tuple[CrawlResult, LocalSite, dict]) -> None:
    result, site, expected = demo_crawl
    decisions = {row["url"]: row for row in result.decisions()}
    wanted = {url_of(site, origin, path): spec for origin, pages in expected["pages"].items() for path, spec in pages.items()}
    mismatches = []
    for url, spec in wanted.items():
        row = decisions.get(url)
        if row is None:
            mismatches.append((url, "no decision", spec["decision"], spec["reason"]))
        elif (row["decision"], row["reason"]) != (spec["decision"], spec["reason"]):
            mismatches.append((url, row["decision"], row["reason"], spec["decision"], spec["reason"], row["evidence"]))
    assert not mismatches, "\n".join(map(str, mismatches))
    assert set(decisions) == set(wanted), set(decisions) ^ set(wanted)


def test_licences_of_stored_pages(demo_crawl: tuple[CrawlResult, LocalSite, dict]) -> None:
    result, site, expected = demo_crawl
    documents = {row["url"]: row for row in result.documents()}
    for origin, pages in expected["pages"].items():
        for path, spec in pages.items():
            if spec["decision"] != "stored":
                continue
            url = url_of(site, origin, spec.get("final_path") or path)
            assert url in documents, url
            assert documents[url]["license"] == spec["license"], (url, documents[url]["license_evidence"], documents[url]["license_candidates"])


def test_never_requested(demo_crawl: tuple[CrawlResult, LocalSite, dict]) -> None:
    _, site, expected = demo_crawl
    requested = {(name, path.split("?")[0]) for name in site.origins for path in site.paths(name)}
    assert not [pair for pair in map(tuple, expected["never_requested"]) if pair in requested]
    # the archive's robots.txt answered 503: nothing else of it was requested
    assert set(site.paths("archive")) == {"/robots.txt"}


def test_reserved_text_never_stored(demo_crawl: tuple[CrawlResult, LocalSite, dict]) -> None:
    result, site, expected = demo_crawl
    excluded = {url_of(site, o, p) for o, pages in expected["pages"].items() for p, s in pages.items() if s["decision"] != "stored"}
    stored_urls = {row["url"] for row in result.documents()}
    assert not excluded & stored_urls
    from warcio.archiveiterator import ArchiveIterator

    for path in (result.out / "warc").glob("*.warc.gz"):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type in ("request", "response", "metadata"):
                    assert record.rec_headers.get_header("WARC-Target-URI") not in excluded


def test_outputs_validate(demo_crawl: tuple[CrawlResult, LocalSite, dict]) -> None:
    result, _, _ = demo_crawl
    out = result.out
    warcs = sorted(str(p) for sub in ("warc", "wet", "policy") for p in (out / sub).glob("*.gz"))
    assert warcs and not list(out.rglob("*.open"))
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", *warcs], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    documents = result.documents()
    # file_path + warc_record_offset opens the response record directly
    from warcio.archiveiterator import ArchiveIterator

    for row in documents:
        with open(out / row["file_path"], "rb") as handle:
            handle.seek(row["warc_record_offset"])
            record = next(iter(ArchiveIterator(handle)))
            assert record.rec_type == "response" and record.rec_headers.get_header("WARC-Record-ID") == row["id"]


def test_datasets_loads_both_configs(demo_crawl: tuple[CrawlResult, LocalSite, dict], tmp_path: Path) -> None:
    import datasets

    result, _, _ = demo_crawl
    out = result.out
    card = (out / "README.md").read_text("utf-8")
    front = yaml.safe_load(card.split("---\n")[1])
    assert [c["config_name"] for c in front["configs"]] == ["documents", "decisions"]
    documents = datasets.load_dataset(str(out), "documents", split="train", cache_dir=str(tmp_path / "hf"))
    decisions = datasets.load_dataset(str(out), "decisions", split="train", cache_dir=str(tmp_path / "hf"))
    assert sorted(documents["url"]) == sorted(r["url"] for r in result.documents())
    assert sorted(decisions["url"]) == sorted(r["url"] for r in result.decisions())


def test_summary_matches_tables(demo_crawl: tuple[CrawlResult, LocalSite, dict]) -> None:
    result, _, _ = demo_crawl
    summary = json.loads((result.out / "summary.json").read_text("utf-8"))
    decisions = result.decisions()
    documents = result.documents()
    counts = summary["counts"]
    assert counts["urls_considered"] == len(decisions)
    assert counts["documents_stored"] == len(documents) == sum(1 for d in decisions if d["decision"] == "stored")
    assert counts["bytes_stored"] == sum(d["content_length"] for d in documents)
    assert sum(summary["exclusions"]["by_reason"].values()) == counts["urls_excluded"]
    assert (result.out / "summary.md").exists() and (result.out / "charts" / "exclusions.png").exists()
