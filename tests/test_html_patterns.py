"""The markup real pages show (``tests/patterns.py``): nothing is lost between
the bytes and what we read, and the rights signals are still seen.

On every pattern: the links an HTML5 parser finds are read, our text is
trafilatura's on the raw page or the difference is explained
(``benchmarks/invariants.py``), and the pattern's own links, text, metas and
licence are there. A pattern past the depth cap says so instead.
"""

from __future__ import annotations

import pytest

from benchmarks.invariants import check_page
from crawler.htmltree import LOST_DEPTH, MAX_DEPTH, REPAIR_AFTER_END, parse_html
from crawler.page import parse_page
from tests.patterns import PAGE_URL, PATTERNS, Pattern


def test_there_are_at_least_forty_patterns_each_citing_where_it_was_seen() -> None:
    assert len(PATTERNS) >= 40
    assert len({p.name for p in PATTERNS}) == len(PATTERNS)
    assert all(len(p.seen) > 20 for p in PATTERNS)


@pytest.mark.parametrize("pattern", PATTERNS, ids=[p.name for p in PATTERNS])
def test_pattern_keeps_links_text_and_rights_signals(pattern: Pattern) -> None:
    page = parse_page(pattern.body, url=PAGE_URL, content_type=pattern.content_type)
    assert page.parse_error is None
    assert [link for link in pattern.links if link not in page.links] == []
    assert [link for link in pattern.not_links if link in page.links] == []
    assert [phrase for phrase in pattern.text if phrase not in page.text] == [], page.text[:500]
    assert [phrase for phrase in pattern.not_text if phrase in page.text] == []
    assert [meta for meta in pattern.metas if meta not in page.metas] == []
    if pattern.licence:
        assert page.licence is not None and page.licence.license == pattern.licence
    assert bool(page.lost) is pattern.lost


@pytest.mark.parametrize("pattern", [p for p in PATTERNS if not p.lost], ids=[p.name for p in PATTERNS if not p.lost])
def test_pattern_invariants_hold(pattern: Pattern) -> None:
    check = check_page(pattern.body, url=PAGE_URL, content_type=pattern.content_type)
    assert check.failures == []
    assert set(check.html5_links) <= set(check.links)
    assert check.text == check.direct_text or check.explanations


def test_a_page_past_the_cap_is_reported_and_keeps_what_came_before() -> None:
    (pattern,) = [p for p in PATTERNS if p.lost]
    parsed = parse_html(pattern.body.decode("utf-8"))
    assert parsed.truncated == LOST_DEPTH and str(MAX_DEPTH) in (parsed.lost or "")
    check = check_page(pattern.body, url=PAGE_URL)
    assert check.missing_links == ["http://site.test/beyond"]  # what the cap costs, and the row says so


def test_comments_are_kept_for_licence_reading_and_removed_for_the_text() -> None:
    (pattern,) = [p for p in PATTERNS if p.name == "licence-in-comment"]
    page = parse_page(pattern.body, url=PAGE_URL, content_type="text/html")
    assert page.licence is not None
    assert [(c.spdx, c.location) for c in page.licence.candidates] == [("CC-BY-2.0", "comment")]
    assert "rdf:RDF" not in page.text


def test_react_separators_no_longer_cut_paragraphs() -> None:
    body = b"<html><body><article><p>When <!-- -->President<!-- --> Lincoln spoke at the harbour the crowd listened for an hour and then went home quietly.</p></article></body></html>"
    page = parse_page(body, url=PAGE_URL, content_type="text/html")
    assert "When President Lincoln spoke" in page.text


def test_nothing_is_moved_when_only_whitespace_comments_or_scripts_follow_the_end() -> None:
    assert parse_html("<html><body><p>x</p></body></html>\n<!-- cache --><script>var a = '<a>';</script>\n").repairs == ()
    assert parse_html("<html><body><p>x</p></body></html><a href='/y'>y</a>").repairs == (REPAIR_AFTER_END,)


def test_a_page_with_more_links_than_the_cap_says_so() -> None:
    from crawler.page import LINKS_CAPPED, MAX_LINKS

    body = ("<html><body>" + "".join(f"<a href='/l/{n}'>{n}</a>" for n in range(MAX_LINKS + 10)) + "</body></html>").encode()
    page = parse_page(body, url=PAGE_URL, content_type="text/html")
    assert len(page.links) == MAX_LINKS and LINKS_CAPPED in page.repairs
    assert LINKS_CAPPED not in parse_page(b"<html><body><a href='/x'>x</a></body></html>", url=PAGE_URL, content_type="text/html").repairs


def _row(body: bytes) -> dict:
    from crawler.model.capture import Capture
    from pipelines.extraction import PageJob, process_page

    capture = Capture(PAGE_URL, 200, (("Content-Type", "text/html; charset=utf-8"),), body, 0.0)
    outcome = process_page(PageJob(capture, None, stored_rights={}))
    assert outcome.failure is None
    return outcome.row


def test_the_row_says_what_the_parse_did_and_what_it_lost() -> None:
    (capped,) = [p for p in PATTERNS if p.lost]
    row = _row(capped.body)
    assert row["content_truncated"] == LOST_DEPTH and any("2048 levels" in note for note in row["parse_notes"])
    row = _row(next(p for p in PATTERNS if p.name == "links-after-html").body)
    assert row["content_truncated"] is None and row["parse_notes"] == [REPAIR_AFTER_END]
    row = _row(b"<html><body><p>" + b"word " * (1024 * 1024 + 10) + b"</p></body></html>")
    assert row["parse_notes"] == ["page over 5 MB: text not extracted"] and row["text"] == ""
