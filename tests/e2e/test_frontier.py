"""The politeness-aware frontier in real crawls: an origin waiting out its delay
never holds the downloader while another origin is ready, and no origin is ever
asked faster than its delay.

Several origins on one host (127.0.0.1, one port each) are the case where
Scrapy's own queue fails: it keys its queues by host name, so every origin of
the host looks like one idle slot and requests are handed out in arrival order.
"""

from __future__ import annotations

import json

from crawler.localsite import html, text
from tests.conftest import FAST

DELAY = 0.4
BIG_PAGES = 12


def fan(prefix: str, count: int) -> dict:
    """A home page linking to all the other pages of the origin (all at depth 1)."""
    routes = {}
    for n in range(count):
        links = "".join(f'<a href="/{prefix}{m}">{prefix}{m}</a> ' for m in range(1, count)) if n == 0 else ""
        path = "/" if n == 0 else f"/{prefix}{n}"
        routes[path] = html(f"<html><body><main><h1>{prefix} {n}</h1><p>{'Tide tables and ferry notes. ' * 20}</p>{links}</main></body></html>")
    routes["/robots.txt"] = text("User-agent: *\nAllow: /\n")
    return routes


def page_times(site, name: str) -> list[float]:
    policy = ("/robots.txt", "/.well-known/", "/ai.txt")
    return [r.at for r in site.origins[name].requests if not r.path.startswith(policy)]


def test_a_waiting_origin_does_not_hold_the_only_downloader_place(crawl, site_factory) -> None:
    # One place in the downloader: a request handed over for an origin still in
    # its delay would block every other origin for that delay. The big origin's
    # home page is read first, so its eleven links are queued before the small
    # origins' four: a queue that serves them in that order makes the small
    # origins wait for the big one's delays.
    site = site_factory({"big": fan("b", BIG_PAGES), "small1": fan("s", 3), "small2": fan("t", 3)})
    no_delay = [arg for i, arg in enumerate(FAST) if not arg.startswith("DOWNLOAD_DELAY") and not (arg == "-s" and FAST[i + 1].startswith("DOWNLOAD_DELAY"))]
    result = crawl(
        site.url("big"), site.url("small1"), site.url("small2"),
        fast=False,
        args=(*no_delay, "-s", f"DOWNLOAD_DELAY={DELAY}", "-s", "CONCURRENT_REQUESTS=1"),
    )
    assert result.returncode == 0, result.stderr
    assert len(result.documents()) == BIG_PAGES + 6

    big = page_times(site, "big")
    small = page_times(site, "small1") + page_times(site, "small2")
    # One request at a time per origin, spaced by its delay (measured where the
    # server receives them, so with a margin for the trip, not the delay itself).
    for name in ("big", "small1", "small2"):
        times = sorted(page_times(site, name))
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert min(gaps) >= DELAY / 2, (name, gaps)
    # The small origins were served while the big one waited out its delays:
    # all their pages came well before the big origin's last pages (a queue that
    # serves requests in arrival order puts them after all of the big one's).
    assert max(small) < sorted(big)[-3], (sorted(small), sorted(big))
    stats = json.loads(next((result.out / "runs").glob("*.json")).read_text())["stats"]
    assert stats["tdmcrawl/frontier/released"] >= BIG_PAGES + 6
