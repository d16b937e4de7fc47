"""A local stand-in for a Spawning-style opt-out registry, for tests.

Serves on 127.0.0.1 (a free port) in a thread and speaks the API's format:
``POST`` of URLs one a line with ``Authorization: API <key>`` (401 without the
right key), answered by ``{"urls": [{"url", "optOut", "optIn"}, ...]}`` in
request order. It can be told to fail the next requests (``fail_next``), to
answer slowly (``delay``), and it records every request it received
(``requests``) and every batch it answered (``batches``). Nothing here is
imported by the crawler.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterable

QUERY_PATH = "/api/v2/query/urls/"


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class RegistryServer:
    """``with RegistryServer(key="k", opted_out={...}) as server: server.endpoint``"""

    key: str = "test-key"
    opted_out: set[str] = field(default_factory=set)
    opted_in: set[str] = field(default_factory=set)
    delay: float = 0.0
    requests: list[ReceivedRequest] = field(default_factory=list)
    batches: list[list[str]] = field(default_factory=list)
    _failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # ------------------------------------------------------------------ control
    def fail_next(self, times: int, status: int = 503, headers: dict[str, str] | None = None) -> None:
        """Answer the next ``times`` authorised requests with ``status``."""
        with self._lock:
            self._failures.extend([(status, dict(headers or {}))] * times)

    def opt_out(self, urls: Iterable[str]) -> None:
        with self._lock:
            self.opted_out.update(urls)

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}{QUERY_PATH}"

    def start(self) -> "RegistryServer":
        registry = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet test output
                pass

            def do_GET(self) -> None:
                self._answer(405, b"", {})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, payload, headers = registry._handle(self.path, self.headers, body)
                self._answer(status, payload, headers)

            def _answer(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="registry-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "RegistryServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ protocol
    def _handle(self, path: str, headers: object, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        header_map = {k: v for k, v in headers.items()}  # type: ignore[attr-defined]
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            if path != QUERY_PATH:
                status, extra = 404, {}
            elif header_map.get("Authorization") != f"API {self.key}":
                status, extra = 401, {}
            elif self._failures:
                status, extra = self._failures.pop(0)
            else:
                status, extra = 200, {}
            self.requests.append(ReceivedRequest(path, header_map, body, status))
            if status != 200:
                return status, json.dumps({"detail": f"HTTP {status}"}).encode(), extra
            urls = body.decode("utf-8").split("\n") if body else []
            self.batches.append(urls)
            answer = {
                "urls": [
                    {"url": url, "optOut": url in self.opted_out, "optIn": url in self.opted_in}
                    for url in urls
                ]
            }
        return 200, json.dumps(answer).encode(), {}
