"""Licence detection: reference cases 52-57, the false-positive traps of section 7.4,
the CC URL -> SPDX mapping, and properties of the parsers on arbitrary input.

Pages are realistic fixtures under ``fixtures/licence/`` (original prose); short
inline pages are used only where one attribute is the point of the test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import lxml.html
import pytest
from hypothesis import given, settings, strategies as st

from crawler.rights.evidence import EVIDENCE_VALUE_LIMIT
from crawler.rights.licence import (
    MAX_CANDIDATES,
    LicenceResult,
    cc_url_to_spdx,
    detect_licences,
    licence_family,
    licence_name_to_spdx,
    normalise_licence_url,
    restrictiveness,
)
from tests.growth import assert_linear_growth

FIXTURES = Path(__file__).parent / "fixtures" / "licence"
BASE = "https://site.example/2026/03/story.html"
_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_pis=True, collect_ids=False)


def parse(html: str | bytes) -> lxml.html.HtmlElement:
    """Parse the way crawler.page does: bytes through an explicit UTF-8 parser."""
    data = html.encode("utf-8", "surrogatepass") if isinstance(html, str) else html
    return lxml.html.document_fromstring(data, parser=_PARSER)


def fixture(name: str, *, headers=(), base_url: str = BASE) -> LicenceResult:  # type: ignore[no-untyped-def]
    return detect_licences(parse((FIXTURES / name).read_bytes()), base_url=base_url, headers=headers)


def page(head: str = "", body: str = "", footer: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Harbour works begin | The Example Gazette</title>{head}</head>
<body>
<header><a href="/">The Example Gazette</a><nav><a href="/news/">News</a> <a href="/about/">About</a></nav></header>
<main><article>
<h1>Harbour works begin after a long winter</h1>
<p>Crews arrived on Monday to start the dredging that the council approved in the autumn. The work
will close the western slipway for six weeks, and the ferry will use the temporary pontoon.</p>
{body}
<p>Residents can follow the progress on the council's notice board at the library.</p>
</article></main>
<footer>{footer}</footer>
</body></html>"""


def detect(html: str, *, headers=(), base_url: str = BASE) -> LicenceResult:  # type: ignore[no-untyped-def]
    return detect_licences(parse(html), base_url=base_url, headers=headers)


def page_level(result: LicenceResult) -> list:  # type: ignore[type-arg]
    return [c for c in result.candidates if c.applies_to_page]


# ---------------------------------------------------------------- reference cases 52-57
def test_case_52_footer_chooser_link_with_noopener_and_query() -> None:
    result = fixture("blog_footer_chooser.html")
    assert (result.license, result.source, result.ambiguous) == ("CC-BY-SA-4.0", "a-rel", False)
    (candidate,) = result.candidates  # the chooser's icons inside the link are not extra declarations
    assert candidate.url == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert (candidate.location, candidate.confidence, candidate.applies_to_page) == ("footer", "medium", True)
    assert candidate.evidence.signal == "licence" and candidate.evidence.source == "html"
    assert 'rel="license noopener noreferrer"' in candidate.evidence.value
    assert candidate.evidence.line == 25


def test_case_52_rel_tokens_are_case_insensitive() -> None:
    footer = '<p>Text is available under <a rel="NoOpener LICENSE" href="http://creativecommons.org/licenses/by-sa/4.0/?ref=chooser-v1">CC BY-SA 4.0</a>.</p>'
    result = detect(page(footer=footer))
    assert result.license == "CC-BY-SA-4.0" and result.source == "a-rel"
    british = page(footer='<p>Text licensed <a rel="licence" href="https://creativecommons.org/licenses/by-sa/4.0/">CC BY-SA 4.0</a>.</p>')
    assert detect(british).license == "CC-BY-SA-4.0"


def test_case_53_cc0_link_in_head_is_high_confidence() -> None:
    result = fixture("dataset_notes_cc0.html")
    assert (result.license, result.source) == ("CC0-1.0", "link-rel")
    (candidate,) = result.candidates
    assert (candidate.location, candidate.confidence) == ("head", "high")
    assert "link-rel CC0-1.0 in head" in result.evidence


