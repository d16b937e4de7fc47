"""Licence declarations of a page, found in its markup and headers, with evidence.

Owns where licences are declared (``rel=license`` on link/a/area/form, CC RDFa,
JSON-LD ``license``, Dublin Core / dcterms, ``Link: rel=license`` headers,
badge images, and licence sentences in a header or footer), which of them apply
to the page rather than to an embedded image, a download, a comment or a theme,
how Creative Commons and other licence URLs map to SPDX identifiers
(``LicenseRef-…`` where SPDX has none, never silently the unported id), and
which licence is chosen when a page declares several (the most restrictive).

Works on a tree the page parser already built (lxml.html). No Scrapy import,
no I/O, never raises on a malformed page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

from .evidence import Evidence, HeaderPairs, clean_evidence_text, header_values

MAX_CANDIDATES = 50
MAX_JSONLD_BYTES = 512 * 1024
SNIPPET = 240

_CC_HOSTS = ("creativecommons.org", "licensebuttons.net", "i.creativecommons.org", "mirrors.creativecommons.org")
_CC_TYPES = {"by", "by-sa", "by-nd", "by-nc", "by-nc-sa", "by-nc-nd"}
_CC_VERSIONS = {"1.0", "2.0", "2.1", "2.5", "3.0", "4.0"}
# Ported licences that have an SPDX identifier (SPDX License List 3.29).
_SPDX_PORTS = {
    "by": {("2.5", "au"), ("3.0", "at"), ("3.0", "au"), ("3.0", "de"), ("3.0", "igo"), ("3.0", "nl"), ("3.0", "us")},
    "by-nc": {("3.0", "de"), ("3.0", "igo")},
    "by-nc-nd": {("3.0", "de"), ("3.0", "igo")},
    "by-nc-sa": {("2.0", "de"), ("2.0", "fr"), ("2.0", "uk"), ("3.0", "de"), ("3.0", "igo")},
    "by-nd": {("3.0", "de")},
    "by-sa": {("2.0", "uk"), ("2.1", "jp"), ("3.0", "at"), ("3.0", "de"), ("3.0", "igo")},
}
_ONE_ZERO_ONLY = {"sa": "CC-SA-1.0", "nc": "LicenseRef-cc-nc-1.0", "nd": "LicenseRef-cc-nd-1.0", "nc-sa": "LicenseRef-cc-nc-sa-1.0", "nd-nc": "LicenseRef-cc-nd-nc-1.0"}
_OTHER_LICENCES = [
    (re.compile(r"^opensource\.org/licenses?/mit(-license)?(\.php|\.html)?$"), "MIT"),
    (re.compile(r"^(www\.)?apache\.org/licenses/license-2\.0(\.html|\.txt)?$"), "Apache-2.0"),
    (re.compile(r"^(www\.)?gnu\.org/licenses/gpl-3\.0(\.[a-z]{2})?(\.html|\.txt)?$"), "GPL-3.0-only"),
    (re.compile(r"^(www\.)?gnu\.org/licenses/old-licenses/gpl-2\.0(\.[a-z]{2})?(\.html|\.txt)?$"), "GPL-2.0-only"),
    (re.compile(r"^(www\.)?gnu\.org/licenses/fdl-1\.3(\.[a-z]{2})?(\.html|\.txt)?$"), "GFDL-1.3-only"),
    (re.compile(r"^(www\.)?gnu\.org/licenses/agpl-3\.0(\.[a-z]{2})?(\.html|\.txt)?$"), "AGPL-3.0-only"),
    (re.compile(r"^opendatacommons\.org/licenses/odbl(/1[.-]0)?$"), "ODbL-1.0"),
    (re.compile(r"^opendatacommons\.org/licenses/by(/1[.-]0)?$"), "ODC-By-1.0"),
    (re.compile(r"^opendatacommons\.org/licenses/pddl(/1[.-]0)?$"), "PDDL-1.0"),
]
_RESTRICTIVENESS = {"public-domain": 1, "permissive": 2, "share-alike": 3, "non-commercial": 5, "no-derivatives": 5, "nc-nd": 6}

_NOT_PAGE_HINTS = re.compile(r"caption|credit|photo|image|gallery|figure|media|attribution-img|thumbnail", re.I)
_COMMENT_HINTS = re.compile(r"(^|[-_\s])comment", re.I)
_FOOTER_HINTS = re.compile(r"footer|colophon|site-info|copyright", re.I)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_THEME_CREDIT = re.compile(r"\b(theme|template|plugin|icons?|font|stylesheet|powered by|designed by|photo by|image by|picture by)\b", re.I)
_DOWNLOAD = re.compile(r"\.(pdf|csv|zip|json|xlsx?|tsv|tar|gz|xml|epub|mp3|mp4|wav)(\?|$)", re.I)
_LICENCE_SENTENCE = re.compile(r"(licen[cs]ed under|available under|released under|published under|distributed under|licen[cs]e:|is licen[cs]ed|are licen[cs]ed|under a creative commons|under the terms of)", re.I)
_COPYRIGHT = re.compile(r"(©|\(c\)|&copy;|copyright)[^<\n]{0,160}?(all rights reserved|tous droits réservés|alle rechte vorbehalten)", re.I)
_ALL_RIGHTS = re.compile(r"all rights reserved|tous droits réservés|alle rechte vorbehalten", re.I)
_CC_URL_IN_TEXT = re.compile(r"https?://(?:www\.)?creativecommons\.org/(?:licenses|publicdomain)/[a-z0-9./-]+", re.I)


@dataclass(frozen=True)
class LicenceCandidate:
    url: str | None
    spdx: str | None
    text: str | None
    source: str
    location: str
    applies_to_page: bool
    confidence: str
    evidence: Evidence


@dataclass(frozen=True)
class LicenceResult:
    license: str | None
    source: str | None
    evidence: str | None
    candidates: tuple[LicenceCandidate, ...]
    copyright_notice: str | None
    ambiguous: bool


NO_LICENCE = LicenceResult(None, None, None, (), None, False)


# ------------------------------------------------------------------ URLs
def normalise_licence_url(url: str) -> str:
    """``https://creativecommons.org/licenses/by-sa/4.0/`` for every spelling of
    it: scheme, ``www.``, host case, port, query, fragment, ``deed``/``legalcode``
    (with a language) and the trailing slash do not matter."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    path = re.sub(r"/+", "/", parts.path or "/")
    path = re.sub(r"/(deed|legalcode)(\.[a-z]{2,3}([_-][a-z]{2,4})?)?/?$", "/", path, flags=re.I)
    path = re.sub(r"/(index\.html?)$", "/", path, flags=re.I)
    path = re.sub(r"/[0-9]+x[0-9]+\.(png|gif|svg)$", "/", path, flags=re.I)  # badge images
    if not path.endswith("/") and not re.search(r"\.[a-z]{2,5}$", path.rsplit("/", 1)[-1], re.I):
        path += "/"  # "…/by/4.0" and "…/by/4.0/" are one licence; "LICENSE-2.0.html" is a file
    return f"https://{host}{path}" if host else url.strip()


