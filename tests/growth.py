"""How much work an operation does, counted rather than timed.

Worst-case tests guard against parsers and matchers that go quadratic or
exponential on hostile input. A wall-clock ceiling says that too, but it fails
on a loaded machine and passes a regression on a fast one. Here the work is the
number of function calls the operation makes (Python functions and the C
functions they call, as ``cProfile`` counts them): the same on every machine
and under any load. :func:`assert_linear_growth` runs an operation at a quarter
of its worst-case size and at the full size and fails when the count grows
faster than the input, which is what a quadratic or exponential regression does.

What a call count does not see: work inside one C call (a regular expression
that backtracks, lxml building a tree) and a loop that calls nothing (``x in
a_list`` inside a loop is quadratic at no extra calls). A real hang there is
still stopped by pytest-timeout (``timeout`` in pyproject.toml), which is a
last resort against a suite that never ends, not an assertion about speed.
"""

from __future__ import annotations

import cProfile
import functools
import signal
import sys
from typing import Callable, TypeVar

T = TypeVar("T")

# Four times the input may cost four times the work, plus room for a log
# factor (a sort) and constant work at the small size; a quadratic step
# costs sixteen times, an exponential one far more.
GROWTH_FACTOR = 4
LINEAR_SLACK = 1.5


def _clear_our_caches() -> None:
    """Empty the crawler's ``lru_cache`` memos, so a count does not depend on
    which patterns or URLs an earlier test (or the smaller run) left there."""
    for name, module in list(sys.modules.items()):
        if name != "crawler" and not name.startswith("crawler."):
            continue
        for value in list(vars(module).values()):
            if isinstance(value, functools._lru_cache_wrapper):
                value.cache_clear()


class _OverBudget(BaseException):
    """Raised inside an operation past its call budget; a BaseException, so no
    parser's last-resort ``except Exception`` swallows it."""


def _calls(profiler: cProfile.Profile) -> int:
    return sum(entry.callcount for entry in profiler.getstats())


def calls_made(operation: Callable[[], T], budget: int | None = None) -> tuple[T | None, int]:
    """``operation()``'s result and the number of calls it made, from cold caches.

    With a ``budget``, an operation found past it is stopped (result ``None``,
    the count so far): a quadratic regression on a worst-case input fails in
    seconds instead of running for minutes. The count is looked at every half
    second of CPU time; when is the timer's business, whether is the count's."""

    _clear_our_caches()
    profiler = cProfile.Profile()

    def look(signum: int, frame: object) -> None:
        if budget is not None and _calls(profiler) > budget:
            raise _OverBudget

    # ITIMER_VIRTUAL (SIGVTALRM) counts CPU time; pytest-timeout keeps SIGALRM.
    previous = signal.signal(signal.SIGVTALRM, look)
    if budget is not None:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0.5, 0.5)
    result: T | None = None
    profiler.enable()
    try:
        result = operation()
    except _OverBudget:
        pass
    finally:
        profiler.disable()
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)
    return result, _calls(profiler)


def assert_linear_growth(operation_at: Callable[[int], Callable[[], T]], size: int) -> T:
    """Count the work of ``operation_at(size // 4)()`` and ``operation_at(size)()``
    and fail unless the larger made at most ~4 times the calls; returns the
    result at ``size`` (the worst case itself) for the test's own checks.

    ``operation_at(n)`` builds the input of size ``n`` (not counted) and returns
    the call to count."""
    small_size = size // GROWTH_FACTOR
    _, small = calls_made(operation_at(small_size))
    limit = int(GROWTH_FACTOR * LINEAR_SLACK * small)
    result, large = calls_made(operation_at(size), budget=limit)
    assert large <= limit, f"{large} calls at size {size} against {small} at {small_size}: faster than linear growth"
    return result  # type: ignore[return-value]  # not None: the operation ran to its end
