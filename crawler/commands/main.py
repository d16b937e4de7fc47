"""The ``tdmcrawl`` command: a convenience over Scrapy's own machinery.

``tdmcrawl crawl`` builds the same settings ``scrapy crawl research`` reads
(this project's settings module, a policy profile, ``-s NAME=VALUE``) and runs
the ``research`` spider in a ``CrawlerProcess``. ``tdmcrawl demo`` serves the
bundled demo site on loopback and crawls it. Errors a user can fix are one
line on stderr and a non-zero exit code, never a traceback.

Exit codes: 0 the crawl completed; 1 it completed but a component logged
errors; 2 bad arguments or the crawl could not start; 3 it was interrupted
(SIGINT/SIGTERM: in-flight work finished, files closed).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any, Sequence

from crawler import __version__
from crawler.commands.common import EXIT_ERRORS, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, non_negative_float, non_negative_int, positive_int
from crawler.commands.dataset import add_dataset_commands
from crawler.errors import CliError


PROFILE_PACKAGE = "settings.profiles"
WORKER_WAIT_SECONDS = 600.0  # a worker started with the cluster waits this long for the crawl


def _policy_module(name: str) -> Any:
    module_name = name if "." in name else f"{PROFILE_PACKAGE}.{name.replace('-', '_')}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        known = ", ".join(available_profiles())
        raise CliError(f"unknown policy profile {name!r} (known: {known})") from None
    if not hasattr(module, "TDMCRAWL_POLICY"):
        raise CliError(f"{module_name} does not define TDMCRAWL_POLICY")
    return module


def available_profiles() -> list[str]:
    package = importlib.import_module(PROFILE_PACKAGE)
    folder = Path(package.__file__).parent
    return sorted(p.stem.replace("_", "-") for p in folder.glob("*.py") if not p.name.startswith("_"))


def _parse_setting(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise CliError(f"-s expects NAME=VALUE, got {text!r}")
    name, value = text.split("=", 1)
    if not name.strip():
        raise CliError(f"-s expects NAME=VALUE, got {text!r}")
    return name.strip(), value


def build_settings(
    *,
    out: Path,
    policy: str = "strict",
    contact: str | None = None,
    overrides: Sequence[str] = (),
    extra: dict[str, Any] | None = None,
    settings_module: str | None = None,
    base_modules: Sequence[str] = (),
) -> Any:
    """Project settings, then the policy profile, then ``extra`` (the CLI's own
    options), then ``-s`` overrides: the order Scrapy users expect."""
    from scrapy.settings import Settings

    from crawler.context import user_agent

    settings = Settings()
    settings.setmodule("settings", priority="project")
    settings.setmodule(_policy_module(policy), priority="project")
    for name in base_modules:  # e.g. settings.audit, under the user's own module
        settings.setmodule(importlib.import_module(name), priority="project")
    if settings_module:
        try:
            settings.setmodule(importlib.import_module(settings_module), priority="project")
        except ModuleNotFoundError:
            raise CliError(f"settings module {settings_module!r} not found") from None
    token = settings.get("TDMCRAWL_PRODUCT_TOKEN")
    values: dict[str, Any] = {
        "TDMCRAWL_OUTPUT_DIR": str(out),
        "TDMCRAWL_CONTACT": contact,
        "USER_AGENT": user_agent(contact, token),
    }
    values.update(extra or {})
    for name, value in values.items():
        if value is not None:
            settings.set(name, value, priority="cmdline")
    for text in overrides:
        name, value = _parse_setting(text)
        settings.set(name, value, priority="cmdline")
    return settings


def run_crawl(settings: Any, spider_kwargs: dict[str, Any], spider: str = "research") -> tuple[int, dict[str, Any]]:
    """Run the research (or audit) spider; return (exit code, final stats)."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.exceptions import UsageError

    from crawler.spiders.research import ResearchSpider, read_seeds

    spider_class: Any = ResearchSpider
    if spider == "audit":
        from crawler.spiders.audit import AuditSpider

        spider_class = AuditSpider
    else:
        try:
            read_seeds(spider_kwargs.get("seeds"), spider_kwargs.get("seeds_file"))  # fail fast, before any setup
        except UsageError as exc:
            raise CliError(str(exc)) from None
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider_class)
    failures: list[Any] = []
    try:
        deferred = process.crawl(crawler, **spider_kwargs)
        deferred.addErrback(lambda failure: failures.append(failure))
        process.start()
    except UsageError as exc:
        raise CliError(str(exc)) from None
    for failure in failures:
        if failure.check(UsageError):
            raise CliError(str(failure.value))
        raise CliError(f"the crawl could not run: {failure.getErrorMessage()}")
    stats = crawler.stats.get_stats() if crawler.stats else {}
    reason = stats.get("finish_reason")
    if reason == "shutdown":
        # Stopped on request (SIGTERM, Ctrl-C): in-flight work finished and files
        # closed; the same command resumes it.
        logging.getLogger("tdmcrawl").warning("stopped on request; run the same command again to resume")
        return EXIT_OK, stats
    if reason == "registry-unavailable":
        raise CliError("the crawl stopped: the opt-out registry could not be asked (see the log); the same command resumes it")
    if reason != "finished":
        return EXIT_ERRORS, stats
    # Scrapy logs each "Gave up retrying" at ERROR; those URLs are recorded as
    # failed decisions, not errors of a component.
    component_errors = stats.get("log_count/ERROR", 0) - stats.get("retry/max_reached", 0)
    if component_errors > 0:
        return EXIT_ERRORS, stats
    return EXIT_OK, stats


