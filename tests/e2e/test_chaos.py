"""The hostile web: one crawl of the chaos site (``tests/chaos.py``), and what
the crawler must have recorded for every misbehaviour.

The crawl runs with DOWNLOAD_TIMEOUT=2, DOWNLOAD_MAXSIZE=1 MiB, RETRY_TIMES=1,
REDIRECT_MAX_TIMES=5, --max-depth 5, one seed per origin plus a refused port
and an unresolvable host.

=============================================  =================  ==========================================================
chaos case                                     origin             expected recorded outcome
=============================================  =================  ==========================================================
well-behaved pages                             healthy            all stored, each fetched once
robots.txt: binary noise around one group      robots-garbage     /private excluded ``robots-disallow`` (never fetched), the
                                                                  evidence names the line; other pages stored
robots.txt: pure binary                        robots-binary      no rules: stored, ``robots_txt_status`` ok
robots.txt: 1.5 MB                             robots-huge        first 500 KiB obeyed: /private ``robots-disallow``;
                                                                  ``ok-truncated``; policy capture ``WARC-Truncated: length``
robots.txt: an HTML soft 404 with status 200   robots-html        no rules: stored
robots.txt: connection reset                   robots-reset       / excluded ``robots-unreachable-neterr``, never fetched
tdmrep.json: binary / 1.3 MB / an object       tdmrep-*           reservation unset: stored, ``tdm_reservation`` null;
                                                                  the malformed file is named in ``rights_evidence``
tdmrep.json: an HTML page                      tdmrep-html        protocol not implemented: stored
header iso-8859-1, meta utf-8, utf-8 bytes     charsets           stored, decoded as the header says (cp1252, WHATWG order)
no charset, utf-8 bytes / unknown label        charsets           stored as utf-8, accents intact
no charset, windows-1252 bytes                 charsets           stored as cp1252, accents intact
UTF-8 BOM vs latin-1 header / UTF-16 BOM       charsets           stored, the BOM wins
gzip bomb, brotli bomb                         sizes              not stored, nothing archived; failed ``fetch-decompression-limit``
body > max (with and without Content-Length)   sizes              not stored, nothing archived; failed ``fetch-size-limit``
body dripping past the timeout, a hang,        slow-*             failed at stage fetch after RETRY_TIMES+1 tries;
status line after the timeout                                     ``fetch-timeout``
redirect chain longer than REDIRECT_MAX_TIMES  redirects          at most REDIRECT_MAX_TIMES hops followed; failed
                                                                  ``fetch-redirect-limit``
redirect loop a→b→a, a self-redirect           redirects          bounded requests; one failed ``fetch-redirect-loop`` row each
endless calendar                               traps              ends at --max-depth, no URL fetched twice
ever-growing query                             traps              stops at the URL length limit, before the depth limit
;jsessionid= / ?sid= varying per link          traps              each page fetched once (``url_key`` drops session ids)
fan-out trap against a page budget             (own crawl)        a per-origin page cap keeps the other origin whole
429 / 503 with Retry-After, then 200           throttle-*         stored on the retry; the retry waited Retry-After
5xx storm                                      storm              failed ``http-500`` after RETRY_TIMES+1 tries each
connection refused                             127.0.0.1:free     excluded ``robots-unreachable-neterr``, evidence: refused
host under .invalid                            chaos-site.invalid excluded ``robots-unreachable-neterr``, evidence: DNS
reset before answering / in the body           resets             failed at stage fetch; ``fetch-connection-lost``
bytes that are not HTTP                        resets             failed ``fetch-invalid-response``, evidence ParseError
links with CR/LF, spaces, non-ASCII, long      links              fetched and archived under the percent-encoded form; no
paths; raw UTF-8 Location; odd header bytes                       CR/LF or injected header in any WARC; too-long link never
                                                                  fetched; ``%zz`` archived as ``%25zz``
PDF, PNG, JSON by Content-Type                 media              excluded ``not-html`` at stage headers, nothing archived
PNG bytes without Content-Type                 media              excluded ``not-html`` at stage page
PDF bytes labelled text/html                   media              excluded ``not-html``
home page whose only links follow </html>      markup             every one of those links followed and stored
300 unclosed <span>, then text and links       markup             text after the spans kept, its links followed
3000 unclosed <font>, then text and a link     markup             flattened: text kept, link followed, ``parse_notes`` say so
React <!-- --> separators inside paragraphs    markup             paragraphs whole in ``text``
2500 levels of 50 names (past the cap)         markup             stored, ``content_truncated`` parse-depth, the stored
                                                                  decision's reason ``truncated-parse-depth``
the whole crawl                                all                finished; one decision per admitted URL; every WARC passes
                                                                  ``warcio check``; Parquet and ``datasets`` load;
                                                                  exit code 0
=============================================  =================  ==========================================================
"""

