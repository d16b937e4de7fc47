"""Licence detection on realistic pages: reference cases 52-57 and the false-positive traps of section 7.4."""

from __future__ import annotations

import lxml.html
import pytest
from hypothesis import given, settings, strategies as st

from crawler.rights.licence import cc_url_to_spdx, detect_licences, normalise_licence_url

BASE = "http://news.example.test/2026/03/story.html"


def page(head: str = "", body: str = "", footer: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Harbour works begin</title>{head}</head>
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


def detect(html: str, headers=()):  # type: ignore[no-untyped-def]
    return detect_licences(lxml.html.document_fromstring(html), base_url=BASE, headers=headers)


def test_case_52_footer_rel_license_with_chooser_query() -> None:
    result = detect(page(footer='<p>Text is available under <a rel="license noopener noreferrer" href="http://creativecommons.org/licenses/by-sa/4.0/?ref=chooser-v1">CC BY-SA 4.0</a>.</p>'))
    assert result.license == "CC-BY-SA-4.0" and result.source == "a-rel"
    (candidate,) = [c for c in result.candidates if c.spdx]
    assert (candidate.location, candidate.confidence, candidate.applies_to_page) == ("footer", "medium", True)


def test_case_53_cc0_in_head_link() -> None:
    result = detect(page(head='<link rel="license" href="https://creativecommons.org/publicdomain/zero/1.0/">'))
    assert result.license == "CC0-1.0"
    assert result.candidates[0].confidence == "high" and result.candidates[0].location == "head"


def test_case_54_ported_licences() -> None:
    assert cc_url_to_spdx("https://creativecommons.org/licenses/by-sa/3.0/fr/deed.fr") == "LicenseRef-cc-by-sa-3.0-fr"
    assert cc_url_to_spdx("https://creativecommons.org/licenses/by-nc-sa/2.0/uk/") == "CC-BY-NC-SA-2.0-UK"
    assert cc_url_to_spdx("https://creativecommons.org/licenses/by-nd-nc/1.0/") == "CC-BY-NC-ND-1.0"
    assert cc_url_to_spdx("http://creativecommons.org/licenses/by/3.0/igo/legalcode") == "CC-BY-3.0-IGO"
    assert cc_url_to_spdx("https://creativecommons.org/licenses/by/2.5/es/") == "LicenseRef-cc-by-2.5-es"


def test_case_55_image_credit_is_not_the_page_licence() -> None:
    body = """<figure><img src="/img/dredger.jpg" alt="The dredger at work">
<figcaption>The dredger in the western basin. Photo: J. Smith,
<a rel="license" href="https://creativecommons.org/licenses/by/2.0/">CC BY 2.0</a></figcaption></figure>"""
    result = detect(page(body=body, footer="<p>© 2026 The Example Gazette. All rights reserved.</p>"))
    assert result.license is None
    (candidate,) = result.candidates
    assert candidate.spdx == "CC-BY-2.0" and not candidate.applies_to_page and candidate.location == "figure"
    assert result.copyright_notice and "All rights reserved" in result.copyright_notice


def test_image_credit_without_a_figure_element() -> None:
    body = """<div class="photo-credit"><img src="/img/pier.jpg" alt="">
<span>Pier at dawn by K. Lee, <a rel="license" href="https://creativecommons.org/licenses/by-sa/2.0/">CC BY-SA 2.0</a></span></div>"""
    assert detect(page(body=body)).license is None


def test_case_56_jsonld_and_footer_disagree_most_restrictive_wins() -> None:
    head = """<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
"headline": "Harbour works begin", "license": "https://creativecommons.org/licenses/by-nc/4.0/"}</script>"""
    footer = '<p>Licensed <a rel="license" href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a></p>'
    result = detect(page(head=head, footer=footer))
    assert result.license == "CC-BY-NC-4.0" and result.ambiguous
    assert {c.spdx for c in result.candidates} == {"CC-BY-NC-4.0", "CC-BY-4.0"}
    assert "most restrictive" in result.evidence


def test_case_57_dc_rights_free_text_is_a_notice_not_a_licence() -> None:
    result = detect(page(head='<meta name="DC.rights" content="All rights reserved">'))
    assert result.license is None
    assert result.copyright_notice == "All rights reserved"


def test_cc_url_normalisation() -> None:
    for url in (
        "http://creativecommons.org/licenses/by/4.0",
        "https://www.creativecommons.org/licenses/by/4.0/deed.de",
        "https://CREATIVECOMMONS.ORG:443/licenses/by/4.0/legalcode.en",
        "https://creativecommons.org/licenses/by/4.0/#section",
    ):
        assert normalise_licence_url(url) == "https://creativecommons.org/licenses/by/4.0/", url
        assert cc_url_to_spdx(url) == "CC-BY-4.0"


def test_public_domain_mark_and_legacy_public_domain() -> None:
    assert cc_url_to_spdx("https://creativecommons.org/publicdomain/mark/1.0/") == "CC-PDM-1.0"
    assert cc_url_to_spdx("http://creativecommons.org/licenses/publicdomain/") == "CC-PDDC"
    assert cc_url_to_spdx("https://creativecommons.org/licenses/sampling+/1.0/") is None


def test_nc_is_never_matched_as_by() -> None:
    assert cc_url_to_spdx("https://creativecommons.org/licenses/by-nc/4.0/") == "CC-BY-NC-4.0"
    assert cc_url_to_spdx("https://creativecommons.org/licenses/by-nc-nd/3.0/") == "CC-BY-NC-ND-3.0"


def test_other_licence_urls() -> None:
    assert cc_url_to_spdx("https://opensource.org/licenses/MIT") == "MIT"
    assert cc_url_to_spdx("http://www.apache.org/licenses/LICENSE-2.0") == "Apache-2.0"
    assert cc_url_to_spdx("https://www.gnu.org/licenses/fdl-1.3.html") == "GFDL-1.3-only"
    assert cc_url_to_spdx("https://opendatacommons.org/licenses/odbl/") == "ODbL-1.0"
    assert cc_url_to_spdx("https://example.test/terms") is None


def test_rdfa_block_and_dcterms() -> None:
    rdfa = """<div xmlns:cc="http://creativecommons.org/ns#" about="">This work by <span property="cc:attributionName">The Observers</span>
is licensed under <a rel="license" href="http://creativecommons.org/licenses/by-sa/4.0/">CC BY-SA 4.0</a></div>"""
    assert detect(page(footer=rdfa)).license == "CC-BY-SA-4.0"
    assert detect(page(head='<meta name="dcterms.license" content="https://creativecommons.org/licenses/by/4.0/">')).license == "CC-BY-4.0"
    property_form = '<span property="cc:license" resource="https://creativecommons.org/publicdomain/zero/1.0/"></span>'
    assert detect(page(footer=property_form)).license == "CC0-1.0"


def test_link_header() -> None:
    result = detect(page(), headers=[("Link", '<https://creativecommons.org/licenses/by/4.0/>; rel="license"')])
    assert result.license == "CC-BY-4.0" and result.source == "http-link"
    rsl = detect(page(), headers=[("Link", '<https://example.test/license.xml>; rel="license"; type="application/rsl+xml"')])
    assert rsl.license is None and not rsl.candidates


def test_jsonld_on_an_image_object_is_not_the_page() -> None:
    head = """<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
{"@type": "NewsArticle", "headline": "x"},
{"@type": "ImageObject", "contentUrl": "/img/a.jpg", "license": "https://creativecommons.org/licenses/by/4.0/"}]}</script>"""
    result = detect(page(head=head))
    assert result.license is None and result.candidates and not result.candidates[0].applies_to_page


def test_jsonld_free_text_and_malformed() -> None:
    head = '<script type="application/ld+json">{"@type": "VideoObject", "license": "Standard YouTube License"}</script><script type="application/ld+json">{not json</script>'
    result = detect(page(head=head))
    assert result.license is None and result.candidates[0].text == "Standard YouTube License"


def test_page_about_licences_yields_nothing() -> None:
    body = """<p>Creative Commons offers several licences. The <a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>
licence lets anyone reuse a work with credit, while <a href="https://creativecommons.org/licenses/by-nc/4.0/">CC BY-NC</a> forbids commercial use.</p>"""
    assert detect(page(body=body)).license is None


def test_footer_sentence_without_rel_counts_with_low_confidence() -> None:
    footer = '<p>Content is available under <a href="https://creativecommons.org/licenses/by-sa/4.0/">CC BY-SA 4.0</a> unless noted.</p>'
    result = detect(page(footer=footer))
    assert result.license == "CC-BY-SA-4.0" and result.source == "a-text" and result.candidates[0].confidence == "low"


def test_theme_credit_comments_noscript_and_downloads_are_not_the_page() -> None:
    footer = '<p>Theme "Harbour" by Studio K, licensed <a rel="license" href="https://creativecommons.org/licenses/by/3.0/">CC BY 3.0</a>.</p>'
    assert detect(page(footer=footer)).license is None
    comments = '<section id="comments"><div class="comment">Nice! <a rel="license" href="https://creativecommons.org/licenses/by/4.0/">cc</a></div></section>'
    assert detect(page(body=comments)).license is None
    hidden = '<noscript><a rel="license" href="https://creativecommons.org/licenses/by/4.0/">cc</a></noscript>'
    assert detect(page(body=hidden)).license is None
    download = '<p><a href="/data/levels.csv">Download the data (CSV)</a>, <a rel="license" href="https://creativecommons.org/publicdomain/zero/1.0/">CC0</a></p>'
    assert detect(page(body=download)).license is None
    commented = "<!-- <a rel='license' href='https://creativecommons.org/licenses/by/4.0/'>old</a> -->"
    result = detect(page(body=commented))
    assert result.license is None and result.candidates[0].location == "comment"


def test_badge_alone_is_recorded_not_chosen() -> None:
    footer = '<img src="https://licensebuttons.net/l/by-sa/4.0/88x31.png" alt="CC BY-SA">'
    result = detect(page(footer=footer))
    assert result.license is None and result.candidates[0].spdx == "CC-BY-SA-4.0" and result.candidates[0].source == "badge"
    linked = '<a rel="license" href="http://creativecommons.org/licenses/by-sa/4.0/"><img src="https://i.creativecommons.org/l/by-sa/4.0/88x31.png"></a>'
    linked_result = detect(page(footer=linked))
    assert linked_result.license == "CC-BY-SA-4.0" and [c.source for c in linked_result.candidates] == ["a-rel"]


def test_several_agreeing_declarations() -> None:
    head = '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">'
    footer = '<a rel="license" href="https://creativecommons.org/licenses/by/4.0/deed.en">CC BY</a>'
    result = detect(page(head=head, footer=footer))
    assert result.license == "CC-BY-4.0" and not result.ambiguous and result.source == "link-rel"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_random_urls_never_raise(url: str) -> None:
    cc_url_to_spdx(url)
    normalise_licence_url(url)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["<a rel='license' href='", "https://creativecommons.org/licenses/", "by-nc/", "4.0/", "'>x</a>", "<figure>", "</figure>", "<script type='application/ld+json'>", '{"license": ', "</script>", "<footer>", "\x00", "<!--", "-->", "<meta name='dc.rights' content='", "'>"]), max_size=40))
def test_random_markup_never_raises(parts: list[str]) -> None:
    html = "<html><body>" + "".join(parts) + "</body></html>"
    try:
        tree = lxml.html.document_fromstring(html)
    except Exception:
        return
    result = detect_licences(tree, base_url=BASE)
    assert result.license is None or isinstance(result.license, str)
