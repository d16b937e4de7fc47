"""What must hold between the bytes of a page and what tdmcrawl reads from it.

Owns the two invariants the real-page check (``benchmarks.realpages_check``)
and the pattern fixtures of the test suite assert:

1. **links**: the links we read are a superset of the links an HTML5-conformant
   parser (lexbor, through selectolax: a test dependency, used here only) finds
   in the same decoded text, both normalised by the same
   :func:`crawler.page.resolve_links`, so that a difference can only come from
   the tree;
2. **text**: our text equals trafilatura's on the raw bytes with the same
   options, or the difference is explained: each known cause of a difference
   (charset decided from the HTTP header or ``<meta>``, content after
   ``</html>``, nesting deeper than libxml2's default 256 levels, runaway
   nesting flattened) is detected, and trafilatura run on the markup we parsed
   (decoded and repaired the way we do, depth limit lifted, comments removed as
   its own parser does) must then give exactly our text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import lxml.html

from crawler.htmltree import parse_html
from crawler.page import ExtractOptions, decode, parse_page, resolve_links, trafilatura_arguments

__all__ = ["PageCheck", "check_page", "html5_links", "direct_text"]

EXPLAIN_CHARSET = "charset: decoded as {ours} (HTTP header, BOM or <meta>), trafilatura guessed {theirs}"
EXPLAIN_DEEP = "nesting deeper than 256 levels: trafilatura's own parse stops there, ours goes on"


@dataclass
class PageCheck:
    url: str
    links: tuple[str, ...] = ()
    html5_links: tuple[str, ...] = ()
    text: str = ""
    direct_text: str = ""
    explanations: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def missing_links(self) -> list[str]:
        return sorted(set(self.html5_links) - set(self.links))

    @property
    def ok(self) -> bool:
        return not self.failures


def html5_links(body: bytes, *, url: str, content_type: str | None) -> tuple[str, ...]:
    """The links an HTML5 tree of the same decoded text holds, read with our rules."""
    from selectolax.lexbor import LexborHTMLParser

    _, text = decode(body, content_type)
    document = LexborHTMLParser(text)
    base = document.css_first("base[href]")
    candidates: list[tuple[str, bool]] = []
    for node in document.css("a, area, iframe, frame"):
        attributes = node.attributes
        if node.tag in ("iframe", "frame"):
            href, nofollow = attributes.get("src"), False
        else:
            href = attributes.get("href") or attributes.get("xlink:href")
            nofollow = "nofollow" in (attributes.get("rel") or "").lower().split()
        if href:
            candidates.append((href, nofollow))
    return resolve_links(candidates, url, base.attributes.get("href") if base is not None else None)


def direct_text(body: bytes | str, *, url: str, options: ExtractOptions = ExtractOptions()) -> str:
    """trafilatura called on the page itself, with our options."""
    import trafilatura

    return trafilatura.extract(body, **trafilatura_arguments(url, options)) or ""


def _reference_text(source: str, *, url: str, options: ExtractOptions) -> str:
    """trafilatura on the markup we parsed, parsed as trafilatura parses it but
    with the depth limit lifted."""
    import trafilatura

    parser = lxml.html.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True)
    tree = lxml.html.document_fromstring(source.encode("utf-8", "surrogatepass"), parser=parser)
    return trafilatura.extract(tree, **trafilatura_arguments(url, options)) or ""


def _trafilatura_decoding(body: bytes) -> str:
    from trafilatura.utils import decode_file

    return decode_file(body)


def _deeper_than_default(source: str) -> bool:
    parser = lxml.html.HTMLParser(encoding="utf-8", collect_ids=False)
    lxml.html.document_fromstring(source.encode("utf-8", "surrogatepass"), parser=parser)
    return any("excessive depth" in entry.message.lower() for entry in parser.error_log)


def check_page(body: bytes, *, url: str, content_type: str | None = "text/html", options: ExtractOptions = ExtractOptions()) -> PageCheck:
    page = parse_page(body, url=url, content_type=content_type, options=options)
    check = PageCheck(url, links=page.links, html5_links=html5_links(body, url=url, content_type=content_type), text=page.text)
    if check.missing_links:
        check.failures.append(f"{len(check.missing_links)} links an HTML5 parser finds are not read: {check.missing_links[:5]}")
    check.direct_text = direct_text(body, url=url, options=options)
    if check.text == check.direct_text:
        return check
    charset, decoded = decode(body, content_type)
    theirs = _trafilatura_decoding(body)
    if theirs != decoded:
        check.explanations.append(EXPLAIN_CHARSET.format(ours=charset, theirs="another charset"))
    try:
        parsed = parse_html(decoded)
    except (ValueError, lxml.etree.ParserError) as exc:
        check.failures.append(f"text differs from trafilatura's and the page does not parse: {exc}")
        return check
    check.explanations.extend(parsed.repairs)
    if parsed.lost:
        check.explanations.append(parsed.lost)
    if _deeper_than_default(decoded):
        check.explanations.append(EXPLAIN_DEEP)
    if not check.explanations:
        check.failures.append("text differs from trafilatura's on the raw page, with no known cause")
    elif _reference_text(parsed.source, url=url, options=options) != check.text:
        check.failures.append(f"text differs from trafilatura's beyond what is explained ({'; '.join(check.explanations)})")
    return check
