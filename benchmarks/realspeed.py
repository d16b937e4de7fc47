"""Throughput on real pages: one command, three tables, loopback only.

    python -m benchmarks.realspeed [FOLDER] [--copies 10] [--origins 12]

FOLDER holds the Scrapinghub article-extraction benchmark's pages (default
``../shared/realpages``; never copied into this repository). Each page is
served under ``--copies`` distinct URLs over ``--origins`` origins on
127.0.0.1 behind an index page, politeness lifted (``settings.benchmark``),
every crawler limited to the index and the pages it links to (depth 1: the
articles' own links lead off the copies), and the same run
measures:

1. the crawlers side by side: plain Scrapy ``CrawlSpider``, trafilatura alone
   (a pool of all cores, same pages), tdmcrawl with extraction deferred,
   tdmcrawl full with each extractor; pages/s, CPU, CPU ms per page, peak
   memory of the process tree;
2. each extractor's quality on the pages' ground truth (the benchmark's own
   metric, :mod:`benchmarks.realpages`) beside its CPU per page on one core;
3. where the CPU of a full crawl goes, per page: each stage of the worker's
   job (profiled in this process over the same pages) and the crawl process
   itself (Scrapy, downloads, the rights decision, IPC, writers).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.realpages import DEFAULT_FOLDER, PageServer, RealPage, load_pages, overall, shingle_scores
from benchmarks.run import Measure, measure_plain, measure_tdmcrawl, measure_trafilatura_over

EXTRACTOR_OPTIONS = {
    "trafilatura": {"extractor": "trafilatura"},
    "trafilatura fast": {"extractor": "trafilatura", "fast": True},
    "resiliparse": {"extractor": "resiliparse"},
}

# Stage -> the functions whose cumulative time is that stage (module file, function name).
STAGES = (
    ("decoding (charset, unicode)", "crawler/page.py", "decode"),
    ("HTML parse (lxml, repairs)", "crawler/htmltree.py", "parse_html"),
    ("links", "crawler/page.py", "read_links"),
    ("meta signals", "crawler/page.py", "read_metas"),
    ("licence detection", "crawler/rights/licence.py", "detect_licences"),
    ("comment removal", "crawler/htmltree.py", "strip_comments"),
    ("text extraction", "crawler/page.py", "extract_text"),
    ("language", "crawler/page.py", "identify_language"),
    ("WARC + WET records, gzip", "pipelines/formats/warc.py", "build_document_records"),
)


def copies_of(pages: list[RealPage], copies: int) -> list[RealPage]:
    return [RealPage(f"{page.id}-{n}", page.body, page.truth, page.original_url) for n in range(copies) for page in pages]


def extractor_quality(pages: list[RealPage]) -> list[tuple[str, float, float, float, float]]:
    """(name, precision, recall, F1, CPU ms per page on one core) of each extractor."""
    rows = []
    for name, options in EXTRACTOR_OPTIONS.items():
        started = time.process_time()
        from crawler.page import ExtractOptions, extract_text, parse_html

        scores = []
        for page in pages:
            text = page.body.decode("utf-8", errors="replace")
            extracted = extract_text(parse_html(text).tree, "http://127.0.0.1/article", ExtractOptions(**options), html=text)
            scores.append(shingle_scores(page.truth, extracted))
        cpu_ms = 1000 * (time.process_time() - started) / len(pages)
        total = overall(scores)
        rows.append((name, total.precision, total.recall, total.f1, cpu_ms))
    return rows


def stage_breakdown(pages: list[RealPage]) -> tuple[list[tuple[str, float]], float]:
    """CPU ms per page of each stage of the worker's job (process_page with WARC
    records), timed by wrapping each stage's function wherever it is bound (one
    clock read per call, not a profiler's per-call overhead)."""
    import importlib

    from crawler.model.capture import Capture
    from pipelines.extraction import PageJob, process_page

    jobs = [
        PageJob(
            Capture(f"http://127.0.0.1/article/{page.id}.html", 200, (("Content-Type", "text/html; charset=utf-8"),), page.body, time.time()),
            None, stored_rights={}, warcinfo_ids=("<urn:uuid:00000000-0000-0000-0000-000000000001>", "<urn:uuid:00000000-0000-0000-0000-000000000002>"),
        )
        for page in pages
    ]
    process_page(jobs[0])  # load models outside the measure
    spent = {label: 0.0 for label, _, _ in STAGES}
    patched: list[tuple[object, str, object]] = []
    for label, file_suffix, name in STAGES:
        module = importlib.import_module(file_suffix.removesuffix(".py").replace("/", "."))
        original = getattr(module, name)

        def timed(*args, __original=original, __label=label, **kwargs):
            started = time.process_time()
            try:
                return __original(*args, **kwargs)
            finally:
                spent[__label] += time.process_time() - started

        for loaded in list(sys.modules.values()):
            if getattr(loaded, name, None) is original:
                patched.append((loaded, name, original))
                setattr(loaded, name, timed)
    try:
        started = time.process_time()
        for job in jobs:
            process_page(job)
        total = time.process_time() - started
    finally:
        for module, name, original in patched:
            setattr(module, name, original)
    rows = [(label, 1000 * spent[label] / len(jobs)) for label, _, _ in STAGES]
    rows.append(("rows, metadata, the rest", 1000 * max(0.0, total - sum(spent.values())) / len(jobs)))
    return rows, 1000 * total / len(jobs)


