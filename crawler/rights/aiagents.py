"""Known AI crawlers, and what a robots.txt says to the ones that train models.

Owns the maintained list in ``data/ai_agents.json`` (product tokens, operator,
role) and the reading of robots.txt groups aimed at AI-training crawlers: a
Disallow for such an agent on a path is taken as a reservation of training
for that path (only groups that name the agent explicitly count; the ``*``
group already applies to us). No Scrapy import, no I/O beyond the packaged file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable

from .evidence import Finding, FindingKind, Usage, Use
from .robots import RobotsTxt, normalise_agent


@dataclass(frozen=True)
class AiAgent:
    token: str
    operator: str
    role: str  # training | search | user | other
    control_only: bool


@lru_cache(maxsize=1)
def load_agents() -> tuple[AiAgent, ...]:
    data = json.loads(resources.files("crawler.rights").joinpath("data/ai_agents.json").read_text("utf-8"))
    return tuple(AiAgent(a["token"], a.get("operator", ""), a.get("role", "other"), bool(a.get("control_only"))) for a in data["agents"])


def training_agent_tokens() -> tuple[str, ...]:
    return tuple(a.token for a in load_agents() if a.role == "training")


def agent_restriction_findings(robots: RobotsTxt, url: str, tokens: Iterable[str] | None = None) -> list[Finding]:
    """One restrictive finding per AI-training agent whose own group disallows ``url``."""
    findings = []
    seen: set[str] = set()
    for token in tokens if tokens is not None else training_agent_tokens():
        key = normalise_agent(token)
        if key in seen or not robots.has_group_for(key):
            continue
        seen.add(key)
        match = robots.can_fetch(url, key)
        if not match.allowed:
            findings.append(
                Finding(
                    signal="ai-agent",
                    reason=f"ai-agent-restriction:{token}",
                    kind=FindingKind.USE,
                    restrictive=True,
                    usage=Usage(train=Use.DENY, tdm=Use.DENY),
                    evidence=(match.evidence,),
                )
            )
    return findings
