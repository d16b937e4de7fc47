"""The politeness-aware frontier of a distributed crawl, in Redis: workers are
handed only requests whose origin may be fetched now, and an origin gets one
request at a time from the whole cluster, spaced by its delay.

scrapy-redis's ``PriorityQueue`` pops requests whatever the state of their
origin; a request for an origin that another worker is fetching, or that is
inside its delay, then waits in the downloader, holding a place of the
``CONCURRENT_REQUESTS`` window while origins that are ready wait behind it.
Here, as in the single-process frontier (:mod:`crawler.fetch.frontier`),
each origin (scheme + host + port) has its own queue, and origins are served
in the order they become ready. :class:`ClusterFrontier` is a scrapy-redis
queue (``SCHEDULER_QUEUE_CLASS``); under its key ``K`` it keeps

* ``K:q:<origin>``: the origin's requests, a sorted set by priority, first in
  first out within a priority (a sequence number prefixes each member);
* ``K:ready``: the origins that have queued requests, scored by the time
  (Redis server time, ms) from which the next may be taken;
* ``K:busy``: origins claimed or inside their delay, with the time that ends;
* ``K:claims``: origin -> token (``<worker id>|<random>``) of the claim held;
* ``K:count`` (queued requests, so ``len`` is one GET) and ``K:seq``.

``pop`` (one Lua script) takes a request from the first ready origin and
claims the origin: it stays busy until the claim is released, and at most
``DOWNLOAD_TIMEOUT`` + 30 s (renewed every heartbeat while the worker lives)
so a dead worker cannot block an origin; the scheduler's reaper also frees
the claims of workers whose heartbeat stopped. The claim is released when the
download ends (``request_left_downloader``, response or error): the origin
becomes ready again after its delay, the longest of ``DOWNLOAD_DELAY``, the
worker's download-slot delay (AutoThrottle), robots.txt Crawl-delay or
Request-rate (from ``origin_rights_loaded``, capped at
``TDMCRAWL_CRAWL_DELAY_MAX``) and a 429/503's Retry-After (capped at
``TDMCRAWL_RETRY_AFTER_MAX``). The delay counts from the start of the
download, as Scrapy's download slots count it (one request at a time still:
the next goes only after the release), a Retry-After from its answer. A
request that never reached the network (a rights decision, an audit without
headers, a home page the terms lookup had read) frees its claim after what is
left of the delay since the worker's last request to the origin. Requests that do not come from the
frontier (robots.txt and the other policy files, the home page read for the
terms link) go under this worker's claim on their origin, which then lasts
until they are done too (they are fetched for the claimed request), or else
claim the origin themselves, waiting for it. Every request meets its claim in
:meth:`ClusterFrontier.admit`, called by the downloader middleware, which lets
one request of a claim go at a time (Scrapy sends the queued requests of a
download slot with no delay all at once, whatever its concurrency). Every time is Redis's (``TIME``), never a worker's clock.

When no origin is ready, ``pop`` returns nothing and the engine is asked to
look again when the first origin will be (at most every
``POLL_SECONDS`` when that origin is claimed by another worker, whose release
this worker does not see). Priorities order requests within an origin; across
origins, readiness decides.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from scrapy import signals
from scrapy_redis.queue import Base

from crawler.context import CrawlContext
from crawler.fetch.frontier import EngineWakeup
from crawler.fetch.politeness import retry_after_wait, robots_delay
from crawler.signals import origin_rights_loaded
from crawler.urls import origin_of

logger = logging.getLogger(__name__)

STAT_PREFIX = "tdmcrawl/frontier"
CLAIM_MARGIN_SECONDS = 30.0  # a claim outlives the download timeout by this much
POLL_SECONDS = 0.25  # how soon a worker looks again at an origin another worker holds
CLEAR_BATCH = 500

_NOW = """
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS: origin queue, ready, busy, count, seq. ARGV: origin, score (-priority), request.
_PUSH = """
local seq = redis.call('incr', KEYS[5])
redis.call('zadd', KEYS[1], ARGV[2], string.format('%016d', seq) .. ARGV[3])
redis.call('incr', KEYS[4])
if not redis.call('zscore', KEYS[2], ARGV[1]) then
  redis.call('zadd', KEYS[2], redis.call('zscore', KEYS[3], ARGV[1]) or 0, ARGV[1])
end
return 1
"""