def _full(extractor: str):  # noqa: ANN202
    def measure(seeds: list[str], work: Path, served: list[RealPage]) -> Measure:
        measured = measure_tdmcrawl(seeds, work, extract=True, extra=("--max-depth", "1", "-s", f"TDMCRAWL_EXTRACTOR={extractor}"))
        measured.name = f"tdmcrawl full, {extractor}"
        return measured

    return measure


# name -> how it is measured over the served copies (seeds, a work folder, the pages)
CRAWLERS = {
    "plain": lambda seeds, work, served: measure_plain(seeds, work, extra=("--depth-limit", "1")),
    "alone": lambda seeds, work, served: measure_trafilatura_over([page.body for page in served]),
    "deferred": lambda seeds, work, served: measure_tdmcrawl(seeds, work, extract=False, extra=("--max-depth", "1")),
    "full": _full("trafilatura"),
    "full-resiliparse": _full("resiliparse"),
}


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(str(h).ljust(w) for h, w in zip(header, widths)), "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="tdmcrawl throughput on real pages (loopback only)")
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--copies", type=int, default=10, help="URLs each page is served under")
    parser.add_argument("--origins", type=int, default=12)
    parser.add_argument("--only", nargs="+", choices=CRAWLERS, default=list(CRAWLERS),
                        help="crawlers to run (the extractor and stage tables are printed only with all of them)")
    args = parser.parse_args(argv)
    if not (args.folder / "ground-truth.json.gz").exists():
        print(f"no realpages folder at {args.folder}", file=sys.stderr)
        return 2
    pages = load_pages(args.folder)
    served = copies_of(pages, args.copies)
    work = Path(tempfile.mkdtemp(prefix="tdmcrawl-realspeed-"))
    measures: list[Measure] = []
    try:
        with PageServer(served, args.origins) as server:
            seeds = [base + "/" for base in server.bases]
            print(f"{len(served)} pages ({len(pages)} real pages x {args.copies}) over {len(seeds)} origins", file=sys.stderr)
            for name in args.only:
                measures.append(CRAWLERS[name](seeds, work, served))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    by_name = dict(zip(args.only, measures))
    plain, alone = by_name.get("plain"), by_name.get("alone")
    rows = []
    for m in measures:
        cpu_ms = 1000 * (m.cpu_seconds or m.cpu_percent / 100 * m.seconds) / m.pages if m.pages else 0.0
        ratios = [f"{m.rate / base.rate:.2f}x {label}" for base, label in ((plain, "plain"), (alone, "trafilatura alone")) if base is not None and m not in (plain, alone)]
        rows.append((m.name, str(m.pages), f"{m.rate:.1f}", ", ".join(ratios), f"{m.cpu_percent:.0f}%", f"{cpu_ms:.1f}", f"{m.peak_mib:.0f}"))
    print(table(("crawler", "pages", "pages/s", "ratio", "CPU", "CPU ms/page", "peak MiB"), rows))
    print()
    if args.only != list(CRAWLERS):
        return 0
    quality = extractor_quality(pages)
    print(table(("extractor", "precision", "recall", "F1", "CPU ms/page (1 core)"), [(n, f"{p:.3f}", f"{r:.3f}", f"{f:.3f}", f"{c:.1f}") for n, p, r, f, c in quality]))
    print()
    stages, total = stage_breakdown(pages)
    print(table(("stage of a worker's job (trafilatura)", "CPU ms/page"), [(label, f"{ms:.1f}") for label, ms in stages] + [("total", f"{total:.1f}")]))
    print(f"\n{os.cpu_count()} cores; pages/s from spider open to close (the crawlers) or pool start to end (trafilatura alone); "
          f"CPU of the whole process tree; benchmark server excluded")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
