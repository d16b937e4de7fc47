"""``tdmcrawl lookup``: how queries are read, what they match in synthetic
multi-crawl, multi-shard outputs, the three renderings, the command, and the
answers for the demo crawl checked against the demo's expected decisions."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.dataset.lookup import (
    LookupInputError,
    LookupResult,
    classify_query,
    lookup,
    render_html,
    render_json,
    render_text,
)
from crawler.commands.dataset import add_lookup_command
from crawler.urls import origin_of, registered_domain
from pipelines.formats.schema import DECISIONS_SCHEMA, DOCUMENTS_SCHEMA

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


# ------------------------------------------------------------------ synthetic outputs
def _blank(schema: pa.Schema) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for f in schema:
        t = f.type
        if f.nullable:
            row[f.name] = None
        elif pa.types.is_list(t):
            row[f.name] = []
        elif pa.types.is_string(t):
            row[f.name] = ""
        elif pa.types.is_integer(t):
            row[f.name] = 0
        elif pa.types.is_floating(t):
            row[f.name] = 0.0
        elif pa.types.is_boolean(t):
            row[f.name] = True
        elif pa.types.is_timestamp(t):
            row[f.name] = T0
        else:  # pragma: no cover - the schemas hold no other types
            raise AssertionError(f"no blank value for {f.name}: {t}")
    return row


def document(url: str, crawl: str = "crawl-a", **values: Any) -> dict[str, Any]:
    host = origin_of(url).host
    row = _blank(DOCUMENTS_SCHEMA)
    row.update(
        id=f"<urn:uuid:{crawl}-{url}>",
        url=url,
        text=f"text of {url}",
        dump=crawl,
        fetch_time=T0,
        file_path=f"warc/{crawl}.warc.gz",
        warc_record_offset=1234,
        url_host_name=host,
        url_host_registered_domain=registered_domain(host),
        policy_profile="strict",
        rights_evidence=json.dumps([{"signal": "robots", "reason": "robots-allow"}]),
    )
    row.update(values)
    return row


def decision(url: str, decision: str, reason: str | None = None, crawl: str = "crawl-a", **values: Any) -> dict[str, Any]:
    host = origin_of(url).host
    row = _blank(DECISIONS_SCHEMA)
    row.update(
        url=url,
        decision=decision,
        reason=reason,
        reason_family=reason.split("-")[0] if reason else None,
        evidence=f"evidence for {url}" if reason else None,
        decided_at=T0 + timedelta(seconds=1),
        stage="request",
        url_host_name=host,
        url_host_registered_domain=registered_domain(host),
        policy_profile="strict",
        dump=crawl,
    )
    if decision == "stored":
        row["document_id"] = f"<urn:uuid:{crawl}-{values.get('final_url') or url}>"
    row.update(values)
    return row


def write_output(out: Path, shards: dict[str, tuple[list[dict], list[dict]]], row_group_size: int = 2) -> Path:
    """One documents and one decisions shard per key of ``shards``, with small
    row groups so that filters work across many groups and files."""
    for folder in ("documents", "decisions"):
        (out / "data" / folder).mkdir(parents=True, exist_ok=True)
    for shard, (documents, decisions) in shards.items():
        pq.write_table(pa.Table.from_pylist(documents, schema=DOCUMENTS_SCHEMA), out / "data" / "documents" / f"documents-{shard}-00000.parquet", row_group_size=row_group_size)
        pq.write_table(pa.Table.from_pylist(decisions, schema=DECISIONS_SCHEMA), out / "data" / "decisions" / f"decisions-{shard}-00000.parquet", row_group_size=row_group_size)
    return out


@pytest.fixture
def output(tmp_path: Path) -> Path:
    """Two crawls, two workers in the first, example.org and look-alikes."""
    out = write_output(
        tmp_path / "out",
        {
            "crawl-a-w0": (
                [
                    document("https://example.org/"),
                    document("https://example.org/blog/first.html", license="CC-BY-4.0", license_source="link-rel"),
                    document("https://notexample.org/page"),
                    document("https://example.org.evil.net/page"),
                ],
                [
                    decision("https://example.org/", "stored"),
                    decision("https://example.org/blog/first.html", "stored"),
                    decision("https://example.org/private/", "excluded", "robots-disallow", stage="request"),
                    decision("https://notexample.org/page", "stored"),
                    decision("https://notexample.org/private/", "excluded", "robots-disallow"),
                    decision("https://example.org.evil.net/page", "stored"),
                ],
            ),
            "crawl-a-w1": (
                [
                    document("https://www.example.org/about/", meta_robots="index", reservations=["tdmrep"]),
                    document("https://example.org/blog-old/post.html"),
                    document("https://example.org/moved-here.html"),
                ],
                [
                    decision("https://www.example.org/about/", "stored"),
                    decision("https://example.org/blog-old/post.html", "stored"),
                    decision("https://example.org/blog/reserved.html", "excluded", "tdmrep-reserved", stage="headers"),
                    decision("https://example.org/old-address", "stored", final_url="https://example.org/moved-here.html"),
                    decision("https://blog.example.org/gone", "failed", "http-404", stage="fetch", fetch_status=404),
                    decision("http://example.org/blog/plain-http.html", "excluded", "noai", stage="page"),
                ],
            ),
            "crawl-b-w0": (
                [
                    document("https://example.org/", crawl="crawl-b", fetch_time=T0 + timedelta(days=30)),
                    document("https://blog.example.org/post", crawl="crawl-b"),
                    document("https://www.example.co.uk/", crawl="crawl-b"),
                    document("https://other.co.uk/", crawl="crawl-b"),
                    document("https://xco.uk/", crawl="crawl-b"),
                ],
                [
                    decision("https://example.org/", "stored", crawl="crawl-b"),
                    decision("https://blog.example.org/post", "stored", crawl="crawl-b"),
                    decision("https://example.org/blog/first.html", "withdrawn", "content-usage-train-ai", crawl="crawl-b", stage="headers"),
                    decision("https://www.example.co.uk/", "stored", crawl="crawl-b"),
                    decision("https://other.co.uk/", "stored", crawl="crawl-b"),
                ],
            ),
        },
    )
    # A shard still being written: hidden, unfinished, never read.
    (out / "data" / "documents" / ".documents-crawl-c-w0-00000.parquet.open").write_bytes(b"PAR1 not finished")
    (out / "runs").mkdir()
    (out / "runs" / "crawl-a-w0.json").write_text(json.dumps({"operator": "Example Lab", "contact": "mailto:crawl@lab.invalid"}))
    (out / "runs" / "broken.json").write_text("{not json")
    return out


def stored_urls(result: LookupResult) -> list[str]:
    return sorted(r["url"] for r in result.stored)


def decision_urls(rows: list[dict]) -> list[tuple[str, str, str | None]]:
    return sorted((r["url"], r["decision"], r["reason"]) for r in rows)


# ------------------------------------------------------------------ reading queries
@pytest.mark.parametrize(
    "query, expected",
    [
        ("https://example.org/page.html", ("url", "https://example.org/page.html")),
        ("HTTPS://Example.ORG:443/a b?x=1#top", ("url", "https://example.org/a%20b?x=1")),
        ("https://example.org", ("url", "https://example.org/")),
        ("http://example.org:8080/x", ("url", "http://example.org:8080/x")),
        ("https://example.org/blog/", ("prefix", "https://example.org/blog/")),
        ("https://example.org/bl*", ("prefix", "https://example.org/bl")),
        ("https://Exa*", ("prefix", "https://exa")),
        ("example.org", ("domain", "example.org")),
        ("  WWW.Example.org. ", ("domain", "www.example.org")),
        ("*.example.org", ("domain", "example.org")),
        ("bücher.de", ("domain", "xn--bcher-kva.de")),
        ("127.0.0.1", ("domain", "127.0.0.1")),
    ],
)
def test_a_query_is_read_as_a_url_a_prefix_or_a_domain(query: str, expected: tuple[str, str]) -> None:
    assert classify_query(query) == expected


@pytest.mark.parametrize("query", ["", "   ", "example.org/blog/", "example.org:8080", "ftp://example.org/", "http://", "https:///path"])
def test_a_query_that_cannot_be_read_is_a_clear_error(query: str) -> None:
    with pytest.raises(LookupInputError):
        classify_query(query)


# ------------------------------------------------------------------ matching
def test_a_domain_matches_its_hosts_and_subdomains_across_crawls_and_shards(output: Path) -> None:
    result = lookup(output, "example.org")
    assert result.kind == "domain"
    assert stored_urls(result) == [
        "https://blog.example.org/post",
        "https://example.org/",
        "https://example.org/",
        "https://example.org/blog-old/post.html",
        "https://example.org/blog/first.html",
        "https://example.org/moved-here.html",
        "https://www.example.org/about/",
    ]
    assert sorted(r["dump"] for r in result.stored if r["url"] == "https://example.org/") == ["crawl-a", "crawl-b"]
    assert decision_urls(result.excluded) == [
        ("http://example.org/blog/plain-http.html", "excluded", "noai"),
        ("https://example.org/blog/first.html", "withdrawn", "content-usage-train-ai"),
        ("https://example.org/blog/reserved.html", "excluded", "tdmrep-reserved"),
        ("https://example.org/private/", "excluded", "robots-disallow"),
    ]
    assert decision_urls(result.failed) == [("https://blog.example.org/gone", "failed", "http-404")]


def test_a_subdomain_matches_only_itself_and_below(output: Path) -> None:
    result = lookup(output, "blog.example.org")
    assert stored_urls(result) == ["https://blog.example.org/post"]
    assert result.excluded == []
    assert decision_urls(result.failed) == [("https://blog.example.org/gone", "failed", "http-404")]


def test_domains_under_a_public_suffix(output: Path) -> None:
    assert stored_urls(lookup(output, "example.co.uk")) == ["https://www.example.co.uk/"]
    # "co.uk" is a public suffix: no registered domain to narrow by, hosts end with ".co.uk"
    assert stored_urls(lookup(output, "co.uk")) == ["https://other.co.uk/", "https://www.example.co.uk/"]


def test_a_prefix_matches_urls_starting_with_it(output: Path) -> None:
    result = lookup(output, "https://example.org/blog/")
    assert result.kind == "prefix"
    assert stored_urls(result) == ["https://example.org/blog/first.html"]
    assert decision_urls(result.excluded) == [
        ("https://example.org/blog/first.html", "withdrawn", "content-usage-train-ai"),
        ("https://example.org/blog/reserved.html", "excluded", "tdmrep-reserved"),
    ]
    assert stored_urls(lookup(output, "https://example.org/blog*")) == ["https://example.org/blog-old/post.html", "https://example.org/blog/first.html"]
    assert decision_urls(lookup(output, "http://example.org/blog/").excluded) == [("http://example.org/blog/plain-http.html", "excluded", "noai")]


def test_a_url_matches_exactly_with_its_decisions_in_every_crawl(output: Path) -> None:
    result = lookup(output, "https://example.org/blog/first.html")
    assert result.kind == "url"
    assert stored_urls(result) == ["https://example.org/blog/first.html"]
    stored = result.stored[0]
    assert (stored["license"], stored["license_source"], stored["file_path"], stored["warc_record_offset"]) == ("CC-BY-4.0", "link-rel", "warc/crawl-a.warc.gz", 1234)
    assert stored["rights_evidence"] == [{"signal": "robots", "reason": "robots-allow"}]
    assert stored["fetch_time"] == "2026-03-01T12:00:00Z"
    assert decision_urls(result.excluded) == [("https://example.org/blog/first.html", "withdrawn", "content-usage-train-ai")]
    assert lookup(output, "https://example.org/blog/first").found is False


def test_a_redirected_url_finds_the_document_stored_under_its_final_url(output: Path) -> None:
    result = lookup(output, "https://example.org/old-address")
    assert stored_urls(result) == ["https://example.org/moved-here.html"]
    assert result.stored[0]["redirected_from"] == ["https://example.org/old-address"]
    assert stored_urls(lookup(output, "https://example.org/moved-here.html")) == ["https://example.org/moved-here.html"]


def test_a_query_with_no_match_is_an_answer_not_an_error(output: Path) -> None:
    result = lookup(output, "nowhere.example")
    assert (result.stored, result.excluded, result.failed, result.found) == ([], [], [], False)
    assert "Nothing in this crawl matches" in render_text(result)


def test_the_limit_caps_each_list_and_says_so(output: Path) -> None:
    capped = lookup(output, "example.org", limit=2)
    assert len(capped.stored) == 2 and len(capped.excluded) + len(capped.failed) <= 2
    assert capped.truncated is True
    assert lookup(output, "example.org", limit=7).truncated is False
    assert "truncated" in render_text(capped)


def test_text_is_read_only_when_asked(output: Path) -> None:
    assert "text" not in lookup(output, "https://example.org/blog/first.html").stored[0]
    assert lookup(output, "https://example.org/blog/first.html", include_text=True).stored[0]["text"] == "text of https://example.org/blog/first.html"


def test_a_malformed_evidence_column_is_kept_raw(tmp_path: Path) -> None:
    out = write_output(tmp_path / "out", {"w0": ([document("https://example.org/", rights_evidence="[{broken")], [])})
    assert lookup(out, "example.org").stored[0]["rights_evidence"] == {"unparsed": "[{broken"}


def test_operators_come_from_the_run_manifests(output: Path) -> None:
    result = lookup(output, "example.org")
    assert result.operators == ["Example Lab", "mailto:crawl@lab.invalid"]
    assert "Example Lab" in render_text(result)


def test_a_folder_that_is_not_an_output_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LookupInputError, match="not a tdmcrawl output"):
        lookup(tmp_path, "example.org")


def test_an_output_with_only_decisions_still_answers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "data" / "decisions").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([decision("https://example.org/x", "excluded", "robots-disallow")], schema=DECISIONS_SCHEMA), out / "data" / "decisions" / "decisions-w0-00000.parquet")
    result = lookup(out, "example.org")
    assert result.stored == [] and decision_urls(result.excluded) == [("https://example.org/x", "excluded", "robots-disallow")]


# ------------------------------------------------------------------ rendering
def test_json_carries_every_list_and_the_counts(output: Path) -> None:
    payload = json.loads(render_json(lookup(output, "example.org")))
    assert (payload["kind"], payload["value"]) == ("domain", "example.org")
    assert payload["counts"] == {"stored": 7, "excluded": 4, "failed": 1, "removed": 0}
    assert {r["reason"] for r in payload["excluded"]} == {"noai", "content-usage-train-ai", "tdmrep-reserved", "robots-disallow"}
    assert payload["stored"][0]["rights_evidence"] == [{"signal": "robots", "reason": "robots-allow"}]


def test_the_text_report_names_every_url_reason_and_signal(output: Path) -> None:
    text = render_text(lookup(output, "example.org"))
    for needle in ("https://www.example.org/about/", "tdmrep-reserved", "evidence for https://example.org/private/", "http-404", "meta robots: index",
        "not honoured under the strict profile: tdmrep", "tdmcrawl remove"):
        assert needle in text


def _html_parts(page: str) -> tuple[set[str], set[str], str]:
    """(tag names, attribute names, text of <style>) of an HTML page."""
    from html.parser import HTMLParser

    class Collector(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: set[str] = set()
            self.attributes: set[str] = set()
            self.styles = ""
            self._in_style = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.add(tag)
            self.attributes.update(name for name, _ in attrs)
            self._in_style = tag == "style"

        def handle_endtag(self, tag: str) -> None:
            self._in_style = False

        def handle_data(self, data: str) -> None:
            if self._in_style:
                self.styles += data

    collector = Collector()
    collector.feed(page)
    return collector.tags, collector.attributes, collector.styles


def test_the_html_report_is_self_contained_and_escapes_what_sites_sent(tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script><img src="https://tracker.invalid/p.gif">'
    out = write_output(
        tmp_path / "out",
        {"w0": ([document("https://example.org/", title=hostile, meta_robots=hostile)], [decision("https://example.org/x", "excluded", "noai", evidence=hostile)])},
    )
    page = render_html(lookup(out, "example.org"))
    tags, attributes, styles = _html_parts(page)
    assert tags <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "span", "table", "tr", "th", "td", "small", "code", "br"}, tags
    assert not attributes & {"src", "href", "srcset", "action", "data", "poster", "background"}, attributes
    assert "url(" not in styles and "@import" not in styles
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    for section in ("What was stored", "What was excluded, and why", "How to ask for removal", "https://example.org/x", "noai"):
        assert section in page


# ------------------------------------------------------------------ the command
def _run_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    add_lookup_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_the_command_prints_text_json_and_writes_html(output: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run_command(["lookup", str(output), "example.org"]) == 0
    assert "https://www.example.org/about/" in capsys.readouterr().out
    report = tmp_path / "report.html"
    assert _run_command(["lookup", str(output), "https://example.org/blog/", "--json", "--html", str(report), "--limit", "1"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["truncated"] is True and len(payload["stored"]) == 1
    assert "What was excluded, and why" in report.read_text("utf-8")


def test_the_command_refuses_a_folder_that_is_not_an_output(tmp_path: Path) -> None:
    from crawler.commands.main import CliError

    with pytest.raises(CliError, match="not a tdmcrawl output"):
        _run_command(["lookup", str(tmp_path), "example.org"])
    with pytest.raises(SystemExit):  # argparse: --limit must be positive
        _run_command(["lookup", str(tmp_path), "example.org", "--limit", "0"])


def _cli_has_lookup() -> bool:
    from crawler.commands.main import CliError, make_parser

    try:
        make_parser().parse_args(["lookup", "DIR", "example.org"])
    except CliError:
        return False
    return True


@pytest.mark.skipif(not _cli_has_lookup(), reason="`lookup` is not registered in crawler/commands/ yet (add_lookup_command)")
def test_tdmcrawl_lookup_exit_codes(output: Path, tmp_path: Path) -> None:
    from tests.conftest import run_tdmcrawl

    done = run_tdmcrawl("lookup", str(output), "example.org", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"]["stored"] == 7
    done = run_tdmcrawl("lookup", str(tmp_path / "nothing-here"), "example.org")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "not a tdmcrawl output" in done.stderr


# ------------------------------------------------------------------ the demo crawl
def _expected_by_origin(expected: dict[str, Any], name: str) -> dict[str, Any]:
    return expected["pages"][name]


@pytest.mark.parametrize("name", ["chronicle", "wiki", "notes", "forum", "archive"])
def test_a_prefix_lookup_of_each_demo_origin_matches_the_expected_decisions(demo_crawl, name: str) -> None:
    result, site, expected = demo_crawl
    pages = _expected_by_origin(expected, name)
    answer = lookup(result.out, site.url(name, "/"))
    want_stored = sorted(site.url(name, p.get("final_path") or path) for path, p in pages.items() if p["decision"] == "stored")
    assert sorted(set(stored_urls(answer))) == sorted(set(want_stored))
    want_excluded = sorted((site.url(name, path), "excluded", p["reason"]) for path, p in pages.items() if p["decision"] == "excluded")
    assert decision_urls(answer.excluded) == want_excluded
    want_failed = sorted((site.url(name, path), "failed", p["reason"]) for path, p in pages.items() if p["decision"] == "failed")
    assert decision_urls(answer.failed) == want_failed
    want_licences = {site.url(name, p.get("final_path") or path): p.get("license") for path, p in pages.items() if p["decision"] == "stored"}
    assert {r["url"]: r["license"] for r in answer.stored} == want_licences


def test_demo_lookups_by_url_and_their_warc_pointers(demo_crawl) -> None:
    from warcio.archiveiterator import ArchiveIterator

    result, site, expected = demo_crawl
    redirected = [(name, path, p) for name, pages in expected["pages"].items() for path, p in pages.items() if p.get("final_path") and p["decision"] == "stored"]
    assert redirected, "the demo has a stored redirect"
    name, path, page = redirected[0]
    answer = lookup(result.out, site.url(name, path))  # a URL, or a prefix when it ends in /
    final = site.url(name, page["final_path"])
    assert final in stored_urls(answer)
    for row in answer.stored:
        with open(result.out / row["file_path"], "rb") as handle:
            handle.seek(row["warc_record_offset"])
            record = next(iter(ArchiveIterator(handle)))
        assert (record.rec_type, record.rec_headers.get_header("WARC-Target-URI"), record.rec_headers.get_header("WARC-Record-ID")) == ("response", row["url"], row["id"])
    excluded_path, excluded = next((p, v) for p, v in expected["pages"]["chronicle"].items() if v["decision"] == "excluded" and not p.endswith("/"))
    by_url = lookup(result.out, site.url("chronicle", excluded_path))
    assert (by_url.kind, by_url.stored, decision_urls(by_url.excluded)) == ("url", [], [(site.url("chronicle", excluded_path), "excluded", excluded["reason"])])


def test_a_demo_html_report_explains_each_exclusion(demo_crawl, tmp_path: Path) -> None:
    result, site, expected = demo_crawl
    page = render_html(lookup(result.out, site.url("chronicle", "/")))
    reasons = {p["reason"] for p in expected["pages"]["chronicle"].values() if p["decision"] == "excluded"}
    for reason in reasons:
        assert f"<td>{reason}</td>" in page
    tags, attributes, _ = _html_parts(page)
    assert "script" not in tags and "href" not in attributes
