"""A fast static server for the benchmark, in its own process, on loopback.

Binds one port per origin on 127.0.0.1, renders every page into memory before
it answers anything (so the crawl being measured does not pay for page
generation), then serves HTTP/1.1 with keep-alive from asyncio. Writes the
origins' base URLs as JSON to ``--ready-file`` once it is serving.

    python -m benchmarks.server --origins 20 --pages 100 --ready-file /tmp/ready.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import time

from benchmarks.site import BenchSite, page_path, pdf_path, render_page, render_pdf, robots_txt

LOOPBACK = "127.0.0.1"


def build(site: BenchSite, sockets: dict[str, socket.socket]) -> dict[str, dict[str, bytes]]:
    base = {name: f"http://{LOOPBACK}:{sock.getsockname()[1]}" for name, sock in sockets.items()}
    pages: dict[str, dict[str, bytes]] = {}
    for index, name in enumerate(site.origin_names()):
        routes = {"/robots.txt": _response(200, "text/plain", robots_txt(site.seed))}
        for page in range(site.pages_per_origin):
            body = render_page(site, index, page, base)
            if site.pdfs_per_origin:
                # Every page links one report; the home page links them all.
                reports = range(site.pdfs_per_origin) if page == 0 else (page % site.pdfs_per_origin,)
                links = "".join(f'<li><a href="{pdf_path(r)}">Report {r} (PDF)</a></li>' for r in reports)
                body = body.replace(b"</main>", f'<ul class="downloads">{links}</ul></main>'.encode(), 1)
            routes[page_path(page)] = _response(200, "text/html; charset=utf-8", body)
        for report in range(site.pdfs_per_origin):
            routes[pdf_path(report)] = _response(200, "application/pdf", render_pdf(site, index, report))
        pages[name] = routes
    return pages


def _response(status: int, content_type: str, body: bytes) -> bytes:
    reason = {200: "OK", 404: "Not Found"}[status]
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    return head.encode("ascii") + body


NOT_FOUND = _response(404, "text/html", b"<h1>Not found</h1>")


async def _serve_connection(routes: dict[str, bytes], reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            line = head.split(b"\r\n", 1)[0].decode("latin-1").split()
            path = line[1] if len(line) > 1 else "/"
            answer = routes.get(path.split("?", 1)[0], NOT_FOUND)
            if line and line[0] == "HEAD":
                answer = answer.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
            writer.write(answer)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def serve(site: BenchSite, ready_file: str) -> None:
    sockets = {}
    for name in site.origin_names():
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, 0))
        sockets[name] = sock
    started = time.time()
    pages = build(site, sockets)
    servers = []
    for name, sock in sockets.items():
        routes = pages[name]
        servers.append(await asyncio.start_server(lambda r, w, routes=routes: _serve_connection(routes, r, w), sock=sock, backlog=512))
    info = {
        "origins": {name: f"http://{LOOPBACK}:{sock.getsockname()[1]}" for name, sock in sockets.items()},
        "pages": site.total_pages,
        "pdfs": site.origins * site.pdfs_per_origin,
        "bytes": sum(len(body) for routes in pages.values() for body in routes.values()),
        "build_seconds": round(time.time() - started, 1),
        "pid": os.getpid(),
    }
    tmp = ready_file + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(info, handle)
    os.replace(tmp, ready_file)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--origins", type=int, default=20)
    parser.add_argument("--pages", type=int, default=100, help="pages per origin")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pdfs", type=int, default=0, help="PDF reports per origin, linked from the pages")
    parser.add_argument("--ready-file", required=True)
    args = parser.parse_args()
    asyncio.run(serve(BenchSite(args.origins, args.pages, args.seed, args.pdfs), args.ready_file))


if __name__ == "__main__":
    main()
