"""The worker pool: per-job time limit, crashed workers, batching, and draining on shutdown."""

from __future__ import annotations

import asyncio
import os
import time


from crawler.workers import ExtractionTimeout, WorkerCrashed, WorkerPool


def double(x: int) -> int:
    return 2 * x


def sleepy(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def busy_loop(seconds: float) -> float:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return seconds


def die(code: int) -> None:
    os._exit(code)


def fail(message: str) -> None:
    raise ValueError(message)


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_results_come_back_in_batches() -> None:
    async def main() -> list[int]:
        pool = WorkerPool(2, batch_size=4)
        try:
            results = await asyncio.gather(*(pool.run(double, i) for i in range(20)))
            assert pool.stats["batches"] < 20  # jobs travel in batches
            return list(results)
        finally:
            await pool.close_async()

    assert run(main()) == [2 * i for i in range(20)]


def test_a_job_past_its_time_limit_fails_alone() -> None:
    async def main() -> tuple[object, list[object]]:
        pool = WorkerPool(1, soft_timeout=0.5, batch_size=4)
        try:
            slow = pool.run(busy_loop, 5.0)
            quick = [pool.run(double, i) for i in range(3)]
            results = await asyncio.gather(slow, *quick, return_exceptions=True)
            return results[0], list(results[1:])
        finally:
            await pool.close_async()

    slow, quick = run(main())
    assert isinstance(slow, ExtractionTimeout)
    assert quick == [0, 2, 4]


def test_a_job_stuck_outside_python_is_killed_by_the_hard_limit() -> None:
    async def main() -> object:
        pool = WorkerPool(1, soft_timeout=0.3, batch_size=1)
        try:
            # time.sleep is interrupted by the soft alarm too; the hard limit is the backstop
            return (await asyncio.gather(pool.run(sleepy, 3.0), return_exceptions=True))[0]
        finally:
            await pool.close_async()

    assert isinstance(run(main()), ExtractionTimeout)


def test_a_crashed_worker_fails_only_its_job() -> None:
    async def main() -> list[object]:
        pool = WorkerPool(1, batch_size=3)
        try:
            return list(await asyncio.gather(pool.run(double, 1), pool.run(die, 3), pool.run(double, 2), return_exceptions=True))
        finally:
            await pool.close_async()

    first, crashed, second = run(main())
    assert (first, second) == (2, 4)
    assert isinstance(crashed, WorkerCrashed)


def test_errors_are_reported_per_job() -> None:
    async def main() -> list[object]:
        pool = WorkerPool(1)
        try:
            return list(await asyncio.gather(pool.run(fail, "bad page"), pool.run(double, 5), return_exceptions=True))
        finally:
            await pool.close_async()

    error, ok = run(main())
    assert isinstance(error, RuntimeError) and "bad page" in str(error) and ok == 10


def test_close_waits_for_work_in_flight() -> None:
    async def main() -> list[float]:
        pool = WorkerPool(2, batch_size=2)
        jobs = [asyncio.ensure_future(pool.run(sleepy, 0.2)) for _ in range(6)]
        await asyncio.sleep(0.01)
        await pool.close_async()  # drains: every submitted job finishes
        return [job.result() for job in jobs]

    assert run(main()) == [0.2] * 6


def test_inline_mode() -> None:
    async def main() -> int:
        pool = WorkerPool(0)
        return await pool.run(double, 21)

    assert run(main()) == 42


def test_a_page_that_stalls_extraction_is_recorded_as_failed(crawl, site_factory) -> None:
    from crawler.localsite import html

    # 4 MB of nested markup: trafilatura needs tens of seconds for it, far past a 1 s limit on any machine.
    stall = "<html><body>" + "<div><span>x</span></div>" * 160_000 + "</body></html>"
    site = site_factory({"a": {"/": html(f"<html><body><a href='/slow'>slow</a><p>{'Short intro text. ' * 20}</p></body></html>"), "/slow": html(stall)}})
    result = crawl(site.url("a"), args=("-s", "TDMCRAWL_EXTRACT_TIMEOUT=1"))
    assert result.returncode == 0, result.stderr
    row = result.decision_for(site.url("a", "/slow"))
    assert (row["decision"], row["reason"]) == ("failed", "extraction-timeout")
    assert result.decision_for(site.url("a", "/"))["decision"] == "stored"


HELD_IMPORT_LOCK = r"""
import asyncio, importlib._bootstrap as bootstrap, sys, threading
from crawler.workers import WorkerPool

# Another thread of this process is importing crawler.page (it holds the
# module's import lock) at the moment the pool starts its workers.
held, release = threading.Event(), threading.Event()
def importer():
    with bootstrap._ModuleLockManager("crawler.page"):
        held.set()
        release.wait()
threading.Thread(target=importer, daemon=True).start()
held.wait()

async def main():
    pool = WorkerPool(1, preload=("crawler.page",))
    try:
        print(await asyncio.wait_for(pool.run(len, "four"), 60))
    finally:
        release.set()
        await pool.close_async()
asyncio.run(main())
"""


def test_workers_start_while_another_thread_holds_an_import_lock() -> None:
    """Workers forked straight from a threaded process inherit a held import
    lock and hang on their first import; the pool's workers must not."""
    import subprocess
    import sys

    from tests.conftest import REPO

    done = subprocess.run([sys.executable, "-c", HELD_IMPORT_LOCK], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "4"
