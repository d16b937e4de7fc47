"""What the outcome of fetching a robots.txt means, and how long it holds
(RFC 9309 2.3.1 and 2.4), as pure decisions the middleware follows.

Owns: the meaning of each status (2xx rules; 3xx followed up to five hops,
beyond that "unavailable"; 4xx "unavailable" = allow all whatever the body;
5xx, 429 and network errors "unreachable" = complete disallow), the cache
lifetime (at most 24 hours), the last good copy used while a robots.txt is
unreachable, and the retry schedule (doubling delays, a bounded count) after
which an unreachable origin is given up and its URLs are excluded.
No Scrapy import, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_REDIRECTS = 5
MAX_TTL_SECONDS = 86400.0

OK = "ok"
UNAVAILABLE = "unavailable"
UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class RobotsOutcome:
    """``kind``: ok (parse the body), unavailable (allow all) or unreachable
    (fetch nothing); ``state`` names it for the record (``ok``,
    ``unavailable-4xx``, ``redirect-limit``, ``unreachable-5xx``, …);
    ``reason`` is the exclusion reason code when unreachable."""

    kind: str
    state: str
    reason: str | None
    note: str


def robots_outcome(status: int | None, *, error: str | None = None, redirect_limit: bool = False) -> RobotsOutcome:
    if redirect_limit:
        return RobotsOutcome(UNAVAILABLE, "redirect-limit", None, f"more than {MAX_REDIRECTS} redirects: unavailable, allow all")
    if error is not None or status is None:
        note = error or "no response"
        return RobotsOutcome(UNREACHABLE, "unreachable-neterr", "robots-unreachable-neterr", note)
    if status == 429:
        # RFC 9309 lists 429 with the 4xx, but it says "come back later", not "no file": Google reads it as 5xx.
        return RobotsOutcome(UNREACHABLE, "unreachable-429", "robots-unreachable-429", "HTTP 429 (treated like 5xx)")
    if status >= 500:
        return RobotsOutcome(UNREACHABLE, "unreachable-5xx", "robots-unreachable-5xx", f"HTTP {status}")
    if 400 <= status < 500:
        return RobotsOutcome(UNAVAILABLE, "unavailable-4xx", None, f"HTTP {status}: unavailable, allow all (body ignored)")
    if 300 <= status < 400:
        return RobotsOutcome(UNAVAILABLE, "unavailable-3xx", None, f"HTTP {status} without a usable Location: unavailable, allow all")
    if 200 <= status < 300:
        return RobotsOutcome(OK, "ok", None, f"HTTP {status}")
    return RobotsOutcome(UNREACHABLE, "unreachable-neterr", "robots-unreachable-neterr", f"HTTP {status}")


def is_fresh(fetched_at: float, now: float, ttl: float = MAX_TTL_SECONDS) -> bool:
    """A cached robots.txt may be used for at most ``ttl`` (never more than 24 h)."""
    return now - fetched_at < min(ttl, MAX_TTL_SECONDS)


@dataclass(frozen=True)
class RetryPlan:
    """What to do after the ``attempt``-th unreachable answer (1-based)."""

    exhausted: bool
    delay: float


def retry_plan(attempt: int, *, retries: int, base_delay: float) -> RetryPlan:
    """Retry ``retries`` times with doubling delays (base, 2·base, 4·base, …);
    after that the origin is given up."""
    if attempt > retries:
        return RetryPlan(True, 0.0)
    return RetryPlan(False, base_delay * (2 ** (attempt - 1)))


def give_up_after(retries: int, base_delay: float) -> float:
    """Seconds from the first failure to giving up (documented in the settings)."""
    return sum(base_delay * (2**i) for i in range(retries))


def use_last_good(outcome: RobotsOutcome, has_last_good: bool) -> bool:
    """RFC 9309 2.4: while robots.txt is unreachable, a crawler keeps using the
    last copy it fetched successfully rather than stopping."""
    return outcome.kind == UNREACHABLE and has_last_good
