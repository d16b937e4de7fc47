"""The resolver Scrapy connects with never returns a non-public address the crawl did not allow."""

from __future__ import annotations

import pytest
from twisted.internet import reactor
from twisted.internet.error import DNSLookupError

from crawler.fetch.addresses import AddressGuard
from crawler.fetch.dns import PublicAddressResolver
from tests.conftest import run_tdmcrawl


def resolver(allowed: set[str], allow_private: bool = False) -> PublicAddressResolver:
    instance = PublicAddressResolver(reactor, cache_size=0, timeout=5.0)
    guard = AddressGuard(allow_private)
    guard.allowed_addresses.update(allowed)
    instance.guards = lambda: [guard]  # type: ignore[method-assign]
    return instance


def test_a_rebound_name_is_refused_at_connection_time() -> None:
    with pytest.raises(DNSLookupError, match="non-public address 10.0.0.7"):
        resolver(set())._only_allowed("10.0.0.7", "rebind.example")
    with pytest.raises(DNSLookupError):
        resolver(set())._only_allowed("169.254.169.254", "metadata.example")


def test_public_and_allowed_addresses_pass() -> None:
    assert resolver(set())._only_allowed("93.184.216.34", "example.org") == "93.184.216.34"
    assert resolver({"127.0.0.1"})._only_allowed("127.0.0.1", "localhost") == "127.0.0.1"
    assert resolver(set(), allow_private=True)._only_allowed("10.0.0.7", "x") == "10.0.0.7"


@pytest.mark.parametrize("option", ["--crawl-id", "--worker-id"])
def test_ids_cannot_name_paths_outside_the_output(tmp_path, option: str) -> None:
    done = run_tdmcrawl("crawl", "http://127.0.0.1:9/", "--out", str(tmp_path / "out"), option, "../../escape")
    assert done.returncode == 2 and "may only contain letters" in done.stderr
    assert not (tmp_path / "escape").exists()


def test_loopback_only_refuses_every_other_address() -> None:
    strict = resolver(set(), allow_private=True)
    strict.loopback_only = True
    assert strict._only_allowed("127.0.0.1", "localhost") == "127.0.0.1"
    for address in ("93.184.216.34", "10.0.0.7"):
        with pytest.raises(DNSLookupError, match="loopback only"):
            strict._only_allowed(address, "elsewhere.example")


def test_the_benchmark_profile_refuses_a_seed_off_loopback(tmp_path) -> None:
    done = run_tdmcrawl("crawl", "http://127.0.0.1:9/", "http://example.org/", "--out", str(tmp_path / "out"), "--settings", "settings.benchmark")
    assert done.returncode == 2, done.stderr
    assert "not on loopback: http://example.org/" in done.stderr


def test_the_resolver_checks_with_the_guards_of_its_process_crawlers() -> None:
    """Scrapy builds the resolver from the process, not from a crawler: the
    guards are those the crawlers' rights middlewares made."""
    from types import SimpleNamespace

    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(Spider, {"TDMCRAWL_ALLOW_PRIVATE_ADDRESSES": False})
    instance = PublicAddressResolver(reactor, cache_size=0, timeout=5.0)
    instance.owner = SimpleNamespace(crawlers={crawler}, settings=crawler.settings)
    assert instance._only_allowed("10.0.0.7", "x") == "10.0.0.7"  # no guard yet: the rights middleware is off
    guard = AddressGuard.for_crawler(crawler)
    with pytest.raises(DNSLookupError, match="non-public address 10.0.0.7"):
        instance._only_allowed("10.0.0.7", "rebind.example")
    guard.allowed_addresses.add("10.0.0.7")  # a seed there
    assert instance._only_allowed("10.0.0.7", "x") == "10.0.0.7"
