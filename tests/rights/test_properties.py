"""Parsers that cannot be crashed: property-based tests over every parser and
evaluator of outside input (the rights core, licence detection, sitemaps, the
page parser, URL keys).

Each parser gets generated input (arbitrary bytes mixed with the words of its
own grammar, BOMs whole and partial, UTF-16, NULs, CR-only line ends, invalid
UTF-8, huge lines) and must answer with its documented type, record malformed
input where its API has a place for that, and never raise. Several modules wrap
their work in a last-resort ``except Exception``; a test that only checked "did
not raise" could never fail there, so each test also checks that this safety
net was not what answered.

Each parser also gets hand-written worst cases at its size limit. Their work
is counted, not timed (``tests/growth.py``): the same case at a quarter of its
size and at full size, and the larger may make at most ~4 times the calls, so a
parser that went quadratic or exponential fails on any machine under any load.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import struct
from typing import Any, Callable

import lxml.etree
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.page import MAX_EXTRACT_BYTES, ExtractOptions, ParsedPage, parse_page, parse_tree
from crawler.rights import media as media_module
from crawler.rights import rsl as rsl_module
from crawler.rights.aipref import (
    MAX_VALUE_CHARS as CONTENT_USAGE_MAX_CHARS,
    ContentUsage,
    content_usage_from_headers,
    content_usage_from_robots,
    parse_content_usage,
)
from crawler.rights.aitxt import AiTxt
from crawler.rights.content_signal import (
    MAX_RECORDS as CONTENT_SIGNAL_MAX_RECORDS,
    MAX_VALUE_CHARS as CONTENT_SIGNAL_MAX_CHARS,
    ContentSignals,
    content_signals_from_robots,
    parse_content_signal,
)
from crawler.rights.evidence import Evidence, Finding, FindingKind, Use
from crawler.rights.licence import LicenceResult, cc_url_to_spdx, detect_licences
from crawler.rights.media import MEDIA_SCAN_LIMIT_BYTES, media_findings
from crawler.rights.robots import MAX_MALFORMED_KEPT, ROBOTS_PARSE_LIMIT_BYTES, RobotsMatch, RobotsTxt
from crawler.rights.rsl import RSL_PARSE_LIMIT_BYTES, RslDocument, cap_finding, rsl_findings
from crawler.rights.tdmrep import MAX_ENTRIES as TDMREP_MAX_ENTRIES, MAX_FILE_BYTES as TDMREP_MAX_BYTES
from crawler.rights.urlpattern import pattern_matches, pattern_priority
from crawler.rights.tdmrep import TdmRepFile, TdmValue, tdm_from_headers, tdm_from_meta
from crawler.rights.xrobots import RobotsDirectives, from_meta_robots, from_x_robots_tag
from crawler.sitemaps import MAX_BYTES as SITEMAP_MAX_BYTES
from crawler.sitemaps import MAX_URLS as SITEMAP_MAX_URLS
from crawler.sitemaps import Sitemap, parse_sitemap
from crawler.urls import try_safe_url, is_crawlable_url, safe_url, url_key
from tests.growth import assert_linear_growth

TOKEN = "tdmcrawl"
ORIGIN = "https://example.test"

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- generated input -----------------------------------------------------------

BOMS = [
    b"\xef\xbb\xbf",  # UTF-8
    b"\xef\xbb",  # partial UTF-8
    b"\xef",
    b"\xbb\xbf",
    b"\xff\xfe",  # UTF-16 LE
    b"\xfe\xff",  # UTF-16 BE
    b"\xff\xfe\x00\x00",  # UTF-32 LE
    b"\x00\x00\xfe\xff",  # UTF-32 BE
]
NASTY = [
    b"\x00", b"\r", b"\n", b"\r\n", b"\t", b"\x0b", b"\x0c", b"\x1c",  # NUL, CR-only line end, other breaks
    b"\xc2\x85", b"\xe2\x80\xa8", "\u202e".encode(),  # NEL, LINE SEPARATOR, right-to-left override
    b"\xc3\x28", b"\xff", b"\x80", b"\xe9", b"\xe2\x82",  # invalid UTF-8: bad continuation, stray bytes, truncated
    b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf",  # an encoded surrogate, beyond U+10FFFF, overlong
    b'"', b"'", b"\\", b",", b";", b"=", b":", b"<", b">", b"&", b"%",
]


def _as_utf16(data: bytes) -> bytes:
    return data.decode("utf-8", "replace").encode("utf-16")


def adversarial_bytes(vocabulary: list[bytes], *, max_parts: int = 40) -> st.SearchStrategy[bytes]:
    """Bytes built from a parser's own grammar words, nasty bytes, random
    bytes and long repeats, after an optional BOM; sometimes as UTF-16."""
    word = st.sampled_from(vocabulary)
    part = st.one_of(
        word,
        word,
        st.sampled_from(NASTY),
        st.binary(max_size=16),
        st.builds(lambda w, n: w * n, word | st.sampled_from(NASTY), st.integers(1, 3000)),  # huge lines
    )
    plain = st.builds(lambda bom, parts: bom + b"".join(parts), st.sampled_from([b""] * 4 + BOMS), st.lists(part, max_size=max_parts))
    return st.one_of(plain, plain, plain, plain.map(_as_utf16), st.binary(max_size=512))


def adversarial_text(vocabulary: list[str], *, max_parts: int = 30) -> st.SearchStrategy[str]:
    """Text the way a header arrives (latin-1 decoded bytes) or a str with
    anything in it, lone surrogates included."""
    as_bytes = adversarial_bytes([w.encode("utf-8", "surrogatepass") for w in vocabulary], max_parts=max_parts)
    return st.one_of(
        as_bytes.map(lambda b: b.decode("latin-1")),
        as_bytes.map(lambda b: b.decode("utf-8", "surrogateescape")),
        st.text(max_size=200),
        st.lists(st.sampled_from(vocabulary) | st.sampled_from(["\ud800", "\udcff", "\x00", "\r", "\u2028"]), max_size=max_parts).map("".join),
    )


URLS = st.one_of(
    st.sampled_from(
        [
            f"{ORIGIN}/",
            f"{ORIGIN}/robots.txt",
            f"{ORIGIN}/a/b.html?x=1&y=%2F",
            f"{ORIGIN}/private/secret",
            f"{ORIGIN}/img/photo.jpg",
            f"{ORIGIN}/caf%C3%A9",
            "https://example.test:99999/",
            "http://[::1/",
            "not a url",
            "",
            "/relative/path",
        ]
    ),
    st.builds(lambda path: f"{ORIGIN}/{path}", st.text(max_size=60)),
)


def assert_evidence(items: tuple[Evidence, ...] | list[Evidence]) -> None:
    for item in items:
        assert isinstance(item, Evidence)
        # Evidence goes into WARC fields and logs: one line, always.
        for text in (item.value, item.note, item.source):
            assert isinstance(text, str) and "\n" not in text and "\r" not in text
        assert item.line is None or (isinstance(item.line, int) and item.line >= 1)


def assert_findings(found: object) -> None:
    assert isinstance(found, list)
    for finding in found:
        assert isinstance(finding, Finding)
        assert isinstance(finding.kind, FindingKind) and isinstance(finding.restrictive, bool)
        assert_evidence(finding.evidence)


# -- RFC 9309 patterns (shared by TDMRep, RSL, ai.txt, Content-Usage) -----------

PATTERN_WORDS = ["/", "*", "$", "%", "%2F", "%zz", "?", "#", "\n", "\r", "\u2028", "\x0c", "Disallow: /", "Allow: /", "User-agent: *", "a", "é"]


@FAST
@given(adversarial_text(PATTERN_WORDS), URLS)
def test_pattern_matching_never_fails(pattern, url):
    assert isinstance(pattern_matches(pattern, url), bool)
    priority = pattern_priority(pattern)
    assert isinstance(priority, int) and priority >= 0


@FAST
@given(
    st.text(st.characters(whitelist_categories=("Ll", "Nd")), max_size=20),
    st.sampled_from(["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "#"]),
    st.sampled_from(["Disallow: /", "Allow: /", "/", "*", "User-agent: *\nDisallow: /"]),
)
def test_a_line_break_in_a_pattern_is_literal_and_a_hash_starts_a_fragment(literal, special, tail):
    # A TDMRep location or an RSL url is one pattern, whatever characters it
    # holds: a line break is literal, a "#" starts a fragment that is dropped.
    pattern = f"/q{literal}{special}{tail}"
    assert not pattern_matches(pattern, f"{ORIGIN}/z")
    assert pattern_matches(pattern, f"{ORIGIN}/q{literal}") is (special == "#")
    entry = json.dumps([{"location": pattern, "tdm-reservation": 1}]).encode()
    parsed = TdmRepFile.parse(entry, status=200, content_type="application/json", source_url="x")
    assert parsed.lookup(f"{ORIGIN}/z").reservation is None


# -- robots.txt ----------------------------------------------------------------

ROBOTS_WORDS = [
    b"User-agent:", b"User-agent: *", b"user-agent: tdmcrawl", b"User agent:", b"useragent ", b"User-agent tdmcrawl/1.0",
    b"Disallow:", b"Disallow: /", b"Allow:", b"Allow: /", b"disallow /x", b"Dissalow:", b" /private", b"/*", b"*", b"$",
    b"/*.jpg$", b"#", b"# comment", b"Crawl-delay:", b"Crawl-delay: 5", b"Crawl-delay: nan", b"Crawl-delay: inf",
    b"Crawl-delay: -1", b"Crawl-delay: 1e400", b"Request-rate: 1/5s", b"Request-rate: 0/0", b"Request-rate: 99999999999/1",
    b"Content-Usage: train-ai=n", b"Content-Usage: /x (", b"Content-Signal: ai-train=no", b"Sitemap:", b"Sitemap: http://[",
    b"License: x", b"%2F", b"%", b"%C3%A9", b"caf\xe9", b"\n", b"\r", b"\r\n", b" ", b"\t",
]


def check_robots(robots: RobotsTxt) -> None:
    assert isinstance(robots, RobotsTxt)
    assert "parser failure" not in robots.note, robots.note  # the safety net answered: a bug
    assert len(robots.malformed_lines) <= MAX_MALFORMED_KEPT
    for number, text in robots.malformed_lines:
        assert number >= 1 and isinstance(text, str) and text.strip()
    for url in (f"{ORIGIN}/", f"{ORIGIN}/private/a", f"{ORIGIN}/img/x.jpg", f"{ORIGIN}/robots.txt", "http://[::1/"):
        for token in (TOKEN, "*", "", "otherbot"):
            match = robots.can_fetch(url, token)
            assert isinstance(match, RobotsMatch) and isinstance(match.allowed, bool)
            assert match.rule is None or match.rule.line >= 1
            assert_evidence((match.evidence,))
        # The records reach the AIPREF and Content Signals readers as they are.
        check_content_usage(content_usage_from_robots(robots.records(TOKEN, "content-usage"), url, robots.source_url))
    assert robots.can_fetch(f"{ORIGIN}/robots.txt", TOKEN).allowed  # RFC 9309 2.2.2, whatever the file says
    for name in ("content-usage", "content-signal", "crawl-delay"):
        for value, line in robots.records(TOKEN, name):
            assert isinstance(value, str) and line >= 1
    signals = content_signals_from_robots(robots.records(TOKEN, "content-signal"), robots.source_url)
    assert isinstance(signals, ContentSignals) and not any(e.note.startswith("records unreadable") for e in signals.evidence)
    delay = robots.crawl_delay(TOKEN)
    assert delay is None or (isinstance(delay, float) and math.isfinite(delay) and delay >= 0)
    rate = robots.request_rate(TOKEN)
    assert rate is None or (rate[0] > 0 and rate[1] > 0 and math.isfinite(rate[1]))
    assert all(isinstance(url, str) for url in robots.sitemaps)


@FAST
@given(adversarial_bytes(ROBOTS_WORDS))
def test_robots_parse_answers_every_question_for_any_bytes(body):
    check_robots(RobotsTxt.parse(body, f"{ORIGIN}/robots.txt"))


@SLOW
@given(adversarial_text([w.decode("latin-1") for w in ROBOTS_WORDS]))
def test_robots_parse_accepts_any_str(text):
    check_robots(RobotsTxt.parse(text, f"{ORIGIN}/robots.txt"))


GARBAGE_LINE = st.text(st.characters(blacklist_characters="#:\r\n", blacklist_categories=("Cs",)), min_size=1, max_size=60).map(
    lambda s: "~" + s  # "~" starts no record, with or without a colon
)


@FAST
@given(
    st.lists(st.sampled_from(["User-agent: *", "Disallow: /a", "Allow: /b", "# note", "", "Crawl-delay: 2"]), max_size=8),
    GARBAGE_LINE,
    st.sampled_from(["\n", "\r", "\r\n"]),
)
def test_robots_records_a_garbage_line_as_malformed_with_its_number(before, garbage, newline):
    body = newline.join([*before, garbage, "Disallow: /after"])
    robots = RobotsTxt.parse(body.encode("utf-8"), f"{ORIGIN}/robots.txt")
    assert (len(before) + 1, garbage.strip()[:200]) in robots.malformed_lines


@FAST
@given(
    st.sampled_from([b"", b"\xef\xbb\xbf", b"\xef\xbb", b"\xef", b"\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf"]),
    st.sampled_from(["\n", "\r", "\r\n"]),
    st.sampled_from(["User-agent: *", "user-agent:*", "User-Agent : tdmcrawl", "useragent: tdmcrawl/2.1", "User-agent tdmcrawl"]),
)
def test_robots_bom_whole_or_partial_and_any_line_end_never_hide_the_first_group(bom, newline, agent_line):
    body = bom + newline.join([agent_line, "Disallow: /private", "Allow: /private/open"]).encode()
    robots = RobotsTxt.parse(body, f"{ORIGIN}/robots.txt")
    assert not robots.can_fetch(f"{ORIGIN}/private/x", TOKEN).allowed
    assert robots.can_fetch(f"{ORIGIN}/private/open", TOKEN).allowed


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_robots_in_utf16_is_recorded_as_unreadable_not_read_silently(encoding):
    robots = RobotsTxt.parse("User-agent: *\nDisallow: /\n".encode(encoding), f"{ORIGIN}/robots.txt")
    # RFC 9309 robots.txt is UTF-8: the lines are not records, and the file says so.
    assert robots.malformed_lines and robots.group_agents() == ()
    if encoding in ("utf-16", "utf-32"):  # with a BOM, which is not UTF-8 at all
        assert "not UTF-8" in robots.note


def test_robots_worst_case_ten_megabytes_of_wildcards_is_bounded():
    line = "Disallow: /" + "*a" * 200 + "\n"
    near_miss = f"{ORIGIN}/" + "a" * 199  # one "a" short of every pattern: each is tried
    long_path = f"{ORIGIN}/" + "ab" * 4000

    def parse_and_ask(size: int) -> Callable[[], tuple[RobotsTxt, list[bool]]]:
        body = ("User-agent: *\n" + line * (size // len(line))).encode()

        def work() -> tuple[RobotsTxt, list[bool]]:
            robots = RobotsTxt.parse(body, f"{ORIGIN}/robots.txt")
            return robots, [robots.can_fetch(url, TOKEN).allowed for url in (near_miss, long_path, f"{ORIGIN}/")]

        return work

    robots, answers = assert_linear_growth(parse_and_ask, 10_000_000)
    assert robots.truncated and answers == [True, False, True]
    # Past the parse limit the work stops growing; up to it, it grows linearly.
    robots, _ = assert_linear_growth(parse_and_ask, ROBOTS_PARSE_LIMIT_BYTES)
    assert not robots.truncated


def test_robots_worst_case_many_distinct_patterns_and_groups_is_bounded():
    # Distinct patterns defeat any cache; thousands of groups naming other
    # agents make the merge step work; one group names us at the very end.
    def parse_and_ask(rule_count: int) -> Callable[[], RobotsMatch]:
        groups = "".join(f"User-agent: bot{i}\nDisallow: /{i}/*x*y*z\n" for i in range(rule_count // 3))
        rules = "".join(f"Disallow: /{i}*" + "*q" * 20 + "\n" for i in range(rule_count))
        body = (groups + f"User-agent: {TOKEN}\n" + rules).encode()[:ROBOTS_PARSE_LIMIT_BYTES]

        def work() -> RobotsMatch:
            robots = RobotsTxt.parse(body)
            for i in range(50):
                robots.can_fetch(f"{ORIGIN}/{i}" + "q" * 19, f"token{i}")
            return robots.can_fetch(f"{ORIGIN}/" + "q" * 5000, TOKEN)

        return work

    match = assert_linear_growth(parse_and_ask, 15_000)
    assert match.allowed  # no pattern matches a path without a leading digit
    # At full size the parse limit keeps about 5,000 of our rules, not much
    # more than the quarter-size file's 3,750; below the limit, four times over:
    assert assert_linear_growth(parse_and_ask, 4000).allowed


# -- TDMRep --------------------------------------------------------------------

TDM_JSON_WORDS = [
    b"[", b"]", b"{", b"}", b",", b":", b'"location"', b'"tdm-reservation"', b'"tdm-policy"', b'"/"', b'"/*"', b'"/a*b$"',
    b"0", b"1", b"1.0", b"true", b"null", b'"1"', b"1e999", b"-0", b"1" * 5000, b'"https://example.test/x"', b'"\\ud800"',
    b'"\\u0000"', b"[" * 2000, b"{\"a\":" * 500, b" ", b"\n",
]


def tdm_json() -> st.SearchStrategy[bytes]:
    """JSON that parses: rules with values of every type, nested structures."""
    scalar = st.one_of(st.none(), st.booleans(), st.integers(-2, 3), st.floats(allow_nan=True), st.text(max_size=20))
    value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
    entry = st.fixed_dictionaries(
        {},
        optional={
            "location": st.one_of(st.sampled_from(["/", "/*", "/a", "*.jpg", "/private/*$", f"{ORIGIN}/a", "https://other.test/"]), value),
            "tdm-reservation": st.one_of(st.sampled_from([0, 1, "1", " 0 ", 1.0, True]), value),
            "tdm-policy": st.one_of(st.just("https://example.test/policy.json"), value),
        },
    )
    document = st.one_of(st.lists(entry | value, max_size=8), value)
    return document.map(lambda d: json.dumps(d).encode())


def check_tdmrep_file(parsed: TdmRepFile) -> None:
    assert isinstance(parsed, TdmRepFile)
    assert parsed.state in ("valid", "not-implemented", "malformed", "unreachable")
    assert not parsed.note.startswith("malformed: unexpected"), parsed.note  # the safety net answered
    if parsed.state == "malformed":
        assert "malformed" in parsed.note
    for url in (f"{ORIGIN}/", f"{ORIGIN}/a", f"{ORIGIN}/img/x.jpg", "http://[::1/"):
        value = parsed.lookup(url)
        assert isinstance(value, TdmValue) and value.reservation in (None, 0, 1)
        assert value.source in (None, "file")
        assert value.evidence  # even "unset" says why
        assert_evidence(value.evidence)


@FAST
@given(
    adversarial_bytes(TDM_JSON_WORDS) | tdm_json(),
    st.sampled_from([200, 200, 200, 204, 301, 404, 429, 503, 0, -1, 99, 600, 10**9]),
    st.sampled_from([None, "", "application/json", "text/html", "application/json; charset=utf-16", "text/plain", "\x00"]),
)
def test_tdmrep_file_parse_and_lookup_never_fail(body, status, content_type):
    check_tdmrep_file(TdmRepFile.parse(body, status=status, content_type=content_type, source_url=f"{ORIGIN}/.well-known/tdmrep.json"))


@FAST
@given(st.binary(max_size=200).filter(lambda b: not b.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")))
def test_tdmrep_file_that_is_not_json_is_malformed(junk):
    body = b"{" + junk  # never a JSON array
    parsed = TdmRepFile.parse(body, status=200, content_type="application/json", source_url=f"{ORIGIN}/.well-known/tdmrep.json")
    assert parsed.state == "malformed" and parsed.note.startswith("malformed")
    assert parsed.lookup(f"{ORIGIN}/").reservation is None


@pytest.mark.parametrize(
    ("size", "body_of"),
    [
        (100_000, lambda n: b"[" * n + b"]" * n),
        (100_000, lambda n: b'{"a":' * n + b"1" + b"}" * n),
        (50_000, lambda n: b'[{"location":' * n),
    ],
    ids=["array-100k-deep", "object-100k-deep", "unclosed-50k-deep"],
)
def test_tdmrep_worst_case_deep_nesting_is_malformed_with_linear_work(size, body_of):
    def parse_at(n: int) -> Callable[[], TdmRepFile]:
        body = body_of(n)
        return lambda: TdmRepFile.parse(body, status=200, content_type="application/json", source_url="x")

    parsed = assert_linear_growth(parse_at, size)
    assert parsed.state == "malformed" and parsed.note.startswith("malformed")


def test_tdmrep_worst_case_megabyte_of_wildcard_rules_is_bounded():
    entry = {"location": "/" + "*a" * 40 + "$", "tdm-reservation": 1}

    def parse_and_look_up(count: int) -> Callable[[], tuple[TdmRepFile, list[TdmValue]]]:
        entries = [dict(entry, location=f"/{i}" + entry["location"]) for i in range(count)]
        body = json.dumps(entries).encode()
        while len(body) > TDMREP_MAX_BYTES:
            entries = entries[: len(entries) * 9 // 10]
            body = json.dumps(entries).encode()

        def work() -> tuple[TdmRepFile, list[TdmValue]]:
            parsed = TdmRepFile.parse(body, status=200, content_type="application/json", source_url="x")
            return parsed, [parsed.lookup(f"{ORIGIN}/" + "a" * n) for n in (10, 500, 5000)]

        return work

    parsed, values = assert_linear_growth(parse_and_look_up, 20_000)
    # Past the entry cap the work stops growing; up to it, it grows linearly.
    assert "only the first" not in assert_linear_growth(parse_and_look_up, TDMREP_MAX_ENTRIES)[0].note
    assert parsed.state == "valid" and "only the first" in parsed.note  # the entry cap is recorded
    assert all(v.reservation is None for v in values)  # every location starts "/<digits>/", these paths do not


HEADER_NAMES = st.sampled_from(["tdm-reservation", "TDM-Reservation", "tdm-policy", "Content-Usage", "X-Robots-Tag", "Link", "WWW-Authenticate", "x"])


def header_pairs(values: st.SearchStrategy[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    return st.lists(st.tuples(HEADER_NAMES | st.text(max_size=10), values), max_size=12)


TDM_HEADER_WORDS = ["0", "1", " 1 ", "1,0", "01", "yes", ",", "https://example.test/p", "\x00", ""]


@FAST
@given(header_pairs(adversarial_text(TDM_HEADER_WORDS)))
def test_tdm_headers_and_meta_never_fail(pairs):
    for value in (tdm_from_headers(pairs), tdm_from_meta([(name.lower(), content) for name, content in pairs])):
        assert isinstance(value, TdmValue) and value.reservation in (None, 0, 1)
        assert all(not e.note.startswith("unreadable") for e in value.evidence)  # the safety net answered
        assert_evidence(value.evidence)


@FAST
@given(st.text(max_size=20).filter(lambda s: s.strip() not in ("0", "1") and "," not in s and s.strip()))
def test_tdm_header_protocol_error_is_recorded(value):
    result = tdm_from_headers([("tdm-reservation", value)])
    assert result.reservation is None
    assert "protocol error" in result.evidence[0].note


# -- AI preferences (Content-Usage) ---------------------------------------------

SF_WORDS = [
    "train-ai", "search", "bots", "=", "y", "n", ",", ";", "(", ")", '"', "\\", "?1", "?0", "?", "*", ":", "aGk=", "@", "%",
    "1", "-1", "1.5", "999999999999999999", "1.0000", " ", "\t", "train-ai=n", "train-ai=y", "search=n", "train-ai=(n y)",
    "train-ai=n;q=1", "train-ai=\"n\"", "train-ai=?0", "TRAIN-AI=n", "a=b,", ",,", "é", "\x00", "\x7f", "%\"x\"",
    "@1659578233", "train-ai=:YQ==:",
]


def check_content_usage(cu: ContentUsage) -> None:
    assert isinstance(cu, ContentUsage)
    assert cu.train_ai in Use and cu.search in Use
    assert cu.parse_error is None or not cu.parse_error.startswith("unreadable")  # the safety net answered
    if cu.parse_error is not None and len(cu.evidence) == 1:
        # RFC 9651: a Dictionary that fails to parse says nothing at all (a
        # combination of statements keeps the other statements' verdicts).
        assert cu.train_ai is Use.UNKNOWN and cu.search is Use.UNKNOWN
    assert_evidence(cu.evidence)


@FAST
@given(adversarial_text(SF_WORDS))
def test_parse_content_usage_never_fails(value):
    cu = parse_content_usage(value)
    check_content_usage(cu)
    if not value.strip(" \t").isascii():
        assert cu.parse_error is not None


@FAST
@given(adversarial_text(SF_WORDS))
def test_garbage_before_a_content_usage_dictionary_is_a_parse_error(value):
    cu = parse_content_usage("=" + value)  # a Dictionary key can never start with "="
    assert cu.parse_error is not None
    assert cu.evidence[0].note.startswith("malformed")


@FAST
@given(header_pairs(adversarial_text(SF_WORDS)))
def test_content_usage_from_headers_never_fails(pairs):
    check_content_usage(content_usage_from_headers(pairs))


@FAST
@given(st.lists(st.tuples(adversarial_text(["/", "/*", "$", " ", "\t", *SF_WORDS]), st.integers(1, 10**6)), max_size=10), URLS)
def test_content_usage_from_robots_never_fails(records, url):
    check_content_usage(content_usage_from_robots(records, url, f"{ORIGIN}/robots.txt"))


def test_content_usage_worst_cases_are_bounded():
    def parse_all(n: int) -> Callable[[], list[ContentUsage]]:  # n = 4000 at full size
        members = ", ".join(f"k{i}=(a b c);p=1;q=?0" for i in range(n))[: CONTENT_USAGE_MAX_CHARS - 20] + ", train-ai=n"
        nested_params = "train-ai=n" + ";p=1" * (4 * n)
        too_long = "train-ai=n, " * (5 * n)
        records = [(f"/{i}" + "*a" * 40 + " train-ai=n", i + 1) for i in range(5 * n // 4)]
        headers = [("Content-Usage", "search=y")] * (5 * n // 2)
        return lambda: [
            parse_content_usage(members),
            parse_content_usage(nested_params),
            parse_content_usage(too_long),
            content_usage_from_robots(records, f"{ORIGIN}/1" + "a" * 3000, "x"),
            content_usage_from_headers(headers),
        ]

    many, params, long, robots, joined = assert_linear_growth(parse_all, 4000)
    assert many.train_ai is Use.DENY and params.train_ai is Use.DENY
    assert long.parse_error is not None and "longer than" in long.parse_error
    assert robots.train_ai is Use.DENY  # /1*a*a… matches; the record cap keeps the work bounded
    assert joined.parse_error is not None  # ten thousand instances join past the length limit


# -- Content Signals ------------------------------------------------------------

CS_WORDS = ["search", "ai-input", "ai-train", "=", "yes", "no", "YES", ",", " ", '"', "'", "use=reference", "ai-train=no", "==", "\x00"]


@FAST
@given(adversarial_text(CS_WORDS))
def test_parse_content_signal_never_fails(value):
    cs = parse_content_signal(value, source=f"{ORIGIN}/robots.txt", line=3)
    assert isinstance(cs, ContentSignals)
    assert {cs.search, cs.ai_input, cs.ai_train} <= set(Use)
    assert not cs.evidence[0].note.startswith("unreadable")  # the safety net answered
    assert_evidence(cs.evidence)


@FAST
@given(st.text(st.characters(blacklist_characters="=,", blacklist_categories=("Cs",)), max_size=30).filter(str.strip))
def test_content_signal_part_without_equals_is_malformed(part):
    cs = parse_content_signal(f"ai-train=no, {part}", source="x")
    assert cs.malformed and "malformed" in cs.evidence[0].note
    assert cs.ai_train is Use.DENY  # the readable part still counts


def test_content_signal_worst_cases_are_bounded():
    def parse_both(n: int) -> Callable[[], tuple[ContentSignals, ContentSignals]]:
        huge = "ai-train=no," + "x=" * (2000 * n)
        records = [("ai-train=no, " + "k=v," * 4000, i) for i in range(n)]
        return lambda: (parse_content_signal(huge, source="x"), content_signals_from_robots(records, "x"))

    # Past the record cap at full size, under it at a quarter: each record is
    # a value at its length limit, so the cap is what bounds the work.
    cut, combined = assert_linear_growth(parse_both, CONTENT_SIGNAL_MAX_RECORDS + CONTENT_SIGNAL_MAX_RECORDS // 5)
    assert cut.malformed and f"cut at {CONTENT_SIGNAL_MAX_CHARS}" in cut.evidence[0].note
    assert cut.ai_train is Use.DENY and combined.ai_train is Use.DENY


# -- X-Robots-Tag and meta robots ----------------------------------------------

XRT_WORDS = [
    "noai", "noimageai", "noindex", "nofollow", "none", "all", ",", ":", " ", TOKEN, f"{TOKEN}/1.0", "otherbot",
    "max-snippet: 20", "unavailable_after: Friday, 25-Jun-10 15:00:00 PST", "googlebot: noindex", "NoAI", "\x00", ":::",
]


def check_directives(directives: RobotsDirectives) -> None:
    assert isinstance(directives, RobotsDirectives)
    assert all(isinstance(d, str) for d in directives.directives)
    assert isinstance(directives.noai, bool)
    assert len(directives.applied) == len(directives.evidence)
    assert_evidence(directives.evidence)


@FAST
@given(header_pairs(adversarial_text(XRT_WORDS)), st.sampled_from([TOKEN, "", " ", "*", "TDMCRAWL"]))
def test_x_robots_tag_and_meta_robots_never_fail(pairs, token):
    check_directives(from_x_robots_tag(pairs, token))
    metas = [(name.lower(), content) for name, content in pairs] + [("robots", content) for _, content in pairs]
    check_directives(from_meta_robots(metas, token))


def test_x_robots_tag_worst_cases_are_bounded_and_noted():
    def read_both(n: int) -> Callable[[], tuple[RobotsDirectives, RobotsDirectives]]:  # n = 1000 at full size
        headers = [("X-Robots-Tag", "otherbot: noindex, " * 10_000 + "noai")] * n
        metas = [("robots", ":" * 200_000)] * n
        return lambda: (from_x_robots_tag(headers, TOKEN), from_meta_robots(metas, TOKEN))

    header, meta = assert_linear_growth(read_both, 1000)
    assert any("malformed" in e.note for e in header.evidence)  # length limit and value count are both recorded
    assert any("more than" in e.note for e in meta.evidence)


# -- ai.txt ---------------------------------------------------------------------

AITXT_WORDS = ROBOTS_WORDS + [b"*.jpg", b"Disallow: *.png", b"Disallow: *", b"<html>", b"<!doctype html>", b"User-Agent: *"]


@FAST
@given(
    adversarial_bytes(AITXT_WORDS),
    st.sampled_from([200, 200, 206, 301, 404, 500, -1]),
    st.sampled_from([None, "text/plain", "text/plain; charset=utf-8", "text/html", "application/octet-stream", "", "\x00;"]),
    URLS,
)
def test_ai_txt_parse_and_check_never_fail(body, status, content_type, url):
    ai_txt = AiTxt.parse(body, status=status, content_type=content_type, source_url=f"{ORIGIN}/ai.txt")
    assert isinstance(ai_txt, AiTxt) and ai_txt.state in ("valid", "absent", "ignored")
    assert not ai_txt.note.startswith("malformed:"), ai_txt.note  # the safety net answered
    if ai_txt.state == "valid":
        check_robots(ai_txt.robots)
    finding = ai_txt.check(url, TOKEN)
    assert finding is None or (isinstance(finding, Finding) and finding.restrictive)


def test_ai_txt_worst_case_is_bounded():
    def parse_and_check(lines: int) -> Callable[[], tuple[AiTxt, Finding | None]]:
        body = b"User-Agent: *\n" + b"Disallow: *" + b".j*p*g" * 100 + b"\n" * 1 + b"Disallow: *.png*\n" * lines
        return lambda: (a := AiTxt.parse(body, status=200, content_type="text/plain", source_url="x"), a.check(f"{ORIGIN}/" + "x.png" * 1000, TOKEN))

    ai_txt, finding = assert_linear_growth(parse_and_check, 500_000)
    # Up to the parse limit (about 30,000 such lines) the work grows linearly too.
    assert not assert_linear_growth(parse_and_check, 28_000)[0].robots.truncated
    assert ai_txt.state == "valid" and ai_txt.robots.truncated and finding is not None


# -- RSL ------------------------------------------------------------------------

RSL_WORDS = [
    b'<?xml version="1.0" encoding="UTF-8"?>', b'<?xml version="1.0" encoding="bogus"?>', b'<rsl xmlns="https://rslstandard.org/rsl">',
    b"<rsl>", b"</rsl>", b'<content url="/">', b'<content url="/*" server="https://ls.test">', b'<content url="https://example.test:99999/">',
    b'<content url="http://[::1/x">', b"</content>", b"<license>", b"</license>", b"<permits>ai-train</permits>",
    b'<prohibits type="usage">ai-all</prohibits>', b'<payment type="purchase"/>', b'<payment type="free"/>', b"<![CDATA[x]]>",
    b"<!-- c -->", b"<!DOCTYPE rsl [", b'<!ENTITY e "eeeeeeeeee">', b"]>", b"&e;", b"&amp;", b"&#0;", b"&#x110000;",
    b'<rss xmlns:rsl="https://rslstandard.org/rsl">', b'<rsl:content url="/">', b"</rsl:content>", b"<", b">", b"/>",
]

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE rsl [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]>"
)
EXTERNAL_ENTITY = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>'


@FAST
@given(adversarial_bytes(RSL_WORDS), URLS)
def test_rsl_parse_and_findings_never_fail(body, url):
    doc = rsl_module._parse(body, f"{ORIGIN}/license.xml")  # without the safety net of RslDocument.parse
    assert isinstance(doc, RslDocument) and doc.state in ("valid", "malformed")
    assert doc == RslDocument.parse(body, source_url=f"{ORIGIN}/license.xml")
    if doc.state == "malformed":
        assert "malformed" in doc.note
    found = rsl_findings(doc, url)
    assert_findings(found)
    if doc.state == "malformed":
        # RSL asks for compliance before any use: an unreadable document stops the fetch.
        assert [f.reason for f in found] == ["rsl-malformed"] and found[0].kind is FindingKind.FETCH


@FAST
@given(st.integers(-1, 1000) | st.sampled_from([401, 402]), header_pairs(adversarial_text(["License", "license", "Bearer", ",", " ", "realm=x", '"', "\x00"])))
def test_rsl_cap_finding_never_fails(status, pairs):
    finding = cap_finding(status, pairs)
    assert finding is None or (isinstance(finding, Finding) and finding.kind is FindingKind.FETCH)
    if status not in (401, 402):
        assert finding is None


def check_rsl_expanded_nothing(doc: RslDocument) -> None:
    assert doc.state in ("valid", "malformed") and not re.fullmatch(r"malformed: \w+", doc.note)
    for content in doc.contents:
        assert "lollol" not in content.url and "root:" not in content.url
        for terms in content.licenses:
            assert not any("lollol" in t or "root:" in t for t in terms.prohibited_usage())


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS + b'<rsl><content url="/&lol9;"/></rsl>',
        BILLION_LAUGHS + b'<rsl><content url="/"><license><prohibits>&lol9;</prohibits></license></content></rsl>',
        EXTERNAL_ENTITY + b'<rsl><content url="/&xxe;"><license><prohibits>&xxe;</prohibits></license></content></rsl>',
    ],
    ids=["billion-laughs-attribute", "billion-laughs-text", "external-entities"],
)
def test_rsl_worst_case_xml_attacks_expand_nothing(body):
    # An expanded entity would show in the values (a hang is stopped by pytest-timeout).
    check_rsl_expanded_nothing(RslDocument.parse(body, source_url=f"{ORIGIN}/license.xml"))


def test_rsl_worst_case_200k_deep_nesting_costs_linear_work():
    def parse_at(depth: int) -> Callable[[], RslDocument]:
        body = b"<rsl>" + b"<x>" * depth + b"</x>" * depth + b'<content url="/"/></rsl>'
        return lambda: RslDocument.parse(body, source_url=f"{ORIGIN}/license.xml")

    check_rsl_expanded_nothing(assert_linear_growth(parse_at, 200_000))


def test_rsl_worst_case_largest_document_is_bounded():
    content = (
        '<content url="/{i}' + "*a" * 40 + '$"><license><prohibits>ai-train</prohibits></license>' * 2 + "</content>"
    )

    def parse_and_find(count: int) -> Callable[[], tuple[RslDocument, list[list[Finding]]]]:
        body = '<rsl xmlns="https://rslstandard.org/rsl">' + "".join(content.format(i=i) for i in range(count))
        body = body[: RSL_PARSE_LIMIT_BYTES - 200]
        body = body[: body.rfind("</content>") + len("</content>")] + "</rsl>"

        def work() -> tuple[RslDocument, list[list[Finding]]]:
            doc = RslDocument.parse(body.encode(), source_url="x")
            return doc, [rsl_findings(doc, f"{ORIGIN}/" + "1a" * n + "b") for n in (1, 100, 3000)]

        return work

    doc, found = assert_linear_growth(parse_and_find, 6000)
    assert doc.state == "valid" and "more than" in doc.note  # the content cap is recorded
    assert found == [[], [], []]  # every pattern ends in "a$"; these paths end in "b"


# -- media (XMP, C2PA) -----------------------------------------------------------

MEDIA_WORDS = [
    b"\xff\xd8", b"\xff\xeb", b"\xff\xeb\x00\x20JP\x00\x01\x00\x00\x00\x01", b"\xff\xda", b"\xff\xff", b"\x89PNG\r\n\x1a\n",
    b"\x00\x00\x00\x10caBX", b"IEND", b"jumb", b"jumd", b"\x00\x00\x00\x01", b"\x00\x00\x00\x00", b"\xff\xff\xff\xff",
    b"c2pa.training-mining\x00", b"cawg.training-mining__1\x00", b"cbor", b"json", b"\xa1gentries", b"\xbf", b"\x9f", b"\xff",
    b"\xfb\x7f\xf0\x00\x00\x00\x00\x00\x00", b"\x5b\xff\xff\xff\xff\xff\xff\xff\xff", b'{"entries":{"c2pa.ai_training":{"use":"notAllowed"}}}',
    b"<x:xmpmeta>", b"</x:xmpmeta>", b"<rdf:RDF>", b"</rdf:RDF>", b'plus:DataMining="DMI-PROHIBITED"',
    b'xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"', b"<plus:DataMining>", b"DataMining", b'rdf:resource="',
]


def jumbf_box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def training_mining_store(cbor: bytes, label: bytes = b"c2pa.training-mining") -> bytes:
    description = jumbf_box(b"jumd", b"\x00" * 16 + b"\x03" + label + b"\x00")
    return jumbf_box(b"jumb", description + jumbf_box(b"cbor", cbor))


@FAST
@given(adversarial_bytes(MEDIA_WORDS), st.sampled_from([None, "image/jpeg", "image/png", "application/octet-stream", "text/html", ""]))
def test_media_findings_never_fail(body, content_type):
    found = media_findings(body, content_type=content_type, source=f"{ORIGIN}/x.jpg")
    assert_findings(found)
    # media_findings drops a finder that raised; the finders themselves must not raise.
    assert_findings(media_module._xmp_findings(body, "x", False))
    assert_findings(media_module._c2pa_findings(body, "x", False))


@FAST
@given(st.binary(max_size=300))
def test_c2pa_assertion_with_any_cbor_never_fails(cbor):
    body = b"\xff\xd8" + training_mining_store(cbor)
    assert_findings(media_module._c2pa_findings(body, "x", False))
    value, ok = media_module.decode_cbor(cbor)
    assert isinstance(ok, bool) and (ok or value is None)


def overlapping_decoy_assertions(total: int) -> bytes:
    """Training-mining assertions whose CBOR content boxes overlap: every
    assertion's CBOR opens an indefinite array that runs through the following
    assertions (their headers hidden in byte strings), so each decode reads up
    to the item limit while each assertion costs only ~70 bytes."""
    description = jumbf_box(b"jumd", b"\x00" * 16 + b"\x03" + b"c2pa.training-mining\x00")
    cbor_size = 300_000
    header = (
        struct.pack(">I", 8 + len(description) + 8 + cbor_size) + b"jumb" + description + struct.pack(">I", 8 + cbor_size) + b"cbor"
    )
    unit = bytes([0x58, len(header) + 1]) + header + b"\x9f" + b"\x00" * 4
    body = b"\x00" * 4 + unit * ((total - cbor_size) // len(unit))
    return body + b"\x00" * (total - len(body))


def app11_stores_full_of_description_boxes(count: int) -> bytes:
    return b"\xff\xd8" + b"".join(
        b"\xff\xeb" + struct.pack(">H", 2 + 8 + 2000) + b"JP" + struct.pack(">H", i) + b"\x00\x00\x00\x01" + b"jumd" * 500
        for i in range(count)
    )


def deep_and_wide_cbor(depth: int) -> bytes:
    deep_cbor = b"\x81" * depth + b"\x00"  # arrays nested that deep
    wide_cbor = b"\x9f" + b"\xa0" * (2 * depth) + b"\xff"  # an indefinite array of twice as many maps
    return b"\xff\xd8" + training_mining_store(deep_cbor) + training_mining_store(wide_cbor)


@pytest.mark.parametrize(
    ("size", "body_of"),
    [
        (MEDIA_SCAN_LIMIT_BYTES // 4, lambda n: b"jumd" * n),
        (200_000, lambda n: b"\xff\xd8" + (b"\xff\xeb\x00\x14JP\x00\x01\x00\x00\x00\x01" + b"\x00" * 8) * n),
        (300_000, lambda n: b"\x89PNG\r\n\x1a\n" + (b"\x00\x00\x00\x00caBX\x00\x00\x00\x00") * n),
        (100_000, deep_and_wide_cbor),
        (200_000, lambda n: (b"<x:xmpmeta>" + b"DataMining " * n) * 4),
        (300_000, lambda n: b"<rdf:RDF>" + b"<a>" * n),
        (MEDIA_SCAN_LIMIT_BYTES * 2, lambda n: b"\x00" * n),
        (MEDIA_SCAN_LIMIT_BYTES, overlapping_decoy_assertions),
        (4096, app11_stores_full_of_description_boxes),
    ],
    ids=[
        "jumd-everywhere", "200k-app11-segments", "300k-png-cabx-chunks", "cbor-100k-deep-and-200k-wide", "xmp-800k-datamining-words",
        "rdf-300k-open-tags", "zeros-twice-the-scan-limit", "overlapping-decoy-assertions", "4096-app11-stores-of-description-boxes",
    ],
)
def test_media_worst_cases_find_nothing_with_linear_work(size, body_of):
    def find_at(n: int) -> Callable[[], list[Finding]]:
        body = body_of(n)
        return lambda: media_findings(body, content_type="image/jpeg", source="x")

    assert assert_linear_growth(find_at, size) == []


# -- licence detection ----------------------------------------------------------

HTML_WORDS = [
    "<html>", "<head>", "</head>", "<body>", "<footer>", "</footer>", "<figure>", "</figure>", "<div class='comments'>", "</div>",
    "<a rel='license' href='https://creativecommons.org/licenses/by/4.0/'>", "</a>", "<a rel=license href='#'>",
    "<a href='https://creativecommons.org/licenses/by-nc-nd/3.0/de/deed.fr'>", "<link rel='license' href='//[::1/'>",
    "<link rel=license href='http://a:99999/x'>", "<meta name='dcterms.license' content='https://creativecommons.org/publicdomain/zero/1.0/'>",
    "<meta name='copyright' content='(c) 2024 All rights reserved'>", "<span property='cc:license' resource='javascript:x'>",
    "<img src='https://licensebuttons.net/l/by-sa/4.0/88x31.png'>", "<script type='application/ld+json'>", "</script>",
    '{"@type":"Article","license":"https://creativecommons.org/licenses/by/4.0/"}', '{"license":[{"url":1},null,"x"]}',
    '{"@type":["ImageObject"],"license":"https://creativecommons.org/licenses/by-nc/4.0/"}', "[" * 300, "{\"a\":" * 100,
    "<!-- https://creativecommons.org/licenses/by/4.0/ -->", "Licensed under", "©", "All rights reserved", "<p>", "</p>",
    "<noscript>", "<template>", "<div style='display:none'>", "<div hidden>", "\x00", "\ud800", "&#0;", "&bogus;",
]


def html_tree(markup: str) -> Any:
    """The tree the page parser builds and hands to licence detection."""
    return parse_tree(markup)


def check_licence(result: LicenceResult) -> None:
    assert isinstance(result, LicenceResult)
    assert not (result.evidence or "").startswith("licence detection failed"), result.evidence  # the safety net answered
    assert result.license is None or isinstance(result.license, str)
    assert isinstance(result.ambiguous, bool)
    assert all(isinstance(note, str) for note in result.notes)
    for candidate in result.candidates:
        assert_evidence((candidate.evidence,))


@SLOW
@given(
    adversarial_text(HTML_WORDS, max_parts=50),
    header_pairs(adversarial_text(["<https://creativecommons.org/licenses/by/4.0/>", "; rel=license", ",", "<", ">", '"', "rel=\"license\""])),
    st.sampled_from([f"{ORIGIN}/page", "", "http://[::1/", "not a url"]),
)
def test_detect_licences_never_fails(markup, headers, base_url):
    try:
        tree = html_tree(markup)
    except (lxml.etree.ParserError, ValueError):
        tree = None  # what parse_page hands on when the markup has no document at all
    check_licence(detect_licences(tree, base_url=base_url, headers=headers))


@FAST
@given(st.text(st.characters(blacklist_characters="<", blacklist_categories=("Cs",)), max_size=80))
def test_detect_licences_records_a_json_ld_block_that_is_not_json(junk):
    markup = f"<html><head><script type='application/ld+json'>{{{{{junk}</script></head><body>x</body></html>"
    result = detect_licences(html_tree(markup), base_url=f"{ORIGIN}/page")
    check_licence(result)
    assert any(note.startswith("malformed: JSON-LD") for note in result.notes), result.notes  # "{{" is never JSON


@FAST
@given(adversarial_text(["https://", "http://", "creativecommons.org", "/licenses/", "/publicdomain/", "by", "by-sa", "4.0", "1.0", "/", "//",
                         "deed", "legalcode", ".fr", "zero", "licensebuttons.net", "/l/", "88x31.png", "[", ":", "99999", "?", "#", "www."]))
def test_cc_url_to_spdx_never_fails(url):
    spdx = cc_url_to_spdx(url)
    assert spdx is None or (isinstance(spdx, str) and spdx and "\n" not in spdx)


def _page(body: str) -> str:
    return f"<html><body>{body}</body></html>"


def _jsonld(script: str) -> str:
    return f"<html><head><script type='application/ld+json'>{script}</script></head><body>x</body></html>"


# (full size n, the page at size n)
LICENCE_WORST_CASES = [
    pytest.param(50_000, lambda n: _jsonld(json.dumps({"@type": "Article", "license": ["x"] * n})), id="jsonld-50k-licences"),
    pytest.param(100_000, lambda n: _jsonld("[" * n + "]" * n), id="jsonld-100k-deep"),
    pytest.param(50_000, lambda n: _jsonld('{"license":' * n + "1" + "}" * n), id="jsonld-50k-deep-licence-objects"),
    pytest.param(100_000, lambda n: _page("<div>" * n + "<a rel=license href='https://creativecommons.org/licenses/by/4.0/'>x</a>"), id="html-100k-deep"),
    pytest.param(
        20_000,
        lambda n: _page("<footer>" + "<a href='https://creativecommons.org/licenses/by/4.0/'>x</a>" * n + "</footer>"),
        id="footer-20k-cc-links-without-a-sentence",
    ),
    pytest.param(20_000, lambda n: _page("<p>" + "<a rel=license href='#'>x</a>" * n + "</p>"), id="20k-rel-license-links-that-lead-nowhere"),
    pytest.param(20_000, lambda n: _page("<div>" + "<span property='cc:license' resource='javascript:x'>x</span>" * n + "</div>"), id="20k-rdfa-nowhere"),
    pytest.param(20_000, lambda n: _page("<div>" + "<img src='https://licensebuttons.net/l/zz/4.0/88x31.png'>" * n + "</div>"), id="20k-unknown-badges"),
    pytest.param(20_000, lambda n: _page(("<p>(c) " + "x " * 60 + "</p>") * n), id="20k-copyright-paragraphs"),
    pytest.param(20_000, lambda n: _page("<!-- https://creativecommons.org/licenses/by/4.0/ -->" * n), id="20k-comments"),
]


@pytest.mark.parametrize(("size", "markup_of"), LICENCE_WORST_CASES)
def test_detect_licences_worst_cases_cost_linear_work(size, markup_of):
    def detect_at(n: int) -> Callable[[], LicenceResult]:
        tree = html_tree(markup_of(n))
        return lambda: detect_licences(tree, base_url=f"{ORIGIN}/page")

    check_licence(assert_linear_growth(detect_at, size))


# -- sitemaps -------------------------------------------------------------------

SITEMAP_WORDS = [
    b'<?xml version="1.0" encoding="UTF-8"?>', b'<?xml version="1.0" encoding="bogus"?>', b'<?xml version="1.0" encoding="utf-16"?>',
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">', b"<urlset>", b"</urlset>", b"<sitemapindex>", b"</sitemapindex>",
    b"<url>", b"</url>", b"<sitemap>", b"</sitemap>", b"<loc>", b"</loc>", b"https://example.test/a", b"http://[", b"  ", b"&amp;",
    b"&lol;", b"<![CDATA[https://example.test/c]]>", b"<!-- x -->", b"<!DOCTYPE urlset [", b'<!ENTITY lol "lol">', b"]>", b"\x1f\x8b",
]


@FAST
@given(adversarial_bytes(SITEMAP_WORDS) | adversarial_bytes(SITEMAP_WORDS).map(gzip.compress))
def test_parse_sitemap_never_fails(body):
    sitemap = parse_sitemap(body)
    assert isinstance(sitemap, Sitemap) and sitemap.kind in ("urlset", "sitemapindex", "invalid")
    assert not sitemap.note.startswith("unreadable"), sitemap.note  # the safety net answered
    assert len(sitemap.urls) <= SITEMAP_MAX_URLS
    assert all(isinstance(u, str) and u and u == u.strip() for u in sitemap.urls)
    if sitemap.kind == "invalid":
        assert sitemap.note and not sitemap.urls


def check_sitemap_expanded_nothing(sitemap: Sitemap) -> None:
    assert isinstance(sitemap, Sitemap) and len(sitemap.urls) <= SITEMAP_MAX_URLS
    assert not any("lollol" in u or "root:" in u for u in sitemap.urls)


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS.replace(b"rsl", b"urlset") + b"<urlset><url><loc>https://example.test/&lol9;</loc></url></urlset>",
        EXTERNAL_ENTITY + b"<urlset><url><loc>https://example.test/&xxe;</loc></url></urlset>",
        gzip.compress(b"<urlset>" + b" " * (SITEMAP_MAX_BYTES + 10) + b"</urlset>"),  # a gzip bomb past the size limit
        b"\x1f\x8b" + b"\x00" * 100,  # a gzip header and nothing valid after it
    ],
    ids=["billion-laughs", "external-entities", "gzip-bomb", "broken-gzip"],
)
def test_parse_sitemap_worst_cases_expand_nothing(body):
    # An expanded entity would show in the URLs (a hang is stopped by pytest-timeout).
    check_sitemap_expanded_nothing(parse_sitemap(body))


@pytest.mark.parametrize(
    ("size", "body_of"),
    [
        (300_000, lambda n: b"<urlset>" + b"<url>" * n + b"<loc>https://example.test/deep</loc>"),
        (SITEMAP_MAX_URLS + 10_000, lambda n: b"<urlset>" + b"<url><loc>https://example.test/u</loc></url>" * n + b"</urlset>"),
    ],
    ids=["nested-300k", "too-many-urls"],
)
def test_parse_sitemap_worst_cases_cost_linear_work(size, body_of):
    def parse_at(n: int) -> Callable[[], Sitemap]:
        body = body_of(n)
        return lambda: parse_sitemap(body)

    check_sitemap_expanded_nothing(assert_linear_growth(parse_at, size))


def test_parse_sitemap_names_tags_lxml_recovered_but_cannot_name():
    # Found by the property above: lxml's QName raised on the tag ":" that recovery made of "<:".
    assert parse_sitemap(b"<:").kind == "invalid"
    sitemap = parse_sitemap(b"<urlset><:><loc> https://example.test/a </loc></:></urlset>")
    assert sitemap.kind == "urlset" and sitemap.urls == ("https://example.test/a",)


def test_parse_sitemap_gzip_bomb_is_invalid():
    bomb = gzip.compress(b"\x00" * (SITEMAP_MAX_BYTES + 1))
    sitemap = parse_sitemap(bomb)
    assert sitemap.kind == "invalid" and "larger" in sitemap.note


# -- the page parser --------------------------------------------------------------

PAGE_SIZE_LIMIT = 10 * 1024 * 1024  # DOWNLOAD_MAXSIZE in settings/: no larger body reaches the parser
CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            None, "", "text/html", "text/html; charset=utf-8", "text/html; charset=utf-16", "text/html; charset=utf-32",
            "text/html; charset=bogus", "text/html; charset=utf-7", "text/html; charset=cp037", "text/html;charset=hz",
            "text/html; charset=\x00", "text/html; charset=\"", "application/xhtml+xml", "application/octet-stream", "image/png",
        ]
    ),
    st.text(max_size=40),
)
PAGE_WORDS = [w.encode("utf-8", "surrogatepass") for w in HTML_WORDS] + [
    b"<meta charset='utf-16'>", b"<meta http-equiv='Content-Type' content='text/html; charset=bogus'>", b"<title>", b"</title>",
    b"<html lang='\x00'>", b"<base href='javascript:x'>", b"<base href='//other.test/'>", b"<a href='http://a:99999/'>", b"<a href='//\xe2\x84\x80/'>",
    b"<a href='javascript:x'>", b"<a href='http://example.test/\x00\r\n'>", b"<?xml version='1.0'?>", b"<p>Some words of prose here.</p>",
]


@SLOW
@given(adversarial_bytes(PAGE_WORDS, max_parts=50), CONTENT_TYPES, st.sampled_from([f"{ORIGIN}/page", f"{ORIGIN}/a/b?c=d", ""]))
def test_parse_page_never_fails_on_any_bytes_and_content_type(body, content_type, url):
    page = parse_page(body, url=url, content_type=content_type)
    assert isinstance(page, ParsedPage)
    assert isinstance(page.text, str) and isinstance(page.links, tuple)
    assert all(is_crawlable_url(link) for link in page.links)
    if page.parse_error is None:
        check_licence(page.licence)
    else:
        assert page.text == "" and page.licence is None


@pytest.mark.parametrize(
    ("size", "body_of"),
    [
        (100_000, lambda n: b"<html><body>" + b"<div>" * n + b"<p>deep words</p>"),
        (50_000, lambda n: b"<html><body>" + b"<b><i>" * n + b"words"),
        (30_000, lambda n: b"<table><tr><td>" * n),
        (5_000, lambda n: b"<html><body><p>" + b"<a href='/l'>x</a>" * n),
        (1_000_000, lambda n: b"<p>" + b"word " * n),
        (1_000_000, lambda n: b"\x00" * n),
        (PAGE_SIZE_LIMIT // 12, lambda n: b"<html><body>" + b"<div>x</div>" * n),
        (PAGE_SIZE_LIMIT // 18, lambda n: b"<html><body>" + b"<a href='/l'>x</a>" * n),
        (1_000_000, lambda n: b"<html><body></body></html>" + b"</body " * n),
        (1_000_000, lambda n: b"<html><body>" + b"<span>" * 3000 + b"<span " * n),
    ],
    ids=["div-100k-deep", "inline-100k-deep", "table-30k-deep", "5k-links", "million-words", "million-nuls", "10MB-of-divs", "10MB-of-one-link",
         "end-tags-without-close-after-html", "runaway-nesting-then-open-tags"],
)
def test_parse_page_worst_cases_cost_linear_work(size, body_of):
    # Both sizes take the full-size page's path: past MAX_EXTRACT_BYTES no text
    # is extracted, so neither is the quarter-size page's (else its count would
    # be trafilatura's, and that run alone takes many seconds).
    options = ExtractOptions(extract_text=len(body_of(size)) <= MAX_EXTRACT_BYTES)

    def parse_at(n: int) -> Callable[[], ParsedPage]:
        body = body_of(n)
        return lambda: parse_page(body, url=f"{ORIGIN}/page", content_type="text/html", options=options)

    assert isinstance(assert_linear_growth(parse_at, size), ParsedPage)


@pytest.mark.parametrize("href", ["http://[::1/", "http://[", "https://example.test]/"])
def test_parse_page_survives_a_base_href_it_cannot_parse(href):
    page = parse_page(f"<base href='{href}'><a href='/x'>x</a>".encode(), url=f"{ORIGIN}/page", content_type="text/html")
    assert isinstance(page, ParsedPage)


def test_parse_page_records_a_page_without_a_document():
    page = parse_page(b"", url=f"{ORIGIN}/page", content_type="text/html")
    assert page.parse_error and page.text == ""


# -- URL keys -------------------------------------------------------------------

URL_WORDS = [
    "http://", "https://", "HTTP://", "example.test", "EXAMPLE.test", ":80", ":443", ":99999", ":x", "[::1]", "[", "]", "/", "?", "#",
    "&", "=", "%", "%zz", "%2F", ";jsessionid=1", "utm_source=x", "sid=2", "\u2100", "\u00e9", "xn--", " ", "\t", "\r\n", "\x00",
    "\ud800", "@", "user:pass@",
]


def url_call(function: Callable[[str], str], url: str) -> str | None:
    """The result, or None for the one exception the callers must expect."""
    try:
        result = function(url)
    except ValueError:  # UnicodeError included: an unparseable URL (host, port, IPv6 brackets)
        return None
    assert isinstance(result, str)
    return result


@FAST
@given(adversarial_text(URL_WORDS))
def test_url_key_and_safe_url_raise_nothing_but_value_error(url):
    url_call(url_key, url)
    safe = url_call(safe_url, url)
    if safe is not None:
        assert not re.search(r"[\r\n\t\x00]", safe)  # it goes into WARC headers as is: no line can be injected
        if is_crawlable_url(safe):
            # The spider keys every URL it admitted: that must never fail.
            assert isinstance(url_key(safe), str)


def test_url_key_worst_case_is_bounded():
    def key_at(parameters: int) -> Callable[[], tuple[str, str]]:
        url = f"{ORIGIN}/" + "a/" * (5 * parameters // 2) + "?" + "&".join(f"utm_source={i}&k{i}=%zz" for i in range(parameters))
        return lambda: (url_key(url), safe_url(url))

    key, safe = assert_linear_growth(key_at, 20_000)
    assert "utm_source" not in key and safe.startswith(ORIGIN)


@pytest.mark.parametrize("url", ["http://a\u00a0b/", "http://\u00af/"])
def test_safe_url_never_puts_a_space_in_a_host(url):
    safe = safe_url(url)
    assert " " not in safe or not is_crawlable_url(safe)


def test_unparseable_urls_from_sitemaps_are_skipped_not_raised():
    # research.py reads sitemap <loc> values and robots.txt Sitemap lines through try_safe_url.
    for url in ("http://[", "https://example.test:99999/", "http://\u2100/", "http://a\udcff/"):
        safe = try_safe_url(url)
        assert safe is None or not is_crawlable_url(safe) or isinstance(safe, str)
