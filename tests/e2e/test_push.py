"""``tdmcrawl push`` makes the Hub repository hold exactly the folder's current version.

The Hub itself cannot be reached here (tests talk to loopback only), so the
repository is ``tests/hub_standin.py``, a stand-in for the Hub's HTTP API on
127.0.0.1 that the real ``huggingface_hub`` client talks to through
``HF_ENDPOINT``; everything on tdmcrawl's side is the real command.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pyarrow.parquet as pq
import pytest

from crawler.localsite import Route, html
from pipelines.dataset.push import publishable_files
from tests.conftest import FAST, run_tdmcrawl
from tests.hub_standin import HubStandIn

PROSE = "Reports of the lake levels, the ferry timetable and the harbour works, for the push tests. " * 4
REPO_ID = "research-lab/lake-crawl"


def page(title: str, *links: str) -> Route:
    body = "".join(f'<p><a href="{link}">{link}</a></p>' for link in links)
    return html(f"<html><head><title>{title}</title></head><body><main><h1>{title}</h1><p>{title}: {PROSE}</p>{body}</main></body></html>")


@pytest.fixture
def hub() -> Iterator[HubStandIn]:
    stand_in = HubStandIn().start()
    yield stand_in
    stand_in.stop()


def push(hub: HubStandIn, out: Path, *args: str):
    return run_tdmcrawl("push", str(out), REPO_ID, *args, env={"HF_ENDPOINT": hub.endpoint, "HF_TOKEN": "hf_stand_in_token", "HF_HUB_OFFLINE": "0", "HF_HUB_DISABLE_TELEMETRY": "1"})


def assert_repo_is_the_folder(hub: HubStandIn, out: Path) -> None:
    files = hub.repos[REPO_ID].files
    expected = {path: (out / path).read_bytes() for path, _ in publishable_files(out)}
    assert {p: d for p, d in files.items() if p != ".gitattributes"} == expected


def test_push_then_remove_then_push_replaces_and_deletes_in_one_commit(tmp_path: Path, site_factory, hub: HubStandIn) -> None:
    site = site_factory({"a": {"/": page("home", *(f"/r/{i}" for i in range(4))), **{f"/r/{i}": page(f"report {i}") for i in range(4)}}})
    out = tmp_path / "out"
    done = run_tdmcrawl("crawl", site.url("a"), "--out", str(out), "--quiet", *FAST)
    assert done.returncode == 0, done.stderr

    first = push(hub, out)
    assert first.returncode == 0, first.stderr
    assert_repo_is_the_folder(hub, out)
    assert "no removals" in hub.repos[REPO_ID].files["README.md"].decode()
    assert len(hub.repos[REPO_ID].commits) == 1 and not hub.repos[REPO_ID].commits[0].deleted
    # An older push had published a file that must never be there, and left a shard of an earlier crawl.
    hub.repos[REPO_ID].files["data/removals/removals-old.parquet"] = b"urls of removed pages"
    hub.repos[REPO_ID].files["data/documents/documents-earlier-w0-00000.parquet"] = b"an earlier crawl"

    removed = site.url("a", "/r/3")
    done = run_tdmcrawl("remove", str(out), "--url-prefix", removed, "--reason", "the author asked")
    assert done.returncode == 0, done.stderr
    removal_date = pq.read_table(out / "data" / "removals").to_pylist()[-1]["removed_at"]
    replaced = sorted(p for p in hub.repos[REPO_ID].files if p != ".gitattributes" and not (out / p).exists())
    # the removal rewrote a WARC and a WET file under new names (and the WARC's index); plus the two planted files
    assert {p.split("/")[0] for p in replaced} == {"warc", "wet", "indexes", "data"}, replaced

    dry = push(hub, out, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.strip().splitlines()
    assert lines[0].startswith(f"would upload {len(publishable_files(out))} files ") and REPO_ID in lines[0] and f"last removal {removal_date}" in lines[0], lines[0]
    split = next(i for i, line in enumerate(lines) if line.startswith("would delete"))
    uploads = [line.strip().rsplit("  ", 1)[0] for line in lines[1:split]]
    deletions = [line.strip().removeprefix("- ") for line in lines[split + 1 :]]
    assert uploads == [path for path, _ in publishable_files(out)]
    assert deletions == replaced
    assert "data/documents/documents-earlier-w0-00000.parquet" in deletions and "data/removals/removals-old.parquet" in deletions
    assert len(hub.repos[REPO_ID].commits) == 1, "a dry run commits nothing"

    before_second = set(hub.repos[REPO_ID].files)
    second = push(hub, out)
    assert second.returncode == 0, second.stderr
    assert_repo_is_the_folder(hub, out)
    commit = hub.repos[REPO_ID].commits[-1]
    assert len(hub.repos[REPO_ID].commits) == 2
    # the replaced files went in the same commit that brought their replacements
    assert sorted(commit.deleted) == deletions
    new_captures = {p for p, _ in publishable_files(out) if p.startswith(("warc/", "wet/")) and p not in before_second}
    assert new_captures and new_captures <= set(commit.added)
    assert removal_date in commit.summary
    card = hub.repos[REPO_ID].files["README.md"].decode()
    assert f"last removal {removal_date}" in card
    import io

    published = [row for path, data in hub.repos[REPO_ID].files.items() if path.startswith("data/documents/") for row in pq.read_table(io.BytesIO(data)).to_pylist()]
    assert removed not in {row["url"] for row in published} and len(published) == 4
    summary = json.loads((out / "summary.json").read_text())
    assert summary["removals"][-1]["removed_at"] == removal_date
