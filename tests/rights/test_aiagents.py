"""Known AI crawlers and what robots.txt groups aimed at them mean: reference cases 23-24."""

from __future__ import annotations

import json
from importlib import resources

from hypothesis import given, settings, strategies as st

from crawler import PRODUCT_TOKEN
from crawler.rights.aiagents import AiAgent, agent_restriction_findings, load_agents, training_agent_tokens
from crawler.rights.evidence import FindingKind, Use
from crawler.rights.robots import RobotsTxt, normalise_agent

URL = "http://example.test"
ROBOTS_URL = URL + "/robots.txt"

# Section 1.5 of the reference, by role.
TRAINING = [
    "GPTBot", "ClaudeBot", "CCBot", "Google-Extended", "Applebot-Extended", "meta-externalagent", "FacebookBot",
    "Bytespider", "cohere-training-data-crawler", "Ai2Bot-Dolma", "DeepSeekBot", "Timpibot", "LAIONDownloader",
    "img2dataset", "YandexAdditional", "Webzio-Extended", "omgili", "anthropic-ai", "Claude-Web",
]
SEARCH = ["OAI-SearchBot", "Claude-SearchBot", "PerplexityBot", "Amzn-SearchBot", "DuckAssistBot"]
USER = ["ChatGPT-User", "Claude-User", "Perplexity-User", "MistralAI-User", "Google-Agent", "Kimi-User"]


def by_token() -> dict[str, AiAgent]:
    return {agent.token: agent for agent in load_agents()}


def test_the_packaged_list_is_documented_and_complete() -> None:
    raw = json.loads(resources.files("crawler.rights").joinpath("data/ai_agents.json").read_text("utf-8"))
    assert "ai-robots-txt/ai.robots.txt" in raw["source"] and raw["retrieved"] == "2026-11-28"
    agents = load_agents()
    assert len(agents) == len(raw["agents"]) >= 166
    assert all(isinstance(a, AiAgent) and a.role in ("training", "search", "user", "other") for a in agents)
    assert len({a.token for a in agents}) == len(agents)


def test_reference_training_agents_are_training() -> None:
    agents = by_token()
    for token in TRAINING:
        assert agents[token].role == "training", token
        assert token in training_agent_tokens()


def test_reference_search_and_user_agents_are_not_training() -> None:
    agents = by_token()
    for token in SEARCH:
        assert agents[token].role == "search", token
    for token in USER:
        assert agents[token].role == "user", token
    assert not set(SEARCH + USER) & set(training_agent_tokens())


def test_control_only_tokens() -> None:
    agents = by_token()
    assert agents["Google-Extended"].control_only and agents["Applebot-Extended"].control_only
    assert not agents["GPTBot"].control_only
    assert agents["GPTBot"].operator == "OpenAI" and agents["CCBot"].operator == "Common Crawl Foundation"


def test_load_agents_is_cached() -> None:
    assert load_agents() is load_agents()


# --- case 23 --------------------------------------------------------------------------------------


def test_case_23_our_token_is_not_an_ai_agent() -> None:
    listed = {normalise_agent(a.token) for a in load_agents()}
    assert PRODUCT_TOKEN == "tdmcrawl"
    assert normalise_agent(PRODUCT_TOKEN) not in listed
    # The framework we build on is listed, which is why we never send its name.
    assert "scrapy" in listed and "spider" in listed


def test_case_23_the_ai_robots_txt_file_blocks_scrapy_but_not_us() -> None:
    tokens = [a.token for a in load_agents()] + ["Scrapy"]
    robots = RobotsTxt.parse("".join(f"User-agent: {t}\n" for t in tokens) + "Disallow: /\n", ROBOTS_URL)
    blocked = robots.can_fetch(URL + "/page", "scrapy")
    assert not blocked.allowed and blocked.rule is not None and blocked.rule.pattern == "/"
    assert robots.can_fetch(URL + "/page", PRODUCT_TOKEN).allowed
    assert robots.can_fetch(URL + "/page", "tdmcrawl").rule is None
    # And every listed agent is bound by it, versioned names included.
    assert not robots.can_fetch(URL + "/page", "mistralai-user").allowed
    assert not robots.can_fetch(URL + "/page", "brightbot").allowed


# --- case 24 --------------------------------------------------------------------------------------


def test_case_24_an_ai_agent_group_is_a_training_reservation_not_a_fetch_block() -> None:
    robots = RobotsTxt.parse("User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n", ROBOTS_URL)
    assert robots.can_fetch(URL + "/x", PRODUCT_TOKEN).allowed
    findings = agent_restriction_findings(robots, URL + "/x")
    assert len(findings) == 1
    finding = findings[0]
    assert finding.signal == "ai-agent" and finding.reason == "ai-agent-restriction:GPTBot"
    assert finding.kind is FindingKind.USE and finding.restrictive
    assert finding.usage.train is Use.DENY and finding.usage.tdm is Use.DENY
    assert finding.usage.search is Use.UNKNOWN and finding.usage.ai_input is Use.UNKNOWN
    (evidence,) = finding.evidence
    assert evidence.signal == "ai-agent" and evidence.source == ROBOTS_URL
    assert evidence.line == 2 and evidence.value == "Disallow: /"
    assert "GPTBot" in evidence.note