def cc_url_to_spdx(url: str) -> str | None:
    """SPDX id (or ``LicenseRef-cc-…``) of a licence URL; None when it is not a
    content licence we can name."""
    try:
        normal = normalise_licence_url(url)
        parts = urlsplit(normal)
    except ValueError:
        return None
    host = parts.hostname or ""
    segments = [s.lower() for s in parts.path.split("/") if s]
    if host in _CC_HOSTS or host.endswith(".creativecommons.org"):
        if host in ("licensebuttons.net", "i.creativecommons.org", "mirrors.creativecommons.org") and segments[:1] in (["l"], ["p"]):
            segments = (["licenses"] if segments[0] == "l" else ["publicdomain"]) + segments[1:]
        return _cc_segments_to_spdx(segments)
    key = f"{host}{parts.path}".rstrip("/").lower()
    for pattern, spdx in _OTHER_LICENCES:
        if pattern.match(key):
            return spdx
    return None


def _cc_segments_to_spdx(segments: list[str]) -> str | None:
    if segments[:2] == ["publicdomain", "zero"] and segments[2:3] == ["1.0"]:
        return "CC0-1.0"
    if segments[:2] == ["publicdomain", "mark"] and segments[2:3] == ["1.0"]:
        return "CC-PDM-1.0"
    if segments[:2] == ["licenses", "publicdomain"]:
        return "CC-PDDC"
    if len(segments) < 3 or segments[0] != "licenses":
        return None
    kind, version = segments[1], segments[2]
    port = segments[3] if len(segments) > 3 else None
    if kind == "gpl" and version in ("2.0", "3.0"):
        return f"GPL-{version}-only"
    if kind == "lgpl" and version in ("2.1", "3.0"):
        return f"LGPL-{version}-only"
    if version not in _CC_VERSIONS:
        return None
    if version == "1.0" and kind == "by-nd-nc":
        return "CC-BY-NC-ND-1.0"  # the 1.0-era order of the same licence
    if version == "1.0" and kind in _ONE_ZERO_ONLY:
        return _ONE_ZERO_ONLY[kind]
    if kind not in _CC_TYPES:
        return None  # sampling, devnations, … are not content licences
    base = f"CC-{kind.upper()}-{version}"
    if port is None or port in ("deed", "legalcode"):
        if version == "2.1":
            return f"LicenseRef-cc-{kind}-2.1"  # 2.1 exists only ported
        return base
    if (version, port) in _SPDX_PORTS.get(kind, set()):
        return f"{base}-{port.upper()}"
    return f"LicenseRef-cc-{kind}-{version}-{port}"


