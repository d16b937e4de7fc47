"""The quality benchmark: real article pages, crawled, scored against their ground truth.

    python -m benchmarks.realpages [FOLDER] [--origins 4] [--show 10] [--json FILE]

FOLDER holds the Scrapinghub article-extraction benchmark's pages
(``html/<id>.html.gz``) and ``ground-truth.json.gz`` (default
``../shared/realpages``; the pages never go into this repository). They are
served from memory over ``--origins`` origins on 127.0.0.1 (each with a
robots.txt and an index page linking to its share of the pages), crawled with
``tdmcrawl crawl --max-depth 1``, and each stored text is scored against the
ground-truth article body with the benchmark's own metric (token 4-gram
shingles, per-page normalised; :func:`shingle_scores`), beside trafilatura
called directly on the same bytes with the same options. Prints precision,
recall and F1 of both, the pages whose F1 differs most from the direct call,
and exits 1 when a target is missed: every page stored, tdmcrawl's F1 at least
the direct call's, no page more than ``--tolerance`` (0.02) below its direct call.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benchmarks.server import _response, _serve_connection

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FOLDER = REPO.parent / "shared" / "realpages"
LOOPBACK = "127.0.0.1"
TOLERANCE = 0.02

# ---------------------------------------------------------------- the benchmark's metric
# Reproduces evaluate.py of scrapinghub/article-extraction-benchmark: \w+ tokens,
# 4-token shingles counted with multiplicity, TP/FP/FN normalised per page;
# precision and recall are averaged over pages, F1 is taken from the averages.
_TOKEN = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)
SHINGLE = 4


def _shingles(text: str) -> Counter:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1)) if tokens[i : i + SHINGLE])


def shingle_scores(true: str, predicted: str) -> tuple[float, float, float]:
    """(tp, fp, fn) of one page, normalised so that they sum to 1."""
    truth, guess = _shingles(true), _shingles(predicted)
    tp = fp = fn = 0.0
    for key in truth.keys() | guess.keys():
        t, p = truth.get(key, 0), guess.get(key, 0)
        tp += min(t, p)
        fp += max(0, p - t)
        fn += max(0, t - p)
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (tp, fp, fn)


def precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    mean_page_f1: float


def overall(per_page: list[tuple[float, float, float]]) -> Scores:
    p = statistics.mean(precision(*s) for s in per_page if s[0] + s[1] > 0)
    r = statistics.mean(recall(*s) for s in per_page if s[0] + s[2] > 0)
    return Scores(p, r, f1(p, r), statistics.mean(page_f1(s) for s in per_page))


def page_f1(scores: tuple[float, float, float]) -> float:
    return f1(precision(*scores), recall(*scores))


# ---------------------------------------------------------------- the pages and their server
@dataclass(frozen=True)
class RealPage:
    id: str
    body: bytes
    truth: str
    original_url: str


def load_pages(folder: Path) -> list[RealPage]:
    truth = json.loads(gzip.decompress((folder / "ground-truth.json.gz").read_bytes()))
    pages = []
    for path in sorted((folder / "html").glob("*.html.gz")):
        page_id = path.name.split(".")[0]
        entry = truth[page_id]
        pages.append(RealPage(page_id, gzip.decompress(path.read_bytes()), entry.get("articleBody") or "", entry.get("url") or ""))
    return pages


class PageServer:
    """The pages over ``origins`` loopback origins, from memory, in a thread."""

    def __init__(self, pages: list[RealPage], origins: int):
        self.sockets = []
        for _ in range(max(1, origins)):
            sock = socket.socket()
            sock.bind((LOOPBACK, 0))
            self.sockets.append(sock)
        self.bases = [f"http://{LOOPBACK}:{s.getsockname()[1]}" for s in self.sockets]
        self.url_of: dict[str, str] = {}
        self.routes: list[dict[str, bytes]] = [{"/robots.txt": _response(200, "text/plain", b"User-agent: *\nAllow: /\n")} for _ in self.sockets]
        shares: list[list[str]] = [[] for _ in self.sockets]
        for index, page in enumerate(pages):
            origin = index % len(self.sockets)
            path = f"/article/{page.id}.html"
            self.routes[origin][path] = _response(200, "text/html; charset=utf-8", page.body)
            self.url_of[page.id] = self.bases[origin] + path
            shares[origin].append(path)
        for origin, paths in enumerate(shares):
            links = "".join(f'<li><a href="{p}">{p}</a></li>' for p in paths)
            self.routes[origin]["/"] = _response(200, "text/html; charset=utf-8", f"<!DOCTYPE html><html><head><title>Index</title></head><body><ul>{links}</ul></body></html>".encode())
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def start() -> None:
            for sock, routes in zip(self.sockets, self.routes):
                await asyncio.start_server(lambda r, w, routes=routes: _serve_connection(routes, r, w), sock=sock)

        self.loop.run_until_complete(start())
        self.loop.run_forever()

    def __enter__(self) -> "PageServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


# ---------------------------------------------------------------- the crawl and the comparison
def crawl(seeds: list[str], out: Path) -> subprocess.CompletedProcess:
    command = [
        sys.executable, "-m", "crawler.commands.main", "crawl", *seeds, "--out", str(out), "--quiet", "--max-depth", "1",
        "--settings", "settings.benchmark", "-s", "TDMCRAWL_SUMMARY=False",
    ]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=1800)


def read_documents(out: Path) -> list[dict]:
    import pyarrow.parquet as pq

    rows: list[dict] = []
    for path in sorted((out / "data" / "documents").glob("*.parquet")):
        rows.extend(pq.read_table(path, columns=["url", "text", "extractor_options", "content_truncated", "parse_notes"]).to_pylist())
    return rows


@dataclass
class Compared:
    page: RealPage
    url: str
    stored: bool
    ours: tuple[float, float, float]
    direct: tuple[float, float, float]
    same_text: bool
    notes: list[str]

    @property
    def difference(self) -> float:
        return page_f1(self.ours) - page_f1(self.direct)


def compare(pages: list[RealPage], url_of: dict[str, str], documents: list[dict]) -> list[Compared]:
    from benchmarks.invariants import direct_text
    from crawler.page import ExtractOptions

    by_url = {row["url"]: row for row in documents}
    compared = []
    for page in pages:
        url = url_of[page.id]
        row = by_url.get(url)
        options = ExtractOptions(**json.loads(row["extractor_options"])) if row else ExtractOptions()
        ours = (row or {}).get("text") or ""
        direct = direct_text(page.body, url=url, options=options)
        notes = list((row or {}).get("parse_notes") or []) + ([f"content_truncated={row['content_truncated']}"] if row and row.get("content_truncated") else [])
        compared.append(Compared(page, url, row is not None, shingle_scores(page.truth, ours), shingle_scores(page.truth, direct), ours == direct, notes))
    return compared


def report(compared: list[Compared], show: int, tolerance: float) -> tuple[list[str], dict]:
    ours, direct = overall([c.ours for c in compared]), overall([c.direct for c in compared])
    stored = sum(c.stored for c in compared)
    lines = [
        f"{'':<22}{'precision':>10}{'recall':>10}{'F1':>10}{'mean page F1':>14}",
        *(f"{name:<22}{s.precision:>10.4f}{s.recall:>10.4f}{s.f1:>10.4f}{s.mean_page_f1:>14.4f}" for name, s in (("tdmcrawl", ours), ("trafilatura direct", direct))),
        f"pages stored: {stored}/{len(compared)}; text identical to the direct call: {sum(c.same_text for c in compared)}/{len(compared)}",
        "pages whose F1 differs most from the direct call (tdmcrawl - direct):",
    ]
    for c in sorted(compared, key=lambda c: (-abs(c.difference), c.page.id))[:show]:
        lines.append(f"  {c.difference:+.4f}  ours {page_f1(c.ours):.4f}  direct {page_f1(c.direct):.4f}  {c.page.id[:16]}  {c.page.original_url[:70]}  {'; '.join(c.notes)}")
    below = [c for c in compared if c.difference < -tolerance]
    missed = []
    if stored != len(compared):
        missed.append(f"{len(compared) - stored} pages not stored: {[c.page.id[:16] for c in compared if not c.stored][:10]}")
    if ours.f1 < direct.f1:
        missed.append(f"tdmcrawl F1 {ours.f1:.4f} below the direct call's {direct.f1:.4f}")
    if below:
        missed.append(f"{len(below)} pages more than {tolerance} below their direct call: {[c.page.id[:16] for c in below][:10]}")
    lines.append("targets: " + ("met" if not missed else "MISSED: " + " | ".join(missed)))
    summary = {
        "pages": len(compared), "stored": stored, "identical_text": sum(c.same_text for c in compared),
        "tdmcrawl": ours.__dict__, "direct": direct.__dict__, "missed": missed,
        "pages_detail": [{"id": c.page.id, "url": c.page.original_url, "ours_f1": page_f1(c.ours), "direct_f1": page_f1(c.direct), "notes": c.notes} for c in compared],
    }
    return lines, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="tdmcrawl extraction quality on real pages (loopback only)")
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER, help=f"the realpages folder (default {DEFAULT_FOLDER})")
    parser.add_argument("--origins", type=int, default=4, help="loopback origins to spread the pages over")
    parser.add_argument("--show", type=int, default=10, help="pages that differ most to print")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE)
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the scores as JSON")
    args = parser.parse_args(argv)
    if not (args.folder / "ground-truth.json.gz").exists():
        print(f"no realpages folder at {args.folder}", file=sys.stderr)
        return 2
    pages = load_pages(args.folder)
    with tempfile.TemporaryDirectory(prefix="tdmcrawl-realpages-") as work, PageServer(pages, args.origins) as server:
        done = crawl([base + "/" for base in server.bases], Path(work) / "out")
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
        documents = read_documents(Path(work) / "out")
    print(f"realpages: {len(pages)} pages from {args.folder}, served over {len(server.bases)} origins on {LOOPBACK}, crawled with tdmcrawl (exit {done.returncode})")
    lines, summary = report(compare(pages, server.url_of, documents), args.show, args.tolerance)
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return 0 if done.returncode == 0 and not summary["missed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
