"""The distributed frontier in a real cluster crawl (two workers, a real
Redis): an origin waiting out a long Crawl-delay holds no worker's downloader
while the other origins are ready, each origin gets one request at a time from
the whole cluster, spaced by its delay, and every URL gets its decision."""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from pathlib import Path

from crawler.localsite import LocalSite, free_port, html, text
from tests.conftest import CrawlResult
from tests.e2e.test_distributed import FAST, ORIGINS, assert_covered_once, assert_polite, launch, make_site, wait_for_config

SLOW_DELAY = 3.0  # the slow origin's robots.txt Crawl-delay
DELAY = 0.4  # DOWNLOAD_DELAY, the other origins' delay
SLOW_PAGES = 8
FAST_ORIGINS = 3
FAST_PAGES = 5
PROSE = "Notes on harbour cranes, tide gauges and ferry timetables for the frontier test. " * 6
SETTINGS = [arg for i, arg in enumerate(FAST) if not arg.startswith("DOWNLOAD_DELAY") and not (arg == "-s" and FAST[i + 1].startswith("DOWNLOAD_DELAY"))]


def fan(name: str, pages: int, robots: str) -> dict:
    """A home page linking to all the origin's other pages."""
    routes = {}
    for n in range(pages):
        links = "".join(f'<a href="/{name}{m}">{name} {m}</a> ' for m in range(1, pages)) if n == 0 else ""
        route = html(f"<html><head><title>{name} {n}</title></head><body><main><h1>{name} page {n}</h1><p>{PROSE}</p>{links}</main></body></html>")
        route.delay = 0.05
        routes["/" if n == 0 else f"/{name}{n}"] = route
    routes["/robots.txt"] = text(robots)
    return routes


def page_spans(site: LocalSite, name: str, pages: set[str]) -> list[tuple[float, float]]:
    """(start, end) of the requests for the origin's pages, leaving out the policy
    files and terms-of-service guesses read before them (spaced by the worker's
    download slot, start to start, as in a single-process crawl)."""
    return sorted((r.at, r.finished or r.at) for r in site.origins[name].requests if r.path in pages)


