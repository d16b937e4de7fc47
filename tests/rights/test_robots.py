"""robots.txt read per RFC 9309: reference cases 10-21 and section 1.6's edge cases.

Cases 1-9 (fetch outcomes) belong to robotsfetch, case 22 (cache key) to the
middleware, cases 23-24 to test_aiagents.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Callable

import pytest
from hypothesis import given, settings, strategies as st

from crawler.rights.evidence import Evidence
from crawler.rights.robots import (
    MAX_MALFORMED_KEPT,
    ROBOTS_PARSE_LIMIT_BYTES,
    RobotsMatch,
    RobotsRule,
    RobotsTxt,
    normalise_agent,
)
from crawler.rights.urlpattern import pattern_matches, pattern_priority
from tests.growth import assert_linear_growth

TOKEN = "researchbot"
URL = "http://example.test"
ROBOTS_URL = URL + "/robots.txt"


def parse(body: str | bytes) -> RobotsTxt:
    return RobotsTxt.parse(body, ROBOTS_URL)


def allowed(body: str | bytes, path: str, token: str = TOKEN) -> bool:
    return parse(body).can_fetch(URL + path, token).allowed


# --- case 10: size limit ---------------------------------------------------------------


def test_case_10_a_rule_past_the_limit_is_not_read_and_the_file_is_marked_truncated() -> None:
    padding = b"# " + b"x" * 1000 + b"\n"
    body = b"User-agent: *\nDisallow: /early\n" + padding * 600 + b"Disallow: /late\n"  # ~600 KiB
    robots = parse(body)
    assert len(body) > ROBOTS_PARSE_LIMIT_BYTES and robots.truncated
    assert robots.size == len(body)  # bytes received, not bytes parsed
    assert not robots.can_fetch(URL + "/early", TOKEN).allowed
    assert robots.can_fetch(URL + "/late", TOKEN).allowed
    assert "truncated" in robots.can_fetch(URL + "/early", TOKEN).evidence.note


def test_case_10_the_limit_is_at_least_500_kib() -> None:
    assert ROBOTS_PARSE_LIMIT_BYTES >= 500 * 1024
    # A rule that ends just before the limit is still read.
    rule = b"Disallow: /near-the-end\n"
    body = b"User-agent: *\n" + b"#" * (ROBOTS_PARSE_LIMIT_BYTES - 14 - len(rule) - 1) + b"\n" + rule + b"# tail\n" * 10
    robots = parse(body)
    assert robots.truncated and not robots.can_fetch(URL + "/near-the-end", TOKEN).allowed


def test_case_10_an_oversized_file_is_never_allow_all() -> None:
    body = b"User-agent: *\nDisallow: /\n" + b"# padding\n" * 120_000  # 1.2 MB
    robots = parse(body)
    assert robots.truncated
    match = robots.can_fetch(URL + "/anything", TOKEN)
    assert not match.allowed and match.rule == RobotsRule("disallow", "/", 2)


def test_case_10_a_rule_cut_in_half_by_the_limit_is_dropped() -> None:
    prefix = b"User-agent: *\nDisallow: /x\n"
    filler = b"#" * (ROBOTS_PARSE_LIMIT_BYTES - len(prefix) - 15) + b"\n"
    body = prefix + filler + b"Disallow: /private-area\n"  # the cut falls inside "/pri..."
    assert len(prefix + filler) + len(b"Disallow: /pri") == ROBOTS_PARSE_LIMIT_BYTES
    robots = parse(body)
    assert robots.truncated
    # "Disallow: /pri" would block /print; the half line must not become a rule.
    assert robots.can_fetch(URL + "/print", TOKEN).allowed
    assert robots.can_fetch(URL + "/private-area", TOKEN).allowed
    assert not robots.can_fetch(URL + "/x", TOKEN).allowed


def test_case_10_a_cut_exactly_at_a_line_end_keeps_that_line() -> None:
    prefix = b"User-agent: *\n"
    rule = b"Disallow: /kept"
    filler = b"#" * (ROBOTS_PARSE_LIMIT_BYTES - len(prefix) - len(rule) - 1) + b"\n"
    body = prefix + filler + rule + b"\nDisallow: /dropped\n"
    assert len(prefix + filler + rule) == ROBOTS_PARSE_LIMIT_BYTES
    robots = parse(body)
    assert robots.truncated
    assert not robots.can_fetch(URL + "/kept", TOKEN).allowed
    assert robots.can_fetch(URL + "/dropped", TOKEN).allowed


def test_a_file_of_exactly_the_limit_is_not_truncated() -> None:
    body = b"User-agent: *\nDisallow: /x\n"
    body += b"#" * (ROBOTS_PARSE_LIMIT_BYTES - len(body))
    robots = parse(body)
    assert len(body) == ROBOTS_PARSE_LIMIT_BYTES and not robots.truncated


# --- cases 11-15: which group is ours ------------------------------------------------------


def test_case_11_a_specific_group_overrides_star() -> None:
    body = "User-agent: *\nDisallow: /\n\nUser-agent: ResearchBot\nAllow: /\n"
    match = parse(body).can_fetch(URL + "/x", TOKEN)
    assert match.allowed and match.agents == ("ResearchBot",)
    assert match.rule == RobotsRule("allow", "/", 5)
    # Another crawler still gets the * group.
    other = parse(body).can_fetch(URL + "/x", "otherbot")
    assert not other.allowed and other.agents == ("*",)


def test_case_11_a_specific_group_does_not_inherit_from_star() -> None:
    body = "User-agent: *\nDisallow: /private\n\nUser-agent: researchbot\nDisallow: /tmp\n"
    assert allowed(body, "/private/x")
    assert not allowed(body, "/tmp/x")


def test_case_12_agent_names_are_case_insensitive() -> None:
    assert not allowed("User-agent: researchbot\nDisallow: /\n", "/x", "ResearchBot")
    assert not allowed("User-agent: RESEARCHBOT\nDisallow: /\n", "/x", "researchbot")
    assert not allowed("USER-AGENT: ResearchBot\nDISALLOW: /\n", "/x")  # keys too


def test_case_13_a_prefix_of_our_token_is_not_our_group() -> None:
    assert allowed("User-agent: Research\nDisallow: /\n", "/x")
    # The reference's "google vs googlebot" pair: Protego would bind googlebot to "google".
    assert allowed("User-agent: google\nDisallow: /\n", "/x", "googlebot")
    assert not allowed("User-agent: googlebot\nDisallow: /\n", "/x", "googlebot")
    # Nor is a longer name that contains ours.
    assert allowed("User-agent: researchbot-news\nDisallow: /\n", "/x")


def test_case_14_a_versioned_agent_line_names_our_token() -> None:
    assert not allowed("User-agent: ResearchBot/1.0\nDisallow: /\n", "/x")
    assert not allowed("User-agent: researchbot*\nDisallow: /\n", "/x")
    assert not allowed("User-agent: ResearchBot 2.1 (beta)\nDisallow: /\n", "/x")
    match = parse("User-agent: ResearchBot/1.0\nDisallow: /\n").can_fetch(URL + "/x", TOKEN)
    assert match.agents == ("ResearchBot/1.0",)


def test_case_15_matching_uses_the_bare_token_never_the_header() -> None:
    body = "User-agent: mozilla\nAllow: /\n\nUser-agent: researchbot\nDisallow: /\n"
    match = parse(body).can_fetch(URL + "/x", TOKEN)
    assert not match.allowed and match.agents == ("researchbot",)
    assert match.rule == RobotsRule("disallow", "/", 5)
    # A whole User-Agent header handed in by mistake is not cut down to "mozilla".
    header = parse(body).can_fetch(URL + "/x", "Mozilla/5.0 (compatible; ResearchBot/1.0)")
    assert "mozilla" not in header.agents and header.rule is None


def test_normalise_agent() -> None:
    assert normalise_agent(" ResearchBot/1.0 ") == "researchbot"
    assert normalise_agent("researchbot*") == "researchbot"
    assert normalise_agent("Brightbot 1.0") == "brightbot"
    assert normalise_agent("*") == "*"
    assert normalise_agent("**") == "*"
    assert normalise_agent("* # all") == "*"
    assert normalise_agent("") == ""


def test_an_empty_user_agent_value_names_no_one() -> None:
    body = "User-agent:\nDisallow: /\n"
    assert allowed(body, "/x")
    assert not parse(body).has_group_for("")


def test_all_groups_naming_us_are_merged() -> None:
    body = (
        "User-agent: researchbot\nDisallow: /a\n\n"
        "User-agent: other\nDisallow: /b\n\n"
        "User-agent: ResearchBot/2\nDisallow: /c\nAllow: /a/open\n"
    )
    robots = parse(body)
    assert not robots.can_fetch(URL + "/a/x", TOKEN).allowed
    assert robots.can_fetch(URL + "/b", TOKEN).allowed
    assert not robots.can_fetch(URL + "/c", TOKEN).allowed
    # The longest match wins across the merged groups.
    match = robots.can_fetch(URL + "/a/open/1", TOKEN)
    assert match.allowed and match.rule == RobotsRule("allow", "/a/open", 9)
    assert match.agents == ("researchbot", "ResearchBot/2")


# --- cases 16-19: which rule wins --------------------------------------------------------


def test_case_16_allow_wins_a_tie() -> None:
    match = parse("User-agent: *\nDisallow: /page\nAllow: /page\n").can_fetch(URL + "/page", TOKEN)
    assert match.allowed and match.rule == RobotsRule("allow", "/page", 3)
    # Order in the file does not matter.
    assert allowed("User-agent: *\nAllow: /page\nDisallow: /page\n", "/page")


def test_case_17_the_longest_match_wins() -> None:
    assert allowed("User-agent: *\nAllow: /p\nDisallow: /\n", "/page")
    body = "User-agent: *\nAllow: /$\nDisallow: /\n"
    assert not allowed(body, "/page.htm")
    assert allowed(body, "/")
    match = parse("User-agent: *\nDisallow: /\nAllow: /folder/\nDisallow: /folder/private\n").can_fetch(URL + "/folder/private/x", TOKEN)
    assert not match.allowed and match.rule.line == 4


def test_case_18_wildcards_and_end_anchor() -> None:
    body = "User-agent: *\nDisallow: /*.pdf$\n"
    assert not allowed(body, "/a.pdf")
    assert not allowed(body, "/deep/dir/b.pdf")
    assert allowed(body, "/a.pdf?x=1")
    assert allowed(body, "/a.pdfx")
    assert not allowed("User-agent: *\nDisallow: /*/private/*.html$\n", "/x/private/y.html")


def test_case_19_percent_encoding() -> None:
    assert not allowed("User-agent: *\nDisallow: /foo/bar/%62%61%7A\n", "/foo/bar/baz")
    assert not allowed("User-agent: *\nDisallow: /foo/bar/baz\n", "/foo/bar/%62%61%7A")
    assert allowed("User-agent: *\nDisallow: /a%2Fb\n", "/a/b")
    assert not allowed("User-agent: *\nDisallow: /a%2Fb\n", "/a%2Fb")


def test_rfc9309_figure_4_row_2_reserved_characters_in_the_query_both_directions() -> None:
    # RFC 9309 2.2.2 figure 4: /foo/bar?baz=https://foo.bar is encoded as
    # /foo/bar?baz=https%3A%2F%2Ffoo.bar before comparison, so each spelling
    # of the rule matches each spelling of the URL.
    raw, encoded = "/foo/bar?baz=https://foo.bar", "/foo/bar?baz=https%3A%2F%2Ffoo.bar"
    for rule in (raw, encoded):
        for url in (raw, encoded, encoded.lower().replace("/foo/bar?baz=", "/foo/bar?baz=")):
            assert not allowed(f"User-agent: *\nDisallow: {rule}\n", url), (rule, url)
    # an Allow of one spelling wins over Disallow: / for the other spelling too
    assert allowed(f"User-agent: *\nDisallow: /\nAllow: {raw}\n", encoded)
    assert allowed(f"User-agent: *\nDisallow: /\nAllow: {encoded}\n", raw)
    # in the path, %2F stays apart from / (RFC 3986: a delimiter is not data)
    assert allowed("User-agent: *\nDisallow: /a%2Fb?x\n", "/a/b?x")
    assert not allowed("User-agent: *\nDisallow: /r?u=a/b\n", "/r?u=a%2fb")


def test_tilde_and_non_ascii_paths() -> None:
    assert not allowed("User-agent: *\nDisallow: /%7Ejoe\n", "/~joe/index.html")
    assert not allowed("User-agent: *\nDisallow: /~joe\n", "/%7Ejoe/index.html")
    assert not allowed("User-agent: *\nDisallow: /ツ\n", "/%E3%83%84")
    assert not allowed("User-agent: *\nDisallow: /%E3%83%84\n", "/ツ")


def test_query_strings_are_part_of_the_path() -> None:
    body = "User-agent: *\nDisallow: /*?session=\n"
    assert not allowed(body, "/a?session=1")
    assert allowed(body, "/a?page=1")
    assert not allowed("User-agent: *\nDisallow: /search?q=\n", "/search?q=cats")


def test_matching_is_case_sensitive_for_paths() -> None:
    assert allowed("User-agent: *\nDisallow: /Private\n", "/private")
    assert not allowed("User-agent: *\nDisallow: /Private\n", "/Private")


def test_robots_txt_itself_is_always_allowed() -> None:
    match = parse("User-agent: *\nDisallow: /\n").can_fetch(URL + "/robots.txt", TOKEN)
    assert match.allowed and match.rule is None and "always allowed" in match.evidence.value


def test_no_rule_matched_means_allowed() -> None:
    match = parse("User-agent: *\nDisallow: /private\n").can_fetch(URL + "/public", TOKEN)
    assert match.allowed and match.rule is None and match.evidence.value == "no matching rule"
    none = parse("User-agent: other\nDisallow: /\n").can_fetch(URL + "/x", TOKEN)
    assert none.allowed and none.agents == () and none.evidence.value == "no group applies"


def test_an_unparseable_url_is_not_shown_to_be_allowed() -> None:
    match = parse("User-agent: *\nAllow: /\n").can_fetch("http://[::1/x", TOKEN)
    assert not match.allowed and match.evidence.value == "unparseable URL"


# --- cases 20-21: what ends a group --------------------------------------------------------


def test_case_20_an_unknown_line_does_not_split_a_group() -> None:
    body = "User-agent: a\nContent-Signal: ai-train=no\nUser-agent: ResearchBot\nDisallow: /\n"
    assert not allowed(body, "/x", "a")
    assert not allowed(body, "/x")
    robots = parse(body)
    assert robots.records("a", "content-signal") == (("ai-train=no", 2),)
    assert robots.records(TOKEN, "Content-Signal") == (("ai-train=no", 2),)


@pytest.mark.parametrize("between", ["Crawl-delay: 5", "Content-Usage: train-ai=n", "License: https://x.test/l.xml", "Unknown-thing: 1", "<br />"])
def test_case_20_no_record_but_a_rule_ends_the_user_agent_lines(between: str) -> None:
    body = f"User-agent: a\n{between}\nUser-agent: b\nDisallow: /\n"
    assert not allowed(body, "/x", "a") and not allowed(body, "/x", "b")


def test_a_rule_ends_the_user_agent_lines() -> None:
    body = "User-agent: a\nDisallow: /a\nUser-agent: b\nDisallow: /b\n"
    assert allowed(body, "/b", "a") and allowed(body, "/a", "b")


def test_an_empty_disallow_still_ends_the_user_agent_lines() -> None:
    body = "User-agent: a\nDisallow:\nUser-agent: b\nDisallow: /\n"
    assert allowed(body, "/x", "a") and not allowed(body, "/x", "b")


def test_case_21_prepended_star_groups_merge() -> None:
    body = (
        "User-Agent: *\nContent-signal: search=yes, ai-train=no\nAllow: /\n\n"
        "User-agent: *\nDisallow: /lp\n"
    )
    robots = parse(body)
    match = robots.can_fetch(URL + "/lp", TOKEN)
    assert not match.allowed and match.rule == RobotsRule("disallow", "/lp", 6)
    assert robots.can_fetch(URL + "/about", TOKEN).allowed
    assert robots.records(TOKEN, "content-signal") == (("search=yes, ai-train=no", 2),)


def test_sitemap_between_user_agent_lines_does_not_split_the_group() -> None:
    robots = parse("User-agent: a\nSitemap: http://example.test/s.xml\nUser-agent: researchbot\nDisallow: /x\n")
    assert not robots.can_fetch(URL + "/x", "a").allowed
    assert not robots.can_fetch(URL + "/x", TOKEN).allowed
    assert robots.sitemaps == ("http://example.test/s.xml",)


def test_rules_before_the_first_user_agent_are_ignored() -> None:
    robots = parse("Disallow: /\nAllow: /x\nUser-agent: *\nDisallow: /private\n")
    assert robots.can_fetch(URL + "/x", TOKEN).allowed
    assert robots.can_fetch(URL + "/y", TOKEN).allowed
    assert not robots.can_fetch(URL + "/private", TOKEN).allowed
    assert robots.orphan_rule_lines == (1, 2)


def test_an_empty_disallow_is_not_a_rule() -> None:
    match = parse("User-agent: *\nDisallow:\n").can_fetch(URL + "/x", TOKEN)
    assert match.allowed and match.rule is None and match.agents == ("*",)


def test_the_last_group_may_be_empty() -> None:
    body = "User-agent: other\nDisallow: /\n\nUser-agent: researchbot\n"
    match = parse(body).can_fetch(URL + "/x", TOKEN)
    assert match.allowed and match.agents == ("researchbot",)
    assert not allowed(body, "/x", "other")


# --- decoding and line syntax ----------------------------------------------------------------


def test_empty_file_allows_everything() -> None:
    for body in ("", b"", b"\n\n", "# only a comment\n"):
        robots = parse(body)
        assert robots.can_fetch(URL + "/x", TOKEN).allowed and robots.group_agents() == ()


def test_an_html_page_served_as_robots_txt_has_no_rules() -> None:
    body = "<!DOCTYPE html>\n<html>\n<head><title>Welcome</title></head>\n<body><h1>Hello: world</h1></body>\n</html>\n"
    robots = parse(body)
    assert robots.can_fetch(URL + "/x", TOKEN).allowed
    assert robots.group_agents() == ()
    assert (1, "<!DOCTYPE html>") in robots.malformed_lines


@pytest.mark.parametrize(
    "bom",
    [b"\xef\xbb\xbf", b"\xef\xbb", b"\xef", b"\xbb\xbf", b"\xef\xbf", b"\xef\xbb\xbf\xef\xbb\xbf"],
    ids=["full", "partial-2", "partial-1", "broken-tail", "broken-middle", "doubled"],
)
def test_a_byte_order_mark_is_skipped(bom: bytes) -> None:
    robots = parse(bom + b"User-agent: researchbot\nDisallow: /x\n")
    assert not robots.can_fetch(URL + "/x", TOKEN).allowed
    assert robots.malformed_lines == ()


def test_a_bom_in_an_already_decoded_string_is_skipped() -> None:
    assert not allowed("\ufeffUser-agent: researchbot\nDisallow: /x\n", "/x")


def test_a_bom_in_the_middle_of_the_file_is_not_skipped() -> None:
    robots = parse(b"User-agent: researchbot\n\xef\xbb\xbfDisallow: /x\n")
    assert robots.can_fetch(URL + "/x", TOKEN).allowed
    assert robots.malformed_lines and robots.malformed_lines[0][0] == 2


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_line_ends(eol: bytes) -> None:
    body = eol.join([b"User-agent: *", b"Disallow: /x", b"", b"Allow: /x/open", b"Crawl-delay: 3"]) + eol
    robots = parse(body)
    assert not robots.can_fetch(URL + "/x/1", TOKEN).allowed
    match = robots.can_fetch(URL + "/x/open", TOKEN)
    assert match.allowed and match.rule.line == 4  # blank lines counted, CRLF counted once
    assert robots.crawl_delay(TOKEN) == 3.0


def test_mixed_line_ends_are_counted_correctly() -> None:
    body = b"User-agent: *\r\n# one\rDisallow: /a\n\r\nDisallow: /b\r"
    robots = parse(body)
    assert robots.can_fetch(URL + "/a", TOKEN).rule.line == 3
    assert robots.can_fetch(URL + "/b", TOKEN).rule.line == 5


def test_comments_and_whitespace_around_the_colon() -> None:
    robots = parse("User-agent : *   # everyone\n  Disallow :/secret # not for you\nDisallow:/a#b\n")
    match = robots.can_fetch(URL + "/secret/1", TOKEN)
    assert not match.allowed and match.rule == RobotsRule("disallow", "/secret", 2)
    assert not robots.can_fetch(URL + "/a", TOKEN).allowed  # "#b" was a comment
    assert robots.can_fetch(URL + "/b", TOKEN).allowed


def test_known_misspellings_and_a_missing_colon_are_accepted() -> None:
    assert not allowed("User-agent: *\nDissallow: /x\n", "/x")
    assert not allowed("User agent: researchbot\nDisallow: /x\n", "/x")
    assert not allowed("User-agent researchbot\nDisallow /x\n", "/x")
    robots = parse("User-agent: *\nSitemap http://example.test/s.xml\n")
    assert robots.sitemaps == ("http://example.test/s.xml",)


def test_lines_that_are_not_records_are_listed_and_ignored() -> None:
    robots = parse("User-agent: *\nthis is not a record\nDisallow: /x\n<p>Allow: /</p>\n")
    assert robots.malformed_lines == ((2, "this is not a record"), (4, "<p>Allow: /</p>"))
    assert not robots.can_fetch(URL + "/x", TOKEN).allowed


def test_malformed_lines_are_bounded() -> None:
    robots = parse("garbage\n" * 10_000)
    assert len(robots.malformed_lines) == MAX_MALFORMED_KEPT
    long_line = parse("x" * 5000)
    assert len(long_line.malformed_lines[0][1]) <= 200


def test_invalid_utf8_bytes_are_read_leniently_one_by_one() -> None:
    # A cp1252 "é" next to a correctly encoded "ü": only the bad byte is guessed.
    robots = parse(b"User-agent: *\nDisallow: /caf\xe9\nDisallow: /m\xc3\xbcnchen\n")
    assert "not UTF-8" in robots.note
    assert not robots.can_fetch(URL + "/caf%C3%A9", TOKEN).allowed
    assert not robots.can_fetch(URL + "/m%C3%BCnchen", TOKEN).allowed
    assert "not UTF-8" in robots.can_fetch(URL + "/x", TOKEN).evidence.note
    assert parse(b"User-agent: *\nDisallow: /x\n").note == ""


def test_a_line_break_protego_knows_but_rfc_9309_does_not_stays_inside_the_pattern() -> None:
    # U+2028 would make Protego see two lines; it must stay one (encoded) pattern.
    robots = parse("User-agent: *\nDisallow: /a\u2028Allow: /\n")
    assert not robots.can_fetch(URL + "/a%E2%80%A8Allow:%20/", TOKEN).allowed
    assert robots.can_fetch(URL + "/b", TOKEN).allowed


# --- other records ------------------------------------------------------------------------


def test_crawl_delay() -> None:
    robots = parse("User-agent: *\nCrawl-delay: 2.5\nCrawl-delay: nonsense\nCrawl-delay: 4\n")
    assert robots.crawl_delay(TOKEN) == 4.0  # the largest
    assert robots.invalid_values == ((3, "Crawl-delay: nonsense"),)
    for bad in ("-4", "inf", "nan", "1e999", "", "5s"):
        assert parse(f"User-agent: *\nCrawl-delay: {bad}\n").crawl_delay(TOKEN) is None
    assert parse("User-agent: *\nCrawl-delay: 0\n").crawl_delay(TOKEN) == 0.0


def test_crawl_delay_comes_from_our_groups_only() -> None:
    body = (
        "User-agent: *\nCrawl-delay: 30\nDisallow: /tmp\n\n"
        "User-agent: researchbot\nCrawl-delay: 1\nDisallow: /a\n\n"
        "User-agent: researchbot\nCrawl-delay: 2\nDisallow: /b\n"
    )
    robots = parse(body)
    assert robots.crawl_delay(TOKEN) == 2.0
    assert robots.crawl_delay("other") == 30.0
    assert parse("User-agent: other\nCrawl-delay: 9\n").crawl_delay(TOKEN) is None


def test_groups_without_rules_run_together_so_the_larger_delay_applies() -> None:
    # Only Allow/Disallow end a run of User-agent lines (RFC 9309 2.2.4), so
    # these three "groups" are one: every agent named gets the slowest pace.
    body = "User-agent: *\nCrawl-delay: 30\n\nUser-agent: researchbot\nCrawl-delay: 1\n"
    assert parse(body).crawl_delay(TOKEN) == 30.0


def test_request_rate() -> None:
    assert parse("User-agent: *\nRequest-rate: 1/10s\n").request_rate(TOKEN) == (1, 10.0)
    assert parse("User-agent: *\nRequest-rate: 1/5\n").request_rate(TOKEN) == (1, 5.0)
    assert parse("User-agent: *\nRequest-rate: 3/1m 0600-0845\n").request_rate(TOKEN) == (3, 60.0)
    assert parse("User-agent: *\nRequest-rate: 100/1h\n").request_rate(TOKEN) == (100, 3600.0)
    assert parse("User-agent: *\nRequest-rate: 2/1d\n").request_rate(TOKEN) == (2, 86400.0)
    # The slowest of several.
    assert parse("User-agent: *\nRequest-rate: 1/1s\nRequest-rate: 1/20s\n").request_rate(TOKEN) == (1, 20.0)
    for bad in ("0/10s", "1/0", "1/10x", "fast", "1" * 50 + "/1s", "-1/5s"):
        robots = parse(f"User-agent: *\nRequest-rate: {bad}\n")
        assert robots.request_rate(TOKEN) is None
        assert robots.invalid_values and robots.invalid_values[0][0] == 2


def test_records_come_from_the_same_groups_as_the_rules() -> None:
    body = (
        "Content-Usage: train-ai=y\n"
        "User-agent: *\nContent-Usage: train-ai=n\nDisallow: /x\n\n"
        "User-agent: researchbot\nContent-Usage: /docs/ train-ai=n\nAllow: /\n"
        "Content-Usage: search=y\n"
    )
    robots = parse(body)
    assert robots.records(TOKEN, "content-usage") == (("/docs/ train-ai=n", 7), ("search=y", 9))
    assert robots.records("other", "CONTENT-USAGE") == (("train-ai=n", 3),)
    assert robots.records(TOKEN, "content-signal") == ()
    # A record before the first group belongs to the file, not to a group.
    assert robots.global_records("content-usage") == (("train-ai=y", 1),)


def test_license_and_sitemap_are_global_wherever_they_appear() -> None:
    body = (
        "Sitemap: http://example.test/a.xml\n"
        "User-agent: other\nLicense: https://example.test/license.xml\nDisallow: /\n"
        "Sitemap: http://example.test/b.xml\nSitemap: http://example.test/a.xml\n"
    )
    robots = parse(body)
    assert robots.global_records("license") == (("https://example.test/license.xml", 3),)
    assert robots.global_records("License") == robots.global_records("license")
    assert robots.sitemaps == ("http://example.test/a.xml", "http://example.test/b.xml")
    assert robots.records("other", "license") == ()


def test_has_group_for_and_group_agents() -> None:
    robots = parse("User-agent: *\nDisallow: /a\nUser-agent: GPTBot/1.1\nUser-agent: CCBot\nDisallow: /\n")
    assert robots.has_group_for("gptbot") and robots.has_group_for("GPTBot") and robots.has_group_for("ccbot")
    assert not robots.has_group_for(TOKEN) and not robots.has_group_for("*")
    assert robots.group_agents() == ("*", "gptbot", "ccbot")


# --- evidence, digests and construction -------------------------------------------------------


def test_evidence_names_the_winning_line() -> None:
    match = parse("# header\nUser-agent: *\nAllow: /\nDisallow: /secret # no\n").can_fetch(URL + "/secret/x", TOKEN)
    assert isinstance(match, RobotsMatch) and not match.allowed
    assert isinstance(match.evidence, Evidence)
    assert match.evidence.signal == "robots" and match.evidence.source == ROBOTS_URL
    assert match.evidence.line == 4 and match.evidence.value == "Disallow: /secret # no"
    assert "group *" in match.evidence.note


def test_digests_and_size() -> None:
    body = b"User-agent: *\nDisallow:\n"
    robots = RobotsTxt.parse(body)
    assert robots.size == len(body) == 24
    assert robots.sha256 == hashlib.sha256(body).hexdigest()
    assert robots.sha1 == "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()
    assert RobotsTxt.parse(b"").sha1 == "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"
    assert parse("é").size == 2  # a str is measured as its UTF-8 bytes


def test_allow_all_has_no_rules_and_keeps_its_note() -> None:
    robots = RobotsTxt.allow_all(ROBOTS_URL, "allow-all: 404")
    match = robots.can_fetch(URL + "/anything", TOKEN)
    assert match.allowed and match.rule is None and match.agents == ()
    assert robots.note == "allow-all: 404" and "allow-all: 404" in match.evidence.note
    assert robots.size == 0 and not robots.truncated and robots.crawl_delay(TOKEN) is None


def test_a_parser_failure_disallows_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: RobotsTxt, raw: bytes, leading_rules_for_all: bool = False) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(RobotsTxt, "_read", broken)
    robots = parse("User-agent: *\nAllow: /\n")
    assert not robots.can_fetch(URL + "/x", TOKEN).allowed
    assert "parser failure" in robots.note


def test_non_text_bodies_do_not_raise() -> None:
    assert RobotsTxt.parse(bytearray(b"User-agent: *\nDisallow: /x\n")).can_fetch(URL + "/x", TOKEN).allowed is False
    assert RobotsTxt.parse(None).can_fetch(URL + "/x", TOKEN).allowed  # type: ignore[arg-type]
    assert parse("User-agent: *\nDisallow: /\ud800\n").can_fetch(URL + "/y", TOKEN).allowed


def test_answers_are_stable_across_tokens_and_calls() -> None:
    robots = parse("User-agent: a\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    for _ in range(3):
        assert not robots.can_fetch(URL + "/x", "a").allowed
        assert robots.can_fetch(URL + "/x", "b").allowed


# --- performance -------------------------------------------------------------------------------


def test_a_large_file_parses_and_answers_with_linear_work() -> None:
    # 30,000 wildcard rules, past the parse limit; the quarter-size file is
    # read whole. Four times the rules may cost four times the calls, no more.
    def parse_and_ask(rules: int) -> Callable[[], tuple[RobotsTxt, RobotsMatch]]:
        body = ("User-agent: *\n" + "".join(f"Disallow: /dir{i}/*.php$\n" for i in range(rules))).encode()

        def work() -> tuple[RobotsTxt, RobotsMatch]:
            robots = parse(body)
            first = robots.can_fetch(URL + "/dir5/a.php", TOKEN)
            for i in range(50):
                robots.can_fetch(URL + f"/elsewhere/{i}", TOKEN)
            return robots, first

        return work

    robots, first = assert_linear_growth(parse_and_ask, 30_000)
    assert robots.truncated and not first.allowed and first.rule.line == 7


def _naive_winner(rules: list[RobotsRule], path: str) -> RobotsRule | None:
    best: RobotsRule | None = None
    best_key = None
    for rule in rules:
        if pattern_matches(rule.pattern, path):
            key = (-pattern_priority(rule.pattern), rule.directive != "allow", rule.line)
            if best_key is None or key < best_key:
                best, best_key = rule, key
    return best


_PATTERN_PART = st.sampled_from(["/", "a", "b", "*", "$", ".pdf", "%61", "%2F", "?q=", "ü", "/x/"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["Allow", "Disallow"]), st.lists(_PATTERN_PART, min_size=1, max_size=5).map("".join)), max_size=60),
    st.lists(st.sampled_from(["/", "a", "b", ".pdf", "?q=1", "/x/", "ü", "%2F", "$"]), max_size=6).map(lambda parts: "/" + "".join(parts)),
)
def test_the_block_shortcut_agrees_with_rule_by_rule_matching(lines: list[tuple[str, str]], path: str) -> None:
    body = "User-agent: *\n" + "".join(f"{key}: {pattern}\n" for key, pattern in lines)
    robots = parse(body)
    rules = [RobotsRule(key.lower(), pattern, number) for number, (key, pattern) in enumerate(lines, start=2)]
    match = robots.can_fetch(URL + path, TOKEN)
    if path == "/robots.txt":
        return
    expected = _naive_winner(rules, path)
    assert match.rule == expected
    assert match.allowed == (expected is None or expected.directive == "allow")


# --- never crash -------------------------------------------------------------------------------

_CHUNKS = st.sampled_from(
    [b"User-agent: *", b"User-agent: researchbot", b"User-agent: researchbot/1", b"Disallow: /a", b"Allow: /a", b"Disallow: /*$",
     b"Disallow: *", b"Content-Usage: train-ai=n", b"Crawl-delay: 1", b"Crawl-delay: x", b"Request-rate: 1/5s", b"Sitemap: x",
     b"License: y", b"\x00", b"\r", b"\n", b"\r\n", b"\xef\xbb\xbf", b"\xff\xfe", b"#", b":", b"garbage", b"<html>", b"\xe9"]
)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4000), st.text(max_size=200))
def test_arbitrary_bytes_never_raise(body: bytes, path: str) -> None:
    _exercise(parse(body), path)


@settings(max_examples=200, deadline=None)
@given(st.lists(_CHUNKS, max_size=60).map(b"".join), st.text(max_size=100))
def test_structured_garbage_never_raises(body: bytes, path: str) -> None:
    _exercise(parse(body), path)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=3000))
def test_arbitrary_text_never_raises(body: str) -> None:
    _exercise(parse(body), "a")


@settings(max_examples=20, deadline=None)
@given(st.sampled_from([b"a", b"*", b"/", b"\x00", b"\xff", b"%"]), st.integers(min_value=10_000, max_value=700_000))
def test_huge_lines_never_raise(unit: bytes, count: int) -> None:
    robots = parse(b"User-agent: *\nDisallow: /" + unit * count + b"\nDisallow: /z\n")
    _exercise(robots, "z")


def _exercise(robots: RobotsTxt, path: str) -> None:
    match = robots.can_fetch(URL + "/" + path, TOKEN)
    assert isinstance(match, RobotsMatch) and isinstance(match.allowed, bool)
    assert match.rule is None or isinstance(match.rule, RobotsRule)
    assert isinstance(match.evidence, Evidence) and match.evidence.signal == "robots"
    delay = robots.crawl_delay(TOKEN)
    assert delay is None or delay >= 0
    rate = robots.request_rate(TOKEN)
    assert rate is None or (rate[0] > 0 and rate[1] > 0)
    assert isinstance(robots.records(TOKEN, "content-usage"), tuple)
    assert isinstance(robots.global_records("license"), tuple)
    assert all(isinstance(s, str) for s in robots.sitemaps)
    assert isinstance(robots.group_agents(), tuple)
    assert robots.has_group_for(TOKEN) in (True, False)
    assert len(robots.malformed_lines) <= MAX_MALFORMED_KEPT
    assert robots.sha256 and robots.sha1.startswith("sha1:")


# --- RFC 9309 section 5 examples ----------------------------------------------------------------

RFC_EXAMPLE = """User-Agent: *
Disallow: *.gif$
Disallow: /example/
Allow: /publications/

