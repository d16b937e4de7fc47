"""RSL 1.0 documents, CAP answers and Link discovery: reference cases 42–44."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.rights.evidence import FindingKind, Usage, Use
from crawler.rights.policy import PolicyProfile, decide
from crawler.rights.rsl import (
    RSL_PARSE_LIMIT_BYTES,
    RslContent,
    RslDocument,
    RslTerms,
    cap_finding,
    rsl_findings,
    rsl_links_from_headers,
)

SOURCE = "https://ex.com/license.xml"
NS = 'xmlns="https://rslstandard.org/rsl"'


def rsl(inner: str, ns: str = NS) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<rsl {ns}>\n{inner}\n</rsl>\n'.encode()


def doc_of(inner: str, ns: str = NS) -> RslDocument:
    return RslDocument.parse(rsl(inner, ns), source_url=SOURCE)


def by_reason(findings) -> dict[str, object]:
    return {f.reason: f for f in findings}


def combined_usage(findings) -> Usage:
    usage = Usage()
    for f in findings:
        usage = usage.combine(f.usage)
    return usage


# -- case 42 -------------------------------------------------------------------

CASE_42 = """
<content url="/premium/*" server="https://ls.ex.com">
  <license><permits type="usage">ai-train</permits></license>
</content>
"""


def test_case_42_licence_server_means_skip():
    doc = doc_of(CASE_42)
    assert doc.state == "valid"
    findings = rsl_findings(doc, "https://ex.com/premium/a")
    found = by_reason(findings)
    required = found["rsl-license-required"]
    assert required.signal == "rsl"
    assert required.kind is FindingKind.FETCH and required.restrictive
    assert 'server="https://ls.ex.com"' in required.evidence[0].value
    assert required.evidence[0].source == SOURCE
    assert required.evidence[0].line == 4  # CASE_42 starts with a newline
    decision = decide(findings)
    assert decision.excluded and decision.reason == "rsl-license-required"


def test_case_42_urls_outside_any_content_are_unaffected():
    doc = doc_of(CASE_42)
    assert rsl_findings(doc, "https://ex.com/free/a") == []
    assert rsl_findings(doc, "https://ex.com/premium") == []
    assert doc.match("https://ex.com/free/a") is None


def test_case_42_empty_server_attribute_still_requires_a_licence():
    doc = doc_of('<content url="/" server=""><license/></content>')
    assert "rsl-license-required" in by_reason(rsl_findings(doc, "https://ex.com/x"))


# -- case 43 -------------------------------------------------------------------

CASE_43 = """
<content url="/">
  <license>
    <prohibits type="usage">ai-train</prohibits>
    <permits type="usage">search</permits>
  </license>
