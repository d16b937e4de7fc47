"""The polite-crawl benchmark: many origins, default politeness, loopback only.

    python -m benchmarks.polite [--hosts 40] [--seconds 60] [--latency 0.03 0.3] [--ports 5] [--redis redis://127.0.0.1:6379/0]

Every host is its own loopback address (127.0.0.2, 127.0.0.3, … on one port),
served by one asyncio process that answers after ``--latency`` seconds and logs
every request it receives. One host in five asks for ``Crawl-delay: 3`` in its
robots.txt. Each host has more pages than any crawler can fetch in the window
(page N links to N+1 … N+3), so every crawler is busy on every host all along;
each runs for ``--seconds`` (Scrapy's ``CLOSESPIDER_TIMEOUT``) and is measured
from the server's own log over that window, from its first request:

* requests/s: every request the hosts received (robots.txt, tdmcrawl's other
  policy files and terms lookup included) against the politeness bound
  Σ over hosts of 1 / max(delay, latency), for the delays each crawler honours
  (plain Scrapy ignores Crawl-delay, so its bound is higher);
* pages/s: the requests for pages (``/`` and ``/p/N``), against the same bound:
  what a crawl gathers, after the per-origin cost of its policy files;
* steady requests/s: from the moment the last host got its first page to the
  end of the window (the frontier alone, start-up left out).

Crawlers, in the same run on the same hosts:

1. plain Scrapy ``CrawlSpider`` with the same politeness as tdmcrawl's defaults
   (one request at a time per host, ``DOWNLOAD_DELAY`` 1 s, AutoThrottle);
2. the same with Scrapy's broad-crawl recipe (``DownloaderAwarePriorityQueue``,
   100 concurrent requests, no retries, no redirects);
3. tdmcrawl with its default settings (politeness-aware frontier).

``--ports N`` adds a run with N origins on one address (127.0.0.1 on N ports,
30 ms): each origin is polite on its own (RFC 9309 scopes robots.txt to scheme,
host and port), so the bound is N requests/s for every crawler; Scrapy keys its
download slots by host name, so plain Scrapy serves the N origins as one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
DOWNLOAD_DELAY = 1.0
SLOW_DELAY = 3.0
SLOW_EVERY = 5  # every fifth host asks for Crawl-delay: 3
PAGE_PATH = re.compile(r"^/(?:p/\d+)?$")


@dataclass(frozen=True)
class Layout:
    """Where the origins listen: distinct addresses on one port, or one address on many ports."""

    name: str
    origins: int
    latency: float
    ports: bool = False

    def address(self, index: int) -> str:
        return "127.0.0.1" if self.ports else f"127.0.0.{index + 2}"

    def delay(self, index: int) -> float:
        if self.ports:
            return DOWNLOAD_DELAY
        return SLOW_DELAY if index % SLOW_EVERY == SLOW_EVERY - 1 else DOWNLOAD_DELAY

    def bound(self, honours_crawl_delay: bool) -> float:
        """Requests/s a polite crawler can reach: Σ over origins of 1 / max(delay, latency)."""
        delays = [self.delay(i) if honours_crawl_delay else DOWNLOAD_DELAY for i in range(self.origins)]
        return sum(1.0 / max(delay, self.latency) for delay in delays)


def page_html(host: str, page: int) -> bytes:
    links = "".join(f'<li><a href="/p/{n}">page {n}</a></li>' for n in range(page + 1, page + 4))
    words = " ".join(f"word{(page * 7 + i) % 97}" for i in range(300))
    return (
        f"<!doctype html><html><head><title>{host} page {page}</title></head><body>"
        f"<article><h1>Page {page} of {host}</h1><p>{words}</p></article><ul>{links}</ul></body></html>"
    ).encode()


# ------------------------------------------------------------------ the server
async def _serve(layout: Layout, port: int, log_path: str, ready_path: str) -> None:
    log = open(log_path, "a", buffering=1)

    def answer(index: int, path: str) -> tuple[str, str, bytes]:
        if path == "/robots.txt":
            robots = "User-agent: *\nAllow: /\n"
            if layout.delay(index) != DOWNLOAD_DELAY:
                robots += f"Crawl-delay: {layout.delay(index):g}\n"
            return "200 OK", "text/plain", robots.encode()
        if PAGE_PATH.match(path):
            number = int(path.rsplit("/", 1)[1]) if path != "/" else 0
            return "200 OK", "text/html; charset=utf-8", page_html(f"origin {index}", number)
        return "404 Not Found", "text/plain", b"not found"

    async def handle(index: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
                path = (parts[1] if len(parts) > 1 else "/").split("?", 1)[0]
                log.write(f"{time.time():.6f} {index} {path}\n")
                await asyncio.sleep(layout.latency)
                status, kind, body = answer(index, path)
                writer.write(f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    servers, ports = [], []
    for index in range(layout.origins):
        server = await asyncio.start_server(
            lambda r, w, i=index: handle(i, r, w), layout.address(index), 0 if layout.ports else port, backlog=256,
        )
        servers.append(server)
        ports.append(server.sockets[0].getsockname()[1])
    Path(ready_path).write_text(json.dumps({"pid": os.getpid(), "ports": ports}))
    await asyncio.gather(*(s.serve_forever() for s in servers))


def serve_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--origins", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, required=True)
    parser.add_argument("--ports", action="store_true")
    parser.add_argument("--log", required=True)
    parser.add_argument("--ready", required=True)
    args = parser.parse_args(argv)
    layout = Layout("serve", args.origins, args.latency, args.ports)
    asyncio.run(_serve(layout, args.port, args.log, args.ready))


# ------------------------------------------------------------------ the crawlers
def plain_command(seeds: list[str], seconds: float, recipe: bool) -> list[str]:
    settings = {
        "ROBOTSTXT_OBEY": True,
        "USER_AGENT": "plainbench/1.0",
        "CONCURRENT_REQUESTS": 100 if recipe else 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY": DOWNLOAD_DELAY,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": DOWNLOAD_DELAY,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "CLOSESPIDER_TIMEOUT": seconds,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": "WARNING",
    }
    if recipe:  # Scrapy's "Broad Crawls" page
        settings.update({
            "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
            "REACTOR_THREADPOOL_MAXSIZE": 20,
            "COOKIES_ENABLED": False,
            "RETRY_ENABLED": False,
            "REDIRECT_ENABLED": False,
            "DOWNLOAD_TIMEOUT": 15,
        })
    code = (
        "import json,sys\n"
        "from scrapy.crawler import CrawlerProcess\n"
        "from benchmarks.plain import PlainSpider\n"
        "settings = json.loads(sys.argv[1]); seeds = sys.argv[2:]\n"
        "PlainSpider.allowed_domains = sorted({s.split('/')[2].split(':')[0] for s in seeds})\n"
        "process = CrawlerProcess(settings); process.crawl(PlainSpider, seeds=seeds); process.start()\n"
    )
    return [sys.executable, "-c", code, json.dumps(settings), *seeds]


def tdmcrawl_command(seeds: list[str], seconds: float, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "crawler.commands.main", "crawl", *seeds, "--out", str(out), "--quiet",
        "-s", "TDMCRAWL_LOOPBACK_ONLY=True", "-s", "TDMCRAWL_SUMMARY=False", "-s", f"CLOSESPIDER_TIMEOUT={seconds:g}",
    ]


def cluster_command(command: list[str], out: Path, redis_url: str) -> list[str]:
    """tdmcrawl distributed (``--redis``): the crawl process of ``command`` and one more worker, run by ``cluster_main``."""
    return [sys.executable, "-m", "benchmarks.polite", "cluster", redis_url, str(out), *command[3:]]


def cluster_main(argv: list[str]) -> None:
    redis_url, out, crawl_args = argv[0], argv[1], argv[2:]
    crawl_id = f"polite-{os.getpid()}-{time.time_ns()}"  # its keys stay in Redis (tdmcrawl:polite-*)
    tdmcrawl = [sys.executable, "-m", "crawler.commands.main"]
    first = subprocess.Popen([*tdmcrawl, *crawl_args, "--redis", redis_url, "--crawl-id", crawl_id, "--worker-id", "w1"], cwd=REPO)
    second = subprocess.Popen([*tdmcrawl, "worker", "--redis", redis_url, "--crawl-id", crawl_id, "--worker-id", "w2", "--out", out, "--quiet", "--wait", "60"], cwd=REPO)
    sys.exit(max(first.wait(), second.wait()))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.2", 0))
        return sock.getsockname()[1]


def run_one(name: str, layout: Layout, seconds: float, work: Path, redis_url: str | None = None) -> dict:
    stem = f"{name}-{layout.name.replace(' ', '-').replace(',', '')}-{layout.latency * 1000:.0f}ms"
    log_path, ready_path = work / f"{stem}.log", work / f"{stem}.ready"
    log_path.unlink(missing_ok=True)
    ready_path.unlink(missing_ok=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.polite", "serve", "--origins", str(layout.origins), "--port", str(port),
         "--latency", str(layout.latency), "--log", str(log_path), "--ready", str(ready_path), *(("--ports",) if layout.ports else ())],
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 30
        while not ready_path.exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("polite benchmark server did not start")
            time.sleep(0.05)
        ports = json.loads(ready_path.read_text())["ports"]
        seeds = [f"http://{layout.address(i)}:{ports[i]}/" for i in range(layout.origins)]
        out = work / f"{stem}-out"
        command = tdmcrawl_command(seeds, seconds, out) if name == "tdmcrawl" else plain_command(seeds, seconds, recipe=(name == "recipe"))
        if name == "tdmcrawl" and redis_url:
            command = cluster_command(command, out, redis_url)
        crawl = subprocess.run(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=seconds + 300)
        if crawl.returncode != 0:
            sys.stderr.write(crawl.stderr.decode(errors="replace")[-3000:])
        shutil.rmtree(out, ignore_errors=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
    return window_rates(log_path, seconds)


def window_rates(log_path: Path, seconds: float) -> dict:
    """Requests/s, pages/s and steady requests/s over the window, from the server's log."""
    entries = []
    for line in log_path.read_text().splitlines():
        stamp, index, path = line.split(" ", 2)
        entries.append((float(stamp), int(index), path))
    if not entries:
        return {"requests": 0, "pages": 0, "rate": 0.0, "page_rate": 0.0, "steady_rate": float("nan")}
    start = min(stamp for stamp, _, _ in entries)
    end = start + seconds
    inside = [(stamp, index, path) for stamp, index, path in entries if stamp < end]
    pages = [entry for entry in inside if PAGE_PATH.match(entry[2])]
    first_page: dict[int, float] = {}
    for stamp, index, _ in sorted(pages):
        first_page.setdefault(index, stamp)
    steady_from = max(first_page.values()) if first_page else end
    steady = sum(1 for stamp, _, _ in inside if stamp >= steady_from) / (end - steady_from) if end - steady_from > 5 else float("nan")
    per_origin = defaultdict(int)
    for _, index, _ in inside:
        per_origin[index] += 1
    return {
        "requests": len(inside), "pages": len(pages), "rate": len(inside) / seconds, "page_rate": len(pages) / seconds,
        "steady_rate": steady, "first_page_after": sorted(t - start for t in first_page.values()), "per_origin": dict(per_origin),
    }


