"""Opt-out registries at request time: the local registry files
(``TDMCRAWL_REGISTRY_FILES``) and a Spawning-style API, asked for every URL.

A file we cannot read stops the crawl from starting; a registry we could not
ask is never read as "no opt-out": with ``TDMCRAWL_REGISTRY_UNAVAILABLE=stop``
:meth:`Registries.findings` answers None and the middleware stops the crawl.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Sequence

from scrapy.exceptions import UsageError

from crawler.fetch.registry_client import UNAVAILABLE_POLICIES, SpawningRegistry
from crawler.rights.evidence import Finding
from crawler.rights.registry import LocalRegistry, registry_findings

logger = logging.getLogger(__name__)


def read_local_registry(path: Path) -> LocalRegistry:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read registry file {path}: {exc}") from None
    registry = LocalRegistry.parse(text, str(path), name=f"local:{path.name}")
    dropped = [m for m in registry.malformed if not m.kept]
    if dropped:
        raise UsageError(f"registry file {path}: unreadable line(s) {', '.join(str(m.line) for m in dropped[:10])}")
    for problem in registry.malformed:
        logger.warning("registry file %s line %d: %s", path, problem.line, problem.problem)
    return registry


class Registries:
    def __init__(self, local: Sequence[LocalRegistry], remote: SpawningRegistry | None, *, when_unavailable: str, honoured: bool):
        if when_unavailable not in UNAVAILABLE_POLICIES:
            raise UsageError(f"TDMCRAWL_REGISTRY_UNAVAILABLE must be one of {', '.join(UNAVAILABLE_POLICIES)}")
        if remote is not None and not remote.has_key and when_unavailable == "stop" and honoured:
            raise UsageError(f"could not start: the opt-out registry {remote.endpoint} cannot be asked ({remote.missing_key_note()})")
        self.local = list(local)
        self.remote = remote
        self.when_unavailable = when_unavailable
        self.honoured = honoured  # the profile honours registry opt-outs

    @classmethod
    def from_settings(cls, settings: Any, *, honoured: bool) -> "Registries":
        return cls(
            [read_local_registry(Path(name)) for name in settings.getlist("TDMCRAWL_REGISTRY_FILES")],
            SpawningRegistry.from_settings(settings),
            when_unavailable=settings.get("TDMCRAWL_REGISTRY_UNAVAILABLE"),
            honoured=honoured,
        )

    @property
    def active(self) -> bool:
        return bool(self.local) or self.remote is not None

    @property
    def endpoint(self) -> str:
        return self.remote.endpoint if self.remote is not None else ""

    async def findings(self, url: str) -> list[Finding] | None:
        """Findings of every registry for this URL; None when the crawl must stop
        because a registry could not be asked."""
        found: list[Finding] = []
        for registry in self.local:
            found.extend(registry_findings(registry.match(url), registry.name))
        if self.remote is not None:
            result = await self.remote.check(url)
            if result.opted_out is None and self.when_unavailable == "stop" and self.honoured:
                return None
            found.extend(result.findings())
        return found

    def close(self, stats: Any) -> None:
        if self.remote is not None:
            for key, value in self.remote.stats.items():
                stats.set_value(f"tdmcrawl/registry/{key}", value)
            self.remote.close()
