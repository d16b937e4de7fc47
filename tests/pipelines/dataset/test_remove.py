"""``tdmcrawl remove``: pages taken out of real crawl outputs on request.

Every test works on a copy of a real output (the session's demo crawl, or a
small crawl of its own) and checks what a user of the dataset would see: WARC
and WET files that ``warcio check`` accepts, every kept document's pointers
opening its records, ``datasets`` loading the table, the removed text found
nowhere in the folder, the removal recorded and the card updated without the
removed URLs. The crash tests kill ``tdmcrawl remove`` with SIGKILL at each
step of its protocol and check that the folder is still a valid dataset, and
that the next ``remove`` or ``summary`` finishes or rolls back cleanly.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import inspect
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.localsite import ReceivedRequest, Route, html
from pipelines.dataset.remove import (
    JOURNAL_FILE,
    STAGING_DIR,
    RemoveError,
    Selector,
    make_selector,
    read_url_list,
    remove,
    resume_interrupted_removal,
)
from tests.conftest import FAST, REPO, read_rows, run_tdmcrawl

# Runs the ``remove`` command the way ``tdmcrawl`` does: through crawler.commands.main
# once the command is registered there, through add_remove_command until then.
# With a step name as first argument it stops the process at that step of the
# protocol (pipelines.dataset.remove._checkpoint) and says so, for the test to kill it.
CLI_SCRIPT = r"""
import argparse, sys, time
stop_at, argv = sys.argv[1], sys.argv[2:]
if stop_at:
    import pipelines.dataset.remove
    def stop_here(name):
        if name == stop_at:
            print("stopped-at " + name, flush=True)
            time.sleep(3600)
    pipelines.dataset.remove._checkpoint = stop_here
from crawler.commands.main import main, make_parser
commands = next(a for a in make_parser()._actions if isinstance(a, argparse._SubParsersAction))
if "remove" in commands.choices:
    sys.exit(main(argv))
from crawler.errors import CliError
from crawler.commands.dataset import add_remove_command
parser = argparse.ArgumentParser(prog="tdmcrawl")
add_remove_command(parser.add_subparsers(dest="command", required=True))
args = parser.parse_args(argv)
try:
    sys.exit(args.func(args))
except CliError as exc:
    print(f"tdmcrawl: error: {exc}", file=sys.stderr)
    sys.exit(2)