# KEYS: ready, busy, claims, count. ARGV: queue prefix, token, hold ms.
# Returns {0, origin, request}; or {ms until the first origin is ready, 1 if it is claimed
# (its release will move that time) else 0}; or {-1} when nothing is queued.
_POP = _NOW + """
local stale = redis.call('zrangebyscore', KEYS[2], '-inf', now, 'LIMIT', 0, 16)
for _, origin in ipairs(stale) do
  redis.call('zrem', KEYS[2], origin)
  redis.call('hdel', KEYS[3], origin)
end
for _ = 1, 16 do
  local first = redis.call('zrange', KEYS[1], 0, 0, 'WITHSCORES')
  if #first == 0 then return {-1} end
  local at = tonumber(first[2])
  if at > now then return {math.ceil(at - now), redis.call('hexists', KEYS[3], first[1])} end
  local origin = first[1]
  local queue = ARGV[1] .. origin
  local item = redis.call('zpopmin', queue)
  if #item == 0 then
    redis.call('zrem', KEYS[1], origin)
  else
    redis.call('decr', KEYS[4])
    local held = now + tonumber(ARGV[3])
    redis.call('zadd', KEYS[2], held, origin)
    redis.call('hset', KEYS[3], origin, ARGV[2])
    if redis.call('zcard', queue) > 0 then
      redis.call('zadd', KEYS[1], held, origin)
    else
      redis.call('zrem', KEYS[1], origin)
    end
    return {0, origin, string.sub(item[1], 17)}
  end
end
return {0, 0}
"""

# KEYS: ready, busy, claims. ARGV: origin, token, hold ms. 0 when claimed, else ms to wait.
_CLAIM = _NOW + """
local busy = redis.call('zscore', KEYS[2], ARGV[1])
if busy and tonumber(busy) > now then return math.ceil(tonumber(busy) - now) end
local held = now + tonumber(ARGV[3])
redis.call('zadd', KEYS[2], held, ARGV[1])
redis.call('hset', KEYS[3], ARGV[1], ARGV[2])
redis.call('zadd', KEYS[1], 'XX', held, ARGV[1])
return 0
"""

# KEYS: ready, busy, claims. ARGV: origin, token, ms from now. Only the claim's holder moves it:
# to now + ms, keeping the claim (renewal) or ending it (release, ARGV[4] = 1).
_SET = _NOW + """
if redis.call('hget', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
if ARGV[4] == '1' then redis.call('hdel', KEYS[3], ARGV[1]) end
local at = now + tonumber(ARGV[3])
redis.call('zadd', KEYS[2], at, ARGV[1])
redis.call('zadd', KEYS[1], 'XX', at, ARGV[1])
return 1
"""


@dataclass(eq=False)
class Claim:
    """This worker's claim on an origin, and the requests that go under it: the
    one popped (or admitted) with it and the policy files fetched for it. It is
    released when the last of them has left the downloader, with the longest
    delay they call for."""

    origin: str
    token: str
    requests: int = 0
    delay: float = 0.0
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)  # held by the request on its way to the origin
    sending: Any = None


def origin_key(url: str) -> str:
    """The origin a request goes to (a redirect keeps its first download slot, not its origin)."""
    return str(origin_of(url))


def _engine_of(crawler: Any) -> Any:
    try:
        return crawler.engine
    except RuntimeError:  # not crawling (a queue built on its own)
        return None