@pytest.mark.parametrize(
    ("url", "spdx"),
    [
        ("https://creativecommons.org/licenses/by-sa/3.0/fr/deed.fr", "LicenseRef-cc-by-sa-3.0-fr"),
        ("https://creativecommons.org/licenses/by/2.5/es/", "LicenseRef-cc-by-2.5-es"),
        ("https://creativecommons.org/licenses/by-nc-sa/3.0/us/", "LicenseRef-cc-by-nc-sa-3.0-us"),
        ("https://creativecommons.org/licenses/by-nd/3.0/igo/", "LicenseRef-cc-by-nd-3.0-igo"),
        ("https://creativecommons.org/licenses/by-nc-sa/2.0/uk/", "CC-BY-NC-SA-2.0-UK"),
        ("https://creativecommons.org/licenses/by-sa/2.0/uk/legalcode", "CC-BY-SA-2.0-UK"),
        ("http://creativecommons.org/licenses/by/3.0/igo/legalcode", "CC-BY-3.0-IGO"),
        ("https://creativecommons.org/licenses/by-sa/2.1/jp/", "CC-BY-SA-2.1-JP"),
        ("https://creativecommons.org/licenses/by/2.1/jp/", "LicenseRef-cc-by-2.1-jp"),
        ("https://creativecommons.org/licenses/by/3.0/de/", "CC-BY-3.0-DE"),
        ("https://creativecommons.org/licenses/by/3.0/us/", "CC-BY-3.0-US"),
        ("https://creativecommons.org/licenses/by/2.5/au/", "CC-BY-2.5-AU"),
        ("https://creativecommons.org/licenses/by-nc-sa/2.0/fr/", "CC-BY-NC-SA-2.0-FR"),
        ("https://creativecommons.org/licenses/by-nc-nd/3.0/igo/", "CC-BY-NC-ND-3.0-IGO"),
        ("https://creativecommons.org/licenses/by/2.5/scotland/", "LicenseRef-cc-by-2.5-scotland"),
        ("https://creativecommons.org/licenses/by-nd-nc/1.0/", "CC-BY-NC-ND-1.0"),
        ("https://creativecommons.org/licenses/by-nd-nc/2.0/jp/", "LicenseRef-cc-by-nc-nd-2.0-jp"),
    ],
)
def test_case_54_ports_never_collapse_to_the_unported_id(url: str, spdx: str) -> None:
    assert cc_url_to_spdx(url) == spdx


def test_case_54_french_page_with_ported_licence() -> None:
    result = fixture("carnet_ported_fr.html")
    assert result.license == "LicenseRef-cc-by-sa-3.0-fr"
    assert result.candidates[0].url == "https://creativecommons.org/licenses/by-sa/3.0/fr/"
    assert licence_family(result.license) == "share-alike"


def test_case_55_photo_caption_licence_belongs_to_the_photo() -> None:
    result = fixture("news_photo_caption.html")
    assert result.license is None and result.source is None and not result.ambiguous
    (candidate,) = result.candidates
    assert (candidate.spdx, candidate.location, candidate.applies_to_page, candidate.confidence) == ("CC-BY-2.0", "figure", False, "low")
    assert "figcaption" in candidate.evidence.note
    assert result.copyright_notice == "\u00a9 2026 Eastmoor Courier Ltd. All rights reserved."
    assert "not the page's: a-rel CC-BY-2.0 (figure)" in result.evidence


def test_case_55_credit_block_and_image_paragraph_without_figure() -> None:
    result = fixture("gallery_credit_div.html")
    assert result.license is None
    by_spdx = {c.spdx: c for c in result.candidates}
    assert set(by_spdx) == {"CC-BY-SA-2.0", "ODbL-1.0"}
    assert not any(c.applies_to_page for c in result.candidates)
    assert "photo-credit" in by_spdx["CC-BY-SA-2.0"].evidence.note
    assert "next to an image" in by_spdx["ODbL-1.0"].evidence.note and by_spdx["ODbL-1.0"].location == "figure"


def test_case_56_jsonld_and_footer_disagree_most_restrictive_wins() -> None:
    result = fixture("article_jsonld_vs_footer.html")
    assert (result.license, result.source, result.ambiguous) == ("CC-BY-NC-4.0", "jsonld", False)
    assert result.evidence.startswith("jsonld CC-BY-NC-4.0 chosen over a-rel CC-BY-4.0 (most restrictive)")
    recorded = {(c.source, c.spdx, c.applies_to_page) for c in result.candidates}
    # both page declarations recorded, and the image's own licence kept apart
    assert recorded == {("jsonld", "CC-BY-NC-4.0", True), ("a-rel", "CC-BY-4.0", True), ("jsonld", "CC-BY-4.0", False)}
    jsonld = next(c for c in result.candidates if c.source == "jsonld" and c.applies_to_page)
    assert jsonld.confidence == "high" and '"license": "https://creativecommons.org/licenses/by-nc/4.0/"' in jsonld.evidence.value


def test_case_56_most_restrictive_wins_whichever_carrier_holds_it() -> None:
    head = '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle", "license": "https://creativecommons.org/licenses/by/4.0/"}</script>'
    footer = '<p>Stories are licensed <a rel="license" href="https://creativecommons.org/licenses/by-nc-nd/4.0/">CC BY-NC-ND 4.0</a></p>'
    result = detect(page(head=head, footer=footer))
    assert (result.license, result.source) == ("CC-BY-NC-ND-4.0", "a-rel")
    assert "chosen over jsonld CC-BY-4.0 (most restrictive)" in result.evidence


def test_case_57_dc_rights_all_rights_reserved_is_a_notice_not_a_licence() -> None:
    result = fixture("about_dc_rights.html")
    assert result.license is None and not result.ambiguous
    assert result.copyright_notice == "All rights reserved"
    (candidate,) = result.candidates
    assert (candidate.source, candidate.spdx, candidate.text, candidate.url) == ("dc-rights", None, "All rights reserved", None)
    assert "copyright statement" in candidate.evidence.note


def test_case_57_dc_rights_contradicting_a_head_licence_is_ambiguous() -> None:
    head = '<meta name="dc.rights" content="Copyright 2026 Example Gazette. All rights reserved."><link rel="license" href="https://creativecommons.org/licenses/by/4.0/">'
    result = detect(page(head=head))
    assert result.license is None and result.ambiguous
    assert "contradicted by" in result.evidence and "All rights reserved" in result.evidence
    assert result.copyright_notice == "Copyright 2026 Example Gazette. All rights reserved."


