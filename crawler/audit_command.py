"""``tdmcrawl audit``: a consent audit of an existing dataset.

Runs the ``audit`` spider with ``settings/audit.py`` over the project settings
and the policy profile, then writes the report (``pipelines.dataset.audit_report``):
summary, dataset card and, with ``--write-filtered``, the input rows still
allowed. With ``--redis`` the audit is distributed: this process reads the
input into the shared queue and decides like any worker; ``tdmcrawl worker``
joins it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from crawler.errors import CliError

AUDIT_SETTINGS = "settings.audit"


def audit_settings_extra(config: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {"TDMCRAWL_AUDIT_HEADERS": bool(config.get("with_headers"))}
    if config.get("allow_private_addresses"):
        extra["TDMCRAWL_ALLOW_PRIVATE_ADDRESSES"] = True
    if config.get("registry_files"):
        extra["TDMCRAWL_REGISTRY_FILES"] = config["registry_files"]
    return extra


def cmd_audit(args: argparse.Namespace) -> int:
    from crawler import cli
    from crawler.context import new_crawl_id, user_agent
    from pipelines.dataset.audit_input import AuditInput, InputError
    from pipelines.dataset.audit_report import is_audit, write_config, write_report

    cli._check_ids(args)
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

        server = cli._redis(args.redis)
        store_config(server, crawl_id, config)
        cli._cluster_extra(extra, args.redis, crawl_id, args.worker_id, out)
        print(f"audit {crawl_id} on {args.redis}; add workers with: tdmcrawl worker --redis {args.redis} --crawl-id {crawl_id} --out DIR", file=sys.stderr)
    write_config(out, config)
    settings = cli.build_settings(out=out, policy=args.policy, contact=args.contact, overrides=args.set or (), extra=extra, settings_module=args.settings, base_modules=(AUDIT_SETTINGS,))
    if args.redis:
        cli._with_cluster_components(settings)
    spider_kwargs = {"inputs": list(args.inputs), "url_column": audit_input.url_column, "id_column": audit_input.id_column, "text_column": audit_input.text_column}
    code, _stats = cli.run_crawl(settings, spider_kwargs, spider="audit")
    summary = write_report(out, audit_input=audit_input, write_filtered=Path(args.write_filtered) if args.write_filtered else None)
    if not args.quiet:
        print(short_summary(out, summary))
    return code


def run_audit_worker(config: dict[str, Any], settings_extra: dict[str, Any], args: argparse.Namespace, out: Path) -> int:
    """``tdmcrawl worker`` joining an audit: the audit's settings, no input of its own."""
    from crawler import cli

    settings_extra.update(audit_settings_extra(config))
    overrides = list(config.get("settings") or []) + list(args.set or [])
    settings = cli.build_settings(
        out=out, policy=config.get("policy") or "strict", contact=config.get("contact"), overrides=overrides, extra=settings_extra,
        settings_module=config.get("settings_module"), base_modules=(AUDIT_SETTINGS,),
    )
    cli._with_cluster_components(settings)
    code, stats = cli.run_crawl(settings, {}, spider="audit")
    if not args.quiet:
        print(f"worker done: {stats.get('tdmcrawl/decisions/allowed', 0)} allowed, {stats.get('tdmcrawl/decisions/excluded', 0)} excluded; "
              f"run `tdmcrawl summary {out}` once every worker has ended")
    return code


def short_summary(out: Path, summary: dict[str, Any]) -> str:
    counts = summary["counts"]
    lines = [
        f"Audit output in {out.resolve()}",
        f"  {counts['urls_audited']} URLs over {counts['origins_audited']} origins: allowed {counts['urls_allowed']}, excluded {counts['urls_excluded']} ({counts['share_excluded'] * 100:.1f}%)",
    ]
    for family, value in summary["excluded_by_family"].items():
        lines.append(f"    excluded {family}: {value['urls']}")
    if summary.get("text"):
        text = summary["text"]
        lines.append(f"  text excluded: {text['share_documents_excluded'] * 100:.1f}% of documents, {text['share_characters_excluded'] * 100:.1f}% of characters")
    if summary.get("filtered_output"):
        lines.append(f"  filtered input: {summary['filtered_output']['path']} ({summary['filtered_output']['rows']} rows)")
    lines.append(f"  summary: {out / 'summary.md'}  dataset card: {out / 'README.md'}")
    return "\n".join(lines)


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
    audit.add_argument("--allow-private-addresses", action="store_true", help="audit hosts on private, loopback or link-local addresses")
    audit.add_argument("--crawl-id", metavar="ID", help="name of this audit (default audit-<time>-<random>)")
    audit.add_argument("--redis", metavar="URL", help="distributed audit on scrapy-redis; add workers with `tdmcrawl worker`")
    audit.add_argument("--worker-id", metavar="ID", help="name of this process in a distributed audit")
    audit.add_argument("--settings", metavar="MODULE", help="an extra settings module to apply (e.g. settings.benchmark)")
    common(audit)
    audit.set_defaults(func=cmd_audit)
