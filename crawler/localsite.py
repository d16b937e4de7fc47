"""Serve a multi-origin web site on loopback: the demo, the tests and the benchmark.

One origin is one port on 127.0.0.1. Each origin answers from a route table
(path -> status, headers, body, and misbehaviours such as delays or resets) and
remembers every request it received, so a test can assert what was *never*
requested. Text bodies may contain ``{{origin:NAME}}`` placeholders, replaced by
the base URL of origin NAME when served, so pages can link across origins whose
ports are only known at start.

Binds to 127.0.0.1 only; never to another address.
"""

from __future__ import annotations

import json
import mimetypes
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterable, Union

LOOPBACK = "127.0.0.1"
ROUTES_FILE = "_routes.json"

Body = Union[bytes, str]


@dataclass
class ReceivedRequest:
    method: str
    path: str  # path and query as sent
    headers: dict[str, str]
    at: float
    finished: float | None = None  # when the answer was fully sent


@dataclass
class Route:
    """How one path answers.

    ``body`` may be a callable taking the :class:`ReceivedRequest` and returning a
    :class:`Route`, for answers that change over time (a robots.txt that fails
    twice, a page that changes between crawls). ``delay`` waits before the status
    line; ``drip`` sends the body in ``drip_chunk``-byte pieces that far apart;
    ``action`` is ``"reset"`` (close the socket without answering) or ``"hang"``
    (send headers, then nothing until the client gives up).
    """

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: Body | Callable[[ReceivedRequest], "Route"] = b""
    delay: float = 0.0
    drip: float = 0.0
    drip_chunk: int = 1024
    action: str | None = None
    template: bool = True


def html(body: str, *, status: int = 200, headers: Iterable[tuple[str, str]] = ()) -> Route:
    return Route(status, [("Content-Type", "text/html; charset=utf-8"), *headers], body)


def text(body: str, *, status: int = 200, headers: Iterable[tuple[str, str]] = ()) -> Route:
    return Route(status, [("Content-Type", "text/plain; charset=utf-8"), *headers], body)


def redirect(location: str, status: int = 301) -> Route:
    return Route(status, [("Location", location), ("Content-Type", "text/html")], b"")


NOT_FOUND = Route(404, [("Content-Type", "text/html; charset=utf-8")], "<h1>Not found</h1>")


class Origin:
    def __init__(self, name: str, routes: dict[str, Route] | None = None, default: Route = NOT_FOUND):
        self.name = name
        self.routes: dict[str, Route] = dict(routes or {})
        self.default = default
        self.port: int = 0
        self.requests: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def route_for(self, path: str) -> Route:
        if path in self.routes:
            return self.routes[path]
        bare = path.split("?", 1)[0]
        if bare in self.routes:
            return self.routes[bare]
        prefixes = [p for p in self.routes if p.endswith("*") and path.startswith(p[:-1])]
        if prefixes:
            return self.routes[max(prefixes, key=len)]
        return self.default

    def record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]