# ---------------------------------------------------------------- URL normalisation and SPDX mapping
@pytest.mark.parametrize(
    "url",
    [
        "http://creativecommons.org/licenses/by/4.0",
        "https://creativecommons.org/licenses/by/4.0/",
        "https://www.creativecommons.org/licenses/by/4.0/deed.de",
        "https://CreativeCommons.ORG:443/licenses/by/4.0/legalcode.en",
        "http://creativecommons.org:80/licenses/by/4.0/legalcode",
        "https://creativecommons.org/licenses/by/4.0/deed.zh-hans",
        "https://creativecommons.org/licenses/by/4.0/?ref=chooser-v1#section",
        "//creativecommons.org/licenses/by/4.0/",
        "creativecommons.org/licenses/by/4.0/",
        " https://creativecommons.org/licenses//by/4.0/\n",
        "https://creativecommons.org/Licenses/BY/4.0/",
        "https://licensebuttons.net/l/by/4.0/88x31.png",
        "https://i.creativecommons.org/l/by/4.0/80x15.png",
    ],
)
def test_cc_url_spellings_normalise_to_one_url(url: str) -> None:
    assert normalise_licence_url(url) == "https://creativecommons.org/licenses/by/4.0/"
    assert cc_url_to_spdx(url) == "CC-BY-4.0"


@pytest.mark.parametrize(
    ("kind", "spdx"),
    [("by", "CC-BY-3.0"), ("by-sa", "CC-BY-SA-3.0"), ("by-nd", "CC-BY-ND-3.0"), ("by-nc", "CC-BY-NC-3.0"), ("by-nc-sa", "CC-BY-NC-SA-3.0"), ("by-nc-nd", "CC-BY-NC-ND-3.0")],
)
def test_every_licence_type_maps_to_itself_never_to_a_prefix(kind: str, spdx: str) -> None:
    assert cc_url_to_spdx(f"https://creativecommons.org/licenses/{kind}/3.0/") == spdx
    assert cc_url_to_spdx(f"https://creativecommons.org/licenses/{kind}/3.0/deed.en") == spdx


@pytest.mark.parametrize(
    ("url", "spdx"),
    [
        ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0-1.0"),
        ("https://creativecommons.org/publicdomain/zero/1.0/legalcode.fr", "CC0-1.0"),
        ("https://licensebuttons.net/p/zero/1.0/88x31.png", "CC0-1.0"),
        ("https://creativecommons.org/publicdomain/mark/1.0/", "CC-PDM-1.0"),
        ("http://creativecommons.org/licenses/publicdomain/", "CC-PDDC"),
        ("https://creativecommons.org/licenses/sa/1.0/", "CC-SA-1.0"),
        ("https://creativecommons.org/licenses/nc/1.0/", "LicenseRef-cc-nc-1.0"),
        ("https://creativecommons.org/licenses/nd/1.0/", "LicenseRef-cc-nd-1.0"),
        ("https://creativecommons.org/licenses/nc-sa/1.0/", "LicenseRef-cc-nc-sa-1.0"),
        ("https://creativecommons.org/licenses/by/1.0/", "CC-BY-1.0"),
        ("https://creativecommons.org/licenses/by-sa/2.5/", "CC-BY-SA-2.5"),
        ("http://creativecommons.org/licenses/GPL/2.0/", "GPL-2.0-only"),
        ("http://creativecommons.org/licenses/LGPL/2.1/", "LGPL-2.1-only"),
        ("https://creativecommons.org/licenses/sampling+/1.0/", None),
        ("https://creativecommons.org/licenses/sampling/1.0/", None),
        ("https://creativecommons.org/licenses/nc-sampling+/1.0/", None),
        ("https://creativecommons.org/licenses/devnations/2.0/", None),
        ("https://creativecommons.org/licenses/by/2.1/", None),  # 2.1 exists only ported
        ("https://creativecommons.org/licenses/by/4.0/fr/", None),  # 4.0 has no ports
        ("https://creativecommons.org/licenses/by/5.0/", None),
        ("https://creativecommons.org/licenses/", None),
        ("https://creativecommons.org/about/cclicenses/", None),
        ("https://mirrors.creativecommons.org/presskit/icons/by.svg", None),
        ("https://creativecommons.org.evil.example/licenses/by/4.0/", None),
        ("https://notcreativecommons.org/licenses/by/4.0/", None),
    ],
)
def test_public_domain_one_zero_and_non_licences(url: str, spdx: str | None) -> None:
    assert cc_url_to_spdx(url) == spdx


