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

from crawler.fetch.addresses import AddressGuard
from crawler.urls import address_class

NON_PUBLIC_NOTE = "resolved to a non-public address"


class NonPublicAddressError(DNSLookupError):
    """The name resolved to an address the crawl may not connect to."""


class PublicAddressResolver(CachingThreadedResolver):
    """Scrapy builds its resolver once per process, from the process itself
    (``owner``), so the address guards are looked up at each answer: those of
    the process's crawlers (or of the one crawler it was built from). With no
    guard (the rights middleware is off) nothing is checked."""

    owner: Any = None
    loopback_only = False

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> "PublicAddressResolver":
        resolver = super().from_crawler(crawler, reactor)
        resolver.owner = crawler
        resolver.loopback_only = crawler.settings.getbool("TDMCRAWL_LOOPBACK_ONLY")
        return resolver

    def guards(self) -> list[AddressGuard]:
        owners = getattr(self.owner, "crawlers", None) or [self.owner]
        return [guard for guard in (AddressGuard.of(owner) for owner in owners) if guard is not None]

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Any:
        deferred = super().getHostByName(name, timeout)
        deferred.addCallback(self._only_allowed, name)
        return deferred

    def _only_allowed(self, address: str, name: str) -> str:
        if self.loopback_only and address_class(address) != "loopback":
            raise DNSLookupError(f"{name} resolved to {address}; TDMCRAWL_LOOPBACK_ONLY allows loopback only")
        guards = self.guards()
        if not guards or any(guard.permits(address) for guard in guards):
            return address
        raise NonPublicAddressError(f"{name} {NON_PUBLIC_NOTE} {address}; not connecting")