def licence_family(spdx: str | None) -> str | None:
    if not spdx:
        return None
    s = spdx.upper()
    if s in ("CC0-1.0", "CC-PDM-1.0", "CC-PDDC", "PDDL-1.0"):
        return "public-domain"
    has_nc = "-NC" in s or s.startswith("LICENSEREF-CC-NC")
    has_nd = "-ND" in s or s.startswith("LICENSEREF-CC-ND")
    if has_nc and has_nd:
        return "nc-nd"
    if has_nc:
        return "non-commercial"
    if has_nd:
        return "no-derivatives"
    if "-SA" in s or s.startswith(("GPL", "LGPL", "AGPL", "GFDL", "ODBL")) or s == "CC-SA-1.0":
        return "share-alike"
    return "permissive"


def restrictiveness(spdx: str | None) -> int:
    return _RESTRICTIVENESS.get(licence_family(spdx) or "", 0)


# ------------------------------------------------------------------ where a declaration sits
def _class_id(element: Any) -> str:
    return f"{element.get('class') or ''} {element.get('id') or ''} {element.get('role') or ''}"


def _is_hidden(element: Any) -> bool:
    return element.get("hidden") is not None or element.get("aria-hidden") == "true" or bool(_HIDDEN_STYLE.search(element.get("style") or ""))


def locate(element: Any) -> tuple[str, bool, str]:
    """(location, applies to the page, why not) of an element, from its ancestors."""
    location = "body"
    for ancestor in element.iterancestors():
        tag = ancestor.tag if isinstance(ancestor.tag, str) else ""
        tag = tag.lower()
        hints = _class_id(ancestor)
        if tag in ("figure", "figcaption", "picture"):
            return "figure", False, "inside a figure: the licence of an embedded image"
        if tag in ("noscript", "template"):
            return "noscript", False, f"inside <{tag}>"
        if _is_hidden(ancestor):
            return "noscript", False, "hidden content"
        if _COMMENT_HINTS.search(hints):
            return "comment", False, "in the comments section"
        if _NOT_PAGE_HINTS.search(hints) and tag not in ("body", "html", "main", "article"):
            return "figure", False, "in an image caption or credit"
        if location == "body":
            if tag == "head":
                location = "head"
            elif tag == "footer" or _FOOTER_HINTS.search(hints):
                location = "footer"
            elif tag == "header":
                location = "header"
            elif tag == "nav":
                location = "nav"
            elif tag == "aside":
                location = "aside"
            elif tag in ("main", "article"):
                location = "main"
    return location, True, ""


def _context_text(element: Any) -> str:
    parent = element.getparent()
    node = parent if parent is not None else element
    try:
        return " ".join(node.text_content().split())[:600]
    except (ValueError, AttributeError):
        return ""