def test_only_groups_that_name_the_agent_count() -> None:
    robots = RobotsTxt.parse("User-agent: *\nDisallow: /private\n", ROBOTS_URL)
    assert agent_restriction_findings(robots, URL + "/private/x") == []


def test_an_agent_group_counts_only_where_it_disallows() -> None:
    robots = RobotsTxt.parse("User-agent: CCBot\nDisallow: /archive/\nAllow: /archive/open/\n", ROBOTS_URL)
    assert [f.reason for f in agent_restriction_findings(robots, URL + "/archive/x")] == ["ai-agent-restriction:CCBot"]
    assert agent_restriction_findings(robots, URL + "/archive/open/x") == []
    assert agent_restriction_findings(robots, URL + "/news/x") == []


def test_several_agents_and_versioned_lines() -> None:
    body = "User-agent: GPTBot/1.1\nUser-agent: ClaudeBot\nUser-agent: PerplexityBot\nDisallow: /\n"
    robots = RobotsTxt.parse(body, ROBOTS_URL)
    reasons = [f.reason for f in agent_restriction_findings(robots, URL + "/x")]
    # PerplexityBot is a search crawler: its group says nothing about training.
    assert reasons == ["ai-agent-restriction:ClaudeBot", "ai-agent-restriction:GPTBot"]  # list order
    assert "ai-agent-restriction:PerplexityBot" not in reasons


def test_spellings_of_one_agent_are_reported_once() -> None:
    robots = RobotsTxt.parse("User-agent: brightbot\nDisallow: /\n", ROBOTS_URL)
    findings = agent_restriction_findings(robots, URL + "/x")
    assert [f.reason for f in findings] == ["ai-agent-restriction:Brightbot"]
    meta = RobotsTxt.parse("User-agent: Meta-ExternalAgent\nDisallow: /\n", ROBOTS_URL)
    assert len(agent_restriction_findings(meta, URL + "/x")) == 1


def test_tokens_can_be_given() -> None:
    robots = RobotsTxt.parse("User-agent: GPTBot\nDisallow: /\nUser-agent: somebot\nDisallow: /\n", ROBOTS_URL)
    assert [f.reason for f in agent_restriction_findings(robots, URL + "/x", ["somebot", "*", ""])] == ["ai-agent-restriction:somebot"]
    assert agent_restriction_findings(robots, URL + "/x", []) == []


def test_a_4xx_robots_txt_says_nothing_about_agents() -> None:
    assert agent_restriction_findings(RobotsTxt.allow_all(ROBOTS_URL, "allow-all: 404"), URL + "/x") == []


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.text(max_size=50))
def test_arbitrary_robots_never_raise(body: bytes, path: str) -> None:
    robots = RobotsTxt.parse(b"User-agent: GPTBot\n" + body, ROBOTS_URL)
    findings = agent_restriction_findings(robots, URL + "/" + path)
    assert isinstance(findings, list)
    for finding in findings:
        assert finding.reason.startswith("ai-agent-restriction:") and finding.restrictive and finding.evidence


def test_every_agent_has_its_role_by_a_clause_of_the_written_rule() -> None:
    from crawler.rights.aiagents import BASES, TRAINING_BASES

    raw = json.loads(resources.files("crawler.rights").joinpath("data/ai_agents.json").read_text("utf-8"))
    assert set(raw["rule"]) == {"summary", *BASES}
    for agent in load_agents():
        assert agent.basis in BASES, agent
        # the role follows from the clause, for the whole list
        assert (agent.role == "training") == (agent.basis in TRAINING_BASES), agent
        assert agent.role != "user" or agent.basis == "on-request", agent
        assert agent.role != "search" or agent.basis == "index", agent
        assert not agent.control_only or agent.basis == "control", agent


def test_crawlers_publishers_block_for_training_count_as_training() -> None:
    # cohere-ai (11 of 18 sampled publisher files), Diffbot (builds web datasets),
    # news-please (news corpora; named in publishers' AI-block lists, e.g. VnExpress),
    # Poseidon Research Crawler (AI research collection), YouBot ("search engine and LLMs").
    agents = by_token()
    for token, basis in (("cohere-ai", "undocumented"), ("Diffbot", "dataset"), ("news-please", "dataset"),
                         ("Poseidon Research Crawler", "trains"), ("YouBot", "trains")):
        assert agents[token].role == "training" and agents[token].basis == basis, token
    # on-request fetchers and documented search indexes stay out
    assert agents["ChatGPT-User"].role == "user" and agents["OAI-SearchBot"].role == "search"
    assert agents["Scrapy"].role == "other" and agents["Scrapy"].basis == "tool"


def test_a_news_please_group_reserves_training_for_its_paths() -> None:
    # VnExpress's robots.txt shape: everyone allowed, news-please named and disallowed.
    robots = RobotsTxt.parse("User-agent: *\nAllow: /\n\nUser-agent: news-please\nDisallow: /\n", ROBOTS_URL)
    findings = agent_restriction_findings(robots, URL + "/thoi-su/bai-viet-1.html")
    assert [f.reason for f in findings] == ["ai-agent-restriction:news-please"]
    assert robots.can_fetch(URL + "/thoi-su/bai-viet-1.html", PRODUCT_TOKEN).allowed