</content>
"""


def test_case_43_prohibits_ai_train_permits_search():
    findings = rsl_findings(doc_of(CASE_43), "https://ex.com/article")
    found = by_reason(findings)
    prohibits = found["rsl-prohibits-ai-train"]
    assert prohibits.kind is FindingKind.USE and prohibits.restrictive
    assert prohibits.usage.train is Use.DENY and prohibits.usage.tdm is Use.DENY
    assert prohibits.usage.ai_input is Use.UNKNOWN
    assert "prohibits usage: ai-train" in prohibits.evidence[1].value
    assert not any(f.kind is FindingKind.FETCH for f in findings)  # fetch allowed
    usage = combined_usage(findings)
    assert usage.train is Use.DENY and usage.search is Use.ALLOW
    assert decide(findings).reason == "rsl-prohibits-ai-train"


def test_case_43_ai_all_denies_training_and_ai_input():
    doc = doc_of('<content url="/"><license><prohibits type="usage">ai-all</prohibits></license></content>')
    finding = by_reason(rsl_findings(doc, "https://ex.com/x"))["rsl-prohibits-ai-train"]
    assert finding.usage == Usage(train=Use.DENY, tdm=Use.DENY, ai_input=Use.DENY)


def test_case_43_all_denies_search_too():
    doc = doc_of('<content url="/"><license><prohibits type="usage">all</prohibits></license></content>')
    finding = by_reason(rsl_findings(doc, "https://ex.com/x"))["rsl-prohibits-ai-train"]
    assert finding.usage == Usage(train=Use.DENY, tdm=Use.DENY, ai_input=Use.DENY, search=Use.DENY)


def test_permits_ai_train_is_recorded_not_restrictive():
    doc = doc_of('<content url="/"><license><permits type="usage">ai-train, search</permits></license></content>')
    findings = rsl_findings(doc, "https://ex.com/x")
    assert [f.reason for f in findings] == ["rsl-permits-ai-train"]
    assert findings[0].restrictive is False
    assert findings[0].usage.train is Use.ALLOW and findings[0].usage.search is Use.ALLOW
    assert not decide(findings).excluded


def test_prohibition_outranks_permission_in_the_same_content():
    doc = doc_of(
        '<content url="/"><license><permits type="usage">all</permits>'
        '<prohibits type="usage">ai-train</prohibits></license></content>'
    )
    usage = combined_usage(rsl_findings(doc, "https://ex.com/x"))
    assert usage.train is Use.DENY
    assert usage.search is Use.ALLOW


def test_prohibiting_only_ai_input_is_recorded_without_restricting_training():
    doc = doc_of('<content url="/"><license><prohibits type="usage">ai-input</prohibits></license></content>')
    findings = rsl_findings(doc, "https://ex.com/x")
    assert [f.reason for f in findings] == ["rsl-prohibits-other-use"]
    assert findings[0].restrictive is False and findings[0].usage.ai_input is Use.DENY


def test_usage_tokens_are_case_sensitive_and_unknown_ones_noted():
    doc = doc_of('<content url="/"><license><prohibits type="usage">AI-Train ai-search</prohibits></license></content>')
    findings = rsl_findings(doc, "https://ex.com/x")
    assert [(f.reason, f.restrictive) for f in findings] == [("rsl-unknown-usage-token", False)]
    assert findings[0].evidence[1].value == "AI-Train ai-search"
    assert combined_usage(findings) == Usage()  # a licence without permits names no permission
    terms = doc.contents[0].licenses[0]
    assert terms.prohibits == {"usage": frozenset({"AI-Train", "ai-search"})}
    mixed = doc_of('<content url="/"><license><prohibits type="usage">ai-train,AI-ALL</prohibits></license></content>')
    finding = rsl_findings(mixed, "https://ex.com/x")[0]
    assert finding.usage.ai_input is Use.UNKNOWN
    assert "AI-ALL" in finding.evidence[1].note


def test_terms_record_user_and_geo_types():
    doc = doc_of(
        '<content url="/"><license><permits type="user">non-commercial education</permits>'
        '<prohibits type="geo">US,CA</prohibits><payment type="free"/></license></content>'
    )
    terms = doc.contents[0].licenses[0]
    assert terms.permits == {"user": frozenset({"non-commercial", "education"})}
    assert terms.prohibits == {"geo": frozenset({"US", "CA"})}
    assert terms.payments == ("free",)
    assert hash(terms) == hash(RslTerms(payments=("free",)))  # still hashable


# -- payment -------------------------------------------------------------------


def test_a_paid_licence_is_a_training_reservation_not_a_fetch_gate():
    doc = doc_of(
        '<content url="/"><license><permits type="usage">ai-train</permits>'
        '<payment type="training"><amount currency="USD">10</amount></payment></license></content>'
    )
    findings = rsl_findings(doc, "https://ex.com/x")
    found = by_reason(findings)
    reservation = found["rsl-payment-required:training"]
    assert reservation.kind is FindingKind.USE and reservation.restrictive
    assert reservation.usage.train is Use.DENY and reservation.usage.tdm is Use.DENY
    assert "payment: training" in reservation.evidence[1].value
    # a permission that must be paid for is not recorded as ours
    assert "rsl-permits-ai-train" not in found
    assert decide(findings).reason == "rsl-payment-required:training"
    research = PolicyProfile(name="research-exception", honoured=frozenset())
    assert not decide(findings, research).excluded
    assert decide(findings, research).reservations == ("rsl-payment-required:training",)


def test_free_payment_or_a_free_alternative_licence_for_training_is_not_a_reservation():
    free = doc_of('<content url="/"><license><payment type="free"/></license></content>')
    assert rsl_findings(free, "https://ex.com/x") == []
    alternative = doc_of(
        '<content url="/"><license><payment type="purchase"/></license>'
        '<license><permits type="usage">search ai-train</permits></license></content>'
    )
    found = by_reason(rsl_findings(alternative, "https://ex.com/x"))
    assert list(found) == ["rsl-permits-ai-train"]


def test_permits_only_under_a_subscription_is_a_reservation_naming_it():
    # mcpjunction.ai/license.xml (rickstek/mcpjunction public/license.xml @963b701):
    # search free, ai-input for attribution, ai-train only under a subscription.
    doc = doc_of(
        '<content url="/">'
        '<license><permits type="usage">search</permits><payment type="free"/></license>'
        '<license><permits type="usage">ai-input</permits><payment type="attribution"><custom>https://ex.com/l</custom></payment></license>'
        '<license><permits type="usage">ai-train</permits><payment type="subscription"><custom>https://ex.com/l</custom></payment></license>'
        "</content>"
    )
    findings = rsl_findings(doc, "https://ex.com/servers/github")
    decision = decide(findings)
    assert decision.excluded and decision.reason == "rsl-payment-required:subscription"
    assert "permits usage: ai-train" in decision.evidence[1].value
    usage = combined_usage(findings)
    assert usage.train is Use.DENY and usage.search is Use.ALLOW and usage.ai_input is Use.ALLOW


def test_attribution_is_a_condition_we_meet_and_the_licence_is_recorded():
    # adrianofoschi.com/license.xml (adrianofoschi/adrianofoschi.github.io public/license.xml @f5935ea):
    # every use, the price is attribution under CC BY 4.0.
    doc = doc_of(
        '<content url="/"><license><permits type="usage">all</permits><payment type="attribution">'
        "<standard>https://creativecommons.org/licenses/by/4.0/</standard></payment></license></content>"
    )
    findings = rsl_findings(doc, "https://ex.com/blog/post")
    assert [(f.reason, f.kind, f.restrictive) for f in findings] == [("rsl-permits-ai-train", FindingKind.USE, False)]
    assert not decide(findings).excluded
    licence = findings[0].evidence[1]
    assert "payment: attribution" in licence.value and "creativecommons.org/licenses/by/4.0" in licence.value
    assert "condition: attribution" in licence.note


def test_a_typeless_empty_payment_is_free_but_one_naming_a_process_or_an_unknown_type_is_not():
    empty = doc_of('<content url="/"><license><permits type="usage">all</permits><payment/></license></content>')
    assert [f.reason for f in rsl_findings(empty, "https://ex.com/x")] == ["rsl-permits-ai-train"]
    for payment, reason in (
        ("<payment><custom>https://ex.com/ai-license-request</custom></payment>", "rsl-payment-required:unspecified"),
        ('<payment type="whatever"/>', "rsl-payment-required:whatever"),
        ('<payment type="contribution"/>', "rsl-payment-required:contribution"),
        ('<payment type="crawl"><amount currency="USD">0.015</amount></payment>', "rsl-payment-required:crawl"),
    ):
        doc = doc_of(f'<content url="/"><license><permits type="usage">ai-all</permits>{payment}</license></content>')
        found = by_reason(rsl_findings(doc, "https://ex.com/x"))
        assert reason in found and found[reason].kind is FindingKind.USE, payment


def test_a_usage_permits_allows_only_what_it_lists():
    # RSL 1.0 3.5: with a <permits type="usage">, only the listed usages are licensed.
    doc = doc_of('<content url="/"><license><permits type="usage">search ai-input</permits></license></content>')
    findings = rsl_findings(doc, "https://ex.com/x")
    found = by_reason(findings)
    assert found["rsl-not-licensed-ai-train"].restrictive
    assert found["rsl-permits-use"].usage.search is Use.ALLOW
    assert decide(findings).reason == "rsl-not-licensed-ai-train"


def test_train_ai_is_read_as_ai_train():
    # sourcelibrary.org/license.xml (Embassy-of-the-Free-Mind/sourcelibrary-v2 public/license.xml @a3c9720):
    # the second licence prohibits "train-ai", the spelling of RSL's "prohibit AI training" template.
    doc = doc_of(
        '<content url="https://ex.com/">'
        '<license><permits type="usage">search</permits><permits type="usage">ai-input</permits>'
        '<payment type="attribution"><standard>https://creativecommons.org/licenses/by-sa/4.0/</standard></payment></license>'
        '<license><prohibits type="usage">train-ai</prohibits><payment type="purchase"><custom>https://ex.com/l</custom></payment></license>'
        "</content>"
    )
    findings = rsl_findings(doc, "https://ex.com/book/x")
    found = by_reason(findings)
    assert "rsl-unknown-usage-token" not in found
    prohibits = found["rsl-prohibits-ai-train"]
    assert prohibits.usage.train is Use.DENY
    assert "train-ai = ai-train" in prohibits.evidence[1].note
    assert all(f.kind is FindingKind.USE for f in findings)  # fetched: the payments gate nothing


# -- matching ------------------------------------------------------------------


def test_longest_match_wins_and_the_overlap_is_noted():
    doc = doc_of(
        '<content url="/"><license><permits type="usage">ai-train</permits></license></content>'
        '<content url="/news/*"><license><prohibits type="usage">ai-train</prohibits></license></content>'
    )
    assert doc.match("https://ex.com/news/a").index == 1
    assert doc.match("https://ex.com/about").index == 0
    finding = rsl_findings(doc, "https://ex.com/news/a")[0]
    assert finding.reason == "rsl-prohibits-ai-train"
    assert "longest pattern used" in finding.evidence[0].note


def test_equal_length_tie_takes_document_order_and_is_noted():
    doc = doc_of(
        '<content url="/a*"><license><permits type="usage">ai-train</permits></license></content>'
        '<content url="/*b"><license><prohibits type="usage">ai-train</prohibits></license></content>'
    )
    assert doc.match("https://ex.com/ab").index == 0
    finding = rsl_findings(doc, "https://ex.com/ab")[0]
    assert finding.reason == "rsl-permits-ai-train"
    assert "equal length, first in document order used" in finding.evidence[0].note


def test_rfc9309_dollar_anchor():
    doc = doc_of('<content url="/*.pdf$" server="https://ls.ex.com"/>')
    assert doc.match("https://ex.com/a.pdf") is not None
    assert doc.match("https://ex.com/a.pdf?x=1") is None


def test_full_url_content_must_match_scheme_host_and_port():
    doc = doc_of('<content url="https://Ex.com/premium/*" server="https://ls.ex.com"/>')
    assert doc.match("https://ex.com/premium/a") is not None
    assert doc.match("https://ex.com:443/premium/a") is not None
    assert doc.match("http://ex.com/premium/a") is None
    assert doc.match("https://other.com/premium/a") is None
    assert doc.match("https://ex.com:8443/premium/a") is None
    assert doc.match("https://ex.com/free") is None


def test_full_url_content_without_path_covers_the_site():
    doc = doc_of('<content url="https://ex.com"><license><prohibits type="usage">ai-all</prohibits></license></content>')
    assert doc.match("https://ex.com/any/thing") is not None


def test_content_without_url_matches_nothing():
    doc = doc_of('<content><license><prohibits type="usage">all</prohibits></license></content>')
    assert doc.state == "valid"
    assert rsl_findings(doc, "https://ex.com/") == []
    assert "without url" in doc.note


# -- the document ------------------------------------------------------------------


def test_namespace_is_recorded_and_both_forms_accepted():
    with_ns = doc_of(CASE_43)
    without = doc_of(CASE_43, ns="")
    assert with_ns.namespaced is True and without.namespaced is False
    assert "without the RSL namespace" in without.note
    for doc in (with_ns, without):
        assert "rsl-prohibits-ai-train" in by_reason(rsl_findings(doc, "https://ex.com/x"))


def test_rss_feed_with_rsl_module():
    feed = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:rsl="https://rslstandard.org/rsl">
 <channel><title>t</title>
  <item><title>a</title>
   <rsl:content url="/posts/a">
     <rsl:license><rsl:prohibits type="usage">ai-train</rsl:prohibits></rsl:license>
   </rsl:content>
  </item>
 </channel>
</rss>"""
    doc = RslDocument.parse(feed, source_url="https://ex.com/feed.xml")
    assert doc.state == "valid"
    assert doc.contents[0].url == "/posts/a"
    assert "rsl-prohibits-ai-train" in by_reason(rsl_findings(doc, "https://ex.com/posts/a"))


