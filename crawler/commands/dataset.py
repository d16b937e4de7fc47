"""The commands on an output folder: ``summary``, ``push``, ``extract``,
``wacz``, ``lookup`` and ``remove``. Each defers the import of its tool (pyarrow,
trafilatura, huggingface_hub) to when it runs, so ``tdmcrawl --help`` stays fast."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from crawler.commands.common import EXIT_OK, non_negative_int, output_dir, positive_int
from crawler.errors import CliError
from pipelines.dataset.query import DEFAULT_LIMIT


def cmd_summary(args: argparse.Namespace) -> int:
    from pipelines.dataset.recovery import recover_abandoned
    from pipelines.dataset.remove import RemoveError, resume_interrupted_removal
    from pipelines.dataset.audit_report import audit_short_summary, is_audit, write_report
    from pipelines.dataset.summary import write_summary

    out = output_dir(args.dir)
    if is_audit(out):  # a consent audit: its own summary, card and filtered input
        print(audit_short_summary(out, write_report(out)))
        return EXIT_OK
    try:
        resumed = resume_interrupted_removal(out)
    except RemoveError as exc:
        raise CliError(str(exc)) from None
    if resumed:
        print(resumed, file=sys.stderr)
    for repaired in recover_abandoned(out):
        print(f"repaired the files of an interrupted worker: {repaired}", file=sys.stderr)
    summary = write_summary(out)
    counts = summary["counts"]
    print(
        f"{out / 'summary.json'}: {counts['urls_considered']} URLs considered, {counts['documents_stored']} stored, "
        f"{counts['urls_excluded']} excluded, {counts['urls_failed']} failed, over {len(summary['crawl_ids'])} crawl(s)"
    )
    return EXIT_OK


def cmd_push(args: argparse.Namespace) -> int:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    from pipelines.dataset.push import plan_push, push, remote_files
    from pipelines.dataset.version import folder_version

    out = output_dir(args.dir)
    if not (out / "README.md").exists():
        raise CliError(f"{out} has no dataset card (README.md); run `tdmcrawl summary {out}` first")
    api = HfApi()
    version = folder_version(out)
    try:
        plan = plan_push(out, remote_files(api, args.repo_id), args.exclude or ())
        if args.dry_run:
            print(f"would upload {len(plan.uploads)} files ({plan.upload_bytes / 1e6:.1f} MB) to dataset {args.repo_id}{' (private)' if args.private else ''}, {version}:")
            for relative, size in plan.uploads:
                print(f"  {relative}  {size}")
            if not plan.remote_known:
                print(f"would delete: unknown, the Hub cannot be asked (offline); every file of {args.repo_id} that {out} does not have would be deleted")
            else:
                print(f"would delete {len(plan.deletions)} files from dataset {args.repo_id} (not in {out}: replaced or removed):")
                for relative in plan.deletions:
                    print(f"  - {relative}")
            return EXIT_OK
        if not plan.remote_known:
            raise CliError("the Hub cannot be asked (offline mode); nothing was pushed")
        commit = push(out, args.repo_id, plan, private=args.private, version=version, api=api)
    except (HfHubHTTPError, OSError) as exc:
        raise CliError(f"push to {args.repo_id} failed: {exc}") from None
    print(
        f"pushed {version} to https://huggingface.co/datasets/{args.repo_id}: {len(plan.uploads)} files "
        f"({plan.upload_bytes / 1e6:.1f} MB), {len(plan.deletions)} deleted, commit {getattr(commit, 'oid', '?')}"
    )
    return EXIT_OK


def cmd_wacz(args: argparse.Namespace) -> int:
    from pipelines.dataset.wacz import write_wacz

    out = output_dir(args.dir)
    target = Path(args.output) if args.output else out.resolve().parent / f"{out.resolve().name}.wacz"
    try:
        counts = write_wacz(out, target)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    print(f"{target}: {counts['warc_files']} WARC files, {counts['index_lines']} index lines, {counts['pages']} pages")
    return EXIT_OK


def cmd_extract(args: argparse.Namespace) -> int:
    from crawler.page import EXTRACTORS, ExtractOptions
    from pipelines.dataset.reextract import extract_directory
    from pipelines.dataset.summary import write_summary

    out = output_dir(args.dir)
    options = None
    if args.extractor and args.extractor not in EXTRACTORS:
        raise CliError(f"--extractor must be one of {', '.join(EXTRACTORS)}")
    if args.fast or args.favor_precision or args.favor_recall or args.no_tables or args.extractor:
        options = ExtractOptions(
            extractor=args.extractor or "trafilatura", fast=args.fast, favor_precision=args.favor_precision,
            favor_recall=args.favor_recall, include_tables=not args.no_tables,
        )
    counts = extract_directory(out, options=options, workers=args.workers)
    write_summary(out)
    print(f"re-extracted {counts['rows']} documents from {counts['captures']} captures in {out / 'warc'}")
    return EXIT_OK


def cmd_lookup(args: argparse.Namespace) -> int:
    from pipelines.dataset.lookup import LookupInputError, lookup, render_html, render_json, render_text

    try:
        result = lookup(args.dir, args.query, limit=args.limit)
    except LookupInputError as exc:
        raise CliError(str(exc)) from None
    if args.html:
        try:
            Path(args.html).write_text(render_html(result), encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {args.html}: {exc.strerror or exc}") from None
    sys.stdout.write(render_json(result) if args.json else render_text(result))
    if args.html:
        print(f"report written to {args.html}", file=sys.stderr)
    return EXIT_OK


def add_lookup_command(subparsers: Any) -> None:
    """Register ``lookup DIR QUERY [--json] [--html FILE] [--limit N]``."""
    parser = subparsers.add_parser(
        "lookup",
        help="is a URL, URL prefix or domain in this crawl? (stored, excluded and why)",
        description="Answer a rights holder from the tables of DIR: which pages matching QUERY were stored, which were "
        "excluded and why, which failed. QUERY is a URL (exact), a URL ending in / or * (prefix), or a domain "
        "(with its subdomains).",
    )
    parser.add_argument("dir", metavar="DIR", help="a tdmcrawl output folder")
    parser.add_argument("query", metavar="QUERY", help="https://example.org/page, https://example.org/blog/, or example.org")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the text report")
    parser.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report to FILE")
    parser.add_argument("--limit", type=positive_int, default=DEFAULT_LIMIT, metavar="N", help=f"at most N rows per list (default {DEFAULT_LIMIT})")
    parser.set_defaults(func=cmd_lookup)


def cmd_remove(args: argparse.Namespace) -> int:
    from pipelines.dataset.remove import RemoveError, read_url_list, remove

    try:
        urls = read_url_list(args.urls) if args.urls is not None else None
        report = remove(args.dir, domain=args.domain, url_prefix=args.url_prefix, urls=urls, reason=args.reason, dry_run=args.dry_run)
    except RemoveError as exc:
        raise CliError(str(exc)) from None
    sys.stdout.write(report.describe())
    return EXIT_OK


def add_remove_command(subparsers: Any) -> None:
    """Register ``remove DIR (--domain D | --url-prefix P | --urls FILE) --reason TEXT [--dry-run]``."""
    parser = subparsers.add_parser(
        "remove",
        help="remove pages from an output folder on request (documents, WET text and WARC captures)",
        description="Write a new version of the dataset in DIR without the pages that match: their documents rows, "
        "their WET text and their WARC captures; WARC and WET files are rewritten so every remaining pointer still "
        "resolves. Decisions are kept as the audit trail; the removal is recorded in data/removals and the summary "
        "and dataset card are rebuilt (they do not name the removed URLs). Safe to interrupt: the old version stays "
        "intact until the new one is complete, and the next remove or summary finishes or rolls back.",
    )
    parser.add_argument("dir", metavar="DIR", help="a tdmcrawl output folder")
    selector = parser.add_mutually_exclusive_group(required=True)
    selector.add_argument("--domain", metavar="D", help="a host and all its subdomains, e.g. example.org")
    selector.add_argument("--url-prefix", metavar="P", help="every URL starting with P, e.g. https://example.org/blog/")
    selector.add_argument("--urls", metavar="FILE", help="a file of URLs, one per line (# comments allowed)")
    parser.add_argument("--reason", required=True, metavar="TEXT", help="why (recorded in the removals table and shown in the dataset card; do not put the URLs here)")
    parser.add_argument("--dry-run", action="store_true", help="count the documents, records and files that would change, and change nothing")
    parser.set_defaults(func=cmd_remove)


def add_dataset_commands(commands: Any) -> None:
    """Register ``summary``, ``push``, ``extract``, ``wacz``, ``lookup`` and ``remove``."""
    summary = commands.add_parser("summary", help="rebuild summary.json, summary.md, charts and the dataset card from an output folder",
        description="Rebuild the crawl summary and dataset card from the tables of DIR (also for folders holding several crawls or workers).")
    summary.add_argument("dir", metavar="DIR")
    summary.set_defaults(func=cmd_summary)

    push = commands.add_parser("push", help="upload an output folder to the Hugging Face Hub as a dataset",
        description="Upload DIR to the Hub dataset REPO_ID with huggingface_hub (token from HF_TOKEN or `hf auth login`). Nothing is uploaded without this command.")
    push.add_argument("dir", metavar="DIR")
    push.add_argument("repo_id", metavar="REPO_ID", help="e.g. my-org/my-crawl")
    push.add_argument("--private", action="store_true", help="create the dataset repository as private")
    push.add_argument("--dry-run", action="store_true", help="list what would be uploaded and deleted, and stop")
    push.add_argument("--exclude", action="append", metavar="PATTERN", help="leave out files matching PATTERN (e.g. 'warc/*'); repeatable")
    push.set_defaults(func=cmd_push)

    extract = commands.add_parser("extract", help="rebuild the documents table and WET files from the WARC files, without re-crawling",
        description="Re-extract text (and licences, languages) from the WARC captures of DIR with every core; the old documents table is replaced once the new one is complete.")
    extract.add_argument("dir", metavar="DIR")
    extract.add_argument("--extractor", help="main-text extractor: trafilatura or resiliparse (default: the one the crawl used)")
    extract.add_argument("--fast", action="store_true", help="trafilatura's fast mode")
    extract.add_argument("--favor-precision", action="store_true", help="prefer less text but less boilerplate")
    extract.add_argument("--favor-recall", action="store_true", help="prefer more text")
    extract.add_argument("--no-tables", action="store_true", help="leave tables out of the text")
    extract.add_argument("--workers", type=non_negative_int, metavar="N", help="worker processes (default: one per core)")
    extract.set_defaults(func=cmd_extract)

    wacz = commands.add_parser(
        "wacz", help="package the WARC files, their CDXJ index and a pages list into a WACZ for replay tools",
        description="Write DIR's web archive as one WACZ file (WARC files, CDXJ index, pages list, datapackage.json) that pywb and ReplayWeb.page open.",
    )
    wacz.add_argument("dir", metavar="DIR")
    wacz.add_argument("-o", "--output", metavar="FILE", help="the WACZ file to write (default: DIR.wacz beside DIR)")
    wacz.set_defaults(func=cmd_wacz)

    add_lookup_command(commands)
    add_remove_command(commands)