def _beside_image_or_download(element: Any) -> str:
    """Why a licence link belongs to something next to it rather than the page."""
    parent = element.getparent()
    if parent is None:
        return ""
    try:
        text_length = len(parent.text_content())
    except (ValueError, AttributeError):
        text_length = 0
    if text_length < 400:
        for img in parent.iter("img"):
            src = (img.get("src") or "").lower()
            if not any(h in src for h in _CC_HOSTS) and "licen" not in src:
                return "next to an image: the licence of that image"
        for link in parent.iter("a"):
            if link is not element and _DOWNLOAD.search(link.get("href") or ""):
                return "next to a download link: the licence of that file"
    if _THEME_CREDIT.search(_context_text(element)) and re.search(r"\b(theme|template|plugin|icons?|font|stylesheet)\b", _context_text(element), re.I):
        return "a credit for the site's theme or assets"
    return ""


def _snippet(element: Any) -> str:
    try:
        return clean_evidence_text(lxml.etree.tostring(element, encoding="unicode", with_tail=False), SNIPPET)
    except (ValueError, TypeError):
        return ""


def _rel_values(element: Any) -> list[str]:
    return (element.get("rel") or "").lower().split()


# ------------------------------------------------------------------ finding candidates
def _url_candidate(url: str, *, base_url: str, source: str, location: str, applies: bool, why: str, confidence: str, evidence_value: str, evidence_source: str = "html") -> LicenceCandidate | None:
    url = url.strip()
    if not url or url.lower().startswith(("javascript:", "#", "mailto:")):
        return None
    try:
        absolute = urljoin(base_url, url)
    except ValueError:
        return None
    spdx = cc_url_to_spdx(absolute)
    normal = normalise_licence_url(absolute) if spdx else absolute
    if not applies:
        confidence = "low"
    return LicenceCandidate(normal, spdx, None, source, location, applies, confidence, Evidence("licence", evidence_source, evidence_value, note=why))


def _markup_candidates(tree: Any, base_url: str) -> Iterator[LicenceCandidate]:
    for element in tree.iter("link", "a", "area", "form"):
        rels = _rel_values(element)
        href = element.get("href") or element.get("action") or ""
        if "license" in rels or "licence" in rels or "cc:license" in rels or "dcterms.license" in rels or "dct:license" in rels:
            if (element.get("type") or "").lower() == "application/rsl+xml":
                continue  # an RSL licence document, not a content licence
            tag = element.tag.lower() if isinstance(element.tag, str) else ""
            location, applies, why = locate(element)
            if applies and tag != "link":
                beside = _beside_image_or_download(element)
                if beside:
                    applies, why = False, beside
                    location = "figure" if "image" in beside else location
            if tag == "link":
                source = "dcterms" if "dcterms.license" in rels else "link-rel"
            elif "cc:license" in rels:
                source = "rdfa"
            else:
                source = "a-rel"
            confidence = "high" if location == "head" else ("medium" if location in ("footer", "main", "header", "body") else "low")
            candidate = _url_candidate(href, base_url=base_url, source=source, location=location, applies=applies, why=why, confidence=confidence, evidence_value=_snippet(element))
            if candidate:
                yield candidate
    # RDFa properties that carry the licence in an attribute
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        props = (element.get("property") or "").lower().split()
        if any(p in ("cc:license", "dct:license", "dcterms:license", "xhtml:license", "schema:license") for p in props):
            value = element.get("resource") or element.get("href") or element.get("content") or ""
            location, applies, why = locate(element)
            candidate = _url_candidate(value, base_url=base_url, source="rdfa", location=location, applies=applies, why=why, confidence="high" if applies else "low", evidence_value=_snippet(element))
            if candidate:
                yield candidate


def _meta_candidates(tree: Any, base_url: str, notices: list[str]) -> Iterator[LicenceCandidate]:
    for meta in tree.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if not content:
            continue
        if name in ("dcterms.license", "dc.license", "dcterms:license", "dc:license", "dc.rights", "dcterms.rights", "dc:rights", "dcterms:rights", "copyright", "og:license"):
            if re.match(r"^https?://", content, re.I):
                candidate = _url_candidate(content, base_url=base_url, source="dc-rights" if "rights" in name else "dcterms", location="head", applies=True, why="", confidence="high" if "license" in name else "medium", evidence_value=_snippet(meta))
                if candidate:
                    yield candidate
            else:
                notices.append(content)
                yield LicenceCandidate(None, None, clean_evidence_text(content, 200), "dc-rights", "head", True, "medium", Evidence("licence", "html", _snippet(meta), note="free text: a copyright statement, not a licence"))


