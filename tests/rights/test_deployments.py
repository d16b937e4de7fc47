"""Deployment patterns (tests/rights/deployment_fixtures.py): each real-world
pattern, written again by us, gives the decision the specs argue for, under
the strict and research-exception profiles as the settings modules define them."""

from __future__ import annotations

from collections import Counter

import pytest

from crawler.rights.aitxt import AiTxt
from crawler.rights.evidence import FindingKind
from crawler.rights.policy import PolicyProfile
from crawler.rights.robots import ROBOTS_PARSE_LIMIT_BYTES, RobotsTxt
from crawler.rights.rsl import RslDocument
from crawler.rights.stages import OriginRights, PolicyFile, RightsAssessment, assess_request
from crawler.rights.tdmrep import TdmRepFile
from settings.profiles.research_exception import TDMCRAWL_POLICY as RESEARCH_SETTINGS
from settings.profiles.strict import TDMCRAWL_POLICY as STRICT_SETTINGS

from .deployment_fixtures import DEPLOYMENTS, Case, Deployment

TOKEN = "tdmcrawl"
STRICT = PolicyProfile.from_mapping(STRICT_SETTINGS)
RESEARCH = PolicyProfile.from_mapping(RESEARCH_SETTINGS)


def _bytes(body: bytes | str) -> bytes:
    return body if isinstance(body, bytes) else body.encode("utf-8")


def origin_of(site: Deployment) -> OriginRights:
    robots_url = site.origin + "/robots.txt"
    if site.robots is None:
        robots = RobotsTxt.allow_all(robots_url, "404")
        robots_file = PolicyFile("robots", robots_url, "unavailable-4xx", 404)
    else:
        robots = RobotsTxt.parse(_bytes(site.robots), robots_url)
        robots_file = PolicyFile("robots", robots_url, "ok", 200)
    tdmrep = aitxt = None
    if site.tdmrep is not None:
        tdmrep = TdmRepFile.parse(_bytes(site.tdmrep), status=200, content_type="application/json",
                                  source_url=site.origin + "/.well-known/tdmrep.json")
    if site.aitxt is not None:
        aitxt = AiTxt.parse(_bytes(site.aitxt), status=200, content_type="text/plain", source_url=site.origin + "/ai.txt")
    documents = tuple(RslDocument.parse(_bytes(doc), source_url=f"{site.origin}/license-{i}.xml") for i, doc in enumerate(site.rsl))
    return OriginRights(site.origin, robots, robots_file, tdmrep=tdmrep, aitxt=aitxt, rsl=documents)


def judged(site: Deployment, case: Case) -> tuple[bool, RightsAssessment]:
    assessment = assess_request(case.url, origin_of(site), TOKEN)
    fetched = not any(f.restrictive and f.kind is FindingKind.FETCH for f in assessment.findings(STRICT))
    if fetched:
        assessment = assessment.with_headers(200, list(site.headers)).with_page(list(site.metas))
    return fetched, assessment


CASES = [pytest.param(site, case, id=f"{site.id}:{i}") for site in DEPLOYMENTS for i, case in enumerate(site.cases)]


@pytest.mark.parametrize(("site", "case"), CASES)
def test_deployment_pattern_decision(site: Deployment, case: Case) -> None:
    fetched, assessment = judged(site, case)
    strict, research = assessment.decide(STRICT), assessment.decide(RESEARCH)
    context = f"{site.id} {case.url}: {case.why} (strict reason {strict.reason}, research reason {research.reason})"
    assert fetched is case.fetch, context
    assert strict.reason_family == case.strict, context
    assert research.reason_family == case.research, context
    if strict.excluded:
        assert strict.evidence, context  # every exclusion names what it saw
    if case.strict and not case.research:
        # research-exception records what strict honours
        assert strict.reason in research.reservations, context


def test_the_corpus_is_broad_enough() -> None:
    # at least 40 real files behind the fixtures, every syntax the issue names, and conflicts
    sources = {source for site in DEPLOYMENTS for source in site.seen}
    assert len(sources) >= 40, len(sources)
    raw = [_bytes(site.robots) for site in DEPLOYMENTS if site.robots is not None]
    assert any(body.startswith(b"\xef\xbb\xbf") for body in raw)  # BOM
    assert any(b"\r\n" in body for body in raw)  # CRLF
    assert any(len(body) > 100_000 for body in raw)  # 100 KB+
    assert any(b"$\r\n" in body or b"$\n" in body for body in raw) and any(b"*" in body for body in raw)
    assert any(b"\n#" in body or body.startswith(b"#") for body in raw)  # comments
    assert any(b"crawl-delay" in body.lower() for body in raw)
    families = Counter(case.strict for site in DEPLOYMENTS for case in site.cases)
    for family in ("robots", "ai-agent", "tdmrep", "content-usage", "content-signal", "disallow-ai-training", "rsl",
                   "noai", "noml", "ai-txt", None):
        assert families[family], family


def test_the_large_file_is_read_whole_and_crawl_delays_stay_with_their_groups() -> None:
    by_id = {site.id: site for site in DEPLOYMENTS}
    bank = RobotsTxt.parse(_bytes(by_id["icicibank.com"].robots), "https://www.example.org/robots.txt")
    assert bank.size > 100_000 and bank.size < ROBOTS_PARSE_LIMIT_BYTES and not bank.truncated
    assert len(bank.sitemaps) == 70
    for site_id in ("msn.com", "aliexpress.com", "gsmarena.com"):
        robots = RobotsTxt.parse(_bytes(by_id[site_id].robots), "https://www.example.org/robots.txt")
        assert robots.crawl_delay(TOKEN) is by_id[site_id].crawl_delay
    msn = RobotsTxt.parse(_bytes(by_id["msn.com"].robots), "https://www.example.org/robots.txt")
    # Crawl-delay does not end a run of User-agent lines (only a rule does, RFC 9309 2.2.4, as Google's parser):
    # Verity, ias_crawler-like and yandex.com/bot are one group, whose largest delay applies to each
    assert msn.crawl_delay("Verity") == 3.0 and msn.crawl_delay("yandex.com") == 3.0
    ali = RobotsTxt.parse(_bytes(by_id["aliexpress.com"].robots), "https://www.example.org/robots.txt")
    assert ali.crawl_delay("YandexBot") == 0.5
    # Host: and Clean-param: after the last group belong to it, never to us, and never break parsing
    assert not ali.malformed_lines


def test_a_malformed_tdmrep_file_is_recorded_not_silently_dropped() -> None:
    site = {s.id: s for s in DEPLOYMENTS}["tdmrep-object-with-underscores"]
    _, assessment = judged(site, site.cases[0])
    unset = [f for f in assessment.findings(STRICT) if f.reason == "tdmrep-unset"]
    assert unset and "malformed" in unset[0].evidence[0].note
