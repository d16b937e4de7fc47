"""Parse a page once and read everything from that one tree.

Owns decoding (declared and sniffed charsets), the single lxml parse, and what
is read from it: links to follow, meta tags (rights signals), title, declared
language, licence declarations, the main text (trafilatura, which accepts the
parsed tree) and the language of that text. Runs in worker processes; must not
import Scrapy. Never raises on a malformed page: it reports ``parse_error``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Sequence
from urllib.parse import urljoin, urldefrag

import lxml.etree
import lxml.html
from w3lib.encoding import html_to_unicode

from crawler.htmltree import parse_html, strip_comments
from crawler.rights.licence import LicenceResult, detect_licences
from crawler.urls import is_crawlable_url, safe_url

MAX_LINKS = 5000
MAX_ANCHORS = 4 * MAX_LINKS  # anchors examined per page: a page of 10^6 links costs no more than this
MAX_EXTRACT_BYTES = 5 * 1024 * 1024  # text is not extracted from bigger pages (trafilatura takes minutes on them)
LANGUAGE_SAMPLE = 2000  # characters: enough for a reliable guess, half the cost
_WORD = re.compile(r"\w+", re.UNICODE)
_NOT_LINKS = ("javascript:", "mailto:", "tel:", "data:", "#", "ftp:", "about:", "file:")

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class ExtractOptions:
    """The extractor and its settings, recorded with every document.

    ``extractor`` is one of :data:`EXTRACTORS`; the trafilatura fields apply
    to trafilatura only."""

    extract_text: bool = True
    extractor: str = "trafilatura"
    fast: bool = False
    favor_precision: bool = False
    favor_recall: bool = False
    include_tables: bool = True
    include_comments: bool = False
    deduplicate: bool = False

    def as_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


# Measured on the 181 real pages of ../shared/realpages (token F1 against their
# ground truth; CPU per page on one core): `python -m benchmarks.realpages --extractors`.
EXTRACTORS = ("trafilatura", "resiliparse")


@lru_cache(maxsize=4)
def extractor_version(extractor: str = "trafilatura") -> str:
    if extractor == "resiliparse":
        from importlib.metadata import version

        return f"resiliparse {version('resiliparse')}"
    import trafilatura

    return f"trafilatura {trafilatura.__version__}"


@dataclass(frozen=True)
class ParsedPage:
    charset: str | None
    title: str | None
    language_declared: str | None
    metas: tuple[tuple[str, str], ...]
    links: tuple[str, ...]
    text: str
    language: str | None
    language_score: float | None
    word_count: int
    text_sha256: str
    licence: LicenceResult | None
    parse_error: str | None = None
    extracted: bool = True
    timings: dict[str, float] = field(default_factory=dict)
    repairs: tuple[str, ...] = ()  # what the parse did so that nothing is lost (crawler.htmltree), and caps that left links unread
    lost: str | None = None  # what the parse could still not keep; the row says so in content_truncated


def _guess_charset(body: bytes) -> str:
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"  # what browsers fall back to for undeclared Western pages


def decode(body: bytes, content_type: str | None) -> tuple[str, str]:
    """(charset, text): BOM, then the Content-Type charset, then <meta charset>,
    then a UTF-8 / cp1252 guess (w3lib's browser-like order)."""
    encoding, text = html_to_unicode(content_type or "", body, auto_detect_fun=_guess_charset)
    return encoding, text


def parse_tree(text: str) -> lxml.html.HtmlElement:
    """The tree of decoded HTML, as :func:`crawler.htmltree.parse_html` builds it."""
    return parse_html(text).tree


def read_metas(tree: lxml.html.HtmlElement) -> tuple[tuple[str, str], ...]:
    metas = []
    for meta in tree.iter("meta"):
        name = meta.get("name") or meta.get("http-equiv") or meta.get("property")
        content = meta.get("content")
        if name and content is not None:
            metas.append((name.strip().lower(), content))
    return tuple(metas[:500])


_XLINK_HREF = "xlink:href"  # SVG links, as libxml2's HTML parser names the attribute


LINKS_CAPPED = f"more than {MAX_LINKS} links or {MAX_ANCHORS} anchors: the rest of the page's links were not followed"


def link_candidates(tree: lxml.html.HtmlElement) -> tuple[str | None, list[tuple[str, bool]], bool]:
    """(``<base href>``, [(href, nofollow)], capped) in document order: ``<a>``
    and ``<area>`` hrefs (SVG ``xlink:href`` too) and ``<iframe>``/``<frame>``
    sources, which a browser loads as pages of their own; ``capped`` when the
    page has more than MAX_ANCHORS of them."""
    base_element = next((b for b in tree.iter("base") if b.get("href")), None)
    candidates = []
    capped = False
    for examined, element in enumerate(tree.iter("a", "area", "iframe", "frame")):
        if examined >= MAX_ANCHORS:
            capped = True
            break
        if element.tag in ("iframe", "frame"):
            href, nofollow = element.get("src"), False
        else:
            href = element.get("href") or element.get(_XLINK_HREF)
            nofollow = "nofollow" in (element.get("rel") or "").lower().split()
        if href:
            candidates.append((href, nofollow))
    return (base_element.get("href") if base_element is not None else None), candidates, capped


def read_links(tree: lxml.html.HtmlElement, base_url: str) -> tuple[tuple[str, ...], bool]:
    """(links, capped): absolute, fragment-free, percent-encoded http(s) links,
    in document order, de-duplicated; links marked ``rel=nofollow`` are not
    followed; ``capped`` when a cap left some of the page's links unread."""
    base_href, candidates, capped = link_candidates(tree)
    links = resolve_links(candidates, base_url, base_href)
    return links, capped or len(links) >= MAX_LINKS


def resolve_links(candidates: Sequence[tuple[str, bool]], base_url: str, base_href: str | None) -> tuple[str, ...]:
    """The links to follow from raw (href, nofollow) pairs, resolved against
    ``<base href>`` when the page has one (else the page URL)."""
    base = base_url
    if base_href:
        try:
            base = urljoin(base_url, base_href.strip())
        except ValueError:  # a broken <base href>: links resolve against the page URL
            base = base_url
    seen: dict[str, None] = {}
    raw_seen: set[str] = set()
    for href, nofollow in candidates:
        href = href.strip()
        if not href or href in raw_seen or href.lower().startswith(_NOT_LINKS):
            continue
        raw_seen.add(href)
        if nofollow:
            continue
        if href.startswith(("http://", "https://", "//")) or (href.startswith("/") and base is base_url):
            # The same menu and footer links recur on every page of a site: resolve them once.
            absolute = _resolve_site_link(_origin_prefix(base_url), href)
        else:
            absolute = _resolve_link(base, href)
        if absolute is not None:
            seen.setdefault(absolute, None)
            if len(seen) >= MAX_LINKS:
                break
    return tuple(seen)


def _resolve_link(base: str, href: str) -> str | None:
    try:
        absolute = safe_url(urldefrag(urljoin(base, href))[0])
    except ValueError:
        return None
    return absolute if is_crawlable_url(absolute) else None


@lru_cache(maxsize=65536)
def _resolve_site_link(origin: str, href: str) -> str | None:
    return _resolve_link(origin + "/", href)


def _origin_prefix(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


@lru_cache(maxsize=1)
def _language_identifier():  # type: ignore[no-untyped-def]
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def count_words(text: str) -> int:
    """Words in a text (Unicode word characters): the ``word_count`` column."""
    return len(_WORD.findall(text))


def identify_language(text: str) -> tuple[str | None, float | None]:
    sample = text[:LANGUAGE_SAMPLE].strip()
    if len(_WORD.findall(sample)) < 3:
        return None, None
    language, score = _language_identifier().classify(sample)
    if not language:
        return None, None
    return language, round(float(score), 4)


def trafilatura_arguments(url: str, options: ExtractOptions) -> dict[str, object]:
    """The keyword arguments of every ``trafilatura.extract`` call we make
    (the benchmark calls trafilatura directly with exactly these)."""
    return {
        "url": url,
        "output_format": "txt",
        "fast": options.fast,
        "favor_precision": options.favor_precision,
        "favor_recall": options.favor_recall,
        "include_tables": options.include_tables,
        "include_comments": options.include_comments,
        "deduplicate": options.deduplicate,
        "with_metadata": False,
    }


def extract_text(tree: lxml.html.HtmlElement, url: str, options: ExtractOptions, html: str | None = None) -> str:
    if options.extractor == "resiliparse":
        return _resiliparse_text(html if html is not None else lxml.html.tostring(tree, encoding="unicode"))
    import trafilatura

    return trafilatura.extract(tree, **trafilatura_arguments(url, options)) or ""


def _resiliparse_text(html: str) -> str:
    """Main content as DCLM extracts it (resiliparse's main-content rules), plain text."""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse(html)
    return extract_plain_text(tree, main_content=True, alt_texts=False, links=False, list_bullets=False, form_fields=False, noscript=False).strip()


def warm_up() -> None:
    """Load what the first page would otherwise pay for (language model, extractor)."""
    identify_language("A few words in English to load the language model.")
    parse_page(b"<html><body><main><p>Warm up text for the extractor, two sentences long. Nothing else.</p></main></body></html>", url="http://warm-up.invalid/", content_type="text/html")


def parse_page(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    headers: Sequence[tuple[str, str]] = (),
    options: ExtractOptions = ExtractOptions(),
) -> ParsedPage:
    charset, text = decode(body, content_type)
    try:
        parsed_html = parse_html(text)
    except (lxml.etree.ParserError, ValueError) as exc:
        return ParsedPage(charset, None, None, (), (), "", None, None, 0, hashlib.sha256(b"").hexdigest(), None, f"unparseable HTML: {exc}")
    tree = parsed_html.tree
    title_element = next(tree.iter("title"), None)
    title = " ".join((title_element.text_content() if title_element is not None else "").split())[:1000] or None
    html_element = tree if tree.tag == "html" else tree.getroottree().getroot()
    declared = (html_element.get("lang") or html_element.get("{http://www.w3.org/XML/1998/namespace}lang") or "").strip()
    metas = read_metas(tree)
    if not declared:
        declared = next((content for name, content in metas if name == "content-language"), "").strip()
    links, links_capped = read_links(tree, url)
    licence = detect_licences(tree, base_url=url, headers=headers)
    extract = options.extract_text and len(body) <= MAX_EXTRACT_BYTES
    if extract and parsed_html.has_comments:
        # After the licence reading (it reads licences left in comments): React's
        # <!-- --> separators would end each paragraph at the first one.
        strip_comments(tree)
    page_text = extract_text(tree, url, options, html=text) if extract else ""
    language, score = identify_language(page_text) if page_text else (None, None)
    return ParsedPage(
        charset=charset,
        title=title,
        language_declared=declared[:35] or None,
        metas=metas,
        links=links,
        text=page_text,
        language=language,
        language_score=score,
        word_count=count_words(page_text),
        text_sha256=hashlib.sha256(page_text.encode("utf-8")).hexdigest(),
        licence=licence,
        extracted=extract,
        repairs=parsed_html.repairs + ((LINKS_CAPPED,) if links_capped else ()),
        lost=parsed_html.lost,
    )


def sniff_media_type(body: bytes, declared: str | None) -> str:
    """The payload type from the bytes, independent of the header
    (WARC-Identified-Payload-Type): bare, no parameters."""
    head = body[:1024].lstrip().lower()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in head[:512]:
        return "text/html"
    if head.startswith(b"<?xml"):
        return "application/xhtml+xml" if b"xhtml" in head else "application/xml"
    if head.startswith(b"%pdf"):
        return "application/pdf"
    if head.startswith((b"{", b"[")):
        return "application/json"
    if head.startswith(b"\x89png"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if declared in HTML_TYPES and (b"<" in head):
        return declared
    return declared or "application/octet-stream"