def test_parse_records_digest_and_contents():
    body = rsl(CASE_42)
    doc = RslDocument.parse(body, source_url=SOURCE)
    assert doc.sha256 == hashlib.sha256(body).hexdigest()
    assert doc.source_url == SOURCE
    assert doc.contents == (
        RslContent(
            url="/premium/*",
            server="https://ls.ex.com",
            licenses=(RslTerms(permits={"usage": frozenset({"ai-train"})}),),
            index=0,
            line=4,
        ),
    )


def test_malformed_xml_is_recorded_and_blocks_fetch():
    doc = RslDocument.parse(b"<rsl><content url='/'>", source_url=SOURCE)
    assert doc.state == "malformed"
    assert doc.note.startswith("malformed")
    findings = rsl_findings(doc, "https://ex.com/x")
    assert [(f.reason, f.kind, f.restrictive) for f in findings] == [("rsl-malformed", FindingKind.FETCH, True)]


def test_html_page_served_as_licence_is_malformed():
    doc = RslDocument.parse(b"<html><body>Not found</body></html>", source_url=SOURCE)
    assert doc.state == "malformed"
    assert "not <rsl>" in doc.note


def test_rsl_without_content_is_malformed():
    assert doc_of("").state == "malformed"


def test_too_large_document_is_malformed_without_parsing():
    doc = RslDocument.parse(b" " * (RSL_PARSE_LIMIT_BYTES + 1), source_url=SOURCE)
    assert doc.state == "malformed" and "larger than" in doc.note