@pytest.mark.parametrize(
    ("url", "spdx"),
    [
        ("https://opensource.org/licenses/MIT", "MIT"),
        ("https://opensource.org/license/mit/", "MIT"),
        ("http://www.apache.org/licenses/LICENSE-2.0", "Apache-2.0"),
        ("https://www.apache.org/licenses/LICENSE-2.0.html", "Apache-2.0"),
        ("https://www.gnu.org/licenses/gpl-3.0.html", "GPL-3.0-only"),
        ("https://www.gnu.org/licenses/gpl-3.0.en.html", "GPL-3.0-only"),
        ("https://www.gnu.org/licenses/fdl-1.3.html", "GFDL-1.3-only"),
        ("https://opendatacommons.org/licenses/odbl/", "ODbL-1.0"),
        ("https://opendatacommons.org/licenses/odbl/1-0/", "ODbL-1.0"),
        ("https://opendatacommons.org/licenses/by/1.0/", "ODC-By-1.0"),
        ("https://opendatacommons.org/licenses/pddl/", "PDDL-1.0"),
        ("https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/", "OGL-UK-3.0"),
        ("https://spdx.org/licenses/CC-BY-4.0.html", "CC-BY-4.0"),
        ("https://example.test/terms", None),
        ("mailto:licensing@example.test", None),
        ("", None),
        ("not a url at all", None),
        ("http://[::1", None),
    ],
)
def test_other_licence_urls(url: str, spdx: str | None) -> None:
    assert cc_url_to_spdx(url) == spdx


def test_non_cc_urls_keep_their_identity_when_normalised() -> None:
    assert normalise_licence_url("https://Example.TEST:443/Terms/Licence?lang=en#top") == "https://example.test/Terms/Licence?lang=en"
    assert normalise_licence_url("http://www.apache.org/licenses/LICENSE-2.0/") == "https://apache.org/licenses/LICENSE-2.0"
    assert normalise_licence_url("urn:example:licence") == "urn:example:licence"


@pytest.mark.parametrize(
    ("text", "spdx"),
    [
        ("CC BY-SA 4.0", "CC-BY-SA-4.0"),
        ("cc-by-nc-4.0", "CC-BY-NC-4.0"),
        ("Creative Commons Attribution 4.0 International", "CC-BY-4.0"),
        ("Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International (CC BY-NC-SA 4.0)", "CC-BY-NC-SA-4.0"),
        ("Creative Commons Attribution-NoDerivs 3.0 Unported License", "CC-BY-ND-3.0"),
        ("CC0", "CC0-1.0"),
        ("CC0 1.0 Universal", "CC0-1.0"),
        ("mit", "MIT"),
        ("CC BY-SA", None),  # no version: the family is known, the licence is not
        ("CC BY-SA-ND 4.0", None),  # not a licence
        ("All rights reserved", None),
        ("Standard YouTube License", None),
        ("This work is licensed under CC BY 4.0 except the photographs", None),
    ],
)
def test_licence_names_in_free_text(text: str, spdx: str | None) -> None:
    assert licence_name_to_spdx(text) == spdx


def test_restrictiveness_orders_families() -> None:
    ordered = ["CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0", "CC-BY-NC-SA-4.0", "CC-BY-NC-ND-4.0"]
    ranks = [restrictiveness(spdx) for spdx in ordered]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)
    assert restrictiveness("CC-BY-ND-4.0") == restrictiveness("CC-BY-NC-4.0") > restrictiveness("GPL-3.0-only") > restrictiveness("MIT")
    assert licence_family("LicenseRef-cc-nd-nc-1.0") == "non-commercial-no-derivatives"
    assert licence_family("CC-PDM-1.0") == "public-domain" and licence_family("CC-SA-1.0") == "share-alike"
    assert restrictiveness("LicenseRef-something-else") is None and licence_family(None) is None


# ---------------------------------------------------------------- carriers
def test_link_area_and_form_relative_hrefs_resolve_against_base() -> None:
    body = '<map name="m"><area rel="license" href="/licences/by/4.0/" shape="rect" coords="0,0,1,1"></map>'
    html = page(head='<base href="https://www.creativecommons.org/">', body=body)
    result = detect(html)
    (candidate,) = result.candidates
    assert candidate.url == "https://creativecommons.org/licences/by/4.0/" and candidate.spdx is None  # "licences" is not a CC path
    form = page(footer='<form rel="license" action="/licenses/by-sa/4.0/" method="get"><button>Licence</button></form>')
    assert detect(form, base_url="https://creativecommons.org/some/page").license == "CC-BY-SA-4.0"
    relative = page(head='<link rel="license" href="../licence.html">')
    assert detect(relative).candidates[0].url == "https://site.example/2026/licence.html"


def test_link_header_licence_and_its_exceptions() -> None:
    headers = [("Content-Type", "text/html"), ("link", '<https://example.test/style.css>; rel=preload, <https://creativecommons.org/licenses/by/4.0/>; rel="license"; title="Licence, terms"')]
    result = detect(page(), headers=headers)
    assert (result.license, result.source) == ("CC-BY-4.0", "http-link")
    (candidate,) = result.candidates
    assert candidate.evidence.source == "header:Link" and candidate.location == "head" and candidate.confidence == "high"
    assert candidate.evidence.value.startswith("<https://creativecommons.org/licenses/by/4.0/>")

    rsl = detect(page(), headers=[("Link", '<https://example.test/license.xml>; rel="license"; type="application/rsl+xml"')])
    assert rsl.license is None and rsl.candidates == ()
    anchored = detect(page(), headers=[("Link", '<https://creativecommons.org/licenses/by/4.0/>; rel="license"; anchor="/img/lead.jpg"')])
    assert anchored.license is None and not anchored.candidates[0].applies_to_page
    only_headers = detect_licences(None, base_url=BASE, headers=[("Link", '<https://creativecommons.org/publicdomain/zero/1.0/>; rel="alternate license"')])
    assert only_headers.license == "CC0-1.0"


