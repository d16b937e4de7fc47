"""Imported only by the multiprocessing fork server that starts extraction
workers (see :mod:`crawler.workers`), never by the crawl process itself.

The fork server lives exactly as long as the crawl process (it exits when that
process closes its pipe). A group-wide SIGTERM or Ctrl-C asks the crawl to
finish gracefully, and during that shutdown the pool may still need a new
worker: so the fork server ignores both, and its children start from there
(the worker initializer sets their own handlers).
"""

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
