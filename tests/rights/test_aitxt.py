"""Spawning's ai.txt: reference case 51 and the parsing traps of section 6.1."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings, strategies as st

from crawler.rights.aitxt import AiTxt
from crawler.rights.evidence import Finding, FindingKind, Use

URL = "http://example.test"
AITXT_URL = URL + "/ai.txt"
TOKEN = "tdmcrawl"


def served(body: bytes, content_type: str | None = "text/plain", status: int = 200) -> AiTxt:
    return AiTxt.parse(body, status=status, content_type=content_type, source_url=AITXT_URL)


def test_case_51_an_html_page_at_ai_txt_is_ignored() -> None:
    aitxt = served(b"<!DOCTYPE html><html><body>Disallow: /</body></html>", "text/html")
    assert aitxt.state == "ignored" and "HTML" in aitxt.note
    assert aitxt.check(URL + "/a.jpg", TOKEN) is None


def test_case_51_a_glob_without_a_leading_slash_reserves_matching_media() -> None:
    aitxt = served(b"User-Agent: *\nDisallow: *.jpg\n")
    assert aitxt.state == "valid"
    finding = aitxt.check(URL + "/photos/a.jpg", TOKEN)
    assert isinstance(finding, Finding)
    assert finding.signal == "ai-txt" and finding.reason == "ai-txt-disallow"
    assert finding.kind is FindingKind.USE and finding.restrictive
    assert finding.usage.train is Use.DENY and finding.usage.tdm is Use.DENY
    (evidence,) = finding.evidence
    assert evidence.signal == "ai-txt" and evidence.source == AITXT_URL
    assert evidence.value == "Disallow: *.jpg" and evidence.line == 2
    assert aitxt.check(URL + "/page.html", TOKEN) is None


def test_a_glob_is_matched_as_contains() -> None:
    # Protego's reading of "*.jpg", which we keep: it also covers /a.jpg.html.
    aitxt = served(b"User-Agent: *\nDisallow: *.jpg\n")
    assert aitxt.check(URL + "/a.jpg.html", TOKEN) is not None
    assert aitxt.check(URL + "/a.jpeg", TOKEN) is None


@pytest.mark.parametrize("rule", [b"Disallow: /", b"Disallow: *"])
def test_disallow_slash_and_star_cover_everything(rule: bytes) -> None:
    aitxt = served(b"User-Agent: *\n" + rule + b"\n")
    for path in ("/", "/a.html", "/img/b.png", "/x?y=1"):
        assert aitxt.check(URL + path, TOKEN) is not None, path


def test_an_allow_that_wins_means_no_reservation() -> None:
    aitxt = served(b"User-Agent: *\nDisallow: *.png\nAllow: /free/*.png\n")
    assert aitxt.check(URL + "/free/a.png", TOKEN) is None
    assert aitxt.check(URL + "/other/a.png", TOKEN) is not None


def test_our_group_replaces_star_and_other_groups_do_not_apply() -> None:
    body = b"User-Agent: *\nDisallow: /\n\nUser-Agent: tdmcrawl\nDisallow: *.mp3\n\nUser-Agent: otherbot\nDisallow: *.jpg\n"
    aitxt = served(body)
    assert aitxt.check(URL + "/a.jpg", TOKEN) is None
    assert aitxt.check(URL + "/a.mp3", TOKEN) is not None
    assert aitxt.check(URL + "/a.jpg", "someone-else") is not None


def test_rules_written_before_any_user_agent_apply_to_everyone() -> None:
    aitxt = served(b"# Spawning AI\nDisallow: *.txt\n")
    finding = aitxt.check(URL + "/notes.txt", TOKEN)
    assert finding is not None and finding.evidence[0].line == 2
    assert aitxt.check(URL + "/notes.html", TOKEN) is None


@pytest.mark.parametrize("status", [404, 403, 410, 500, 503])
def test_an_error_status_means_absent(status: int) -> None:
    aitxt = served(b"User-Agent: *\nDisallow: /\n", status=status)
    assert aitxt.state == "absent" and str(status) in aitxt.note
    assert aitxt.check(URL + "/a.jpg", TOKEN) is None


def test_absent() -> None:
    aitxt = AiTxt.absent(AITXT_URL, "connection refused")
    assert aitxt.state == "absent" and aitxt.note == "connection refused" and aitxt.source_url == AITXT_URL
    assert aitxt.check(URL + "/a.jpg", TOKEN) is None


def test_a_content_type_other_than_text_plain_is_ignored() -> None:
    aitxt = served(b"User-Agent: *\nDisallow: /\n", "application/octet-stream")
    assert aitxt.state == "ignored" and "application/octet-stream" in aitxt.note
    assert aitxt.check(URL + "/a.jpg", TOKEN) is None


def test_html_labelled_text_plain_is_still_ignored() -> None:
    aitxt = served(b"\n  <html><head><title>ai.txt</title></head><body>Disallow: /</body></html>", "text/plain")
    assert aitxt.state == "ignored"


def test_text_plain_with_parameters_and_no_content_type_are_read() -> None:
    assert served(b"User-Agent: *\nDisallow: *.jpg\n", "Text/Plain; charset=UTF-8").state == "valid"
    missing = served(b"User-Agent: *\nDisallow: *.jpg\n", None)
    assert missing.state == "valid" and "no Content-Type" in missing.note


def test_digest_of_the_body() -> None:
    body = b"User-Agent: *\nDisallow: *.jpg\n"
    assert served(body).sha256 == hashlib.sha256(body).hexdigest()
    assert served(body, status=404).sha256 == hashlib.sha256(body).hexdigest()


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=3000),
    st.sampled_from([200, 204, 301, 404, 500, -1]),
    st.one_of(st.none(), st.sampled_from(["text/plain", "text/html", "", ";;", "text/plain; charset=latin-1"]), st.text(max_size=30)),
    st.text(max_size=60),
)
def test_arbitrary_input_never_raises(body: bytes, status: int, content_type: str | None, path: str) -> None:
    aitxt = AiTxt.parse(body, status=status, content_type=content_type, source_url=AITXT_URL)
    assert aitxt.state in ("valid", "absent", "ignored")
    finding = aitxt.check(URL + "/" + path, TOKEN)
    assert finding is None or (finding.reason == "ai-txt-disallow" and finding.restrictive)
