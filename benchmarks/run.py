"""The throughput benchmark: one command, one table, loopback only.

    python -m benchmarks.run [--origins 20] [--pages 100] [--runs 3]

Generates a site of ``origins x pages`` realistic pages (30–150 KB each) on
127.0.0.1, served from memory by a static server in its own process, then
measures, in the same run and on the same site:

1. plain Scrapy: a minimal CrawlSpider following every link, ROBOTSTXT_OBEY,
   same concurrency, no output;
2. trafilatura alone over the same pages, in a process pool of all cores;
3. tdmcrawl with text extraction deferred (fetch, rights, WARC, decisions);
4. tdmcrawl full (rights, WARC, extraction, Parquet);
5. with ``--pdfs N`` (N PDF reports per origin, linked from the pages):
   tdmcrawl full with ``--documents pdf`` (PDFs fetched whole, XMP read,
   text extracted in the worker pool);

and prints pages/s (median of ``--runs``), the ratios the issue sets targets
for, peak memory of each process tree, CPU use, and the reactor lag measured
by a 10 ms probe inside the crawling process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ process-tree sampling
def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(c) for c in handle.read().split())
    except OSError:
        pass
    return found


def _tree(pid: int) -> list[int]:
    pids, stack = [], [pid]
    while stack:
        current = stack.pop()
        pids.append(current)
        stack.extend(_children(current))
    return pids


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, IndexError):
        return 0.0


@dataclass
class TreeSampler:
    """Samples the RSS of a process tree (peak) and its CPU time."""

    pid: int
    exclude: frozenset[int] = frozenset()  # processes that are not part of the measure (the site server)
    peak_kib: int = 0
    cpu: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> "TreeSampler":
        threading.Thread(target=self._run, daemon=True).start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = [p for p in _tree(self.pid) if p not in self.exclude]
            self.peak_kib = max(self.peak_kib, sum(_rss_kib(p) for p in pids))
            for p in pids:
                seconds = _cpu_seconds(p)
                if seconds:
                    self.cpu[p] = max(self.cpu.get(p, 0.0), seconds)
            self._stop.wait(0.1)

    def stop(self) -> None:
        self._stop.set()

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu.values())


@dataclass
class Measure:
    name: str
    pages: int
    seconds: float
    peak_mib: float
    cpu_percent: float
    lag_p95_ms: float | None = None
    lag_max_ms: float | None = None
    cpu_seconds: float = 0.0
    documents: int = 0  # rows stored (tdmcrawl runs)
    pdfs: int = 0  # of which PDFs

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def _run_measured(command: list[str], cwd: Path) -> tuple[int, TreeSampler, float]:
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = TreeSampler(process.pid).start()
    _, stderr = process.communicate()
    sampler.stop()
    if process.returncode != 0:
        sys.stderr.write(stderr.decode(errors="replace")[-3000:])
    return process.returncode, sampler, time.monotonic() - started


def _crawl_seconds(stats: dict) -> float:
    # From spider open to close, the same clock for both crawlers (imports and pool start excluded).
    return float(stats.get("elapsed_time_seconds") or 0.0)


def measure_plain(seeds: list[str], work: Path, extra: tuple[str, ...] = ()) -> Measure:
    stats_file = work / "plain-stats.json"
    code, sampler, wall = _run_measured([sys.executable, "-m", "benchmarks.plain", "--stats-file", str(stats_file), *extra, *seeds], REPO)
    stats = json.loads(stats_file.read_text())
    seconds = _crawl_seconds(stats) or wall
    pages = int(stats.get("downloader/response_status_count/200", 0))
    return Measure("plain Scrapy CrawlSpider", pages, seconds, sampler.peak_kib / 1024, 100 * sampler.cpu_seconds / wall, stats.get("bench/reactor_lag_p95_ms"), stats.get("bench/reactor_lag_max_ms"))


def measure_tdmcrawl(seeds: list[str], work: Path, *, extract: bool, documents: str | None = None, extra: tuple[str, ...] = ()) -> Measure:
    out = work / ("documents" if documents else "full" if extract else "deferred")
    if out.exists():
        shutil.rmtree(out)
    command = [
        sys.executable, "-m", "crawler.commands.main", "crawl", *seeds, "--out", str(out), "--quiet",
        "--settings", "settings.benchmark", "-s", f"TDMCRAWL_EXTRACT_TEXT={extract}", "-s", "TDMCRAWL_SUMMARY=False",
        *(("--documents", documents) if documents else ()), *extra,
    ]
    code, sampler, wall = _run_measured(command, REPO)
    run = json.loads(next((out / "runs").glob("*.json")).read_text())
    stats = run["stats"]
    seconds = _crawl_seconds(stats) or wall
    pages = int(stats.get("downloader/response_status_count/200", 0))
    stored, pdfs = _stored_documents(out)
    if documents:
        name = f"tdmcrawl full, --documents {documents}"
    else:
        name = "tdmcrawl full (rights, WARC, extraction, Parquet)" if extract else "tdmcrawl, extraction deferred (rights, WARC, decisions)"
    return Measure(
        name, pages, seconds, sampler.peak_kib / 1024, 100 * sampler.cpu_seconds / wall, stats.get("bench/reactor_lag_p95_ms"), stats.get("bench/reactor_lag_max_ms"),
        sampler.cpu_seconds, stored, pdfs,
    )


def _stored_documents(out: Path) -> tuple[int, int]:
    """(rows, PDF rows) of the documents table."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rows = pdfs = 0
    for path in sorted((out / "data" / "documents").glob("*.parquet")):
        kinds = pq.read_table(path, columns=["content_mime_detected"]).column(0)
        rows += len(kinds)
        pdfs += int(pc.sum(pc.equal(kinds, "application/pdf")).as_py() or 0)
    return rows, pdfs


