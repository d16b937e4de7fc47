"""The HTTP side of remote opt-out registries: a client for a Spawning-style API.

Owns asking the service: grouping the URLs of many concurrent callers into few
POSTs (a short wait collects them, at most 10,000 URLs a request), the API key
(read from an environment variable named in settings, never logged or written
into evidence), time-outs, retries with back-off on 429, 5xx and network
errors, a per-URL cache of answers, and a pause after the service has failed
so a crawl does not wait out the retries again for every URL.

It never silently allows: without a key, or when the service cannot answer,
:meth:`SpawningRegistry.check` returns ``opted_out=None`` and the caller decides
by policy (``TDMCRAWL_REGISTRY_UNAVAILABLE``: stop the crawl, or exclude with
``registry-unavailable``). It must not import Scrapy or decide anything: the
wire format and the findings are in :mod:`crawler.rights.registry`.

The request, as the Spawning API takes it: ``POST`` to the endpoint (e.g.
``…/api/v2/query/urls/``) with the URLs one a line as ``text/plain`` and the
header ``Authorization: API <key>``; the answer is JSON
``{"urls": [{"url": …, "optOut": true|false, "optIn": …}, …]}``.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from crawler.rights.evidence import Evidence
from crawler.rights.registry import (
    SIGNAL,
    SPAWNING_MAX_BATCH,
    RegistryResult,
    SpawningAnswer,
    parse_spawning_answer,
    spawning_query_body,
)

__all__ = ["SpawningRegistry", "RegistryResult", "RegistryUnavailable", "UNAVAILABLE_POLICIES"]

logger = logging.getLogger(__name__)

DEFAULT_KEY_ENV = "SPAWNING_OPTS_KEY"
UNAVAILABLE_POLICIES = ("stop", "exclude")
_MAX_ANSWER_BYTES = 64 * 1024 * 1024  # 10,000 URLs with their answers fit many times over


class RegistryUnavailable(Exception):
    """A registry that must be asked cannot be: raised by callers whose policy
    is ``stop`` (the message says which registry and why)."""


@dataclass(frozen=True)
class _Outcome:
    """What one POST (after its retries) gave: answers, or the reason there are none."""

    answers: dict[str, SpawningAnswer] | None
    note: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirected POST would lose its body, and the key would follow it to another host.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class _Batch:
    urls: list[str] = field(default_factory=list)
    waiters: dict[str, asyncio.Future] = field(default_factory=dict)
    timer: asyncio.TimerHandle | None = None


class SpawningRegistry:
    """Asks a Spawning-style registry whether URLs are opted out. See the module docstring.

    ``environ`` stands in for ``os.environ`` (tests); the key is read once, here.
    Counters are in ``stats`` (``posts``, ``urls_sent``, ``cache_hits``,
    ``retries``, ``failures``, ``unavailable``)."""

    def __init__(
        self,
        endpoint: str,
        *,
        name: str = "spawning",
        key_env: str = DEFAULT_KEY_ENV,
        environ: Mapping[str, str] | None = None,
        user_agent: str = "tdmcrawl",
        batch_delay: float = 0.05,
        max_batch: int = 1000,
        timeout: float = 20.0,
        retry_times: int = 4,
        retry_delay: float = 1.0,
        retry_delay_max: float = 60.0,
        cache_ttl: float = 86400.0,
        cache_size: int = 200_000,
        pause_after_failure: float = 60.0,
        max_concurrent_posts: int = 4,
    ):
        self.endpoint = endpoint
        self.name = name
        self.key_env = key_env
        self._key = (os.environ if environ is None else environ).get(key_env, "").strip()
        self.user_agent = user_agent
        self.batch_delay = max(0.0, batch_delay)
        self.max_batch = max(1, min(int(max_batch), SPAWNING_MAX_BATCH))
        self.timeout = timeout
        self.retry_times = max(0, int(retry_times))
        self.retry_delay = max(0.0, retry_delay)
        self.retry_delay_max = retry_delay_max
        self.cache_ttl = cache_ttl
        self.cache_size = cache_size
        self.pause_after_failure = pause_after_failure
        self._cache: collections.OrderedDict[str, tuple[float, RegistryResult]] = collections.OrderedDict()
        self._in_flight: dict[str, asyncio.Future] = {}
        self._batch: _Batch | None = None
        self._paused_until = 0.0
        self._pause_note = ""
        self._executor = ThreadPoolExecutor(max_workers=max(1, max_concurrent_posts), thread_name_prefix="registry")
        self._opener = urllib.request.build_opener(_NoRedirect())
        self._tasks: set[asyncio.Task] = set()
        self.stats: collections.Counter[str] = collections.Counter()

    @classmethod
    def from_settings(cls, settings: Any, *, environ: Mapping[str, str] | None = None) -> "SpawningRegistry | None":
        """The client the settings describe, or None when no endpoint is set.
        Reads ``TDMCRAWL_REGISTRY_SPAWNING_URL``, ``TDMCRAWL_REGISTRY_KEY_ENV``,
        ``TDMCRAWL_REGISTRY_BATCH_DELAY``, ``TDMCRAWL_REGISTRY_BATCH_SIZE``,
        ``TDMCRAWL_REGISTRY_TIMEOUT``, ``TDMCRAWL_REGISTRY_RETRY_TIMES``,
        ``TDMCRAWL_REGISTRY_RETRY_DELAY``, ``TDMCRAWL_REGISTRY_CACHE_TTL``,
        ``TDMCRAWL_REGISTRY_PAUSE`` and ``USER_AGENT`` (a Scrapy ``Settings`` or a dict
        holding them all; their defaults are in ``settings/__init__.py``)."""
        get = settings.get
        endpoint = get("TDMCRAWL_REGISTRY_SPAWNING_URL")
        if not endpoint:
            return None
        return cls(
            str(endpoint),
            key_env=str(get("TDMCRAWL_REGISTRY_KEY_ENV")),
            environ=environ,
            user_agent=str(get("USER_AGENT") or "tdmcrawl"),
            batch_delay=float(get("TDMCRAWL_REGISTRY_BATCH_DELAY")),
            max_batch=int(get("TDMCRAWL_REGISTRY_BATCH_SIZE")),
            timeout=float(get("TDMCRAWL_REGISTRY_TIMEOUT")),
            retry_times=int(get("TDMCRAWL_REGISTRY_RETRY_TIMES")),
            retry_delay=float(get("TDMCRAWL_REGISTRY_RETRY_DELAY")),
            cache_ttl=float(get("TDMCRAWL_REGISTRY_CACHE_TTL")),
            pause_after_failure=float(get("TDMCRAWL_REGISTRY_PAUSE")),
        )

    # ------------------------------------------------------------------ public
    @property
    def has_key(self) -> bool:
        return bool(self._key)

    def missing_key_note(self) -> str:
        return f"no API key: environment variable {self.key_env} is not set"

    async def check(self, url: str) -> RegistryResult:
        """Whether ``url`` is opted out: from the cache, or in the next batch.
        Never raises (a cancelled caller excepted); None means unavailable."""
        if not self._key:
            return self._unavailable(url, self.missing_key_note())
        cached = self._cached(url)
        if cached is not None:
            self.stats["cache_hits"] += 1
            return cached
        if time.monotonic() < self._paused_until:
            return self._unavailable(url, self._pause_note)
        waiter = self._in_flight.get(url)
        if waiter is None:
            waiter = self._enqueue(url)
        return await asyncio.shield(waiter)

    async def check_many(self, urls: Sequence[str]) -> list[RegistryResult]:
        return list(await asyncio.gather(*(self.check(u) for u in urls)))

    def close(self) -> None:
        """Stop the worker threads (a POST under way finishes on its own)."""
        for task in list(self._tasks):
            task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ batching
    def _enqueue(self, url: str) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        batch = self._batch
        if batch is None:
            batch = self._batch = _Batch()
            # Wait a moment so the URLs of concurrent callers share one POST.
            batch.timer = loop.call_later(self.batch_delay, self._flush, batch)
        waiter: asyncio.Future = loop.create_future()
        batch.urls.append(url)
        batch.waiters[url] = waiter
        self._in_flight[url] = waiter
        if len(batch.urls) >= self.max_batch:
            self._flush(batch)
        return waiter

    def _flush(self, batch: _Batch) -> None:
        if self._batch is batch:
            self._batch = None
        if batch.timer is not None:
            batch.timer.cancel()
            batch.timer = None
        if not batch.urls:
            return
        task = asyncio.get_running_loop().create_task(self._settle(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _settle(self, batch: _Batch) -> None:
        try:
            outcome = await self._post_with_retries(batch.urls)
        except BaseException as exc:  # cancelled or a bug: callers still get an answer
            outcome = _Outcome(None, f"registry client error: {type(exc).__name__}")
            if not isinstance(exc, Exception):
                self._resolve(batch, outcome)
                raise
        self._resolve(batch, outcome)

    def _resolve(self, batch: _Batch, outcome: _Outcome) -> None:
        now = time.time()
        checked = datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        for url in batch.urls:
            waiter = batch.waiters[url]
            if self._in_flight.get(url) is waiter:
                del self._in_flight[url]
            answer = outcome.answers.get(url) if outcome.answers is not None else None
            if answer is None or answer.opted_out is None:
                result = self._unavailable(url, answer.note if answer is not None else outcome.note)
            else:
                value = f"optOut={str(answer.opted_out).lower()}"
                if answer.opted_in is not None:
                    value += f" optIn={str(answer.opted_in).lower()}"
                evidence = Evidence(SIGNAL, self.endpoint, value, None, f"registry {self.name}; answer for {url}; checked {checked}")
                result = RegistryResult(url, self.name, answer.opted_out, (evidence,), "", now)
                self._remember(url, result)
            if not waiter.done():
                waiter.set_result(result)

    # ------------------------------------------------------------------ HTTP
    async def _post_with_retries(self, urls: list[str]) -> _Outcome:
        loop = asyncio.get_running_loop()
        body = spawning_query_body(urls)
        self.stats["posts"] += 1
        self.stats["urls_sent"] += len(urls)
        attempt = 0
        while True:
            status, payload, retry_after, error = await loop.run_in_executor(self._executor, self._post, body)
            if status == 200:
                return _Outcome(parse_spawning_answer(payload, urls), "")
            note = error or f"HTTP {status}"
            if status in (401, 403):
                # The key is wrong: asking again will not help, and every URL would wait.
                return self._failed(f"API key refused by {self.name} ({note}; key from {self.key_env})")
            retriable = status is None or status == 429 or status >= 500
            if not retriable or attempt >= self.retry_times:
                tries = f" after {attempt + 1} attempts" if attempt else ""
                return self._failed(f"{self.name} registry unavailable{tries}: {note}")
            delay = min(self.retry_delay * (2**attempt), self.retry_delay_max)
            if retry_after is not None:
                delay = min(max(delay, retry_after), self.retry_delay_max)
            attempt += 1
            self.stats["retries"] += 1
            logger.info("registry %s: %s; retry %d of %d in %.1f s", self.name, note, attempt, self.retry_times, delay)
            await asyncio.sleep(delay)

    def _failed(self, note: str) -> _Outcome:
        self.stats["failures"] += 1
        self._paused_until = time.monotonic() + self.pause_after_failure
        self._pause_note = note + f" (not asked again for {self.pause_after_failure:g} s)"
        logger.warning("registry %s: %s", self.name, note)
        return _Outcome(None, note)

    def _post(self, body: bytes) -> tuple[int | None, bytes, float | None, str]:
        """One POST, in a worker thread: (status, body, Retry-After seconds, error)."""
        request = urllib.request.Request(
            self.endpoint,
            data=body,
            method="POST",
            headers={
                "Content-Type": "text/plain; charset=utf-8",
                "Accept": "application/json",
                "User-Agent": self.user_agent,
                "Authorization": f"API {self._key}",
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return response.status, response.read(_MAX_ANSWER_BYTES), None, ""
        except urllib.error.HTTPError as exc:
            retry_after = _retry_after_seconds(exc.headers.get("Retry-After") if exc.headers else None)
            try:
                exc.read()
            except Exception:
                pass
            return exc.code, b"", retry_after, ""
        except (TimeoutError, OSError, ValueError, urllib.error.URLError) as exc:
            reason = getattr(exc, "reason", None) or exc
            return None, b"", None, f"{type(reason).__name__}: {reason}"[:200]

    # ------------------------------------------------------------------ cache
    def _cached(self, url: str) -> RegistryResult | None:
        item = self._cache.get(url)
        if item is None:
            return None
        stored_at, result = item
        if time.monotonic() - stored_at > self.cache_ttl:
            del self._cache[url]
            return None
        self._cache.move_to_end(url)
        return result

    def _remember(self, url: str, result: RegistryResult) -> None:
        self._cache[url] = (time.monotonic(), result)
        self._cache.move_to_end(url)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _unavailable(self, url: str, note: str) -> RegistryResult:
        self.stats["unavailable"] += 1
        return RegistryResult(url, self.name, None, (), note, time.time())


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None  # an HTTP date: the back-off schedule applies
