"""Distributed crawls on scrapy-redis: one shared frontier for any number of
worker processes on any number of machines, and the four things scrapy-redis
does not do that a polite, loss-free crawl needs.

* **A politeness-aware frontier** (:class:`crawler.fetch.cluster_frontier.ClusterFrontier`,
  the scheduler's queue): per-origin queues in Redis; a worker is handed only
  requests whose origin may be fetched now and claims the origin until the
  download ends, so no request waits in a downloader for its origin's turn.
* **Leases** (:class:`ClusterScheduler`, a scrapy-redis ``Scheduler``): a
  request popped from the shared queue is recorded as leased to its worker
  until its URL has a decision; workers send a heartbeat, and the leases (and
  origin claims) of a worker whose heartbeat stopped are put back, so killing
  a worker loses nothing.
* **Politeness across workers**: the frontier's origin claims; the claim is
  held for the download and the origin then waits its delay (robots.txt
  Crawl-delay, ``DOWNLOAD_DELAY``, Retry-After), so an origin never sees two
  requests at once from the whole cluster, nor requests closer than its delay.
  :class:`ClusterPolitenessMiddleware` puts the requests that do not come from
  the frontier (policy files) under the same claims.
* **Policy files fetched once** (:class:`RedisPolicyCache`): robots.txt,
  tdmrep.json, ai.txt and RSL documents are fetched by one worker and shared
  through Redis with the others (for at most the robots.txt cache lifetime).

Keys live under ``tdmcrawl:<crawl id>:``. The crawl's configuration (seeds,
scope, policy) is stored there by ``tdmcrawl crawl --redis`` so that
``tdmcrawl worker --redis`` can join it.
"""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import socket
import time
import weakref
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy_redis.scheduler import Scheduler

from crawler.context import CrawlContext
from crawler.model.meta import META_SITEMAP
from crawler.fetch.frontier import pull_now
from crawler.signals import decision_recorded

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
HEARTBEAT_TTL = 10  # a worker silent this long is dead; its leases go back to the queue
LATEST_KEY = "tdmcrawl:latest"


def key_prefix(crawl_id: str) -> str:
    return f"tdmcrawl:{crawl_id}"


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def connect(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10)


def cluster_settings(redis_url: str, crawl_id: str) -> dict[str, Any]:
    """The Scrapy settings that put a crawl on scrapy-redis with our additions."""
    prefix = key_prefix(crawl_id)
    return {
        "REDIS_URL": redis_url,
        "SCHEDULER": "crawler.cluster.ClusterScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
        "SCHEDULER_QUEUE_CLASS": "crawler.fetch.cluster_frontier.ClusterFrontier",
        "SCHEDULER_PERSIST": True,  # a stopped or crashed crawl resumes from Redis
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
        "TDMCRAWL_REDIS_URL": redis_url,
        "TDMCRAWL_CRAWL_ID": crawl_id,
    }


def cluster_components(settings: Any) -> dict[str, Any]:
    """The project's components plus the cluster's (merged into the settings' dicts)."""
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["crawler.cluster.ClusterPolitenessMiddleware"] = 110
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions["crawler.cluster.ClusterCoordinator"] = 150
    return {"DOWNLOADER_MIDDLEWARES": middlewares, "EXTENSIONS": extensions}


def store_config(server: Any, crawl_id: str, config: dict[str, Any]) -> None:
    server.set(f"{key_prefix(crawl_id)}:config", json.dumps(config))
    server.set(LATEST_KEY, crawl_id)


def load_config(server: Any, crawl_id: str | None) -> tuple[str, dict[str, Any]]:
    if crawl_id is None:
        latest = server.get(LATEST_KEY)
        if latest is None:
            raise LookupError("no crawl has been started on this Redis (start one with `tdmcrawl crawl --redis`)")
        crawl_id = latest.decode()
    raw = server.get(f"{key_prefix(crawl_id)}:config")
    if raw is None:
        raise LookupError(f"no crawl {crawl_id!r} on this Redis")
    return crawl_id, json.loads(raw)


WAIT_REMINDER_SECONDS = 30.0


