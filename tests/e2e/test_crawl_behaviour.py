"""Scope, redirects across origins, private addresses, profiles, politeness and
the Scrapy entry point, each in a real crawl against local servers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


from crawler.localsite import Route, html, redirect, text
from tests.audit import note_output
from tests.conftest import REPO, CrawlResult

PROSE = "Notes on the tides, the ferry and the lake levels, written for the tests so there is text to extract. " * 4


def page(title: str, *links: str, head: str = "") -> Route:
    body = "".join(f'<p><a href="{link}">{link}</a></p>' for link in links)
    return html(f"<html><head><title>{title}</title>{head}</head><body><main><h1>{title}</h1><p>{PROSE}</p>{body}</main></body></html>")


def test_redirect_to_another_origin_is_judged_by_that_origins_rights(crawl, site_factory) -> None:
    site = site_factory(
        {
            "a": {"/": page("a", "/go-private", "/go-open"), "/go-private": redirect("{{origin:b}}/private/doc"), "/go-open": redirect("{{origin:b}}/open/doc")},
            "b": {"/robots.txt": text("User-agent: *\nDisallow: /private/\n"), "/private/doc": page("secret"), "/open/doc": page("open")},
        }
    )
    result = crawl(site.url("a"))
    assert result.returncode == 0, result.stderr
    assert "/private/doc" not in site.paths("b") and "/open/doc" in site.paths("b")
    row = result.decision_for(site.url("a", "/go-private"))
    assert (row["decision"], row["reason"], row["final_url"]) == ("excluded", "robots-disallow", site.url("b", "/private/doc"))
    stored = result.decision_for(site.url("a", "/go-open"))
    assert stored["decision"] == "stored" and stored["final_url"] == site.url("b", "/open/doc")
    document = {d["url"]: d for d in result.documents()}[site.url("b", "/open/doc")]
    assert document["fetch_redirect_chain"] == [site.url("a", "/go-open")] and document["hops_from_seed"] == "L"


def test_private_addresses_are_never_fetched(crawl, site_factory) -> None:
    site = site_factory({"a": {"/": page("a", "/redirect-inside", "http://127.0.0.2:9/admin", "http://10.1.2.3/internal"), "/redirect-inside": redirect("http://169.254.169.254/latest/meta-data/")}})
    result = crawl(site.url("a"), args=("--allowed-domains", "127.0.0.1", "127.0.0.2", "10.1.2.3", "169.254.169.254"))
    assert result.returncode == 0, result.stderr
    for url in ("http://127.0.0.2:9/admin", "http://10.1.2.3/internal"):
        row = result.decision_for(url)
        assert (row["decision"], row["reason"]) == ("excluded", "private-address"), row
    redirected = result.decision_for(site.url("a", "/redirect-inside"))
    assert (redirected["reason"], redirected["final_url"]) == ("private-address", "http://169.254.169.254/latest/meta-data/")
    assert "link-local" in redirected["evidence"]


def test_research_exception_records_reservations_and_still_obeys_robots(crawl, site_factory) -> None:
    site = site_factory(
        {
            "a": {
                "/robots.txt": text("User-agent: *\nDisallow: /private\nContent-Usage: train-ai=n\n"),
                "/": page("home", "/private", "/noai"),
                "/private": page("private"),
                "/noai": page("noai", head='<meta name="robots" content="noai">'),
            }
        }
    )
    result = crawl(site.url("a"), args=("--policy", "research-exception"))
    assert result.returncode == 0, result.stderr
    assert "/private" not in site.paths("a")
    assert result.decision_for(site.url("a", "/private"))["reason"] == "robots-disallow"
    documents = {d["url"]: d for d in result.documents()}
    noai = documents[site.url("a", "/noai")]
    assert noai["policy_profile"] == "research-exception"
    assert set(noai["reservations"]) == {"content-usage-train-ai", "noai"}
    assert noai["usage_train"] == "deny"
    summary = (result.out / "summary.json").read_text()
    assert '"research-exception"' in summary and "reservations_recorded_not_honoured" in summary


def test_crawl_delay_spaces_requests_to_an_origin(crawl, site_factory) -> None:
    site = site_factory({"a": {"/robots.txt": text("User-agent: *\nCrawl-delay: 1\n"), "/": page("a", "/1", "/2", "/3"), "/1": page("1"), "/2": page("2"), "/3": page("3")}})
    result = crawl(site.url("a"))
    assert result.returncode == 0, result.stderr
    # Every request after robots.txt and the well-known files (the home page read for the link
    # to the terms of service, the common terms paths, the pages) waits for the delay.
    requests = sorted(site.origins["a"].requests, key=lambda r: r.at)
    assert requests[0].path == "/robots.txt"
    times = [r.at for r in requests if r.path not in ("/robots.txt", "/.well-known/tdmrep.json", "/ai.txt")]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert {r.path for r in requests} >= {"/", "/1", "/2", "/3"} and min(gaps) >= 0.9, gaps


def test_scope_depth_budget_and_sitemap(crawl, site_factory) -> None:
    site = site_factory(
        {
            "a": {
                "/robots.txt": text("User-agent: *\nAllow: /\nSitemap: {{origin:a}}/sitemap.xml\n"),
                "/sitemap.xml": Route(200, [("Content-Type", "application/xml")], '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{{origin:a}}/only-in-sitemap</loc></url></urlset>'),
                "/": page("a", "/d1", "{{origin:other}}/x"),
                "/d1": page("d1", "/d2"),
                "/d2": page("d2", "/d3"),
                "/d3": page("d3"),
                "/only-in-sitemap": page("sitemap"),
            },
            "other": {"/x": page("x")},
        }
    )
    # another port on the same host is in scope (same registered domain); depth 2 stops before /d3
    result = crawl(site.url("a"), args=("--max-depth", "2"))
    assert result.returncode == 0, result.stderr
    paths = site.paths("a")
    assert "/d2" in paths and "/d3" not in paths and "/only-in-sitemap" in paths
    assert site.paths("other") and site.paths("other")[-1] == "/x"
    documents = {d["url"]: d for d in result.documents()}
    assert documents[site.url("a", "/only-in-sitemap")]["hops_from_seed"] == "X"
    sitemap = result.decision_for(site.url("a", "/sitemap.xml"))  # requested, so it has its row; not a page
    assert (sitemap["decision"], sitemap["reason"], sitemap["stage"]) == ("excluded", "not-html", "page") and "urlset: 1 URLs" in sitemap["evidence"]
    budget = crawl(site.url("a"), args=("--max-pages", "2"))
    assert len([row for row in budget.decisions() if row["url"] != site.url("a", "/sitemap.xml")]) == 2


def test_scrapy_crawl_from_the_project_root(tmp_path: Path, site_factory) -> None:
    site = site_factory({"a": {"/": page("a", "/b"), "/b": page("b")}})
    out = tmp_path / "scrapy-out"
    note_output(out)
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "research", "-a", f"seeds={site.url('a')}", "-s", f"TDMCRAWL_OUTPUT_DIR={out}",
         "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "TDMCRAWL_PROGRESS=off", "-s", "TDMCRAWL_WORKERS=1"],
        cwd=REPO, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = CrawlResult(out, 0, "", "").documents()
    assert sorted(r["url"] for r in rows) == [site.url("a", "/"), site.url("a", "/b")]
    user_agents = {r.headers.get("User-Agent") for r in site.origins["a"].requests}
    assert all(ua.startswith("tdmcrawl/") and "scrapy" not in ua.lower() for ua in user_agents), user_agents


def test_user_agent_carries_the_contact_and_no_control_port_opens(crawl, site_factory) -> None:
    site = site_factory({"a": {"/": page("a")}})
    result = crawl(site.url("a"), args=("--contact", "mailto:research@example.test", "--log-level", "INFO"))
    assert result.returncode == 0
    user_agents = {r.headers.get("User-Agent") for r in site.origins["a"].requests}
    assert user_agents == {f"tdmcrawl/{__import__('crawler').__version__} (+mailto:research@example.test)"}
    assert "Telnet console listening" not in result.stderr and "RemoteControl" not in result.stderr
