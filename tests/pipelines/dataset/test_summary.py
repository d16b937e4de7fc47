"""The crawl summary checked against the tables it summarises, and the two
Hub-facing commands: ``tdmcrawl summary`` over a folder holding two crawls,
and ``tdmcrawl push --dry-run`` (what would be uploaded; nothing is).

Every number of ``summary.json`` is recomputed here from the Parquet tables
with plain pyarrow and collections, never with ``pipelines.dataset.summary``.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import socket
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from crawler.localsite import LocalSite, Route, html, text
from pipelines.dataset.summary import write_summary
from tests.conftest import CrawlResult, read_rows, run_tdmcrawl
from tests.pipelines.dataset.test_lookup import decision, document, write_output

WORD = re.compile(r"\w+", re.UNICODE)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def load_summary(out: Path) -> dict[str, Any]:
    return json.loads((out / "summary.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def demo(demo_crawl: tuple[CrawlResult, LocalSite, dict]) -> tuple[dict[str, Any], list[dict], list[dict], Path]:
    result, _, _ = demo_crawl
    assert result.returncode == 0, result.stderr[-3000:]
    return load_summary(result.out), result.documents(), result.decisions(), result.out


# ------------------------------------------------------------------ the numbers against the tables
def test_counts_are_the_tables_counts(demo) -> None:
    summary, documents, decisions, _ = demo
    counts = summary["counts"]
    by_decision = Counter(d["decision"] for d in decisions)
    assert counts["urls_considered"] == len(decisions)
    assert counts["documents_stored"] == len(documents) == by_decision["stored"]
    assert counts["urls_excluded"] == by_decision["excluded"] > 0
    assert counts["urls_failed"] == by_decision["failed"]
    assert counts["by_decision"] == dict(by_decision)
    assert counts["bytes_stored"] == sum(d["content_length"] for d in documents)
    assert counts["words"] == sum(d["word_count"] for d in documents) == sum(len(WORD.findall(d["text"])) for d in documents)
    assert counts["by_http_status"] == dict(Counter(str(d["fetch_status"]) for d in decisions if d["fetch_status"] is not None))
    assert summary["crawl_ids"] == sorted({d["dump"] for d in decisions})


def test_exclusions_by_reason_and_by_family(demo) -> None:
    summary, _, decisions, _ = demo
    excluded = [d for d in decisions if d["decision"] == "excluded"]
    exclusions = summary["exclusions"]
    assert exclusions["by_reason"] == dict(Counter(d["reason"] for d in excluded))
    assert exclusions["by_family"] == dict(Counter(d["reason_family"] for d in excluded))
    assert exclusions["failures_by_reason"] == dict(Counter(d["reason"] for d in decisions if d["decision"] == "failed"))
    assert all(d["reason"].startswith(d["reason_family"]) for d in excluded)
    assert len(exclusions["by_family"]) > 3, "the demo shows many families of reservation"


def test_licences_languages_and_content_types(demo) -> None:
    summary, documents, _, _ = demo
    licences = Counter(d["license"] or "none" for d in documents)
    assert summary["licences"]["by_license"] == dict(licences)
    assert summary["licences"]["share_without_licence"] == round(licences["none"] / len(documents), 4)
    assert summary["languages"] == dict(Counter(d["language"] or "unknown" for d in documents))
    assert summary["content_types"] == dict(Counter(d["content_mime_detected"] for d in documents))


def domains_group_by(documents: list[dict], decisions: list[dict]) -> dict[str, dict[str, Any]]:
    grouped: dict[str, dict[str, Any]] = defaultdict(lambda: {"documents": 0, "bytes": 0, "words": 0, "urls_considered": 0, "urls_excluded": 0, "urls_failed": 0, "excluded_by_reason": Counter()})
    for d in documents:
        entry = grouped[d["url_host_registered_domain"]]
        entry["documents"] += 1
        entry["bytes"] += d["content_length"]
        entry["words"] += d["word_count"]
    for d in decisions:
        entry = grouped[d["url_host_registered_domain"]]
        entry["urls_considered"] += 1
        entry["urls_excluded"] += d["decision"] == "excluded"
        entry["urls_failed"] += d["decision"] == "failed"
        if d["decision"] == "excluded":
            entry["excluded_by_reason"][d["reason"]] += 1
    return grouped


def test_domains_table_is_a_group_by_of_the_tables(demo) -> None:
    summary, documents, decisions, out = demo
    table = {row.pop("registered_domain"): row for row in pq.read_table(out / "data" / "domains" / "domains.parquet").to_pylist()}
    expected = domains_group_by(documents, decisions)
    assert set(table) == set(expected)
    for name, row in table.items():
        row["excluded_by_reason"] = Counter(json.loads(row["excluded_by_reason"]))
        assert row == expected[name], name
    assert summary["domains"]["total"] == len(expected)
    assert summary["domains"]["with_stored_content"] == sum(1 for v in expected.values() if v["bytes"] > 0)


def test_origins_tell_apart_the_ports_of_one_host(demo) -> None:
    """The demo's sites share the registered domain 127.0.0.1; the summary also
    ranks stored content per origin (scheme://host:port), as the chart shows."""
    summary, documents, _, out = demo
    expected: dict[str, dict[str, int]] = defaultdict(lambda: {"documents": 0, "bytes": 0})
    for row in documents:
        origin = f"http://{row['url_host_name']}:{row['url_port']}"
        expected[origin]["documents"] += 1
        expected[origin]["bytes"] += row["content_length"]
    assert summary["domains"]["with_stored_content"] == 1
    assert summary["domains"]["origins_with_stored_content"] == len(expected) >= 2
    origins = summary["domains"]["top_origins"]
    assert {o["origin"]: {"documents": o["documents"], "bytes": o["bytes"]} for o in origins} == dict(expected)
    assert [o["bytes"] for o in origins] == sorted((v["bytes"] for v in expected.values()), reverse=True)
    markdown = (out / "summary.md").read_text("utf-8")
    assert all(f"| {o['origin']} | {o['documents']} | {o['bytes']} |" in markdown for o in origins)


def test_top_domains_are_the_top_tenth_by_stored_bytes(tmp_path: Path) -> None:
    """23 registered domains with content and 4 with exclusions only: the top
    is ceil(10 % of 23) = 3, ranked by stored bytes."""
    documents, decisions = [], []
    for n in range(23):
        domain = f"site{n:02d}.example"
        for page in range(1 + n % 3):
            url = f"https://www.{domain}/p{page}"
            documents.append(document(url, content_length=100 * (n + 1) + page, word_count=10))
            decisions.append(decision(url, "stored"))
    for n in range(4):
        decisions.append(decision(f"https://closed{n}.example/", "excluded", "robots-disallow"))
    out = write_output(tmp_path / "out", {"crawl-a-w0": (documents, decisions)}, row_group_size=50)
    summary = write_summary(out)
    grouped = domains_group_by(documents, decisions)
    with_content = sorted((name for name, v in grouped.items() if v["bytes"] > 0), key=lambda name: -grouped[name]["bytes"])
    top = summary["domains"]["top"]
    assert len(top) == math.ceil(0.10 * len(with_content)) == 3
    assert [d["registered_domain"] for d in top] == with_content[:3]
    assert [d["bytes"] for d in top] == [grouped[name]["bytes"] for name in with_content[:3]]
    assert summary["domains"]["total"] == 27 and summary["domains"]["with_stored_content"] == 23
    assert len(pq.read_table(out / "data" / "domains" / "domains.parquet")) == 27


def test_summary_md_shows_the_charts_and_json_names_its_schema(demo) -> None:
    summary, _, _, out = demo
    assert summary["schema"] == "tdmcrawl-summary/1.0"
    markdown = (out / "summary.md").read_text("utf-8")
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert "charts/exclusions.png" in shown
    assert sorted(shown) == sorted(summary["charts"])
    for chart in shown:
        assert (out / chart).read_bytes().startswith(PNG_SIGNATURE), chart
    assert f"| documents stored | {summary['counts']['documents_stored']} |" in markdown


# ------------------------------------------------------------------ two crawls in one folder
PAGE = "<!DOCTYPE html><html lang='{lang}'><head><title>{title}</title>{head}</head><body><main><h1>{title}</h1><p>{body}</p>{links}</main></body></html>"


def page(title: str, body: str, *, lang: str = "en", links: tuple[str, ...] = (), head: str = "", headers: tuple[tuple[str, str], ...] = ()) -> Route:
    anchors = "".join(f"<a href='{href}'>{href}</a> " for href in links)
    return html(PAGE.format(lang=lang, title=title, head=head, body=body * 8, links=anchors), headers=headers)


HARBOUR = {
    "/robots.txt": text("User-agent: *\nDisallow: /private/\n"),
    "/": page("Harbour news", "The pilot boat went out twice this week to bring the grain ship in. ", links=("/story.html", "/private/", "/reserved.html"), head="<link rel='license' href='https://creativecommons.org/licenses/by/4.0/'>"),
    "/story.html": page("Lock gates", "The lock keeper opened the upper gates at six and closed them at noon. ", links=("/",)),
    "/private/": page("Staff", "Staff rota for the harbour office. "),
    "/reserved.html": page("Reserved", "This page carries a noai header. ", headers=(("X-Robots-Tag", "noai"),)),
}
GARDEN = {
    "/robots.txt": text("User-agent: *\nAllow: /\n"),
    "/": page("Jardin partagé", "Les tomates du jardin partagé ont mûri plus tôt que prévu cette année. ", lang="fr", links=("/semis.html", "/reserve.html", "/absent.html"), head="<link rel='license' href='https://creativecommons.org/publicdomain/zero/1.0/'>"),
    "/semis.html": page("Semis", "Les semis de haricots se font en mai, quand la terre est chaude. ", lang="fr"),
    "/reserve.html": page("Réservé", "Cette page réserve la fouille de textes. ", lang="fr", headers=(("tdm-reservation", "1"),)),
}


def merge_outputs(target: Path, *sources: Path) -> None:
    """What a user does to publish several crawls as one dataset: copy each
    crawl's files (their names carry the crawl id) into one folder."""
    shutil.copytree(sources[0], target)
    for source in sources[1:]:
        for sub in ("data/documents", "data/decisions", "warc", "wet", "policy", "runs"):
            (target / sub).mkdir(parents=True, exist_ok=True)
            for path in (source / sub).glob("*"):
                if path.is_file() and not path.name.startswith("."):
                    assert not (target / sub / path.name).exists(), f"two crawls wrote {sub}/{path.name}"
                    shutil.copy2(path, target / sub / path.name)


def test_summary_of_two_crawls_in_one_folder_is_their_sum(crawl: Any, site_factory: Any, tmp_path: Path) -> None:
    harbour = site_factory({"harbour": HARBOUR})
    garden = site_factory({"garden": GARDEN})
    first = crawl(harbour.url("harbour", "/"), args=("--crawl-id", "harbour-crawl"))
    second = crawl(garden.url("garden", "/"), args=("--crawl-id", "garden-crawl"))
    for result in (first, second):
        assert result.returncode == 0, result.stderr[-3000:]
    assert first.decision_for(harbour.url("harbour", "/reserved.html"))["reason"] == "noai"
    assert second.decision_for(garden.url("garden", "/reserve.html"))["reason"] == "tdmrep-reserved"
    alone = [load_summary(first.out), load_summary(second.out)]

    merged = tmp_path / "merged"
    merge_outputs(merged, first.out, second.out)
    done = run_tdmcrawl("summary", str(merged))
    assert done.returncode == 0, done.stderr
    summary = load_summary(merged)

    assert summary["crawl_ids"] == ["garden-crawl", "harbour-crawl"]
    for name in ("urls_considered", "documents_stored", "urls_excluded", "urls_failed", "bytes_stored", "words", "requests_sent"):
        assert summary["counts"][name] == alone[0]["counts"][name] + alone[1]["counts"][name], name
    assert summary["counts"]["documents_stored"] == len(read_rows(merged / "data" / "documents")) == 4
    assert summary["counts"]["urls_considered"] == len(read_rows(merged / "data" / "decisions"))
    assert Counter(summary["exclusions"]["by_reason"]) == Counter(alone[0]["exclusions"]["by_reason"]) + Counter(alone[1]["exclusions"]["by_reason"])
    assert Counter(summary["licences"]["by_license"]) == Counter(alone[0]["licences"]["by_license"]) + Counter(alone[1]["licences"]["by_license"])
    assert summary["languages"] == {"en": 2, "fr": 2}
    assert sorted(summary["seeds"]) == sorted([harbour.url("harbour", "/"), garden.url("garden", "/")])
    artefacts = {a["path"] for a in summary["artefacts"]}
    for source in (first.out, second.out):
        for sub in ("warc", "wet", "policy", "data/documents", "data/decisions"):
            for path in source.joinpath(sub).glob("*"):
                if path.is_file() and not path.name.startswith("."):
                    assert f"{sub}/{path.name}" in artefacts
    assert all((merged / path).is_file() for path in artefacts)  # paths relative to the merged folder
    markdown = (merged / "summary.md").read_text("utf-8")
    assert "harbour-crawl" in markdown and "garden-crawl" in markdown
    card = (merged / "README.md").read_text("utf-8")
    assert "harbour-crawl" in card.split("---\n")[1] and "garden-crawl" in card.split("---\n")[1]


# ------------------------------------------------------------------ push
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def no_network_env() -> dict[str, str]:
    # HF_HUB_OFFLINE makes huggingface_hub refuse any call; the proxies point at
    # a closed loopback port so any other HTTP attempt fails at once.
    proxy = f"http://127.0.0.1:{closed_port()}"
    return {"HF_HUB_OFFLINE": "1", "HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "http_proxy": proxy, "https_proxy": proxy, "NO_PROXY": "", "no_proxy": "", "HF_TOKEN": ""}


@pytest.fixture
def demo_copy(demo, tmp_path: Path) -> Path:
    _, _, _, out = demo
    copy = tmp_path / "demo"
    shutil.copytree(out, copy)
    return copy


def listed_files(stdout: str) -> dict[str, int]:
    lines = stdout.strip().splitlines()
    assert lines[0].startswith("would upload "), stdout
    listed = {}
    for line in lines[1:]:
        if line.startswith("would delete"):
            break
        path, size = line.strip().rsplit("  ", 1)
        listed[path] = int(size)
    return listed


def test_push_dry_run_lists_the_dataset_and_nothing_else(demo_copy: Path) -> None:
    out = demo_copy
    assert (out / ".job").is_dir(), "the crawl's job directory is in the folder, as after a real crawl"
    planted = [
        out / ".cache" / "huggingface" / "upload.lock",
        out / "notes" / ".draft.md",
        out / ".DS_Store",
        out / "warc" / "late-w1-00000.warc.gz.open",
        out / "data" / "documents" / ".documents-late-w1-00000.parquet.open",
        out / "data" / "documents" / ".documents-late-w1-00000.parquet.journal.jsonl",
    ]
    for path in planted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not for upload")
    done = run_tdmcrawl("push", str(out), "me/ds", "--dry-run", env=no_network_env())
    assert done.returncode == 0, done.stderr
    listed = listed_files(done.stdout)
    expected = {}
    for path in out.rglob("*"):
        relative = path.relative_to(out).as_posix()
        if path.is_file() and not any(part.startswith(".") for part in relative.split("/")) and not relative.endswith(".open"):
            expected[relative] = path.stat().st_size
    assert listed == expected
    # and it is what huggingface_hub's upload_folder would send with the patterns push gives it
    from huggingface_hub.hf_api import DEFAULT_IGNORE_PATTERNS
    from huggingface_hub.utils import filter_repo_objects

    from pipelines.dataset.push import PUSH_ALWAYS_EXCLUDED

    every_file = [path.relative_to(out).as_posix() for path in sorted(out.glob("**/*")) if path.is_file()]
    assert sorted(filter_repo_objects(every_file, ignore_patterns=PUSH_ALWAYS_EXCLUDED + DEFAULT_IGNORE_PATTERNS)) == sorted(listed)
    assert "README.md" in listed and "LICENSE.md" in listed and "summary.json" in listed and "croissant.json" in listed
    assert any(p.startswith("data/documents/") for p in listed) and any(p.startswith("data/decisions/") for p in listed)
    assert any(p.startswith("warc/") for p in listed) and any(p.startswith("wet/") for p in listed) and any(p.startswith("policy/") for p in listed)
    assert not any(p.startswith(".job/") for p in listed)
    assert "me/ds" in done.stdout.splitlines()[0]
    assert done.stdout.strip().splitlines()[-1].startswith("would delete: unknown, the Hub cannot be asked (offline)")


def test_push_without_a_card_fails_in_one_line(demo_copy: Path) -> None:
    (demo_copy / "README.md").unlink()
    done = run_tdmcrawl("push", str(demo_copy), "me/ds", "--dry-run", env=no_network_env())
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "README.md" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    real = run_tdmcrawl("push", str(demo_copy), "me/ds", env=no_network_env())
    assert real.returncode == 2 and len(real.stderr.strip().splitlines()) == 1 and "README.md" in real.stderr, real.stderr
