"""The policy: findings from every signal become one decision; profiles decide which reservations exclude."""

from __future__ import annotations

import importlib

from crawler.rights.evidence import Evidence, Finding, FindingKind, Usage, Use
from crawler.rights.policy import STRICT, PolicyProfile, decide, reason_family
from crawler.rights.robots import RobotsTxt
from crawler.rights.stages import OriginRights, PolicyFile, assess_request
from crawler.rights.tdmrep import TdmRepFile

RESEARCH = PolicyProfile.from_mapping(importlib.import_module("settings.profiles.research_exception").TDMCRAWL_POLICY)
EV = (Evidence("test", "here", "value"),)


def use(signal: str, reason: str) -> Finding:
    return Finding(signal, reason, FindingKind.USE, True, Usage(train=Use.DENY), EV)


def test_fetch_findings_exclude_under_every_profile() -> None:
    robots = Finding("robots", "robots-disallow", FindingKind.FETCH, True, evidence=EV)
    for profile in (STRICT, RESEARCH):
        decision = decide([robots], profile)
        assert decision.excluded and decision.reason == "robots-disallow"


def test_strict_excludes_reservations_research_exception_records_them() -> None:
    findings = [use("tdmrep", "tdmrep-reserved"), use("x-robots-tag", "noai")]
    strict = decide(findings, STRICT)
    assert strict.excluded and strict.reason == "tdmrep-reserved"  # the first family in precedence names the reason
    research = decide(findings, RESEARCH)
    assert not research.excluded and research.reservations == ("tdmrep-reserved", "noai")
    assert research.usage.train is Use.DENY


def test_most_restrictive_wins_and_fetch_before_use() -> None:
    allow = Finding("content-usage", "content-usage-train-ai-allowed", FindingKind.USE, False, Usage(train=Use.ALLOW), EV)
    deny = use("ai-txt", "ai-txt-disallow")
    rsl_server = Finding("rsl", "rsl-license-required", FindingKind.FETCH, True, evidence=EV)
    decision = decide([allow, deny, rsl_server], STRICT)
    assert decision.reason == "rsl-license-required" and decision.usage.train is Use.DENY


def test_reason_families() -> None:
    assert reason_family("robots-unreachable-5xx") == "robots"
    assert reason_family("ai-agent-restriction:GPTBot") == "ai-agent"
    assert reason_family("content-usage-train-ai") == "content-usage"
    assert reason_family("noai") == "noai"
    assert reason_family("http-404") == "http"
    assert reason_family("private-address") == "private-address"


def test_precedence_across_stages_tdm_file_header_meta() -> None:
    robots = RobotsTxt.parse("User-agent: *\nAllow: /\n", "http://x.test/robots.txt")
    tdm = TdmRepFile.parse(b'[{"location": "/", "tdm-reservation": 1}]', status=200, content_type="application/json", source_url="http://x.test/.well-known/tdmrep.json")
    origin = OriginRights("http://x.test", robots, PolicyFile("robots", "http://x.test/robots.txt", "ok"), tdmrep=tdm)
    request = assess_request("http://x.test/a", origin, "tdmcrawl")
    assert request.decide(STRICT).reason == "tdmrep-reserved"
    # research-exception: fetched; the header lifts the file's reservation, the meta sets it again
    headers = request.with_headers(200, [("tdm-reservation", "0")])
    assert headers.tdm.reservation == 0 and not headers.decide(STRICT).excluded
    page = headers.with_page([("tdm-reservation", "1")])
    assert page.tdm.reservation == 1 and page.tdm.source == "meta" and page.decide(STRICT).excluded
    record = page.record(RESEARCH)
    assert record["tdm_reservation"] == 1 and record["reservations"] == ["tdmrep-reserved"] and record["policy_profile"] == "research-exception"


def test_content_usage_robots_and_header_combine() -> None:
    robots = RobotsTxt.parse("User-agent: *\nAllow: /\nContent-Usage: train-ai=y\n", "http://x.test/robots.txt")
    origin = OriginRights("http://x.test", robots, PolicyFile("robots", "http://x.test/robots.txt", "ok"))
    request = assess_request("http://x.test/a", origin, "tdmcrawl")
    assert not request.decide(STRICT).excluded
    judged = request.with_headers(200, [("Content-Usage", "train-ai=n")])
    assert judged.decide(STRICT).reason == "content-usage-train-ai"  # case 39
