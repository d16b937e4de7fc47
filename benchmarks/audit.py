"""Benchmark of ``tdmcrawl audit``: a URL list over many origins, all on loopback.

One server process answers every origin: origin *i* is ``http://127.0.X.Y:PORT``
(one listening socket per loopback address, one port), and its policy files
stage one of eight cases (robots.txt allowing all, disallowing a path, an
AI-crawler group, Content-Signal, Content-Usage, no robots.txt, tdmrep.json
reserving everything, ai.txt disallowing everything). Every answer closes its
connection, so neither side keeps thousands of sockets open. The input is a
Parquet file (``id``, ``url``, ``text``) with the URLs shuffled, as a dataset's
are. The audit runs as ``tdmcrawl audit`` with politeness delays lifted but one
request at a time per origin; the script prints wall time, the audit process's
peak memory, decisions, and the requests each origin received (and checks that
no page was requested).

    python -m benchmarks.audit                       # 100,000 URLs over 10,000 origins
    python -m benchmarks.audit --origins 1000 --urls-per-origin 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

CASES = 8
ROBOTS = {
    0: "User-agent: *\nAllow: /\n",
    1: "User-agent: *\nDisallow: /private/\n",
    2: "User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
    3: "User-agent: *\nContent-Signal: search=yes, ai-train=no\nAllow: /\n",
    4: "User-agent: *\nAllow: /\n",
    5: "User-agent: *\nAllow: /\n",
    6: None,  # 404: no rules
    7: "User-agent: *\nContent-Usage: train-ai=n\nAllow: /\n",
}
TDMREP_RESERVED = b'[{"location": "/", "tdm-reservation": 1}]'
AITXT_DISALLOW = b"User-Agent: *\nDisallow: /\n"


def address(index: int) -> str:
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


def _answer(status: int, content_type: str, body: bytes) -> bytes:
    reason = {200: "OK", 404: "Not Found"}[status]
    return f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body


NOT_FOUND = _answer(404, "text/html", b"<h1>Not found</h1>")
PAGE = _answer(200, "text/html; charset=utf-8", b"<html><body><p>a page the audit must never ask for</p></body></html>")


def routes_for(index: int) -> dict[str, bytes]:
    case = index % CASES
    routes: dict[str, bytes] = {}
    if ROBOTS[case] is not None:
        routes["/robots.txt"] = _answer(200, "text/plain", ROBOTS[case].encode())
    if case == 4:
        routes["/.well-known/tdmrep.json"] = _answer(200, "application/json", TDMREP_RESERVED)
    if case == 5:
        routes["/ai.txt"] = _answer(200, "text/plain", AITXT_DISALLOW)
    return routes


# ------------------------------------------------------------------ server
async def serve(origins: int, port: int, ready_file: str, stats_file: str) -> None:
    counts: dict[int, Counter[str]] = {}

    async def handle(index: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            line = head.split(b"\r\n", 1)[0].decode("latin-1").split()
            path = line[1].split("?", 1)[0] if len(line) > 1 else "/"
            counts.setdefault(index, Counter())[path if path in ("/robots.txt", "/.well-known/tdmrep.json", "/ai.txt") else "page"] += 1
            writer.write(routes_for(index).get(path, NOT_FOUND if path in ("/robots.txt", "/.well-known/tdmrep.json", "/ai.txt") else PAGE))
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    servers = []
    for index in range(origins):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address(index), port))
        servers.append(await asyncio.start_server(lambda r, w, i=index: handle(i, r, w), sock=sock, backlog=64))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    Path(ready_file).write_text(json.dumps({"pid": os.getpid()}))
    await stop.wait()
    totals: Counter[str] = Counter()
    per_origin = [sum(counts.get(i, Counter()).values()) for i in range(origins)]
    for counter in counts.values():
        totals.update(counter)
    Path(stats_file).write_text(json.dumps({"by_path": dict(totals), "per_origin": per_origin}))


def free_port(origins: int) -> int:
    """A port free on every loopback address the server will use."""
    for _ in range(50):
        candidate = random.randint(20000, 60000)
        try:
            for index in (0, origins // 2, origins - 1):
                with socket.socket() as probe:
                    probe.bind((address(index), candidate))
            return candidate
        except OSError:
            continue
    raise RuntimeError("no free port")


# ------------------------------------------------------------------ input
def write_input(path: Path, origins: int, per_origin: int, port: int, seed: int) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    rows = [(index, page) for index in range(origins) for page in range(per_origin)]
    rng.shuffle(rows)
    words = ["lake", "ferry", "harbour", "council", "regatta", "tide", "archive", "letter", "notes", "wiki"]
    writer = pq.ParquetWriter(path, pa.schema([("id", pa.string()), ("url", pa.string()), ("text", pa.string())]), compression="zstd")
    for start in range(0, len(rows), 10_000):
        chunk = rows[start : start + 10_000]
        urls = [f"http://{address(i)}:{port}/{'private/' if page % 5 == 0 else 'p/'}{page}.html" for i, page in chunk]
        texts = [" ".join(rng.choice(words) for _ in range(20 + (i * 7 + page) % 80)) for i, page in chunk]
        writer.write_table(pa.table({"id": [f"doc-{i}-{page}" for i, page in chunk], "url": urls, "text": texts}))
    writer.close()
    return len(rows)


# ------------------------------------------------------------------ run
def run(origins: int, per_origin: int, concurrency: int, seed: int, keep: str | None) -> dict[str, object]:
    folder = Path(keep or tempfile.mkdtemp(prefix="audit-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port(origins)
    ready, stats = folder / "ready.json", folder / "server-stats.json"
    for path in (ready, stats):
        path.unlink(missing_ok=True)
    server = subprocess.Popen([sys.executable, "-m", "benchmarks.audit", "--serve", "--origins", str(origins), "--port", str(port), "--ready-file", str(ready), "--stats-file", str(stats)])
    try:
        while not ready.exists():
            if server.poll() is not None:
                raise RuntimeError("the benchmark server did not start")
            time.sleep(0.1)
        rows = write_input(folder / "input.parquet", origins, per_origin, port, seed)
        out = folder / "out"
        command = [
            sys.executable, "-m", "crawler.commands.main", "audit", str(folder / "input.parquet"), "--out", str(out), "--quiet",
            "--allow-private-addresses", "--write-filtered", str(folder / "filtered.parquet"),
            "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "TDMCRAWL_LOOPBACK_ONLY=True",
            "-s", f"CONCURRENT_REQUESTS={concurrency}", "-s", "DOWNLOAD_TIMEOUT=60",
        ]
        started = time.monotonic()
        audit = subprocess.Popen(command)
        _, status, usage = os.wait4(audit.pid, 0)
        audit.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    served = json.loads(stats.read_text())
    summary = json.loads((out / "summary.json").read_text())
    per_origin_requests = served["per_origin"]
    return {
        "urls": rows,
        "origins": origins,
        "exit_code": audit.returncode,
        "seconds": round(seconds, 1),
        "urls_per_second": round(rows / seconds, 1),
        "peak_memory_mib": round(usage.ru_maxrss / 1024, 1),  # Linux: KiB
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "decided": summary["counts"]["urls_audited"],
        "excluded": summary["counts"]["urls_excluded"],
        "excluded_by_family": {k: v["urls"] for k, v in summary["excluded_by_family"].items()},
        "requests": served["by_path"],
        "requests_per_origin": {"mean": round(sum(per_origin_requests) / origins, 2), "max": max(per_origin_requests), "min": min(per_origin_requests)},
        "page_requests": served["by_path"].get("page", 0),
        "text_excluded": summary.get("text"),
        "output": str(folder),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--origins", type=int, default=10_000)
    parser.add_argument("--urls-per-origin", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=256, help="CONCURRENT_REQUESTS (origins in flight); one request at a time per origin")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary folder)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ready-file", help=argparse.SUPPRESS)
    parser.add_argument("--stats-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.origins, args.port, args.ready_file, args.stats_file))
        return
    if args.origins > 250 * 254:
        parser.error("at most 63,500 origins (127.0.1.1 – 127.0.254.250)")
    print(json.dumps(run(args.origins, args.urls_per_origin, args.concurrency, args.seed, args.keep), indent=2))


if __name__ == "__main__":
    main()
