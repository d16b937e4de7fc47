"""The rights middleware built from a test crawler (``scrapy.utils.test.get_crawler``),
the way Scrapy tests its RobotsTxtMiddleware: what it ignores, what it lets
through, what it excludes and what it parks. The engine is a small stand-in
that answers policy-file downloads with real Scrapy responses from a table and
keeps the requests sent back to the scheduler; the end-to-end crawls in
``tests/e2e`` run the same middleware against real servers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, NotConfigured, StopDownload, UsageError
from scrapy.http import Headers, Response, TextResponse
from scrapy.utils.test import get_crawler

from crawler.fetch.middleware import Decided, Parked, RightsMiddleware
from crawler.model.meta import META_ASSESSMENT, META_POLICY_FILE, META_SEED, META_STOP
from crawler.signals import decision_recorded, origin_rights_loaded, policy_file_fetched
from tests.conftest import project_settings

SITE = "http://127.0.0.1:8123"


class Engine:
    """Answers ``download_async`` from ``files`` (URL -> (status, headers, body)
    or an exception); 404 for anything else. Keeps what it was asked."""

    def __init__(self, files: dict[str, Any]):
        self.files = files
        self.downloaded: list[str] = []
        self.crawled: list[Request] = []
        self.closed: list[str] = []

    async def download_async(self, request: Request) -> Response:
        self.downloaded.append(request.url)
        answer = self.files.get(request.url, (404, {}, b"not found"))
        if isinstance(answer, BaseException):
            raise answer
        status, headers, body = answer
        return TextResponse(request.url, status=status, headers=headers, body=body, request=request)

    def crawl(self, request: Request) -> None:
        self.crawled.append(request)

    async def close_spider_async(self, reason: str) -> None:
        self.closed.append(reason)


class Harness:
    def __init__(self, tmp_path: Path, files: dict[str, Any], **settings: Any):
        values = {**project_settings(), "TDMCRAWL_OUTPUT_DIR": str(tmp_path / "out"), "TDMCRAWL_ALLOW_PRIVATE_ADDRESSES": True, **settings}
        self.crawler = get_crawler(Spider, values)
        self.crawler.engine = self.engine = Engine(files)
        self.decisions: list[Any] = []
        self.loaded: list[str] = []
        self.policy_files: list[tuple[str, str]] = []
        self.crawler.signals.connect(lambda record: self.decisions.append(record), signal=decision_recorded, weak=False)
        self.crawler.signals.connect(lambda origin, rights: self.loaded.append(origin), signal=origin_rights_loaded, weak=False)
        self.crawler.signals.connect(lambda capture, metadata, digest: self.policy_files.append((capture.url, digest)), signal=policy_file_fetched, weak=False)
        self.middleware = RightsMiddleware.from_crawler(self.crawler)

    async def request(self, url: str, **meta: Any) -> Request:
        request = Request(url, meta=meta)
        assert await self.middleware.process_request(request) is None
        return request


def robots(text: str) -> tuple[int, dict, bytes]:
    return 200, {"Content-Type": "text/plain"}, text.encode()


def test_it_is_built_from_settings_and_never_silently_off(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="TdmcrawlDefaults"):
        RightsMiddleware.from_crawler(get_crawler(Spider, {"TDMCRAWL_OUTPUT_DIR": str(tmp_path)}))
    with pytest.raises(NotConfigured):
        Harness(tmp_path, {}, TDMCRAWL_RIGHTS_ENABLED=False)
    harness = Harness(tmp_path, {}, TDMCRAWL_ROBOTS_RETRY_TIMES=7, TDMCRAWL_FETCH_AITXT=False)
    assert harness.middleware.origins.retry_times == 7 and harness.middleware.origins.fetch_aitxt is False


def test_it_ignores_policy_file_requests_and_other_schemes(tmp_path: Path) -> None:
    harness = Harness(tmp_path, {})

    async def scenario() -> None:
        await harness.request(f"{SITE}/robots.txt", **{META_POLICY_FILE: "robots"})
        await harness.request("data:text/plain,hello")
        await harness.request("ftp://127.0.0.1/file")

    asyncio.run(scenario())
    assert harness.engine.downloaded == [] and harness.decisions == []


def test_it_lets_an_allowed_page_through_and_reads_the_policy_files_once(tmp_path: Path) -> None:
    harness = Harness(tmp_path, {f"{SITE}/robots.txt": robots("User-agent: *\nDisallow: /private/\n")})

    async def scenario() -> list[Request]:
        return [await harness.request(f"{SITE}/a"), await harness.request(f"{SITE}/b")]

    first, second = asyncio.run(scenario())
    assert first.meta[META_ASSESSMENT] is not None and second.meta[META_ASSESSMENT] is not None
    assert first.meta["download_slot"] == SITE
    # robots.txt, tdmrep.json, ai.txt and the terms-of-service lookup (the home page, then the
    # common paths when it links no terms): each once for the origin, whatever the number of pages.
    policy = [f"{SITE}/robots.txt", f"{SITE}/.well-known/tdmrep.json", f"{SITE}/ai.txt", f"{SITE}/"]
    assert set(policy) <= set(harness.engine.downloaded)
    assert len(harness.engine.downloaded) == len(set(harness.engine.downloaded))
    assert not any(url in (f"{SITE}/a", f"{SITE}/b") for url in harness.engine.downloaded)
    assert harness.loaded == [SITE] and harness.decisions == []
    # The file downloaded is announced for the archive, with the digest the decisions cite.
    (url, digest), = [pf for pf in harness.policy_files if pf[0].endswith("/robots.txt")]
    assert digest.startswith("sha1:") and digest in first.meta[META_ASSESSMENT].origin.digests


def test_it_excludes_what_robots_txt_and_tdmrep_reserve(tmp_path: Path) -> None:
    tdmrep = b'[{"location": "/reserved/*", "tdm-reservation": 1}]'
    harness = Harness(tmp_path, {
        f"{SITE}/robots.txt": robots("User-agent: *\nDisallow: /private/\n"),
        f"{SITE}/.well-known/tdmrep.json": (200, {"Content-Type": "application/json"}, tdmrep),
    })

    async def scenario() -> None:
        for path in ("/private/x", "/reserved/y"):
            with pytest.raises(Decided):
                await harness.request(SITE + path)

    asyncio.run(scenario())
    reasons = {record.url: (record.decision, record.reason, record.stage) for record in harness.decisions}
    assert reasons[f"{SITE}/private/x"][:1] == ("excluded",) and reasons[f"{SITE}/private/x"][1].startswith("robots")
    assert reasons[f"{SITE}/reserved/y"][:1] == ("excluded",) and reasons[f"{SITE}/reserved/y"][1].startswith("tdmrep")
    assert all(record.policy_digests for record in harness.decisions)  # each cites the policy files it rests on


def test_it_parks_requests_while_robots_txt_is_unreachable_and_sends_them_again(tmp_path: Path) -> None:
    files: dict[str, Any] = {f"{SITE}/robots.txt": (503, {}, b"busy")}
    harness = Harness(tmp_path, files, TDMCRAWL_ROBOTS_RETRY_TIMES=2, TDMCRAWL_ROBOTS_RETRY_DELAY=0.05)

    async def scenario() -> None:
        with pytest.raises(Parked):
            await harness.request(f"{SITE}/page")
        assert harness.middleware.origins.waiting()
        with pytest.raises(DontCloseSpider):
            harness.middleware._spider_idle()
        files[f"{SITE}/robots.txt"] = robots("User-agent: *\nAllow: /\n")  # the server is back
        for _ in range(100):
            if harness.engine.crawled:
                break
            await asyncio.sleep(0.02)

    asyncio.run(scenario())
    assert [r.url for r in harness.engine.crawled] == [f"{SITE}/page"]  # sent again, to be judged anew
    assert harness.decisions == [] and not harness.middleware.origins.waiting()
    harness.middleware._spider_idle()  # nothing parked: the spider may close


def test_parked_requests_are_excluded_when_the_retries_are_spent(tmp_path: Path) -> None:
    harness = Harness(tmp_path, {f"{SITE}/robots.txt": (503, {}, b"busy")}, TDMCRAWL_ROBOTS_RETRY_TIMES=0)

    async def scenario() -> None:
        with pytest.raises(Decided):
            await harness.request(f"{SITE}/page")

    asyncio.run(scenario())
    (record,) = harness.decisions
    assert record.decision == "excluded" and record.reason.startswith("robots-unreachable")


def test_the_address_guard_refuses_a_private_address_unless_a_seed_is_there(tmp_path: Path) -> None:
    harness = Harness(tmp_path, {f"{SITE}/robots.txt": robots("User-agent: *\nAllow: /\n")}, TDMCRAWL_ALLOW_PRIVATE_ADDRESSES=False)

    async def scenario() -> None:
        with pytest.raises(Decided):
            await harness.request(f"{SITE}/page")
        await harness.request(f"{SITE}/", **{META_SEED: True})  # a seed on loopback allows loopback
        await harness.request(f"{SITE}/page")

    asyncio.run(scenario())
    (record,) = harness.decisions
    assert (record.decision, record.reason) == ("excluded", "private-address")
    assert harness.middleware.guard.permits("127.0.0.1") and not harness.middleware.guard.permits("10.0.0.1")


def test_a_local_registry_opt_out_excludes_the_url(tmp_path: Path) -> None:
    registry = tmp_path / "optout.txt"
    registry.write_text("http://127.0.0.1:8123/opted-out/\n", "utf-8")
    harness = Harness(tmp_path, {f"{SITE}/robots.txt": robots("User-agent: *\nAllow: /\n")}, TDMCRAWL_REGISTRY_FILES=[str(registry)])

    async def scenario() -> None:
        await harness.request(f"{SITE}/kept")
        with pytest.raises(Decided):
            await harness.request(f"{SITE}/opted-out/page")

    asyncio.run(scenario())
    (record,) = harness.decisions
    assert record.reason.startswith("registry")


def test_headers_stop_a_non_html_body_and_the_response_is_recorded_as_excluded(tmp_path: Path) -> None:
    harness = Harness(tmp_path, {f"{SITE}/robots.txt": robots("User-agent: *\nAllow: /\n")})
    request = asyncio.run(harness.request(f"{SITE}/file.pdf"))
    with pytest.raises(StopDownload):
        harness.middleware._headers_received(Headers({"Content-Type": "application/pdf"}), 1000, request)
    assert request.meta[META_STOP][0] == "not-html"
    with pytest.raises(Decided):
        harness.middleware.process_response(request, Response(request.url, status=200, request=request))
    (record,) = harness.decisions
    assert (record.decision, record.reason, record.stage) == ("excluded", "not-html", "headers")
    assert isinstance(Decided("x"), IgnoreRequest)  # Scrapy drops it quietly; the spider's errback skips it