def test_rdfa_block_from_the_chooser() -> None:
    result = fixture("wiki_rdfa_footer.html")
    assert (result.license, result.source) == ("CC-BY-SA-4.0", "rdfa")
    assert [c.source for c in result.candidates] == ["rdfa"]  # icons inside the link are not badges of their own


def test_rdfa_property_and_open_graph_prefix() -> None:
    property_form = '<div xmlns:cc="http://creativecommons.org/ns#"><span property="cc:license" resource="https://creativecommons.org/publicdomain/zero/1.0/"></span></div>'
    assert detect(page(footer=property_form)).license == "CC0-1.0"
    # An Open Graph prefix on <html> is not a CC RDFa block: the link stays a-rel.
    html = page(footer='<p>Content licensed <a rel="license" href="https://creativecommons.org/licenses/by/4.0/">CC BY</a>.</p>').replace('<html lang="en">',
        '<html lang="en" prefix="og: https://ogp.me/ns#">')
    assert detect(html).source == "a-rel"
    about_other = '<div xmlns:cc="http://creativecommons.org/ns#" about="/img/harbour.jpg"><a rel="license" href="https://creativecommons.org/licenses/by/4.0/">CC BY</a></div>'
    result = detect(page(body=about_other))
    assert result.license is None and "about=" in result.candidates[0].evidence.note


def test_dublin_core_names_are_case_insensitive() -> None:
    for head in (
        '<meta name="dcterms.license" content="https://creativecommons.org/licenses/by/4.0/">',
        '<meta name="DCTERMS.License" content="https://creativecommons.org/licenses/by/4.0/">',
        '<link rel="schema.dcterms" href="http://purl.org/dc/terms/"><link rel="DCTERMS.license" href="https://creativecommons.org/licenses/by/4.0/">',
    ):
        result = detect(page(head=head))
        assert (result.license, result.source, result.candidates[-1].confidence) == ("CC-BY-4.0", "dcterms", "high"), head
    rights_url = detect(page(head='<meta name="dc.rights" content="https://creativecommons.org/licenses/by-nd/4.0/">'))
    assert (rights_url.license, rights_url.source, rights_url.candidates[0].confidence) == ("CC-BY-ND-4.0", "dc-rights", "medium")


def test_jsonld_graph_main_entity_lists_and_objects() -> None:
    result = fixture("yoast_graph.html")
    assert (result.license, result.source) == ("CC-BY-SA-4.0", "jsonld")
    image = next(c for c in result.candidates if c.spdx == "CC-BY-NC-ND-4.0")
    assert not image.applies_to_page and "imageobject" in image.evidence.note
    logo = next(c for c in result.candidates if c.spdx is None)
    assert logo.url == "https://example.test/brand-terms" and not logo.applies_to_page

    main_entity = {"@context": "https://schema.org", "@type": "WebPage", "mainEntity": {"@type": "BlogPosting", "license": [{"@type": "CreativeWork",
        "url": "https://creativecommons.org/licenses/by/4.0/"}, {"@id": "https://creativecommons.org/licenses/by-sa/4.0/"}]}}
    result = detect(page(head=f'<script type="application/ld+json">{json.dumps(main_entity)}</script>'))
    assert result.license == "CC-BY-SA-4.0" and {c.spdx for c in page_level(result)} == {"CC-BY-4.0", "CC-BY-SA-4.0"}

    listing = {"@type": "ItemList", "itemListElement": [{"@type": "ListItem", "item": {"@type": "Article", "license": "https://creativecommons.org/licenses/by/4.0/"}}]}
    listed = detect(page(head=f'<script type="application/ld+json">{json.dumps(listing)}</script>'))
    assert listed.license is None and "itemListElement" in listed.candidates[0].evidence.note


def test_jsonld_free_text_licences() -> None:
    video = '<script type="application/ld+json">{"@type": "VideoObject", "name": "Dredger timelapse", "license": "Standard YouTube License"}</script>'
    result = detect(page(body=video))
    (candidate,) = result.candidates
    assert (candidate.text, candidate.spdx, candidate.applies_to_page) == ("Standard YouTube License", None, False)

    reserved = '<script type="application/ld+json">{"@type": "NewsArticle", "license": "All rights reserved", "copyrightNotice": "\u00a9 Gazette"}</script>'
    result = detect(page(head=reserved))
    assert result.license is None and result.copyright_notice == "\u00a9 Gazette"
    assert "reservation: 'All rights reserved' (jsonld)" in result.evidence

    named = '<script type="application/ld+json">{"@type": "Article", "license": "CC BY-SA 4.0"}</script>'
    result = detect(page(head=named))
    assert (result.license, result.candidates[0].text) == ("CC-BY-SA-4.0", "CC BY-SA 4.0")

    unknown = '<script type="application/ld+json">{"@type": "Article", "license": "Gazette syndication terms v2"}</script>'
    footer = '<p>Text licensed <a rel="license" href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a></p>'
    result = detect(page(head=unknown, footer=footer))
    assert result.license is None and result.ambiguous and "Gazette syndication terms" in result.evidence


