"""``tdmcrawl audit`` against the bundled demo site (five origins on 127.0.0.1
staging every signal: robots.txt rules and AI-agent groups, Content-Usage and
Content-Signal in robots.txt, tdmrep.json, ai.txt, RSL licences, a robots.txt
answering 503, reservation headers, page meta, non-HTML, 404, a redirect) plus
a local opt-out registry: the audit decides every listed URL as a crawl of
the same URLs does, while the servers see only policy files (and, with
``--with-headers``, one request per page stopped at its headers); the
filtered input loads with ``datasets`` and lacks exactly the excluded rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crawler.demo import SITE_DIR, demo_settings, load_expected
from crawler.localsite import LocalSite
from tests.conftest import read_rows, run_tdmcrawl

POLICY_PATHS = {"/robots.txt", "/.well-known/tdmrep.json", "/ai.txt", "/rsl/license.xml"}
INVALID_LINES = ["not a url", "ftp://files.example/x", "http://[::1/broken"]
SETTINGS = [arg for name, value in {**demo_settings(), "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "TDMCRAWL_WORKERS": 1}.items() for arg in ("-s", f"{name}={value}")]


def requests_since(site: LocalSite, marks: dict[str, int]) -> dict[str, list[tuple[str, str]]]:
    return {name: [(r.method, r.path) for r in origin.requests[marks[name]:]] for name, origin in site.origins.items()}


def marks(site: LocalSite) -> dict[str, int]:
    return {name: len(origin.requests) for name, origin in site.origins.items()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One site; an audit, an audit with headers, then a crawl of the same URLs."""
    expected = load_expected()
    folder = tmp_path_factory.mktemp("audit")
    site = LocalSite.from_directory(SITE_DIR).start()
    try:
        pages = [(origin, path) for origin, paths in expected["pages"].items() for path in paths]
        urls = [site.url(origin, path) for origin, path in pages]
        lines = ["# URLs of the demo site", *urls[:5], INVALID_LINES[0], urls[0], *urls[5:], "", *INVALID_LINES[1:]]
        url_list = folder / "urls.txt"
        url_list.write_text("\n".join(lines) + "\n")
        registry = folder / "registry.txt"
        listed = site.url("chronicle", "/news/lake-levels.html")
        registry.write_text(f"# opted out by its author\n{listed}\n")
        # no --allow-private-addresses: the listed URLs are to an audit what seeds are to a crawl
        common = ["--quiet", "--registry-file", str(registry), *SETTINGS]
        result: dict[str, Any] = {"site": site, "pages": pages, "urls": urls, "lines": lines, "listed": listed, "folder": folder}
        for name, extra in (("audit", []), ("headers", ["--with-headers", "--write-filtered", str(folder / "filtered.parquet")])):
            before = marks(site)
            done = run_tdmcrawl("audit", str(url_list), "--out", str(folder / name), *common, *extra, timeout=300)
            assert done.returncode == 0, done.stderr[-3000:]
            result[name] = {"out": folder / name, "rows": read_rows(folder / name / "data" / "decisions"), "requests": requests_since(site, before)}
        seeds = folder / "seeds.txt"
        seeds.write_text("\n".join(urls) + "\n")  # a crawl refuses seeds that are no URL
        before = marks(site)
        done = run_tdmcrawl("crawl", "--seeds-file", str(seeds), "--out", str(folder / "crawl"), "--max-depth", "0", "-s", "TDMCRAWL_FOLLOW_SITEMAPS=False", *common, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        result["crawl"] = {"rows": read_rows(folder / "crawl" / "data" / "decisions"), "requests": requests_since(site, before)}
    finally:
        site.stop()
    return result


def by_url(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["url"]: row for row in rows}


def test_one_row_per_input_line_joinable_on_its_line_number(runs: dict[str, Any]) -> None:
    for name in ("audit", "headers"):
        rows = runs[name]["rows"]
        numbered = {(row["input_file"], row["input_row"]) for row in rows}
        wanted = {(str(runs["folder"] / "urls.txt"), n) for n, line in enumerate(runs["lines"]) if line and not line.startswith("#")}
        assert len(rows) == len(wanted) and numbered == wanted
        for row in rows:
            assert runs["lines"][row["input_row"]] == row["url"] or row["reason"] == "invalid-url"
        invalid = [row for row in rows if row["reason"] == "invalid-url"]
        assert sorted(r["url"] for r in invalid) == sorted(INVALID_LINES) and all(r["decision"] == "excluded" for r in invalid)
        assert {row["decision"] for row in rows} == {"allowed", "excluded"}


def test_audit_decides_as_the_crawl_at_request_time(runs: dict[str, Any]) -> None:
    crawl = by_url(runs["crawl"]["rows"])
    audit = runs["audit"]["rows"]
    checked = 0
    for row in audit:
        if row["reason"] == "invalid-url":
            continue
        crawled = crawl[row["url"]]
        if crawled["stage"] == "request":
            assert (row["decision"], row["reason"]) == ("excluded", crawled["reason"]), row["url"]
            assert row["reason_family"] == crawled["reason_family"]
            # the crawl also cites the site's terms of service, which an audit does not look up (settings/audit.py)
            crawl_digests = [d for d in crawled["policy_digests"] if d != crawled.get("tos_digest")]
            assert row["policy_digests"] == crawl_digests or not crawl_digests
        else:
            assert (row["decision"], row["reason"]) == ("allowed", None), (row["url"], crawled)
        checked += 1
    request_reasons = {r["reason"] for r in crawl.values() if r["stage"] == "request"}
    # every request-time signal of the demo is staged, and the registry too
    staged = (
        "robots-disallow", "ai-agent-restriction:CCBot", "content-usage-train-ai", "content-signal-ai-train", "tdmrep-reserved",
        "ai-txt-disallow", "rsl-license-required", "rsl-prohibits-ai-train", "robots-unreachable-5xx", "registry-opt-out",
    )
    for reason in staged:
        assert reason in request_reasons, reason
    assert checked == len(runs["urls"]) + 1  # the duplicate line too


def test_with_headers_it_also_decides_as_the_crawl_on_headers(runs: dict[str, Any]) -> None:
    crawl = by_url(runs["crawl"]["rows"])
    header_reasons = set()
    for row in runs["headers"]["rows"]:
        if row["reason"] == "invalid-url":
            continue
        crawled = crawl[row["url"]]
        if crawled["stage"] in ("request", "headers") and crawled["reason"] != "not-html":
            assert (row["decision"], row["reason"], row["stage"]) == ("excluded", crawled["reason"], crawled["stage"]), row["url"]
            if crawled["stage"] == "headers":
                header_reasons.add(row["reason"])
                assert row["headers_read"]
        else:
            # stored, excluded by page meta (an audit never reads the page), not HTML, 404
            assert row["decision"] == "allowed" and row["reason"] is None, (row["url"], crawled)
    assert {"noai", "tdmrep-reserved", "content-usage-train-ai"} <= header_reasons


def test_servers_see_only_policy_files(runs: dict[str, Any]) -> None:
    requests = runs["audit"]["requests"]
    seen = {path for paths in requests.values() for _, path in paths}
    assert seen and seen <= POLICY_PATHS, seen - POLICY_PATHS
    for origin, paths in requests.items():
        if origin != "archive":  # its robots.txt answers 503: retried
            assert paths.count(("GET", "/robots.txt")) == 1, (origin, paths)
    # the crawl of the same URLs fetched pages: the comparison is not empty
    assert {p for ps in runs["crawl"]["requests"].values() for _, p in ps} - POLICY_PATHS


def test_with_headers_each_allowed_page_is_asked_once_and_cut_at_its_headers(runs: dict[str, Any]) -> None:
    site: LocalSite = runs["site"]
    requests = runs["headers"]["requests"]
    excluded_at_request = {row["url"] for row in runs["headers"]["rows"] if row["stage"] == "request"}
    for origin, paths in requests.items():
        pages = [path for _, path in paths if path not in POLICY_PATHS]
        for path in pages:
            assert site.url(origin, path) not in excluded_at_request, (origin, path)
        counted = {p: pages.count(p) for p in pages}
        duplicate_line = runs["urls"][0]
        for path, count in counted.items():
            assert count <= (2 if site.url(origin, path) == duplicate_line else 1), (origin, path, count)
    assert any(path not in POLICY_PATHS for ps in requests.values() for _, path in ps)


def test_filtered_input_loads_and_lacks_exactly_the_excluded_rows(runs: dict[str, Any]) -> None:
    from datasets import load_dataset

    rows = runs["headers"]["rows"]
    path = runs["folder"] / "filtered.parquet"
    loaded = load_dataset("parquet", data_files=str(path), split="train", cache_dir=str(runs["folder"] / "hf-cache"))
    assert loaded.column_names == ["url"]
    allowed_rows = sorted((r["input_row"], r["url"]) for r in rows if r["decision"] == "allowed")
    assert loaded["url"] == [url for _, url in allowed_rows]  # input order, duplicates kept
    excluded = {r["url"] for r in rows if r["decision"] == "excluded"}
    assert not excluded & set(loaded["url"])
    assert len(loaded) + len([r for r in rows if r["decision"] == "excluded"]) == len(rows)
    summary = json.loads((runs["headers"]["out"] / "summary.json").read_text())
    assert summary["filtered_output"] == {"path": str(path), "rows": len(loaded)}


def test_summary_and_card(runs: dict[str, Any]) -> None:
    for name in ("audit", "headers"):
        out: Path = runs[name]["out"]
        summary = json.loads((out / "summary.json").read_text())
        rows = runs[name]["rows"]
        excluded = [r for r in rows if r["decision"] == "excluded"]
        counts = summary["counts"]
        assert counts["urls_audited"] == len(rows)
        assert counts["urls_excluded"] == len(excluded)
        assert counts["origins_audited"] == 5 and counts["domains_audited"] == 1  # all on 127.0.0.1; rows with no URL have no domain
        assert all(d["domain"] for d in summary["top_domains_by_excluded"])
        assert sum(v["urls"] for v in summary["excluded_by_family"].values()) == len(excluded)
        assert summary["top_domains_by_excluded"][0]["excluded"] == max(d["excluded"] for d in summary["top_domains_by_excluded"])
        not_seen = summary["not_seen"]
        assert "page:noai" in not_seen
        assert ("headers:noai" in not_seen) is (name == "audit")
        assert summary["policy_requests"]["by_file"]["robots.txt"] >= 5
        card = (out / "README.md").read_text()
        assert card.startswith("---\n") and "data/decisions/*.parquet" in card and "could not see" in card
        assert sorted(p.name for p in (out / "policy").glob("*.warc.gz"))
    from datasets import load_dataset

    decisions = load_dataset(str(runs["audit"]["out"]), "decisions", split="train", cache_dir=str(runs["folder"] / "hf-cache2"))
    assert len(decisions) == len(runs["audit"]["rows"]) and "input_row" in decisions.column_names


def test_policy_files_are_archived_and_linked(runs: dict[str, Any]) -> None:
    from warcio.archiveiterator import ArchiveIterator

    digests = set()
    for path in (runs["audit"]["out"] / "policy").glob("*.warc.gz"):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type == "response":
                    digests.add(record.rec_headers.get_header("WARC-Payload-Digest"))
    linked = {d for row in runs["audit"]["rows"] for d in row["policy_digests"]}
    assert linked and linked <= digests
