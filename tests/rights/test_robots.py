"""robots.txt matching per RFC 9309: reference cases 10-24 and section 1.6's edge cases."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from crawler.rights.aiagents import agent_restriction_findings, load_agents, training_agent_tokens
from crawler.rights.aitxt import AiTxt
from crawler.rights.robots import ROBOTS_PARSE_LIMIT_BYTES, RobotsMatch, RobotsTxt

TOKEN = "researchbot"
URL = "http://example.test"


def allowed(robots: str | bytes, path: str, token: str = TOKEN) -> bool:
    return RobotsTxt.parse(robots, URL + "/robots.txt").can_fetch(URL + path, token).allowed


def test_case_10_only_the_first_500_kib_are_read() -> None:
    late = b"User-agent: *\nAllow: /\n" + b"#" * (ROBOTS_PARSE_LIMIT_BYTES + 100) + b"\nDisallow: /late\n"
    robots = RobotsTxt.parse(late)
    assert robots.truncated and robots.can_fetch(URL + "/late", TOKEN).allowed
    top = b"User-agent: *\nDisallow: /\n" + b"# pad\n" * 150_000
    assert not RobotsTxt.parse(top).can_fetch(URL + "/x", TOKEN).allowed


def test_case_10_a_rule_cut_in_half_is_dropped() -> None:
    body = b"User-agent: *\n" + b"#" * (ROBOTS_PARSE_LIMIT_BYTES - 30) + b"\nDisallow: /private-area-of-the-site\n"
    robots = RobotsTxt.parse(body)
    assert robots.truncated
    assert robots.can_fetch(URL + "/p", TOKEN).allowed  # "Disallow: /p…" never became a broader rule


def test_case_11_a_specific_group_overrides_star() -> None:
    assert allowed("User-agent: *\nDisallow: /\n\nUser-agent: ResearchBot\nAllow: /\n", "/x")


def test_case_12_agent_names_are_case_insensitive() -> None:
    assert not allowed("User-agent: researchbot\nDisallow: /\n", "/x", "ResearchBot")


def test_case_13_a_prefix_of_our_token_is_not_our_group() -> None:
    assert allowed("User-agent: Research\nDisallow: /\n", "/x")


def test_case_14_a_versioned_agent_line_is_our_token() -> None:
    assert not allowed("User-agent: ResearchBot/1.0\nDisallow: /\n", "/x")
    assert not allowed("User-agent: researchbot*\nDisallow: /\n", "/x")


def test_case_15_matching_uses_the_token_not_the_header() -> None:
    robots = "User-agent: mozilla\nAllow: /\n\nUser-agent: researchbot\nDisallow: /\n"
    assert not allowed(robots, "/x")


def test_case_16_allow_wins_a_tie() -> None:
    assert allowed("User-agent: *\nDisallow: /page\nAllow: /page\n", "/page")


def test_case_17_longest_match() -> None:
    assert allowed("User-agent: *\nAllow: /p\nDisallow: /\n", "/page")
    robots = "User-agent: *\nAllow: /$\nDisallow: /\n"
    assert not allowed(robots, "/page.htm") and allowed(robots, "/")


def test_case_18_wildcards_and_end_anchor() -> None:
    robots = "User-agent: *\nDisallow: /*.pdf$\n"
    assert not allowed(robots, "/a.pdf") and allowed(robots, "/a.pdf?x=1")


def test_case_19_percent_encoding() -> None:
    assert not allowed("User-agent: *\nDisallow: /foo/bar/%62%61%7A\n", "/foo/bar/baz")
    assert allowed("User-agent: *\nDisallow: /a%2Fb\n", "/a/b")


def test_case_20_an_unknown_line_does_not_split_a_group() -> None:
    robots = "User-agent: a\nContent-Signal: ai-train=no\nUser-agent: ResearchBot\nDisallow: /\n"
    assert not allowed(robots, "/x", "a")
    parsed = RobotsTxt.parse(robots)
    assert parsed.records("a", "content-signal") == (("ai-train=no", 2),)


def test_case_21_prepended_star_groups_merge() -> None:
    robots = (
        "User-Agent: *\nContent-signal: search=yes, ai-train=no\nAllow: /\n\n"
        "User-agent: *\nDisallow: /lp\n"
    )
    assert not allowed(robots, "/lp") and allowed(robots, "/about")
    assert RobotsTxt.parse(robots).records(TOKEN, "content-signal") == (("search=yes, ai-train=no", 2),)


def test_case_23_our_token_is_not_an_ai_agent_and_scrapy_is_blocked() -> None:
    tokens = [a.token for a in load_agents()]
    assert "tdmcrawl" not in [t.lower() for t in tokens]
    robots = "User-agent: " + "\nUser-agent: ".join(tokens + ["Scrapy"]) + "\nDisallow: /\n"
    assert not allowed(robots, "/x", "scrapy")
    assert allowed(robots, "/x", "tdmcrawl")


def test_case_24_an_ai_agent_group_is_a_training_reservation() -> None:
    robots = RobotsTxt.parse("User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n", URL + "/robots.txt")
    assert robots.can_fetch(URL + "/x", "tdmcrawl").allowed
    findings = agent_restriction_findings(robots, URL + "/x")
    assert [f.reason for f in findings] == ["ai-agent-restriction:GPTBot"]
    assert findings[0].restrictive and findings[0].usage.train.value == "deny"
    assert findings[0].evidence[0].line == 2
    assert "GPTBot" in training_agent_tokens() and "CCBot" in training_agent_tokens()


def test_ai_agent_groups_only_count_when_they_name_the_agent() -> None:
    robots = RobotsTxt.parse("User-agent: *\nDisallow: /private\n")
    assert agent_restriction_findings(robots, URL + "/x") == []


def test_evidence_names_the_winning_line() -> None:
    match = RobotsTxt.parse("# header\nUser-agent: *\nAllow: /\nDisallow: /secret # no\n", URL + "/robots.txt").can_fetch(URL + "/secret/x", TOKEN)
    assert isinstance(match, RobotsMatch) and not match.allowed
    assert match.rule.line == 4 and match.evidence.line == 4
    assert "Disallow: /secret" in match.evidence.value and match.evidence.source == URL + "/robots.txt"


# --- section 1.6 edge cases -------------------------------------------------------


def test_empty_file_and_html_body_allow() -> None:
    assert allowed("", "/x")
    assert allowed("<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>", "/x")


def test_bom_crlf_and_cr_only() -> None:
    assert not allowed(b"\xef\xbb\xbfUser-agent: *\r\nDisallow: /x\r\n", "/x")
    assert not allowed(b"User-agent: *\rDisallow: /x\r", "/x")
    assert not allowed(b"\xef\xbbUser-agent: *\nDisallow: /x\n", "/x")  # a broken BOM


def test_rules_before_any_agent_are_ignored_and_empty_disallow_is_not_a_rule() -> None:
    assert allowed("Disallow: /\nUser-agent: *\nDisallow:\n", "/x")


def test_sitemap_between_agent_lines_and_globals() -> None:
    robots = RobotsTxt.parse("User-agent: a\nSitemap: http://example.test/s.xml\nUser-agent: researchbot\nDisallow: /x\nLicense: http://example.test/l.xml\n")
    assert not robots.can_fetch(URL + "/x", "a").allowed
    assert robots.sitemaps == ("http://example.test/s.xml",)
    assert robots.global_records("license") == (("http://example.test/l.xml", 5),)


def test_last_group_empty_allows() -> None:
    assert allowed("User-agent: other\nDisallow: /\n\nUser-agent: researchbot\n", "/x")


def test_crawl_delay_and_request_rate() -> None:
    robots = RobotsTxt.parse("User-agent: *\nCrawl-delay: 2.5\nRequest-rate: 1/10s\nCrawl-delay: nonsense\n")
    assert robots.crawl_delay(TOKEN) == 2.5
    assert robots.request_rate(TOKEN) == (1, 10.0)
    assert RobotsTxt.parse("User-agent: *\nRequest-rate: 3/1m 0600-0845\n").request_rate(TOKEN) == (3, 60.0)
    assert RobotsTxt.parse("User-agent: *\nCrawl-delay: -4\nCrawl-delay: inf\n").crawl_delay(TOKEN) is None


def test_non_utf8_is_read_leniently() -> None:
    robots = RobotsTxt.parse(b"User-agent: *\nDisallow: /caf\xe9\n")
    assert "not UTF-8" in robots.note
    assert not robots.can_fetch(URL + "/caf%C3%A9", TOKEN).allowed


def test_query_strings_count() -> None:
    assert not allowed("User-agent: *\nDisallow: /*?session=\n", "/a?session=1")
    assert allowed("User-agent: *\nDisallow: /*?session=\n", "/a?page=1")


def test_robots_txt_itself_is_always_allowed() -> None:
    assert allowed("User-agent: *\nDisallow: /\n", "/robots.txt")


def test_digests_and_size() -> None:
    robots = RobotsTxt.parse(b"User-agent: *\nDisallow:\n")
    assert robots.sha1.startswith("sha1:") and len(robots.sha256) == 64 and robots.size == 24


# --- ai.txt (case 51) --------------------------------------------------------------


def test_case_51_ai_txt_served_as_html_is_ignored() -> None:
    aitxt = AiTxt.parse(b"<!DOCTYPE html><html><body>Nothing</body></html>", status=200, content_type="text/html", source_url=URL + "/ai.txt")
    assert aitxt.state == "ignored" and aitxt.check(URL + "/a.jpg", TOKEN) is None


def test_case_51_glob_without_leading_slash_reserves_media() -> None:
    aitxt = AiTxt.parse(b"User-Agent: *\nDisallow: *.jpg\n", status=200, content_type="text/plain", source_url=URL + "/ai.txt")
    finding = aitxt.check(URL + "/photos/a.jpg", TOKEN)
    assert finding is not None and finding.reason == "ai-txt-disallow" and finding.usage.train.value == "deny"
    assert aitxt.check(URL + "/page.html", TOKEN) is None


def test_ai_txt_missing_is_absent() -> None:
    assert AiTxt.parse(b"not found", status=404, content_type="text/plain", source_url=URL + "/ai.txt").state == "absent"


# --- never crash ---------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4000), st.text(max_size=200))
def test_arbitrary_bytes_never_raise(body: bytes, path: str) -> None:
    robots = RobotsTxt.parse(body, URL + "/robots.txt")
    match = robots.can_fetch(URL + "/" + path, TOKEN)
    assert isinstance(match.allowed, bool)
    robots.crawl_delay(TOKEN), robots.request_rate(TOKEN), robots.records(TOKEN, "content-usage"), robots.sitemaps


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["User-agent: *", "User-agent: researchbot", "Disallow: /a", "Allow: /a", "Disallow: /*$", "Content-Usage: train-ai=n", "Crawl-delay: 1", "\x00", "\r", "garbage", "Sitemap: x"]), max_size=40))
def test_structured_garbage_never_raises(lines: list[str]) -> None:
    robots = RobotsTxt.parse("\n".join(lines))
    assert isinstance(robots.can_fetch(URL + "/a", TOKEN).allowed, bool)