from __future__ import annotations

import codecs
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyarrow.parquet as pq
import pytest

from crawler.jobs import JobDirectory
from crawler.localsite import ReceivedRequest
from pipelines.formats.schema import DECISIONS_SCHEMA, DOCUMENTS_SCHEMA
from tests.chaos import (
    ACCENTED,
    AFTER_HTML_LINKS,
    CAPPED_TAIL,
    DEEP_PAGES,
    DEEP_TAIL,
    DEEP_TARGETS,
    HOSTILE_LINKS,
    MALFORMED_ESCAPE_LINK,
    MAX_DEPTH,
    MEDIA_BY_HEADER,
    MARKUP_PAGES,
    NETWORK_PAGES,
    REACT_SENTENCE,
    REDIRECT_MAX_TIMES,
    RETRY_AFTER_SECONDS,
    RETRY_TIMES,
    RUNAWAY_TAIL,
    RUNAWAY_TARGET,
    SIZE_PAGES,
    SLOW_ORIGINS,
    STORM_PAGES,
    TOO_LONG_LINK,
    URL_LENGTH_LIMIT,
    ChaosSite,
    build_chaos_site,
    crawl_arguments,
    page_cap_origins,
    refused_url,
    unresolvable_url,
)
from tests.audit import assert_audit_trail
from tests.conftest import FAST, CrawlResult, run_tdmcrawl

TRIES = RETRY_TIMES + 1
POLICY_PATHS = ("/robots.txt", "/.well-known/tdmrep.json", "/ai.txt")
# Looking for the terms of service: the home page read once for a link to them, then common paths.
TERMS_GUESSES = ("/terms", "/terms-of-service", "/terms-of-use")


def page_requests(paths: list[str]) -> list[str]:
    """Requests for pages: without the policy files and the terms-of-service lookup."""
    pages = [p for p in paths if p not in POLICY_PATHS and p not in TERMS_GUESSES]
    if pages.count("/") > 1:
        pages.remove("/")  # a home page read for the terms link and asked again (a retry, a redirect back)
    return pages
LOOP_PATHS = ("/loop-a", "/self")


