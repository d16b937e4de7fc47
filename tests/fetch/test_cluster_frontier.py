"""The distributed frontier (``crawler.fetch.cluster_frontier``) on a real
Redis, driven the way scrapy-redis's scheduler drives its queue: requests for
several origins go in, and only origins that may be fetched now come out,
one claim per origin across the workers, spaced by the origin's delay."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.utils.test import get_crawler
from scrapy_redis.queue import PriorityQueue

from crawler.fetch.cluster_frontier import ClusterFrontier
from crawler.rights.robots import RobotsTxt
from crawler.signals import origin_rights_loaded
from tests.conftest import project_settings

KEY = "tdmcrawl:test:requests"
A, B, C = "http://127.0.0.2:8001", "http://127.0.0.3:8001", "http://127.0.0.2:8002"


def frontier(redis_url: str, tmp_path: Path, worker: str = "w1", **settings: Any) -> ClusterFrontier:
    values = {**project_settings(), "TDMCRAWL_OUTPUT_DIR": str(tmp_path / worker), "TDMCRAWL_WORKER_ID": worker, "DOWNLOAD_DELAY": 0.0, **settings}
    crawler = get_crawler(Spider, values)
    spider = Spider("frontier-test")
    spider.crawler = crawler
    return ClusterFrontier(server=redis.Redis.from_url(redis_url), spider=spider, key=KEY)


def redis_now_ms(queue: ClusterFrontier) -> float:
    seconds, micros = queue.server.time()
    return seconds * 1000 + micros / 1000


def ready_in_ms(queue: ClusterFrontier, origin: str) -> float:
    """How long until ``origin`` may be fetched again, by Redis's clock."""
    return float(queue.server.zscore(queue.busy_key, origin)) - redis_now_ms(queue)


def pop_until(queue: ClusterFrontier, timeout: float = 20.0) -> Request:
    """The next request the frontier hands out, waiting for an origin to become ready."""
    deadline = time.monotonic() + timeout
    while True:
        request = queue.pop()
        if request is not None:
            return request
        assert time.monotonic() < deadline, "no origin became ready"
        time.sleep(0.02)


def test_only_ready_origins_are_handed_out_one_claim_each(redis_url: str, tmp_path: Path) -> None:
    queue = frontier(redis_url, tmp_path)
    for url in (f"{A}/1", f"{A}/2", f"{A}/3", f"{B}/1", f"{C}/1"):
        queue.push(Request(url))
    assert len(queue) == 5
    first = [queue.pop() for _ in range(3)]
    # one request of each origin, each origin's first request first
    assert sorted(r.url for r in first) == sorted([f"{A}/1", f"{B}/1", f"{C}/1"])
    # A still has two requests queued, but it is claimed: nothing is ready
    assert queue.pop() is None and len(queue) == 2
    on_a = next(r for r in first if r.url.startswith(A))
    assert queue.release(on_a)  # no delay configured: A is ready at once
    assert queue.pop().url == f"{A}/2"
    assert queue.pop() is None
    # a request for a claimed origin waits behind the claim, ready origins do not
    queue.push(Request(f"{B}/2"))
    queue.push(Request(f"{C}/2"))
    assert queue.pop() is None
    queue.release(next(r for r in first if r.url.startswith(C)))
    assert queue.pop().url == f"{C}/2"
    assert len(queue) == 2


def test_an_origin_waits_its_delay_after_the_download_ends(redis_url: str, tmp_path: Path) -> None:
    queue = frontier(redis_url, tmp_path, DOWNLOAD_DELAY=30.0)
    for url in (f"{A}/1", f"{A}/2", f"{B}/1", f"{B}/2"):
        queue.push(Request(url))
    taken = {r.url: r for r in (queue.pop(), queue.pop())}
    assert set(taken) == {f"{A}/1", f"{B}/1"}
    assert queue.release(taken[f"{A}/1"])
    assert 25_000 < ready_in_ms(queue, A) <= 30_000
    assert queue.pop() is None and len(queue) == 2  # A waits its delay, B is claimed
    # B is released with a short delay: it comes out when that has run, A still waits
    assert queue.release(taken[f"{B}/1"], delay=0.3)
    assert pop_until(queue).url == f"{B}/2"
    assert len(queue) == 1 and queue.pop() is None


def test_crawl_delay_and_retry_after_set_the_wait(redis_url: str, tmp_path: Path) -> None:
    queue = frontier(redis_url, tmp_path, DOWNLOAD_DELAY=1.0, TDMCRAWL_CRAWL_DELAY_MAX=30.0, TDMCRAWL_RETRY_AFTER_MAX=600.0)
    robots = SimpleNamespace(robots=RobotsTxt.parse("User-agent: *\nCrawl-delay: 7\n"))
    capped = SimpleNamespace(robots=RobotsTxt.parse("User-agent: *\nCrawl-delay: 500\n"))
    queue.crawler.signals.send_catch_log(origin_rights_loaded, origin=A, rights=robots)
    queue.crawler.signals.send_catch_log(origin_rights_loaded, origin=B, rights=capped)
    for url in (f"{A}/1", f"{B}/1", f"{C}/1"):
        queue.push(Request(url))
    by_origin = {r.url.rsplit("/", 1)[0]: r for r in (queue.pop(), queue.pop(), queue.pop())}
    # C answered 503 with Retry-After: 120
    busy = Response(f"{C}/1", status=503, headers={"Retry-After": "120"}, request=by_origin[C])
    queue._response_downloaded(busy, by_origin[C])
    for request in by_origin.values():
        assert queue.release(request)
    assert 6_000 < ready_in_ms(queue, A) <= 7_000  # robots.txt Crawl-delay
    assert 29_000 < ready_in_ms(queue, B) <= 30_000  # capped at TDMCRAWL_CRAWL_DELAY_MAX
    assert 119_000 < ready_in_ms(queue, C) <= 120_000  # Retry-After


