"""Crash-safe resume: a crawl killed with SIGKILL at several moments, or
stopped with SIGTERM, and resumed with the same command ends with valid files
and every URL decided exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from crawler.localsite import LocalSite, Route, html
from tests.audit import note_output
from tests.conftest import FAST, REPO, CrawlResult

PAGES = 60
PROSE = "Harbour notes for the resume test: tides, ferries and the lake, enough words to extract. " * 6


def site_routes(delay: float = 0.03) -> dict[str, Route]:
    routes: dict[str, Route] = {}
    for i in range(PAGES):
        links = "".join(f'<a href="{"/" if j == 0 else f"/p{j}"}">page {j}</a> ' for j in (i + 1, i + 2, (i * 7) % PAGES) if j < PAGES)
        route = html(f"<html><head><title>Page {i}</title></head><body><main><h1>Page {i}</h1><p>{PROSE}</p><p>{links}</p></main></body></html>")
        route.delay = delay
        routes["/" if i == 0 else f"/p{i}"] = route
    return routes


def command(site: LocalSite, out: Path) -> list[str]:
    note_output(out)  # the audit-trail invariant covers every run into it
    return [sys.executable, "-m", "crawler.commands.main", "crawl", site.url("a", "/"), "--out", str(out), "--quiet", *FAST, "-s", "CONCURRENT_REQUESTS=4"]


def start(site: LocalSite, out: Path) -> subprocess.Popen:
    return subprocess.Popen(command(site, out), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for_requests(site: LocalSite, count: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len([p for p in site.paths("a") if p.startswith("/p") or p == "/"]) < count:
        assert process.poll() is None, process.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the crawl did not make progress"
        time.sleep(0.02)


def finished_crawl_left_running(site: LocalSite, out: Path) -> None:
    """Crawl the site to the end, then mark the job running again: the state a
    kill leaves, with the output the test then edits."""
    finished = subprocess.run(command(site, out), cwd=REPO, capture_output=True, text=True, timeout=180)
    assert finished.returncode == 0, finished.stderr[-3000:]
    state_file = out / ".job" / "state.json"
    state_file.write_text(json.dumps({**json.loads(state_file.read_text()), "status": "running"}))


def check_complete(out: Path) -> None:
    result = CrawlResult(out, 0, "", "")
    decisions = result.decisions()
    counts = Counter(row["url"] for row in decisions)
    assert all(n == 1 for n in counts.values()), [u for u, n in counts.items() if n > 1]
    assert len(counts) == PAGES, len(counts)
    assert {row["decision"] for row in decisions} == {"stored"}
    documents = result.documents()
    assert len({d["url"] for d in documents}) == len(documents) == PAGES
    assert not list(out.rglob("*.open")) and not [p for p in (out / "data").rglob(".*") if p.is_file()]
    warcs = [str(p) for sub in ("warc", "wet", "policy") for p in (out / sub).glob("*.gz")]
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", *warcs], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:]
    for path in (out / "data").rglob("*.parquet"):
        pq.read_table(path)
    # every stored URL has exactly one response record across all WARC files
    from warcio.archiveiterator import ArchiveIterator

    responses = Counter()
    for path in (out / "warc").glob("*.warc.gz"):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type == "response":
                    responses[record.rec_headers.get_header("WARC-Target-URI")] += 1
    assert all(n == 1 for n in responses.values()), [u for u, n in responses.items() if n > 1]


@pytest.mark.parametrize("kill_after", [1, 12, 35])
def test_sigkill_at_any_moment_then_resume(tmp_path: Path, site_factory, kill_after: int) -> None:
    site = site_factory({"a": site_routes()})
    out = tmp_path / "out"
    process = start(site, out)
    wait_for_requests(site, kill_after, process)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    state = json.loads((out / ".job" / "state.json").read_text())
    assert state["status"] == "running"  # nobody had the chance to say otherwise
    resumed = subprocess.run(command(site, out), cwd=REPO, capture_output=True, text=True, timeout=180)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    check_complete(out)
    assert json.loads((out / ".job" / "state.json").read_text())["status"] == "finished"


def test_sigterm_stops_gracefully_and_resumes(tmp_path: Path, site_factory) -> None:
    site = site_factory({"a": site_routes()})
    out = tmp_path / "out"
    process = start(site, out)
    wait_for_requests(site, 15, process)
    os.killpg(process.pid, signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr[-2000:]
    assert "run the same command again to resume" in stderr
    assert json.loads((out / ".job" / "state.json").read_text())["status"] == "stopped"
    assert not list(out.rglob("*.open"))  # files were closed
    first_part = len(CrawlResult(out, 0, "", "").decisions())
    assert 0 < first_part < PAGES
    resumed = subprocess.run(command(site, out), cwd=REPO, capture_output=True, text=True, timeout=180)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    check_complete(out)


def test_two_runs_never_share_a_job_directory(tmp_path: Path, site_factory) -> None:
    # Slow pages: the first crawl must still be running when the second one,
    # however long its start takes on a busy machine, reaches the lock.
    site = site_factory({"a": site_routes(delay=1.0)})
    out = tmp_path / "out"
    process = start(site, out)
    try:
        wait_for_requests(site, 2, process)
        second = subprocess.run(command(site, out), cwd=REPO, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2
        assert "could not start: another crawl is using the job directory" in second.stderr
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_a_finished_output_is_not_crawled_into_again(tmp_path: Path, site_factory) -> None:
    site = site_factory({"a": {"/": html("<html><body><p>one page only, with a few words.</p></body></html>")}})
    out = tmp_path / "out"
    assert subprocess.run(command(site, out), cwd=REPO, capture_output=True, text=True, timeout=120).returncode == 0
    again = subprocess.run(command(site, out), cwd=REPO, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "already holds the finished crawl" in again.stderr


def test_a_document_whose_decision_the_kill_lost_is_not_stored_again(tmp_path: Path, site_factory) -> None:
    """The narrowest window of a kill: a document's row is journaled, its
    ``stored`` decision is not. Resume must restore the decision from the WARC
    capture instead of fetching and storing the page a second time."""
    site = site_factory({"a": site_routes()})
    out = tmp_path / "out"
    finished_crawl_left_running(site, out)
    # ... and the last decision gone, as such a kill leaves it.
    shards = sorted((out / "data" / "decisions").glob("*.parquet"))
    table = pq.read_table(shards[-1])
    lost_url = table.column("url").to_pylist()[-1]
    pq.write_table(table.slice(0, table.num_rows - 1), shards[-1])
    requests_before = site.paths("a").count(urlsplit(lost_url).path)
    assert requests_before == 1

    resumed = subprocess.run(command(site, out), cwd=REPO, capture_output=True, text=True, timeout=180)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "1 row(s) rebuilt from WARC" in resumed.stderr
    assert site.paths("a").count(urlsplit(lost_url).path) == 1  # not fetched again
    check_complete(out)
    restored = [row for row in CrawlResult(out, 0, "", "").decisions() if row["url"] == lost_url]
    assert restored[0]["document_id"] in {d["id"] for d in CrawlResult(out, 0, "", "").documents() if d["url"] == lost_url}


def test_a_capture_whose_url_another_worker_stored_gets_no_row(tmp_path: Path, site_factory) -> None:
    """A killed cluster worker leaves a capture without a row; by the time its
    output is repaired another worker has stored that URL from a capture of
    its own. The repair must not add a second document for the URL."""
    site = site_factory({"a": site_routes()})
    out = tmp_path / "out"
    finished_crawl_left_running(site, out)
    # The last capture loses its row, and its URL's decision now names another document.
    decision_shard = sorted((out / "data" / "decisions").glob("*.parquet"))[-1]
    decisions = pq.read_table(decision_shard)
    taken_url, orphan_id = decisions.column("url").to_pylist()[-1], decisions.column("document_id").to_pylist()[-1]
    ids = decisions.column("document_id").to_pylist()
    # The other worker's document: an id that exists in the folder (the audit trail
    # holds every stored row to a document row), not the orphan's.
    other_id = next(i for i in ids[:-1] if i and i != orphan_id)
    ids[-1] = other_id
    pq.write_table(decisions.set_column(decisions.schema.get_field_index("document_id"), "document_id", pa.array(ids, pa.string())), decision_shard)
    for shard in (out / "data" / "documents").glob("*.parquet"):
        documents = pq.read_table(shard)
        pq.write_table(documents.filter(pc.not_equal(documents.column("id"), orphan_id)), shard)

    resumed = subprocess.run(command(site, out), cwd=REPO, capture_output=True, text=True, timeout=180)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    result = CrawlResult(out, 0, "", "")
    assert orphan_id not in {d["id"] for d in result.documents()}
    assert [row["document_id"] for row in result.decisions() if row["url"] == taken_url] == [other_id]
    assert site.paths("a").count(urlsplit(taken_url).path) == 1  # decided: not fetched again


def test_an_appended_crawl_resumes_its_own_urls_not_the_earlier_crawls(tmp_path: Path, site_factory) -> None:
    """``--append`` adds a second crawl of the same site to a folder; killed and
    resumed, it must still decide every URL itself, although the first crawl
    already decided them all."""
    site = site_factory({"a": site_routes()})
    out = tmp_path / "out"
    first = subprocess.run(command(site, out), cwd=REPO, capture_output=True, text=True, timeout=180)
    assert first.returncode == 0, first.stderr[-3000:]
    first_crawl = json.loads((out / ".job" / "state.json").read_text())["crawl_id"]
    appended = subprocess.Popen([*command(site, out), "--append"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    wait_for_requests(site, PAGES + 12, appended)  # the first crawl's pages, then 12 of the second's
    os.killpg(appended.pid, signal.SIGKILL)
    appended.wait()
    resumed = subprocess.run([*command(site, out), "--append"], cwd=REPO, capture_output=True, text=True, timeout=180)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    second_crawl = json.loads((out / ".job" / "state.json").read_text())["crawl_id"]
    assert second_crawl != first_crawl
    decisions = CrawlResult(out, 0, "", "").decisions()
    per_crawl = {crawl: Counter(row["url"] for row in decisions if row["dump"] == crawl) for crawl in (first_crawl, second_crawl)}
    assert len(per_crawl[first_crawl]) == len(per_crawl[second_crawl]) == PAGES
    assert max(per_crawl[second_crawl].values()) == 1