def test_malformed_jsonld_is_recorded_and_never_decides() -> None:
    result = fixture("malformed_jsonld.html")
    assert (result.license, result.source) == ("CC-BY-4.0", "a-rel")
    salvaged = next(c for c in result.candidates if c.source == "jsonld")
    assert salvaged.spdx == "CC-BY-NC-4.0" and not salvaged.applies_to_page and "malformed" in salvaged.evidence.note
    assert any(note.startswith("malformed: JSON-LD block at line 6") for note in result.notes)
    assert any("line 14: empty" in note for note in result.notes)


def test_jsonld_bombs_are_bounded() -> None:
    deep = "[" * 50_000 + "]" * 50_000
    wide = json.dumps({"@graph": [{"@type": "Thing", "x": [1] * 50} for _ in range(20_000)]})
    for script in (deep, wide, '{"license": "' + "a" * 400_000 + '"}'):
        result = detect(page(head=f'<script type="application/ld+json">{script}</script>'))
        assert result.license is None and result.notes and not any("stopped" in note for note in result.notes)


def test_microdata_item_scope_decides() -> None:
    result = fixture("microdata_recipe.html")
    assert (result.license, result.source) == ("CC-BY-SA-4.0", "microdata")
    image = next(c for c in result.candidates if c.spdx == "CC-BY-ND-4.0")
    assert not image.applies_to_page and "ImageObject" in image.evidence.note


# ---------------------------------------------------------------- false-positive traps (section 7.4)
def test_pages_about_licences_yield_no_licence() -> None:
    result = fixture("blog_about_cc.html")
    assert result.license is None and page_level(result) == []
    (quoted,) = result.candidates  # only the rel=license inside <blockquote> is markup, and it is a quotation
    assert "blockquote" in quoted.evidence.note


def test_theme_credit_is_not_the_page_licence() -> None:
    result = fixture("theme_credit.html")
    assert result.license is None
    (candidate,) = result.candidates
    assert (candidate.spdx, candidate.location, candidate.applies_to_page) == ("CC-BY-3.0", "footer", False)
    assert "theme" in candidate.evidence.note
    assert result.copyright_notice == "\u00a9 2026 Plot 14. All rights reserved."


def test_comments_section_licence_is_not_the_page_licence() -> None:
    result = fixture("forum_comments.html")
    assert (result.license, result.source) == ("CC-BY-4.0", "link-rel")
    comment = next(c for c in result.candidates if c.spdx == "CC-BY-NC-ND-4.0")
    assert (comment.location, comment.applies_to_page) == ("comment", False)


def test_noscript_template_hidden_and_commented_out_licences_do_not_count() -> None:
    result = fixture("hidden_fragments.html")
    assert result.license is None and page_level(result) == []
    notes = [c.evidence.note for c in result.candidates]
    assert [c.location for c in result.candidates] == ["comment", "noscript", "noscript", "main", "main"]
    assert "HTML comment" in notes[0] and "<noscript>" in notes[1] and "<template>" in notes[2]
    assert "display:none" in notes[3] and "hidden attribute" in notes[4]


def test_licences_of_downloads_are_not_the_page_licence() -> None:
    result = fixture("dataset_download.html")
    assert result.license is None
    assert {c.spdx for c in result.candidates} == {"CC0-1.0", "CC-BY-ND-4.0", "ODbL-1.0"}
    assert all(not c.applies_to_page and "download" in c.evidence.note for c in result.candidates)
    assert result.copyright_notice == "\u00a9 2026 Wenning Basin Authority"


def test_code_licence_beside_text_licence() -> None:
    result = fixture("devblog_code_and_text.html")
    assert (result.license, result.ambiguous) == ("CC-BY-4.0", False)
    mit = next(c for c in result.candidates if c.spdx == "MIT")
    assert not mit.applies_to_page and "code" in mit.evidence.note


def test_syndicated_article_under_a_site_wide_footer_licence_is_ambiguous() -> None:
    result = fixture("syndicated_article.html")
    assert result.license is None and result.ambiguous
    assert "reprinted with permission" in result.evidence
    assert result.copyright_notice == "\u00a9 2025 Harbour Quarterly. All rights reserved."
    assert "otherwise noted" in result.candidates[0].evidence.note


def test_badge_alone_never_decides_but_counts_when_more_restrictive() -> None:
    result = fixture("badge_only.html")
    assert result.license is None
    (badge,) = result.candidates
    assert (badge.source, badge.spdx, badge.confidence, badge.applies_to_page) == ("badge", "CC-BY-NC-SA-4.0", "low", True)
    assert "only a badge" in result.evidence
    footer = '<p>Text licensed <a rel="license" href="https://creativecommons.org/licenses/by/4.0/">CC BY</a></p><img src="https://i.creativecommons.org/l/by-nc/4.0/88x31.png" alt="">'
    mixed = detect(page(footer=footer))
    assert (mixed.license, mixed.source) == ("CC-BY-NC-4.0", "badge")
    presskit = detect(page(footer='<img src="https://mirrors.creativecommons.org/presskit/icons/by.svg" alt="">'))
    assert presskit.license is None and presskit.candidates[0].spdx is None


