"""Scrapy settings of the tdmcrawl project (``scrapy.cfg`` points here).

Every ``TDMCRAWL_…`` setting with its default and meaning is listed here; the
policy profile (which reservations exclude) comes from a module in
``settings/profiles/`` and is merged in by ``tdmcrawl crawl --policy NAME``
(``strict`` by default). A Scrapy user can copy the component lines below into
their own project's settings.
"""

from crawler import PRODUCT_TOKEN, __version__
from settings.profiles.strict import TDMCRAWL_POLICY  # noqa: F401  (the default profile)

BOT_NAME = "tdmcrawl"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- Identity: the product token, never "Scrapy" or "Spider" (real sites block them).
TDMCRAWL_PRODUCT_TOKEN = PRODUCT_TOKEN
TDMCRAWL_CONTACT = None  # URL or e-mail for site owners; goes into the User-Agent
USER_AGENT = f"{PRODUCT_TOKEN}/{__version__}"  # the CLI adds " (+contact)"
TDMCRAWL_OPERATOR = None  # who runs the crawl (warcinfo "operator"); defaults to the contact
TDMCRAWL_PURPOSE = "research: text and data mining / AI training corpus"

# --- No unauthenticated control ports.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# --- Politeness (per origin: scheme + host + port).
CONCURRENT_REQUESTS = 64
CONCURRENT_ITEMS = 16  # Scrapy starts this many tasks per response to handle its output; 100 costs the reactor dearly
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
TDMCRAWL_CRAWL_DELAY_MAX = 30.0  # cap on robots.txt Crawl-delay / Request-rate, seconds
COOKIES_ENABLED = False
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # bodies (after decompression) larger than this are recorded as failed
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 10
URLLENGTH_LIMIT = 2083
TDMCRAWL_MAX_PAGES_PER_ORIGIN = 50_000  # spider-trap guard: URLs admitted per origin (0 = no cap)
TDMCRAWL_DECOMPRESSION_RATIO = 100.0  # a compressed body may expand at most this many times (bombs) ...
TDMCRAWL_DECOMPRESSION_FLOOR = 1024 * 1024  # ... or to this many bytes, whichever is larger (and never past DOWNLOAD_MAXSIZE)
DEPTH_PRIORITY = 1  # breadth first
# Per-origin queues served as origins become ready (crawler/fetch/frontier.py): a request for an
# origin inside its delay never holds a place in the downloader while other origins wait.
SCHEDULER_PRIORITY_QUEUE = "crawler.fetch.frontier.PolitenessAwarePriorityQueue"
# Delays are minimums (a robots.txt Crawl-delay must never be undercut); Scrapy's default
# jitter draws between 0.5x and 1.5x the delay.
RANDOMIZE_DOWNLOAD_DELAY = False
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
LOG_LEVEL = "INFO"

# --- Rights (the RFC 9309 middleware replaces Scrapy's fail-open RobotsTxtMiddleware).
ROBOTSTXT_OBEY = False
TDMCRAWL_RIGHTS_ENABLED = True
TDMCRAWL_ROBOTS_CACHE_TTL = 86400  # seconds a robots.txt (and tdmrep.json, ai.txt, RSL) is trusted
TDMCRAWL_ROBOTS_RETRY_TIMES = 4  # retries of an unreachable robots.txt before its origin is given up
TDMCRAWL_ROBOTS_RETRY_DELAY = 60.0  # first retry after this many seconds, doubling: 60+120+240+480 s
TDMCRAWL_FETCH_TDMREP = True
TDMCRAWL_FETCH_AITXT = True
TDMCRAWL_FETCH_RSL = True
TDMCRAWL_FETCH_TOS = True  # find, archive and read each origin's terms of service before its pages (crawler/rights/tos.py)
TDMCRAWL_TOS_COMMON_PATHS = 3  # common paths (/terms, /agb, /cgu, … by page language) tried when no page links the terms
TDMCRAWL_ALLOW_PRIVATE_ADDRESSES = False  # seeds on private/loopback addresses allow those addresses
TDMCRAWL_LOOPBACK_ONLY = False  # refuse seeds and connections that are not on loopback (benchmarks, demos)
TWISTED_DNS_RESOLVER = "crawler.fetch.dns.PublicAddressResolver"  # re-checks the address at connection time (DNS rebinding)

# --- Extraction and output.
TDMCRAWL_OUTPUT_DIR = "output/crawl"
TDMCRAWL_CRAWL_ID = None  # generated: tdmcrawl-<UTC time>-<random>
TDMCRAWL_WORKER_ID = "w0"
TDMCRAWL_WORKERS = -1  # worker processes for parsing and extraction; -1 = one per core, 0 = inline
TDMCRAWL_WORKER_BATCH = 8
TDMCRAWL_EXTRACT_TIMEOUT = 30.0  # seconds per page before it is recorded as failed
TDMCRAWL_EXTRACT_TEXT = True  # False defers text extraction to `tdmcrawl extract`
# Main-text extractor: "trafilatura" (F1 0.955 on the real pages, ~29 ms/page) or "resiliparse"
# (F1 0.913, ~2.4 ms/page; DCLM's). trafilatura's fast mode: TDMCRAWL_EXTRACT = {"fast": True, ...}.
TDMCRAWL_EXTRACTOR = "trafilatura"
TDMCRAWL_EXTRACT = {"favor_precision": False, "include_tables": True, "include_comments": False}
TDMCRAWL_WRITE_WET = True

