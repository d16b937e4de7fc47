"""TDMRep: tdmrep.json, headers, meta, precedence (reference cases 25-33)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.rights.evidence import FindingKind, Use
from crawler.rights.tdmrep import (
    MAX_FILE_BYTES,
    UNSET,
    TdmRepFile,
    TdmValue,
    resolve_tdm,
    tdm_finding,
    tdm_from_headers,
    tdm_from_meta,
)

SOURCE = "https://example.com/.well-known/tdmrep.json"


def tdm_file(data: object, *, status: int = 200, content_type: str | None = "application/json") -> TdmRepFile:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return TdmRepFile.parse(body, status=status, content_type=content_type, source_url=SOURCE)


# -- reference cases ---------------------------------------------------------


def test_case_25_site_file_reserves_training_and_tdm():
    value = tdm_file([{"location": "/", "tdm-reservation": 1}]).lookup("https://example.com/a/b.html")
    resolved = resolve_tdm(value, UNSET, UNSET)
    assert (resolved.reservation, resolved.source) == (1, "file")
    finding = tdm_finding(resolved)
    assert finding is not None
    assert finding.reason == "tdmrep-reserved" and finding.restrictive and finding.kind is FindingKind.USE
    assert finding.usage.train is Use.DENY and finding.usage.tdm is Use.DENY
    assert finding.evidence[0].source == SOURCE
    assert '"tdm-reservation": 1' in finding.evidence[0].value


def test_case_26_first_matching_entry_wins():
    parsed = tdm_file([{"location": "/", "tdm-reservation": 1}, {"location": "/open/", "tdm-reservation": 0}])
    value = parsed.lookup("https://example.com/open/a")
    assert value.reservation == 1  # a longest-match reading would give 0
    assert "entry 0" in value.evidence[0].note


def test_case_26_order_decides_the_other_way_round_too():
    parsed = tdm_file([{"location": "/open/", "tdm-reservation": 0}, {"location": "/", "tdm-reservation": 1}])
    assert parsed.lookup("https://example.com/open/a").reservation == 0
    assert parsed.lookup("https://example.com/closed/a").reservation == 1


def test_case_27_header_supersedes_file():
    file_value = tdm_file([{"location": "/", "tdm-reservation": 1}]).lookup("https://example.com/x")
    header = tdm_from_headers([("tdm-reservation", "0")])
    resolved = resolve_tdm(file_value, header, UNSET)
    assert (resolved.reservation, resolved.source) == (0, "header")
    assert any("superseded by header" in e.note for e in resolved.evidence)
    finding = tdm_finding(resolved)
    assert finding is not None and finding.reason == "tdmrep-not-reserved" and not finding.restrictive


def test_case_28_meta_supersedes_header():
    header = tdm_from_headers([("tdm-reservation", "0")])
    meta = tdm_from_meta([("tdm-reservation", "1")])
    resolved = resolve_tdm(UNSET, header, meta)
    assert (resolved.reservation, resolved.source) == (1, "meta")
    assert resolved.evidence[0].source == "meta:tdm-reservation"


def test_case_29_absence_does_not_reset():
    file_value = tdm_file([{"location": "/", "tdm-reservation": 1}]).lookup("https://example.com/x")
    resolved = resolve_tdm(file_value, tdm_from_headers([]), tdm_from_meta([]))
    assert (resolved.reservation, resolved.source) == (1, "file")


def test_case_30_invalid_header_values_are_unset_with_protocol_error():
    for bad in ("yes", "2", "true", "", "01", "1.0"):
        value = tdm_from_headers([("tdm-reservation", bad)])
        assert value.reservation is None, bad
        assert "protocol error" in value.evidence[0].note


def test_case_30_file_value_still_applies_after_header_protocol_error():
    file_value = tdm_file([{"location": "/", "tdm-reservation": 1}]).lookup("https://example.com/x")
    resolved = resolve_tdm(file_value, tdm_from_headers([("TDM-Reservation", "yes")]), UNSET)
    assert (resolved.reservation, resolved.source) == (1, "file")
    assert any("protocol error" in e.note for e in resolved.evidence)


def test_case_31_404_is_protocol_not_implemented():
    parsed = tdm_file(b"<html>Not found</html>", status=404, content_type="text/html")
    assert parsed.state == "not-implemented"
    value = parsed.lookup("https://example.com/x")
    assert value.reservation is None and "not-implemented" in value.evidence[0].note


def test_case_31_html_page_with_200_is_protocol_not_implemented():
    assert tdm_file(b"<!doctype html><p>hi", content_type="text/html; charset=utf-8").state == "not-implemented"
    # HTML served under a JSON type is still not a tdmrep.json.
    assert tdm_file(b"  <html></html>", content_type="application/json").state == "not-implemented"


def test_case_31_server_error_is_unreachable_not_unset_by_choice():
    parsed = tdm_file(b"oops", status=503)
    assert parsed.state == "unreachable" and "retry later" in parsed.note
    assert TdmRepFile.parse(b"", status=429, content_type=None, source_url=SOURCE).state == "unreachable"
    network = TdmRepFile.unreachable(SOURCE, "connection reset")
    assert network.state == "unreachable" and "connection reset" in network.note
    assert network.lookup("https://example.com/x").reservation is None


def test_case_31_redirect_failure_is_protocol_not_implemented():
    assert tdm_file(b"", status=302).state == "not-implemented"


def test_case_32_policy_ignored_when_not_reserved():
    value = tdm_from_headers([("tdm-reservation", "0"), ("tdm-policy", "https://example.com/policy.json")])
    assert value.reservation == 0 and value.policy is None
    assert "tdm-policy ignored" in value.evidence[0].note
    finding = tdm_finding(value)
    assert finding is not None and not finding.restrictive and finding.usage.train is not Use.DENY


def test_case_32_policy_ignored_in_file_when_not_reserved():
    parsed = tdm_file([{"location": "/", "tdm-reservation": 0, "tdm-policy": "https://example.com/p"}])
    assert parsed.entries[0].policy is None
    assert parsed.lookup("https://example.com/x").policy is None


def test_case_33_object_instead_of_array_is_malformed():
    parsed = tdm_file({"version": 1, "policies": [{"location": "/", "tdm-reservation": 1}]})
    assert parsed.state == "malformed" and "not a JSON array" in parsed.note
    value = parsed.lookup("https://example.com/x")
    assert value.reservation is None
    assert "malformed" in value.evidence[0].note


# -- tdmrep.json details -----------------------------------------------------


def test_policy_kept_with_reservation_one():
    parsed = tdm_file([{"location": "/", "tdm-reservation": 1, "tdm-policy": " https://example.com/p.json "}])
    value = parsed.lookup("https://example.com/x")
    assert value.policy == "https://example.com/p.json"


def test_invalid_json_values_are_protocol_errors_and_stop_the_search():
    for bad in (True, "yes", 2, None, [1], "2"):
        parsed = tdm_file([{"location": "/", "tdm-reservation": bad}, {"location": "/", "tdm-reservation": 1}])
        value = parsed.lookup("https://example.com/x")
        # The first match is used; its value being a protocol error makes it unset.
        assert value.reservation is None, bad
        assert "protocol error" in value.evidence[0].note


def test_string_one_is_read_leniently_and_noted():
    value = tdm_file([{"location": "/", "tdm-reservation": "1"}]).lookup("https://example.com/x")
    assert value.reservation == 1
    assert "lenient" in value.evidence[0].note


def test_missing_location_never_matches():
    parsed = tdm_file([{"tdm-reservation": 1}, {"location": "/", "tdm-reservation": 0}])
    assert parsed.lookup("https://example.com/x").reservation == 0


def test_no_matching_entry_is_unset():
    value = tdm_file([{"location": "/private/", "tdm-reservation": 1}]).lookup("https://example.com/public")
    assert value.reservation is None and "no entry matches" in value.evidence[0].note


def test_location_uses_robots_patterns():
    parsed = tdm_file([{"location": "/*.pdf$", "tdm-reservation": 1}])
    assert parsed.lookup("https://example.com/a/b.pdf").reservation == 1
    assert parsed.lookup("https://example.com/a/b.pdf?x=1").reservation is None
    encoded = tdm_file([{"location": "/foo/bar/%62%61%7A", "tdm-reservation": 1}])
    assert encoded.lookup("https://example.com/foo/bar/baz").reservation == 1


def test_absolute_url_location_on_same_host_is_read_as_path():
    parsed = tdm_file([{"location": "https://example.com/news/", "tdm-reservation": 1}])
    assert parsed.lookup("https://example.com/news/a").reservation == 1
    other = tdm_file([{"location": "https://other.org/", "tdm-reservation": 1}])
    assert other.lookup("https://example.com/x").reservation is None


def test_non_json_content_type_is_read_and_noted():
    parsed = tdm_file([{"location": "/", "tdm-reservation": 1}], content_type="text/plain")
    assert parsed.state == "valid" and "text/plain" in parsed.note
    assert parsed.lookup("https://example.com/x").reservation == 1


def test_ld_json_content_type_recorded_in_evidence():
    parsed = tdm_file([{"location": "/", "tdm-reservation": 1}], content_type="application/ld+json")
    assert "application/ld+json" in parsed.lookup("https://example.com/x").evidence[0].note


def test_bom_is_tolerated():
    parsed = tdm_file(b'\xef\xbb\xbf[{"location":"/","tdm-reservation":1}]')
    assert parsed.state == "valid" and parsed.lookup("https://example.com/").reservation == 1


def test_not_json_is_malformed():
    assert tdm_file(b"location: /\ntdm-reservation: 1").state == "malformed"
    assert tdm_file(b"").state == "malformed"


def test_oversize_file_is_malformed():
    body = b"[" + b" " * MAX_FILE_BYTES + b"]"
    parsed = tdm_file(body)
    assert parsed.state == "malformed" and "larger" in parsed.note


def test_deep_nesting_is_malformed_not_a_crash():
    parsed = tdm_file(b"[" * 200_000 + b"]" * 200_000)
    assert parsed.state == "malformed"


def test_non_object_items_are_skipped_and_noted():
    parsed = tdm_file([1, "x", {"location": "/", "tdm-reservation": 1}])
    assert parsed.state == "valid" and len(parsed.entries) == 1 and parsed.entries[0].index == 2
    assert "not objects" in parsed.note


def test_sha256_recorded():
    body = b'[{"location":"/","tdm-reservation":1}]'
    import hashlib

    assert tdm_file(body).sha256 == hashlib.sha256(body).hexdigest()


# -- headers and meta --------------------------------------------------------


def test_header_name_case_and_whitespace():
    value = tdm_from_headers([("TDM-Reservation", "  1 "), ("TDM-Policy", "https://example.com/p")])
    assert (value.reservation, value.policy, value.source) == (1, "https://example.com/p", "header")


def test_several_header_instances_last_valid_wins_and_conflict_noted():
    value = tdm_from_headers([("tdm-reservation", "1"), ("tdm-reservation", "0"), ("tdm-reservation", "maybe")])
    assert value.reservation == 0
    note = value.evidence[0].note
    assert "conflicting" in note and "protocol error" in note


def test_comma_folded_header_read_as_instances():
    assert tdm_from_headers([("tdm-reservation", "1, 1")]).reservation == 1


def test_no_headers_is_unset_without_evidence():
    assert tdm_from_headers([("content-type", "text/html")]) == UNSET


def test_policy_header_without_reservation_is_ignored():
    value = tdm_from_headers([("tdm-policy", "https://example.com/p")])
    assert value.reservation is None and value.policy is None
    assert "without tdm-reservation" in value.evidence[0].note


def test_meta_tags():
    value = tdm_from_meta([("description", "x"), ("tdm-reservation", "1"), ("tdm-policy", "https://example.com/p")])
    assert (value.reservation, value.policy, value.source) == (1, "https://example.com/p", "meta")
    assert tdm_from_meta([("tdm-reservation", "yes")]).reservation is None


def test_resolve_all_unset_keeps_evidence():
    resolved = resolve_tdm(TdmRepFile.unreachable(SOURCE, "timeout").lookup("https://example.com/"), tdm_from_headers([("tdm-reservation", "2")]))
    assert resolved.reservation is None and resolved.source is None
    assert len(resolved.evidence) == 2
    assert tdm_finding(resolved) is None


def test_finding_for_unset_is_none():
    assert tdm_finding(UNSET) is None


# -- properties ---------------------------------------------------------------

_json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(["location", "tdm-reservation", "tdm-policy", "x"]), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    body=st.binary(max_size=2000) | st.sampled_from([b"\x00\x00", b"\xef\xbb", b"\xef\xbb\xbf\r[\r]", b"[" * 5000, b'[{"location":"\xff","tdm-reservation":1}]']),
    status=st.integers(min_value=-5, max_value=1000),
    content_type=st.none() | st.text(max_size=40),
    url=st.text(max_size=200),
)
def test_parse_never_raises_on_arbitrary_bytes(body, status, content_type, url):
    parsed = TdmRepFile.parse(body, status=status, content_type=content_type, source_url=SOURCE)
    assert parsed.state in ("valid", "not-implemented", "malformed", "unreachable")
    value = parsed.lookup(url or "/")
    assert isinstance(value, TdmValue) and value.reservation in (None, 0, 1)


@settings(max_examples=200, deadline=None)
@given(data=_json_like, url=st.text(max_size=100))
def test_parse_never_raises_on_arbitrary_json(data, url):
    body = json.dumps(data).encode()
    parsed = TdmRepFile.parse(body, status=200, content_type="application/json", source_url=SOURCE)
    value = parsed.lookup("/" + url)
    assert value.reservation in (None, 0, 1)
    if value.reservation != 1:
        assert value.policy is None


@settings(max_examples=200, deadline=None)
@given(pairs=st.lists(st.tuples(st.sampled_from(["tdm-reservation", "TDM-Policy", "x"]), st.text(max_size=50)), max_size=8))
def test_headers_and_meta_never_raise(pairs):
    for value in (tdm_from_headers(pairs), tdm_from_meta([(k.lower(), v) for k, v in pairs])):
        assert isinstance(value, TdmValue) and value.reservation in (None, 0, 1)
        if value.reservation != 1:
            assert value.policy is None
        for evidence in value.evidence:
            assert "\n" not in evidence.value and "\r" not in evidence.value
