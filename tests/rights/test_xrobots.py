"""X-Robots-Tag and meta robots: reference cases 45–48 and the scoping rules."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.rights.evidence import FindingKind, Usage, Use
from crawler.rights.policy import decide
from crawler.rights.xrobots import (
    NO_DIRECTIVES,
    RobotsDirectives,
    flag_findings,
    from_meta_robots,
    from_x_robots_tag,
    merge_directives,
    noai_finding,
)

TOKEN = "tdmcrawl"


def xrt(*values: str) -> RobotsDirectives:
    return from_x_robots_tag([("X-Robots-Tag", v) for v in values], TOKEN)


def reasons(findings) -> list[str]:
    return [f.reason for f in findings]


# -- case 45 -------------------------------------------------------------------


def test_case_45_noai_header_denies_training_and_ai_input():
    d = xrt("noai")
    finding = noai_finding(d, source_family="x-robots-tag")
    assert finding is not None
    assert finding.signal == "x-robots-tag"
    assert finding.reason == "noai"
    assert finding.kind is FindingKind.USE
    assert finding.restrictive is True
    assert finding.usage == Usage(train=Use.DENY, ai_input=Use.DENY)
    assert finding.evidence[0].source == "header:X-Robots-Tag"
    assert finding.evidence[0].value == "noai"


def test_case_45_noai_is_case_insensitive():
    d = xrt("NoAI")
    assert d.directives == frozenset({"noai"})
    assert noai_finding(d, source_family="x-robots-tag") is not None


def test_case_45_every_header_instance_is_read():
    d = from_x_robots_tag([("X-Robots-Tag", "noindex"), ("Content-Type", "image/png"), ("x-robots-tag", "noimageai")], TOKEN)
    assert d.directives == frozenset({"noindex", "noimageai"})
    assert d.raw == ("noindex", "noimageai")
    finding = noai_finding(d, source_family="x-robots-tag")
    assert finding is not None and finding.usage.train is Use.DENY
    # only the instance that said noimageai is cited
    assert [e.value for e in finding.evidence] == ["noimageai"]
    assert decide([finding]).reason == "noai"


def test_case_45_comma_separated_directives_in_one_instance():
    d = xrt("noindex, NOIMAGEAI ,nofollow")
    assert d.directives == frozenset({"noindex", "noimageai", "nofollow"})
    assert d.noai and d.noindex and d.nofollow


# -- case 46 -------------------------------------------------------------------


def test_case_46_instance_scoped_to_other_agent_does_not_apply():
    d = xrt("otherbot: noindex, noai")
    assert d.directives == frozenset()
    assert d.ignored == ("otherbot: noindex", "otherbot: noai")
    assert noai_finding(d, source_family="x-robots-tag") is None
    assert flag_findings(d, source_family="x-robots-tag") == []
    assert "otherbot" in d.evidence[0].note
    assert d.raw == ("otherbot: noindex, noai",)


def test_case_46_other_agent_scope_does_not_leak_into_the_next_instance():
    d = xrt("otherbot: noai", "noarchive")
    assert d.directives == frozenset({"noarchive"})
    assert not d.noai


def test_instance_scoped_to_our_token_applies():
    for value in ("tdmcrawl: noai", "TDMCrawl: noai", "tdmcrawl/2.1: noai"):
        d = xrt(value)
        assert d.noai, value
        assert d.ignored == ()


def test_scope_switches_within_one_instance():
    d = xrt("noindex, otherbot: noai, tdmcrawl: noimageai")
    assert d.directives == frozenset({"noindex", "noimageai"})
    assert d.ignored == ("otherbot: noai",)


def test_valued_directives_are_not_mistaken_for_scopes():
    d = xrt("max-snippet:20, noai")
    assert d.noai and "max-snippet:20" in d.directives
    d = xrt("max-image-preview:large, noarchive")
    assert d.noarchive and d.ignored == ()
    d = xrt("max-video-preview:-1, noimageai")
    assert d.noai
    d = xrt("unavailable_after: 25 Jun 2010 15:00:00 PST, noai")
    assert d.noai
    assert "unavailable_after:25 jun 2010 15:00:00 pst" in d.directives


def test_unknown_directive_with_a_value_does_not_swallow_what_follows():
    d = xrt("max-foo: 3, noai")
    assert d.noai
    assert d.ignored == ()


def test_rfc850_date_split_at_its_comma_stays_one_directive():
    d = xrt("unavailable_after: Friday, 25-Jun-10 15:00:00 PST, noai")
    assert d.noai
    assert "unavailable_after:friday, 25-jun-10 15:00:00 pst" in d.directives
    assert len(d.directives) == 2


def test_broken_directive_with_colon_is_not_a_scope():
    d = xrt("noindex:, noai")
    assert d.noai


# -- case 47 -------------------------------------------------------------------


def test_case_47_noindex_nofollow_meta_leaves_usage_unaffected():
    d = from_meta_robots([("robots", "noindex, nofollow")], TOKEN)
    assert noai_finding(d, source_family="meta-robots") is None
    flags = flag_findings(d, source_family="meta-robots")
    assert reasons(flags) == ["noai-flag-noindex", "noai-flag-nofollow"]
    assert all(not f.restrictive and f.usage == Usage() and f.signal == "meta-robots" for f in flags)
    assert d.nofollow and d.noindex
    decision = decide(flags)
    assert not decision.excluded and decision.usage == Usage()


def test_case_47_noindex_as_reservation_profile_option():
    d = from_meta_robots([("robots", "noindex, nofollow")], TOKEN)
    flags = flag_findings(d, source_family="meta-robots", noindex_as_reservation=True)
    assert reasons(flags) == ["noai-noindex", "noai-flag-nofollow"]
    reservation = flags[0]
    assert reservation.restrictive and reservation.kind is FindingKind.USE
    assert reservation.usage.train is Use.DENY
    assert decide(flags).reason == "noai-noindex"


def test_none_means_noindex_and_nofollow():
    d = from_meta_robots([("robots", "none")], TOKEN)
    assert d.noindex and d.nofollow and not d.noai
    assert reasons(flag_findings(d, source_family="meta-robots")) == ["noai-flag-noindex", "noai-flag-nofollow"]


# -- case 48 -------------------------------------------------------------------


def test_case_48_noarchive_is_a_flag_only():
    d = from_meta_robots([("robots", "noarchive")], TOKEN)
    assert d.noarchive
    flags = flag_findings(d, source_family="meta-robots")
    assert reasons(flags) == ["noai-flag-noarchive"]
    assert flags[0].restrictive is False
    assert flags[0].usage.train is Use.UNKNOWN
    assert flags[0].evidence[0].source == "meta:robots"
    assert noai_finding(d, source_family="meta-robots") is None


def test_case_48_nocache_flag():
    d = xrt("nocache")
    assert reasons(flag_findings(d, source_family="x-robots-tag")) == ["noai-flag-nocache"]


# -- meta specifics ------------------------------------------------------------


def test_meta_names_robots_and_our_token_only():
    metas = [
        ("description", "noai"),
        ("googlebot", "noai"),
        ("ROBOTS", "noindex"),
        ("TDMCrawl", "noimageai"),
    ]
    d = from_meta_robots(metas, TOKEN)
    assert d.directives == frozenset({"noindex", "noimageai"})
    assert [e.source for e in d.evidence] == ["meta:robots", "meta:tdmcrawl"]
    finding = noai_finding(d, source_family="meta-robots")
    assert finding is not None
    assert [e.source for e in finding.evidence] == ["meta:tdmcrawl"]


def test_deviantart_meta():
    d = from_meta_robots([("robots", "noai, noimageai")], TOKEN)
    f = noai_finding(d, source_family="meta-robots")
    assert f is not None and f.signal == "meta-robots" and f.reason == "noai"


def test_nothing_seen_gives_no_directives():
    assert from_x_robots_tag([("Content-Type", "text/html")], TOKEN) is NO_DIRECTIVES
    assert from_meta_robots([], TOKEN) is NO_DIRECTIVES
    assert noai_finding(NO_DIRECTIVES, source_family="x-robots-tag") is None
    assert flag_findings(NO_DIRECTIVES, source_family="x-robots-tag") == []


def test_merge_directives_keeps_every_source():
    header = xrt("noarchive")
    meta = from_meta_robots([("robots", "noai")], TOKEN)
    merged = merge_directives(header, NO_DIRECTIVES, meta)
    assert merged.directives == frozenset({"noarchive", "noai"})
    assert merged.raw == ("noarchive", "noai")
    assert [e.signal for e in merged.evidence] == ["x-robots-tag", "meta-robots"]
    finding = noai_finding(merged, source_family="meta-robots")
    assert [e.source for e in finding.evidence] == ["meta:robots"]
    assert merge_directives() is NO_DIRECTIVES
    assert merge_directives(header) is header


def test_evidence_cannot_inject_lines():
    d = xrt("noai\r\nX-Injected: 1")
    assert "\n" not in d.evidence[0].value and "\r" not in d.evidence[0].value


def test_huge_header_is_read_in_part_and_noted():
    d = xrt("noai, " + "x" * 100_000)
    assert d.noai
    assert "malformed" in d.evidence[0].note


def test_many_header_instances_are_bounded():
    d = from_x_robots_tag([("X-Robots-Tag", "nofollow")] * 500, TOKEN)
    assert d.nofollow
    assert len(d.raw) == 64
    assert "malformed" in d.evidence[-1].note


# -- properties ----------------------------------------------------------------

_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=400) | st.sampled_from(
    ["\x00noai", "\ufeffnoai", "noai\rnoindex", "a:" * 200, ":" * 50, ",,,", "x: y: z: noai"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["X-Robots-Tag", "x-robots-tag", "Other"]), _text), max_size=6), _text)
def test_property_headers_never_raise(headers, token):
    d = from_x_robots_tag(headers, token or TOKEN)
    assert isinstance(d, RobotsDirectives)
    assert all(isinstance(x, str) for x in d.directives)
    assert len(d.applied) == len(d.evidence)
    f = noai_finding(d, source_family="x-robots-tag")
    assert f is None or f.restrictive
    assert isinstance(flag_findings(d, source_family="x-robots-tag", noindex_as_reservation=True), list)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["robots", "tdmcrawl", "ROBOTS", "x"]), _text), max_size=6))
def test_property_meta_never_raises(metas):
    d = from_meta_robots(metas, TOKEN)
    assert isinstance(d, RobotsDirectives)
    merged = merge_directives(d, xrt("noai"))
    assert merged.noai


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_property_latin1_decoded_bytes_never_raise(raw):
    d = xrt(raw.decode("latin-1"))
    assert isinstance(d, RobotsDirectives)