@dataclass
class Chaos:
    result: CrawlResult
    site: ChaosSite
    refused: str
    unresolvable: str
    decisions: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)

    def url(self, origin: str, path: str = "/") -> str:
        return self.site.url(origin, path)

    def rows(self, url: str) -> list[dict[str, Any]]:
        return [row for row in self.decisions if row["url"] == url]

    def row(self, origin: str, path: str = "/") -> dict[str, Any]:
        return self.row_for(self.url(origin, path))

    def row_for(self, url: str) -> dict[str, Any]:
        rows = self.rows(url)
        assert len(rows) == 1, f"expected one decision for {url}, got {[(r['decision'], r['reason']) for r in rows]}"
        return rows[0]

    def document(self, origin: str, path: str = "/") -> dict[str, Any]:
        found = [d for d in self.documents if d["url"] == self.url(origin, path)]
        assert len(found) == 1, f"expected one document for {origin}{path}, got {len(found)}"
        return found[0]

    def requests(self, origin: str, path: str | None = None) -> list[ReceivedRequest]:
        return [r for r in self.site.origins[origin].requests if path is None or r.path == path]

    @cached_property
    def warc_records(self) -> list[tuple[str, Any]]:
        """(folder, record) of every record in warc/, wet/ and policy/; payloads are not kept."""
        from warcio.archiveiterator import ArchiveIterator

        records = []
        for path in self.warc_files:
            with open(path, "rb") as handle:
                records.extend((path.parent.name, record) for record in ArchiveIterator(handle))
        return records

    @property
    def warc_files(self) -> list[Path]:
        return sorted(p for folder in ("warc", "wet", "policy") for p in (self.result.out / folder).glob("*.gz"))

    def archived(self, rec_type: str = "response", folder: str = "warc") -> dict[str, Any]:
        return {r.rec_headers.get_header("WARC-Target-URI"): r for f, r in self.warc_records if r.rec_type == rec_type and f == folder}


@pytest.fixture(scope="module")
def chaos(tmp_path_factory: pytest.TempPathFactory) -> Chaos:
    out = tmp_path_factory.mktemp("chaos") / "out"
    site = build_chaos_site().start()
    refused, unresolvable = refused_url(), unresolvable_url()
    seeds = [site.url(name) for name in site.origins] + [refused, unresolvable]
    try:
        done = run_tdmcrawl("crawl", *seeds, "--out", str(out), "--quiet", *FAST, *crawl_arguments(), timeout=120)
    finally:
        site.stop()
    result = CrawlResult(out, done.returncode, done.stdout, done.stderr)
    return Chaos(result, site, refused, unresolvable, result.decisions(), result.documents())


# ------------------------------------------------------------------ the whole crawl
def test_the_crawl_finishes_and_decides_every_admitted_url_once(chaos: Chaos) -> None:
    manifests = list((chaos.result.out / "runs").glob("*.json"))
    assert len(manifests) == 1, chaos.result.stderr[-3000:]
    assert json.loads(manifests[0].read_text("utf-8"))["finish_reason"] == "finished"
    assert "Traceback" not in chaos.result.stderr, chaos.result.stderr[-3000:]
    urls = [row["url"] for row in chaos.decisions]
    assert len(urls) == len(set(urls)), "a URL was decided twice"
    admitted = {entry.url for entry in JobDirectory(chaos.result.out / ".job").read_frontier()}
    loops = {chaos.url("redirects", path) for path in LOOP_PATHS}  # their own test below
    assert admitted - set(urls) - loops == set()
    assert set(urls) <= admitted
    stored = {row["url"] for row in chaos.decisions if row["decision"] == "stored"}
    assert stored == {d["fetch_redirect_chain"][0] if d["fetch_redirect_chain"] else d["url"] for d in chaos.documents}


def test_every_request_the_servers_saw_has_its_rows(chaos: Chaos) -> None:
    assert_audit_trail([chaos.result.out], [chaos.site])


def test_the_crawl_exits_zero(chaos: Chaos) -> None:
    assert chaos.result.returncode == 0, chaos.result.stderr[-3000:]


def test_the_healthy_origin_is_unaffected(chaos: Chaos) -> None:
    for path in ("/", "/a", "/b", "/c"):
        assert chaos.row("healthy", path)["decision"] == "stored"
        # each once: the home page the terms lookup read is the crawl's own response for it
        assert len(chaos.requests("healthy", path)) == 1
    assert chaos.document("healthy", "/a")["word_count"] > 50


