"""The address guard: a host the crawl may not reach (private, loopback,
link-local, … addresses) is refused before it is requested, and again at
connection time by :mod:`crawler.fetch.dns`.

Owns the DNS answers the guard has seen (cached five minutes), the rule that a
seed on a non-public address allows that address for the whole crawl (local
and demo crawls), and ``TDMCRAWL_ALLOW_PRIVATE_ADDRESSES``. One guard per
crawler (:meth:`AddressGuard.for_crawler`), shared by the rights middleware and
the resolver.
"""

from __future__ import annotations

import asyncio
import socket
import time
import weakref
from typing import Any

from crawler.rights.evidence import Evidence
from crawler.urls import address_class

DNS_CACHE_SECONDS = 300


class AddressGuard:
    _by_crawler: "weakref.WeakKeyDictionary[Any, AddressGuard]" = weakref.WeakKeyDictionary()

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private
        self.allowed_addresses: set[str] = set()
        self._dns: dict[str, tuple[float, tuple[str, ...]]] = {}

    @classmethod
    def for_crawler(cls, crawler: Any) -> "AddressGuard":
        guard = cls._by_crawler.get(crawler)
        if guard is None:
            guard = cls._by_crawler[crawler] = cls(crawler.settings.getbool("TDMCRAWL_ALLOW_PRIVATE_ADDRESSES"))
        return guard

    @classmethod
    def of(cls, crawler: Any) -> "AddressGuard | None":
        """The guard of ``crawler`` if its rights middleware made one."""
        return cls._by_crawler.get(crawler)

    async def resolve(self, host: str) -> tuple[str, ...]:
        cached = self._dns.get(host)
        now = time.monotonic()
        if cached and cached[0] > now:
            return cached[1]
        try:
            infos = await asyncio.get_running_loop().run_in_executor(None, lambda: socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP))
            addresses = tuple(dict.fromkeys(info[4][0] for info in infos))
        except (OSError, UnicodeError):
            addresses = ()
        self._dns[host] = (now + DNS_CACHE_SECONDS, addresses)
        return addresses

    async def check(self, host: str, *, seed: bool) -> Evidence | None:
        """Evidence when the host resolves to a non-public address we may not use;
        every answer counts. A seed that resolves to such an address allows those
        addresses for the rest of the crawl."""
        if self.allow_private:
            return None
        addresses = await self.resolve(host)
        private = [(a, address_class(a)) for a in addresses if address_class(a) != "public"]
        if seed and private:
            self.allowed_addresses.update(a for a, _ in private)
            return None
        blocked = [(a, kind) for a, kind in private if a not in self.allowed_addresses]
        if not blocked:
            return None
        listed = ", ".join(f"{a} ({kind})" for a, kind in blocked)
        return Evidence("address", f"dns:{host}", listed, note="non-public address; use --allow-private-addresses to crawl it")

    def permits(self, address: str) -> bool:
        """May the crawl connect to ``address`` (the resolver's check)?"""
        return self.allow_private or address_class(address) == "public" or address in self.allowed_addresses
