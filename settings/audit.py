"""Settings of a consent audit (``tdmcrawl audit``), applied over the project
settings and the policy profile: the crawl's rights middleware with the audit
step right after it, no documents table (the archive only takes the policy files), the audit's decisions table, and more
origins in flight (only policy files are fetched, each origin still one
request at a time with its delay)."""

from settings import DOWNLOADER_MIDDLEWARES as _MIDDLEWARES, EXTENSIONS as _EXTENSIONS, ITEM_PIPELINES as _PIPELINES

TDMCRAWL_AUDIT = True
DOWNLOADER_MIDDLEWARES = {**_MIDDLEWARES, "crawler.fetch.audit.AuditMiddleware": 105}
ITEM_PIPELINES = {name: order for name, order in _PIPELINES.items() if name == "pipelines.archive.WarcPipeline"}  # it archives the policy files
EXTENSIONS = {
    **{name: order for name, order in _EXTENSIONS.items() if name not in ("pipelines.tables.DecisionsWriter", "pipelines.summary_extension.SummaryExtension")},
    "pipelines.audit_tables.AuditDecisionsWriter": 100,
}
CONCURRENT_REQUESTS = 128  # page requests waiting for their origin's policy files count here too
TDMCRAWL_WORKERS = 0  # nothing to parse
# An audit requests policy files only: finding the terms of service means reading
# each site's home page, a page, so the audit does not look them up (a crawl does).
TDMCRAWL_FETCH_TOS = False
