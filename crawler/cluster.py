"""Distributed crawls on scrapy-redis: one shared frontier for any number of
worker processes on any number of machines, and the three things scrapy-redis
does not do that a polite, loss-free crawl needs.

* **Leases** (:class:`ClusterScheduler`, a scrapy-redis ``Scheduler``): a
  request popped from the shared queue is recorded as leased to its worker
  until its URL has a decision; workers send a heartbeat, and the leases of a
  worker whose heartbeat stopped are put back in the queue, so killing a worker
  loses nothing.
* **Politeness across workers** (:class:`ClusterPolitenessMiddleware`): before
  a request goes out, its worker takes the origin's lock in Redis; the lock is
  held for the download and then kept for the origin's delay (robots.txt
  Crawl-delay, ``DOWNLOAD_DELAY``), so an origin never sees two requests at
  once from the whole cluster, nor requests closer than its delay.
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
import uuid
import weakref
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy_redis.scheduler import Scheduler

from crawler.context import CrawlContext
from crawler.model.meta import META_SITEMAP
from crawler.fetch.politeness import robots_delay
from crawler.signals import decision_recorded, origin_rights_loaded
from crawler.urls import origin_of

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
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
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
        requeued = 0
        for url, owner in owners.items():
            if owner == self.worker_id:
                continue
            if owner not in alive:
                alive[owner] = bool(self.server.exists(self.heartbeat_prefix + owner))
            if alive[owner]:
                continue
            encoded = self.server.hget(self.lease_requests, url)
            if encoded is not None:
                self.queue.push(self.queue._decode_request(encoded))
                requeued += 1
            self.release(url)
        if requeued:
            logger.warning("re-queued %d requests leased by workers that stopped answering", requeued)
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
            scheduler.reap()
            if len(scheduler.queue) and self.crawler.engine is not None and self.crawler.engine._slot is not None:
                self.crawler.engine._slot.nextcall.schedule()  # pick up what others queued, now
        except Exception:
            logger.exception("cluster heartbeat failed")

    def decided(self, record: Any) -> None:
        if self.scheduler is not None:
            self.scheduler.release(record.url, record.final_url)

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


# Compare-and-set: only the holder shortens or releases the lock.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  if tonumber(ARGV[2]) > 0 then return redis.call('pexpire', KEYS[1], ARGV[2]) end
  return redis.call('del', KEYS[1])
end
return 0
"""


class ClusterPolitenessMiddleware:
    """Downloader middleware: one request at a time per origin across the
    cluster, spaced by the origin's delay. Place it after the rights middleware
    (it needs the origin's Crawl-delay)."""

    META_LOCK = "tdmcrawl_cluster_lock"

    def __init__(self, crawler: Any):
        url = crawler.settings.get("TDMCRAWL_REDIS_URL")
        if not url:
            raise NotConfigured
        self.crawler = crawler
        self.server = connect(url)
        self.prefix = key_prefix(CrawlContext.for_crawler(crawler).crawl_id)
        self.hold_ms = int((crawler.settings.getfloat("DOWNLOAD_TIMEOUT") + 30) * 1000)
        self.default_delay = crawler.settings.getfloat("DOWNLOAD_DELAY")
        self.crawl_delay_max = crawler.settings.getfloat("TDMCRAWL_CRAWL_DELAY_MAX")
        self.token = CrawlContext.for_crawler(crawler).token
        self.min_delays: dict[str, float] = {}
        self.release_script = self.server.register_script(_RELEASE)
        crawler.signals.connect(self._origin_rights_loaded, signal=origin_rights_loaded)

    def _origin_rights_loaded(self, origin: str, rights: Any) -> None:
        self.min_delays[origin] = min(robots_delay(rights.robots, self.token), self.crawl_delay_max)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ClusterPolitenessMiddleware":
        return cls(crawler)

    async def process_request(self, request: Any, spider: Any = None) -> None:
        key = f"{self.prefix}:origin-lock:{origin_of(request.url)}"
        token = uuid.uuid4().hex
        wait = 0.02
        while not self.server.set(key, token, nx=True, px=self.hold_ms):
            await asyncio.sleep(wait)
            wait = min(wait * 1.5, 0.25)
        request.meta[self.META_LOCK] = (key, token)
        return None

    def _release(self, request: Any) -> None:
        lock = request.meta.pop(self.META_LOCK, None)
        if lock is None:
            return
        key, token = lock
        origin = key.rsplit(":origin-lock:", 1)[1]
        delay = max(self.default_delay, self.min_delays.get(origin, 0.0))
        self.release_script(keys=[key], args=[token, int(delay * 1000)])

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        self._release(request)
        return response

    def process_exception(self, request: Any, exception: BaseException, spider: Any = None) -> None:
        self._release(request)
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