def _extract_one(html: bytes) -> int:
    import trafilatura

    return len(trafilatura.extract(html, output_format="txt", include_tables=True) or "")


def measure_trafilatura(origins: int, pages: int, seed: int) -> Measure:
    from benchmarks.site import BenchSite, render_page

    site = BenchSite(origins, pages, seed)
    base = {name: f"http://127.0.0.1:{9000 + i}" for i, name in enumerate(site.origin_names())}
    return measure_trafilatura_over([render_page(site, o, p, base) for o in range(origins) for p in range(pages)])


def measure_trafilatura_over(documents: list[bytes]) -> Measure:
    """trafilatura alone over ``documents``, in a process pool of all cores."""
    workers = os.cpu_count() or 1
    started = time.monotonic()
    # the benchmark's own children (the site server) are not trafilatura's work
    sampler = TreeSampler(os.getpid(), exclude=frozenset(_tree(os.getpid())[1:])).start()
    cpu_before = _cpu_seconds(os.getpid())
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_extract_one, documents, chunksize=8))
    seconds = time.monotonic() - started
    sampler.stop()
    cpu = sampler.cpu_seconds - cpu_before
    return Measure(f"trafilatura alone ({workers} processes)", len(documents), seconds, sampler.peak_kib / 1024, 100 * cpu / seconds)


def start_server(origins: int, pages: int, seed: int, work: Path, pdfs: int = 0) -> tuple[subprocess.Popen, dict]:
    ready = work / "ready.json"
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.server", "--origins", str(origins), "--pages", str(pages), "--seed", str(seed), "--pdfs", str(pdfs), "--ready-file", str(ready)],
        cwd=REPO,
    )
    # the server renders every page before it listens: about 3 ms a page
    deadline = time.monotonic() + 60 + 0.01 * origins * pages
    while time.monotonic() < deadline:
        if ready.exists():
            return server, json.loads(ready.read_text())
        if server.poll() is not None:
            raise SystemExit("benchmark server failed to start")
        time.sleep(0.1)
    server.kill()
    raise SystemExit("benchmark server did not become ready")