def test_leading_whitespace_and_bom_are_tolerated():
    assert RslDocument.parse(b"\n  " + rsl(CASE_43), source_url=SOURCE).state == "valid"
    assert RslDocument.parse(b"\xef\xbb\xbf" + rsl(CASE_43), source_url=SOURCE).state == "valid"


def test_external_entities_are_not_resolved():
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rsl [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<rsl xmlns="https://rslstandard.org/rsl"><content url="/&x;"/></rsl>'
    )
    doc = RslDocument.parse(body, source_url=SOURCE)
    assert all("root:" not in c.url for c in doc.contents)


def test_entity_expansion_bomb_is_harmless():
    lol = "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rsl [<!ENTITY l0 "lol">{lol}]>'
        f'<rsl xmlns="https://rslstandard.org/rsl"><content url="/&l9;"/></rsl>'
    ).encode()
    doc = RslDocument.parse(body, source_url=SOURCE)
    assert doc.state in ("valid", "malformed")
    assert all(len(c.url) < 1000 for c in doc.contents)


def test_unavailable_document_gives_no_findings_here():
    doc = RslDocument.unavailable(SOURCE, "HTTP 404")
    assert doc.state == "unavailable" and doc.note == "HTTP 404" and doc.contents == ()
    assert rsl_findings(doc, "https://ex.com/x") == []


