"""The audit trail is complete: every URL the crawler sent a request for, and
every URL it admitted, has a decision row, whatever ended its request: a
redirect out of the crawl's scope (to a cloud metadata address, to another
site), Scrapy's duplicate filter, the depth and URL length limits, a project
middleware that ignores a request, a signal handler that cuts a download.

Each case is a real crawl against servers on 127.0.0.1; the ``audit_trail``
fixture (``tests/audit.py``) then also checks every request the servers saw.
"""

from __future__ import annotations

import json
from pathlib import Path

from crawler.localsite import ReceivedRequest, Route, html, redirect, text
from tests.audit import assert_audit_trail

PROSE = "Words about the harbour, the ferry timetable and the lake, enough of them for the extractor to keep. " * 4
METADATA_URL = "http://169.254.169.254/latest/meta-data/"
NETGUARD = Path(__file__).resolve().parent.parent / "netguard"


def page(title: str, *links: str) -> Route:
    anchors = "".join(f'<p><a href="{link}">{link}</a></p>' for link in links)
    return html(f"<html><head><title>{title}</title></head><body><main><h1>{title}</h1><p>{PROSE}</p>{anchors}</main></body></html>")


def with_components(*, downloader: dict[str, int] | None = None, extensions: dict[str, int] | None = None) -> tuple[str, ...]:
    """``-s`` arguments that add components to the project's own (a ``-s`` dict replaces the project's)."""
    import settings as project

    args: list[str] = []
    if downloader:
        args += ["-s", "DOWNLOADER_MIDDLEWARES=" + json.dumps({**project.DOWNLOADER_MIDDLEWARES, **downloader})]
    if extensions:
        args += ["-s", "EXTENSIONS=" + json.dumps({**project.EXTENSIONS, **extensions})]
    return tuple(args)


def connections(log: Path) -> list[tuple[str, int]]:
    if not log.exists():
        return []
    return [(host, int(port)) for host, port in (line.split() for line in log.read_text().splitlines())]


# ------------------------------------------------------------------ redirects out of scope
def test_a_redirect_to_the_metadata_address_is_recorded_and_never_followed(crawl, site_factory, tmp_path: Path) -> None:
    """The case of the issue: a page links to /to-metadata, which answers
    ``302 Location: http://169.254.169.254/latest/meta-data/``. Scrapy's offsite
    filter dropped the redirect and no row mentioned /to-metadata."""
    outside = "http://elsewhere.invalid/direct"  # a plain link out of scope: never requested, no row, counted in the summary
    site = site_factory(
        {
            "a": {
                "/": page("home", "/to-metadata", "/to-elsewhere", outside, "/more"),
                "/more": page("more", outside),
                "/to-metadata": redirect(METADATA_URL, 302),
                "/to-elsewhere": redirect("http://elsewhere.invalid/page", 302),
            }
        }
    )
    log = tmp_path / "connections.log"
    result = crawl(site.url("a"), env={"PYTHONPATH": str(NETGUARD), "TDMCRAWL_TEST_CONNECT_LOG": str(log)})
    assert result.returncode == 0, result.stderr[-3000:]
    assert site.paths("a").count("/to-metadata") == 1
    row = result.decision_for(site.url("a", "/to-metadata"))
    assert (row["decision"], row["reason"], row["final_url"], row["fetch_status"]) == ("excluded", "out-of-scope", METADATA_URL, 302)
    assert "169.254.169.254" in row["evidence"] and "127.0.0.1" in row["evidence"]  # the redirect and the scope it left
    elsewhere = result.decision_for(site.url("a", "/to-elsewhere"))
    assert (elsewhere["decision"], elsewhere["reason"], elsewhere["final_url"]) == ("excluded", "out-of-scope", "http://elsewhere.invalid/page")
    assert not [r for r in result.decisions() if r["url"] == outside]
    assert json.loads((result.out / "summary.json").read_text())["counts"]["links_out_of_scope"] == 1  # distinct links
    # nothing left loopback: every connection the crawler opened went to a test server
    opened = connections(log)
    assert opened and {host for host, _ in opened} == {"127.0.0.1"}, opened
    assert {port for _, port in opened} == {site.origins["a"].port}