def test_every_output_file_validates(chaos: Chaos, tmp_path: Path) -> None:
    out = chaos.result.out
    assert chaos.warc_files and not list(out.rglob("*.open"))
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", *map(str, chaos.warc_files)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    parquet_files = sorted(p for p in (out / "data").rglob("*.parquet") if not p.name.startswith("."))
    assert {p.parent.name for p in parquet_files} == {"documents", "decisions", "domains"}
    for path in parquet_files:
        pq.read_table(path)
        expected = {"documents": DOCUMENTS_SCHEMA, "decisions": DECISIONS_SCHEMA}.get(path.parent.name)
        if expected is not None:
            assert pq.read_schema(path).equals(expected, check_metadata=False), path
    from warcio.archiveiterator import ArchiveIterator

    for row in chaos.documents:
        with open(out / row["file_path"], "rb") as handle:
            handle.seek(row["warc_record_offset"])
            record = next(iter(ArchiveIterator(handle)))
            assert record.rec_type == "response" and record.rec_headers.get_header("WARC-Record-ID") == row["id"]
    import datasets

    documents = datasets.load_dataset(str(out), "documents", split="train", cache_dir=str(tmp_path / "hf"))
    decisions = datasets.load_dataset(str(out), "decisions", split="train", cache_dir=str(tmp_path / "hf"))
    assert sorted(documents["url"]) == sorted(d["url"] for d in chaos.documents)
    assert sorted(decisions["url"]) == sorted(r["url"] for r in chaos.decisions)


# ------------------------------------------------------------------ robots.txt
def test_robots_rules_inside_binary_noise_are_obeyed(chaos: Chaos) -> None:
    private = chaos.row("robots-garbage", "/private")
    assert (private["decision"], private["reason"], private["stage"]) == ("excluded", "robots-disallow", "request")
    assert "Disallow: /private" in private["evidence"]
    assert not chaos.requests("robots-garbage", "/private")
    for path in ("/", "/public"):
        assert chaos.row("robots-garbage", path)["decision"] == "stored"


@pytest.mark.parametrize("origin", ["robots-binary", "robots-html"])
def test_a_robots_txt_without_rules_allows_everything(chaos: Chaos, origin: str) -> None:
    for path in ("/", "/public"):
        assert chaos.row(origin, path)["decision"] == "stored"
    document = chaos.document(origin, "/public")
    assert (document["robots_allowed"], document["robots_rule"], document["robots_txt_status"]) == (True, None, "ok")


def test_a_huge_robots_txt_is_cut_and_its_head_obeyed(chaos: Chaos) -> None:
    private = chaos.row("robots-huge", "/private")
    assert (private["decision"], private["reason"]) == ("excluded", "robots-disallow")
    assert "truncated" in private["evidence"]
    assert not chaos.requests("robots-huge", "/private")
    assert chaos.document("robots-huge", "/public")["robots_txt_status"] == "ok-truncated"
    capture = chaos.archived(folder="policy")[chaos.url("robots-huge", "/robots.txt")]
    assert capture.rec_headers.get_header("WARC-Truncated") == "length"
    assert 500 * 1024 <= int(capture.rec_headers.get_header("Content-Length")) < 1024 * 1024


def test_an_unreachable_robots_txt_keeps_its_origin_unfetched(chaos: Chaos) -> None:
    row = chaos.row("robots-reset")
    assert (row["decision"], row["reason"]) == ("excluded", "robots-unreachable-neterr")
    assert {r.path for r in chaos.requests("robots-reset")} == {"/robots.txt"}


# ------------------------------------------------------------------ tdmrep.json
MALFORMED_TDMREP = ["tdmrep-garbage", "tdmrep-huge", "tdmrep-object"]


@pytest.mark.parametrize("origin", [*MALFORMED_TDMREP, "tdmrep-html"])
def test_an_unusable_tdmrep_json_leaves_the_reservation_unset(chaos: Chaos, origin: str) -> None:
    assert chaos.row(origin)["decision"] == "stored"
    document = chaos.document(origin)
    assert (document["tdm_reservation"], document["tdm_source"]) == (None, None)
    assert chaos.url(origin, "/.well-known/tdmrep.json") in chaos.archived(folder="policy")


