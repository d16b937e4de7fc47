"""Cloudflare Content Signals in robots.txt (reference cases 21 (CS part), 40, 41)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.rights.content_signal import (
    NO_SIGNALS,
    ContentSignals,
    content_signal_findings,
    content_signals_from_robots,
    parse_content_signal,
)
from crawler.rights.evidence import FindingKind, Use

ROBOTS = "https://example.com/robots.txt"


def reasons(cs: ContentSignals) -> dict[str, bool]:
    return {f.reason: f.restrictive for f in content_signal_findings(cs)}


# -- reference cases ---------------------------------------------------------


def test_case_21_cloudflare_prepended_signal_denies_training():
    cs = content_signals_from_robots([("search=yes, ai-train=no", 2)], ROBOTS)
    assert cs.ai_train is Use.DENY and cs.search is Use.ALLOW
    assert cs.usage.train is Use.DENY and cs.usage.tdm is Use.DENY
    [finding] = content_signal_findings(cs)
    assert (finding.signal, finding.reason, finding.kind, finding.restrictive) == (
        "content-signal",
        "content-signal-ai-train",
        FindingKind.USE,
        True,
    )
    assert finding.usage.train is Use.DENY and finding.usage.search is Use.ALLOW
    assert finding.evidence[0].source == ROBOTS and finding.evidence[0].line == 2


def test_case_40_use_key_kept_raw():
    cs = parse_content_signal("search=yes, ai-train=no, use=reference", source=ROBOTS, line=5)
    assert (cs.ai_train, cs.search, cs.ai_input) == (Use.DENY, Use.ALLOW, Use.UNKNOWN)
    assert cs.extras == (("use", "reference"),)
    assert not cs.malformed
    assert "use=reference" in cs.evidence[0].note
    assert cs.raw == "search=yes, ai-train=no, use=reference"


def test_case_40_cloudflare_managed_form_without_spaces():
    cs = parse_content_signal("search=yes,ai-train=no,use=reference", source=ROBOTS)
    assert (cs.ai_train, cs.search) == (Use.DENY, Use.ALLOW) and cs.extras == (("use", "reference"),)


def test_case_41_no_content_signal_records_means_all_unknown():
    cs = content_signals_from_robots([], ROBOTS)
    assert cs == NO_SIGNALS
    assert (cs.search, cs.ai_input, cs.ai_train) == (Use.UNKNOWN,) * 3
    assert content_signal_findings(cs) == []


# -- syntax details ------------------------------------------------------------


def test_case_and_whitespace_tolerant():
    cs = parse_content_signal("  AI-Train = NO ,Search=Yes,  ai-input=no ", source=ROBOTS)
    assert (cs.ai_train, cs.search, cs.ai_input) == (Use.DENY, Use.ALLOW, Use.DENY)
    assert not cs.malformed


def test_unknown_values_are_unknown_and_noted():
    cs = parse_content_signal("ai-train=maybe, search", source=ROBOTS)
    assert cs.ai_train is Use.UNKNOWN and cs.malformed
    assert "neither yes nor no" in cs.evidence[0].note
    assert "not key=value" in cs.evidence[0].note


def test_quoted_values_are_read():
    assert parse_content_signal('ai-train="no"', source=ROBOTS).ai_train is Use.DENY


def test_duplicate_key_in_one_record_most_restrictive():
    assert parse_content_signal("ai-train=yes, ai-train=no", source=ROBOTS).ai_train is Use.DENY


def test_several_records_combine_most_restrictive():
    cs = content_signals_from_robots([("ai-train=yes, search=yes", 3), ("ai-train=no", 9)], ROBOTS)
    assert cs.ai_train is Use.DENY and cs.search is Use.ALLOW
    assert [e.line for e in cs.evidence] == [3, 9]


def test_ai_input_and_search_denials_are_recorded_not_restrictive():
    cs = parse_content_signal("search=no, ai-input=no, ai-train=yes", source=ROBOTS)
    assert reasons(cs) == {"content-signal-ai-input": False, "content-signal-search": False}
    assert cs.usage.train is Use.ALLOW and cs.usage.tdm is Use.UNKNOWN and cs.usage.ai_input is Use.DENY


def test_grants_only_give_one_non_restrictive_finding():
    cs = parse_content_signal("search=yes, ai-input=yes, ai-train=yes", source=ROBOTS)
    [finding] = content_signal_findings(cs)
    assert finding.reason == "content-signal-allowed" and not finding.restrictive
    assert finding.usage.train is Use.ALLOW


def test_empty_value_says_nothing():
    cs = parse_content_signal("", source=ROBOTS)
    assert (cs.search, cs.ai_input, cs.ai_train) == (Use.UNKNOWN,) * 3 and not cs.malformed
    assert content_signal_findings(cs) == []


# -- properties ---------------------------------------------------------------

_texts = st.text(max_size=300) | st.sampled_from(
    ["\x00ai-train=no", "\ufeffai-train=no", "ai-train=no\rsearch=yes", "=" * 40_000, ",=," * 10_000, "ai-train=no\udcff"]
)


@settings(max_examples=200, deadline=None)
@given(value=_texts, line=st.none() | st.integers(min_value=1))
def test_parse_never_raises(value, line):
    cs = parse_content_signal(value, source=ROBOTS, line=line)
    assert isinstance(cs, ContentSignals)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in cs.extras)
    for evidence in cs.evidence:
        assert "\n" not in evidence.value and "\r" not in evidence.value
    for finding in content_signal_findings(cs):
        assert finding.reason.startswith("content-signal")


@settings(max_examples=200, deadline=None)
@given(records=st.lists(st.tuples(_texts, st.integers(min_value=1, max_value=10_000)), max_size=6))
def test_robots_never_raises(records):
    cs = content_signals_from_robots(records, ROBOTS)
    assert isinstance(cs, ContentSignals)
    if any(v.strip() for v, _ in records):
        assert len(cs.evidence) == len(records)