def test_a_redirect_out_of_scope_is_recorded_when_a_parked_request_is_sent_again(crawl, site_factory) -> None:
    """A request that waited for robots.txt is sent again with ``dont_filter``,
    which Scrapy's offsite filter lets through: the redirect must still stop at
    the scope (here ``localhost``, outside the seed's ``127.0.0.1``)."""
    answered: list[float] = []

    def robots(request: ReceivedRequest) -> Route:
        answered.append(request.at)
        return Route(503, [("Content-Type", "text/plain")], "busy") if len(answered) == 1 else text("User-agent: *\nAllow: /\n")

    site = site_factory({"a": {"/robots.txt": Route(body=robots), "/go": redirect("http://localhost:{port}/outside", 302)}, "b": {"/outside": page("outside")}})
    site.origins["a"].routes["/go"] = redirect(f"http://localhost:{site.origins['b'].port}/outside", 302)
    result = crawl(site.url("a", "/go"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert site.paths("b") == []
    row = result.decision_for(site.url("a", "/go"))
    assert (row["decision"], row["reason"], row["final_url"]) == ("excluded", "out-of-scope", f"http://localhost:{site.origins['b'].port}/outside")


# ------------------------------------------------------------------ the duplicate filter
def test_a_redirect_to_a_page_already_in_the_crawl_is_recorded(crawl, site_factory) -> None:
    site = site_factory({"a": {"/": page("home", "/target", "/moved"), "/target": page("target"), "/moved": redirect("/target", 301)}})
    result = crawl(site.url("a"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.decision_for(site.url("a", "/target"))["decision"] == "stored"
    row = result.decision_for(site.url("a", "/moved"))
    assert (row["decision"], row["final_url"]) == ("excluded", site.url("a", "/target"))


def test_a_link_to_a_page_already_fetched_as_a_redirect_target_is_recorded(crawl, site_factory) -> None:
    """/moved redirects to /target before /later, which links to /target, is
    parsed: Scrapy's duplicate filter drops the link's request, which the
    spider had admitted (and would send again on every resume)."""
    site = site_factory({"a": {"/": page("home", "/moved", "/later"), "/moved": redirect("/target", 301), "/later": page("later", "/target"), "/target": page("target")}})
    result = crawl(site.url("a"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert site.paths("a").count("/target") == 1
    assert result.decision_for(site.url("a", "/moved"))["decision"] == "stored"
    row = result.decision_for(site.url("a", "/target"))
    assert row["decision"] == "excluded" and row["reason"] == "duplicate", row


# ------------------------------------------------------------------ Scrapy's spider middlewares
def test_links_past_scrapys_depth_limit_are_recorded(crawl, site_factory) -> None:
    site = site_factory({"a": {"/": page("home", "/one"), "/one": page("one", "/two"), "/two": page("two")}})
    result = crawl(site.url("a"), args=("-s", "DEPTH_LIMIT=1"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "/two" not in site.paths("a")
    row = result.decision_for(site.url("a", "/two"))
    assert (row["decision"], row["reason"], row["depth"]) == ("excluded", "out-of-scope-depth", 2)
    assert "DEPTH_LIMIT" in row["evidence"]


def test_links_past_scrapys_url_length_limit_are_recorded(crawl, site_factory) -> None:
    long_path = "/long-" + "x" * 80
    site = site_factory({"a": {"/": page("home", long_path, "/short"), "/short": page("short"), long_path: page("long")}})
    result = crawl(site.url("a"), args=("-s", "URLLENGTH_LIMIT=80"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert long_path not in site.paths("a")
    row = result.decision_for(site.url("a", long_path))
    assert (row["decision"], row["reason"]) == ("excluded", "out-of-scope-url-length")
    assert "URLLENGTH_LIMIT" in row["evidence"]
    assert result.decision_for(site.url("a", "/short"))["decision"] == "stored"


# ------------------------------------------------------------------ a project's own components
def test_a_request_a_project_middleware_ignores_is_recorded(crawl, site_factory) -> None:
    site = site_factory({"a": {"/": page("home", "/ignored-before", "/ignored-after"), "/ignored-before": page("never"), "/ignored-after": page("fetched")}})
    result = crawl(site.url("a"), args=with_components(downloader={"tests.dropping_components.IgnoringMiddleware": 543}))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "/ignored-before" not in site.paths("a") and "/ignored-after" in site.paths("a")
    for path, message in (("/ignored-before", "ignores this request"), ("/ignored-after", "ignores this response")):
        row = result.decision_for(site.url("a", path))
        assert row["decision"] == "excluded" and row["reason"] == "ignored" and message in row["evidence"], row


def test_a_download_a_signal_handler_cuts_is_recorded(crawl, site_factory) -> None:
    site = site_factory({"a": {"/": page("home", "/cut-fail", "/cut-keep"), "/cut-fail": page("cut"), "/cut-keep": page("kept")}})
    result = crawl(site.url("a"), args=with_components(extensions={"tests.dropping_components.CuttingExtension": 500}))
    assert result.returncode == 0, result.stderr[-3000:]
    failed = result.decision_for(site.url("a", "/cut-fail"))
    assert (failed["decision"], failed["stage"]) == ("failed", "fetch") and "StopDownload" in failed["evidence"], failed
    kept = result.decision_for(site.url("a", "/cut-keep"))
    assert kept["decision"] in ("stored", "excluded", "failed"), kept


# ------------------------------------------------------------------ the invariant itself
def test_the_invariant_reports_a_request_without_a_row(crawl, site_factory) -> None:
    """The helper fails when a server saw a request no row accounts for."""
    site = site_factory({"a": {"/": page("home")}})
    result = crawl(site.url("a"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert_audit_trail([result.out], [site])
    site.origins["a"].record(ReceivedRequest("GET", "/never-decided", {}, 0.0))
    try:
        assert_audit_trail([result.out], [site])
    except AssertionError as error:
        assert "/never-decided" in str(error)
    else:
        raise AssertionError("the audit trail helper missed a request without a decision")
    site.origins["a"].requests.pop()  # leave the site as the crawl left it for the test's own check


def test_a_seed_outside_the_allowed_domains_is_crawled_and_its_redirect_out_of_them_is_recorded(crawl, site_factory) -> None:
    """Seeds are crawled even outside --allowed-domains; Scrapy's offsite filter
    used to drop such a seed without a row (and without a request)."""
    site = site_factory({"a": {"/": page("seed", "/inside", "/away"), "/inside": page("inside"), "/away": redirect("http://localhost:9/elsewhere", 302)}})
    result = crawl(site.url("a"), site.url("a", "/away"), args=("--allowed-domains", "example.org"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.decision_for(site.url("a"))["decision"] == "stored"
    assert "/inside" not in site.paths("a")  # its links stay within the allowed domains
    row = result.decision_for(site.url("a", "/away"))
    assert (row["decision"], row["reason"], row["final_url"]) == ("excluded", "out-of-scope", "http://localhost:9/elsewhere")
