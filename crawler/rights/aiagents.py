"""Known AI crawlers, and what a robots.txt says to the ones that train models.

Owns the packaged list in ``data/ai_agents.json`` (product tokens as the
ai-robots-txt project lists them, operator, role) and the reading of
robots.txt groups aimed at AI-training crawlers: a group that names such an
agent and disallows a URL is taken as a reservation of training for that URL.
Only groups that name the agent count; the ``*`` group already applies to us
through :meth:`RobotsTxt.can_fetch`.

It must not import Scrapy or read anything but the packaged file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Iterable

from .evidence import Finding, FindingKind, Usage, Use
from .robots import RobotsTxt, normalise_agent

ROLES = ("training", "search", "user", "other")
# Why an agent has its role: the clauses of the rule written in the data file
# ("rule") and in the README ("AI-training crawler groups").
BASES = ("trains", "dataset", "undocumented", "control", "index", "on-request", "not-ai-collection", "tool")
TRAINING_BASES = ("trains", "dataset", "undocumented", "control")


@dataclass(frozen=True)
class AiAgent:
    """One AI crawler: its robots.txt token, who runs it, and what for."""

    token: str
    operator: str
    role: str  # training | search | user | other
    control_only: bool  # a token that sends no requests (Google-Extended, Applebot-Extended)
    basis: str = ""  # the clause of the role rule that gives the role (see BASES)


@lru_cache(maxsize=1)
def load_agents() -> tuple[AiAgent, ...]:
    """The packaged list, in file order (read once)."""
    text = resources.files("crawler.rights").joinpath("data/ai_agents.json").read_text("utf-8")
    return tuple(
        AiAgent(
            token=str(entry["token"]),
            operator=str(entry.get("operator", "")),
            role=entry.get("role") if entry.get("role") in ROLES else "other",
            control_only=bool(entry.get("control_only", False)),
            basis=str(entry.get("basis", "")),
        )
        for entry in json.loads(text)["agents"]
    )


def training_agent_tokens() -> tuple[str, ...]:
    """Tokens of the agents that collect content for AI training, as listed."""
    return tuple(agent.token for agent in load_agents() if agent.role == "training")


def _agent_keys(tokens: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """(token, normalised key) once per agent, under the first spelling given."""
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for token in tokens:
        key = normalise_agent(token)
        if key and key != "*" and key not in seen:
            seen.add(key)
            pairs.append((token, key))
    return tuple(pairs)


@lru_cache(maxsize=1)
def _training_agent_keys() -> tuple[tuple[str, str], ...]:
    return _agent_keys(training_agent_tokens())  # asked for every URL: normalised once


def agent_restriction_findings(robots: RobotsTxt, url: str, tokens: Iterable[str] | None = None) -> list[Finding]:
    """One restrictive ``ai-agent`` finding per AI-training agent whose own
    group (not ``*``) disallows ``url``, with the deciding robots.txt line.

    Tokens are matched the way robots.txt groups are (``Brightbot 1.0`` and
    ``brightbot`` are one agent); each agent is reported once, under the first
    spelling given."""
    findings: list[Finding] = []
    for token, key in _training_agent_keys() if tokens is None else _agent_keys(tokens):
        if not robots.has_group_for(key):
            continue
        match = robots.can_fetch(url, key)
        if match.allowed:
            continue
        note = "; ".join(filter(None, (f"User-agent group for {token}", match.evidence.note)))
        evidence = replace(match.evidence, signal="ai-agent", note=note)
        findings.append(
            Finding(
                signal="ai-agent",
                reason=f"ai-agent-restriction:{token}",
                kind=FindingKind.USE,
                restrictive=True,
                usage=Usage(train=Use.DENY, tdm=Use.DENY),
                evidence=(evidence,),
            )
        )
    return findings
