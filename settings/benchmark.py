"""The ``benchmark`` settings profile: politeness lifted, for loopback
benchmarks only (``tdmcrawl crawl --settings settings.benchmark``). The crawl
refuses to start if a seed is not on 127.0.0.1 (``TDMCRAWL_LOOPBACK_ONLY``).
Same concurrency as the plain-Scrapy baseline of ``benchmarks/run.py``."""

CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 32
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = False
TDMCRAWL_LOOPBACK_ONLY = True
TDMCRAWL_PROGRESS = "off"
LOG_LEVEL = "WARNING"
EXTENSIONS = {
    "pipelines.tables.DecisionsWriter": 100,
    "crawler.fetch.politeness.Politeness": 200,
    "pipelines.summary_extension.SummaryExtension": 950,
    "benchmarks.probe.ReactorLagProbe": 0,
}