def test_a_huge_tdmrep_json_capture_is_marked_truncated(chaos: Chaos) -> None:
    capture = chaos.archived(folder="policy")[chaos.url("tdmrep-huge", "/.well-known/tdmrep.json")]
    assert capture.rec_headers.get_header("WARC-Truncated") == "length"


@pytest.mark.parametrize("origin", MALFORMED_TDMREP)
def test_a_malformed_tdmrep_json_is_named_in_the_rights_evidence(chaos: Chaos, origin: str) -> None:
    source = chaos.url(origin, "/.well-known/tdmrep.json")
    evidence = [e for finding in json.loads(chaos.document(origin)["rights_evidence"]) for e in finding["evidence"]]
    assert any(e["source"] == source and "malformed" in json.dumps(e) for e in evidence), evidence


# ------------------------------------------------------------------ charsets
def _charset_name(label: str | None) -> str | None:
    return codecs.lookup(label).name if label else None


@pytest.mark.parametrize(
    ("path", "charset", "words"),
    [
        # WHATWG order: the HTTP header wins over <meta>; a page that lies in its header reads as mojibake in browsers too.
        ("/header-latin1-meta-utf8", "cp1252", ACCENTED.encode("utf-8").decode("cp1252")),
        ("/no-charset-utf8", "utf-8", ACCENTED),
        ("/no-charset-cp1252", "cp1252", ACCENTED),
        ("/bom-utf8-header-latin1", "utf-8", ACCENTED),
        ("/bom-utf16-header-utf8", "utf-16-le", ACCENTED),
        ("/unknown-charset", "utf-8", ACCENTED),
    ],
)
def test_charsets_follow_bom_then_header_then_meta_then_detection(chaos: Chaos, path: str, charset: str, words: str) -> None:
    assert chaos.row("charsets", path)["decision"] == "stored"
    document = chaos.document("charsets", path)
    assert _charset_name(document["content_charset"]) == _charset_name(charset)
    assert words in document["text"] and "\ufffd" not in document["text"]


# ------------------------------------------------------------------ sizes
@pytest.mark.parametrize("path", SIZE_PAGES)
def test_oversized_bodies_are_not_stored(chaos: Chaos, path: str) -> None:
    row = chaos.row("sizes", path)
    assert row["decision"] != "stored" and row["stage"] == "fetch"
    assert chaos.url("sizes", path) not in chaos.archived()
    assert len(chaos.requests("sizes", path)) == 1  # a size limit is not retried


@pytest.mark.parametrize(
    "path, reason",
    [
        ("/gzip-bomb", "fetch-decompression-limit"),
        ("/brotli-bomb", "fetch-decompression-limit"),
        ("/too-big", "fetch-size-limit"),
        ("/too-big-no-length", "fetch-size-limit"),
    ],
)
def test_oversized_bodies_fail_for_their_size(chaos: Chaos, path: str, reason: str) -> None:
    row = chaos.row("sizes", path)
    assert (row["decision"], row["reason"]) == ("failed", reason)


# ------------------------------------------------------------------ slow bodies
@pytest.mark.parametrize("origin", SLOW_ORIGINS)
def test_slow_bodies_fail_after_their_retries(chaos: Chaos, origin: str) -> None:
    path = SLOW_ORIGINS[origin]
    row = chaos.row(origin, path)
    assert (row["decision"], row["stage"], row["fetch_status"]) == ("failed", "fetch", None)
    assert "took longer than" in row["evidence"]
    assert len(chaos.requests(origin, path)) == TRIES
    assert chaos.row(origin)["decision"] == "stored"


@pytest.mark.parametrize("origin", SLOW_ORIGINS)
def test_slow_bodies_fail_as_timeouts(chaos: Chaos, origin: str) -> None:
    assert chaos.row(origin, SLOW_ORIGINS[origin])["reason"] == "fetch-timeout"