# ------------------------------------------------------------------ commands
def _redis(url: str) -> Any:
    from crawler.cluster import connect

    try:
        server = connect(url)
        server.ping()
    except Exception as exc:
        raise CliError(f"cannot reach Redis at {url}: {exc}") from None
    return server


def _cluster_extra(settings_extra: dict[str, Any], redis_url: str, crawl_id: str, worker_id: str | None, out: Path) -> None:
    from crawler.cluster import cluster_settings, default_worker_id

    worker = worker_id or default_worker_id()
    settings_extra.update(cluster_settings(redis_url, crawl_id))
    settings_extra["TDMCRAWL_WORKER_ID"] = worker
    settings_extra["TDMCRAWL_JOB_DIR"] = str(out / f".job-{worker}")
    settings_extra.pop("JOBDIR", None)  # the frontier lives in Redis


def _with_cluster_components(settings: Any) -> None:
    from crawler.cluster import cluster_components

    for name, value in cluster_components(settings).items():
        settings.set(name, value, priority="cmdline")


def _check_ids(args: argparse.Namespace) -> None:
    from scrapy.exceptions import UsageError

    from crawler.context import safe_name

    try:
        for what, value in (("crawl id", getattr(args, "crawl_id", None)), ("worker id", getattr(args, "worker_id", None))):
            if value:
                safe_name(value, what)
    except UsageError as exc:
        raise CliError(str(exc)) from None


