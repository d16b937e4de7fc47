"""A distributed audit on scrapy-redis with a real Redis: the process started
with ``tdmcrawl audit --redis`` reads the input into the shared queue, a
``tdmcrawl worker`` joins it, every input row is decided exactly once across
their shards, each origin's policy files are fetched once for the cluster,
an origin never sees two requests at once, and ``tdmcrawl summary`` rebuilds
the audit's summary from both workers' shards."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from crawler.localsite import LocalSite, html, text
from tests.conftest import REPO, read_rows
from tests.e2e.test_distributed import FAST, assert_polite, launch, wait_for_config

ORIGINS = 3
PAGES = 10


def make_site() -> LocalSite:
    origins = {}
    for o in range(ORIGINS):
        page = html("<p>a page whose headers an audit reads</p>", headers=[("X-Robots-Tag", "noai")] if o == 2 else [])
        page.delay = 0.4  # slow pages: the second worker joins while there is work left
        origins[f"o{o}"] = {"/robots.txt": text("User-agent: *\nDisallow: /private/\n"), "/*": page}
    return LocalSite(origins)


def test_an_audit_shared_by_two_workers(tmp_path: Path, redis_url: str) -> None:
    site = make_site().start()
    try:
        urls = [site.url(f"o{o}", f"/{'private' if i == 0 else 'posts'}/{i}") for i in range(PAGES) for o in range(ORIGINS)]
        (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n")
        out = tmp_path / "out"
        first = launch(["audit", str(tmp_path / "urls.txt"), "--out", str(out), "--with-headers", "--allow-private-addresses", "--redis", redis_url,
                        "--worker-id", "w1", "--quiet", "--write-filtered", str(tmp_path / "filtered.parquet"), *FAST])
        wait_for_config(redis_url)
        second = launch(["worker", "--redis", redis_url, "--out", str(out), "--worker-id", "w2", "--quiet"])
        for process in (first, second):
            _, stderr = process.communicate(timeout=240)
            assert process.returncode == 0, stderr[-3000:]
        rows = read_rows(out / "data" / "decisions")
        assert Counter(r["input_row"] for r in rows) == Counter(range(len(urls)))
        by_row = {r["input_row"]: r for r in rows}
        for n, url in enumerate(urls):
            expected = ("excluded", "robots-disallow") if "/private/" in url else ("excluded", "noai") if f":{site.origins['o2'].port}/" in url else ("allowed", None)
            assert (by_row[n]["url"], by_row[n]["decision"], by_row[n]["reason"]) == (url, *expected)
        shards = {p.name for p in (out / "data" / "decisions").glob("*.parquet")}
        assert any("-w1-" in n for n in shards) and any("-w2-" in n for n in shards), shards
        for name in site.origins:
            assert site.paths(name).count("/robots.txt") == 1, site.paths(name)
            assert not any(p.startswith("/private/") for p in site.paths(name))
        assert_polite(site)
        rebuilt = subprocess.run([sys.executable, "-m", "crawler.commands.main", "summary", str(out)], cwd=REPO, capture_output=True, text=True)
        assert rebuilt.returncode == 0, rebuilt.stderr
        summary = json.loads((out / "summary.json").read_text())
        assert summary["counts"]["urls_audited"] == len(urls) and summary["counts"]["origins_audited"] == ORIGINS
        assert len(read_rows_file(tmp_path / "filtered.parquet")) == summary["counts"]["urls_allowed"] == 2 * (PAGES - 1)
    finally:
        site.stop()


def read_rows_file(path: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()