# ------------------------------------------------------------------ redirects
def test_redirects_stop_at_the_limit(chaos: Chaos) -> None:
    chain = [r.path for r in chaos.requests("redirects") if r.path.startswith("/chain/")]
    assert chain == [f"/chain/{n}" for n in range(REDIRECT_MAX_TIMES + 1)]
    assert chaos.row("redirects", "/chain/0")["decision"] != "stored"
    for path in (*LOOP_PATHS, "/loop-b"):
        assert len(chaos.requests("redirects", path)) <= REDIRECT_MAX_TIMES + 1


def test_a_redirect_chain_over_the_limit_fails_for_it(chaos: Chaos) -> None:
    row = chaos.row("redirects", "/chain/0")
    assert row["decision"] == "failed" and row["reason"].startswith("fetch-") and "redirect" in row["reason"], row


@pytest.mark.parametrize("path", LOOP_PATHS)
def test_a_redirect_loop_is_recorded_as_failed(chaos: Chaos, path: str) -> None:
    row = chaos.row("redirects", path)
    assert row["decision"] == "failed" and row["reason"].startswith("fetch-") and "redirect" in row["reason"], row


# ------------------------------------------------------------------ spider traps
def test_the_endless_calendar_ends_at_the_depth_limit(chaos: Chaos) -> None:
    months = [r.path for r in chaos.requests("traps") if r.path.startswith("/cal")]
    assert len(months) == len(set(months))
    # /cal?month=0 is at depth 1; each further depth adds one month either way
    assert sorted(months) == sorted(f"/cal?month={m}" for m in range(-(MAX_DEPTH - 1), MAX_DEPTH))
    assert all(chaos.row_for(chaos.url("traps", p))["decision"] == "stored" for p in months)


def test_the_growing_query_stops_at_the_url_length_limit(chaos: Chaos) -> None:
    grown = [chaos.url("traps", r.path) for r in chaos.requests("traps") if r.path.startswith("/grow")]
    assert max(map(len, grown)) <= URL_LENGTH_LIMIT
    assert len(grown) < MAX_DEPTH  # the length limit, not the depth limit, ended it
    assert len(grown) == len({*grown})


def test_session_ids_do_not_make_new_pages(chaos: Chaos) -> None:
    for prefix in ("/session", "/shop"):
        fetched = [r.path for r in chaos.requests("traps") if r.path.startswith(prefix)]
        assert len(fetched) == 1, fetched
        assert chaos.row_for(chaos.url("traps", fetched[0]))["decision"] == "stored"


def test_a_per_origin_page_cap_keeps_a_trap_from_starving_other_origins(crawl: Any, site_factory: Any) -> None:
    cap = 10
    site = site_factory(page_cap_origins())
    result = crawl(site.url("fan-out"), site.url("deep"), args=("--max-pages", "40", "-s", f"TDMCRAWL_MAX_PAGES_PER_ORIGIN={cap}"))
    assert result.returncode == 0, result.stderr[-3000:]
    stored = {d["url"] for d in result.documents()}
    assert {site.url("deep", path) for path in DEEP_PAGES} <= stored
    assert len(page_requests(site.paths("fan-out"))) <= cap


# ------------------------------------------------------------------ politeness under pressure
@pytest.mark.parametrize("origin", ["throttle-429", "throttle-503"])
def test_a_refusal_with_retry_after_is_retried(chaos: Chaos, origin: str) -> None:
    assert chaos.row(origin)["decision"] == "stored"
    assert len(chaos.requests(origin, "/")) == 2


@pytest.mark.parametrize("origin", ["throttle-429", "throttle-503"])
def test_the_retry_waits_for_retry_after(chaos: Chaos, origin: str) -> None:
    requests = chaos.requests(origin)
    refused = next(i for i, r in enumerate(requests) if r.path == "/")
    gap = requests[refused + 1].at - requests[refused].at
    assert gap >= 0.75 * RETRY_AFTER_SECONDS, gap