def wait_for_crawl(redis_url: str, crawl_id: str | None, timeout: float, on_wait: Any, poll: float = 0.5) -> tuple[Any, str, dict[str, Any]]:
    """(server, crawl id, config) of the crawl to join, waiting up to
    ``timeout`` seconds for it to be started and for Redis to answer: workers
    of a cluster start together with the crawl (a Deployment, a batch job), so
    a worker that is first waits as scrapy-redis spiders do. ``on_wait`` gets
    one line when the wait begins and one every 30 s. Raises LookupError with
    the last reason when the wait ends with no crawl."""
    import redis

    server = connect(redis_url)
    deadline = time.monotonic() + max(0.0, timeout)
    reminder = 0.0
    while True:
        try:
            server.ping()
            return (server, *load_config(server, crawl_id))
        except LookupError as exc:
            reason = str(exc)
        except redis.RedisError as exc:
            reason = f"cannot reach Redis at {redis_url}: {exc}"
        now = time.monotonic()
        if now >= deadline:
            raise LookupError(reason if not timeout else f"{reason}; waited {timeout:g} s")
        if now >= reminder:
            what = f"crawl {crawl_id!r}" if crawl_id else "a crawl"
            on_wait(f"waiting for {what} to be started on {redis_url} ({reason}); giving up in {deadline - now:.0f} s")
            reminder = now + WAIT_REMINDER_SECONDS
        time.sleep(min(poll, max(0.0, deadline - now)))


