"""Shared fixtures: real crawls through the ``tdmcrawl`` command against real
HTTP servers on 127.0.0.1 that the tests start (one port per origin)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pyarrow.parquet as pq
import pytest

from crawler.demo import SITE_DIR, demo_settings, load_expected
from crawler.localsite import LocalSite, Route
from tests import audit

REPO = Path(__file__).resolve().parent.parent

# Loopback sites need no politeness delay; everything else stays as shipped.
FAST = [
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", "TDMCRAWL_ROBOTS_RETRY_DELAY=0.2",
    "-s", "TDMCRAWL_ROBOTS_RETRY_TIMES=2",
    "-s", "TDMCRAWL_WORKERS=1",
    "-s", "DOWNLOAD_TIMEOUT=10",
]


@dataclass
class CrawlResult:
    out: Path
    returncode: int
    stdout: str
    stderr: str

    def decisions(self) -> list[dict[str, Any]]:
        return read_rows(self.out / "data" / "decisions")

    def documents(self) -> list[dict[str, Any]]:
        return read_rows(self.out / "data" / "documents")

    def decision_for(self, url: str) -> dict[str, Any]:
        rows = [r for r in self.decisions() if r["url"] == url]
        assert len(rows) == 1, f"expected one decision for {url}, got {rows}\nall: {[(r['url'], r['decision'], r['reason']) for r in self.decisions()]}"
        return rows[0]


def read_rows(folder: Path) -> list[dict[str, Any]]:
    files = sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))
    rows: list[dict[str, Any]] = []
    for path in files:
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def project_settings() -> dict[str, Any]:
    """The project's settings (``settings/__init__.py``, where every default
    lives) as a dict, for building components from a test crawler."""
    import settings

    return {name: value for name, value in vars(settings).items() if name.isupper()}


def run_tdmcrawl(*args: str, timeout: float = 180, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    out = audit.output_of(args)
    if out is not None:
        audit.note_output(out)
    full_env = dict(os.environ)
    full_env.setdefault("PYTHONUNBUFFERED", "1")
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "crawler.commands.main", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )


@pytest.fixture(autouse=True)
def audit_trail(monkeypatch: pytest.MonkeyPatch) -> Iterator[audit.TestScope]:
    """The audit-trail invariant (``tests/audit.py``), checked when each test
    ends: every request the servers it started received is accounted for by
    the outputs its crawls wrote."""
    scope = audit.TestScope()
    start = LocalSite.start

    def noting_start(site: LocalSite, *args: Any, **kwargs: Any) -> Any:
        scope.sites.append(site)
        return start(site, *args, **kwargs)

    monkeypatch.setattr(LocalSite, "start", noting_start)
    audit._current = scope
    try:
        yield scope
    finally:
        audit._current = None
    scope.check()


@pytest.fixture
def crawl(tmp_path: Path):
    """crawl(seed, ..., extra args) -> CrawlResult; output in a fresh folder."""
    counter = {"n": 0}

    def run(*seeds: str, args: tuple[str, ...] = (), fast: bool = True, timeout: float = 180, env: dict[str, str] | None = None) -> CrawlResult:
        counter["n"] += 1
        out = tmp_path / f"out{counter['n']}"
        command = ["crawl", *seeds, "--out", str(out), "--quiet", *(FAST if fast else []), *args]
        done = run_tdmcrawl(*command, timeout=timeout, env=env)
        return CrawlResult(out, done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def site_factory() -> Iterator[Any]:
    sites: list[LocalSite] = []

    def make(origins: dict[str, dict[str, Route]]) -> LocalSite:
        site = LocalSite(origins).start()
        sites.append(site)
        return site

    yield make
    for site in sites:
        site.stop()


@pytest.fixture(scope="session")
def demo_crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, LocalSite, dict[str, Any]]:
    """One real crawl of the bundled demo site, shared by the tests that read its output."""
    expected = load_expected()
    out = tmp_path_factory.mktemp("demo") / "out"
    site = LocalSite.from_directory(SITE_DIR).start()
    try:
        seeds = [site.url(name, "/") for name in expected["seeds"]]
        settings = [arg for name, value in demo_settings().items() for arg in ("-s", f"{name}={value}")]
        done = run_tdmcrawl("crawl", *seeds, "--out", str(out), "--quiet", "--contact", "mailto:tests@tdmcrawl.invalid", "-s", "TDMCRAWL_WORKERS=2", *settings, timeout=300)
    finally:
        site.stop()
    return CrawlResult(out, done.returncode, done.stdout, done.stderr), site, expected


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis of the test's own on a free loopback port (CI exports TDMCRAWL_TEST_REDIS instead)."""
    url = os.environ.get("TDMCRAWL_TEST_REDIS")
    if url:
        import redis

        redis.Redis.from_url(url).flushdb()
        yield url
        return
    server = shutil.which("redis-server")
    assert server, "the distributed tests need redis-server (Debian package redis-server) or TDMCRAWL_TEST_REDIS"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    workdir = tempfile.mkdtemp()
    process = subprocess.Popen([server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", workdir], stdout=subprocess.DEVNULL)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait()
    shutil.rmtree(workdir, ignore_errors=True)