# --- Documents besides HTML (crawler/document.py): none unless asked for, so HTML crawls do not change.
TDMCRAWL_DOCUMENTS = []  # "pdf", "epub" (`tdmcrawl crawl --documents pdf,epub`); HTML is always taken
TDMCRAWL_DOCUMENT_MAX_SIZE = 100 * 1024 * 1024  # a PDF/EPUB is fetched whole up to this; larger: fetch-size-limit, never stored cut
TDMCRAWL_DOCUMENT_MAX_PAGES = 5000  # more pages: document-too-many-pages
TDMCRAWL_DOCUMENT_TIMEOUT = 60.0  # seconds to read one PDF/EPUB (rights and text) in a worker: extraction-timeout past it
TDMCRAWL_DOCUMENT_MEMORY = 1024 * 1024 * 1024  # bytes of address space one PDF/EPUB may add in a worker: document-memory-limit past it
TDMCRAWL_WARC_MAX_SIZE = 1_000_000_000
TDMCRAWL_PARQUET_ROWS_PER_GROUP = 1000
TDMCRAWL_PARQUET_ROWS_PER_SHARD = 100_000

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.fetch.middleware.RightsMiddleware": 100,
}
# A request the spider yields that a spider middleware drops (DEPTH_LIMIT, URLLENGTH_LIMIT, …) gets its row.
SPIDER_MIDDLEWARES = {
    "crawler.fetch.trail.SpiderOutputAudit": 1,  # next to the engine
    "crawler.fetch.trail.SpiderOutputTickets": 1000,  # next to the spider
}
ITEM_PIPELINES = {
    "pipelines.archive.WarcPipeline": 300,
    "pipelines.tables.DocumentsPipeline": 400,
}
EXTENSIONS = {
    "crawler.fetch.trail.AuditTrail": 50,  # the scope of every scheduled request; a row for each one the scheduler drops
    "pipelines.tables.DecisionsWriter": 100,
    "crawler.fetch.politeness.Politeness": 200,  # after AutoThrottle (0), so its minimum delays win
    "crawler.progress.Progress": 900,
    "pipelines.summary_extension.SummaryExtension": 950,
}
TDMCRAWL_SUMMARY = True  # rebuild summary.json, summary.md and the dataset card when the crawl ends
TDMCRAWL_PROGRESS = "auto"  # auto: a live display on a terminal, a log line every TDMCRAWL_PROGRESS_INTERVAL s otherwise
TDMCRAWL_PROGRESS_INTERVAL = 30.0
TDMCRAWL_RETRY_AFTER_MAX = 600.0  # longest Retry-After honoured, seconds
TDMCRAWL_FOLLOW_SITEMAPS = True  # read the sitemaps robots.txt lists (in scope only)

# --- Jobs (resume after a crash; see crawler/jobs.py and pipelines/dataset/recovery.py).
TDMCRAWL_JOB_DIR = None  # default <TDMCRAWL_OUTPUT_DIR>/.job; `tdmcrawl crawl` also sets JOBDIR=<job>/scrapy
TDMCRAWL_APPEND = False  # allow a new crawl into an output folder holding a finished one
TDMCRAWL_PREVIOUS = None  # an earlier output folder: incremental recrawl (conditional requests, unchanged, withdrawn)

# --- Distributed crawls (crawler/cluster.py; set by `tdmcrawl crawl --redis` / `tdmcrawl worker`).
TDMCRAWL_REDIS_URL = None
TDMCRAWL_CLUSTER_LEASES = 32  # requests one worker holds at a time (the frontier hands out only ready origins; an origin starting up holds one for seconds)

# --- Opt-out registries (crawler/rights/registry.py, crawler/fetch/registry_client.py).
TDMCRAWL_REGISTRY_FILES = []  # local registry files (format: crawler/rights/registry.py)
TDMCRAWL_REGISTRY_SPAWNING_URL = None  # a Spawning-style API endpoint; every URL considered is sent to it
TDMCRAWL_REGISTRY_KEY_ENV = "SPAWNING_OPTS_KEY"  # environment variable holding its API key
TDMCRAWL_REGISTRY_UNAVAILABLE = "stop"  # no key or service down: "stop" the crawl, or "exclude" (record registry-unavailable)
TDMCRAWL_REGISTRY_BATCH_DELAY = 0.05
TDMCRAWL_REGISTRY_BATCH_SIZE = 1000
TDMCRAWL_REGISTRY_TIMEOUT = 20.0
TDMCRAWL_REGISTRY_RETRY_TIMES = 4
TDMCRAWL_REGISTRY_RETRY_DELAY = 1.0
TDMCRAWL_REGISTRY_CACHE_TTL = 86400.0
TDMCRAWL_REGISTRY_PAUSE = 60.0

# Consent audits (`tdmcrawl audit`, which applies settings/audit.py)
TDMCRAWL_AUDIT = False  # page requests are decided by the rights middleware and never downloaded
TDMCRAWL_AUDIT_HEADERS = False  # --with-headers: each URL is asked for its headers only (stopped at headers_received)
TDMCRAWL_AUDIT_WINDOW = 5000  # input URLs read but not yet decided, at most (memory bound)