class LocalSite:
    """Several origins on loopback ports; a context manager that starts and stops them."""

    def __init__(self, origins: dict[str, dict[str, Route]] | Iterable[Origin], *, ports: dict[str, int] | None = None):
        if isinstance(origins, dict):
            self.origins = {name: Origin(name, routes) for name, routes in origins.items()}
        else:
            self.origins = {o.name: o for o in origins}
        self._wanted_ports = ports or {}
        self._threads: list[threading.Thread] = []

    # -- lifecycle -------------------------------------------------------
    def start(self) -> "LocalSite":
        for origin in self.origins.values():
            server = _Server((LOCALHOST_BIND, self._wanted_ports.get(origin.name, 0)), _Handler)
            server.origin = origin
            server.site = self
            origin._server = server
            origin.port = server.server_address[1]
            thread = threading.Thread(target=server.serve_forever, name=f"localsite-{origin.name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for origin in self.origins.values():
            if origin._server is not None:
                origin._server.shutdown()
                origin._server.server_close()
                origin._server = None

    def __enter__(self) -> "LocalSite":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------
    def base(self, name: str) -> str:
        return f"http://{LOOPBACK}:{self.origins[name].port}"

    def url(self, name: str, path: str = "/") -> str:
        return self.base(name) + path

    def paths(self, name: str) -> list[str]:
        return self.origins[name].paths()

    def expand(self, body: str) -> str:
        for name in self.origins:
            body = body.replace("{{origin:%s}}" % name, self.base(name))
        return body

    # -- loading a site from files ----------------------------------------
    @classmethod
    def from_directory(cls, root: Path | str, **kwargs: object) -> "LocalSite":
        """Each sub-folder of ``root`` is an origin; files are served at their
        relative path (``index.html`` also at its folder). ``_routes.json`` in an
        origin folder overrides or adds routes: ``{"/path": {"status": 200,
        "headers": [["Name", "value"]], "file": "rel/path", "body": "text"}}``."""
        root = Path(root)
        origins = []
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            routes: dict[str, Route] = {}
            for file in sorted(folder.rglob("*")):
                if not file.is_file() or file.name == ROUTES_FILE:
                    continue
                rel = "/" + file.relative_to(folder).as_posix()
                route = Route(200, [("Content-Type", _content_type(file))], file.read_bytes())
                routes[rel] = route
                if file.name == "index.html":
                    routes[rel[: -len("index.html")]] = route
            overrides = folder / ROUTES_FILE
            if overrides.exists():
                for path, spec in json.loads(overrides.read_text("utf-8")).items():
                    base = routes.get(path)
                    if "file" in spec:
                        file = folder / spec["file"]
                        base = Route(200, [("Content-Type", _content_type(file))], file.read_bytes())
                    body: Body = spec["body"] if "body" in spec else (base.body if base else b"")  # type: ignore[assignment]
                    headers = [tuple(h) for h in spec.get("headers", [])]
                    if spec.get("replace_headers") or base is None:
                        merged = headers
                    else:
                        names = {h[0].lower() for h in headers}
                        merged = [h for h in base.headers if h[0].lower() not in names] + headers
                    if not any(h[0].lower() == "content-type" for h in merged) and "body" in spec:
                        merged.append(("Content-Type", "text/html; charset=utf-8"))
                    routes[path] = Route(int(spec.get("status", 200)), merged, body)  # type: ignore[arg-type]
            origins.append(Origin(folder.name, routes))
        return cls(origins, **kwargs)  # type: ignore[arg-type]


LOCALHOST_BIND = LOOPBACK


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def _content_type(path: Path) -> str:
    if path.suffix in (".html", ".htm"):
        return "text/html; charset=utf-8"
    if path.name in ("robots.txt", "ai.txt") or path.suffix == ".txt":
        return "text/plain; charset=utf-8"
    if path.suffix == ".json":
        return "application/json"
    if path.suffix == ".xml":
        return "application/xml"
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    origin: Origin
    site: LocalSite


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def _answer(self, send_body: bool) -> None:
        origin = self.server.origin
        received = ReceivedRequest(self.command, self.path, {k: v for k, v in self.headers.items()}, time.time())
        origin.record(received)
        route = origin.route_for(self.path)
        while callable(route.body):
            route = route.body(received)
        if route.delay:
            time.sleep(route.delay)
        if route.action == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.close_connection = True
            self.connection.close()
            return
        body = route.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        if route.template and body and b"{{origin:" in body:
            body = self.server.site.expand(body.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
        self.send_response(route.status)
        for name, value in route.headers:
            self.send_header(name, self.server.site.expand(value) if "{{origin:" in value else value)
        if route.action == "hang":
            self.send_header("Content-Length", str(len(body) + 1_000_000))
            self.end_headers()
            self.wfile.flush()
            time.sleep(3600)
            return
        if not any(n.lower() == "content-length" for n, _ in route.headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not send_body:
            received.finished = time.time()
            return
        try:
            if route.drip:
                for start in range(0, len(body), route.drip_chunk):
                    self.wfile.write(body[start : start + route.drip_chunk])
                    self.wfile.flush()
                    time.sleep(route.drip)
            else:
                self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        received.finished = time.time()
