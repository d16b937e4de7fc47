"""DisallowAITraining / AllowAITraining in robots.txt, noml and DisallowAITraining
as robots directives: training reservations with their evidence."""

from __future__ import annotations

from crawler.rights.ai_training_rules import ai_training_rule_finding
from crawler.rights.evidence import FindingKind, Use
from crawler.rights.policy import STRICT, PolicyProfile
from crawler.rights.robots import RobotsTxt
from crawler.rights.stages import OriginRights, PolicyFile, assess_request
from crawler.rights.xrobots import from_meta_robots, from_x_robots_tag, noml_finding

TOKEN = "tdmcrawl"
ROBOTS_URL = "https://site.test/robots.txt"
RESEARCH = PolicyProfile(name="research-exception", honoured=frozenset())

# The shape of logdetective.com/robots.txt (fedora-copr/logdetective-website
# frontend/public/robots.txt @a7c6ac6): a named AI group with
# path-scoped Disallow and DisallowAITraining lines, then a '*' group that lets
# everyone fetch and asks that nothing be used for training.
AI_GROUP_THEN_STAR = """\
# AI agents may read the site except three paths
User-Agent: GPTBot
User-Agent: ClaudeBot
User-Agent: cohere-ai

Disallow: /review
DisallowAITraining: /review
DisallowAITraining: /explain

# everyone else: fetch, but do not train
User-Agent: *
DisallowAITraining: /
Allow: /
"""


def origin_of(body: str) -> OriginRights:
    robots = RobotsTxt.parse(body, ROBOTS_URL)
    return OriginRights("https://site.test", robots, PolicyFile("robots", ROBOTS_URL, "ok"))


def test_star_group_disallow_ai_training_is_a_reservation_with_its_line():
    robots = RobotsTxt.parse(AI_GROUP_THEN_STAR, ROBOTS_URL)
    finding = ai_training_rule_finding(robots, "https://site.test/posts/1", TOKEN)
    assert finding is not None and finding.restrictive and finding.kind is FindingKind.USE
    assert finding.reason == "disallow-ai-training" and finding.usage.train is Use.DENY
    evidence = finding.evidence[0]
    assert evidence.line == 12 and evidence.value == "DisallowAITraining: /" and evidence.source == ROBOTS_URL


def test_the_rule_decides_use_not_fetch_and_research_exception_records_it():
    request = assess_request("https://site.test/posts/1", origin_of(AI_GROUP_THEN_STAR), TOKEN)
    assert request.robots.allowed  # fetched
    assert request.decide(STRICT).reason == "disallow-ai-training"
    research = request.decide(RESEARCH)
    assert not research.excluded and "disallow-ai-training" in research.reservations


def test_rules_are_path_scoped_longest_match_allow_on_a_tie():
    body = (
        "User-agent: *\nAllow: /\n"
        "DisallowAITraining: /members/\n"
        "AllowAITraining: /members/public/\n"
        "DisallowAITraining: /same\nAllowAITraining: /same\n"
        "DisallowAITraining: /*.pdf$\n"
    )
    robots = RobotsTxt.parse(body, ROBOTS_URL)

    def reason(path: str) -> str | None:
        finding = ai_training_rule_finding(robots, "https://site.test" + path, TOKEN)
        return finding.reason if finding else None

    assert reason("/members/x") == "disallow-ai-training"
    assert reason("/members/public/x") == "allow-ai-training"
    assert reason("/same") == "allow-ai-training"
    assert reason("/docs/a.pdf") == "disallow-ai-training"
    assert reason("/docs/a.pdf?x=1") is None
    assert reason("/blog/") is None


def test_only_our_groups_count_and_the_lines_do_not_split_groups():
    robots = RobotsTxt.parse(AI_GROUP_THEN_STAR, ROBOTS_URL)
    # cohere-ai's group reserves /explain for cohere-ai; for us only '*' counts
    assert ai_training_rule_finding(robots, "https://site.test/explain", "cohere-ai").evidence[0].line == 8
    # a DisallowAITraining line between User-agent lines leaves them one group (RFC 9309 2.2.4)
    joined = RobotsTxt.parse("User-agent: a\nDisallowAITraining: /\nUser-agent: tdmcrawl\nDisallow: /x\n", ROBOTS_URL)
    assert ai_training_rule_finding(joined, "https://site.test/y", TOKEN).reason == "disallow-ai-training"
    assert not joined.can_fetch("https://site.test/x", TOKEN).allowed
    # an empty value is no rule
    assert ai_training_rule_finding(RobotsTxt.parse("User-agent: *\nDisallowAITraining:\n"), "https://s.test/", TOKEN) is None


def test_robots_only_disallow_ai_training_with_disallow_everything_is_a_fetch_exclusion_first():
    # alexschroeder.ch's announced file: "Disallow: /" plus "DisallowAITraining: /" for '*'
    request = assess_request("https://site.test/a", origin_of("User-agent: *\nDisallow: /\nDisallowAITraining: /\n"), TOKEN)
    decision = request.decide(RESEARCH)
    assert decision.excluded and decision.reason == "robots-disallow"


def test_noml_in_x_robots_tag_and_meta_is_a_training_reservation():
    header = from_x_robots_tag([("X-Robots-Tag", "noai, noimageai, noml")], TOKEN)
    finding = noml_finding(header, source_family="x-robots-tag")
    assert finding is not None and finding.reason == "noml" and finding.restrictive
    assert finding.usage.train is Use.DENY and finding.evidence[0].source == "header:X-Robots-Tag"
    meta = from_meta_robots([("robots", "index, follow, noml")], TOKEN)
    assert noml_finding(meta, source_family="meta-robots").signal == "meta-robots"
    # scoped to another agent: not ours
    other = from_x_robots_tag([("X-Robots-Tag", "otherbot: noml")], TOKEN)
    assert noml_finding(other, source_family="x-robots-tag") is None
    # the meta / header form of DisallowAITraining
    meta_rule = from_meta_robots([("robots", "DisallowAITraining")], TOKEN)
    assert noml_finding(meta_rule, source_family="meta-robots").reason == "disallow-ai-training"


def test_noml_through_the_stages():
    request = assess_request("https://site.test/a", origin_of("User-agent: *\nAllow: /\n"), TOKEN)
    judged = request.with_headers(200, [("X-Robots-Tag", "noml")])
    assert judged.decide(STRICT).reason == "noml"
    assert not judged.decide(RESEARCH).excluded and judged.decide(RESEARCH).reservations == ("noml",)
    page = request.with_headers(200, []).with_page([("robots", "noml")])
    assert page.decide(STRICT).reason == "noml" and page.decide(STRICT).evidence[0].source == "meta:robots"