"""


def run_remove(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CLI_SCRIPT, "", "remove", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def start_remove(stop_at: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CLI_SCRIPT, stop_at, "remove", *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def summary_recovers_removals() -> bool:
    import crawler.commands.dataset

    return "resume_interrupted_removal" in inspect.getsource(crawler.commands.dataset)


def summary_hides_removed_seeds() -> bool:
    import pipelines.dataset.summary

    return "removed_url_matcher" in inspect.getsource(pipelines.dataset.summary)


def run_summary(out: Path) -> None:
    """``tdmcrawl summary``: the real command once it resumes removals, else what it will do."""
    if summary_recovers_removals():
        done = subprocess.run([sys.executable, "-m", "crawler.commands.main", "summary", str(out)], cwd=REPO, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return
    from pipelines.dataset.summary import write_summary

    resume_interrupted_removal(out)
    write_summary(out)


# ------------------------------------------------------------------ what a user checks
def copy_output(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "dataset"
    shutil.copytree(source, target)
    return target


def capture_files(out: Path) -> list[Path]:
    return sorted(p for p in (out / "warc").glob("*.warc.gz") if not p.name.startswith(".")) + sorted(
        p for p in (out / "wet").glob("*.warc.wet.gz") if not p.name.startswith(".")
    )


def assert_warcio_check(out: Path) -> None:
    files = capture_files(out)
    if files:
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", *map(str, files)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def record_at(path: Path, offset: int) -> tuple[str, str, int]:
    with open(path, "rb") as handle:
        handle.seek(offset)
        iterator = ArchiveIterator(handle)
        record = next(iterator)
        iterator.read_to_end(record)
        return record.rec_type, record.rec_headers.get_header("WARC-Record-ID"), iterator.get_record_length()


def assert_pointers_resolve(out: Path) -> None:
    """Every documents row opens its response, metadata and conversion records."""
    for row in read_rows(out / "data" / "documents"):
        kind, record_id, length = record_at(out / row["file_path"], row["warc_record_offset"])
        assert (kind, record_id, length) == ("response", row["id"], row["warc_record_length"]), row["url"]
        assert record_at(out / row["file_path"], row["warc_metadata_offset"])[:2] == ("metadata", row["warc_metadata_id"]), row["url"]
        if row["wet_file_path"]:
            assert record_at(out / row["wet_file_path"], row["wet_record_offset"])[:2] == ("conversion", row["warc_conversion_id"]), row["url"]


def assert_valid_dataset(out: Path) -> None:
    assert_warcio_check(out)
    assert_pointers_resolve(out)


def folder_texts(out: Path) -> dict[str, str]:
    """Every file of the folder as searchable text: gzip members decompressed,
    Parquet tables and JSON files dumped with their non-ASCII characters as they are."""
    texts = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.name.endswith(".parquet"):
            text = json.dumps(pq.read_table(path).to_pylist(), default=str, ensure_ascii=False)
        elif data[:2] == b"\x1f\x8b":
            text = gzip.decompress(data).decode("utf-8", "ignore")
        elif path.suffix == ".json":
            try:
                text = json.dumps(json.loads(data), ensure_ascii=False)
            except ValueError:
                text = data.decode("utf-8", "ignore")
        else:
            text = data.decode("utf-8", "ignore")
        texts[path.relative_to(out).as_posix()] = text
    return texts


def distinctive_snippets(removed: list[dict[str, Any]], kept: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Per removed document, pieces of its text that no kept document has."""
    kept_text = "\n".join(row["text"] for row in kept)
    snippets = {}
    for row in removed:
        pieces = [p.strip() for line in row["text"].splitlines() for p in line.split(". ")]
        snippets[row["url"]] = [p for p in pieces if len(p) >= 30 and p not in kept_text]
    return snippets


def file_hashes(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.rglob("*")) if p.is_file()}


