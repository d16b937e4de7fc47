"""A settings module for the distributed tests: the crawl names it with
``--settings`` and every worker that joins must run with it too."""

CONCURRENT_REQUESTS = 7
