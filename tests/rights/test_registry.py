"""Opt-out registries, the pure side: the local file format, matching, findings,
and the reading of a Spawning API answer."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given, settings, strategies as st

from crawler.rights.evidence import FindingKind, Use
from crawler.rights.policy import PolicyProfile, decide
from crawler.rights.registry import (
    LocalRegistry,
    RegistryEntry,
    RegistryResult,
    parse_spawning_answer,
    registry_findings,
    spawning_query_body,
    unavailable_finding,
)

SOURCE = "/etc/tdmcrawl/optouts.tsv"

FILE = """\
# creators who opted out by writing to us
example.org\ttrain,tdm\t2025-01-31\trequest 12 from the publisher
url-prefix:https://example.net/artists/alice/    all    2024-06-01
url:https://example.com/gallery/7.html           train
glob:https://*.example.com/*.jpg                 tdm    -    images only
glob:*/private/*                                 search
quiet.example.com                                ai-input,search
"""


def registry(text: str = FILE) -> LocalRegistry:
    return LocalRegistry.parse(text, SOURCE, name="local")


def patterns(url: str, reg: LocalRegistry | None = None) -> list[str]:
    return [entry.pattern for entry in (reg or registry()).match(url)]


# ------------------------------------------------------------------ parsing
def test_every_field_of_a_line_is_read() -> None:
    reg = registry()
    assert reg.malformed == ()
    first = reg.entries[0]
    assert first == RegistryEntry(
        registry="local",
        pattern_kind="domain",
        pattern="example.org",
        purposes=frozenset({"train", "tdm"}),
        since=date(2025, 1, 31),
        note="request 12 from the publisher",
        source=SOURCE,
        line=2,
    )
    kinds = [(e.pattern_kind, e.line) for e in reg.entries]
    assert kinds == [("domain", 2), ("url-prefix", 3), ("url", 4), ("glob", 5), ("glob", 6), ("domain", 7)]
    assert reg.entries[3].note == "images only" and reg.entries[3].since is None
    assert reg.entries[5].purposes == frozenset({"ai_input", "search"})


def test_missing_or_dash_purposes_mean_all() -> None:
    reg = registry("a.example\nb.example  -  2024-02-02\n")
    assert [e.purposes for e in reg.entries] == [frozenset({"all"})] * 2
    assert reg.entries[1].since == date(2024, 2, 2)


@pytest.mark.parametrize(
    "line, kind, pattern",
    [
        ("Example.ORG.", "domain", "example.org"),
        ("*.example.org", "domain", "example.org"),
        (".example.org", "domain", "example.org"),
        ("example.org:8443", "domain", "example.org"),
        ("domain:bücher.example", "domain", "xn--bcher-kva.example"),
        ("https://example.org/a/", "url-prefix", "https://example.org/a/"),
        ("https://example.org/*.png", "glob", "https://example.org/*.png"),
        ("prefix:https://example.org/a/", "url-prefix", "https://example.org/a/"),
    ],
)
def test_pattern_kinds_are_read_or_inferred(line: str, kind: str, pattern: str) -> None:
    (entry,) = registry(line).entries
    assert (entry.pattern_kind, entry.pattern) == (kind, pattern)


@pytest.mark.parametrize(
    "line, note",
    [
        ("path:/private all", "unknown pattern kind 'path'"),
        ("domain:example.org/path all", "not a host name"),
        ("url:ftp://example.org/file all", "not an http(s) URL"),
        ("url-prefix:example.org/a all", "not an http(s) URL"),
        ("domain: all", "empty pattern"),
    ],
)
def test_an_unusable_pattern_is_recorded_and_not_applied(line: str, note: str) -> None:
    reg = registry("good.example train\n" + line + "\n")
    assert [e.pattern for e in reg.entries] == ["good.example"]
    (bad,) = reg.malformed
    assert bad.line == 2 and bad.text == line and not bad.kept
    assert note in bad.note


def test_a_bad_date_keeps_the_entry_without_a_date() -> None:
    reg = registry("example.org train 2025-13-01 my note\n")
    (entry,) = reg.entries
    assert entry.since is None and entry.purposes == frozenset({"train"}) and entry.note == "my note"
    (problem,) = reg.malformed
    assert problem.kept and "not a date" in problem.note and problem.line == 1


def test_an_unknown_purpose_never_narrows_the_opt_out() -> None:
    reg = registry("a.example training\nb.example search,training\n")
    a, b = reg.entries
    # "training" may well mean our use: read as all, not dropped.
    assert a.purposes == frozenset({"all"})
    assert b.purposes == frozenset({"search", "all"}) and b.reserves_training
    assert [m.line for m in reg.malformed] == [1, 2]
    assert all(m.kept and "'training'" in m.note and "read as all" in m.note for m in reg.malformed)


def test_comments_blank_lines_and_a_byte_order_mark_are_skipped() -> None:
    reg = registry("\ufeff# header\n\n   \n  # indented comment\nexample.org\n")
    assert [e.line for e in reg.entries] == [5] and reg.malformed == ()


def test_bytes_are_decoded_rather_than_rejected() -> None:
    reg = LocalRegistry.parse(b"example.org train\n\xff\xfe.example tdm\n", SOURCE)  # type: ignore[arg-type]
    assert [e.pattern for e in reg.entries] == ["example.org"]
    assert len(reg.malformed) == 1 and reg.malformed[0].line == 2


# ------------------------------------------------------------------ matching
@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://example.org/", ["example.org"]),
        ("http://www.example.org/any/page?x=1", ["example.org"]),
        ("https://deep.sub.EXAMPLE.org:8080/", ["example.org"]),
        ("https://notexample.org/", []),
        ("https://example.org.evil.test/", []),
        ("https://example.net/artists/alice/", ["https://example.net/artists/alice/"]),
        ("http://EXAMPLE.net:80/artists/alice/portfolio/1.html", ["https://example.net/artists/alice/"]),
        ("https://example.net/artists/alicia/", []),
        ("https://example.net/artists/", []),
        ("https://example.com/gallery/7.html", ["https://example.com/gallery/7.html"]),
        ("https://example.com/gallery/7.html#top", ["https://example.com/gallery/7.html"]),
        ("https://example.com/gallery/7.html?page=2", []),
        ("https://example.com/gallery/70.html", []),
        ("https://cdn.example.com/photos/a.jpg", ["https://*.example.com/*.jpg"]),
        ("https://cdn.example.com/photos/a.jpeg", []),
        ("https://example.com/a.jpg", []),  # the glob asks for a subdomain
        ("https://blog.test/private/diary.html", ["*/private/*"]),
        ("https://quiet.example.com/", ["quiet.example.com"]),
        ("https://quiet.example.com/x.jpg", ["https://*.example.com/*.jpg", "quiet.example.com"]),
    ],
)
def test_match(url: str, expected: list[str]) -> None:
    assert sorted(patterns(url)) == sorted(expected)


def test_matches_come_in_file_order_without_duplicates() -> None:
    reg = registry("example.org train\nurl-prefix:https://example.org/a/ tdm\nexample.org search\n")
    assert [e.line for e in reg.match("https://example.org/a/b")] == [1, 2, 3]
    assert [e.line for e in reg.match("https://www.example.org/a/b")] == [1, 3]  # a prefix names its host


def test_an_address_entry_covers_that_address_only() -> None:
    reg = registry("127.0.0.1 train\n[::1] tdm\n")
    assert patterns("http://127.0.0.1:8080/x", reg) == ["127.0.0.1"]
    assert patterns("http://[::1]:9/", reg) == ["::1"]
    assert patterns("http://0.0.1/", reg) == []


def test_non_ascii_paths_compare_in_percent_encoded_form() -> None:
    reg = registry("url-prefix:https://example.org/café/ train\n")
    assert patterns("https://example.org/caf%C3%A9/menu", reg) == ["https://example.org/café/"]
    assert patterns("https://example.org/café/menu", reg) == ["https://example.org/café/"]


@pytest.mark.parametrize("url", ["", "not a url", "mailto:a@example.org", "http://[oops/", "https://exa mple.org/"])
def test_urls_that_are_not_http_match_nothing(url: str) -> None:
    assert registry().match(url) == []


# ------------------------------------------------------------------ findings
def test_a_training_reservation_is_a_restrictive_finding_with_its_evidence() -> None:
    reg = registry()
    (finding,) = registry_findings(reg.match("https://www.example.org/"), "local")
    assert finding.signal == "registry" and finding.reason == "registry-opt-out"
    assert finding.kind is FindingKind.USE and finding.restrictive
    assert finding.usage.train is Use.DENY and finding.usage.tdm is Use.DENY
    assert finding.usage.search is Use.UNKNOWN
    (evidence,) = finding.evidence
    assert evidence.signal == "registry" and evidence.source == SOURCE and evidence.line == 2
    assert evidence.value == "domain:example.org tdm,train 2025-01-31"
    assert evidence.note == "registry local, since 2025-01-31: request 12 from the publisher"


def test_all_denies_every_use() -> None:
    (finding,) = registry_findings(registry().match("https://example.net/artists/alice/x"), "local")
    assert finding.restrictive and set(finding.usage.as_dict().values()) == {"deny"}


def test_other_purposes_give_non_restrictive_findings_per_purpose() -> None:
    found = registry_findings(registry().match("https://quiet.example.com/"), "local")
    assert [(f.reason, f.restrictive) for f in found] == [
        ("registry-opt-out-ai-input", False),
        ("registry-opt-out-search", False),
    ]
    assert found[0].usage.ai_input is Use.DENY and found[1].usage.search is Use.DENY
    assert all(f.usage.train is Use.UNKNOWN for f in found)


def test_no_match_no_finding() -> None:
    assert registry_findings(registry().match("https://elsewhere.test/"), "local") == []


def test_the_policy_excludes_on_a_registry_opt_out_only_when_registries_are_honoured() -> None:
    found = registry_findings(registry().match("https://example.org/"), "local")
    honouring = PolicyProfile(name="with-registry", honoured=frozenset({"registry"}))
    decision = decide(found, honouring)
    assert decision.excluded and decision.reason == "registry-opt-out"
    recorded = decide(found, PolicyProfile(name="research", honoured=frozenset()))
    assert not recorded.excluded and recorded.reservations == ("registry-opt-out",)
    other_use_only = registry_findings(registry().match("https://quiet.example.com/"), "local")
    assert not decide(other_use_only, honouring).excluded


def test_unavailable_is_restrictive_and_says_why() -> None:
    finding = unavailable_finding("spawning", "no API key: environment variable SPAWNING_OPTS_KEY is not set")
    assert finding.reason == "registry-unavailable" and finding.restrictive
    assert finding.kind is FindingKind.USE and finding.signal == "registry"
    (evidence,) = finding.evidence
    assert evidence.source == "spawning" and "SPAWNING_OPTS_KEY" in evidence.note
    assert decide([finding], PolicyProfile(name="r", honoured=frozenset({"registry"}))).reason == "registry-unavailable"


def test_a_registry_result_becomes_findings() -> None:
    assert RegistryResult("https://a.test/", "spawning", False).findings() == []
    (opted_out,) = RegistryResult("https://a.test/", "spawning", True).findings()
    assert opted_out.reason == "registry-opt-out" and opted_out.restrictive and opted_out.usage.train is Use.DENY
    (unknown,) = RegistryResult("https://a.test/", "spawning", None, note="HTTP 503").findings()
    assert unknown.reason == "registry-unavailable" and unknown.evidence[0].note == "HTTP 503"


# ------------------------------------------------------------------ Spawning wire format
def test_the_query_body_is_one_url_a_line_with_line_breaks_removed() -> None:
    assert spawning_query_body(["https://a.test/1", "https://a.test/2\r\nx"]) == b"https://a.test/1\nhttps://a.test/2x"


def test_answers_are_matched_by_url_whatever_their_order() -> None:
    urls = ["https://a.test/1", "https://a.test/2"]
    body = json.dumps({"urls": [{"url": urls[1], "optOut": False}, {"url": urls[0], "optOut": True, "optIn": False}]})
    answers = parse_spawning_answer(body.encode(), urls)
    assert answers[urls[0]].opted_out is True and answers[urls[0]].opted_in is False
    assert answers[urls[1]].opted_out is False and answers[urls[1]].opted_in is None


def test_answers_with_rewritten_urls_are_matched_by_position() -> None:
    urls = ["https://A.test/1", "https://a.test/2"]
    body = json.dumps({"urls": [{"url": "https://a.test/1", "optOut": True}, {"url": "https://a.test/2", "optOut": False}]})
    answers = parse_spawning_answer(body.encode(), urls)
    assert [answers[u].opted_out for u in urls] == [True, False]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"urls": 3}',
        b'{"urls": [{"url": "https://a.test/1", "optOut": "yes"}]}',
        b'{"urls": [{"url": "https://other.test/", "optOut": false}, {"optOut": false}]}',
    ],
)
def test_an_unreadable_answer_leaves_urls_unknown_never_allowed(body: bytes) -> None:
    answers = parse_spawning_answer(body, ["https://a.test/1"])
    assert answers["https://a.test/1"].opted_out is None and answers["https://a.test/1"].note


# ------------------------------------------------------------------ properties
@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_file_text_never_raises(text: str) -> None:
    reg = LocalRegistry.parse(text, SOURCE)
    for entry in reg.entries:
        assert entry.pattern_kind in ("domain", "url-prefix", "url", "glob") and entry.purposes
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    dropped = {m.line for m in reg.malformed if not m.kept}
    assert len(reg.entries) + len(dropped) == len(lines)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "domain:", "url:", "url-prefix:", "glob:", "nope:"]),
            st.text(alphabet=st.characters(blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), max_size=40),
        ),
        max_size=8,
    ),
    st.text(max_size=80),
)
def test_arbitrary_patterns_and_urls_never_raise(lines: list[tuple[str, str]], url: str) -> None:
    reg = LocalRegistry.parse("\n".join(kind + value for kind, value in lines), SOURCE)
    for probe in (url, "https://" + url, "http://example.org/" + url):
        matched = reg.match(probe)
        registry_findings(matched, "local")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.lists(st.text(max_size=20), max_size=4))
def test_arbitrary_answers_never_raise(body: bytes, urls: list[str]) -> None:
    answers = parse_spawning_answer(body, urls)
    assert set(answers) == set(urls)