def data_snapshot(out: Path) -> dict[str, str]:
    """sha256 of every file holding data (hidden files included): equal before
    and after means the dataset is exactly as it was."""
    found = {}
    for folder in ("warc", "wet", "policy", "data/documents", "data/decisions", "data/removals"):
        for path in sorted((out / folder).glob("*")) if (out / folder).is_dir() else []:
            found[path.relative_to(out).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def load_documents(out: Path, tmp_path: Path) -> list[dict[str, Any]]:
    import datasets

    return datasets.load_dataset(str(out), "documents", split="train", cache_dir=str(tmp_path / "hf")).to_list()


def assert_removed(out: Path, before: list[dict[str, Any]], removed_urls: set[str], original_texts: dict[str, str], tmp_path: Path, reason: str) -> None:
    """The new version is what a removal promises (see the module docstring)."""
    removed = [row for row in before if row["url"] in removed_urls]
    kept = [row for row in before if row["url"] not in removed_urls]
    assert removed and kept, "a test removal must remove some documents and keep others"

    assert_valid_dataset(out)
    after = read_rows(out / "data" / "documents")
    assert sorted(row["url"] for row in after) == sorted(row["url"] for row in kept)
    # Kept rows are unchanged but for the pointers into rewritten files.
    pointers = {"file_path", "warc_record_offset", "warc_metadata_offset", "wet_file_path", "wet_record_offset"}
    by_id = {row["id"]: row for row in kept}
    for row in after:
        assert {k: v for k, v in row.items() if k not in pointers} == {k: v for k, v in by_id[row["id"]].items() if k not in pointers}
    loaded = load_documents(out, tmp_path)
    assert sorted(row["id"] for row in loaded) == sorted(by_id)

    # The removed text was there, in the table, the WET and the WARC, and is nowhere now.
    snippets = distinctive_snippets(removed, kept)
    warc_text = "".join(t for name, t in original_texts.items() if name.startswith("warc/"))
    wet_text = "".join(t for name, t in original_texts.items() if name.startswith("wet/"))
    for url, pieces in snippets.items():
        assert any(p in wet_text for p in pieces) and any(p in warc_text for p in pieces), f"no distinctive text of {url} to look for"
    for name, text in folder_texts(out).items():
        for url, pieces in snippets.items():
            found = [p for p in pieces if p in text]
            assert not found, f"text of removed {url} is still in {name}: {found[0]!r}"
    assert not (out / STAGING_DIR).exists() and not (out / JOURNAL_FILE).exists()
    assert not [p for p in (out / "data" / "documents").iterdir() if p.name.startswith(".")]

    # The removal is recorded; the summary counts and the card follow, without the removed URLs.
    removals = read_rows(out / "data" / "removals")
    assert [(r["reason"], r["documents"]) for r in removals] == [(reason, len(removed))]
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["counts"]["documents_stored"] == len(kept)
    assert [(r["reason"], r["documents"]) for r in summary["removals"]] == [(reason, len(removed))]
    card = (out / "README.md").read_text("utf-8")
    assert "## Removals" in card and reason in card and f"Removals so far: 1 ({len(removed)} documents)" in card
    # Seeds are listed in the card until pipelines.dataset.summary leaves out the ones a
    # removal covers (pipelines.dataset.remove.removed_url_matcher); no other removed URL is named.
    seeds = set() if summary_hides_removed_seeds() else set(summary["seeds"])
    for url in removed_urls - seeds:
        assert url not in card


# ------------------------------------------------------------------ removals on real outputs
def test_remove_url_prefix_dry_run_then_for_real(demo_crawl, tmp_path: Path) -> None:
    result, site, _ = demo_crawl
    out = copy_output(result.out, tmp_path)
    before = read_rows(out / "data" / "documents")
    original = folder_texts(out)
    prefix = site.url("notes", "/entries/")
    removed_urls = {row["url"] for row in before if row["url"].startswith(prefix)}
    assert len(removed_urls) == 6

    snapshot = file_hashes(out)
    dry = run_remove(str(out), "--url-prefix", prefix, "--reason", "creator asked", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would remove 6 documents (18 WARC and 6 WET records" in dry.stdout
    assert "would change 3 files" in dry.stdout
    assert file_hashes(out) == snapshot

    done = run_remove(str(out), "--url-prefix", prefix, "--reason", "creator asked")
    assert done.returncode == 0, done.stderr
    assert "removed 6 documents (18 WARC and 6 WET records" in done.stdout
    assert_removed(out, before, removed_urls, original, tmp_path, "creator asked")
    # The rewritten files are new files; the old ones are gone.
    assert not set(p.name for p in capture_files(out)) & set(n.split("/")[-1] for n in original if n.startswith(("warc/", "wet/")))
    # The scope stays in the table for the operator.
    assert prefix in read_rows(out / "data" / "removals")[0]["scope"]
    # A creator who asks afterwards learns the pages were stored, then removed, when and why.
    asked = subprocess.run(
        [sys.executable, "-m", "crawler.commands.main", "lookup", str(out), prefix, "--json"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["counts"] == {"stored": 0, "excluded": 0, "failed": 0, "removed": 6}
    assert {row["url"] for row in answer["removed"]} == removed_urls
    removal = read_rows(out / "data" / "removals")[0]
    assert {(row["removed_at"], row["removal_reason"]) for row in answer["removed"]} == {(removal["removed_at"], "creator asked")}


def test_remove_url_list_follows_redirects_and_keeps_decisions(demo_crawl, tmp_path: Path) -> None:
    result, site, _ = demo_crawl
    out = copy_output(result.out, tmp_path)
    before = read_rows(out / "data" / "documents")
    decisions_before = read_rows(out / "data" / "decisions")
    original = folder_texts(out)
    listed = tmp_path / "urls.txt"
    listed.write_text(
        "# removal request from the Chronicle\n\n"
        f"{site.url('chronicle', '/old-news/')}\n"  # redirected: the page is stored under its final URL
        f"{site.url('chronicle', '/news/ferry-timetable.html')}\n"
        f"  {site.url('wiki', '/wiki/star-hopping.html')}  \n",
        encoding="utf-8",
    )
    removed_urls = {site.url("chronicle", "/news/harbour-dredging.html"), site.url("chronicle", "/news/ferry-timetable.html"), site.url("wiki", "/wiki/star-hopping.html")}

    report = remove(out, urls=read_url_list(listed), reason="rights holder request 2026-11")
    assert (report.documents, report.decisions, report.warc_records, report.wet_records) == (3, 3, 9, 3)
    assert_removed(out, before, removed_urls, original, tmp_path, "rights holder request 2026-11")
    assert read_rows(out / "data" / "decisions") == decisions_before  # the audit trail is kept as it was
    assert site.url("chronicle", "/old-news/") not in (out / "README.md").read_text("utf-8")


PROSE = {
    "a": "Alder moorings are checked each spring by the harbour volunteers before the first sailing weekend.",
    "b": "Birch trail wardens count the nesting pairs along the ridge and post the tally at the visitor hut.",
}


def _pages(origin: str) -> dict[str, Route]:
    def page(path: str, links: list[str]) -> Route:
        body = "".join(f'<a href="{link}">{link}</a> ' for link in links)
        return html(
            f"<html><head><title>{origin} {path}</title></head><body><main><h1>Page {path} of {origin}</h1>"
            f"<p>{PROSE[origin]} This is the {path} page of origin {origin}, written for the removal test.</p><p>{body}</p></main></body></html>"
        )

    return {"/": page("/", ["/one.html", "/two.html"]), "/one.html": page("/one.html", ["/"]), "/two.html": page("/two.html", ["/"])}


def page_hosts(path: Path) -> set[str]:
    from urllib.parse import urlsplit

    with open(path, "rb") as handle:
        return {urlsplit(r.rec_headers.get_header("WARC-Target-URI")).hostname for r in ArchiveIterator(handle) if r.rec_type != "warcinfo"}


def test_remove_domain_removes_that_host_only(crawl, site_factory, tmp_path: Path) -> None:
    site = site_factory({"a": _pages("a"), "b": _pages("b")})
    on_localhost = site.base("a").replace("127.0.0.1", "localhost")
    # Two crawls into one folder: the second one's files hold no removed page.
    result = crawl(on_localhost + "/")
    assert result.returncode == 0, result.stderr
    out = result.out
    appended = run_tdmcrawl("crawl", site.url("b", "/"), "--out", str(out), "--append", "--quiet", *FAST)
    assert appended.returncode == 0, appended.stderr
    before = read_rows(out / "data" / "documents")
    assert len(before) == 6
    original = folder_texts(out)
    hashes = file_hashes(out)
    hosts = {p.relative_to(out).as_posix(): page_hosts(p) for p in capture_files(out)}
    untouched = [name for name, found in hosts.items() if "localhost" not in found]
    assert untouched and len(untouched) < len(hosts)

    done = run_remove(str(out), "--domain", "LOCALHOST", "--reason", "site owner asked")
    assert done.returncode == 0, done.stderr
    assert_removed(out, before, {row["url"] for row in before if row["url"].startswith(on_localhost)}, original, tmp_path, "site owner asked")
    assert PROSE["a"] not in "".join(folder_texts(out).values()) and PROSE["b"] in "".join(folder_texts(out).values())
    after = file_hashes(out)
    for name in hosts:
        if name in untouched:
            assert after.get(name) == hashes[name], f"{name} held no removed page and must stay as it was"
        else:
            assert name not in after


def test_remove_everything_leaves_an_empty_but_valid_dataset(demo_crawl, tmp_path: Path) -> None:
    result, _, _ = demo_crawl
    out = copy_output(result.out, tmp_path)
    before = read_rows(out / "data" / "documents")
    decisions = len(read_rows(out / "data" / "decisions"))

    report = remove(out, domain="127.0.0.1", reason="test of an empty dataset")
    assert report.documents == len(before) > 0
    assert len(report.files_dropped) == 2 and not report.new_files  # files left with only their warcinfo are not written
    assert capture_files(out) == []
    assert read_rows(out / "data" / "documents") == []
    assert pq.read_table(next((out / "data" / "documents").glob("*.parquet"))).num_rows == 0
    assert len(read_rows(out / "data" / "decisions")) == decisions
    texts = "".join(folder_texts(out).values())
    assert not any(row["text"][:60] in texts for row in before)
    assert list((out / "policy").glob("*.warc.gz"))  # policy files are the evidence for the decisions: kept
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["counts"]["documents_stored"] == 0 and summary["removals"][0]["documents"] == len(before)


def test_remove_drops_the_revisits_of_a_recrawl(crawl, site_factory, tmp_path: Path) -> None:
    class Page:
        def __init__(self, name: str):
            self.name = name

        def route(self) -> Route:
            def answer(request: ReceivedRequest) -> Route:
                etag = f'"{self.name}-1"'
                if request.headers.get("If-None-Match") == etag:
                    return Route(304, [("ETag", etag)], b"")
                return html(
                    f"<html><head><title>{self.name}</title></head><body><main><h1>{self.name}</h1><p>{PROSE['a']} {self.name} "
                    f"stays the same between crawls.</p><a href='/one'>one</a> <a href='/two'>two</a></main></body></html>",
                    headers=[("ETag", etag)],
                )

            return Route(body=answer)

    site = site_factory({"a": {path: Page(path.strip("/") or "home").route() for path in ("/", "/one", "/two")}})
    first = crawl(site.url("a"))
    second = crawl(site.url("a"), args=("--previous", str(first.out)))
    assert first.returncode == 0 and second.returncode == 0, second.stderr

    def revisits(out: Path) -> list[str]:
        found = []
        for path in capture_files(out):
            with open(path, "rb") as handle:
                found += [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(handle) if r.rec_type in ("revisit", "request")]
        return found

    assert revisits(second.out).count(site.url("a", "/one")) == 2  # request + revisit
    report = remove(second.out, urls=[site.url("a", "/one")], reason="asked")
    assert (report.documents, report.warc_records, report.decisions) == (0, 2, 1)
    assert site.url("a", "/one") not in revisits(second.out)
    assert sorted(set(revisits(second.out))) == [site.url("a", "/"), site.url("a", "/two")]
    assert_warcio_check(second.out)


def test_nothing_matched_changes_nothing(demo_crawl, tmp_path: Path) -> None:
    result, _, _ = demo_crawl
    out = copy_output(result.out, tmp_path)
    snapshot = data_snapshot(out)
    report = remove(out, url_prefix="http://nowhere.invalid/", reason="asked")
    assert (report.documents, report.warc_records, report.files_changed) == (0, 0, 0)
    assert "nothing matched" in report.describe()
    assert data_snapshot(out) == snapshot and not (out / "data" / "removals").exists()


# ------------------------------------------------------------------ selectors and errors
def test_selectors_match_like_lookup() -> None:
    domain = make_selector(domain="*.Example.ORG.")
    assert domain == Selector("domain", ("example.org",))
    assert domain.matches("https://example.org/a") and domain.matches("http://www.example.org:8080/b")
    assert not domain.matches("https://badexample.org/") and not domain.matches("https://example.org.evil.net/")
    prefix = make_selector(url_prefix="HTTPS://Example.org:443/Blog/*")
    assert prefix.values == ("https://example.org/Blog/",)
    assert prefix.matches("https://EXAMPLE.org/Blog/post") and not prefix.matches("https://example.org/blog/post")
    urls = make_selector(urls=["https://example.org:443/a#top", "http://example.org/b/"])
    assert urls.matches("https://example.org/a") and urls.matches("http://example.org/b/") and not urls.matches("http://example.org/b/c")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "exactly one of"),
        ({"domain": "example.org", "url_prefix": "https://example.org/"}, "exactly one of"),
        ({"domain": "https://example.org/"}, "host name"),
        ({"domain": "example.org:8080"}, "--domain"),
        ({"url_prefix": "example.org/blog/"}, "http(s) URL prefix"),
        ({"urls": []}, "empty"),
        ({"urls": ["ftp://example.org/x"]}, "not an http(s) URL"),
        ({"urls": "https://example.org/x"}, "list of URLs"),
    ],
)
def test_bad_selectors_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(RemoveError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_selector(**kwargs)


def test_url_list_file(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("# comment\n\nhttps://example.org/a\n  http://example.org/b  \n", encoding="utf-8")
    assert read_url_list(good) == ["https://example.org/a", "http://example.org/b"]
    bad = tmp_path / "bad.txt"
    bad.write_text("https://example.org/a\nexample.org/b\n", encoding="utf-8")
    with pytest.raises(RemoveError, match="line 2"):
        read_url_list(bad)
    with pytest.raises(RemoveError, match="cannot read"):
        read_url_list(tmp_path / "missing.txt")


def test_command_line_errors_are_one_line(demo_crawl, tmp_path: Path) -> None:
    result, _, _ = demo_crawl
    out = copy_output(result.out, tmp_path)
    snapshot = data_snapshot(out)
    for args, message in (
        ((str(tmp_path / "nothing-here"), "--domain", "example.org", "--reason", "x"), "not a tdmcrawl output folder"),
        ((str(out), "--domain", "https://example.org/", "--reason", "x"), "host name"),
        ((str(out), "--domain", "example.org", "--reason", "  "), "reason"),
        ((str(out), "--urls", str(tmp_path / "missing.txt"), "--reason", "x"), "cannot read the URL list"),
    ):
        done = run_remove(*args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert done.stderr.startswith("tdmcrawl: error: ") and message in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert data_snapshot(out) == snapshot


def test_refused_while_a_crawl_or_another_removal_runs(demo_crawl, tmp_path: Path) -> None:
    result, _, _ = demo_crawl
    out = copy_output(result.out, tmp_path)
    snapshot = data_snapshot(out)
    for lock_path, message in ((out / ".remove-lock", "another tdmcrawl remove"), (out / ".job" / "lock", "a crawl is running")):
        with open(lock_path, "a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            with pytest.raises(RemoveError, match=message):
                remove(out, domain="127.0.0.1", reason="asked")
    assert data_snapshot(out) == snapshot


# ------------------------------------------------------------------ crash safety
# Each step of the protocol: whether a reader still sees the old rows right
# after a kill there, and whether the next run rolls back or finishes.
STEPS = {
    "staged": ("old rows", "rolled back"),
    "journal-written": ("old rows", "rolled back"),
    "files-moved": ("old rows", "rolled back"),
    "shards-replaced": ("new rows", "rolled back"),
    "committed": ("new rows", "finished"),
}


@pytest.mark.parametrize("recovery", ["summary", "remove"])
@pytest.mark.parametrize("step", list(STEPS))
def test_sigkill_at_each_step_leaves_a_valid_dataset(demo_crawl, tmp_path: Path, step: str, recovery: str) -> None:
    result, site, _ = demo_crawl
    out = copy_output(result.out, tmp_path)
    before = read_rows(out / "data" / "documents")
    snapshot = data_snapshot(out)
    prefix = site.url("notes", "/entries/")
    removed = {row["id"] for row in before if row["url"].startswith(prefix)}
    seen, outcome = STEPS[step]

    process = start_remove(step, str(out), "--url-prefix", prefix, "--reason", "first request")
    try:
        line = process.stdout.readline()
        assert line.strip() == f"stopped-at {step}", (line, process.stderr.read() if process.poll() is not None else "")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    # Killed: the folder is still a dataset a reader can use; nothing of the old version is lost yet.
    assert_valid_dataset(out)
    rows = read_rows(out / "data" / "documents")
    if seen == "old rows":
        assert rows == before
    else:
        assert sorted(r["id"] for r in rows) == sorted(r["id"] for r in before if r["id"] not in removed)
    assert (out / JOURNAL_FILE).exists() == (step != "staged")

    if recovery == "summary":
        run_summary(out)
        expected_removals = ["first request"] if outcome == "finished" else []
    else:
        done = run_remove(str(out), "--urls", str(_url_file(tmp_path, site.url("wiki", "/wiki/star-hopping.html"))), "--reason", "second request")
        assert done.returncode == 0, done.stderr
        assert ("discarded" if step == "staged" else outcome) in done.stdout
        expected_removals = ["first request", "second request"] if outcome == "finished" else ["second request"]

    assert not (out / JOURNAL_FILE).exists() and not (out / STAGING_DIR).exists()
    assert_valid_dataset(out)
    removals_folder = out / "data" / "removals"
    assert sorted(r["reason"] for r in read_rows(removals_folder)) == expected_removals
    rows = read_rows(out / "data" / "documents")
    if outcome == "rolled back" and recovery == "summary":
        assert data_snapshot(out) == snapshot  # exactly the old version, no file left over
    if outcome == "finished":
        assert not removed & {r["id"] for r in rows}
        summary = json.loads((out / "summary.json").read_text("utf-8"))
        assert summary["counts"]["documents_stored"] == len(rows)
    else:
        assert removed <= {r["id"] for r in rows}


def _url_file(tmp_path: Path, *urls: str) -> Path:
    path = tmp_path / "second-request.txt"
    path.write_text("\n".join(urls) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("kill_when", [STAGING_DIR, JOURNAL_FILE])
def test_sigkill_at_an_unknown_moment_then_remove_again(demo_crawl, tmp_path: Path, kill_when: str) -> None:
    """The real command killed as soon as its staging folder or its journal
    appears (wherever it then is): the folder stays valid, and running the
    same removal again ends with it applied exactly once."""
    result, site, _ = demo_crawl
    out = copy_output(result.out, tmp_path)
    before = read_rows(out / "data" / "documents")
    prefix = site.url("notes", "/entries/")
    kept = sorted(row["id"] for row in before if not row["url"].startswith(prefix))

    process = start_remove("", str(out), "--url-prefix", prefix, "--reason", "asked twice")
    try:
        for _ in range(20_000):  # bounded: the removal of the demo takes well under a minute
            if (out / kill_when).exists() or process.poll() is not None:
                break
            time.sleep(0.002)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    assert process.returncode == -signal.SIGKILL, "the removal ended before the kill: nothing was tested"
    assert_valid_dataset(out)
    if not (out / JOURNAL_FILE).exists():  # killed before the swap began: the old version, row for row
        assert read_rows(out / "data" / "documents") == before
    again = run_remove(str(out), "--url-prefix", prefix, "--reason", "asked twice")
    assert again.returncode == 0, again.stderr
    assert_valid_dataset(out)
    assert sorted(row["id"] for row in read_rows(out / "data" / "documents")) == kept
    assert [r["reason"] for r in read_rows(out / "data" / "removals")] == ["asked twice"]
    assert not (out / JOURNAL_FILE).exists() and not (out / STAGING_DIR).exists()
    assert not [p for p in (out / "data" / "documents").iterdir() if p.name.startswith(".")]


def test_dry_run_refuses_while_a_removal_is_pending(demo_crawl, tmp_path: Path) -> None:
    result, site, _ = demo_crawl
    out = copy_output(result.out, tmp_path)
    process = start_remove("journal-written", str(out), "--url-prefix", site.url("notes", "/entries/"), "--reason", "asked")
    try:
        assert process.stdout.readline().strip() == "stopped-at journal-written"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    with pytest.raises(RemoveError, match="pending"):
        remove(out, url_prefix=site.url("notes", "/entries/"), reason="asked", dry_run=True)
    assert "rolled back" in (resume_interrupted_removal(out) or "")
    assert resume_interrupted_removal(out) is None
