"""Settings of a consent audit (``tdmcrawl audit``), applied over the project
settings and the policy profile: the crawl's rights middleware with the audit
step right after it, no page pipelines, the audit's decisions table, and more
origins in flight (only policy files are fetched, each origin still one
request at a time with its delay)."""

from settings import DOWNLOADER_MIDDLEWARES as _MIDDLEWARES, EXTENSIONS as _EXTENSIONS

TDMCRAWL_AUDIT = True
DOWNLOADER_MIDDLEWARES = {**_MIDDLEWARES, "crawler.audit_fetch.AuditMiddleware": 105}
ITEM_PIPELINES: dict[str, int] = {}
EXTENSIONS = {
    **{name: order for name, order in _EXTENSIONS.items() if name not in ("pipelines.parquet.DecisionsWriter", "pipelines.summary.SummaryExtension")},
    "pipelines.audit_tables.AuditDecisionsWriter": 100,
}
CONCURRENT_REQUESTS = 128  # page requests waiting for their origin's policy files count here too
TDMCRAWL_WORKERS = 0  # nothing to parse
