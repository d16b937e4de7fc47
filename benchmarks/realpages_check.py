"""The real-page invariant check: what we read from each real page holds
everything an HTML5 parser and trafilatura see in it.

    python -m benchmarks.realpages_check [FOLDER] [--verbose]

For every page of FOLDER (default ``../shared/realpages``; ``html/*.html.gz``,
the pages never go into this repository) runs
:func:`benchmarks.invariants.check_page`: the links we read are a superset of
lexbor's (an HTML5-conformant parser), and the text we extract equals
trafilatura's on the raw bytes with the same options, or the difference is
explained. Prints what it found (pages whose text differs and why, links we
read that the HTML5 tree does not hold) and exits 1 when an invariant fails.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from pathlib import Path

from benchmarks.invariants import check_page
from benchmarks.realpages import DEFAULT_FOLDER


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="invariants of tdmcrawl's parsing over real pages")
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--verbose", action="store_true", help="print every page that differs in any way")
    args = parser.parse_args(argv)
    html = sorted((args.folder / "html").glob("*.html.gz"))
    if not html:
        print(f"no pages under {args.folder / 'html'}", file=sys.stderr)
        return 2
    truth_path = args.folder / "ground-truth.json.gz"
    urls = {k: v.get("url") for k, v in json.loads(gzip.decompress(truth_path.read_bytes())).items()} if truth_path.exists() else {}
    failed, explained, extra_links, counts = 0, Counter(), Counter(), Counter()
    for path in html:
        page_id = path.name.split(".")[0]
        url = urls.get(page_id) or f"http://127.0.0.1/{page_id}.html"
        check = check_page(gzip.decompress(path.read_bytes()), url=url, content_type="text/html; charset=utf-8")
        counts["links"] += len(check.links)
        counts["html5_links"] += len(check.html5_links)
        extra = set(check.links) - set(check.html5_links)
        if extra:
            extra_links[page_id] = len(extra)
        if check.text == check.direct_text:
            counts["identical_text"] += 1
        for why in check.explanations:
            explained[why] += 1
        if not check.ok:
            failed += 1
            print(f"FAIL {page_id[:16]} {url}: {' | '.join(check.failures)}")
        elif args.verbose and (extra or check.explanations):
            print(f"     {page_id[:16]} {url}: {len(extra)} links beyond HTML5's; {' | '.join(check.explanations) or 'same text'}")
    print(f"{len(html)} pages: links read {counts['links']}, links in the HTML5 tree {counts['html5_links']}, none missing on {len(html) - failed} pages")
    print(f"text identical to trafilatura on the raw page: {counts['identical_text']}/{len(html)}")
    for why, n in explained.most_common():
        print(f"  differs, explained ({n} pages): {why}")
    if extra_links:
        print(f"pages where we read links the HTML5 tree does not hold: {len(extra_links)} ({sum(extra_links.values())} links; libxml2 parses <template> content and some markup lexbor keeps as text)")
    print(f"invariants: {'hold' if not failed else f'FAILED on {failed} pages'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
