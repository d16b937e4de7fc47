"""The polite-crawl benchmark: many distinct hosts, default politeness, loopback only.

    python -m benchmarks.polite [--hosts 40] [--seconds 30] [--latency 0.03 0.3] [--redis redis://127.0.0.1:6379/0]

Every host is its own loopback address (127.0.0.2, 127.0.0.3, … on one port),
served by one asyncio process that answers after ``--latency`` seconds and logs
every request it receives. One host in five asks for ``Crawl-delay: 3`` in its
robots.txt. Each host holds as many pages as its delay lets a polite crawler
fetch in ``--seconds``, so an ideal crawler finishes every host at once and
runs at the politeness bound, Σ over hosts of 1 / max(delay, latency), all
along.

Measured from the server's own log (every request counts, policy files
included): requests / (last request − first request), against the bound of
the delays each crawler honours (plain Scrapy ignores Crawl-delay, so its bound
is higher). Crawlers, in the same run on the same hosts:

1. plain Scrapy ``CrawlSpider`` with the same politeness as tdmcrawl's defaults
   (one request at a time per host, ``DOWNLOAD_DELAY`` 1 s, AutoThrottle);
2. the same with Scrapy's broad-crawl recipe (``DownloaderAwarePriorityQueue``,
   100 concurrent requests, no retries, no redirects);
3. tdmcrawl with its default settings (politeness-aware frontier).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
DOWNLOAD_DELAY = 1.0
SLOW_DELAY = 3.0
SLOW_EVERY = 5  # every fifth host asks for Crawl-delay: 3


def host_address(index: int) -> str:
    return f"127.0.0.{index + 2}"


def host_delay(index: int) -> float:
    return SLOW_DELAY if index % SLOW_EVERY == SLOW_EVERY - 1 else DOWNLOAD_DELAY


def pages_for(index: int, seconds: float, latency: float) -> int:
    return max(2, int(seconds / max(host_delay(index), latency)))


def page_html(host: str, port: int, page: int, pages: int) -> bytes:
    links = "".join(f'<li><a href="/p/{n}">page {n}</a></li>' for n in range(page + 1, min(pages, page + 4)))
    words = " ".join(f"word{(page * 7 + i) % 97}" for i in range(300))
    return (
        f"<!doctype html><html><head><title>{host} page {page}</title></head><body>"
        f"<article><h1>Page {page} of {host}</h1><p>{words}</p></article><ul>{links}</ul></body></html>"
    ).encode()


# ------------------------------------------------------------------ the server
async def _serve(hosts: int, port: int, seconds: float, latency: float, log_path: str, ready_path: str) -> None:
    log = open(log_path, "a", buffering=1)

    def routes_for(index: int) -> dict[str, tuple[str, bytes]]:
        address = host_address(index)
        robots = "User-agent: *\nAllow: /\n"
        if host_delay(index) != DOWNLOAD_DELAY:
            robots += f"Crawl-delay: {host_delay(index):g}\n"
        count = pages_for(index, seconds, latency)
        routes = {"/robots.txt": ("text/plain", robots.encode())}
        for page in range(count):
            routes["/" if page == 0 else f"/p/{page}"] = ("text/html; charset=utf-8", page_html(address, port, page, count))
        return routes

    async def handle(index: int, routes: dict, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
                path = parts[1] if len(parts) > 1 else "/"
                log.write(f"{time.time():.6f} {index} {path}\n")
                await asyncio.sleep(latency)
                found = routes.get(path.split("?", 1)[0])
                status, (kind, body) = ("200 OK", found) if found else ("404 Not Found", ("text/plain", b"not found"))
                writer.write(f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    servers = []
    for index in range(hosts):
        routes = routes_for(index)
        servers.append(await asyncio.start_server(lambda r, w, i=index, ro=routes: handle(i, ro, r, w), host_address(index), port, backlog=256))
    Path(ready_path).write_text(json.dumps({"pid": os.getpid()}))
    await asyncio.gather(*(s.serve_forever() for s in servers))


def serve_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--latency", type=float, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--ready", required=True)
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.hosts, args.port, args.seconds, args.latency, args.log, args.ready))


# ------------------------------------------------------------------ the crawlers
def plain_command(seeds: list[str], recipe: bool) -> list[str]:
    settings = {
        "ROBOTSTXT_OBEY": True,
        "USER_AGENT": "plainbench/1.0",
        "CONCURRENT_REQUESTS": 100 if recipe else 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY": DOWNLOAD_DELAY,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": DOWNLOAD_DELAY,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
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


def tdmcrawl_command(seeds: list[str], out: Path) -> list[str]:
    return [
        sys.executable, "-m", "crawler.commands.main", "crawl", *seeds, "--out", str(out), "--quiet",
        "-s", "TDMCRAWL_LOOPBACK_ONLY=True", "-s", "TDMCRAWL_SUMMARY=False",
    ]


def cluster_command(seeds: list[str], out: Path, redis_url: str) -> list[str]:
    """tdmcrawl distributed (``--redis``): the crawl process and one more worker, run by ``cluster_main``."""
    return [sys.executable, "-m", "benchmarks.polite", "cluster", redis_url, str(out), *tdmcrawl_command(seeds, out)[3:]]


def cluster_main(argv: list[str]) -> None:
    redis_url, out, crawl_args = argv[0], argv[1], argv[2:]
    crawl_id = f"polite-{os.getpid()}-{time.time_ns()}"
    tdmcrawl = [sys.executable, "-m", "crawler.commands.main"]
    first = subprocess.Popen([*tdmcrawl, *crawl_args, "--redis", redis_url, "--crawl-id", crawl_id, "--worker-id", "w1"], cwd=REPO)
    second = subprocess.Popen([*tdmcrawl, "worker", "--redis", redis_url, "--crawl-id", crawl_id, "--worker-id", "w2", "--out", out, "--quiet", "--wait", "60"], cwd=REPO)
    codes = [first.wait(), second.wait()]
    sys.exit(max(codes))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.2", 0))
        return sock.getsockname()[1]


def run_one(name: str, command_for, hosts: int, seconds: float, latency: float, work: Path) -> dict:
    log_path, ready_path = work / f"{name}-{latency}.log", work / f"{name}-{latency}.ready"
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.polite", "serve", "--hosts", str(hosts), "--port", str(port), "--seconds", str(seconds),
         "--latency", str(latency), "--log", str(log_path), "--ready", str(ready_path)],
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 30
        while not ready_path.exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("polite benchmark server did not start")
            time.sleep(0.05)
        seeds = [f"http://{host_address(i)}:{port}/" for i in range(hosts)]
        started = time.monotonic()
        crawl = subprocess.run(command_for(seeds), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=max(600, 20 * seconds))
        wall = time.monotonic() - started
        if crawl.returncode != 0:
            sys.stderr.write(crawl.stderr.decode(errors="replace")[-3000:])
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
    times, per_host = [], defaultdict(list)
    for line in log_path.read_text().splitlines():
        stamp, index, _path = line.split(" ", 2)
        times.append(float(stamp))
        per_host[int(index)].append(float(stamp))
    span = max(times) - min(times) if len(times) > 1 else math.inf
    # Steady state: from the moment every host has been reached to the moment the first one is done.
    start, end = max(min(t) for t in per_host.values()), min(max(t) for t in per_host.values())
    steady = sum(1 for t in times if start <= t <= end) / (end - start) if end > start + 1 else float("nan")
    return {"requests": len(times), "span": span, "rate": len(times) / span, "steady_rate": steady, "wall": wall,
            "per_host": {index: len(t) for index, t in per_host.items()}}


def bound(hosts: int, latency: float, honours_crawl_delay: bool) -> float:
    delays = [host_delay(i) if honours_crawl_delay else DOWNLOAD_DELAY for i in range(hosts)]
    return sum(1.0 / max(delay, latency) for delay in delays)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve_main(sys.argv[2:])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "cluster":
        cluster_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description="tdmcrawl polite-crawl benchmark (loopback only)")
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=40.0, help="how long an ideal polite crawl of the site takes")
    parser.add_argument("--latency", type=float, nargs="+", default=[0.03, 0.3])
    parser.add_argument("--only", nargs="*", choices=["plain", "recipe", "tdmcrawl"], default=["plain", "recipe", "tdmcrawl"])
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--keep", metavar="DIR", help="keep the servers' request logs in DIR")
    parser.add_argument("--redis", metavar="URL", help="run tdmcrawl distributed on this (loopback) Redis: the crawl and one more worker")
    args = parser.parse_args()
    if args.redis and urlsplit(args.redis).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--redis: a loopback Redis only")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tdmcrawl-polite-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for latency in args.latency:
            for name in args.only:
                shutil.rmtree(work / "tdmcrawl-out", ignore_errors=True)
                if name == "tdmcrawl" and args.redis:
                    command_for = lambda seeds: cluster_command(seeds, work / "tdmcrawl-out", args.redis)  # noqa: E731
                elif name == "tdmcrawl":
                    command_for = lambda seeds: tdmcrawl_command(seeds, work / "tdmcrawl-out")  # noqa: E731
                else:
                    command_for = lambda seeds, recipe=(name == "recipe"): plain_command(seeds, recipe)  # noqa: E731
                print(f"latency {latency * 1000:.0f} ms: {name}", file=sys.stderr)
                result = run_one(name, command_for, args.hosts, args.seconds, latency, work)
                result.update(name=name, latency=latency, bound=bound(args.hosts, latency, honours_crawl_delay=(name == "tdmcrawl")))
                results.append(result)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    labels = {"plain": "plain Scrapy CrawlSpider, same politeness", "recipe": "Scrapy broad-crawl recipe", "tdmcrawl": "tdmcrawl (default settings)"}
    header = ("latency", "crawler", "requests", "bound req/s", "req/s whole crawl", "of bound", "req/s steady", "of bound")
    rows = [
        (f"{r['latency'] * 1000:.0f} ms", labels[r["name"]], str(r["requests"]), f"{r['bound']:.1f}",
         f"{r['rate']:.1f}", f"{100 * r['rate'] / r['bound']:.0f}%", f"{r['steady_rate']:.1f}", f"{100 * r['steady_rate'] / r['bound']:.0f}%")
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))
    slow = sum(1 for i in range(args.hosts) if host_delay(i) != DOWNLOAD_DELAY)
    print(f"\n{args.hosts} hosts on 127.0.0.x ({slow} with Crawl-delay {SLOW_DELAY:g}), DOWNLOAD_DELAY {DOWNLOAD_DELAY:g} s, "
          f"one request at a time per host; bound = sum over hosts of 1/max(delay, latency) for the delays each crawler honours "
          f"(plain Scrapy ignores Crawl-delay); every request the hosts received counts, policy files included;\n"
          f"'whole crawl' runs from the first request to the last, 'steady' from the moment every host has been reached "
          f"to the moment the first host is done; {os.cpu_count()} cores")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
