"""The hostile web: a chaos site on loopback for the end-to-end chaos crawl.

Owns the origins and routes of misbehaving servers (one origin per family of
misbehaviour, plus a healthy origin whose pages must all be stored whatever the
others do), the limits the chaos crawl runs with, and the misbehaviours
:mod:`crawler.localsite` does not serve on its own: a :class:`RawRoute` writes
exact bytes on the socket (a body cut by a reset, a body without a length, a
response that is not HTTP, header bytes outside ASCII) and then closes or
resets the connection.

Serves on 127.0.0.1 only (through :class:`~crawler.localsite.LocalSite`); the
one host name it hands out that is not an address is under ``.invalid``, which
never resolves (RFC 6761). It adds behaviour by wrapping LocalSite's handler
and must not change ``crawler/localsite.py``.
"""

from __future__ import annotations

import gzip
import json
import random
import socket
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

import brotli

from crawler.localsite import LocalSite, Origin, ReceivedRequest, Route, _Handler, free_port, html, redirect, text

# Limits of the chaos crawl (passed with -s); the routes below are sized against them.
DOWNLOAD_TIMEOUT = 2
DOWNLOAD_MAXSIZE = 1024 * 1024
RETRY_TIMES = 1
REDIRECT_MAX_TIMES = 5
MAX_DEPTH = 5
MAX_PAGES = 500  # a safety net only: the chaos crawl considers under 100 URLs
URL_LENGTH_LIMIT = 2083  # crawler.urls.MAX_URL_LENGTH and URLLENGTH_LIMIT
RETRY_AFTER_SECONDS = 2

UNRESOLVABLE_HOST = "chaos-site.invalid"

PROSE = (
    "The harbour master keeps a log of every boat that enters the bay, the state of the tide "
    "and the weather at dawn; the log is read aloud at the town meeting each spring. "
) * 4

# Words outside ASCII: a page decoded with the wrong charset shows it in its text.
ACCENTED = "Café Zürich, naïve façade, smörgåsbord"

# Links whose raw form is hostile, and the safe form each must be fetched and
# archived under (CR/LF dropped, spaces and non-ASCII percent-encoded as UTF-8).
HOSTILE_LINKS: dict[str, tuple[str, str]] = {
    "crlf": ("/inject\r\nX-Injected: yes", "/injectX-Injected:%20yes"),
    "crlf-entity": ("/inject-entity&#13;&#10;X-Injected-Entity: yes", "/inject-entityX-Injected-Entity:%20yes"),
    "space": ("/with space/and more", "/with%20space/and%20more"),
    "unicode": ("/ünïcödé/страница", "/%C3%BCn%C3%AFc%C3%B6d%C3%A9/%D1%81%D1%82%D1%80%D0%B0%D0%BD%D0%B8%D1%86%D0%B0"),
    "query": ("/search?q=a b&city=Zürich", "/search?q=a%20b&city=Z%C3%BCrich"),
    "long": ("/long/" + "x" * 1800, "/long/" + "x" * 1800),
}
# A "%" not followed by two hex digits: RFC 3986 allows it only as "%25".
MALFORMED_ESCAPE_LINK = ("/percent%zz/end", "/percent%25zz/end")
TOO_LONG_LINK = "/too-long/" + "y" * 3000  # over the URL length limit: never followed

# The growing-query trap adds this many characters per step, so the URL length
# limit stops it (after 3 steps) before the depth limit would.
GROWTH_PER_STEP = 600

HTML_TYPE = ("Content-Type", "text/html; charset=utf-8")
JSON_TYPE = ("Content-Type", "application/json")


def page(title: str, *links: str, head: str = "") -> Route:
    anchors = "".join(f'<p><a href="{link}">{title} link {n}</a></p>' for n, link in enumerate(links))
    return html(
        f"<!DOCTYPE html><html><head><title>{title}</title>{head}</head>"
        f"<body><main><h1>{title}</h1><p>{PROSE}</p>{anchors}</main></body></html>"
    )


def garbage(size: int, seed: int) -> bytes:
    """Deterministic binary noise (NULs, control bytes, invalid UTF-8)."""
    return random.Random(seed).randbytes(size)