# -- case 44: CAP --------------------------------------------------------------------


def test_case_44_402_with_license_challenge():
    finding = cap_finding(402, [("WWW-Authenticate", 'License realm="ex", server="https://ls.ex.com"')])
    assert finding is not None
    assert finding.signal == "rsl" and finding.reason == "rsl-cap-402"
    assert finding.kind is FindingKind.FETCH and finding.restrictive
    assert finding.evidence[0].source == "header:WWW-Authenticate"
    assert decide([finding]).reason == "rsl-cap-402"


def test_case_44_401_and_one_of_several_challenges():
    finding = cap_finding(401, [("www-authenticate", 'Bearer realm="x"'), ("WWW-Authenticate", "Basic realm=y, LICENSE")])
    assert finding is not None and finding.reason == "rsl-cap-401"


def test_case_44_no_license_scheme_or_other_status_gives_nothing():
    assert cap_finding(402, [("WWW-Authenticate", 'Bearer realm="licensed"')]) is None
    assert cap_finding(402, []) is None
    assert cap_finding(200, [("WWW-Authenticate", "License")]) is None
    assert cap_finding(403, [("WWW-Authenticate", "License")]) is None


# -- Link discovery ----------------------------------------------------------------


def test_link_header_rsl_targets():
    headers = [
        ("Link", '<https://ex.com/license.xml>; rel="license"; type="application/rsl+xml"'),
        ("link", '<https://creativecommons.org/licenses/by/4.0/>; rel="license", '
                 '</rsl,2.xml>; rel="license alternate"; type="Application/RSL+XML"'),
        ("Link", '<https://ex.com/license.xml>; rel=license; type=application/rsl+xml'),
        ("Link", '<https://ex.com/style.css>; rel="stylesheet"; type="application/rsl+xml"'),
    ]
    assert rsl_links_from_headers(headers) == ("https://ex.com/license.xml", "/rsl,2.xml")