class ClusterFrontier(Base):
    """See the module docstring: per-origin queues in Redis, served as origins become ready."""

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None):
        super().__init__(server, spider, key, serializer)
        self.ready_key = f"{self.key}:ready"
        self.busy_key = f"{self.key}:busy"
        self.claims_key = f"{self.key}:claims"
        self.count_key = f"{self.key}:count"
        self.seq_key = f"{self.key}:seq"
        self.queue_prefix = f"{self.key}:q:"
        crawler = spider.crawler
        self.crawler = crawler
        settings = crawler.settings
        self.hold_ms = int((settings.getfloat("DOWNLOAD_TIMEOUT") + CLAIM_MARGIN_SECONDS) * 1000)
        self.default_delay = settings.getfloat("DOWNLOAD_DELAY")
        self.crawl_delay_max = settings.getfloat("TDMCRAWL_CRAWL_DELAY_MAX")
        self.retry_after_max = settings.getfloat("TDMCRAWL_RETRY_AFTER_MAX")
        context = CrawlContext.for_crawler(crawler)
        self.worker_id = context.worker_id
        self.robots_token = context.token
        self.min_delays: dict[str, float] = {}  # origin -> robots.txt delay (capped)
        self.claims: dict[Any, Claim] = {}  # request -> the claim it goes under (popped or admitted here)
        self.held: dict[str, Claim] = {}  # origin -> this worker's claim on it
        self.retry_after: dict[Any, float] = {}  # request -> Retry-After of its response
        self._push = server.register_script(_PUSH)
        self._pop = server.register_script(_POP)
        self._claim = server.register_script(_CLAIM)
        self._set = server.register_script(_SET)
        self.engine = _engine_of(crawler)
        self.wakeup = EngineWakeup(self.engine)
        crawler.signals.connect(self._origin_rights_loaded, signal=origin_rights_loaded)
        crawler.signals.connect(self._response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(self._left_downloader, signal=signals.request_left_downloader)
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)
        self._take_over_priority_queue()

    # ------------------------------------------------------------------ queue interface
    def __len__(self) -> int:
        return int(self.server.get(self.count_key) or 0)

    def push(self, request: Any) -> None:
        origin = origin_key(request.url)
        keys = [self.queue_prefix + origin, self.ready_key, self.busy_key, self.count_key, self.seq_key]
        self._push(keys=keys, args=[origin, -request.priority, self._encode_request(request)])

    def pop(self, timeout: int = 0) -> Any:
        self._free_unsent()
        token = self._new_token()
        answer = self._pop(keys=[self.ready_key, self.busy_key, self.claims_key, self.count_key], args=[self.queue_prefix, token, self.hold_ms])
        if len(answer) < 3:
            if len(answer) == 2 and self.engine is not None:
                self.crawler.stats.inc_value(f"{STAT_PREFIX}/none_ready")
                wait = int(answer[0]) / 1000
                claimed = bool(int(answer[1]))  # released by its worker at a time nobody here knows
                self.wakeup.at(min(wait, POLL_SECONDS) if claimed else wait)
            return None
        origin = answer[1].decode() if isinstance(answer[1], bytes) else answer[1]
        request = self._decode_request(answer[2])
        self._hold(request, Claim(origin, token))
        self.crawler.stats.inc_value(f"{STAT_PREFIX}/released")
        return request

    def clear(self) -> None:
        cursor = 0
        while True:
            cursor, entries = self.server.zscan(self.ready_key, cursor, count=CLEAR_BATCH)
            if entries:
                self.server.delete(*(self.queue_prefix + (o.decode() if isinstance(o, bytes) else o) for o, _ in entries))
            if not cursor:
                break
        self.server.delete(self.key, self.ready_key, self.busy_key, self.claims_key, self.count_key, self.seq_key)
        self.claims.clear()
        self.held.clear()

    # ------------------------------------------------------------------ claims
    async def admit(self, request: Any) -> None:
        """Let a request go to its origin, one at a time per claim. A request
        that did not come from the frontier goes under this worker's claim on
        its origin when there is one (the claim then lasts until it too has
        left the downloader), else once it has claimed the origin itself."""
        claim = self.claims.get(request)
        if claim is None:
            claim = await self._claim_for(origin_key(request.url))
            self._hold(request, claim)
        # Scrapy sends the queued requests of a download slot that has no delay
        # all at once, whatever its concurrency: the claim lets one go at a time.
        await claim.turn.acquire()
        claim.sending = request

    async def _claim_for(self, origin: str) -> Claim:
        token = self._new_token()
        waited = False
        while origin not in self.held:
            wait_ms = int(self._claim(keys=[self.ready_key, self.busy_key, self.claims_key], args=[origin, token, self.hold_ms]))
            if wait_ms <= 0:
                return Claim(origin, token)
            if not waited:
                waited = True
                self.crawler.stats.inc_value(f"{STAT_PREFIX}/admit_waited")
            await asyncio.sleep(min(wait_ms / 1000, POLL_SECONDS))
        return self.held[origin]

    def release(self, request: Any, delay: float | None = None) -> bool:
        """``request`` is done with its origin, which is ready ``delay`` seconds
        from now (default: the origin's delay) once no other request of this
        worker goes under the same claim. False if it held no claim, or the
        claim was lost (expired and taken by another worker)."""
        claim = self.claims.pop(request, None)
        retry_after = self.retry_after.pop(request, None)
        if claim is None:
            return False
        if claim.sending is request:
            claim.sending = None
            claim.turn.release()
        if delay is None:
            # The delay runs from the start of the download, as in Scrapy's download slots
            # (and the single-process frontier); a Retry-After runs from its answer.
            delay = max(self.delay_of(claim.origin, request) - self._since_sent(request), retry_after or 0.0, 0.0)
        claim.delay = max(claim.delay, delay)
        claim.requests -= 1
        if claim.requests > 0:
            return True
        if self.held.get(claim.origin) is claim:
            del self.held[claim.origin]
        return bool(self._set(keys=[self.ready_key, self.busy_key, self.claims_key], args=[claim.origin, claim.token, int(claim.delay * 1000), 1]))

    def _since_sent(self, request: Any) -> float:
        """Seconds since this worker last sent a request to ``request``'s origin:
        its download slot's ``lastseen`` (one request of a claim goes at a time,
        so after a download that is this one); infinite when this worker has
        sent it nothing (a request dropped before the network owes no delay)."""
        if self.engine is None:
            return 0.0  # no downloader to ask: the whole delay, from now
        slot = self._download_slot(request)
        if slot is None or not slot.lastseen:
            return float("inf")
        return max(0.0, time.monotonic() - slot.lastseen)

    def renew(self) -> None:
        """Keep this worker's claims from expiring while their requests are in its hands."""
        for claim in list(self.held.values()):
            self._set(keys=[self.ready_key, self.busy_key, self.claims_key], args=[claim.origin, claim.token, self.hold_ms, 0])

    def free_claims_of(self, dead: Callable[[str], bool]) -> int:
        """Release the claims of workers ``dead`` says stopped (their downloads
        may have been sent: the origin's delay still runs)."""
        freed = 0
        for origin, token in self.server.hgetall(self.claims_key).items():
            origin, token = origin.decode(), token.decode()
            worker = token.rpartition("|")[0]
            if worker != self.worker_id and dead(worker):
                freed += int(self._set(keys=[self.ready_key, self.busy_key, self.claims_key], args=[origin, token, int(self.delay_of(origin) * 1000), 1]))
        return freed

    def delay_of(self, origin: str, request: Any = None) -> float:
        delay = max(self.default_delay, self.min_delays.get(origin, 0.0))
        slot = self._download_slot(request) if request is not None else None
        if slot is not None:
            delay = max(delay, slot.delay)  # AutoThrottle's, on this worker
        return delay

    def _download_slot(self, request: Any) -> Any:
        """This worker's Scrapy download slot for ``request`` (keyed by origin), if it has one."""
        if self.engine is None:
            return None
        return self.engine.downloader.slots.get(request.meta.get("download_slot") or origin_key(request.url))

    def _hold(self, request: Any, claim: Claim) -> None:
        self.claims[request] = claim
        claim.requests += 1
        self.held[claim.origin] = claim

    def _new_token(self) -> str:
        return f"{self.worker_id}|{uuid.uuid4().hex}"

    def _free_unsent(self) -> None:
        """Requests popped or admitted here that left the downloader without a
        download of their own (dropped by a middleware, or answered by one: the
        home page the terms lookup read): their origins wait out only what is
        left of the delay since this worker's last request to them."""
        if self.engine is None or not self.claims:
            return
        active = self.engine.downloader.active
        for request in [r for r in self.claims if r not in active]:
            self.release(request)

    # ------------------------------------------------------------------ signals
    def _origin_rights_loaded(self, origin: str, rights: Any) -> None:
        self.min_delays[origin] = min(robots_delay(rights.robots, self.robots_token), self.crawl_delay_max)

    def _response_downloaded(self, response: Any, request: Any, spider: Any = None) -> None:
        if request in self.claims:
            wait = retry_after_wait(response, self.retry_after_max)
            if wait is not None:
                self.retry_after[request] = wait

    def _left_downloader(self, request: Any, spider: Any = None) -> None:
        self.release(request)

    def _spider_closed(self, spider: Any = None, reason: str = "") -> None:
        self.wakeup.cancel()
        for request in list(self.claims):
            self.release(request)

    def tick(self) -> None:
        """The heartbeat's work: free what was never sent, renew the rest."""
        self._free_unsent()
        self.renew()

    # ------------------------------------------------------------------ resume
    def _take_over_priority_queue(self) -> None:
        """A crawl started before this frontier kept its requests in one
        scrapy-redis priority queue under the key itself: move them in."""
        if self.server.type(self.key) not in (b"zset", "zset"):
            return
        moved = 0
        while True:
            batch = self.server.zpopmin(self.key, CLEAR_BATCH)
            if not batch:
                break
            for encoded, _ in batch:
                self.push(self._decode_request(encoded))
                moved += 1
        logger.info("moved %d queued requests into the per-origin frontier", moved)