def cmd_crawl(args: argparse.Namespace) -> int:
    _check_ids(args)
    if not args.seeds and not args.seeds_file:
        raise CliError("give at least one SEED_URL or --seeds-file FILE")
    if args.seeds_file and not Path(args.seeds_file).is_file():
        raise CliError(f"cannot read seeds file {args.seeds_file}: no such file")
    extra: dict[str, Any] = {"LOG_LEVEL": args.log_level}
    if args.quiet:
        extra["TDMCRAWL_PROGRESS"] = "off"
        extra["LOG_LEVEL"] = "WARNING" if args.log_level == "INFO" else args.log_level
    if args.allow_private_addresses:
        extra["TDMCRAWL_ALLOW_PRIVATE_ADDRESSES"] = True
    if args.registry_file:
        for name in args.registry_file:
            if not Path(name).is_file():
                raise CliError(f"cannot read registry file {name}: no such file")
        extra["TDMCRAWL_REGISTRY_FILES"] = [str(Path(name).resolve()) for name in args.registry_file]
    if args.crawl_id:
        extra["TDMCRAWL_CRAWL_ID"] = args.crawl_id
    if args.append:
        extra["TDMCRAWL_APPEND"] = True
    if args.max_pages_per_origin is not None:
        extra["TDMCRAWL_MAX_PAGES_PER_ORIGIN"] = args.max_pages_per_origin
    if args.documents:
        from crawler.document import parse_kinds

        try:
            extra["TDMCRAWL_DOCUMENTS"] = list(parse_kinds(args.documents))
        except ValueError as exc:
            raise CliError(f"--documents: {exc}") from None
    if args.previous:
        if not (Path(args.previous) / "data" / "documents").is_dir():
            raise CliError(f"--previous {args.previous} is not a tdmcrawl output folder (no data/documents)")
        if Path(args.previous).resolve() == Path(args.out).resolve():
            raise CliError("--previous must be another output folder than --out")
        extra["TDMCRAWL_PREVIOUS"] = str(args.previous)
    job_dir = Path(args.job) if args.job else Path(args.out) / ".job"
    extra["TDMCRAWL_JOB_DIR"] = str(job_dir)
    extra["JOBDIR"] = str(job_dir / "scrapy")
    spider_kwargs = {
        "seeds": list(args.seeds),
        "seeds_file": args.seeds_file,
        "allowed_domains": args.allowed_domains,
        "max_pages": args.max_pages,
        "max_depth": args.max_depth,
    }
    if args.redis:
        from crawler.cluster import store_config
        from crawler.context import new_crawl_id
        from crawler.spiders.research import read_seeds
        from scrapy.exceptions import UsageError

        server = _redis(args.redis)
        crawl_id = args.crawl_id or new_crawl_id()
        try:
            seeds = read_seeds(args.seeds, args.seeds_file)
        except UsageError as exc:
            raise CliError(str(exc)) from None
        store_config(server, crawl_id, {
            "seeds": seeds, "allowed_domains": args.allowed_domains, "max_pages": args.max_pages, "max_depth": args.max_depth,
            "policy": args.policy, "contact": args.contact, "settings": list(args.set or []), "allow_private_addresses": args.allow_private_addresses,
            "settings_module": args.settings,  # workers run with the crawl's settings, or their politeness would differ
            "documents": extra.get("TDMCRAWL_DOCUMENTS") or [],
        })
        _cluster_extra(extra, args.redis, crawl_id, args.worker_id, Path(args.out))
        print(f"crawl {crawl_id} on {args.redis}; add workers with: tdmcrawl worker --redis {args.redis} --crawl-id {crawl_id} --out DIR", file=sys.stderr)
    settings = build_settings(out=Path(args.out), policy=args.policy, contact=args.contact, overrides=args.set or (), extra=extra, settings_module=args.settings)
    if args.redis:
        _with_cluster_components(settings)
    code, stats = run_crawl(settings, spider_kwargs)
    if not args.quiet:
        print_short_summary(Path(args.out), stats)
    return code


def cmd_demo(args: argparse.Namespace) -> int:
    from crawler.demo import demo_site, demo_settings

    out = Path(args.out)
    if out.exists() and (out / "runs").is_dir():
        import shutil

        shutil.rmtree(out)  # the demo starts afresh each time
    with demo_site() as site:
        seeds = site.seeds()
        print(f"Serving the demo site on {', '.join(site.site.base(o) for o in site.origin_names())}", file=sys.stderr)
        extra = {"LOG_LEVEL": args.log_level}
        extra.update(demo_settings())
        if args.quiet:
            extra["TDMCRAWL_PROGRESS"] = "off"
            extra["LOG_LEVEL"] = "WARNING" if args.log_level == "INFO" else args.log_level
        settings = build_settings(out=out, policy=args.policy, contact="https://tdmcrawl.invalid/demo", overrides=args.set or (), extra=extra)
        code, stats = run_crawl(settings, {"seeds": seeds})
    print_short_summary(out, stats)
    return code


class _StoppedWaiting(Exception):
    pass


