"""The bundled demo site: five origins on loopback that show every rights
signal and licence markup tdmcrawl understands (see ``README.md`` here and
``expected.json`` for what the crawler should decide for each URL)."""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from crawler.localsite import LocalSite

SITE_DIR = Path(__file__).parent / "site"
EXPECTED_FILE = Path(__file__).parent / "expected.json"


def load_expected() -> dict[str, Any]:
    return json.loads(EXPECTED_FILE.read_text("utf-8"))


@dataclass
class DemoSite:
    site: LocalSite
    expected: dict[str, Any]

    def origin_names(self) -> list[str]:
        return list(self.expected["seeds"])

    def seeds(self) -> list[str]:
        return [self.site.url(name, "/") for name in self.expected["seeds"]]


@contextmanager
def demo_site() -> Iterator[DemoSite]:
    site = LocalSite.from_directory(SITE_DIR)
    site.start()
    try:
        yield DemoSite(site, load_expected())
    finally:
        site.stop()


def demo_settings() -> dict[str, Any]:
    """Politeness scaled to a loopback site (the demo's robots.txt still asks for
    a Crawl-delay on one origin, which is honoured), and a short robots.txt
    retry schedule so the origin whose robots.txt answers 503 is given up in
    seconds rather than minutes."""
    return {
        "DOWNLOAD_DELAY": 0.1,
        "AUTOTHROTTLE_START_DELAY": 0.1,
        "TDMCRAWL_ROBOTS_RETRY_TIMES": 2,
        "TDMCRAWL_ROBOTS_RETRY_DELAY": 0.5,
    }