def test_a_5xx_storm_fails_its_pages_and_nothing_else(chaos: Chaos) -> None:
    for path in STORM_PAGES:
        row = chaos.row("storm", path)
        assert (row["decision"], row["reason"], row["fetch_status"]) == ("failed", "http-500", 500)
        assert len(chaos.requests("storm", path)) == TRIES
    assert chaos.row("storm")["decision"] == "stored"


# ------------------------------------------------------------------ the network
def test_a_refused_connection_is_an_unreachable_robots_txt(chaos: Chaos) -> None:
    row = chaos.row_for(chaos.refused)
    assert (row["decision"], row["reason"], row["stage"]) == ("excluded", "robots-unreachable-neterr", "request")
    assert "refused" in row["evidence"].lower()


def test_an_unresolvable_host_is_an_unreachable_robots_txt(chaos: Chaos) -> None:
    row = chaos.row_for(chaos.unresolvable)
    assert (row["decision"], row["reason"], row["stage"]) == ("excluded", "robots-unreachable-neterr", "request")
    assert "dns" in row["evidence"].lower()


@pytest.mark.parametrize("path", NETWORK_PAGES)
def test_broken_connections_fail_their_page(chaos: Chaos, path: str) -> None:
    row = chaos.row("resets", path)
    assert (row["decision"], row["stage"], row["fetch_status"]) == ("failed", "fetch", None)
    assert row["reason"].startswith("fetch-")
    assert chaos.url("resets", path) not in chaos.archived()
    # retried; Twisted may also resend once on its own when a kept-alive connection was reset
    assert TRIES <= len(chaos.requests("resets", path)) <= 2 * TRIES


def test_a_non_http_answer_names_the_parse_error(chaos: Chaos) -> None:
    assert "ParseError" in chaos.row("resets", "/not-http")["evidence"]


@pytest.mark.parametrize("path", ["/reset", "/reset-mid-body"])
def test_a_reset_fails_as_a_lost_connection(chaos: Chaos, path: str) -> None:
    assert chaos.row("resets", path)["reason"] == "fetch-connection-lost"


# ------------------------------------------------------------------ hostile links and headers
def test_hostile_links_are_fetched_under_their_safe_form(chaos: Chaos) -> None:
    archived = chaos.archived()
    for raw, safe in HOSTILE_LINKS.values():
        url = chaos.url("links", safe)
        assert chaos.row_for(url)["decision"] == "stored", raw
        assert url in archived
    received = chaos.requests("links")
    assert not any(TOO_LONG_LINK[:20] in r.path for r in received)
    for request in received:
        assert request.path.isascii() and " " not in request.path and "\r" not in request.path and "\n" not in request.path
        assert not any(name.lower().startswith("x-injected") for name in request.headers)


def test_a_raw_location_header_is_percent_encoded(chaos: Chaos) -> None:
    row = chaos.row("links", "/redirect-raw-location")
    assert (row["decision"], row["final_url"]) == ("stored", chaos.url("links", "/moved%20here/%C3%BCn%C3%AF"))


def test_odd_header_bytes_are_archived_without_loss(chaos: Chaos) -> None:
    assert chaos.row("links", "/odd-headers")["decision"] == "stored"
    headers = chaos.archived()[chaos.url("links", "/odd-headers")].http_headers
    # warcio writes a non-ASCII value percent-encoded as UTF-8 (RFC 8187 style) over
    # Scrapy's latin-1 reading of the bytes; undoing both gives the bytes sent.
    sent = {"X-Chaos-Latin1": b"caf\xe9", "X-Chaos-Utf8": "ünï".encode("utf-8")}
    for name, value in sent.items():
        assert unquote(headers.get_header(name), encoding="utf-8").encode("latin-1") == value, headers