@contextlib.contextmanager
def _sigterm_stops_the_wait() -> Any:
    """SIGTERM (a scheduler scaling the cluster down) ends a worker's wait for a
    crawl as it ends a crawl: on request, exit code 0."""

    def stop(signum: int, frame: Any) -> None:
        raise _StoppedWaiting()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_worker(args: argparse.Namespace) -> int:
    from crawler.cluster import wait_for_crawl

    _check_ids(args)
    try:
        with _sigterm_stops_the_wait():
            _server, crawl_id, config = wait_for_crawl(args.redis, args.crawl_id, args.wait, on_wait=lambda line: print(line, file=sys.stderr, flush=True))
    except LookupError as exc:
        raise CliError(str(exc)) from None
    except _StoppedWaiting:
        print("stopped on request while waiting for a crawl; nothing was joined", file=sys.stderr)
        return EXIT_OK
    print(f"joining crawl {crawl_id} on {args.redis}", file=sys.stderr, flush=True)
    extra: dict[str, Any] = {"LOG_LEVEL": args.log_level}
    if args.quiet:
        extra["TDMCRAWL_PROGRESS"] = "off"
        extra["LOG_LEVEL"] = "WARNING" if args.log_level == "INFO" else args.log_level
    if config.get("allow_private_addresses"):
        extra["TDMCRAWL_ALLOW_PRIVATE_ADDRESSES"] = True
    if config.get("documents"):
        extra["TDMCRAWL_DOCUMENTS"] = list(config["documents"])
    out = Path(args.out)
    _cluster_extra(extra, args.redis, crawl_id, args.worker_id, out)
    if config.get("kind") == "audit":
        return run_audit_worker(config, extra, args, out)
    overrides = list(config.get("settings") or []) + list(args.set or [])
    settings = build_settings(
        out=out, policy=config.get("policy") or "strict", contact=config.get("contact"), overrides=overrides, extra=extra,
        settings_module=config.get("settings_module"),
    )
    _with_cluster_components(settings)
    spider_kwargs = {key: config.get(key) for key in ("seeds", "allowed_domains", "max_pages", "max_depth")}
    code, stats = run_crawl(settings, spider_kwargs)
    if not args.quiet:
        print_short_summary(out, stats)
    return code


# ------------------------------------------------------------------ audit
AUDIT_SETTINGS = "settings.audit"


