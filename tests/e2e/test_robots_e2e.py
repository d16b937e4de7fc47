"""robots.txt per RFC 9309 in a real crawl: one origin per fetch outcome, and
what each server received (what was never requested matters as much as what
was), the decisions table and the stored documents."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from crawler.localsite import LocalSite, ReceivedRequest, Route, html, redirect, text
from tests.audit import assert_audit_trail
from tests.conftest import CrawlResult, run_tdmcrawl

PAGE = "<html><head><title>{t}</title></head><body><main><h1>{t}</h1><p>{body}</p>{links}</main></body></html>"
PROSE = "Plain words about the harbour and the weather, written for this test so that the extractor finds a paragraph of real text to keep. " * 3


def page(title: str, *links: str) -> Route:
    return html(PAGE.format(t=title, body=PROSE, links="".join(f'<p><a href="{l}">{l}</a></p>' for l in links)))


def flaky_robots(failures: int, then: str) -> Route:
    calls = {"n": 0}
    lock = threading.Lock()

    def answer(request: ReceivedRequest) -> Route:
        with lock:
            calls["n"] += 1
            n = calls["n"]
        return Route(503, [("Content-Type", "text/html")], "<h1>busy</h1>") if n <= failures else text(then)

    return Route(body=answer)


def origin(robots: Route | None, *paths: str) -> dict[str, Route]:
    routes = {"/": page("home", *paths)}
    for p in paths:
        routes[p] = page(p)
    if robots is not None:
        routes["/robots.txt"] = robots
    return routes


BIG_TOP_DISALLOW = b"User-agent: *\nDisallow: /\n" + b"# " + b"padding " * 90_000 + b"\n"
BIG_LATE_RULE = b"User-agent: *\nAllow: /\n" + (b"# " + b"x" * 98 + b"\n") * 5_200 + b"Disallow: /late\n"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, LocalSite]:
    site = LocalSite(
        {
            "r503": origin(Route(503, [("Content-Type", "text/html")], "Service Unavailable"), "/a"),
            "rreset": origin(Route(action="reset"), "/a"),
            "r404body": origin(Route(404, [("Content-Type", "text/plain")], "User-agent: *\nDisallow: /\n"), "/a"),
            "r403": origin(Route(403, [("Content-Type", "text/plain")], "User-agent: *\nDisallow: /\n"), "/a"),
            "r429": origin(Route(429, [("Content-Type", "text/plain"), ("Retry-After", "1")], "slow down"), "/a"),
            "rredirect": origin(redirect("/robots-hop1.txt"), "/private/x", "/public"),
            "rtarget": {"/robots-final.txt": text("User-agent: *\nDisallow: /private\n"), "/robots.txt": text("User-agent: *\nAllow: /\n")},
            "r6hops": origin(redirect("/h1"), "/a"),
            "rflaky": origin(flaky_robots(1, "User-agent: *\nDisallow: /nope\n"), "/a", "/nope"),
            "rbigtop": origin(Route(200, [("Content-Type", "text/plain")], BIG_TOP_DISALLOW), "/a"),
            "rbiglate": origin(Route(200, [("Content-Type", "text/plain")], BIG_LATE_RULE), "/a", "/late"),
            "rtokens": origin(
                text(
                    "User-agent: Research\nDisallow: /\n\n"
                    "User-agent: other\nContent-Signal: search=yes\nUser-agent: TDMCrawl/1.0\nDisallow: /blocked\n\n"
                    "User-agent: tdmcrawl\nDisallow: /also-blocked\nAllow: /also-blocked/but-this\n\n"
                    "User-agent: *\nDisallow: /\n"
                ),
                "/ok", "/blocked", "/also-blocked/x", "/also-blocked/but-this",
            ),
        }
    )
    # rredirect's robots.txt goes 301 -> 301 -> rtarget (another origin); six hops on r6hops
    site.origins["rredirect"].routes["/robots-hop1.txt"] = redirect("{{origin:rtarget}}/robots-final.txt")
    for hop in range(1, 7):
        site.origins["r6hops"].routes[f"/h{hop}"] = redirect(f"/h{hop + 1}")
    site.origins["r6hops"].routes["/h7"] = text("User-agent: *\nDisallow: /\n")
    site.start()
    out = tmp_path_factory.mktemp("robots") / "out"
    seeds = [site.url(name, "/") for name in site.origins if name != "rtarget"]
    done = run_tdmcrawl(
        "crawl", *seeds, "--out", str(out), "--quiet",
        "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "TDMCRAWL_WORKERS=1",
        "-s", "TDMCRAWL_ROBOTS_RETRY_DELAY=0.3", "-s", "TDMCRAWL_ROBOTS_RETRY_TIMES=2", "-s", "RETRY_TIMES=0",
        timeout=240,
    )
    site.stop()
    result = CrawlResult(out, done.returncode, done.stdout, done.stderr)
    assert done.returncode == 0, done.stderr[-4000:]
    return result, site


def requested(site: LocalSite, name: str) -> list[str]:
    return site.paths(name)


def decision(result: CrawlResult, site: LocalSite, name: str, path: str) -> dict[str, Any]:
    return result.decision_for(site.url(name, path))


def test_every_request_the_servers_saw_has_its_rows(crawled: tuple[CrawlResult, LocalSite]) -> None:
    result, site = crawled
    # r6hops: robots.txt redirects past the limit, so no capture names these hops
    assert_audit_trail([result.out], [site], policy_paths=[f"/h{hop}" for hop in range(1, 8)])


def test_case_1_5xx_fetches_nothing_and_gives_up(crawled: tuple[CrawlResult, LocalSite]) -> None:
    result, site = crawled
    assert requested(site, "r503") == ["/robots.txt"] * 3  # first try + 2 retries, no page
    row = decision(result, site, "r503", "/")
    assert (row["decision"], row["reason"]) == ("excluded", "robots-unreachable-5xx")
    assert "RFC 9309" in row["evidence"]


def test_case_2_connection_reset_fetches_nothing(crawled: tuple[CrawlResult, LocalSite]) -> None:
    result, site = crawled
    assert set(requested(site, "rreset")) == {"/robots.txt"}
    assert decision(result, site, "rreset", "/")["reason"] == "robots-unreachable-neterr"


def test_case_3_and_4_4xx_allows_whatever_the_body(crawled: tuple[CrawlResult, LocalSite]) -> None:
    result, site = crawled
    for name in ("r404body", "r403"):
        assert "/a" in requested(site, name)
        assert decision(result, site, name, "/a")["decision"] == "stored"
    docs = {d["url"]: d for d in result.documents()}
    assert docs[site.url("r404body", "/a")]["robots_txt_status"] == "unavailable-4xx"


def test_case_5_429_is_unreachable(crawled: tuple[CrawlResult, LocalSite]) -> None:
    result, site = crawled
    assert set(requested(site, "r429")) == {"/robots.txt"}
    assert decision(result, site, "r429", "/")["reason"] == "robots-unreachable-429"


def test_case_6_redirected_robots_applies_to_the_original_origin(crawled: tuple[CrawlResult, LocalSite]) -> None:
    result, site = crawled
    assert "/private/x" not in requested(site, "rredirect")
    assert "/public" in requested(site, "rredirect")
    row = decision(result, site, "rredirect", "/private/x")
    assert (row["decision"], row["reason"]) == ("excluded", "robots-disallow")
    assert "Disallow: /private" in row["evidence"]
    assert requested(site, "rtarget") == ["/robots-final.txt"]


def test_case_7_more_than_five_redirects_allows(crawled: tuple[CrawlResult, LocalSite]) -> None:
    result, site = crawled
    assert "/h7" not in requested(site, "r6hops")
    assert decision(result, site, "r6hops", "/a")["decision"] == "stored"


def test_robots_retried_after_a_failure_then_obeyed(crawled: tuple[CrawlResult, LocalSite]) -> None:
    result, site = crawled
    paths = requested(site, "rflaky")
    assert paths.count("/robots.txt") == 2 and "/nope" not in paths and "/a" in paths
    assert decision(result, site, "rflaky", "/nope")["reason"] == "robots-disallow"
    assert decision(result, site, "rflaky", "/")["decision"] == "stored"


def test_case_10_oversized_robots_is_cut_never_allow_all(crawled: tuple[CrawlResult, LocalSite]) -> None:
    result, site = crawled
    assert set(requested(site, "rbigtop")) == {"/robots.txt"}
    assert decision(result, site, "rbigtop", "/")["reason"] == "robots-disallow"
    # a rule after the 500 KiB mark is not read: /late is fetched, and the cut is recorded
    assert "/late" in requested(site, "rbiglate")
    docs = {d["url"]: d for d in result.documents()}
    assert docs[site.url("rbiglate", "/late")]["robots_txt_status"] == "ok-truncated"


def test_cases_12_to_15_and_20_token_matching(crawled: tuple[CrawlResult, LocalSite]) -> None:
    result, site = crawled
    paths = requested(site, "rtokens")
    # "Research" is not our group; "TDMCrawl/1.0" and "tdmcrawl" are, merged; an unknown line does not split the group
    assert "/ok" in paths and "/also-blocked/but-this" in paths
    assert "/blocked" not in paths and "/also-blocked/x" not in paths
    assert decision(result, site, "rtokens", "/blocked")["reason"] == "robots-disallow"


def test_policy_files_archived_and_linked(crawled: tuple[CrawlResult, LocalSite]) -> None:
    from warcio.archiveiterator import ArchiveIterator

    result, site = crawled
    digests = set()
    for path in (result.out / "policy").glob("*.warc.gz"):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type == "response":
                    digests.add(record.rec_headers.get_header("WARC-Payload-Digest"))
    doc = {d["url"]: d for d in result.documents()}[site.url("r404body", "/a")]
    assert doc["robots_txt_digest"] in digests
    row = decision(result, site, "rredirect", "/private/x")
    assert set(row["policy_digests"]) <= digests and row["policy_digests"]
