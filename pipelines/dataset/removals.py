"""The removals record: what ``data/removals`` says ``tdmcrawl remove`` took
out of a folder (each removal's selector and row), and whether a URL is
covered by one. Read by ``remove``, ``lookup`` and the summary."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import pyarrow.parquet as pq

from pipelines.dataset.query import normalise_url

REMOVALS_DIR = "data/removals"

DOMAIN = "domain"
PREFIX = "url-prefix"
URLS = "urls"


@dataclass(frozen=True)
class Selector:
    """What to remove: ``domain`` (a host and its subdomains), ``url-prefix``
    (URLs starting with it) or ``urls`` (exact URLs). Values are normalised the
    way ``tdmcrawl lookup`` reads queries, and stored URLs are normalised the
    same way before they are compared."""

    kind: str
    values: tuple[str, ...]
    _exact: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_exact", frozenset(self.values))

    def matches(self, url: str | None) -> bool:
        if not url:
            return False
        if self.kind == DOMAIN:
            host = _host(url)
            return bool(host) and any(host == v or host.endswith("." + v) for v in self.values)
        normal = normalise_url(url) or url
        if self.kind == PREFIX:
            return any(normal.startswith(v) for v in self.values)
        return normal in self._exact

    def scope(self) -> str:
        """The selector as JSON: kept in the removals table for the operator."""
        return json.dumps({"kind": self.kind, "values": list(self.values)}, ensure_ascii=False)


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    host = host.lower().rstrip(".")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host



def selector_from_scope(scope: str | None) -> Selector | None:
    """The selector a removals row recorded (its ``scope``); None when unreadable."""
    try:
        data = json.loads(scope or "")
        kind, values = data["kind"], tuple(str(v) for v in data["values"])
    except (ValueError, TypeError, KeyError):
        return None
    return Selector(kind, values) if kind in (DOMAIN, PREFIX, URLS) and values else None


def recorded_removals(out_dir: Path | str) -> list[tuple[Selector, dict[str, Any]]]:
    """Each removal recorded in ``out_dir/data/removals``: its selector and its
    row (``removed_at``, ``reason``, counts). Unreadable rows name nothing."""
    found = []
    for path in sorted((Path(out_dir) / REMOVALS_DIR).glob("*.parquet")):
        if path.name.startswith("."):
            continue
        try:
            rows = pq.read_table(path).to_pylist()
        except Exception:  # an unreadable file names nothing; callers go on
            continue
        for row in rows:
            selector = selector_from_scope(row.get("scope"))
            if selector is not None:
                found.append((selector, {k: v for k, v in row.items() if k != "scope"}))
    return found


def removed_url_matcher(out_dir: Path | str) -> Callable[[str | None], bool]:
    """A function telling whether a URL is covered by a removal recorded in
    ``out_dir/data/removals``: for the summary and card, which must not name
    removed pages (a seed can be one)."""
    selectors = [selector for selector, _ in recorded_removals(out_dir)]

    def covered(url: str | None) -> bool:
        return any(selector.matches(url) for selector in selectors)

    return covered
