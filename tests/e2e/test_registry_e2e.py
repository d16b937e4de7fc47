"""Opt-out registries in a real crawl: a local registry file and a Spawning-style
API (a local server speaking its format) exclude what they list, with the
registry and entry as evidence; an unanswered registry is never read as "allowed"."""

from __future__ import annotations

from pathlib import Path

from crawler.localsite import html
from tests.registry_server import RegistryServer

PROSE = "Notes about the lake, the ferry and the tides; enough words for the extractor to keep a paragraph. " * 4


def page(title: str, *links: str):  # type: ignore[no-untyped-def]
    return html(f"<html><head><title>{title}</title></head><body><main><h1>{title}</h1><p>{PROSE}</p>{''.join(f'<a href={l!r}>{l}</a> ' for l in links)}</main></body></html>")


def routes():  # type: ignore[no-untyped-def]
    return {"/": page("home", "/gallery/one", "/essays/two", "/notes/three"), "/gallery/one": page("one"), "/essays/two": page("two"), "/notes/three": page("three")}


def test_local_registry_file_excludes_before_the_request(crawl, site_factory, tmp_path: Path) -> None:
    site = site_factory({"a": routes()})
    registry = tmp_path / "optouts.tsv"
    registry.write_text(f"# artists' opt-outs\nurl-prefix:{site.url('a', '/gallery/')}\ttrain\t2026-05-01\tartist request 17\n", encoding="utf-8")
    result = crawl(site.url("a"), args=("--registry-file", str(registry)))
    assert result.returncode == 0, result.stderr
    assert "/gallery/one" not in site.paths("a")
    row = result.decision_for(site.url("a", "/gallery/one"))
    assert (row["decision"], row["reason"], row["stage"]) == ("excluded", "registry-opt-out", "request")
    assert "artist request 17" in row["evidence"] and "optouts.tsv" in row["evidence"]
    assert result.decision_for(site.url("a", "/essays/two"))["decision"] == "stored"


def test_spawning_style_api_excludes_what_it_lists(crawl, site_factory) -> None:
    site = site_factory({"a": routes()})
    with RegistryServer(key="secret") as server:
        server.opt_out([site.url("a", "/essays/two")])
        result = crawl(site.url("a"), args=("-s", f"TDMCRAWL_REGISTRY_SPAWNING_URL={server.endpoint}", "-s", "TDMCRAWL_REGISTRY_KEY_ENV=TEST_REGISTRY_KEY"), env={"TEST_REGISTRY_KEY": "secret"})
        assert result.returncode == 0, result.stderr
        asked = {url for batch in server.batches for url in batch}
    assert site.url("a", "/essays/two") in asked
    assert "/essays/two" not in site.paths("a")
    assert result.decision_for(site.url("a", "/essays/two"))["reason"] == "registry-opt-out"
    assert result.decision_for(site.url("a", "/notes/three"))["decision"] == "stored"


def test_a_registry_without_its_key_stops_before_anything_is_fetched(crawl, site_factory) -> None:
    site = site_factory({"a": routes()})
    with RegistryServer(key="secret") as server:
        result = crawl(site.url("a"), args=("-s", f"TDMCRAWL_REGISTRY_SPAWNING_URL={server.endpoint}", "-s", "TDMCRAWL_REGISTRY_KEY_ENV=TEST_REGISTRY_KEY_UNSET"))
    assert result.returncode == 2
    assert "cannot be asked" in result.stderr and "TEST_REGISTRY_KEY_UNSET" in result.stderr
    assert site.paths("a") == []


def test_an_unreachable_registry_is_recorded_when_the_policy_says_exclude(crawl, site_factory) -> None:
    site = site_factory({"a": routes()})
    with RegistryServer(key="secret") as server:
        endpoint = server.endpoint
    # the server is gone: every question fails
    result = crawl(site.url("a"), args=("-s", f"TDMCRAWL_REGISTRY_SPAWNING_URL={endpoint}", "-s", "TDMCRAWL_REGISTRY_KEY_ENV=TEST_REGISTRY_KEY", "-s", "TDMCRAWL_REGISTRY_UNAVAILABLE=exclude", "-s",
        "TDMCRAWL_REGISTRY_RETRY_TIMES=0"), env={"TEST_REGISTRY_KEY": "secret"})
    assert result.returncode == 0, result.stderr
    row = result.decision_for(site.url("a", "/"))
    assert (row["decision"], row["reason"]) == ("excluded", "registry-unavailable")
    assert site.paths("a") == [p for p in site.paths("a") if p in ("/robots.txt", "/.well-known/tdmrep.json", "/ai.txt")]
