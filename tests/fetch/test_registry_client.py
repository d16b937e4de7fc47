"""The Spawning-style registry client against a local registry server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from typing import Iterator

import pytest

from crawler.fetch.registry_client import DEFAULT_KEY_ENV, SpawningRegistry
from crawler.rights.registry import RegistryResult
from tests.conftest import project_settings
from tests.registry_server import QUERY_PATH, RegistryServer

KEY = "test-key-123"
OPTED_OUT = "https://artist.example/portfolio/1.png"
FREE = "https://public.example/page.html"


@pytest.fixture
def server() -> Iterator[RegistryServer]:
    with RegistryServer(key=KEY, opted_out={OPTED_OUT}) as running:
        yield running


def client(endpoint: str, *, key: str | None = KEY, **options: object) -> SpawningRegistry:
    environ = {DEFAULT_KEY_ENV: key} if key is not None else {}
    defaults: dict[str, object] = {"batch_delay": 0.02, "retry_delay": 0.01, "timeout": 5.0, "retry_times": 3}
    defaults.update(options)
    return SpawningRegistry(endpoint, environ=environ, **defaults)  # type: ignore[arg-type]


def run(registry: SpawningRegistry, *urls: str) -> list[RegistryResult]:
    async def main() -> list[RegistryResult]:
        return await registry.check_many(urls)

    try:
        return asyncio.run(main())
    finally:
        registry.close()


def test_opted_out_and_not(server: RegistryServer) -> None:
    opted_out, free = run(client(server.endpoint), OPTED_OUT, FREE)
    assert opted_out.opted_out is True and free.opted_out is False
    (evidence,) = opted_out.evidence
    assert evidence.signal == "registry" and evidence.source == server.endpoint
    assert evidence.value == "optOut=true optIn=false" and OPTED_OUT in evidence.note
    assert [f.reason for f in opted_out.findings()] == ["registry-opt-out"] and free.findings() == []


def test_the_request_has_the_api_shape(server: RegistryServer) -> None:
    run(client(server.endpoint, user_agent="tdmcrawl/9 (+mailto:me@example.org)"), OPTED_OUT, FREE)
    (request,) = server.requests
    assert request.path == QUERY_PATH and request.status == 200
    assert request.headers["Authorization"] == f"API {KEY}"
    assert request.headers["Content-Type"].startswith("text/plain")
    assert request.headers["User-Agent"] == "tdmcrawl/9 (+mailto:me@example.org)"
    assert sorted(request.body.decode().split("\n")) == sorted([OPTED_OUT, FREE])


def test_many_concurrent_checks_share_few_posts(server: RegistryServer) -> None:
    urls = [f"https://site{i % 7}.example/page/{i}" for i in range(250)]
    server.opt_out(urls[::10])
    results = run(client(server.endpoint, max_batch=100), *urls)
    # 250 callers at once: one POST per 100 URLs, not one per URL (the POSTs run
    # concurrently, so the server may receive them in any order).
    assert sorted(len(batch) for batch in server.batches) == [50, 100, 100]
    assert sorted(u for batch in server.batches for u in batch) == sorted(urls)
    assert [r.url for r in results] == urls
    assert [r.opted_out for r in results] == [i % 10 == 0 for i in range(250)]


def test_concurrent_checks_of_one_url_send_it_once(server: RegistryServer) -> None:
    results = run(client(server.endpoint), FREE, FREE, FREE)
    assert server.batches == [[FREE]] and [r.opted_out for r in results] == [False] * 3


def test_answers_are_cached(server: RegistryServer) -> None:
    registry = client(server.endpoint)

    async def main() -> tuple[RegistryResult, RegistryResult]:
        first = await registry.check(OPTED_OUT)
        second = await registry.check(OPTED_OUT)
        return first, second

    try:
        first, second = asyncio.run(main())
    finally:
        registry.close()
    assert first.opted_out is True and second == first
    assert len(server.requests) == 1 and registry.stats["cache_hits"] == 1


def test_a_missing_key_is_unavailable_and_the_server_is_never_contacted(server: RegistryServer) -> None:
    registry = client(server.endpoint, key=None)
    assert not registry.has_key
    (result,) = run(registry, OPTED_OUT)
    assert result.opted_out is None and not result.available
    assert DEFAULT_KEY_ENV in result.note
    assert server.requests == []
    (finding,) = result.findings()
    assert finding.reason == "registry-unavailable" and finding.restrictive


def test_the_key_is_read_from_the_variable_the_settings_name(server: RegistryServer) -> None:
    settings = {
        **project_settings(),
        "TDMCRAWL_REGISTRY_SPAWNING_URL": server.endpoint,
        "TDMCRAWL_REGISTRY_KEY_ENV": "MY_REGISTRY_KEY",
        "TDMCRAWL_REGISTRY_BATCH_DELAY": 0.01,
    }
    registry = SpawningRegistry.from_settings(settings, environ={"MY_REGISTRY_KEY": KEY, DEFAULT_KEY_ENV: "wrong"})
    assert registry is not None and registry.has_key
    (result,) = run(registry, OPTED_OUT)
    assert result.opted_out is True
    assert SpawningRegistry.from_settings({}) is None  # no endpoint: no registry client


def test_a_refused_key_is_unavailable_without_retrying(server: RegistryServer) -> None:
    (result,) = run(client(server.endpoint, key="wrong-key"), OPTED_OUT)
    assert result.opted_out is None and "401" in result.note and "refused" in result.note
    assert [r.status for r in server.requests] == [401]
    assert "wrong-key" not in result.note  # the key is never written into evidence


def test_503_then_success_is_retried(server: RegistryServer) -> None:
    server.fail_next(2, status=503)
    registry = client(server.endpoint)
    opted_out, free = run(registry, OPTED_OUT, FREE)
    assert opted_out.opted_out is True and free.opted_out is False
    assert [r.status for r in server.requests] == [503, 503, 200]
    assert registry.stats["retries"] == 2 and registry.stats["posts"] == 1


def test_429_with_retry_after_is_retried(server: RegistryServer) -> None:
    server.fail_next(1, status=429, headers={"Retry-After": "0"})
    (result,) = run(client(server.endpoint), FREE)
    assert result.opted_out is False and [r.status for r in server.requests] == [429, 200]


def test_failing_after_every_retry_is_unavailable_and_pauses_the_client(server: RegistryServer) -> None:
    server.fail_next(10, status=500)
    registry = client(server.endpoint, retry_times=2, pause_after_failure=3600)

    async def main() -> tuple[RegistryResult, RegistryResult]:
        first = await registry.check(OPTED_OUT)
        later = await registry.check(FREE)
        return first, later

    try:
        first, later = asyncio.run(main())
    finally:
        registry.close()
    assert first.opted_out is None and "HTTP 500" in first.note and "3 attempts" in first.note
    # While paused, no new URL waits out the retries again: answered unknown at once.
    assert later.opted_out is None and "not asked again" in later.note
    assert [r.status for r in server.requests] == [500, 500, 500]


def test_a_server_that_is_down_is_unavailable() -> None:
    down = RegistryServer(key=KEY).start()
    endpoint = down.endpoint
    down.stop()  # the port is closed: connection refused
    registry = client(endpoint, retry_times=1)
    (result,) = run(registry, OPTED_OUT)
    assert result.opted_out is None and "unavailable" in result.note
    assert registry.stats["retries"] == 1 and registry.stats["failures"] == 1


def test_a_slow_server_times_out_as_unavailable(server: RegistryServer) -> None:
    server.delay = 1.0
    (result,) = run(client(server.endpoint, timeout=0.1, retry_times=0), FREE)
    assert result.opted_out is None and "timed out" in result.note.lower()


def test_an_unreadable_answer_is_unavailable_not_allowed(server: RegistryServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "_handle", lambda path, headers, body: (200, b"<html>maintenance</html>", {}))
    (result,) = run(client(server.endpoint), FREE)
    assert result.opted_out is None and "malformed answer" in result.note


def test_a_url_missing_from_the_answer_is_unavailable(server: RegistryServer, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = json.dumps({"urls": [{"url": OPTED_OUT, "optOut": True}]}).encode()
    monkeypatch.setattr(server, "_handle", lambda path, headers, body: (200, answer, {}))
    opted_out, missing = run(client(server.endpoint), OPTED_OUT, FREE)
    assert opted_out.opted_out is True
    assert missing.opted_out is None and missing.note == "not in the answer"
