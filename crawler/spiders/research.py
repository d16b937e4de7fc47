"""The ``research`` spider: a scoped, polite, breadth-first crawl from seeds.

It asks the worker pool to parse each page once (links, page-level rights,
licence, text) and then either records why the page is not stored or hands a
:class:`~crawler.model.items.DocumentItem` to the pipelines. Links come back already
absolute and are filtered against a compact seen-set and the crawl's scope
before any Request is built, so Scrapy only builds requests it will send.

Run it with ``tdmcrawl crawl`` or ``scrapy crawl research -a seeds=URL``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator, Iterable
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import UsageError

from crawler.cluster import connect, key_prefix
from crawler.context import CrawlContext
from crawler.fetch.failures import failure_decision
from crawler.model.decisions import EXCLUDED, FAILED, STAGE_FETCH, STAGE_HEADERS, STAGE_PAGE, DecisionRecord, terms_link, terms_of
from crawler.model.items import DocumentItem, RevisitItem
from crawler.previous import PreviousCrawl
from crawler.jobs import FINISHED, RUNNING, STOPPED, FrontierEntry, JobDirectory, JobLocked
from crawler.fetch.middleware import Decided, Parked
from crawler.fetch.responses import capture_from_response
from crawler.model.meta import META_ASSESSMENT, META_HOPS, META_SEED, META_SITEMAP, META_STOP, META_VIA
from crawler.rights.evidence import Evidence
from crawler.signals import origin_rights_loaded, record_decision
from crawler.sitemaps import parse_sitemap
from crawler.urls import is_crawlable_url, is_loopback_host, origin_of, registered_domain, try_safe_url, url_fingerprint
from crawler.workers import ExtractionTimeout, WorkerPool
from pipelines.extraction import PageJob, process_page
from pipelines.archive import WarcSets, release_document, reserve_document
from pipelines.dataset.recovery import decided_urls, recover_output


def read_seeds(seeds: str | Iterable[str] | None = None, seeds_file: str | None = None) -> list[str]:
    """Seeds from a whitespace/comma separated string or list, and from a file
    (one URL per line, ``#`` comments). Raises ``UsageError`` naming a bad URL."""
    values: list[str] = []
    if isinstance(seeds, str):
        values.extend(seeds.replace(",", " ").split())
    elif seeds:
        values.extend(seeds)
    if seeds_file:
        try:
            text = Path(seeds_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read seeds file {seeds_file}: {exc.strerror if isinstance(exc, OSError) else exc}") from None
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                values.append(line)
    seeds_out = []
    for value in values:
        url = try_safe_url(value) or value
        if not is_crawlable_url(url):
            raise UsageError(f"not a crawlable http(s) URL: {value!r}")
        seeds_out.append(url)
    return list(dict.fromkeys(seeds_out))


MAX_SITEMAPS_PER_ORIGIN = 10
MAX_SITEMAP_LEVELS = 2


class ResearchSpider(scrapy.Spider):
    name = "research"

    def __init__(
        self,
        seeds: str | list[str] | None = None,
        seeds_file: str | None = None,
        allowed_domains: str | list[str] | None = None,
        max_pages: int | str | None = None,
        max_depth: int | str | None = None,
        *args: Any,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.seeds = read_seeds(seeds, seeds_file)
        if not self.seeds:
            raise UsageError("no seed URL given (use seeds=URL or seeds_file=FILE)")
        if isinstance(allowed_domains, str):
            allowed_domains = allowed_domains.replace(",", " ").split()
        domains = allowed_domains or [registered_domain(urlsplit(s).hostname or "") for s in self.seeds]
        self.allowed_domains = sorted({d.lower().strip(".") for d in domains if d})
        self.max_pages = int(max_pages) if max_pages not in (None, "", 0, "0") else None
        self.max_depth = int(max_depth) if max_depth not in (None, "") else None
        self.seen: set[int] = set()
        self.considered = 0
        self.per_origin: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "ResearchSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        middlewares = crawler.settings.getwithbase("DOWNLOADER_MIDDLEWARES")
        if middlewares.get("crawler.fetch.middleware.RightsMiddleware") is None:
            raise UsageError("the research spider needs crawler.fetch.middleware.RightsMiddleware enabled (it enforces the rights)")
        if crawler.settings.getbool("TDMCRAWL_LOOPBACK_ONLY"):
            outside = [url for url in spider.seeds if not is_loopback_host(urlsplit(url).hostname or "")]
            if outside:
                raise UsageError(f"TDMCRAWL_LOOPBACK_ONLY is set and these seeds are not on loopback: {', '.join(outside)}")
        spider.context = CrawlContext.for_crawler(crawler)
        spider.pool = WorkerPool.for_crawler(crawler)
        pipelines = crawler.settings.getwithbase("ITEM_PIPELINES")
        # With the WARC pipeline on, a page's records are built in the same worker trip as its parse.
        spider.warc_sets = None
        if pipelines.get("pipelines.archive.WarcPipeline") is not None:
            spider.warc_sets = WarcSets.for_crawler(crawler)
            spider.write_wet = crawler.settings.getbool("TDMCRAWL_WRITE_WET")
        spider._open_job(crawler)
        spider.follow_sitemaps = crawler.settings.getbool("TDMCRAWL_FOLLOW_SITEMAPS")
        spider.download_maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        spider.max_per_origin = crawler.settings.getint("TDMCRAWL_MAX_PAGES_PER_ORIGIN")
        try:
            spider.previous = PreviousCrawl.for_crawler(crawler)
        except FileNotFoundError as exc:
            raise UsageError(str(exc)) from None
        spider.sitemaps_seen: set[str] = set()
        crawler.signals.connect(spider.origin_loaded, signal=origin_rights_loaded)
        return spider

    # ------------------------------------------------------------------ the job
    def _open_job(self, crawler: Any) -> None:
        """Lock the job directory; when it holds an unfinished crawl, repair the
        output and take up every admitted URL that has no decision yet."""
        context = self.context
        job = JobDirectory(context.job_dir)
        try:
            job.lock()
        except JobLocked as exc:
            raise UsageError(f"could not start: {exc}") from None
        state = job.read_state()
        if state.get("status") == FINISHED and not crawler.settings.getbool("TDMCRAWL_APPEND"):
            job.unlock()
            raise UsageError(
                f"{context.output_dir} already holds the finished crawl {state.get('crawl_id')}; use a new --out "
                f"(with --previous {context.output_dir} to recrawl it incrementally) or --append to add another crawl to it"
            )
        self.job = job
        self.pending: list[FrontierEntry] = []
        self.decided_outside_frontier: set[str] = set()
        self.cluster = None
        if crawler.settings.get("TDMCRAWL_REDIS_URL"):
            # In a cluster, Redis holds the frontier (and resumes it); this worker's
            # job directory only protects and repairs its own output files.
            self.cluster = connect(crawler.settings.get("TDMCRAWL_REDIS_URL"))
            self.cluster_admitted_key = f"{key_prefix(context.crawl_id)}:admitted"
            if state.get("status") in (RUNNING, STOPPED):
                recover_output(context.output_dir, crawl_id=context.crawl_id, worker_id=context.worker_id, profile=context.profile.name)
        elif state.get("crawl_id") == context.crawl_id and state.get("status") in (RUNNING, STOPPED):
            report = recover_output(context.output_dir, crawl_id=context.crawl_id, worker_id=context.worker_id, profile=context.profile.name)
            if report:
                self.logger.warning(
                    "repaired the output of the interrupted run: %d WARC file(s) cut to their last complete capture, %d Parquet shard(s) rebuilt, %d row(s) rebuilt from WARC",
                    len(report.warc_files), len(report.parquet_shards), report.orphan_captures,
                )
            job.reset_scrapy_queue()
            decided = decided_urls(context.output_dir, context.crawl_id)
            for entry in job.read_frontier():
                fingerprint = url_fingerprint(entry.url)
                if fingerprint in self.seen:
                    continue
                self.seen.add(fingerprint)
                self.considered += 1
                if entry.url not in decided:
                    self.pending.append(entry)
            # Decided, yet never admitted as a page: the sitemaps already read (not read again).
            self.decided_outside_frontier = {url for url in decided if url_fingerprint(url) not in self.seen}
            self.logger.info("resuming crawl %s: %d URLs admitted, %d without a decision", context.crawl_id, self.considered, len(self.pending))
        elif state.get("status") == FINISHED:
            # --append: the finished crawl's frontier and Scrapy's record of seen
            # requests belong to it; the new crawl starts with neither.
            job.start_new_crawl()
        job.write_state(crawl_id=context.crawl_id, worker_id=context.worker_id, status=RUNNING, output=str(context.output_dir), seeds=self.seeds, profile=context.profile.name)
        crawler.signals.connect(self._job_opened, signal=signals.spider_opened)
        crawler.signals.connect(self._close_job, signal=signals.spider_closed)

    def _job_opened(self, spider: Any) -> None:
        import gc

        # Everything loaded so far (Scrapy, lxml, trafilatura's tables, the rights
        # files) lives for the whole crawl: keep it out of every later collection,
        # so a full collection costs the reactor milliseconds, not a tenth of a second.
        gc.collect()
        gc.freeze()
        if self.considered:
            self.crawler.stats.set_value("tdmcrawl/resume/admitted", self.considered)
            self.crawler.stats.set_value("tdmcrawl/resume/pending", len(self.pending))

    def _close_job(self, spider: Any, reason: str) -> None:
        self.job.write_state(status=FINISHED if reason == "finished" else STOPPED, finish_reason=reason)
        self.job.unlock()

    # ------------------------------------------------------------------ scope
    def in_scope(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)

    def _admit(self, url: str, fingerprint: int | None = None) -> bool:
        """True the first time a URL in scope is seen and the page budget allows it."""
        if self.max_pages is not None and self.considered >= self.max_pages:
            self.crawler.stats.inc_value("tdmcrawl/links/over_budget")
            return False
        if fingerprint is None:
            fingerprint = url_fingerprint(url)
        if fingerprint in self.seen:
            return False
        if not self.in_scope(url):
            self.seen.add(fingerprint)  # counted once: the summary reports distinct links never followed
            self.crawler.stats.inc_value("tdmcrawl/links/out_of_scope")
            return False
        if self.max_per_origin:
            # A spider trap (endless calendar, fan-out) spends one origin's budget, not the crawl's.
            origin = str(origin_of(url))
            if self.per_origin.get(origin, 0) >= self.max_per_origin:
                self.crawler.stats.inc_value("tdmcrawl/links/over_origin_cap")
                return False
            self.per_origin[origin] = self.per_origin.get(origin, 0) + 1
        self.seen.add(fingerprint)
        if self.cluster is not None and self.max_pages is not None:
            # The page budget is the cluster's: counted in Redis (URLs another worker
            # admitted first still count once here, so the budget is a bound, not exact).
            if int(self.cluster.incr(self.cluster_admitted_key)) > self.max_pages:
                self.crawler.stats.inc_value("tdmcrawl/links/over_budget")
                return False
        self.considered += 1
        return True

    def admit(self, url: str, *, depth: int, via: str | None, hops: str, fingerprint: int | None = None) -> bool:
        """Admit a URL into the crawl and journal it (resume sends it again until decided)."""
        if not self._admit(url, fingerprint):
            return False
        self.job.admit(url, depth, via, hops)
        return True

    def request_for(self, url: str, *, depth: int, via: str | None, hops: str, seed: bool = False) -> scrapy.Request:
        meta: dict[str, Any] = {"depth": depth, META_VIA: via, META_HOPS: hops, META_SEED: seed}
        if seed:
            meta["allow_offsite"] = True  # seeds are crawled even outside --allowed-domains (their redirects are not: crawler.fetch.trail)
        headers: dict[str, str] = {}
        previous = self.previous.lookup(url) if self.previous is not None else None
        if previous is not None:
            # Stored by the previous crawl: ask whether it changed (a 304 costs no body).
            headers = previous.conditional_headers()
            meta["tdmcrawl_previous"] = previous
            meta["handle_httpstatus_list"] = [304]
        return scrapy.Request(url, callback=self.parse, errback=self.on_error, meta=meta, headers=headers or None)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.pending or self.considered:
            for entry in self.pending:
                request = self.request_for(entry.url, depth=entry.depth, via=entry.via, hops=entry.hops, seed=entry.depth == 0)
                yield request.replace(dont_filter=True)
            return
        for url in self.seeds:  # seeds are crawled even outside --allowed-domains
            fingerprint = url_fingerprint(url)
            if fingerprint in self.seen:
                continue
            if self.max_pages is not None and self.considered >= self.max_pages:
                break
            self.seen.add(fingerprint)
            self.considered += 1
            origin = str(origin_of(url))
            self.per_origin[origin] = self.per_origin.get(origin, 0) + 1  # a seed counts toward its origin's cap
            self.job.admit(url, 0, None, "")
            yield self.request_for(url, depth=0, via=None, hops="", seed=True)
        if self.previous is not None:
            # An incremental recrawl revisits everything the previous crawl stored.
            for url in self.previous.stored_urls():
                if self.admit(url, depth=0, via=None, hops=""):
                    yield self.request_for(url, depth=0, via=None, hops="")

    # ------------------------------------------------------------------ sitemaps
    def origin_loaded(self, origin: str, rights: Any) -> None:
        """Read the sitemaps an in-scope origin's robots.txt lists."""
        if not self.follow_sitemaps or not self.in_scope(origin + "/"):
            return
        for url in rights.robots.sitemaps[:MAX_SITEMAPS_PER_ORIGIN]:
            safe = try_safe_url(url)
            if safe is not None:
                self._schedule_sitemap(safe, level=0)

    def _schedule_sitemap(self, url: str, level: int) -> None:
        if url in self.sitemaps_seen or url in self.decided_outside_frontier or not is_crawlable_url(url) or not self.in_scope(url) or level > MAX_SITEMAP_LEVELS:
            return
        self.sitemaps_seen.add(url)
        self.seen.add(url_fingerprint(url))  # a link to it is not a page of its own: one row per URL
        request = scrapy.Request(url, callback=self.parse_sitemap, errback=self.sitemap_error, priority=-1, meta={META_SITEMAP: True, "tdmcrawl_sitemap_level": level, "depth": 0})
        self.crawler.engine.crawl(request)

    async def parse_sitemap(self, response: scrapy.http.Response) -> AsyncIterator[Any]:
        try:
            sitemap = await self.pool.run(parse_sitemap, response.body)
        except Exception as exc:  # a sitemap the worker could not read is recorded, never lost
            self._record_sitemap(response, FAILED, "extraction-error", f"{type(exc).__name__}: {exc}")
            return
        self.crawler.stats.inc_value(f"tdmcrawl/sitemaps/{sitemap.kind}")
        # A sitemap is read for its links; like every other URL requested, it has its row.
        self._record_sitemap(response, EXCLUDED, "not-html", f"{sitemap.kind}: {len(sitemap.urls)} URLs listed")
        level = response.meta.get("tdmcrawl_sitemap_level", 0)
        if sitemap.kind == "sitemapindex":
            for url in sitemap.urls[:MAX_SITEMAPS_PER_ORIGIN]:
                safe = try_safe_url(url)
                if safe is not None:
                    self._schedule_sitemap(safe, level + 1)
            return
        for listed in sitemap.urls:
            url = try_safe_url(listed)
            if url is None:
                self.crawler.stats.inc_value("tdmcrawl/sitemaps/bad_url")
                continue
            if is_crawlable_url(url) and self.admit(url, depth=1, via=response.url, hops="X"):
                yield self.request_for(url, depth=1, via=response.url, hops="X")

    def _record_sitemap(self, response: Any, decision: str, reason: str, value: str) -> None:
        evidence = (Evidence("sitemap", response.url, value, note="read for the URLs it lists; only HTML pages are stored"),)
        record_decision(self.crawler, DecisionRecord.for_request(response.request, decision, reason, evidence, stage=STAGE_PAGE, status=response.status))

    def sitemap_error(self, failure: Any) -> None:
        self.crawler.stats.inc_value("tdmcrawl/sitemaps/error")
        self.on_error(failure)

    # ------------------------------------------------------------------ pages
    async def parse(self, response: scrapy.http.Response) -> AsyncIterator[Any]:
        request = response.request
        assessment = response.meta.get(META_ASSESSMENT)
        capture = capture_from_response(response)
        depth = response.meta.get("depth", 0)
        if response.status == 304 and response.meta.get("tdmcrawl_previous") is not None:
            yield RevisitItem(
                capture=capture,
                previous=response.meta["tdmcrawl_previous"],
                original_url=(response.meta.get("redirect_urls") or [request.url])[0],
                depth=depth,
                policy_digests=assessment.origin.digests if assessment else (),
                **terms_link(terms_of(assessment)),
            )
            return
        slots = reserve_document(self.warc_sets, with_text=self.write_wet and self.context.extract.extract_text) if self.warc_sets is not None else None
        job = PageJob(
            capture=capture, assessment=assessment, profile=self.context.profile, options=self.context.extract,
            crawl_id=self.context.crawl_id, warcinfo_ids=slots.warcinfo_ids if slots else None, documents=self.context.documents,
        )
        original_url = (response.meta.get("redirect_urls") or [request.url])[0]
        digests = assessment.origin.digests if assessment else ()
        try:
            outcome = await self.pool.run(process_page, job)
        except ExtractionTimeout as exc:
            if slots:
                release_document(self.warc_sets, slots)
            self._record(response, FAILED, "extraction-timeout", str(exc), stage=STAGE_PAGE)
            return
        except Exception as exc:  # a page the worker could not process is recorded, never lost
            if slots:
                release_document(self.warc_sets, slots)
            self._record(response, FAILED, "extraction-error", f"{type(exc).__name__}: {exc}", stage=STAGE_PAGE)
            return
        stored = outcome.failure is None and not (outcome.decision is not None and outcome.decision.excluded)
        if slots and not stored:
            release_document(self.warc_sets, slots)

        hops = response.meta.get(META_HOPS, "")
        for link, fingerprint in zip(outcome.links, outcome.link_fingerprints):
            if self.max_depth is not None and depth + 1 > self.max_depth:
                break
            if fingerprint in self.seen:
                continue  # most links: already seen, and no Request is ever built for them
            if self.admit(link, depth=depth + 1, via=response.url, hops=hops + "L", fingerprint=fingerprint):
                yield self.request_for(link, depth=depth + 1, via=response.url, hops=hops + "L")

        if outcome.failure is not None:
            decision = EXCLUDED if outcome.failure == "not-html" else FAILED
            self._record(response, decision, outcome.failure, outcome.row.get("evidence", ""), stage=STAGE_PAGE)
            return
        if outcome.decision is not None and outcome.decision.excluded:
            decision = outcome.decision
            record_decision(
                self.crawler,
                DecisionRecord.for_request(
                    response.request, EXCLUDED, decision.reason, decision.evidence, stage=STAGE_PAGE, status=response.status, policy_digests=digests, reservations=decision.reservations
                ),
            )
            return
        extra: dict[str, Any] = {"row_json": outcome.row_json}
        if slots is not None and outcome.records is not None:
            extra.update(warc_slots=slots, warc_records=outcome.records)
        elif slots is not None:
            release_document(self.warc_sets, slots)
        yield DocumentItem(
            capture=capture,
            row=outcome.row,
            metadata=outcome.metadata,
            identified_type=outcome.identified_type,
            depth=depth,
            policy_digests=digests,
            reservations=tuple(outcome.row.get("reservations") or ()),
            original_url=original_url,
            extra=extra,
        )

    def _record(self, response: Any, decision: str, reason: str, note: str, *, stage: str) -> None:
        """The decision of a page that came back, keyed by the URL first asked for."""
        record_decision(self.crawler, DecisionRecord.for_request(response.request, decision, reason, (Evidence("http", response.url, note),), stage=stage, status=response.status))

    # ------------------------------------------------------------------ failures
    def on_error(self, failure: Any) -> None:
        error = failure.value
        request = failure.request
        if isinstance(error, (Decided, Parked)):
            return
        meta = request.meta
        response = getattr(error, "response", None)
        status = response.status if response is not None else None
        stop = meta.get(META_STOP)
        if stop is not None:  # the body was stopped on its headers, then a later step failed on the partial body
            reason, evidence, policy_digests, reservations = stop
            record_decision(self.crawler, DecisionRecord.for_request(request, EXCLUDED, reason, evidence, stage=STAGE_HEADERS, status=status, policy_digests=policy_digests, reservations=reservations))
            return
        decision, reason = failure_decision(error, status=status, url=request.url, meta=meta, maxsize=self.download_maxsize)
        evidence = (Evidence("http", request.url, f"{type(error).__name__}: {error}"),)
        record_decision(self.crawler, DecisionRecord.for_request(request, decision, reason, evidence, stage=STAGE_FETCH, status=status))