def test_licence_sentence_without_rel_counts_only_in_header_or_footer() -> None:
    sentence = '<p>Content is available under <a href="https://creativecommons.org/licenses/by-sa/4.0/">CC BY-SA 4.0</a> unless otherwise noted.</p>'
    result = detect(page(footer=sentence))
    assert (result.license, result.source) == ("CC-BY-SA-4.0", "a-text")
    assert result.candidates[0].confidence == "low" and "otherwise noted" in result.candidates[0].evidence.note
    assert detect(page(body=sentence)).candidates == ()  # in running prose: a page about licences
    assert detect(page(footer='<p><a href="https://creativecommons.org/licenses/by-sa/4.0/">About CC BY-SA</a></p>')).candidates == ()


def test_footer_reservation_yields_to_a_more_specific_licence() -> None:
    head = '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">'
    result = detect(page(head=head, footer="<p>\u00a9 2026 The Example Gazette. All rights reserved.</p>"))
    assert (result.license, result.ambiguous) == ("CC-BY-4.0", False)
    assert result.copyright_notice == "\u00a9 2026 The Example Gazette. All rights reserved."
    same_level = detect(page(footer='<p>\u00a9 2026 The Example Gazette. All rights reserved. Text licensed <a rel="license" href="https://creativecommons.org/licenses/by/4.0/">CC BY</a>.</p>'))
    assert same_level.license is None and same_level.ambiguous


def test_unknown_licence_url_is_ambiguous_only_at_the_same_level() -> None:
    footer = '<p>Text licensed <a rel="license" href="https://creativecommons.org/licenses/by/4.0/">CC BY</a> &middot; <a rel="license" href="/syndication-terms">Syndication terms</a></p>'
    result = detect(page(footer=footer))
    assert result.license is None and result.ambiguous and "/syndication-terms" in result.evidence
    head = '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">'
    footer_only_terms = '<p><a rel="license" href="/syndication-terms">Syndication terms</a></p>'
    assert detect(page(head=head, footer=footer_only_terms)).license == "CC-BY-4.0"
    alone = detect(page(head='<link rel="license" href="/terms">'))
    assert alone.license is None and not alone.ambiguous and alone.candidates[0].url == "https://site.example/terms"


def test_agreeing_declarations_keep_the_strongest_source() -> None:
    head = '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">'
    footer = '<p>Text is licensed <a rel="license" href="https://creativecommons.org/licenses/by/4.0/deed.en">CC BY</a></p>'
    result = detect(page(head=head, footer=footer))
    assert (result.license, result.source, result.ambiguous) == ("CC-BY-4.0", "link-rel", False)
    assert "agrees: a-rel in footer" in result.evidence


def test_copyright_notice_comes_from_the_page_not_from_captions() -> None:
    body = '<figure><img src="/img/pier.jpg" alt="The pier" width="800" height="500"><figcaption>\u00a9 2019 K. Lee. All rights reserved.</figcaption></figure>'
    result = detect(page(body=body))
    assert result.copyright_notice is None and result.evidence is None
    meta = detect(page(head='<meta name="copyright" content="\u00a9 2026 Example Gazette Ltd">', footer="<p>\u00a9 2026 The Example Gazette</p>"))
    assert meta.copyright_notice == "\u00a9 2026 Example Gazette Ltd" and meta.license is None
    footer_block = detect(page(footer="\u00a9 2026 The Example Gazette. All rights reserved."))
    assert footer_block.copyright_notice == "\u00a9 2026 The Example Gazette. All rights reserved." and "(text in footer)" in footer_block.evidence
    prose = detect(page(body="<p>Copyright law changed in 2019, and the council says the archive photographs may now be reused, which the library welcomed after years of asking for "
        "permission to show them at events.</p>"))
    assert prose.copyright_notice is None


def test_candidates_and_snippets_are_bounded() -> None:
    links = "".join(f'<p>Part {i} licensed <a rel="license" href="https://creativecommons.org/licenses/by/4.0/" title="{"x" * 500}">{"CC BY " * 100}</a></p>' for i in range(200))
    result = detect(page(footer=links))
    assert len(result.candidates) == MAX_CANDIDATES and result.license == "CC-BY-4.0"
    assert any(f"more than {MAX_CANDIDATES}" in note for note in result.notes)
    assert all(len(c.evidence.value) <= EVIDENCE_VALUE_LIMIT for c in result.candidates)


# ---------------------------------------------------------------- properties
_FRAGMENTS = st.sampled_from(
    [
        "<a rel='license' href='", "<link rel=\"license\" href=\"", "https://creativecommons.org/licenses/", "by-nc/", "by-sa/", "4.0/", "3.0/fr/",
        "'>x</a>", "\">", "<figure>", "</figure>", "<figcaption>", "<noscript>", "</noscript>", "<footer>", "</footer>", "<main>", "<article>",
        "<script type='application/ld+json'>", '{"@type": "Article", "license": ', '"https://creativecommons.org/licenses/by/4.0/"', "}", "]", "[",
        "</script>", "<!--", "-->", "<meta name='dc.rights' content='", "All rights reserved", "\u00a9 2026", "<img src='https://licensebuttons.net/l/by/4.0/88x31.png'>",
        "<div hidden>", "<div class='photo-credit'>", "</div>", "<p>", "</p>", "<section id='comments'>", "<base href='//x'>", "\x00", "\ufeff", "\r", "<",
        "&", "<pre>", "<span property='cc:license' resource='", "<div xmlns:cc='http://creativecommons.org/ns#' about='/x'>", "<a href='/a.pdf'>f</a>",
    ]
)