User-Agent: foobot
Disallow:/
Allow:/example/page.html
Allow:/example/allowed.gif

User-Agent: barbot
User-Agent: bazbot
Disallow: /example/page.html

User-Agent: quxbot


EOF
"""


@pytest.mark.parametrize(
    ("token", "path", "expected"),
    [
        ("foobot", "/example/page.html", True),
        ("foobot", "/example/allowed.gif", True),
        ("foobot", "/other", False),
        ("barbot", "/example/page.html", False),
        ("bazbot", "/example/page.html", False),
        ("barbot", "/example/other.html", True),  # no inheritance from *
        ("barbot", "/a.gif", True),
        ("quxbot", "/example/page.html", True),  # the last group is empty
        ("otherbot", "/a.gif", False),
        ("otherbot", "/example/x", False),
        ("otherbot", "/publications/x", True),
    ],
)
def test_rfc_9309_section_5_1_example(token: str, path: str, expected: bool) -> None:
    assert allowed(RFC_EXAMPLE, path, token) is expected


def test_rfc_9309_section_5_2_longest_match_example() -> None:
    body = "User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n"
    assert allowed(body, "/example/page/", "foobot")
    assert not allowed(body, "/example/page/disallowed.gif", "foobot")
    assert allowed(body, "/example/", "foobot")