def test_a_dead_workers_claim_runs_out_and_can_be_freed(redis_url: str, tmp_path: Path) -> None:
    dead = frontier(redis_url, tmp_path, "dead")
    alive = frontier(redis_url, tmp_path, "alive")
    for url in (f"{A}/1", f"{A}/2", f"{A}/3"):
        alive.push(Request(url))
    dead.hold_ms = 400  # the claim of a worker that never releases it lasts this long
    taken = dead.pop()
    assert taken.url == f"{A}/1" and alive.pop() is None
    assert 0 < ready_in_ms(alive, A) <= 400
    second = pop_until(alive)  # the dead claim ran out
    assert second.url == f"{A}/2"
    assert not dead.release(taken)  # too late: the origin is another worker's now
    assert alive.server.hget(alive.claims_key, A).decode().startswith("alive|")
    # the reaper frees the claims of a worker whose heartbeat stopped, without waiting
    alive.hold_ms = 60_000
    dead.hold_ms = 60_000
    assert alive.release(second)
    assert dead.pop().url == f"{A}/3"
    assert alive.pop() is None
    assert alive.free_claims_of(lambda worker: worker == "dead") == 1
    assert alive.server.hget(alive.claims_key, A) is None
    assert ready_in_ms(alive, A) <= 0


def test_priority_first_then_first_in_first_out(redis_url: str, tmp_path: Path) -> None:
    queue = frontier(redis_url, tmp_path)
    for path, priority in (("/low1", 0), ("/low2", 0), ("/high", 5), ("/low3", 0), ("/lowest", -3), ("/high2", 5)):
        queue.push(Request(A + path, priority=priority))
    order = []
    while len(queue):
        request = queue.pop()
        order.append(request.url.rsplit("/", 1)[1])
        queue.release(request)
    assert order == ["high", "high2", "low1", "low2", "low3", "lowest"]


def test_len_is_kept_and_clear_removes_every_key(redis_url: str, tmp_path: Path) -> None:
    queue = frontier(redis_url, tmp_path)
    for url in (f"{A}/1", f"{A}/2", f"{B}/1", f"{C}/1", f"{C}/2"):
        queue.push(Request(url))
    queue.push(Request(f"{A}/1", dont_filter=True))  # the scheduler's dupefilter decides; the queue keeps both
    assert len(queue) == 6
    taken = queue.pop()
    assert len(queue) == 5
    queue.release(taken, delay=10.0)
    queue.clear()
    assert len(queue) == 0 and queue.pop() is None
    assert queue.server.keys(KEY + "*") == []
    queue.push(Request(f"{B}/9"))
    assert len(queue) == 1 and queue.pop().url == f"{B}/9"


def test_a_crawl_queued_by_scrapy_redis_priority_queue_resumes_into_origins(redis_url: str, tmp_path: Path) -> None:
    old = frontier(redis_url, tmp_path)
    legacy = PriorityQueue(server=old.server, spider=old.spider, key=KEY)
    for url in (f"{A}/1", f"{A}/2", f"{B}/1"):
        legacy.push(Request(url))
    assert old.server.type(KEY) == b"zset"
    queue = frontier(redis_url, tmp_path, "w2")
    assert len(queue) == 3 and not old.server.exists(KEY)
    assert sorted(r.url for r in (queue.pop(), queue.pop())) == [f"{A}/1", f"{B}/1"]


def test_a_request_from_outside_the_frontier_waits_for_the_claim(redis_url: str, tmp_path: Path) -> None:
    mine = frontier(redis_url, tmp_path, "w1")
    other = frontier(redis_url, tmp_path, "w2")
    mine.push(Request(f"{A}/1"))
    page = mine.pop()

    async def scenario() -> None:
        # robots.txt for an origin this worker holds goes at once, under the same claim
        robots = Request(f"{A}/robots.txt")
        await asyncio.wait_for(mine.admit(robots), 10)
        assert mine.claims[robots] is mine.claims[page]
        # one request of a claim on its way at a time: tdmrep.json goes when robots.txt is done
        tdmrep = Request(f"{A}/.well-known/tdmrep.json")
        rider = asyncio.ensure_future(mine.admit(tdmrep))
        # on the other worker a request for the origin waits until the claim is
        # released: when every request under it is done, not just the page
        waiting = asyncio.ensure_future(other.admit(Request(f"{A}/ai.txt")))
        await asyncio.sleep(0.3)
        assert not rider.done() and not waiting.done()
        assert mine.release(page)
        assert mine.release(robots)
        await asyncio.wait_for(rider, 10)
        await asyncio.sleep(0.3)
        assert not waiting.done()
        assert mine.release(tdmrep)
        await asyncio.wait_for(waiting, 10)

    asyncio.run(scenario())
    assert other.server.hget(other.claims_key, A).decode().startswith("w2|")
    assert other.crawler.stats.get_value("tdmcrawl/frontier/admit_waited") == 1
    assert mine.crawler.stats.get_value("tdmcrawl/frontier/admit_waited") is None


@pytest.fixture(autouse=True)
def _empty(redis_url: str) -> None:
    redis.Redis.from_url(redis_url).flushdb()