def test_link_header_garbage():
    assert rsl_links_from_headers([("Link", "<unterminated; rel=license")]) == ()
    assert rsl_links_from_headers([("Link", '<a>; rel="license; type="application/rsl+xml"')]) == ()
    assert rsl_links_from_headers([]) == ()


# -- properties ----------------------------------------------------------------

_garbage = st.binary(max_size=600) | st.sampled_from(
    [
        b"\x00" * 50,
        b"\xef\xbb\xbf<rsl/>",
        b"<rsl>\r<content url='/'\r/>\r</rsl>",
        b"<rsl xmlns='https://rslstandard.org/rsl'><content url='\xff\xfe'/></rsl>",
        b"<" * 5000,
        b"<rsl>" + b"<x>" * 300 + b"</rsl>",
    ]
)


@settings(max_examples=200, deadline=None)
@given(_garbage, st.sampled_from(["https://ex.com/", "https://ex.com/a?b", "/x", "", "http://[::1"]))
def test_property_parse_never_raises(body, url):
    doc = RslDocument.parse(body, source_url=SOURCE)
    assert isinstance(doc, RslDocument)
    assert doc.state in ("valid", "malformed")
    assert isinstance(rsl_findings(doc, url), list)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=60),
    st.text(max_size=80),
)
def test_property_content_patterns_never_raise(pattern, url):
    from xml.sax.saxutils import quoteattr

    doc = doc_of(f"<content url={quoteattr(pattern)} server='s'/>")
    assert isinstance(rsl_findings(doc, url), list)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=999), st.lists(st.tuples(st.text(max_size=20), st.text(max_size=200)), max_size=5))
def test_property_headers_never_raise(status, headers):
    finding = cap_finding(status, headers)
    assert finding is None or finding.reason.startswith("rsl-cap-")
    assert isinstance(rsl_links_from_headers(headers), tuple)


def test_content_count_is_bounded_and_noted():
    from crawler.rights.rsl import MAX_CONTENTS

    inner = "".join(f'<content url="/p{i}/"/>' for i in range(MAX_CONTENTS + 5))
    doc = doc_of(inner)
    assert len(doc.contents) == MAX_CONTENTS
    assert "more than" in doc.note


def test_the_record_names_the_attribution_licence_of_a_stored_page():
    from crawler.rights.robots import RobotsTxt
    from crawler.rights.stages import OriginRights, PolicyFile, assess_request

    doc = doc_of(
        '<content url="/"><license><permits type="usage">all</permits><payment type="attribution">'
        "<standard>https://creativecommons.org/licenses/by/4.0/</standard></payment></license></content>"
    )
    robots = RobotsTxt.parse("License: https://ex.com/license.xml\nUser-agent: *\nAllow: /\n", "https://ex.com/robots.txt")
    origin = OriginRights("https://ex.com", robots, PolicyFile("robots", "https://ex.com/robots.txt", "ok"), rsl=(doc,))
    record = assess_request("https://ex.com/post", origin, "tdmcrawl").with_headers(200, []).with_page([]).record()
    assert record["reservations"] == [] and record["usage_train"] == "allow"
    assert record["rsl"].startswith('rsl-permits-ai-train: <content url="/"> | permits usage: all; payment: attribution')
    assert "creativecommons.org/licenses/by/4.0/" in record["rsl"]


def test_a_licence_for_other_user_classes_grants_us_nothing():
    only_commercial = doc_of(
        '<content url="/"><license><permits type="usage">all</permits><permits type="user">commercial</permits>'
        '<payment type="free"/></license></content>'
    )
    assert decide(rsl_findings(only_commercial, "https://ex.com/x")).reason == "rsl-not-licensed-ai-train"
    research = doc_of(
        '<content url="/"><license><permits type="usage">ai-train</permits><permits type="user">non-commercial education</permits>'
        "</license></content>"
    )
    assert [f.reason for f in rsl_findings(research, "https://ex.com/x")] == ["rsl-permits-ai-train"]
    not_for_us = doc_of(
        '<content url="/"><license><permits type="usage">all</permits><prohibits type="user">non-commercial</prohibits>'
        "</license></content>"
    )
    assert decide(rsl_findings(not_for_us, "https://ex.com/x")).reason == "rsl-not-licensed-ai-train"