def _assert_well_formed(result: LicenceResult) -> None:
    assert isinstance(result, LicenceResult)
    assert not any("stopped" in note for note in result.notes), result.notes  # no internal failure was swallowed
    assert len(result.candidates) <= MAX_CANDIDATES
    assert result.license is None or result.license in {c.spdx for c in result.candidates if c.applies_to_page}
    assert all(c.location in ("head", "header", "main", "footer", "aside", "figure", "nav", "comment", "noscript", "body") for c in result.candidates)
    assert all(c.confidence in ("high", "medium", "low") for c in result.candidates)


@settings(max_examples=200, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=60))
def test_random_licence_markup_never_raises(parts: list[str]) -> None:
    html = "<html><head></head><body>" + "".join(parts) + "</body></html>"
    _assert_well_formed(detect_licences(parse(html), base_url=BASE))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    tree = parse(b"<html><body>" + data + b"</body></html>")  # invalid UTF-8, NULs, BOMs, CR-only lines
    _assert_well_formed(detect_licences(tree, base_url=BASE))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000), st.text(max_size=300))
def test_arbitrary_text_and_link_headers_never_raise(text: str, link: str) -> None:
    tree = parse("<html><body><footer>" + text + "</footer></body></html>")
    _assert_well_formed(detect_licences(tree, base_url=text[:50], headers=[("Link", link), (text[:10], link)]))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40) | st.sampled_from(["https://creativecommons.org/licenses/by-nc/4.0/", "ImageObject", "Article",
        "_:b0"]),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.sampled_from(["@type", "@graph", "license", "mainEntity", "url", "@id", "name", "image", "isPartOf"]), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(_JSON)
def test_arbitrary_jsonld_never_raises(value: object) -> None:
    script = json.dumps(value).replace("</", "<\\/")
    _assert_well_formed(detect(page(head=f'<script type="application/ld+json">{script}</script>')))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_random_urls_never_raise(url: str) -> None:
    spdx = cc_url_to_spdx(url)
    normal = normalise_licence_url(url)
    assert spdx is None or isinstance(spdx, str)
    assert isinstance(normal, str) and normalise_licence_url(normal) == normal
    licence_name_to_spdx(url)


_TYPES = st.sampled_from(["by", "by-sa", "by-nd", "by-nc", "by-nc-sa", "by-nc-nd"])


@settings(max_examples=200, deadline=None)
@given(
    _TYPES,
    st.sampled_from(["1.0", "2.0", "2.5", "3.0"]),
    st.sampled_from([None, "fr", "de", "uk", "igo", "es", "jp"]),
    st.sampled_from(["http://", "https://", "//", "HTTPS://www."]),
    st.sampled_from(["", "deed.en", "legalcode", "legalcode.fr", "deed"]),
    st.sampled_from(["", "?ref=chooser-v1", "#x", "?a=b#c"]),
    st.booleans(),
)
def test_spellings_of_one_licence_map_alike_and_keep_nc_and_nd(kind: str, version: str, port: str | None, scheme: str, document: str, suffix: str, upper: bool) -> None:
    canonical = f"https://creativecommons.org/licenses/{kind}/{version}/" + (f"{port}/" if port else "")
    host = "creativecommons.org" if not upper else "CreativeCommons.org"
    variant = f"{scheme}{host}/licenses/{kind}/{version}/" + (f"{port}/" if port else "") + document + suffix
    spdx = cc_url_to_spdx(canonical)
    assert spdx is not None and cc_url_to_spdx(variant) == spdx
    assert normalise_licence_url(variant) == canonical
    assert ("-nc" in kind) == ("NC" in spdx.upper().split("-")) and ("-nd" in kind) == ("ND" in spdx.upper().split("-"))
    assert (port is None) or spdx.upper().endswith(port.upper())  # a port is never silently dropped


# Each worst case at its full size n; the test also builds it at n / 4. A
# footer of 20k licence links and 20k rel=license links going nowhere are in
# tests/rights/test_properties.py (LICENCE_WORST_CASES).
_WORST_CASES = {
    "100k-empty-spans-then-credits": (
        100_000,
        lambda n: "<div>" + "<span></span>" * n + "<a rel=license href='https://creativecommons.org/licenses/by/4.0/'>x</a>" * (n // 333) + "</div>",
    ),
    "20k-copyright-lines": (20_000, lambda n: "".join(f"<p>\u00a9 {1900 + i % 100} all rights reserved {i}</p>" for i in range(n))),
    "long-sentence-before-link": (
        50_000,
        lambda n: "<footer><p>" + "photos " * n + ". Text licensed <a rel=license href='https://creativecommons.org/licenses/by/4.0/'>x</a></p></footer>",
    ),
}


@pytest.mark.parametrize(("size", "body_of"), _WORST_CASES.values(), ids=_WORST_CASES.keys())
def test_worst_case_pages_cost_linear_work(size: int, body_of: Callable[[int], str]) -> None:
    def detect(n: int) -> Callable[[], LicenceResult]:
        tree = parse(f"<html><body>{body_of(n)}</body></html>")
        return lambda: detect_licences(tree, base_url=BASE)

    result = assert_linear_growth(detect, size)
    _assert_well_formed(result)
