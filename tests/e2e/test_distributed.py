"""Distributed crawls on scrapy-redis with a real Redis: several worker
processes share one frontier; the union of their outputs covers the site
once; no origin ever sees two requests at once from the cluster; a worker
killed mid-crawl loses nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path


from crawler.localsite import LocalSite, html
from tests.audit import note_output, output_of
from tests.conftest import REPO, CrawlResult, run_tdmcrawl

ORIGINS = 3
PAGES = 14
PROSE = "Words about ferries, tides and lake levels for the distributed crawl tests, enough to extract. " * 5
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "TDMCRAWL_WORKERS=1", "-s", "TDMCRAWL_ROBOTS_RETRY_DELAY=0.2", "-s", "TDMCRAWL_CLUSTER_LEASES=2"]


def make_site() -> LocalSite:
    origins = {}
    for o in range(ORIGINS):
        routes = {}
        for i in range(PAGES):
            links = " ".join(f'<a href="{"/" if j == 0 else f"/p{j}"}">{j}</a>' for j in ((i + 1) % PAGES, (i + 3) % PAGES))
            cross = f'<a href="{{{{origin:o{(o + 1) % ORIGINS}}}}}/">next site</a>'
            route = html(f"<html><head><title>o{o} p{i}</title></head><body><main><h1>o{o} page {i}</h1><p>{PROSE}</p><p>{links} {cross}</p></main></body></html>")
            route.delay = 0.15
            routes["/" if i == 0 else f"/p{i}"] = route
        origins[f"o{o}"] = routes
    return LocalSite(origins)


def launch(args: list[str]) -> subprocess.Popen:
    out = output_of(args)
    if out is not None:
        note_output(out)  # the audit-trail invariant covers every worker's output
    return subprocess.Popen([sys.executable, "-m", "crawler.commands.main", *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for_config(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + 30
    while not client.get("tdmcrawl:latest"):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def union(out: Path) -> tuple[list[dict], list[dict]]:
    result = CrawlResult(out, 0, "", "")
    return result.decisions(), result.documents()


def assert_covered_once(site: LocalSite, out: Path) -> None:
    decisions, documents = union(out)
    expected = {site.url(f"o{o}", "/" if i == 0 else f"/p{i}") for o in range(ORIGINS) for i in range(PAGES)}
    counts = Counter(d["url"] for d in decisions)
    assert set(counts) == expected, set(counts) ^ expected
    assert max(counts.values()) == 1, [u for u, n in counts.items() if n > 1]
    assert {d["decision"] for d in decisions} == {"stored"}
    assert sorted(d["url"] for d in documents) == sorted(expected)


def assert_polite(site: LocalSite) -> None:
    for name, origin in site.origins.items():
        spans = sorted((r.at, r.finished or r.at) for r in origin.requests)
        for (start_a, end_a), (start_b, _) in zip(spans, spans[1:]):
            assert start_b >= end_a - 0.005, f"{name}: a request started at {start_b} while another ran until {end_a}"


def test_two_workers_share_the_frontier_and_the_politeness(tmp_path: Path, redis_url: str) -> None:
    site = make_site().start()
    try:
        out = tmp_path / "out"
        seeds = [site.url(f"o{o}", "/") for o in range(ORIGINS)]
        first = launch(["crawl", *seeds, "--out", str(out), "--redis", redis_url, "--worker-id", "w1", "--quiet", "--settings", "tests.cluster_settings", *FAST])
        wait_for_config(redis_url)
        second = launch(["worker", "--redis", redis_url, "--out", str(out), "--worker-id", "w2", "--quiet"])
        for process in (first, second):
            _, stderr = process.communicate(timeout=180)
            assert process.returncode == 0, stderr[-3000:]
        assert_covered_once(site, out)
        # the worker runs with the crawl's settings module, not the defaults
        manifests = {json.loads(p.read_text())["worker_id"]: json.loads(p.read_text()) for p in (out / "runs").glob("*.json")}
        assert {w: m["politeness"]["concurrent_requests"] for w, m in manifests.items()} == {"w1": 7, "w2": 7}
        assert_polite(site)
        names = {p.name for p in (out / "data" / "documents").glob("*.parquet")}
        assert any("-w1-" in n for n in names) and any("-w2-" in n for n in names), names
        # robots.txt of each origin fetched once for the whole cluster
        for name in site.origins:
            assert site.paths(name).count("/robots.txt") == 1
        summary = subprocess.run([sys.executable, "-m", "crawler.commands.main", "summary", str(out)], cwd=REPO, capture_output=True, text=True)
        assert summary.returncode == 0 and f"{ORIGINS * PAGES} stored" in summary.stdout
    finally:
        site.stop()


def test_a_killed_worker_loses_nothing(tmp_path: Path, redis_url: str) -> None:
    site = make_site().start()
    try:
        out = tmp_path / "out"
        seeds = [site.url(f"o{o}", "/") for o in range(ORIGINS)]
        first = launch(["crawl", *seeds, "--out", str(out), "--redis", redis_url, "--worker-id", "w1", "--quiet", *FAST])
        wait_for_config(redis_url)
        victim = launch(["worker", "--redis", redis_url, "--out", str(out), "--worker-id", "victim", "--quiet"])
        deadline = time.monotonic() + 60
        while sum(len(site.paths(n)) for n in site.origins) < 15:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
        _, stderr = first.communicate(timeout=240)
        assert first.returncode == 0, stderr[-3000:]
        # `tdmcrawl summary` repairs the killed worker's files (its job is no longer locked) and merges every worker
        summary = subprocess.run([sys.executable, "-m", "crawler.commands.main", "summary", str(out)], cwd=REPO, capture_output=True, text=True)
        assert summary.returncode == 0, summary.stderr
        assert_covered_once(site, out)
        assert not list(out.rglob("*.open"))
    finally:
        site.stop()


def test_a_waiting_worker_takes_the_robots_copy_stored_as_the_lock_went_away(redis_url: str) -> None:
    """Worker B waits for worker A's robots.txt. A stores it and releases its
    lock between B's look at the cache and B's look at the lock: B must take
    A's copy, not fetch robots.txt a second time."""
    import asyncio

    from crawler.cluster import RedisPolicyCache

    url = "http://127.0.0.1:9/robots.txt"
    fetcher = RedisPolicyCache(redis_url, "crawl-race", ttl=60)
    copy = {"url": url, "status": 200, "body": b"User-agent: *\nDisallow: /x\n"}

    class Waiter(RedisPolicyCache):
        looked = False

        def get(self, key: str):
            value = super().get(key)
            if not self.looked:  # A finishes right after B's first look
                self.looked = True
                fetcher.put(url, copy, ttl=60)
                fetcher.unlock(url)
            return value

    assert fetcher.try_lock(url)
    waiter = Waiter(redis_url, "crawl-race", ttl=60)
    assert not waiter.try_lock(url)
    value = asyncio.run(waiter.wait_for(url, timeout=5))
    assert value is not None and value["body"] == copy["body"]


