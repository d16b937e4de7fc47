"""Every reader of an output folder sees its current version: ``datasets.load_dataset(DIR, CONFIG)``
after ``remove``, ``extract``, ``--append`` and a new crawl into a reused path.

These tests load with the library's DEFAULT cache (no ``cache_dir``, no
``HF_HOME`` of their own: ``~/.cache/huggingface`` or whatever ``HF_HOME`` the
person running the tests has), because the cache is what went stale: the
library keys a local folder by its name and its card's YAML (see
``pipelines/dataset/version.py``). Entries other runs left there are part of
the test: the folders here are named like those of every other run
(``out1``, ``same``), so a key that ignored the files would return their rows.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from crawler.localsite import Route, html
from tests.conftest import FAST, read_rows, run_tdmcrawl

PROSE = "Notes on the harbour, the ferry timetable and the lake levels, written for these tests so there is text to extract. " * 4


def page(title: str, *links: str) -> Route:
    body = "".join(f'<p><a href="{link}">{link}</a></p>' for link in links)
    return html(f"<html><head><title>{title}</title></head><body><main><h1>{title}</h1><p>{title}: {PROSE}</p>{body}</main></body></html>")


def site_pages(prefix: str, n: int) -> dict[str, Route]:
    paths = [f"/{prefix}/{i}" for i in range(n)]
    routes = {"/": page(f"{prefix} home", *paths)}
    routes.update({path: page(f"{prefix} page {i}") for i, path in enumerate(paths)})
    return routes


def load(out: Path, config: str = "documents") -> list[dict[str, Any]]:
    import datasets

    return datasets.load_dataset(str(out), config, split="train").to_list()  # the README's form, default cache


def crawl_into(out: Path, *seeds: str, args: tuple[str, ...] = ()) -> None:
    done = run_tdmcrawl("crawl", *seeds, "--out", str(out), "--quiet", *FAST, *args)
    assert done.returncode == 0, done.stderr


def assert_loads_current(out: Path) -> list[dict[str, Any]]:
    """What load_dataset returns is exactly what the folder's shards hold."""
    for config in ("documents", "decisions"):
        on_disk = read_rows(out / "data" / config)
        loaded = load(out, config)
        key = "id" if config == "documents" else "url"
        assert sorted((r[key], r.get("text") or r.get("decision")) for r in loaded) == sorted((r[key], r.get("text") or r.get("decision")) for r in on_disk), config
    return load(out)


def test_remove_then_extract_each_load_shows_the_current_rows(tmp_path: Path, site_factory) -> None:
    site = site_factory({"a": site_pages("p", 6)})
    out = tmp_path / "out1"
    crawl_into(out, site.url("a"))
    before = assert_loads_current(out)
    assert len(before) == 7
    removed_url = site.url("a", "/p/2")
    assert removed_url in {r["url"] for r in before}

    done = run_tdmcrawl("remove", str(out), "--url-prefix", removed_url, "--reason", "owner asked")
    assert done.returncode == 0, done.stderr
    after = assert_loads_current(out)
    assert {r["url"] for r in after} == {r["url"] for r in before} - {removed_url}
    assert not any("p page 2:" in r["text"] for r in after)

    done = run_tdmcrawl("extract", str(out), "--no-tables", "--favor-recall")
    assert done.returncode == 0, done.stderr
    extracted = assert_loads_current(out)
    assert {r["url"] for r in extracted} == {r["url"] for r in after}
    assert all(r["extractor_options"] != a["extractor_options"] for r, a in zip(sorted(extracted, key=lambda r: r["url"]), sorted(after, key=lambda r: r["url"])))


def test_a_new_crawl_into_a_reused_path_shows_only_its_rows(tmp_path: Path, site_factory) -> None:
    first_site = site_factory({"a": site_pages("first", 4)})
    second_site = site_factory({"a": site_pages("second", 3)})
    out = tmp_path / "same"
    # The same crawl id both times: the shard file names are the same too.
    crawl_into(out, first_site.url("a"), args=("--crawl-id", "reused"))
    first = assert_loads_current(out)
    assert {r["url"] for r in first} == {first_site.url("a", p) for p in ("/", *(f"/first/{i}" for i in range(4)))}

    shutil.rmtree(out)
    crawl_into(out, second_site.url("a"), args=("--crawl-id", "reused"))
    second = assert_loads_current(out)
    assert {r["url"] for r in second} == {second_site.url("a", p) for p in ("/", *(f"/second/{i}" for i in range(3)))}

    # Another folder of the same name elsewhere is another dataset, not the cached one.
    elsewhere = tmp_path / "elsewhere" / "same"
    crawl_into(elsewhere, first_site.url("a"), args=("--crawl-id", "reused"))
    assert {r["url"] for r in assert_loads_current(elsewhere)} == {r["url"] for r in first}
    assert {r["url"] for r in load(out)} == {r["url"] for r in second}


def test_an_appended_crawl_shows_both_crawls_rows(tmp_path: Path, site_factory) -> None:
    first_site = site_factory({"a": site_pages("one", 3)})
    second_site = site_factory({"a": site_pages("two", 2)})
    out = tmp_path / "out1"
    crawl_into(out, first_site.url("a"))
    first = assert_loads_current(out)
    crawl_into(out, second_site.url("a"), args=("--append",))
    both = assert_loads_current(out)
    assert {r["url"] for r in both} == {r["url"] for r in first} | {second_site.url("a", p) for p in ("/", "/two/0", "/two/1")}
    assert len({r["dump"] for r in both}) == 2
