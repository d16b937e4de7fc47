"""Canonical URLs, origins (the key of every policy-file cache) and address classes."""

from __future__ import annotations

import pytest

from crawler.urls import address_class, origin_of, registered_domain, safe_url, url_key


def test_case_22_origins_are_per_scheme_host_and_port() -> None:
    assert str(origin_of("http://example.com/x")) != str(origin_of("https://example.com/x"))
    assert str(origin_of("https://example.com:443/x")) == str(origin_of("https://EXAMPLE.com/y")) == "https://example.com"
    assert str(origin_of("http://127.0.0.1:8001/")) != str(origin_of("http://127.0.0.1:8002/"))


def test_url_key_drops_sessions_fragments_and_orders_queries() -> None:
    assert url_key("HTTP://Example.COM:80/a?b=2&a=1#top") == url_key("http://example.com/a?a=1&b=2")
    assert url_key("http://x.test/p;jsessionid=AB12?sid=9&q=1&utm_source=feed") == url_key("http://x.test/p?q=1")
    assert url_key("http://x.test/p?q=1") != url_key("http://x.test/p?q=2")


def test_safe_url_never_carries_a_line_break() -> None:
    url = safe_url("http://x.test/a b/é?q=1\r\nX-Injected: 1")
    assert "\r" not in url and "\n" not in url and " " not in url
    assert url.startswith("http://x.test/a%20b/%C3%A9?q=1")


@pytest.mark.parametrize(
    "address, kind",
    [("8.8.8.8", "public"), ("127.0.0.1", "loopback"), ("10.0.0.1", "private"), ("192.168.1.2", "private"),
     ("169.254.169.254", "link-local"), ("::1", "loopback"), ("::ffff:10.0.0.1", "private"), ("fd00::1", "private"),
     ("0.0.0.0", "unspecified"), ("100.64.0.1", "reserved"), ("not-an-ip", "invalid")],
)
def test_address_classes(address: str, kind: str) -> None:
    assert address_class(address) == kind


def test_registered_domain_offline() -> None:
    assert registered_domain("www.news.example.co.uk") == "example.co.uk"
    assert registered_domain("127.0.0.1") == "127.0.0.1"
    assert registered_domain("localhost") == "localhost"


def test_parent_origins_of_a_subdomain_are_its_registered_domain_and_www() -> None:
    from crawler.urls import Origin, parent_origins

    assert parent_origins(Origin("https", "blog.example.co.uk", 443)) == (
        Origin("https", "example.co.uk", 443),
        Origin("https", "www.example.co.uk", 443),
    )
    assert parent_origins(Origin("http", "www.example.org", 8080)) == (Origin("http", "example.org", 8080),)
    assert parent_origins(Origin("https", "example.org", 443)) == ()
    assert parent_origins(Origin("http", "127.0.0.1", 8000)) == ()
    assert parent_origins(Origin("http", "localhost", 8000)) == ()