LABELS = {"plain": "plain Scrapy CrawlSpider, same politeness", "recipe": "Scrapy broad-crawl recipe", "tdmcrawl": "tdmcrawl (default settings)"}


def table(results: list[dict]) -> str:
    header = ("origins", "latency", "crawler", "bound req/s", "req/s", "of bound", "pages/s", "of bound", "steady req/s", "of bound")
    rows = [
        (r["layout"], f"{r['latency'] * 1000:.0f} ms", LABELS[r["name"]], f"{r['bound']:.1f}",
         f"{r['rate']:.1f}", f"{100 * r['rate'] / r['bound']:.0f}%", f"{r['page_rate']:.1f}", f"{100 * r['page_rate'] / r['bound']:.0f}%",
         f"{r['steady_rate']:.1f}", f"{100 * r['steady_rate'] / r['bound']:.0f}%")
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths)), "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        serve_main(argv[1:])
        return
    if argv[:1] == ["cluster"]:
        cluster_main(argv[1:])
        return
    parser = argparse.ArgumentParser(description="tdmcrawl polite-crawl benchmark (loopback only)")
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long each crawler runs (the measured window)")
    parser.add_argument("--latency", type=float, nargs="+", default=[0.03, 0.3])
    parser.add_argument("--ports", type=int, default=5, help="origins on 127.0.0.1 for the one-address run (0: skip it)")
    parser.add_argument("--only", nargs="*", choices=["plain", "recipe", "tdmcrawl"], default=["plain", "recipe", "tdmcrawl"])
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--keep", metavar="DIR", help="keep the servers' request logs in DIR")
    parser.add_argument("--redis", metavar="URL", help="run tdmcrawl distributed on this (loopback) Redis: the crawl and one more worker")
    args = parser.parse_args(argv)
    if args.redis and urlsplit(args.redis).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--redis: a loopback Redis only")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tdmcrawl-polite-"))
    work.mkdir(parents=True, exist_ok=True)
    layouts = [Layout(f"{args.hosts} hosts", args.hosts, latency) for latency in args.latency]
    if args.ports:
        layouts.append(Layout(f"{args.ports} ports, one host", args.ports, 0.03, ports=True))
    results = []
    try:
        for layout in layouts:
            for name in args.only:
                print(f"{layout.name}, latency {layout.latency * 1000:.0f} ms: {name}", file=sys.stderr)
                result = run_one(name, layout, args.seconds, work, redis_url=args.redis)
                result.update(name=name, layout=layout.name, latency=layout.latency, bound=layout.bound(honours_crawl_delay=(name == "tdmcrawl")))
                results.append(result)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(table(results))
    slow = sum(1 for i in range(args.hosts) if Layout("", args.hosts, 0).delay(i) != DOWNLOAD_DELAY)
    print(f"\n{args.hosts} hosts on 127.0.0.x ({slow} with Crawl-delay {SLOW_DELAY:g}); DOWNLOAD_DELAY {DOWNLOAD_DELAY:g} s, one request at a "
          f"time per origin; each crawler runs {args.seconds:g} s, measured from the hosts' own logs over that window. "
          f"bound = sum over origins of 1/max(delay, latency) for the delays each crawler honours (plain Scrapy ignores "
          f"Crawl-delay, and serves origins that share a host name as one); req/s counts every request (policy files included), "
          f"pages/s the pages only, steady req/s runs from the last origin's first page to the end; {os.cpu_count()} cores")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