# ---------------------------------------------------------------- raw answers
@dataclass
class RawRoute(Route):
    """Answer with exactly ``raw`` (status line, headers and body as given),
    then end the connection: ``end="close"`` (FIN) or ``"reset"`` (RST)."""

    raw: bytes = b""
    end: str = "close"


def raw_response(status_line: str, headers: list[tuple[str, str | bytes]], body: bytes = b"", *, length: bool = True) -> bytes:
    """An HTTP/1.1 answer as bytes; header values may be bytes outside ASCII.
    ``length=False`` leaves Content-Length out (the body ends when the socket closes)."""
    lines = [status_line.encode("latin-1")]
    for name, value in headers:
        lines.append(name.encode("latin-1") + b": " + (value if isinstance(value, bytes) else value.encode("latin-1")))
    if length:
        lines.append(b"Content-Length: %d" % len(body))
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class _ChaosHandler(_Handler):
    """LocalSite's handler, plus :class:`RawRoute`."""

    def _answer(self, send_body: bool) -> None:
        origin: Origin = self.server.origin
        route = origin.route_for(self.path)
        if not isinstance(route, RawRoute):
            super()._answer(send_body)
            return
        received = ReceivedRequest(self.command, self.path, dict(self.headers.items()), time.time())
        origin.record(received)
        self.close_connection = True
        try:
            self.wfile.write(route.raw)
            self.wfile.flush()
        except OSError:
            return
        received.finished = time.time()
        if route.end == "reset":
            # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.close()