def test_a_worker_started_before_the_crawl_waits_joins_and_works(tmp_path: Path, redis_url: str) -> None:
    """Workers and the first process start together (a Deployment, a batch
    job): a worker that comes first waits for the crawl, then takes its share."""
    site = make_site().start()
    try:
        out = tmp_path / "out"
        early = launch(["worker", "--redis", redis_url, "--out", str(out), "--worker-id", "early", "--wait", "120", "--quiet"])
        waiting = early.stderr.readline()  # blocks until the worker says it waits
        assert "waiting for a crawl to be started on " + redis_url in waiting and "giving up in 120 s" in waiting, waiting
        assert early.poll() is None
        seeds = [site.url(f"o{o}", "/") for o in range(ORIGINS)]
        first = launch(["crawl", *seeds, "--out", str(out), "--redis", redis_url, "--worker-id", "w1", "--quiet", *FAST])
        for process in (first, early):
            _, stderr = process.communicate(timeout=180)
            assert process.returncode == 0, stderr[-3000:]
        summary = run_tdmcrawl("summary", str(out))
        assert summary.returncode == 0, summary.stderr
        assert_covered_once(site, out)
        _, documents = union(out)
        by_worker = Counter("early" if "-early-" in d["file_path"] else "w1" for d in documents)
        assert by_worker["early"] > 0 and by_worker["w1"] > 0, by_worker
    finally:
        site.stop()


def test_a_worker_whose_wait_ends_with_no_crawl_exits_2(redis_url: str) -> None:
    started = time.monotonic()
    done = run_tdmcrawl("worker", "--redis", redis_url, "--out", "/nonexistent-never-written", "--wait", "1.5", timeout=60)
    assert done.returncode == 2, done.stderr
    assert time.monotonic() - started >= 1.5
    lines = done.stderr.strip().splitlines()
    assert "waiting for a crawl to be started" in lines[0]
    assert lines[-1].startswith("tdmcrawl: error: no crawl has been started on this Redis") and "waited 1.5 s" in lines[-1], lines
    assert not Path("/nonexistent-never-written").exists()
    # a scheduler scaling down stops a waiting worker with SIGTERM: stopped on request, exit 0
    waiting = launch(["worker", "--redis", redis_url, "--out", "/nonexistent-never-written", "--wait", "120"])
    assert "waiting for a crawl to be started" in waiting.stderr.readline()
    waiting.send_signal(signal.SIGTERM)
    _, stderr = waiting.communicate(timeout=60)
    assert waiting.returncode == 0 and "stopped on request while waiting" in stderr, stderr
    # an unreachable Redis is waited for the same way, and named
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    done = run_tdmcrawl("worker", "--redis", closed, "--out", "/nonexistent-never-written", "--wait", "0", timeout=60)
    assert done.returncode == 2 and f"cannot reach Redis at {closed}" in done.stderr, done.stderr