class ClusterScheduler(Scheduler):
    """scrapy-redis's scheduler, with leases on the requests this worker took."""

    _by_crawler: "weakref.WeakKeyDictionary[Any, ClusterScheduler]" = weakref.WeakKeyDictionary()

    @classmethod
    def of(cls, crawler: Any) -> "ClusterScheduler | None":
        """The scheduler of ``crawler``, when it is this one (the coordinator's way to it)."""
        return cls._by_crawler.get(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ClusterScheduler":
        scheduler = super().from_crawler(crawler)
        context = CrawlContext.for_crawler(crawler)
        prefix = key_prefix(context.crawl_id)
        scheduler.worker_id = context.worker_id
        scheduler.lease_requests = f"{prefix}:lease-requests"
        scheduler.lease_owners = f"{prefix}:lease-owners"
        scheduler.heartbeat_prefix = f"{prefix}:heartbeat:"
        # A worker takes no more than it can work on soon, so the others get a share
        # (Scrapy would otherwise pull CONCURRENT_REQUESTS requests that mostly wait
        # for their origin's turn).
        scheduler.max_leases = crawler.settings.getint("TDMCRAWL_CLUSTER_LEASES")
        scheduler.held: set[str] = set()
        cls._by_crawler[crawler] = scheduler
        return scheduler

    def next_request(self) -> Any:
        if len(self.held) >= self.max_leases:
            return None
        request = super().next_request()
        if request is not None:
            pipe = self.server.pipeline()
            pipe.hset(self.lease_requests, request.url, self.queue._encode_request(request))
            pipe.hset(self.lease_owners, request.url, self.worker_id)
            pipe.execute()
            self.held.add(request.url)
        return request

    def release(self, *urls: str | None) -> None:
        keys = [u for u in urls if u]
        self.held.difference_update(keys)
        if keys:
            pipe = self.server.pipeline()
            pipe.hdel(self.lease_requests, *keys)
            pipe.hdel(self.lease_owners, *keys)
            pipe.execute()

    def heartbeat(self) -> None:
        self.server.set(self.heartbeat_prefix + self.worker_id, "1", ex=HEARTBEAT_TTL)

    def reap(self) -> int:
        """Put back in the queue what dead workers had leased."""
        owners = {k.decode(): v.decode() for k, v in self.server.hgetall(self.lease_owners).items()}
        alive: dict[str, bool] = {}

        def dead(worker: str) -> bool:
            if worker not in alive:
                alive[worker] = bool(self.server.exists(self.heartbeat_prefix + worker))
            return not alive[worker]

        requeued = 0
        for url, owner in owners.items():
            if owner == self.worker_id or not dead(owner):
                continue
            encoded = self.server.hget(self.lease_requests, url)
            if encoded is not None:
                self.queue.push(self.queue._decode_request(encoded))
                requeued += 1
            self.release(url)
        if requeued:
            logger.warning("re-queued %d requests leased by workers that stopped answering", requeued)
        freed = self.queue.free_claims_of(dead)
        if freed:
            logger.warning("freed %d origins claimed by workers that stopped answering", freed)
        return requeued

    def cluster_busy(self) -> bool:
        return len(self.queue) > 0 or self.server.hlen(self.lease_owners) > 0


class ClusterCoordinator:
    """Extension: heartbeat, reaping of dead workers' leases, lease release when
    a URL has its decision, and not closing while the cluster still has work."""

    def __init__(self, crawler: Any):
        if not crawler.settings.get("TDMCRAWL_REDIS_URL"):
            raise NotConfigured
        self.crawler = crawler
        self._task: Any = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)
        crawler.signals.connect(self.idle, signal=signals.spider_idle)
        crawler.signals.connect(self.decided, signal=decision_recorded)
        crawler.signals.connect(self.response, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ClusterCoordinator":
        return cls(crawler)

    @property
    def scheduler(self) -> ClusterScheduler | None:
        return ClusterScheduler.of(self.crawler)

    def opened(self, spider: Any) -> None:
        from twisted.internet import task

        self._task = task.LoopingCall(self.tick)
        self._task.start(HEARTBEAT_SECONDS, now=True)

    def tick(self) -> None:
        scheduler = self.scheduler
        if scheduler is None:
            return
        try:
            scheduler.heartbeat()
            scheduler.queue.tick()
            scheduler.reap()
            if len(scheduler.queue):
                pull_now(self.crawler.engine)  # pick up what others queued, now
        except Exception:
            logger.exception("cluster heartbeat failed")

    def decided(self, record: Any) -> None:
        scheduler = self.scheduler
        if scheduler is not None:
            full = len(scheduler.held) >= scheduler.max_leases
            scheduler.release(record.url, record.final_url)
            if full and len(scheduler.held) < scheduler.max_leases:
                pull_now(self.crawler.engine)  # a lease is free: take the next ready request now

    def response(self, response: Any, request: Any, spider: Any = None) -> None:
        if request.meta.get(META_SITEMAP) and self.scheduler is not None:
            self.scheduler.release(request.url)  # a sitemap has no decision; reading it is its end

    def idle(self, spider: Any = None) -> None:
        scheduler = self.scheduler
        if scheduler is not None and scheduler.cluster_busy():
            scheduler.reap()
            raise DontCloseSpider

    def closed(self, spider: Any, reason: str) -> None:
        if self._task is not None and self._task.running:
            self._task.stop()
        scheduler = self.scheduler
        if scheduler is not None:
            scheduler.server.delete(scheduler.heartbeat_prefix + scheduler.worker_id)


class ClusterPolitenessMiddleware:
    """Downloader middleware, where requests meet their origin's claim (see
    :meth:`ClusterFrontier.admit`): one request at a time per claim, and a
    request that does not come from the frontier (robots.txt and the other
    policy files, the terms page) goes under this worker's claim on its origin
    or waits here to claim it. Place it after the rights and audit middlewares
    (a request they drop is never sent)."""

    def __init__(self, crawler: Any):
        if not crawler.settings.get("TDMCRAWL_REDIS_URL"):
            raise NotConfigured
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ClusterPolitenessMiddleware":
        return cls(crawler)

    async def process_request(self, request: Any, spider: Any = None) -> None:
        scheduler = ClusterScheduler.of(self.crawler)
        if scheduler is not None:
            await scheduler.queue.admit(request)
        return None


class RedisPolicyCache:
    """robots.txt and the other policy files, fetched once for the cluster."""

    def __init__(self, url: str, crawl_id: str, ttl: float):
        self.server = connect(url)
        self.prefix = key_prefix(crawl_id)
        self.ttl = ttl

    def _key(self, url: str) -> str:
        return f"{self.prefix}:policy:{url}"

    def get(self, url: str) -> dict[str, Any] | None:
        raw = self.server.get(self._key(url))
        if raw is None:
            return None
        value = json.loads(raw)
        value["body"] = base64.b64decode(value["body"])
        return value

    def put(self, url: str, value: dict[str, Any], ttl: float) -> None:
        stored = dict(value, body=base64.b64encode(value["body"]).decode("ascii"))
        self.server.set(self._key(url), json.dumps(stored), px=max(1, int(ttl * 1000)))

    def try_lock(self, url: str, seconds: float = 120.0) -> bool:
        return bool(self.server.set(self._key(url) + ":fetching", "1", nx=True, px=int(seconds * 1000)))

    def unlock(self, url: str) -> None:
        self.server.delete(self._key(url) + ":fetching")

    async def wait_for(self, url: str, timeout: float = 120.0) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.get(url)
            if value is not None:
                return value
            if not self.server.exists(self._key(url) + ":fetching"):
                # Stored just before the lock went away, or the fetcher gave up or
                # died (None: fetch it ourselves).
                return self.get(url)
            await asyncio.sleep(0.05)
        return None
