"""A DNS resolver for Scrapy that never hands out a non-public address the
crawl has not allowed.

The rights middleware resolves a host and refuses private, loopback and
link-local answers before a request is sent; Scrapy then resolves the host
again to connect. A name whose answer changes between the two (DNS rebinding)
would slip through, so the resolver checks the address it returns too.
Enabled with ``TWISTED_DNS_RESOLVER = "crawler.fetch.dns.PublicAddressResolver"``.
"""

from __future__ import annotations

from typing import Any, Sequence

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

from crawler.urls import address_class

NON_PUBLIC_NOTE = "resolved to a non-public address"


class PublicAddressResolver(CachingThreadedResolver):
    crawler: Any = None
    loopback_only = False

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> "PublicAddressResolver":
        resolver = super().from_crawler(crawler, reactor)
        resolver.crawler = crawler
        resolver.loopback_only = crawler.settings.getbool("TDMCRAWL_LOOPBACK_ONLY")
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Any:
        deferred = super().getHostByName(name, timeout)
        deferred.addCallback(self._only_allowed, name)
        return deferred

    def _only_allowed(self, address: str, name: str) -> str:
        if self.loopback_only and address_class(address) != "loopback":
            raise DNSLookupError(f"{name} resolved to {address}; TDMCRAWL_LOOPBACK_ONLY allows loopback only")
        rights = getattr(self.crawler, "tdmcrawl_rights", None)
        if rights is None or rights.allow_private:
            return address
        if address_class(address) == "public" or address in rights.allowed_addresses:
            return address
        raise DNSLookupError(f"{name} {NON_PUBLIC_NOTE} {address}; not connecting")