_PAGE_TYPES = {"article", "newsarticle", "blogposting", "webpage", "creativework", "scholarlyarticle", "report", "techarticle", "book", "aboutpage", "collectionpage", "itempage", "wikipage"}
_MEDIA_TYPES = {"imageobject", "videoobject", "audioobject", "mediaobject", "photograph", "dataset", "datadownload", "softwareapplication", "softwaresourcecode"}


def _walk_jsonld(node: Any, depth: int, parent_types: tuple[str, ...]) -> Iterator[tuple[Any, tuple[str, ...]]]:
    if depth > 12:
        return
    if isinstance(node, list):
        for item in node[:200]:
            yield from _walk_jsonld(item, depth + 1, parent_types)
    elif isinstance(node, dict):
        types = node.get("@type")
        names = tuple(t.lower() for t in (types if isinstance(types, list) else [types]) if isinstance(t, str))
        here = names or parent_types
        if "license" in node:
            yield node["license"], here
        for key, value in node.items():
            if key in ("license", "@context"):
                continue
            if isinstance(value, (dict, list)):
                yield from _walk_jsonld(value, depth + 1, here if key in ("@graph", "mainEntity", "mainEntityOfPage") else (here if not names else names))


def _jsonld_candidates(tree: Any, base_url: str, notices: list[str]) -> Iterator[LicenceCandidate]:
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        text = (script.text or "")[:MAX_JSONLD_BYTES]
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue
        location, applies_here, why_here = locate(script)
        try:
            found = list(_walk_jsonld(data, 0, ()))
        except RecursionError:
            continue
        for value, types in found:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict):
                    item = item.get("url") or item.get("@id") or item.get("name") or ""
                if not isinstance(item, str) or not item.strip():
                    continue
                applies = applies_here and not (set(types) & _MEDIA_TYPES)
                why = why_here or ("the licence of an embedded " + "/".join(sorted(set(types) & _MEDIA_TYPES)) if set(types) & _MEDIA_TYPES else "")
                evidence_value = clean_evidence_text(json.dumps({"@type": list(types), "license": item}, ensure_ascii=False), SNIPPET)
                if re.match(r"^https?://", item.strip(), re.I):
                    candidate = _url_candidate(item, base_url=base_url, source="jsonld", location="head" if location == "head" else location, applies=applies, why=why, confidence="high", evidence_value=evidence_value)
                    if candidate:
                        yield candidate
                else:
                    if applies:
                        notices.append(item.strip())
                    yield LicenceCandidate(None, None, clean_evidence_text(item, 200), "jsonld", location, applies, "medium", Evidence("licence", "html", evidence_value, note="free text: not a licence URL"))


def _header_candidates(headers: HeaderPairs, base_url: str) -> Iterator[LicenceCandidate]:
    for value in header_values(headers, "Link")[:32]:
        for part in re.split(r",(?=\s*<)", value):
            match = re.match(r"\s*<([^>]*)>(.*)$", part)
            if not match:
                continue
            params = match.group(2).lower()
            rels = re.findall(r'rel\s*=\s*"?([^";]+)"?', params)
            if not any("license" in r.split() for r in rels):
                continue
            if "application/rsl+xml" in params:
                continue
            candidate = _url_candidate(match.group(1), base_url=base_url, source="http-link", location="head", applies=True, why="", confidence="high", evidence_value=part.strip(), evidence_source="header:Link")
            if candidate:
                yield candidate


def _badge_and_text_candidates(tree: Any, base_url: str, already: set[str]) -> Iterator[LicenceCandidate]:
    for img in tree.iter("img"):
        src = img.get("src") or ""
        if not any(h in src.lower() for h in ("licensebuttons.net", "i.creativecommons.org", "mirrors.creativecommons.org")):
            continue
        if any("license" in _rel_values(a) for a in img.iterancestors("a")):
            continue  # the enclosing rel=license link is the declaration
        location, applies, why = locate(img)
        candidate = _url_candidate(src, base_url=base_url, source="badge", location=location, applies=applies, why=why or "a badge image alone", confidence="low", evidence_value=_snippet(img))
        if candidate and candidate.spdx:
            yield candidate
    for link in tree.iter("a"):
        href = link.get("href") or ""
        if "license" in _rel_values(link) or not href or "creativecommons.org" not in href.lower():
            continue
        location, applies, why = locate(link)
        if location not in ("footer", "header") or not applies:
            continue  # a licence named in running prose is a page about licences, not a declaration
        if not _LICENCE_SENTENCE.search(_context_text(link)):
            continue
        candidate = _url_candidate(href, base_url=base_url, source="a-text", location=location, applies=applies, why="", confidence="low", evidence_value=_snippet(link.getparent() if link.getparent() is not None else link))
        if candidate and candidate.spdx and candidate.url not in already:
            yield candidate


