"""Incremental recrawl: conditional requests against an earlier output; 304s
become revisit records and ``unchanged``; changed pages are stored anew; a page
that added a reservation is ``withdrawn``."""

from __future__ import annotations

import json

from warcio.archiveiterator import ArchiveIterator

from crawler.localsite import ReceivedRequest, Route, html

PROSE = "Words about the harbour and the tides, enough for the extractor to keep a paragraph of text here. " * 4


class Page:
    """A page whose body and headers a test can change between crawls; answers
    conditional requests with 304 when its validator still matches."""

    def __init__(self, name: str, validator: str):
        self.name, self.version, self.validator, self.extra_headers = name, 1, validator, []

    def body(self) -> str:
        return (
            f"<html><head><title>{self.name}</title></head><body><main><h1>{self.name} v{self.version}</h1><p>{PROSE}</p>"
            "<p><a href='/keep-etag'>a</a> <a href='/keep-date'>b</a> <a href='/change'>c</a> <a href='/reserve'>d</a></p></main></body></html>"
        )

    def route(self) -> Route:
        def answer(request: ReceivedRequest) -> Route:
            etag = f'"{self.name}-{self.version}"'
            modified = f"Mon, 0{self.version} Jun 2026 10:00:00 GMT"
            validators = [("ETag", etag)] if self.validator == "etag" else [("Last-Modified", modified)]
            if request.headers.get("If-None-Match") == etag or request.headers.get("If-Modified-Since") == modified:
                return Route(304, validators + self.extra_headers, b"")
            return html(self.body(), headers=validators + self.extra_headers)

        return Route(body=answer)


def test_recrawl_unchanged_changed_and_withdrawn(crawl, site_factory) -> None:
    pages = {"/": Page("home", "etag"), "/keep-etag": Page("keep-etag", "etag"), "/keep-date": Page("keep-date", "date"), "/change": Page("change", "etag"), "/reserve": Page("reserve", "etag")}
    site = site_factory({"a": {path: page.route() for path, page in pages.items()}})
    first = crawl(site.url("a"))
    assert first.returncode == 0, first.stderr
    assert {d["decision"] for d in first.decisions()} == {"stored"} and len(first.documents()) == 5
    first_ids = {d["url"]: d["id"] for d in first.documents()}

    pages["/change"].version = 2
    pages["/reserve"].extra_headers = [("X-Robots-Tag", "noai")]
    requests_before = len(site.origins["a"].requests)
    second = crawl(site.url("a"), args=("--previous", str(first.out)))
    assert second.returncode == 0, second.stderr
    decisions = {site.url("a", p): None for p in pages}
    rows = {row["url"]: row for row in second.decisions()}
    assert set(rows) == set(decisions)
    for path in ("/", "/keep-etag", "/keep-date"):
        row = rows[site.url("a", path)]
        assert (row["decision"], row["document_id"]) == ("unchanged", first_ids[site.url("a", path)]), row
    assert rows[site.url("a", "/change")]["decision"] == "stored"
    withdrawn = rows[site.url("a", "/reserve")]
    assert (withdrawn["decision"], withdrawn["reason"], withdrawn["document_id"]) == ("withdrawn", "noai", first_ids[site.url("a", "/reserve")])
    assert "X-Robots-Tag" in withdrawn["evidence"] or "noai" in withdrawn["evidence"]

    # conditional requests were sent, and unchanged pages cost no body
    # (policy files, and the home page read for the link to the terms of service, are fetched
    # unconditionally, with Accept-Encoding: identity; pages are asked for conditionally)
    second_requests = [r for r in site.origins["a"].requests[requests_before:] if r.path in pages and r.headers.get("Accept-Encoding") != "identity"]
    assert all(r.headers.get("If-None-Match") or r.headers.get("If-Modified-Since") for r in second_requests)
    documents = second.documents()
    assert [d["url"] for d in documents] == [site.url("a", "/change")] and "v2" in documents[0]["text"]

    revisits = []
    for path in (second.out / "warc").glob("*.warc.gz"):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle, check_digests="raise"):
                if record.rec_type == "revisit":
                    revisits.append(record.rec_headers)
    assert len(revisits) == 3
    for headers in revisits:
        assert headers.get_header("WARC-Profile").endswith("/revisit/server-not-modified")
        assert headers.get_header("WARC-Refers-To") in first_ids.values()
        assert headers.get_header("WARC-Refers-To-Date") and headers.get_header("WARC-Refers-To-Target-URI")

    summary = json.loads((second.out / "summary.json").read_text())
    assert summary["counts"]["urls_unchanged"] == 3 and summary["counts"]["urls_withdrawn"] == 1
    assert [w["url"] for w in summary["withdrawals"]] == [site.url("a", "/reserve")]
    assert "Withdrawn since the previous crawl" in (second.out / "summary.md").read_text()
