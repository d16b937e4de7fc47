"""Both benchmarks of where users run, from one command, one table after the other:

    python -m benchmarks.where_users_run [FOLDER]

1. real pages (:mod:`benchmarks.realspeed`, FOLDER defaults to
   ``../shared/realpages``): the crawlers side by side, each extractor's F1
   beside its CPU, the per-stage CPU of a worker's job;
2. polite crawls over many hosts (:mod:`benchmarks.polite`): requests and
   pages per second against the politeness bound, at 30 ms and 300 ms, and
   several origins on one address.

Each module also runs on its own, with its own options.
"""

from __future__ import annotations

import sys

from benchmarks import polite, realspeed


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    print("## Real pages (politeness lifted)\n", flush=True)
    code = realspeed.main(argv[:1])
    if code:
        return code
    print("\n## Polite crawls over many hosts (default politeness)\n", flush=True)
    polite.main([])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
