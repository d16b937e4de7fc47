"""``DisallowAITraining`` / ``AllowAITraining`` lines in robots.txt groups.

Owns the reading of the rules of draft-canel-robots-ai-control (the
Robots Exclusion Protocol extension for AI content use): inside a group,
``DisallowAITraining: <path>`` asks that what the path covers not be used to
train AI models, ``AllowAITraining: <path>`` lifts that for a narrower path.
They are path rules of the RFC 9309 kind, so they are matched the same way:
only the groups that apply to our token (a group naming it, else ``*``), the
longest matching pattern wins, on a tie the Allow form wins. A winning
``DisallowAITraining`` is a training reservation for the URL; it never
decides the fetch (the draft: "not a form of access authorization").

A rule written above every group addresses every crawler and applies too.
The lines do not end a run of User-agent lines: RFC 9309 2.2.4 forbids other
records to interfere with the parsing of its own. No Scrapy import, no I/O.
"""

from __future__ import annotations

from .evidence import Evidence, Finding, FindingKind, Usage, Use
from .robots import RobotsTxt
from .urlpattern import pattern_matches, pattern_priority

SIGNAL = "disallow-ai-training"
DISALLOW_KEY = "disallowaitraining"
ALLOW_KEY = "allowaitraining"


def ai_training_rule_finding(robots: RobotsTxt, url: str, token: str) -> Finding | None:
    """A restrictive ``disallow-ai-training`` finding when the most specific
    AI-training rule of our groups that matches ``url`` is a Disallow; a
    non-restrictive ``allow-ai-training`` one when it is an Allow; None when
    no such rule matches."""
    rules = [(value, line, False) for value, line in robots.records_with_file_level(token, DISALLOW_KEY) if value.strip()]
    rules += [(value, line, True) for value, line in robots.records_with_file_level(token, ALLOW_KEY) if value.strip()]
    matching = [rule for rule in rules if pattern_matches(rule[0], url)]
    if not matching:
        return None
    # Longest pattern first; on a tie the Allow form, as RFC 9309 2.2.2 does for Allow/Disallow.
    value, line, allows = min(matching, key=lambda r: (-pattern_priority(r[0]), not r[2], r[1]))
    key = "AllowAITraining" if allows else "DisallowAITraining"
    text = robots.lines([line])[0] or f"{key}: {value}"
    evidence = Evidence(SIGNAL, robots.source_url, text, line=line, note="robots.txt AI-training rule (draft-canel-robots-ai-control)")
    if allows:
        return Finding(SIGNAL, "allow-ai-training", FindingKind.USE, False, Usage(train=Use.ALLOW), (evidence,))
    return Finding(SIGNAL, "disallow-ai-training", FindingKind.USE, True, Usage(train=Use.DENY, tdm=Use.DENY), (evidence,))