def _ignore_hang_ups(server: Any) -> Callable[[Any, Any], None]:
    """The crawler hanging up on a slow or huge answer is what these routes
    provoke: not worth a traceback on the test's stderr. Anything else is."""
    report = server.handle_error

    def handle_error(request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        report(request, client_address)

    return handle_error


class ChaosSite(LocalSite):
    """A LocalSite whose origins also serve :class:`RawRoute`."""

    def start(self) -> "ChaosSite":
        super().start()
        for origin in self.origins.values():
            server = origin._server
            assert server is not None
            server.RequestHandlerClass = _ChaosHandler  # looked up per connection, so swapping after start is enough
            server.handle_error = _ignore_hang_ups(server)  # type: ignore[method-assign]
        return self


# ---------------------------------------------------------------- answers that change per request
def first_then(first: Route, then: Route) -> Route:
    """``first`` for the first request of the path, ``then`` for every later one."""
    answered: list[float] = []

    def answer(request: ReceivedRequest) -> Route:
        answered.append(request.at)
        return first if len(answered) == 1 else then

    return Route(body=answer)


def _query_int(path: str, name: str) -> int:
    query = path.split("?", 1)[1] if "?" in path else ""
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key == name:
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


def calendar(request: ReceivedRequest) -> Route:
    """An endless calendar: month N links to N+1 and N-1."""
    month = _query_int(request.path, "month")
    return page(f"Calendar month {month}", f"/cal?month={month + 1}", f"/cal?month={month - 1}")


def growing_query(request: ReceivedRequest) -> Route:
    """Each page links to a URL whose query is GROWTH_PER_STEP characters longer."""
    query = request.path.split("?", 1)[1] if "?" in request.path else ""
    step = query.count("&") + 1 if query else 0
    longer = (query + "&" if query else "") + f"p{step}=" + "z" * (GROWTH_PER_STEP - 5)
    return page(f"Growing query step {step}", "/grow?" + longer)


def session_in_path(request: ReceivedRequest) -> Route:
    """Every link carries a fresh ``;jsessionid=``."""
    fresh = time.monotonic_ns() % 10**8
    return page("Session in path", f"/session;jsessionid={fresh:08X}", f"/session;jsessionid={fresh + 1:08X}")


def session_in_query(request: ReceivedRequest) -> Route:
    """Every link carries a fresh ``?sid=`` (and a tracking parameter)."""
    sid = _query_int(request.path, "sid")
    return page("Session in query", f"/shop?sid={sid + 1}", f"/shop?sid={sid + 2}&utm_source=trap")


# ---------------------------------------------------------------- origins by family
def _healthy() -> dict[str, Route]:
    return {
        "/robots.txt": text("User-agent: *\nAllow: /\n"),
        "/": page("Healthy home", "/a", "/b", "/c"),
        **{path: page(f"Healthy {path}") for path in ("/a", "/b", "/c")},
    }


SOFT_404 = (
    "<!DOCTYPE html>\n<html>\n<head><title>Page not found</title></head>\n<body>\n"
    "<h1>Sorry, we could not find that page</h1>\n<p>Try the home page.</p>\n</body>\n</html>\n"
)


def _robots_origins() -> dict[str, dict[str, Route]]:
    noisy = garbage(6000, 1) + b"\nUser-agent: *\nDisallow: /private\n\n" + garbage(6000, 2)
    huge = b"User-agent: *\nDisallow: /private\n" + b"# filler line of a robots.txt that goes on and on\n" * 30_000
    with_private = {"/": page("Home", "/private", "/public"), "/private": page("Private"), "/public": page("Public")}
    return {
        "robots-garbage": {"/robots.txt": Route(200, [("Content-Type", "text/plain")], noisy, template=False), **with_private},
        "robots-binary": {
            "/robots.txt": Route(200, [("Content-Type", "application/octet-stream")], garbage(64_000, 3), template=False),
            "/": page("Home", "/public"),
            "/public": page("Public"),
        },
        "robots-huge": {"/robots.txt": Route(200, [("Content-Type", "text/plain")], huge, template=False), **with_private},
        "robots-html": {"/robots.txt": html(SOFT_404), "/": page("Home", "/public"), "/public": page("Public")},
        "robots-reset": {"/robots.txt": Route(action="reset"), "/": page("Never fetched")},
    }


def _tdmrep_origins() -> dict[str, dict[str, Route]]:
    huge = json.dumps([{"location": "/*", "tdm-reservation": 1}] + [{"location": f"/filler/{n}/*", "tdm-reservation": 0} for n in range(30_000)]).encode()
    well_known = "/.well-known/tdmrep.json"
    return {
        "tdmrep-garbage": {well_known: Route(200, [JSON_TYPE], garbage(4000, 4), template=False), "/": page("TDMRep garbage")},
        "tdmrep-huge": {well_known: Route(200, [JSON_TYPE], huge, template=False), "/": page("TDMRep huge")},
        "tdmrep-html": {well_known: html(SOFT_404), "/": page("TDMRep html")},
        "tdmrep-object": {well_known: Route(200, [JSON_TYPE], json.dumps({"location": "/*", "tdm-reservation": 1})), "/": page("TDMRep object")},
    }


CHARSET_PAGES = (
    "/header-latin1-meta-utf8",
    "/no-charset-utf8",
    "/no-charset-cp1252",
    "/bom-utf8-header-latin1",
    "/bom-utf16-header-utf8",
    "/unknown-charset",
)


def _charsets() -> dict[str, Route]:
    def doc(title: str, head: str = "") -> str:
        return (
            f"<!DOCTYPE html><html><head>{head}<title>{title}</title></head><body><main><h1>{title}</h1>"
            f"<p>{ACCENTED}.</p><p>{PROSE}</p></main></body></html>"
        )

    meta_utf8 = '<meta charset="utf-8">'
    latin1 = [("Content-Type", "text/html; charset=iso-8859-1")]
    return {
        "/": page("Charsets", *CHARSET_PAGES),
        # header says iso-8859-1, meta says utf-8, the bytes are utf-8
        "/header-latin1-meta-utf8": Route(200, latin1, doc("Header latin-1, meta utf-8", meta_utf8).encode("utf-8")),
        # no charset anywhere; the bytes are utf-8, then windows-1252
        "/no-charset-utf8": Route(200, [("Content-Type", "text/html")], doc("No charset, utf-8").encode("utf-8")),
        "/no-charset-cp1252": Route(200, [("Content-Type", "text/html")], doc("No charset, cp1252").encode("cp1252")),
        # a UTF-8 BOM, while header and meta say iso-8859-1
        "/bom-utf8-header-latin1": Route(200, latin1, b"\xef\xbb\xbf" + doc("UTF-8 BOM", '<meta charset="iso-8859-1">').encode("utf-8")),
        # a UTF-16LE BOM, while header and meta say utf-8
        "/bom-utf16-header-utf8": Route(200, [HTML_TYPE], b"\xff\xfe" + doc("UTF-16 BOM", meta_utf8).encode("utf-16-le"), template=False),
        # a charset nobody knows; the bytes are utf-8
        "/unknown-charset": Route(200, [("Content-Type", "text/html; charset=x-chaos-8")], doc("Unknown charset").encode("utf-8")),
    }


SIZE_PAGES = ("/gzip-bomb", "/brotli-bomb", "/too-big", "/too-big-no-length")


def _sizes() -> dict[str, Route]:
    # 16x the limit once decoded; a few kilobytes (gzip) or bytes (brotli) on the wire.
    expanded = b"<html><body><p>" + b" " * (16 * DOWNLOAD_MAXSIZE) + b"</p></body></html>"
    oversized = b"<html><body><p>" + b"big " * (DOWNLOAD_MAXSIZE // 2) + b"</p></body></html>"
    return {
        "/": page("Sizes", *SIZE_PAGES),
        "/gzip-bomb": Route(200, [HTML_TYPE, ("Content-Encoding", "gzip")], gzip.compress(expanded, 9), template=False),
        "/brotli-bomb": Route(200, [HTML_TYPE, ("Content-Encoding", "br")], brotli.compress(expanded, quality=5), template=False),
        "/too-big": Route(200, [HTML_TYPE], oversized, template=False),
        "/too-big-no-length": RawRoute(raw=raw_response("HTTP/1.1 200 OK", [HTML_TYPE], oversized, length=False)),
    }


# path on its own origin (so the timeouts run side by side) -> misbehaviour
SLOW_ORIGINS = {
    "slow-drip": "/drip",  # a body that trickles in far past the timeout
    "slow-hang": "/hang",  # headers, then a body that never comes
    "slow-headers": "/stall",  # no status line until past the timeout
}


def _slow_origins() -> dict[str, dict[str, Route]]:
    routes = {
        "/drip": Route(200, [HTML_TYPE], b"<html><body>" + b"d" * 40_000, drip=0.25, drip_chunk=1024),
        "/hang": Route(200, [HTML_TYPE], b"<html><body>", action="hang"),
        "/stall": Route(200, [HTML_TYPE], "<html></html>", delay=DOWNLOAD_TIMEOUT * 3),
    }
    return {name: {"/": page(f"{name} home", path), path: routes[path]} for name, path in SLOW_ORIGINS.items()}


REDIRECT_CHAIN_LENGTH = REDIRECT_MAX_TIMES + 5


def _redirects() -> dict[str, Route]:
    return {
        "/": page("Redirects", "/loop-a", "/self", "/chain/0"),
        "/loop-a": redirect("/loop-b"),
        "/loop-b": redirect("/loop-a"),
        "/self": redirect("/self", 302),
        **{f"/chain/{n}": redirect(f"/chain/{n + 1}", 302) for n in range(REDIRECT_CHAIN_LENGTH)},
        f"/chain/{REDIRECT_CHAIN_LENGTH}": page("End of the chain"),
    }


def _traps() -> dict[str, Route]:
    return {
        "/": page("Traps", "/cal?month=0", "/grow", "/session;jsessionid=0000AAAA", "/shop?sid=1"),
        "/cal": Route(body=calendar),
        "/grow": Route(body=growing_query),
        "/session*": Route(body=session_in_path),
        "/shop": Route(body=session_in_query),
    }


def _throttled(status: int) -> dict[str, Route]:
    refusal = Route(status, [("Retry-After", str(RETRY_AFTER_SECONDS)), ("Content-Type", "text/plain")], "come back later")
    return {"/": first_then(refusal, page(f"Fine after {status}"))}


STORM_PAGES = tuple(f"/s/{n}" for n in range(6))

NETWORK_PAGES = ("/reset", "/reset-mid-body", "/not-http")


def _resets() -> dict[str, Route]:
    cut = raw_response("HTTP/1.1 200 OK", [HTML_TYPE, ("Content-Length", "50000")], b"<html><body><p>" + b"half " * 200, length=False)
    return {
        "/": page("Resets", *NETWORK_PAGES),
        "/reset": Route(action="reset"),  # RST before any answer
        "/reset-mid-body": RawRoute(raw=cut, end="reset"),  # headers promise 50 kB, RST after 1 kB
        "/not-http": RawRoute(raw=garbage(2000, 5)),  # bytes that are no HTTP response
    }


def _links() -> dict[str, Route]:
    hostile = [raw for raw, _ in HOSTILE_LINKS.values()] + [MALFORMED_ESCAPE_LINK[0], TOO_LONG_LINK, "/redirect-raw-location", "/odd-headers"]
    anchors = "".join(f'<p><a href="{href}">link {n}</a></p>' for n, href in enumerate(hostile))
    odd = page("Odd headers").body
    assert isinstance(odd, str)
    return {
        "/": html(f"<!DOCTYPE html><html><head><title>Hostile links</title></head><body><main><h1>Hostile links</h1><p>{PROSE}</p>{anchors}</main></body></html>"),
        # a Location with a raw space and raw UTF-8 bytes
        "/redirect-raw-location": RawRoute(raw=raw_response("HTTP/1.1 301 Moved Permanently", [("Location", "/moved here/ünï".encode("utf-8"))])),
        # header values with latin-1 and UTF-8 bytes
        "/odd-headers": RawRoute(
            raw=raw_response("HTTP/1.1 200 OK", [HTML_TYPE, ("X-Chaos-Latin1", b"caf\xe9"), ("X-Chaos-Utf8", "ünï".encode("utf-8"))], odd.encode("utf-8"))
        ),
    }


# ---------------------------------------------------------------- markup real pages show
AFTER_HTML_LINKS = tuple(f"/after/{n}" for n in range(12))  # a home page's only links, after </html>
DEEP_LEVELS = 300  # unclosed <span>: past libxml2's default limit of 256
DEEP_TARGETS = ("/deep-target-1", "/deep-target-2")
DEEP_TAIL = "The closing paragraph under three hundred open spans is still part of the page."
RUNAWAY_LEVELS = 3000  # unclosed <font>: past even the lifted limit of 2048
RUNAWAY_TARGET = "/runaway-target"
RUNAWAY_TAIL = "The paragraph under three thousand open font tags is read as well."
CAPPED_TAIL = "Nothing below the cap can be read, and the row says so."
REACT_SENTENCE = "When President Lincoln spoke at the harbour the crowd listened"
MARKUP_PAGES = ("/deep", "/runaway", "/react", "/capped")


def _markup() -> dict[str, Route]:
    def doc(title: str, body: str, after: str = "") -> str:
        return f"<!DOCTYPE html><html><head><title>{title}</title></head><body><main><h1>{title}</h1>{body}</main></body></html>{after}"

    anchors = "".join(f'<a href="{path}">{path}</a> ' for path in (*AFTER_HTML_LINKS, *MARKUP_PAGES))
    react = "".join(
        f"<p>{REACT_SENTENCE.replace(' ', ' <!-- -->', 3)} (part <!-- -->{n}<!-- -->), {PROSE[:160]}</p>" for n in range(3)
    )
    capped = "".join(f"<x-level{n}>" for n in range(50)) * 50  # 2500 levels of 50 names: no runaway name to drop
    return {
        "/": html(doc("Markup home", f"<p>{PROSE}</p>", after=f"<div class='injected-footer'>{anchors}</div>")),
        **{path: page(f"After {path}") for path in AFTER_HTML_LINKS},
        "/deep": html(doc("Deep", f"<p>{PROSE}</p>" + "<span>" * DEEP_LEVELS + f"<p>{DEEP_TAIL} {PROSE}</p>" + "".join(f'<a href="{t}">{t}</a>' for t in DEEP_TARGETS))),
        **{path: page(f"Deep target {path}") for path in DEEP_TARGETS},
        "/runaway": html(doc("Runaway", f"<p>{PROSE}</p>" + "<font size='2'>" * RUNAWAY_LEVELS + f"<p>{RUNAWAY_TAIL} {PROSE}</p><a href='{RUNAWAY_TARGET}'>t</a>")),
        RUNAWAY_TARGET: page("Runaway target"),
        "/react": html(doc("React", react)),
        "/capped": html(doc("Capped", f"<p>{PROSE}</p>" + capped + f"<p>{CAPPED_TAIL}</p>")),
    }


MEDIA_BY_HEADER = {"/doc.pdf": "application/pdf", "/image.png": "image/png", "/data.json": "application/json"}


def _media() -> dict[str, Route]:
    return {
        "/": page("Media", *MEDIA_BY_HEADER, "/pdf-labelled-html", "/untyped"),
        "/doc.pdf": Route(200, [("Content-Type", "application/pdf")], b"%PDF-1.4\n" + garbage(20_000, 6), template=False),
        "/image.png": Route(200, [("Content-Type", "image/png")], b"\x89PNG\r\n\x1a\n" + garbage(20_000, 7), template=False),
        "/data.json": Route(200, [JSON_TYPE], json.dumps({"rows": list(range(100))})),
        "/pdf-labelled-html": Route(200, [("Content-Type", "text/html")], b"%PDF-1.4\n" + garbage(20_000, 8), template=False),
        "/untyped": Route(200, [], b"\x89PNG\r\n\x1a\n" + garbage(20_000, 9), template=False),
    }


def build_chaos_site() -> ChaosSite:
    """Every origin of the chaos site, not started."""
    routes: dict[str, dict[str, Route]] = {
        "healthy": _healthy(),
        **_robots_origins(),
        **_tdmrep_origins(),
        "charsets": _charsets(),
        "sizes": _sizes(),
        **_slow_origins(),
        "redirects": _redirects(),
        "traps": _traps(),
        "throttle-429": _throttled(429),
        "throttle-503": _throttled(503),
        "storm": {"/": page("Storm", *STORM_PAGES), "/s/*": Route(500, [HTML_TYPE], "<h1>Internal Server Error</h1>")},
        "resets": _resets(),
        "links": _links(),
        "media": _media(),
        "markup": _markup(),
    }
    origins = [Origin(name, table) for name, table in routes.items()]
    for origin in origins:
        if origin.name == "links":
            origin.default = page("Linked page")  # every hostile link lands on a page
    return ChaosSite(origins)


def refused_url() -> str:
    """A URL on a loopback port nobody listens on."""
    return f"http://127.0.0.1:{free_port()}/"


def unresolvable_url() -> str:
    return f"http://{UNRESOLVABLE_HOST}/"


def crawl_arguments() -> list[str]:
    """CLI arguments (besides seeds and --out) that keep the chaos crawl bounded."""
    settings = {
        "DOWNLOAD_TIMEOUT": DOWNLOAD_TIMEOUT,
        "DOWNLOAD_MAXSIZE": DOWNLOAD_MAXSIZE,
        "DOWNLOAD_WARNSIZE": DOWNLOAD_MAXSIZE,
        "RETRY_TIMES": RETRY_TIMES,
        "REDIRECT_MAX_TIMES": REDIRECT_MAX_TIMES,
        "URLLENGTH_LIMIT": URL_LENGTH_LIMIT,
    }
    return [
        *(arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")),
        "--max-depth", str(MAX_DEPTH),
        "--max-pages", str(MAX_PAGES),
        "--allowed-domains", "127.0.0.1", UNRESOLVABLE_HOST,
    ]


# ---------------------------------------------------------------- a trap against a small page budget
FAN_OUT = 30  # fresh links on every page of the fan-out trap
DEEP_PAGES = ("/", "/1", "/2", "/3", "/4")  # a chain: each page found only on the one before


def page_cap_origins() -> dict[str, dict[str, Route]]:
    """A trap whose every page links to FAN_OUT new pages, and a well-behaved
    origin whose pages are found one link deep at a time."""
    numbers = iter(range(10**9))

    def fan_out(request: ReceivedRequest) -> Route:
        return page("Fan out", *(f"/fan/{next(numbers)}" for _ in range(FAN_OUT)))

    deep = {path: page(f"Deep {path}", *DEEP_PAGES[index + 1 : index + 2]) for index, path in enumerate(DEEP_PAGES)}
    return {"fan-out": {"/": Route(body=fan_out), "/fan/*": Route(body=fan_out)}, "deep": deep}