def median_measure(measures: list[Measure]) -> Measure:
    ordered = sorted(measures, key=lambda m: m.rate)
    middle = ordered[len(ordered) // 2]
    return Measure(
        middle.name,
        middle.pages,
        middle.seconds,
        max(m.peak_mib for m in measures),
        statistics.median(m.cpu_percent for m in measures),
        statistics.median([m.lag_p95_ms for m in measures if m.lag_p95_ms is not None] or [0]) if middle.lag_p95_ms is not None else None,
        max((m.lag_max_ms for m in measures if m.lag_max_ms is not None), default=None) if middle.lag_max_ms is not None else None,
        middle.cpu_seconds,
        middle.documents,
        middle.pdfs,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="tdmcrawl throughput benchmark (loopback only)")
    parser.add_argument("--origins", type=int, default=20)
    parser.add_argument("--pages", type=int, default=100, help="pages per origin")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pdfs", type=int, default=0, help="PDF reports per origin, linked from the pages; adds run (5), tdmcrawl --documents pdf")
    parser.add_argument("--json", metavar="FILE", help="also write the raw measures as JSON")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tdmcrawl-bench-"))
    server, info = start_server(args.origins, args.pages, args.seed, work, args.pdfs)
    print(f"site: {info['pages']} pages and {info.get('pdfs', 0)} PDFs over {len(info['origins'])} origins, {info['bytes'] / 1e6:.0f} MB, built in {info['build_seconds']}s", file=sys.stderr)
    seeds = [base + "/" for base in info["origins"].values()]
    runs: dict[str, list[Measure]] = {"plain": [], "trafilatura": [], "deferred": [], "full": []}
    if args.pdfs:
        runs["documents"] = []
    try:
        for run in range(args.runs):
            print(f"run {run + 1}/{args.runs}", file=sys.stderr)
            runs["plain"].append(measure_plain(seeds, work))
            runs["trafilatura"].append(measure_trafilatura(args.origins, args.pages, args.seed))
            runs["deferred"].append(measure_tdmcrawl(seeds, work, extract=False))
            runs["full"].append(measure_tdmcrawl(seeds, work, extract=True))
            if args.pdfs:
                runs["documents"].append(measure_tdmcrawl(seeds, work, extract=True, documents="pdf"))
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)
    medians = {key: median_measure(values) for key, values in runs.items()}
    plain, trafilatura = medians["plain"], medians["trafilatura"]
    rows = []
    for key, label in (("plain", "(1)"), ("trafilatura", "(2)"), ("deferred", "(3)"), ("full", "(4)"), ("documents", "(5)")):
        if key not in medians:
            continue
        m = medians[key]
        ratio = ""
        if key == "deferred":
            ratio = f"{m.rate / plain.rate:.2f}x (1)"
        elif key in ("full", "documents"):
            ratio = f"{m.rate / plain.rate:.2f}x (1), {m.rate / trafilatura.rate:.2f}x (2)"
        lag = f"{m.lag_p95_ms:.0f} / {m.lag_max_ms:.0f}" if m.lag_p95_ms is not None else "-"
        per_document = f"{1000 * m.cpu_seconds / m.documents:.0f}" if m.documents else "-"
        stored = f"{m.documents} ({m.pdfs} PDF)" if m.documents else "-"
        rows.append((f"{label} {m.name}", f"{m.pages}", f"{m.rate:.1f}", ratio, f"{m.cpu_percent:.0f}%", per_document, stored, f"{m.peak_mib:.0f}", lag))
    header = ("crawler", "pages", "pages/s", "ratio", "CPU", "CPU ms/doc", "stored", "peak MiB", "reactor lag p95/max ms")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = " | ".join(h.ljust(w) for h, w in zip(header, widths))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    print(f"\nmedian of {args.runs} runs; {os.cpu_count()} cores; site {info['pages']} pages + {info.get('pdfs', 0)} PDFs / {len(info['origins'])} origins")
    if "documents" in medians and medians["documents"].pdfs:
        extra = medians["documents"].cpu_seconds - medians["full"].cpu_seconds
        print(f"(5) - (4): {1000 * extra / medians['documents'].pdfs:.0f} ms of CPU per PDF (fetched whole, XMP read, text extracted, archived)")
    if args.json:
        Path(args.json).write_text(json.dumps({k: [m.__dict__ for m in v] for k, v in runs.items()}, indent=2))


if __name__ == "__main__":
    main()