def _comment_candidates(tree: Any, base_url: str) -> Iterator[LicenceCandidate]:
    for comment in tree.iter(lxml.etree.Comment):
        for url in _CC_URL_IN_TEXT.findall(comment.text or "")[:5]:
            candidate = _url_candidate(url, base_url=base_url, source="comment", location="comment", applies=False, why="inside an HTML comment", confidence="low", evidence_value=clean_evidence_text(comment.text, SNIPPET))
            if candidate:
                yield candidate


# ------------------------------------------------------------------ choosing
_SOURCE_ORDER = ("jsonld", "link-rel", "dcterms", "http-link", "rdfa", "a-rel", "dc-rights", "a-text", "badge", "comment")


def _choose(candidates: list[LicenceCandidate]) -> tuple[LicenceCandidate | None, str | None, bool]:
    usable = [c for c in candidates if c.applies_to_page and c.spdx and c.source != "badge"]
    if not usable:
        return None, None, False
    ids = list(dict.fromkeys(c.spdx for c in usable))
    if len(ids) == 1:
        chosen = min(usable, key=lambda c: _SOURCE_ORDER.index(c.source) if c.source in _SOURCE_ORDER else 99)
        others = len(usable) - 1
        return chosen, f"{chosen.source} {chosen.spdx} ({chosen.location})" + (f"; {others} more declaration(s) agree" if others else ""), False
    chosen = max(usable, key=lambda c: (restrictiveness(c.spdx), -(_SOURCE_ORDER.index(c.source) if c.source in _SOURCE_ORDER else 99)))
    rest = ", ".join(f"{c.source} {c.spdx}" for c in usable if c.spdx != chosen.spdx)
    return chosen, f"{chosen.source} {chosen.spdx} chosen over {rest} (most restrictive of the page's declarations)", True


def _footer_notice(tree: Any) -> str | None:
    for element in tree.iter("footer", "small", "p", "div"):
        try:
            text = " ".join(element.text_content().split())
        except (ValueError, AttributeError):
            continue
        if len(text) > 400:
            continue
        match = _COPYRIGHT.search(text)
        if match:
            return clean_evidence_text(text[max(0, match.start() - 10) : match.end() + 20], 200)
    return None


def detect_licences(tree: Any, *, base_url: str, headers: HeaderPairs = ()) -> LicenceResult:
    try:
        return _detect(tree, base_url, headers)
    except Exception as exc:  # a parser of outside input never raises
        return LicenceResult(None, None, f"licence detection failed: {type(exc).__name__}", (), None, False)


def _detect(tree: Any, base_url: str, headers: HeaderPairs) -> LicenceResult:
    notices: list[str] = []
    candidates: list[LicenceCandidate] = []

    def add(items: Iterable[LicenceCandidate]) -> None:
        for item in items:
            if len(candidates) >= MAX_CANDIDATES:
                return
            candidates.append(item)

    add(_header_candidates(headers, base_url))
    if tree is not None:
        add(_jsonld_candidates(tree, base_url, notices))
        add(_meta_candidates(tree, base_url, notices))
        add(_markup_candidates(tree, base_url))
        add(_badge_and_text_candidates(tree, base_url, {c.url for c in candidates if c.url}))
        add(_comment_candidates(tree, base_url))
    chosen, explanation, ambiguous = _choose(candidates)
    notice = next((n for n in notices if _ALL_RIGHTS.search(n) or "©" in n or "copyright" in n.lower()), None)
    if notice is None and notices:
        notice = notices[0]
    if notice is None and tree is not None:
        notice = _footer_notice(tree)
    return LicenceResult(
        license=chosen.spdx if chosen else None,
        source=chosen.source if chosen else None,
        evidence=explanation,
        candidates=tuple(candidates),
        copyright_notice=clean_evidence_text(notice, 200) if notice else None,
        ambiguous=ambiguous,
    )