def audit_settings_extra(config: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {"TDMCRAWL_AUDIT_HEADERS": bool(config.get("with_headers"))}
    if config.get("allow_private_addresses"):
        extra["TDMCRAWL_ALLOW_PRIVATE_ADDRESSES"] = True
    if config.get("registry_files"):
        extra["TDMCRAWL_REGISTRY_FILES"] = config["registry_files"]
    return extra


def cmd_audit(args: argparse.Namespace) -> int:
    from crawler.context import new_crawl_id, user_agent
    from pipelines.dataset.audit_input import AuditInput, InputError
    from pipelines.dataset.audit_report import audit_short_summary, is_audit, write_config, write_report

    _check_ids(args)
    out = Path(args.out)
    if is_audit(out) or (out / "data" / "decisions").is_dir():
        raise CliError(f"{out} already holds an audit or a crawl; use a new --out")
    try:
        audit_input = AuditInput.open(list(args.inputs), url_column=args.url_column, id_column=args.id_column, text_column=args.text_column)
    except InputError as exc:
        raise CliError(str(exc)) from None
    registry_files = []
    for name in args.registry_file or ():
        if not Path(name).is_file():
            raise CliError(f"cannot read registry file {name}: no such file")
        registry_files.append(str(Path(name).resolve()))
    crawl_id = args.crawl_id or new_crawl_id().replace("tdmcrawl-", "audit-", 1)
    config = {
        "kind": "audit",
        "inputs": [str(Path(value).resolve()) for value in args.inputs],
        "columns": {"url": audit_input.url_column, "id": audit_input.id_column, "text": audit_input.text_column},
        "policy": args.policy,
        "contact": args.contact,
        "with_headers": args.with_headers,
        "allow_private_addresses": args.allow_private_addresses,
        "registry_files": registry_files,
        "settings": list(args.set or []),
        "settings_module": args.settings,
        "write_filtered": str(Path(args.write_filtered).resolve()) if args.write_filtered else None,
        "audit_id": crawl_id,
        "user_agent": user_agent(args.contact),
    }
    extra: dict[str, Any] = {"LOG_LEVEL": args.log_level, "TDMCRAWL_CRAWL_ID": crawl_id, "TDMCRAWL_JOB_DIR": str(out / ".job")}
    extra.update(audit_settings_extra(config))
    if args.quiet:
        extra["TDMCRAWL_PROGRESS"] = "off"
        extra["LOG_LEVEL"] = "WARNING" if args.log_level == "INFO" else args.log_level
    if args.redis:
        from crawler.cluster import store_config

        server = _redis(args.redis)
        store_config(server, crawl_id, config)
        _cluster_extra(extra, args.redis, crawl_id, args.worker_id, out)
        print(f"audit {crawl_id} on {args.redis}; add workers with: tdmcrawl worker --redis {args.redis} --crawl-id {crawl_id} --out DIR", file=sys.stderr)
    write_config(out, config)
    settings = build_settings(out=out, policy=args.policy, contact=args.contact, overrides=args.set or (), extra=extra, settings_module=args.settings, base_modules=(AUDIT_SETTINGS,))
    if args.redis:
        _with_cluster_components(settings)
    spider_kwargs = {"inputs": list(args.inputs), "url_column": audit_input.url_column, "id_column": audit_input.id_column, "text_column": audit_input.text_column}
    code, _stats = run_crawl(settings, spider_kwargs, spider="audit")
    summary = write_report(out, audit_input=audit_input, write_filtered=Path(args.write_filtered) if args.write_filtered else None)
    if not args.quiet:
        print(audit_short_summary(out, summary))
    return code


def run_audit_worker(config: dict[str, Any], settings_extra: dict[str, Any], args: argparse.Namespace, out: Path) -> int:
    """``tdmcrawl worker`` joining an audit: the audit's settings, no input of its own."""
    settings_extra.update(audit_settings_extra(config))
    overrides = list(config.get("settings") or []) + list(args.set or [])
    settings = build_settings(
        out=out, policy=config.get("policy") or "strict", contact=config.get("contact"), overrides=overrides, extra=settings_extra,
        settings_module=config.get("settings_module"), base_modules=(AUDIT_SETTINGS,),
    )
    _with_cluster_components(settings)
    code, stats = run_crawl(settings, {}, spider="audit")
    if not args.quiet:
        print(f"worker done: {stats.get('tdmcrawl/decisions/allowed', 0)} allowed, {stats.get('tdmcrawl/decisions/excluded', 0)} excluded; "
              f"run `tdmcrawl summary {out}` once every worker has ended")
    return code


def add_audit_command(commands: Any, common: Any) -> None:
    audit = commands.add_parser(
        "audit", help="consent audit of an existing dataset: which of its URLs a crawl would be allowed to use",
        description="Decide every URL of INPUT (a text file of URLs, Parquet files with a URL column, or a local Hugging Face dataset folder) "
        "as a crawl would at request time, fetching only policy files (robots.txt, tdmrep.json, ai.txt, RSL) and never a page.",
    )
    audit.add_argument("inputs", nargs="+", metavar="INPUT", help="text file (one URL per line), Parquet file or folder, or a saved Hugging Face dataset folder")
    audit.add_argument("--out", required=True, metavar="DIR", help="output folder (decisions, policy files, summary, card)")
    audit.add_argument("--url-column", default="url", metavar="NAME", help="column holding the URL (default url)")
    audit.add_argument("--id-column", metavar="NAME", help="column identifying a row (default: id, doc_id, … when present)")
    audit.add_argument("--text-column", metavar="NAME", help="column holding the text, for the share of characters excluded (default: text, content, … when present)")
    audit.add_argument("--with-headers", action="store_true", help="also ask each URL for its response headers only (X-Robots-Tag, tdm-reservation, Content-Usage, Link licences)")
    audit.add_argument("--write-filtered", metavar="FILE", help="write the input rows still allowed to FILE (Parquet, the input's schema)")
    audit.add_argument("--contact", metavar="URL_OR_EMAIL", help="how site owners reach you; goes into the User-Agent")
    audit.add_argument("--registry-file", action="append", metavar="FILE", help="a local opt-out registry file; repeatable")
    audit.add_argument("--allow-private-addresses", action="store_true", help="allow any private, loopback or link-local address (input URLs allow their own, as seeds do in a crawl)")
    audit.add_argument("--crawl-id", metavar="ID", help="name of this audit (default audit-<time>-<random>)")
    audit.add_argument("--redis", metavar="URL", help="distributed audit on scrapy-redis; add workers with `tdmcrawl worker`")
    audit.add_argument("--worker-id", metavar="ID", help="name of this process in a distributed audit")
    audit.add_argument("--settings", metavar="MODULE", help="an extra settings module to apply (e.g. settings.benchmark)")
    common(audit)
    audit.set_defaults(func=cmd_audit)


def print_short_summary(out: Path, stats: dict[str, Any]) -> None:
    summary_path = out / "summary.json"
    lines = [f"Output in {out.resolve()}"]
    if summary_path.exists():
        summary = json.loads(summary_path.read_text("utf-8"))
        counts = summary.get("counts", {})
        lines.append(
            f"  considered {counts.get('urls_considered', 0)}, stored {counts.get('documents_stored', 0)}, "
            f"excluded {counts.get('urls_excluded', 0)}, failed {counts.get('urls_failed', 0)}"
        )
        for family, count in (summary.get("exclusions", {}).get("by_family") or {}).items():
            lines.append(f"    excluded {family}: {count}")
        licences = summary.get("licences", {}).get("by_license") or {}
        if licences:
            lines.append("  licences: " + ", ".join(f"{k} {v}" for k, v in licences.items()))
        lines.append(f"  summary: {out / 'summary.md'}  dataset card: {out / 'README.md'}")
    else:
        stored = stats.get("tdmcrawl/decisions/stored", 0)
        excluded = stats.get("tdmcrawl/decisions/excluded", 0)
        failed = stats.get("tdmcrawl/decisions/failed", 0)
        lines.append(f"  stored {stored}, excluded {excluded}, failed {failed}")
    print("\n".join(lines))


# ------------------------------------------------------------------ parser
class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise CliError(message)


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tdmcrawl",
        description="A compliant research web crawler: honours robots.txt (RFC 9309) and text-and-data-mining / "
        "AI-training reservations, records provenance and licences, and writes WARC, Parquet and a Hub-ready dataset.",
    )
    parser.add_argument("--version", action="version", version=f"tdmcrawl {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--policy", default="strict", metavar="NAME",
            help="policy profile: which reservations exclude a document (strict, research-exception, or a module in settings/profiles/; default strict)")
        p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="set any Scrapy or TDMCRAWL_ setting (repeatable)")
        p.add_argument("--quiet", action="store_true", help="no progress display and only warnings in the log")
        p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="log level (default INFO)")

    crawl = commands.add_parser("crawl", help="crawl from seed URLs into an output folder", description="Crawl from seed URLs; write WARC, Parquet, decisions and a dataset card into --out.")
    crawl.add_argument("seeds", nargs="*", metavar="SEED_URL", help="where to start (http or https)")
    crawl.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    crawl.add_argument("--seeds-file", metavar="FILE", help="more seeds, one URL per line (# comments allowed)")
    crawl.add_argument("--max-pages", type=positive_int, metavar="N", help="consider at most N page URLs (seeds included)")
    crawl.add_argument("--max-depth", type=non_negative_int, metavar="N", help="follow links at most N hops from a seed")
    crawl.add_argument("--max-pages-per-origin", type=non_negative_int, metavar="N", help="consider at most N URLs of one origin (spider-trap guard; default 50000, 0 = no cap)")
    crawl.add_argument(
        "--documents", metavar="TYPES",
        help="also collect these document types, comma-separated: pdf, epub (default: HTML only); fetched whole up to TDMCRAWL_DOCUMENT_MAX_SIZE (100 MiB), rights read from inside the file",
    )
    crawl.add_argument("--allowed-domains", nargs="+", metavar="DOMAIN", help="domains to stay within (default: the seeds' registered domains)")
    crawl.add_argument("--contact", metavar="URL_OR_EMAIL", help="how site owners reach you; goes into the User-Agent: tdmcrawl/VERSION (+CONTACT)")
    crawl.add_argument("--registry-file", action="append", metavar="FILE", help="a local opt-out registry file (domains, URL prefixes, URLs, globs; format in crawler/rights/registry.py); repeatable")
    crawl.add_argument("--allow-private-addresses", action="store_true", help="allow hosts that resolve to private, loopback or link-local addresses")
    crawl.add_argument("--crawl-id", metavar="ID", help="name of this crawl (default: generated from the time)")
    crawl.add_argument("--job", metavar="DIR", help="job directory (lock, frontier journal, Scrapy JOBDIR); default DIR/.job. Re-running the same command resumes an interrupted crawl")
    crawl.add_argument("--previous", metavar="DIR",
        help="an earlier output of this crawl: revisit its pages with conditional requests (304 = unchanged, no body downloaded) and record pages whose rights now exclude them as withdrawn")
    crawl.add_argument("--append", action="store_true", help="add a new crawl to an output folder that already holds a finished one")
    crawl.add_argument("--redis", metavar="URL", help="run distributed on scrapy-redis: redis://HOST:PORT/DB holds the shared frontier; add workers with `tdmcrawl worker`")
    crawl.add_argument("--worker-id", metavar="ID", help="name of this worker in a distributed crawl (default HOST-PID); it is part of every output file name")
    crawl.add_argument("--settings", metavar="MODULE", help="an extra settings module to apply (e.g. settings.benchmark)")
    common(crawl)
    crawl.set_defaults(func=cmd_crawl)

    demo = commands.add_parser("demo", help="serve the bundled demo site on 127.0.0.1 and crawl it",
        description="Serve the bundled multi-origin demo site on 127.0.0.1 (free ports) and crawl it; works offline.")
    demo.add_argument("--out", default="output/demo", metavar="DIR", help="output folder (default output/demo)")
    common(demo)
    demo.set_defaults(func=cmd_demo)

    worker = commands.add_parser("worker", help="join a distributed crawl started with `tdmcrawl crawl --redis`",
        description="Join a distributed crawl: take requests from the shared Redis frontier and write this worker's own WARC and Parquet shards into --out.")
    worker.add_argument("--redis", required=True, metavar="URL", help="redis://HOST:PORT/DB of the crawl")
    worker.add_argument("--crawl-id", metavar="ID", help="the crawl to join (default: the latest started on this Redis)")
    worker.add_argument("--out", required=True, metavar="DIR", help="output folder (may be shared with other workers on the same machine)")
    worker.add_argument("--worker-id", metavar="ID", help="name of this worker (default HOST-PID)")
    worker.add_argument(
        "--wait", type=non_negative_float, default=WORKER_WAIT_SECONDS, metavar="SECONDS",
        help=f"wait this long for the crawl to be started and Redis to answer (default {WORKER_WAIT_SECONDS:g}; 0 = do not wait); exit code 2 when none was started by then",
    )
    worker.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="set any Scrapy or TDMCRAWL_ setting (repeatable)")
    worker.add_argument("--quiet", action="store_true", help="no progress display and only warnings in the log")
    worker.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="log level (default INFO)")
    worker.set_defaults(func=cmd_worker)

    add_audit_command(commands, common)
    add_dataset_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return EXIT_USAGE
        return int(args.func(args))
    except CliError as exc:
        print(f"tdmcrawl: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("tdmcrawl: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
