"""IETF AI preferences: Content-Usage header and robots.txt records (reference cases 34-39)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.rights.aipref import (
    NO_PREFERENCE,
    ContentUsage,
    combine_content_usage,
    content_usage_findings,
    content_usage_from_headers,
    content_usage_from_robots,
    parse_content_usage,
)
from crawler.rights.evidence import FindingKind, Use

ROBOTS = "https://example.com/robots.txt"


def reasons(cu: ContentUsage, legacy: bool = True) -> dict[str, bool]:
    return {f.reason: f.restrictive for f in content_usage_findings(cu, legacy_as_reservation=legacy)}


# -- reference cases ---------------------------------------------------------


def test_case_34_header_train_ai_n_denies_training():
    cu = content_usage_from_headers([("Content-Usage", "train-ai=n")])
    assert cu.train_ai is Use.DENY and cu.search is Use.UNKNOWN
    assert cu.usage.train is Use.DENY and cu.usage.tdm is Use.UNKNOWN
    findings = content_usage_findings(cu, legacy_as_reservation=False)
    assert [(f.reason, f.restrictive, f.kind) for f in findings] == [("content-usage-train-ai", True, FindingKind.USE)]
    assert findings[0].usage.train is Use.DENY
    assert findings[0].evidence[0].source == "header:Content-Usage"
    assert findings[0].evidence[0].value == "train-ai=n"


def test_case_35_duplicate_key_last_wins_and_boolean_is_unknown():
    cu = parse_content_usage("train-ai=y, train-ai")
    assert cu.train_ai is Use.UNKNOWN
    assert cu.parse_error is None
    assert "not a token" in cu.evidence[0].note
    assert reasons(cu) == {}


def test_case_35_uppercase_key_fails_the_whole_dictionary():
    cu = parse_content_usage("Train-AI=n, search=n")
    assert cu.parse_error is not None
    assert cu.train_ai is Use.UNKNOWN and cu.search is Use.UNKNOWN
    assert "malformed" in cu.evidence[0].note
    assert reasons(cu) == {}


def test_case_36_robots_path_specific_record_wins():
    records = [("train-ai=n", 3), ("/ai-ok/ train-ai=y", 4)]
    at_ok = content_usage_from_robots(records, "https://example.com/ai-ok/x", ROBOTS)
    assert at_ok.train_ai is Use.ALLOW
    assert [e.line for e in at_ok.evidence] == [4]
    elsewhere = content_usage_from_robots(records, "https://example.com/x", ROBOTS)
    assert elsewhere.train_ai is Use.DENY
    assert [e.line for e in elsewhere.evidence] == [3]
    assert elsewhere.evidence[0].source == ROBOTS


def test_case_37_identical_paths_combine_most_restrictive():
    records = [("/docs/ train-ai=y", 2), ("/docs/ train-ai=n", 5)]
    cu = content_usage_from_robots(records, "https://example.com/docs/a", ROBOTS)
    assert cu.train_ai is Use.DENY
    assert sorted(e.line for e in cu.evidence) == [2, 5]
    # Order of lines does not matter.
    assert content_usage_from_robots(list(reversed(records)), "https://example.com/docs/a", ROBOTS).train_ai is Use.DENY


def test_case_38_legacy_label_is_unknown_but_recorded():
    cu = content_usage_from_headers([("Content-Usage", "bots=n")])
    assert cu.train_ai is Use.UNKNOWN and cu.search is Use.UNKNOWN
    assert cu.legacy_labels == ("bots",)
    assert reasons(cu, legacy=False) == {"content-usage-legacy-bots": False}
    assert reasons(cu, legacy=True) == {"content-usage-legacy-bots": True}
    [finding] = content_usage_findings(cu, legacy_as_reservation=True)
    assert finding.usage.train is Use.DENY


def test_case_39_robots_allow_and_header_deny_combine_to_deny():
    robots = content_usage_from_robots([("train-ai=y", 7)], "https://example.com/x", ROBOTS)
    header = content_usage_from_headers([("content-usage", "train-ai=n")])
    combined = combine_content_usage(robots, header)
    assert combined.train_ai is Use.DENY
    assert {e.source for e in combined.evidence} == {ROBOTS, "header:Content-Usage"}
    assert "train-ai=y" in combined.raw and "train-ai=n" in combined.raw
    assert reasons(combined) == {"content-usage-train-ai": True}


# -- vocabulary details --------------------------------------------------------


def test_search_and_parameters():
    cu = parse_content_usage("train-ai=y;note=1, search=n, future-label=n")
    assert cu.train_ai is Use.ALLOW and cu.search is Use.DENY
    assert reasons(cu) == {"content-usage-train-ai-allowed": False, "content-usage-search": False}


def test_non_token_values_are_unknown():
    for value in ('train-ai="n"', "train-ai=?0", "train-ai=no", "train-ai=N", "train-ai=1", "train-ai=(n)"):
        assert parse_content_usage(value).train_ai is Use.UNKNOWN, value


def test_empty_value_says_nothing():
    cu = parse_content_usage("")
    assert cu.train_ai is Use.UNKNOWN and cu.parse_error is None
    assert content_usage_from_headers([]) == NO_PREFERENCE


def test_non_ascii_fails_parse():
    assert parse_content_usage("train-ai=n, é").parse_error is not None


def test_several_header_instances_are_joined_before_parsing():
    cu = content_usage_from_headers([("Content-Usage", "train-ai=n"), ("Content-Usage", "train-ai=y")])
    assert cu.train_ai is Use.ALLOW  # one Dictionary, duplicate key: the last wins
    assert cu.raw == "train-ai=n, train-ai=y"


def test_one_bad_header_instance_fails_the_joined_dictionary():
    cu = content_usage_from_headers([("Content-Usage", "train-ai=n"), ("Content-Usage", "Search=n")])
    assert cu.parse_error is not None and cu.train_ai is Use.UNKNOWN


def test_legacy_inference_labels_are_recorded_not_restrictive():
    cu = parse_content_usage("ai-output=n, train-genai=n, tdm=y")
    assert cu.legacy_labels == ("ai-output", "train-genai")
    assert reasons(cu, legacy=True) == {"content-usage-legacy-ai-output": False, "content-usage-legacy-train-genai": True}


# -- robots.txt records --------------------------------------------------------


def test_robots_no_record_matches_is_no_preference():
    cu = content_usage_from_robots([("/docs/ train-ai=n", 3)], "https://example.com/blog", ROBOTS)
    assert cu == NO_PREFERENCE
    assert content_usage_from_robots([], "https://example.com/blog", ROBOTS) == NO_PREFERENCE


def test_robots_path_without_preference_says_nothing():
    cu = content_usage_from_robots([("/docs/", 3), ("train-ai=n", 4)], "https://example.com/docs/a", ROBOTS)
    assert cu.train_ai is Use.UNKNOWN
    assert "no preference after the path" in cu.evidence[0].note


def test_robots_tab_separates_path_and_patterns_apply():
    records = [("/*.pdf$\ttrain-ai=n", 3)]
    assert content_usage_from_robots(records, "https://example.com/a.pdf", ROBOTS).train_ai is Use.DENY
    assert content_usage_from_robots(records, "https://example.com/a.pdf?x=1", ROBOTS) == NO_PREFERENCE


def test_robots_explicit_slash_ties_with_pathless_record():
    records = [("/ train-ai=y", 3), ("train-ai=n", 4)]
    assert content_usage_from_robots(records, "https://example.com/x", ROBOTS).train_ai is Use.DENY


def test_robots_malformed_record_wins_by_path_and_says_nothing():
    records = [("train-ai=n", 3), ("/docs/ Train-AI=y", 4)]
    cu = content_usage_from_robots(records, "https://example.com/docs/a", ROBOTS)
    assert cu.train_ai is Use.UNKNOWN and cu.parse_error is not None


# -- properties ---------------------------------------------------------------

_texts = st.text(max_size=300) | st.sampled_from(
    ["\x00train-ai=n", "\ufefftrain-ai=n", "train-ai=n\rsearch=y", "a" * 70_000, "train-ai=n," * 5000, "train-ai=:AAA=:"]
)


@settings(max_examples=200, deadline=None)
@given(value=_texts)
def test_parse_never_raises(value):
    cu = parse_content_usage(value)
    assert isinstance(cu, ContentUsage)
    assert cu.train_ai in Use and cu.search in Use
    if cu.parse_error is not None:
        assert cu.train_ai is Use.UNKNOWN and cu.search is Use.UNKNOWN
    for evidence in cu.evidence:
        assert "\n" not in evidence.value and "\r" not in evidence.note
    content_usage_findings(cu, legacy_as_reservation=True)


@settings(max_examples=200, deadline=None)
@given(records=st.lists(st.tuples(_texts, st.integers(min_value=1, max_value=10_000)), max_size=6), url=st.text(max_size=100))
def test_robots_never_raises(records, url):
    cu = content_usage_from_robots(records, url or "/", ROBOTS)
    assert isinstance(cu, ContentUsage)


@settings(max_examples=200, deadline=None)
@given(pairs=st.lists(st.tuples(st.sampled_from(["Content-Usage", "content-usage", "x"]), _texts), max_size=5))
def test_headers_never_raise(pairs):
    assert isinstance(content_usage_from_headers(pairs), ContentUsage)
