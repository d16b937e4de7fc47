"""Reference cases 1-9: what a robots.txt fetch outcome means and how long it holds."""

from __future__ import annotations

from crawler.rights.robotsfetch import (
    MAX_TTL_SECONDS,
    OK,
    UNAVAILABLE,
    UNREACHABLE,
    give_up_after,
    is_fresh,
    retry_plan,
    robots_outcome,
    use_last_good,
)


def test_case_1_5xx_is_unreachable_and_retried_then_given_up() -> None:
    outcome = robots_outcome(503)
    assert (outcome.kind, outcome.reason) == (UNREACHABLE, "robots-unreachable-5xx")
    plans = [retry_plan(attempt, retries=2, base_delay=60) for attempt in (1, 2, 3)]
    assert [(p.exhausted, p.delay) for p in plans] == [(False, 60), (False, 120), (True, 0.0)]
    assert give_up_after(4, 60) == 60 + 120 + 240 + 480


def test_case_2_network_errors_are_unreachable() -> None:
    for error in ("ConnectionLost: reset", "TimeoutError", "DNSLookupError: no such host"):
        outcome = robots_outcome(None, error=error)
        assert (outcome.kind, outcome.reason) == (UNREACHABLE, "robots-unreachable-neterr")
        assert error in outcome.note


def test_case_3_4xx_body_is_ignored() -> None:
    outcome = robots_outcome(404)
    assert (outcome.kind, outcome.state, outcome.reason) == (UNAVAILABLE, "unavailable-4xx", None)
    assert "body ignored" in outcome.note


def test_case_4_401_and_403_allow() -> None:
    assert robots_outcome(401).kind == robots_outcome(403).kind == UNAVAILABLE


def test_case_5_429_is_treated_like_5xx() -> None:
    outcome = robots_outcome(429)
    assert (outcome.kind, outcome.reason) == (UNREACHABLE, "robots-unreachable-429")


def test_case_6_redirects_followed_rules_apply() -> None:
    # The middleware follows up to five hops; the final 2xx is read as rules.
    assert robots_outcome(200).kind == OK


def test_case_7_more_than_five_redirects_is_unavailable() -> None:
    outcome = robots_outcome(None, redirect_limit=True)
    assert (outcome.kind, outcome.state) == (UNAVAILABLE, "redirect-limit")


def test_case_8_last_good_copy_while_unreachable() -> None:
    assert use_last_good(robots_outcome(503), has_last_good=True)
    assert not use_last_good(robots_outcome(503), has_last_good=False)
    assert not use_last_good(robots_outcome(404), has_last_good=True)


def test_case_9_cache_at_most_24_hours() -> None:
    now = 1_000_000.0
    assert is_fresh(now - 23 * 3600, now)
    assert not is_fresh(now - 25 * 3600, now)
    assert not is_fresh(now - 25 * 3600, now, ttl=7 * 86400)  # a longer setting is capped
    assert MAX_TTL_SECONDS == 86400