_VALID_URI = re.compile(r"^https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")  # RFC 3986 characters only
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def test_no_header_injection_into_any_warc(chaos: Chaos) -> None:
    assert chaos.warc_records
    for folder, record in chaos.warc_records:
        blocks = [record.rec_headers] + ([record.http_headers] if record.http_headers else [])
        for block in blocks:
            for name, value in block.headers:
                assert "\r" not in name + value and "\n" not in name + value, (folder, name, value)
                assert not name.lower().startswith("x-injected"), (folder, record.rec_headers.get_header("WARC-Target-URI"))
        if record.rec_type == "request":
            # the request line: exactly "<path> HTTP/1.1" after the method, the path percent-encoded
            path, version = record.http_headers.statusline.split(" ")
            assert version == "HTTP/1.1" and path.isascii(), (folder, record.http_headers.statusline)
        uri = record.rec_headers.get_header("WARC-Target-URI")
        if uri is None or uri == chaos.url("links", MALFORMED_ESCAPE_LINK[0]):
            continue  # the malformed escape has its own test
        assert _VALID_URI.match(uri) and not _BAD_ESCAPE.search(uri), (folder, uri)


def test_a_malformed_escape_is_archived_as_a_valid_uri(chaos: Chaos) -> None:
    raw, safe = MALFORMED_ESCAPE_LINK
    assert chaos.row_for(chaos.url("links", safe))["decision"] == "stored"
    assert chaos.url("links", safe) in chaos.archived()


# ------------------------------------------------------------------ not HTML
@pytest.mark.parametrize("path", MEDIA_BY_HEADER)
def test_non_html_is_excluded_on_its_headers(chaos: Chaos, path: str) -> None:
    row = chaos.row("media", path)
    assert (row["decision"], row["reason"], row["stage"], row["fetch_status"]) == ("excluded", "not-html", "headers", 200)
    assert MEDIA_BY_HEADER[path] in row["evidence"]
    assert chaos.url("media", path) not in chaos.archived()


def test_untyped_binary_is_excluded_on_its_bytes(chaos: Chaos) -> None:
    row = chaos.row("media", "/untyped")
    assert (row["decision"], row["reason"], row["stage"]) == ("excluded", "not-html", "page")
    assert "image/png" in row["evidence"]


def test_a_pdf_labelled_html_is_excluded_on_its_bytes(chaos: Chaos) -> None:
    row = chaos.row("media", "/pdf-labelled-html")
    assert (row["decision"], row["reason"]) == ("excluded", "not-html")


# ------------------------------------------------------------------ markup real pages show
def test_links_after_the_end_of_the_document_are_followed(chaos: Chaos) -> None:
    for path in (*AFTER_HTML_LINKS, *MARKUP_PAGES):
        assert chaos.row("markup", path)["decision"] == "stored", path
    assert "after </body> or </html>" in " ".join(chaos.document("markup", "/")["parse_notes"])


def test_text_and_links_under_300_open_spans_are_kept(chaos: Chaos) -> None:
    document = chaos.document("markup", "/deep")
    assert DEEP_TAIL in document["text"]
    assert document["content_truncated"] is None
    for path in DEEP_TARGETS:
        assert chaos.row("markup", path)["decision"] == "stored"


def test_runaway_nesting_is_flattened_and_said(chaos: Chaos) -> None:
    document = chaos.document("markup", "/runaway")
    assert RUNAWAY_TAIL in document["text"]
    assert any("<font> tags dropped" in note for note in document["parse_notes"])
    assert chaos.row("markup", RUNAWAY_TARGET)["decision"] == "stored"


def test_comment_separated_paragraphs_are_whole(chaos: Chaos) -> None:
    text = chaos.document("markup", "/react")["text"]
    assert text.count(REACT_SENTENCE) == 3 and "(part 2)" in text


def test_a_page_nested_past_the_cap_says_what_it_lost(chaos: Chaos) -> None:
    document = chaos.document("markup", "/capped")
    assert document["content_truncated"] == "parse-depth"
    assert CAPPED_TAIL not in document["text"]
    assert any("2048 levels" in note for note in document["parse_notes"])
    assert chaos.row("markup", "/capped")["reason"] == "truncated-parse-depth"