def test_a_slow_origin_holds_no_worker_back_and_keeps_its_crawl_delay(tmp_path: Path, redis_url: str) -> None:
    origins = {"slow": fan("s", SLOW_PAGES, f"User-agent: *\nCrawl-delay: {SLOW_DELAY:g}\n")}
    for o in range(FAST_ORIGINS):
        origins[f"fast{o}"] = fan(f"f{o}", FAST_PAGES, "User-agent: *\nAllow: /\n")
    # The slow origin's URLs sort first, so a queue that pops by priority alone (then
    # by bytes, as scrapy-redis's does) hands out all of its requests before the others'.
    ports = sorted((free_port() for _ in origins), key=str)
    site = LocalSite(origins, ports=dict(zip(origins, ports))).start()
    try:
        out = tmp_path / "out"
        seeds = [site.url("slow", "/")] + [site.url(f"fast{o}", "/") for o in range(FAST_ORIGINS)]
        # Two places per worker (and two leases): a request waiting in a downloader for
        # its origin's turn takes half of a worker. No terms-of-service guesses, to keep it short.
        tight = [*SETTINGS, "-s", f"DOWNLOAD_DELAY={DELAY}", "-s", "CONCURRENT_REQUESTS=2", "-s", "TDMCRAWL_FETCH_TOS=False"]
        first = launch(["crawl", *seeds, "--out", str(out), "--redis", redis_url, "--worker-id", "w1", "--quiet", *tight])
        wait_for_config(redis_url)
        second = launch(["worker", "--redis", redis_url, "--out", str(out), "--worker-id", "w2", "--quiet", *tight])
        for process in (first, second):
            _, stderr = process.communicate(timeout=240)
            assert process.returncode == 0, stderr[-3000:]

        # Nothing lost: every page of every origin has exactly one decision, and it is stored.
        result = CrawlResult(out, 0, "", "")
        expected = {site.url(name, path) for name, routes in origins.items() for path in routes if path != "/robots.txt"}
        decisions = Counter(d["url"] for d in result.decisions())
        assert set(decisions) == expected, set(decisions) ^ expected
        assert max(decisions.values()) == 1
        assert {d["decision"] for d in result.decisions()} == {"stored"}

        # One request at a time per origin from the whole cluster, and pages spaced
        # by the origin's delay from the start of one to the start of the next (as
        # Scrapy's download slots count it), never overlapping.
        assert_polite(site)
        for name in origins:
            spans = page_spans(site, name, set(origins[name]) - {"/robots.txt"})
            delay = SLOW_DELAY if name == "slow" else DELAY
            spacing = [start_b - start_a for (start_a, _), (start_b, _) in zip(spans, spans[1:])]
            assert min(spacing) >= delay - 0.01, (name, spacing)
            assert all(start_b >= end_a for (_, end_a), (start_b, _) in zip(spans, spans[1:])), name
        # Both workers fetched pages of the slow origin or the others: the cluster shared the work.
        documents = result.documents()
        assert {"-w1-" in d["file_path"] for d in documents} == {True, False}

        # The other origins were served while the slow one waited out its delays: all
        # their pages came within the slow origin's first few (a queue that hands out the
        # slow origin's requests first fills every worker with them, and the others wait
        # for all but the last few of its delays).
        slow_starts = [start for start, _ in page_spans(site, "slow", set(origins["slow"]))]
        fast_starts = [start for o in range(FAST_ORIGINS) for start, _ in page_spans(site, f"fast{o}", set(origins[f"fast{o}"]))]
        assert sum(start < max(fast_starts) for start in slow_starts) <= 4, (sorted(fast_starts), slow_starts)

        # Every page came out of the frontier with its origin ready: no request of the
        # crawl waited in a downloader for its origin's claim.
        for manifest in (out / "runs").glob("*.json"):
            stats = json.loads(manifest.read_text())["stats"]
            assert "tdmcrawl/frontier/admit_waited" not in stats, stats
            assert stats.get("tdmcrawl/frontier/released", 0) > 0
            # While every origin waited, the worker looked again when the first would be
            # ready (or a few times a second for one another worker held), never in a loop.
            assert stats.get("tdmcrawl/frontier/none_ready", 0) < 1000, stats
    finally:
        site.stop()


def test_a_stopped_cluster_crawl_resumes_from_the_frontier(tmp_path: Path, redis_url: str) -> None:
    """SIGTERM stops the crawl with requests still queued in the per-origin
    frontier (``SCHEDULER_PERSIST``); the same command run again takes them up
    (their origins were released on the way out, so nothing waits for a dead
    claim) and every URL ends with exactly one decision."""
    site = make_site().start()
    try:
        out = tmp_path / "out"
        seeds = [site.url(f"o{o}", "/") for o in range(ORIGINS)]
        command = ["crawl", *seeds, "--out", str(out), "--redis", redis_url, "--crawl-id", "resumed", "--quiet", *FAST]
        first = launch(command)
        deadline = time.monotonic() + 120
        while sum(len(site.paths(n)) for n in site.origins) < 15:
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.05)
        os.killpg(first.pid, signal.SIGTERM)
        _, stderr = first.communicate(timeout=120)
        assert first.returncode == 0, stderr[-3000:]
        import redis

        server = redis.Redis.from_url(redis_url)
        queued = int(server.get("tdmcrawl:resumed:requests:count") or 0)
        assert queued > 0  # stopped with work left in the frontier
        assert server.hlen("tdmcrawl:resumed:requests:claims") == 0  # and no origin left claimed
        second = launch(command)
        _, stderr = second.communicate(timeout=240)
        assert second.returncode == 0, stderr[-3000:]
        assert_covered_once(site, out)
        assert int(server.get("tdmcrawl:resumed:requests:count") or 0) == 0
    finally:
        site.stop()
