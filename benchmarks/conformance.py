"""Conformance of the rights core against material nobody here wrote.

    python -m benchmarks.conformance [DATA]      (DATA defaults to ../shared/conformance)

Two parts, both read from DATA and never copied into the repository:

1. ``robots-cases.json``: Google's ``robots_test.cc`` and ``robotstxt-spec-test``
   cases and RFC 9309's figures (robots.txt, product token, URL, expected
   answer). Every case must pass, or be listed in :data:`DEPARTURES` with the
   reason it is a place where Google's parser departs from RFC 9309 and we
   follow the RFC. A departure that starts passing is reported too, so the
   list stays true. Cases the suite itself skipped (API-only tests without
   an allow/disallow answer) are counted with their reason.
2. ``real-policies/manifest.json``: files real sites publish and, for a few
   URLs, the expected decision under the strict profile (fetched or not,
   excluded or not, and the family of the reason).

Prints a summary and every unexplained result; exits 1 when there is one.
Pure: it uses the rights core only (no Scrapy, no network).
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from crawler.rights.aitxt import AiTxt
from crawler.rights.evidence import FindingKind
from crawler.rights.policy import STRICT
from crawler.rights.robots import RobotsTxt
from crawler.rights.rsl import RslDocument
from crawler.rights.stages import OriginRights, PolicyFile, assess_request
from crawler.rights.tdmrep import TdmRepFile

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "conformance"

_ROBOTS_ALWAYS_ALLOWED = (
    "RFC 9309 2.2.2: 'The /robots.txt URI is implicitly allowed'; Google's matcher answers it from the rules"
)
_ENCODE_BEFORE_COMPARING = (
    "RFC 9309 2.2.2 (figure 4 row 3): octets outside US-ASCII in the rule and in the URI are percent-encoded "
    "before comparison, so /foo/bar/ツ matches /foo/bar/%E3%83%84 and the raw URL alike; Google expects callers "
    "to pass URLs already encoded and does not encode them itself"
)
_DECODE_UNRESERVED = (
    "RFC 9309 2.2.2 (figure 4 row 5): percent-encoded unreserved octets are decoded before comparison, so the "
    "rule /foo/bar/%62%61%7A matches /foo/bar/baz; Google compares them encoded"
)
_TOKEN_AS_WRITTEN = (
    "RFC 9309 2.2.1: the group is found by case-insensitive match of the product token as written; Google cuts "
    "a User-agent value at its first character outside [A-Za-z_-] ('AB42bot' becomes 'AB'), which would make "
    "real tokens with digits (AI2Bot, Ai2Bot-Dolma, peer39_crawler) name someone else"
)
_INDEX_HTML = (
    "Google-only: Google treats /dir/index.html as /dir/ ('GoogleOnly_IndexHTMLisDirectory'); RFC 9309 2.2.2 "
    "matches the path as written"
)
_LINE_TOO_LONG = (
    "Google-only: Google truncates a line after 16,664 bytes and then matches the cut pattern; RFC 9309 sets no "
    "line limit (2.5 asks for at least 500 KiB per file), so the whole pattern is matched"
)

# Where Google's expectation departs from RFC 9309 and we follow the RFC.
DEPARTURES: dict[str, str] = {
    "robots_test.cc:ID_Encoding#3": _ENCODE_BEFORE_COMPARING,
    "robots_test.cc:ID_Encoding#5": _ENCODE_BEFORE_COMPARING,
    "spec-test:correctness/non-ascii-paths#2.2": _ENCODE_BEFORE_COMPARING,
    "spec-test:correctness/non-ascii-paths#3.2": _ENCODE_BEFORE_COMPARING,
    "robots_test.cc:ID_Encoding#6": _DECODE_UNRESERVED,
    "spec-test:correctness/non-ascii-paths#4.1": _DECODE_UNRESERVED,
    "robots_test.cc:GoogleOnly_IndexHTMLisDirectory#1": _INDEX_HTML,
    "spec-test:correctness/index-page#1.1": _INDEX_HTML,
    "robots_test.cc:GoogleOnly_LineTooLong#2": _LINE_TOO_LONG,
    "robots_test.cc:GoogleOnly_LineTooLong#5": _LINE_TOO_LONG,
    "spec-test:stress/327748#1.6": _ROBOTS_ALWAYS_ALLOWED,
    "spec-test:stress/369883#1.6": _ROBOTS_ALWAYS_ALLOWED,
    "spec-test:stress/369883#1.10": _ROBOTS_ALWAYS_ALLOWED,
    "spec-test:stress/860237#1.10": _ROBOTS_ALWAYS_ALLOWED,
    "spec-test:stress/369883#1.7": _TOKEN_AS_WRITTEN,
    "spec-test:stress/369883#1.8": _TOKEN_AS_WRITTEN,
    "spec-test:stress/369883#1.9": _TOKEN_AS_WRITTEN,
}


@dataclass
class Report:
    passed: int = 0
    departed: int = 0
    unexplained: list[str] = field(default_factory=list)
    absent_departures: list[str] = field(default_factory=list)  # listed, but not in this copy of the suite


def _body(robots: object) -> bytes | str:
    if isinstance(robots, dict):
        return base64.b64decode(robots["b64"])
    return str(robots)


def run_robots_cases(path: Path) -> tuple[Report, Counter, Counter]:
    data = json.loads(path.read_text("utf-8"))
    report = Report()
    by_source: Counter = Counter()
    seen_ids = set()
    for source, case_id, robots, agent, url, expected, _tag in data["cases"]:
        seen_ids.add(case_id)
        got = RobotsTxt.parse(_body(robots)).can_fetch(url, agent).allowed
        departure = DEPARTURES.get(case_id)
        if got == expected and departure is None:
            report.passed += 1
            by_source[source, "passed"] += 1
        elif got != expected and departure is not None:
            report.departed += 1
            by_source[source, "departure"] += 1
        elif departure is not None:
            report.unexplained.append(f"{case_id}: listed as a departure but now gives Google's answer ({expected}); remove it")
        else:
            report.unexplained.append(
                f"{case_id} [{source}]: expected {'allowed' if expected else 'disallowed'}, got "
                f"{'allowed' if got else 'disallowed'} (agent {agent!r}, url {url!r})"
            )
    report.absent_departures = [case_id for case_id in DEPARTURES if case_id not in seen_ids]
    skipped = Counter(entry[2].split(":")[0] for entry in data.get("skipped", []))
    return report, by_source, skipped


def _read(folder: Path, relative: str) -> bytes:
    return (folder / relative).read_bytes()


def _origin(folder: Path, site: dict) -> tuple[OriginRights, list[str]]:
    origin_url = site["origin"]
    files = site["files"]
    notes = []
    robots_url = origin_url + "/robots.txt"
    if "robots" in files:
        robots = RobotsTxt.parse(_read(folder, files["robots"]), robots_url)
        robots_file = PolicyFile("robots", robots_url, "ok", 200)
    else:
        robots = RobotsTxt.allow_all(robots_url, "not in the corpus: read as a 404")
        robots_file = PolicyFile("robots", robots_url, "unavailable-4xx", 404)
    tdmrep = aitxt = None
    if "tdmrep" in files:
        tdmrep = TdmRepFile.parse(_read(folder, files["tdmrep"]), status=200, content_type="application/json",
                                  source_url=origin_url + "/.well-known/tdmrep.json")
    if "aitxt" in files:
        aitxt = AiTxt.parse(_read(folder, files["aitxt"]), status=200, content_type="text/plain", source_url=origin_url + "/ai.txt")
    documents = []
    for url, relative in (files.get("rsl") or {}).items():
        if relative is None:
            notes.append(f"RSL {url} not in the corpus: not evaluated")
            continue
        documents.append(RslDocument.parse(_read(folder, relative), source_url=url))
    for relative in files.get("rsl_direct", []):
        documents.append(RslDocument.parse(_read(folder, relative), source_url=origin_url + "/" + Path(relative).name))
    origin = OriginRights(origin_url, robots, robots_file, tdmrep=tdmrep, aitxt=aitxt, rsl=tuple(documents))
    return origin, notes


def run_real_policies(folder: Path) -> tuple[Report, Counter]:
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    token = manifest.get("token", "tdmcrawl")
    report = Report()
    kinds: Counter = Counter()
    for site in manifest["sites"]:
        for kind in site.get("kinds", []):
            kinds[kind.split(":")[0]] += 1
        origin, _notes = _origin(folder, site)
        for case in site["cases"]:
            decision = assess_request(case["url"], origin, token).decide(STRICT)
            fetched = not any(f.restrictive and f.kind is FindingKind.FETCH for f in decision.findings)
            got = (fetched, decision.excluded, decision.reason_family)
            want = (case["fetch"], case["excluded"], case["family"])
            if got == want:
                report.passed += 1
            else:
                report.unexplained.append(
                    f"{site['id']} {case['url']}: expected fetch={want[0]} excluded={want[1]} family={want[2]}, "
                    f"got fetch={got[0]} excluded={got[1]} family={got[2]} (reason {decision.reason}); why: {case['why']}"
                )
    return report, kinds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA), help="the conformance folder (default ../shared/conformance)")
    args = parser.parse_args(argv)
    data = Path(args.data)
    if not (data / "robots-cases.json").is_file():
        print(f"no robots-cases.json in {data}", file=sys.stderr)
        return 2
    robots, by_source, skipped = run_robots_cases(data / "robots-cases.json")
    total = robots.passed + robots.departed + len(robots.unexplained)
    print(f"robots.txt cases: {total}: {robots.passed} pass, {robots.departed} Google departures from RFC 9309 "
          f"(we follow the RFC), {len(robots.unexplained)} unexplained")
    for source in sorted({s for s, _ in by_source}):
        print(f"  {source}: {by_source[source, 'passed']} pass, {by_source[source, 'departure']} departures")
    for reason in sorted(set(DEPARTURES.values())):
        ids = [i for i, r in DEPARTURES.items() if r == reason]
        print(f"  departure ({len(ids)}): {reason}\n    {', '.join(ids)}")
    if robots.absent_departures:
        print(f"  note: departures listed but not in this suite: {', '.join(robots.absent_departures)}")
    if skipped:
        print(f"  not run ({sum(skipped.values())}, skipped by the suite itself: no allow/disallow answer): "
              + ", ".join(f"{k} {v}" for k, v in sorted(skipped.items())))
    failures = list(robots.unexplained)
    policies_folder = data / "real-policies"
    if (policies_folder / "manifest.json").is_file():
        policies, kinds = run_real_policies(policies_folder)
        print(f"real policy files: {policies.passed + len(policies.unexplained)} cases: {policies.passed} as expected, "
              f"{len(policies.unexplained)} not (sites by kind: {', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})")
        failures += policies.unexplained
    for line in failures:
        print("UNEXPLAINED " + line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
