"""Licence declarations of a page, found in its markup and headers, with evidence.

Owns where a page declares a licence (``rel=license`` on link/a/area/form, CC
RDFa, microdata, JSON-LD ``license``, Dublin Core / dcterms metadata,
``Link: rel=license`` headers, CC badge images, and licence sentences in a
header or footer), which of those declarations apply to the page rather than to
an embedded image, a download, a comment, hidden markup or a theme credit, how
Creative Commons and other licence URLs map to SPDX identifiers
(``LicenseRef-…`` where SPDX has none, never silently the unported id), and
which licence is chosen when a page says several things (the most restrictive;
none when a reservation or an unrecognised licence contradicts it).

Works on the tree the page parser already built (lxml.html). It must not
import Scrapy, do I/O, follow a licence URL, or raise on a malformed page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from itertools import islice
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import urljoin, urlsplit

import lxml.etree

from .evidence import Evidence, HeaderPairs, clean_evidence_text, header_values

if TYPE_CHECKING:
    import lxml.html

SIGNAL = "licence"
MAX_CANDIDATES = 50
MAX_ELEMENTS = 200_000  # elements visited on one page; the parser has already bounded the tree
MAX_JSONLD_CHARS = 256 * 1024
MAX_JSONLD_NODES = 5_000
MAX_JSONLD_BLOCKS = 100
MAX_NOTICES = 20
MAX_EXAMINED = 1_000  # licence-looking elements examined closely on one page (each walks its ancestors)
MAX_NOTICE_CHECKS = 2_000  # text nodes that look like a notice, checked closely
MAX_LINK_HEADERS = 32
SNIPPET_CHARS = 240
_MAX_URL = 2048
_MAX_DEPTH = 256
_SMALL_BLOCK = 400  # characters of text: a caption, credit line or download row, not an article
_CAPTION_BLOCK = 600

# Where a declaration sits (``LicenceCandidate.location``).
LOCATIONS = ("head", "header", "main", "footer", "aside", "figure", "nav", "comment", "noscript", "body", "document")
# How a declaration was made (``LicenceCandidate.source``), strongest first: ties
# between equally restrictive licences go to the earlier source.
SOURCES = (
    "link-rel", "http-link", "dcterms", "ali-license-ref", "xmp-cc-license", "epub-license", "jsonld", "rdfa", "microdata", "a-rel",
    "dc-rights", "xmp-dc-rights", "epub-dc-rights", "pdf-info", "xmp-web-statement", "xmp-usage-terms", "meta", "a-text", "badge",
)
# Sources whose value is a rights statement (free text or a URL), read the way Dublin Core dc:rights is.
_RIGHTS_SOURCES = frozenset({"dc-rights", "xmp-dc-rights", "epub-dc-rights", "xmp-usage-terms", "pdf-info"})
_SOURCE_ORDER = {source: index for index, source in enumerate(SOURCES)}
_CONFIDENCE_ORDER = {"low": 0, "medium": 1, "high": 2}

# Specificity of a statement: site chrome (footer, header, sidebar) < the
# document's metadata (head, HTTP headers) < the main content itself. A
# reservation or unknown licence at least as specific as the licence makes the
# page ambiguous.
_SITE, _DOCUMENT, _CONTENT = 0, 1, 2

# ---------------------------------------------------------------- licence URLs
_CC_HOST = "creativecommons.org"
_BADGE_HOSTS = frozenset({"licensebuttons.net", "i.creativecommons.org"})
_CC_TYPES = frozenset({"by", "by-sa", "by-nd", "by-nc", "by-nc-sa", "by-nc-nd"})
_CC_TYPE_ALIASES = {"by-nd-nc": "by-nc-nd"}  # the 1.0-era spelling of the same licence
_CC_ONE_ZERO_TYPES = frozenset({"sa", "nc", "nd", "nc-sa", "nd-nc"})  # 1.0 only, no attribution element
_CC_VERSIONS = frozenset({"1.0", "2.0", "2.1", "2.5", "3.0", "4.0"})
# Ported licences that have an SPDX id (SPDX License List 3.29); every other port is a LicenseRef.
_SPDX_PORTS = {
    "by": frozenset({("2.5", "au"), ("3.0", "at"), ("3.0", "au"), ("3.0", "de"), ("3.0", "igo"), ("3.0", "nl"), ("3.0", "us")}),
    "by-nc": frozenset({("3.0", "de"), ("3.0", "igo")}),
    "by-nc-nd": frozenset({("3.0", "de"), ("3.0", "igo")}),
    "by-nc-sa": frozenset({("2.0", "de"), ("2.0", "fr"), ("2.0", "uk"), ("3.0", "de"), ("3.0", "igo")}),
    "by-nd": frozenset({("3.0", "de")}),
    "by-sa": frozenset({("2.0", "uk"), ("2.1", "jp"), ("3.0", "at"), ("3.0", "de"), ("3.0", "igo")}),
}
_CC_GPL = {("gpl", "2.0"): "GPL-2.0-only", ("lgpl", "2.1"): "LGPL-2.1-only"}
_PORT = re.compile(r"[a-z]{2,10}")
_URL_LAYOUT = re.compile(r"[\t\n\r]")  # browsers drop these from URLs; so do we
_TRAILING_DOCUMENT = re.compile(r"(?:deed|legalcode)(?:\.[a-z0-9_-]{1,16})?|index\.html?|rdf")
_BADGE_FILE = re.compile(r"\d{1,4}x\d{1,4}\.(?:png|gif|svg|jpe?g|webp)")
_BARE_LICENCE_HOST = re.compile(
    r"(?:www\.)?(?:creativecommons\.org|licensebuttons\.net|opensource\.org|opendatacommons\.org|gnu\.org|apache\.org|spdx\.org)/", re.I
)
_KNOWN_HOSTS = frozenset(
    {"opensource.org", "apache.org", "gnu.org", "opendatacommons.org", "spdx.org", "mozilla.org", "unlicense.org", "nationalarchives.gov.uk", "govdata.de"}
)
# host + lowercased path without trailing slash -> SPDX id
_OTHER_LICENCES = (
    (re.compile(r"opensource\.org/licen[cs]es?/mit(?:-license)?(?:\.php|\.html)?"), "MIT"),
    (re.compile(r"opensource\.org/licen[cs]es?/apache-?2\.0(?:\.php|\.html)?"), "Apache-2.0"),
    (re.compile(r"opensource\.org/licen[cs]es?/bsd-3-clause(?:\.php|\.html)?"), "BSD-3-Clause"),
    (re.compile(r"opensource\.org/licen[cs]es?/bsd-2-clause(?:\.php|\.html)?"), "BSD-2-Clause"),
    (re.compile(r"opensource\.org/licen[cs]es?/isc(?:-license)?(?:\.php|\.html)?"), "ISC"),
    (re.compile(r"opensource\.org/licen[cs]es?/mpl-2\.0(?:\.php|\.html)?"), "MPL-2.0"),
    (re.compile(r"apache\.org/licenses/license-2\.0(?:\.html|\.txt)?"), "Apache-2.0"),
    (re.compile(r"gnu\.org/licenses/gpl(?:-3\.0)?(?:\.[a-z]{2}(?:-[a-z]{2})?)?(?:\.html|\.txt)?"), "GPL-3.0-only"),
    (re.compile(r"gnu\.org/licenses/old-licenses/gpl-2\.0(?:\.[a-z]{2}(?:-[a-z]{2})?)?(?:\.html|\.txt)?"), "GPL-2.0-only"),
    (re.compile(r"gnu\.org/licenses/lgpl(?:-3\.0)?(?:\.[a-z]{2}(?:-[a-z]{2})?)?(?:\.html|\.txt)?"), "LGPL-3.0-only"),
    (re.compile(r"gnu\.org/licenses/old-licenses/lgpl-2\.1(?:\.[a-z]{2}(?:-[a-z]{2})?)?(?:\.html|\.txt)?"), "LGPL-2.1-only"),
    (re.compile(r"gnu\.org/licenses/agpl(?:-3\.0)?(?:\.[a-z]{2}(?:-[a-z]{2})?)?(?:\.html|\.txt)?"), "AGPL-3.0-only"),
    (re.compile(r"gnu\.org/licenses/fdl(?:-1\.3)?(?:\.[a-z]{2}(?:-[a-z]{2})?)?(?:\.html|\.txt)?"), "GFDL-1.3-only"),
    (re.compile(r"gnu\.org/licenses/old-licenses/fdl-1\.2(?:\.[a-z]{2}(?:-[a-z]{2})?)?(?:\.html|\.txt)?"), "GFDL-1.2-only"),
    (re.compile(r"opendatacommons\.org/licenses/odbl(?:/1[.-]0)?(?:/index\.html)?"), "ODbL-1.0"),
    (re.compile(r"opendatacommons\.org/licenses/by(?:/1[.-]0)?(?:/index\.html)?"), "ODC-By-1.0"),
    (re.compile(r"opendatacommons\.org/licenses/pddl(?:/1[.-]0)?(?:/index\.html)?"), "PDDL-1.0"),
    (re.compile(r"mozilla\.org/(?:en-us/)?mpl/2\.0"), "MPL-2.0"),
    (re.compile(r"unlicense\.org"), "Unlicense"),
    (re.compile(r"nationalarchives\.gov\.uk/doc/open-government-licence/version/([123])"), "OGL-UK-{0}.0"),
    (re.compile(r"govdata\.de/dl-de/by-2-0"), "DL-DE-BY-2.0"),
)
_SPDX_ORG_PATH = re.compile(r"/licenses/([A-Za-z0-9][A-Za-z0-9.+-]{0,63}?)(?:\.html|\.json)?")

# Licence families, least restrictive first (restrictiveness() is the index).
FAMILIES = ("public-domain", "permissive", "share-alike", "non-commercial", "no-derivatives", "non-commercial-share-alike", "non-commercial-no-derivatives")
_RANK = {"public-domain": 0, "permissive": 1, "share-alike": 2, "non-commercial": 3, "no-derivatives": 3, "non-commercial-share-alike": 4, "non-commercial-no-derivatives": 5}
_PUBLIC_DOMAIN_IDS = frozenset({"CC0-1.0", "CC-PDM-1.0", "CC-PDDC", "PDDL-1.0", "UNLICENSE"})
_PERMISSIVE_IDS = frozenset({"MIT", "APACHE-2.0", "BSD-2-CLAUSE", "BSD-3-CLAUSE", "ISC", "ODC-BY-1.0", "OGL-UK-1.0", "OGL-UK-2.0", "OGL-UK-3.0", "DL-DE-BY-2.0", "ETALAB-2.0"})
_COPYLEFT_PREFIXES = ("GPL-", "LGPL-", "AGPL-", "GFDL-", "MPL-", "ODBL-", "EUPL-")
_CC_ID = re.compile(r"(?:cc|licenseref-cc)-((?:by|nc|nd|sa)(?:-(?:by|nc|nd|sa))*)-\d\.\d(?:-[a-z]{2,10})?", re.I)

# ---------------------------------------------------------------- licence names in free text
_CC_NAME = re.compile(
    r"\s*(?:creative\s+commons\s*|cc[\s-]?)(?P<elements>(?:by|attribution)(?:[\s-]+(?:nc|nd|sa|non-?commercial|no-?derivatives|no-?derivs|share-?alike)){0,2})"
    r"[\s-]*(?:v(?:ersion)?\s*)?(?P<version>\d\.\d)(?:\s+(?:international|generic|unported))?(?:\s+(?:public\s+)?licen[cs]e)?\s*(?:\([^()]{0,40}\))?\s*",
    re.I,
)
_CC0_NAME = re.compile(r"\s*(?:creative\s+commons\s+)?cc0(?:[\s-]*v?1(?:\.0)?)?(?:\s+universal)?(?:\s+public\s+domain\s+dedication)?\s*(?:\([^()]{0,40}\))?\s*", re.I)
_NAME_ELEMENTS = {"by": "by", "attribution": "by", "nc": "nc", "noncommercial": "nc", "non-commercial": "nc", "nd": "nd", "noderivatives": "nd",
                  "no-derivatives": "nd", "noderivs": "nd", "no-derivs": "nd", "sa": "sa", "sharealike": "sa", "share-alike": "sa"}
_CC_TYPE_OF_ELEMENTS = {frozenset({"by"}): "by", frozenset({"by", "sa"}): "by-sa", frozenset({"by", "nd"}): "by-nd", frozenset({"by", "nc"}): "by-nc",
                        frozenset({"by", "nc", "sa"}): "by-nc-sa", frozenset({"by", "nc", "nd"}): "by-nc-nd"}
_PLAIN_IDS = {i.upper(): i for i in ("MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "MPL-2.0", "ODbL-1.0", "ODC-By-1.0", "PDDL-1.0", "Unlicense",
                                     "GPL-2.0-only", "GPL-3.0-only", "LGPL-2.1-only", "LGPL-3.0-only", "AGPL-3.0-only", "GFDL-1.3-only", "CC-PDDC", "CC-PDM-1.0", "CC0-1.0")}

# ---------------------------------------------------------------- reading the page
_LICENCE_RELS = frozenset({"license", "licence", "cc:license", "xhtml:license", "dcterms.license", "dc.license", "dct:license", "dcterms:license", "dc:license"})
_DCTERMS_RELS = frozenset({"dcterms.license", "dc.license", "dct:license", "dcterms:license", "dc:license"})
_RIGHTS_RELS = frozenset({"dc.rights", "dcterms.rights", "dc:rights", "dcterms:rights", "dct:rights"})
_RDFA_PROPERTIES = frozenset({"cc:license", "dct:license", "dcterms:license", "dc:license", "xhtml:license", "schema:license"})
_META_LICENCE = frozenset({"dcterms.license", "dc.license", "dcterms:license", "dc:license", "dct.license", "dct:license"})
_META_RIGHTS = frozenset({"dc.rights", "dcterms.rights", "dc:rights", "dcterms:rights", "dct.rights", "dct:rights"})
_META_AD_HOC = frozenset({"license", "licence", "og:license", "article:license"})
_META_COPYRIGHT = frozenset({"copyright", "rights", "dc.rights.copyright", "article:copyright"})

_LANDMARK_TAGS = {"head": "head", "footer": "footer", "header": "header", "nav": "nav", "aside": "aside", "main": "main", "article": "main"}
_ROLE_LANDMARKS = {"contentinfo": "footer", "banner": "header", "navigation": "nav", "complementary": "aside", "main": "main"}
_STRUCTURAL_TAGS = frozenset({"html", "body", "head", "main", "article", "header", "footer", "nav", "aside"})
_MEDIA_TAGS = frozenset({"figure", "figcaption", "picture", "video", "audio"})
_UNRENDERED_TAGS = frozenset({"noscript", "template"})
_VERBATIM_TAGS = frozenset({"pre", "code", "textarea", "xmp", "script", "style", "blockquote", "q"})
_INLINE_TAGS = frozenset({"a", "span", "small", "em", "strong", "b", "i", "u", "s", "abbr", "cite", "sup", "sub", "font", "bdi", "bdo", "mark", "time", "label", "data", "img", "br", "wbr"})
_FOOTER_CLASS = re.compile(r"(?:^|[-_])(?:footer|colophon|site-info)(?:$|[-_])")
_HEADER_CLASS = re.compile(r"(?:^|[-_])(?:masthead|site-header|page-header)(?:$|[-_])")
_ASIDE_CLASS = re.compile(r"(?:^|[-_])(?:sidebar|widget-area)(?:$|[-_])")
_CAPTION_CLASS = re.compile(r"(?:^|[-_])(?:caption|credits?|photo\w*|image\w*|img|pic|picture|gallery|figure|thumbnail|thumb|illustration|lightbox)(?:$|[-_])")
_COMMENT_CLASS = re.compile(r"comments?|commentlist|comment[-_](?:list|body|content|text|area|section|thread|item|wrapper|container|\d+)|"
    r"comments[-_](?:area|section|list|wrapper|container|thread)|disqus[-_]?thread|replies")
_HIDDEN_CLASSES = frozenset({"hidden", "d-none", "hide", "is-hidden", "invisible"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_MEDIA_TYPE_WORDS = re.compile(r"image|photo|video|audio|sound|movingimage|dataset|software", re.I)
_DECORATIVE_IMAGE = re.compile(r"logo|icon|badge|button|avatar|emoji|spacer|pixel|licen[cs]e|rss|feed|sprite", re.I)
_DOWNLOAD_PATH = re.compile(
    r"\.(?:pdf|csv|tsv|zip|gz|tgz|bz2|xz|7z|tar|json|jsonl|geojson|xml|xlsx?|ods|parquet|epub|mp3|mp4|wav|flac|ogg|docx?|odt|pptx?|rdf|ttl|nc|h5|hdf5|sav|dta|sqlite|db|shp|kml)$"
)
_DOWNLOAD_TEXT = re.compile(r"\bdownload", re.I)

# Words that say what a licence sentence is about.
_THEME_SUBJECT = re.compile(r"\b(?:theme|template|plugin|widget|skin|stylesheet|icons?|icon set|fonts?|typeface|design(?:ed)? by|powered by)\b", re.I)
_NON_TEXT_SUBJECT = re.compile(
    r"\b(?:photos?|photographs?|photography|images?|pictures?|illustrations?|graphics?|maps?|logos?|videos?|audio|podcasts?|music|recordings?"
    r"|code|code samples?|source code|software|scripts?|data|datasets?|database|downloads?|files?|pdfs?|slides)\b",
    re.I,
)
_TEXT_SUBJECT = re.compile(
    r"\b(?:text|texts|content|contents|articles?|posts?|pages?|entries|entry|writing|blog|site|website|material|materials|work|works|story|stories"
    r"|documentation|wiki|transcriptions?|notes?|publication)\b",
    re.I,
)
_LICENCE_SENTENCE = re.compile(
    r"\blicen[cs]ed\b|\b(?:available|released|published|shared|distributed|offered|provided)\b[^.;]{0,40}?\bunder\b|\blicen[cs]e\s*:|\bsome rights reserved\b", re.I
)
_RDFA_PREFIX = re.compile(r"creativecommons\.org/ns|purl\.org/dc|\bcc:|\bdct?:|\bdcterms:|\bxhtml:", re.I)
_OTHERWISE_NOTED = re.compile(r"except where otherwise (?:noted|stated|indicated)|unless otherwise (?:noted|stated|indicated|specified)", re.I)
_CLAUSE_BREAK = re.compile(r"[;|\u00b7\u2022\n]|(?<=[a-z]{3})[.!?](?=\s)|(?<=\))\.(?=\s)")

# Copyright notices and reservations in text.
# Cheap substring test run on every text node; the regexes below judge the few hits.
_NOTICE_KEYWORDS = ("\u00a9", "(c)", "copyright", "reserved", "r\u00e9serv", "reserv", "vorbehalten", "riservati", "zastrze", "permission", "may not be", "must not be")
_COPYRIGHT_MARK = re.compile(r"\u00a9|\(c\)\s*\d|copyright\s*(?:\u00a9|\(c\)|\d{4})", re.I)
_RESERVATION = re.compile(
    r"all rights reserved|tous droits r[\u00e9e]serv[\u00e9e]s|alle rechte vorbehalten|todos los derechos reservados|tutti i diritti riservati|alle rechten voorbehouden"
    r"|todos os direitos reservados|wszelkie prawa zastrze\u017cone|(?:reproduced|reprinted|republished|used) with (?:the )?(?:kind )?permission"
    r"|(?:may|must) not be (?:reproduced|republished|reprinted|copied)|no part of this [a-z ]{0,30}may be (?:reproduced|republished|copied)",
    re.I,
)
_URL_IN_COMMENT = re.compile(r"(?:https?:)?//[^\s\"'<>()]{1,300}", re.I)
_REL_LICENCE_IN_COMMENT = re.compile(r"\brel\s*=\s*[\"']?[^\"'>]{0,60}\blicen[cs]e\b", re.I)
_JSONLD_SALVAGE = re.compile(r"\"license\"\s*:\s*\"([^\"\\]{1,500})\"")
_JSON_WRAPPERS = re.compile(r"^\s*(?://\s*)?(?:<!--|<!\[CDATA\[)|(?://\s*)?(?:-->|\]\]>)\s*$")

# JSON-LD @type local names.
_JSONLD_PAGE_TYPES = frozenset({
    "article", "newsarticle", "blogposting", "scholarlyarticle", "report", "techarticle", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "liveblogposting", "socialmediaposting", "discussionforumposting",
    "creativework", "book", "chapter", "thesis", "webpage", "aboutpage", "collectionpage", "itempage", "qapage", "faqpage", "profilepage",
    "medicalwebpage", "howto", "recipe", "learningresource", "course", "review", "legislation", "manuscript", "poster",
})
_JSONLD_DOCUMENT_TYPES = frozenset({"webpage", "aboutpage", "collectionpage", "itempage", "qapage", "faqpage", "profilepage", "medicalwebpage"})
_JSONLD_MEDIA_TYPES = frozenset({
    "imageobject", "photograph", "videoobject", "audioobject", "mediaobject", "3dmodel", "musicrecording", "musicalbum", "podcastepisode",
    "dataset", "datacatalog", "datadownload", "softwareapplication", "softwaresourcecode", "webapplication", "mobileapplication", "videogame",
    "imagegallery", "mediagallery", "videogallery", "map",
})
_JSONLD_NOT_A_WORK = frozenset({"person", "organization", "newsmediaorganization", "corporation", "place", "event", "brand", "product", "offer", "comment", "answer", "question"})
_JSONLD_PAGE_KEYS = frozenset({"@graph", "mainEntity", "mainEntityOfPage"})
_JSONLD_SITE_KEYS = frozenset({"isPartOf"})


# ---------------------------------------------------------------- values
@dataclass(frozen=True)
class LicenceCandidate:
    """One licence declaration found on a page, whether or not it is the page's.

    ``url`` is the normalised licence URL when one was declared; ``spdx`` its SPDX
    id (``LicenseRef-…`` where SPDX has none), None when unmappable; ``text`` a
    free-text declaration; ``source`` how it was declared (see ``SOURCES``);
    ``location`` where (see ``LOCATIONS``); ``applies_to_page`` is False for the
    licence of an embedded image, media, download, comment, hidden markup or a
    theme credit (``evidence.note`` says which)."""

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
    """The page's licence and everything seen on the way to it.

    ``license`` is None when no page-level licence was declared, or when the
    declarations contradict each other (``ambiguous``: an "all rights reserved"
    or an unrecognised licence at least as specific as the licence).
    ``notes`` records malformed input and caps (``malformed: …``)."""

    license: str | None
    source: str | None
    evidence: str | None
    candidates: tuple[LicenceCandidate, ...]
    copyright_notice: str | None
    ambiguous: bool
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------- URLs to SPDX
def normalise_licence_url(url: str) -> str:
    """One spelling per licence URL.

    Creative Commons: ``https://creativecommons.org/licenses/by-sa/4.0/`` whatever
    the scheme, ``www.``, host case, port, query, fragment, ``deed``/``legalcode``
    (with a language) or trailing slash; badge images
    (``licensebuttons.net/l/…/88x31.png``) become the licence they show. Other
    licence hosts lose scheme, ``www.``, query, fragment and trailing slash;
    any other http(s) URL only its fragment and default port. Text that is not
    an http(s) URL is returned stripped.
    """
    text = _prepare_url(url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if parts.scheme.lower() not in ("http", "https"):
        return text
    host = _licence_host(parts)
    if not host:
        return text
    if _is_cc_host(host):
        host, segments = _cc_segments(host, parts.path)
        segments = [s.upper() if s in ("gpl", "lgpl") else s for s in segments]
        return f"https://{host}/" + "".join(f"{segment}/" for segment in segments)
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    if host in _KNOWN_HOSTS:
        return f"https://{host}{path.rstrip('/') or '/'}"
    full_host = (parts.hostname or "").rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}[parts.scheme.lower()]
    netloc = full_host if port in (None, default) else f"{full_host}:{port}"
    return f"{parts.scheme.lower()}://{netloc}{path}" + (f"?{parts.query}" if parts.query else "")


def cc_url_to_spdx(url: str) -> str | None:
    """SPDX id of a licence URL (``LicenseRef-cc-…`` for a CC licence SPDX lacks).

    Creative Commons licences, public-domain tools and badge images, CC-GPL
    wrappers, and a short list of other licence URLs (OSI, Apache, GNU, Open
    Data Commons, OGL, spdx.org). None for anything else, including CC pages that
    are not content licences (sampling, devnations, the licence index)."""
    text = _prepare_url(url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    host = _licence_host(parts)
    if not host:
        return None
    if _is_cc_host(host):
        host, segments = _cc_segments(host, parts.path)
        return _cc_spdx(segments) if host == _CC_HOST else None
    path = re.sub(r"/{2,}", "/", parts.path)
    key = f"{host}{path.rstrip('/').lower()}"
    for pattern, spdx in _OTHER_LICENCES:
        match = pattern.fullmatch(key)
        if match:
            return spdx.format(*match.groups())
    if host == "spdx.org":
        match = _SPDX_ORG_PATH.fullmatch(path.rstrip("/"))
        if match:
            return match.group(1)
    return None


def licence_family(spdx: str | None) -> str | None:
    """The family of an SPDX id (one of ``FAMILIES``), None when unknown."""
    if not spdx:
        return None
    upper = spdx.upper()
    if upper in _PUBLIC_DOMAIN_IDS:
        return "public-domain"
    match = _CC_ID.fullmatch(spdx)
    if match:
        elements = set(match.group(1).lower().split("-"))
        if "nc" in elements and "nd" in elements:
            return "non-commercial-no-derivatives"
        if "nc" in elements and "sa" in elements:
            return "non-commercial-share-alike"
        if "nc" in elements:
            return "non-commercial"
        if "nd" in elements:
            return "no-derivatives"
        return "share-alike" if "sa" in elements else "permissive"
    if upper in _PERMISSIVE_IDS:
        return "permissive"
    if upper.startswith(_COPYLEFT_PREFIXES):
        return "share-alike"
    return None


def restrictiveness(spdx: str | None) -> int | None:
    """0 (public domain) … 5 (NC-ND); None for a licence we cannot rank."""
    family = licence_family(spdx)
    return _RANK[family] if family else None


def licence_name_to_spdx(text: str) -> str | None:
    """SPDX id of a licence written as a name (``CC BY-SA 4.0``, ``CC-BY-4.0``,
    ``Creative Commons Attribution 4.0 International``, ``CC0``, ``MIT``);
    None for anything else, including names without a version."""
    text = str(text).strip()
    if not text or len(text) > 120:
        return None
    if text.upper() in _PLAIN_IDS:
        return _PLAIN_IDS[text.upper()]
    if _CC0_NAME.fullmatch(text):
        return "CC0-1.0"
    match = _CC_NAME.fullmatch(text)
    if not match:
        return None
    words = re.split(r"[\s-]+", match.group("elements").lower())
    # Rejoin the two-word spellings split above (non-commercial, no-derivs, share-alike).
    joined = " ".join(words).replace("non commercial", "noncommercial").replace("no derivatives", "noderivatives").replace("no derivs", "noderivs").replace("share alike", "sharealike")
    elements = [_NAME_ELEMENTS.get(word) for word in joined.split()]
    if None in elements or len(set(elements)) != len(elements):
        return None
    kind = _CC_TYPE_OF_ELEMENTS.get(frozenset(e for e in elements if e))
    version = match.group("version")
    if kind is None or version not in _CC_VERSIONS or version == "2.1":
        return None
    return f"CC-{kind.upper()}-{version}"


def _prepare_url(url: object) -> str:
    text = _URL_LAYOUT.sub("", str(url)).strip()[:_MAX_URL]
    if text.startswith("//"):
        return "https:" + text
    if _BARE_LICENCE_HOST.match(text):
        return "https://" + text
    return text


def _licence_host(parts: Any) -> str:
    host = (parts.hostname or "").rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _is_cc_host(host: str) -> bool:
    return host == _CC_HOST or host.endswith("." + _CC_HOST) or host in _BADGE_HOSTS


def _cc_segments(host: str, path: str) -> tuple[str, list[str]]:
    segments = [segment for segment in path.lower().split("/") if segment]
    if host in _BADGE_HOSTS and segments[:1] in (["l"], ["p"]):
        # licensebuttons.net/l/by-sa/4.0/88x31.png shows …/licenses/by-sa/4.0/
        segments = (["licenses"] if segments[0] == "l" else ["publicdomain"]) + segments[1:]
        if segments and _BADGE_FILE.fullmatch(segments[-1]):
            segments.pop()
        host = _CC_HOST
    for _ in range(2):
        if segments and _TRAILING_DOCUMENT.fullmatch(segments[-1]):
            segments.pop()
    return host, segments


def _cc_spdx(segments: list[str]) -> str | None:
    if segments == ["publicdomain", "zero", "1.0"]:
        return "CC0-1.0"
    if segments == ["publicdomain", "mark", "1.0"]:
        return "CC-PDM-1.0"
    if segments == ["licenses", "publicdomain"]:
        return "CC-PDDC"
    if len(segments) not in (3, 4) or segments[0] != "licenses":
        return None
    kind, version = segments[1], segments[2]
    port = segments[3] if len(segments) == 4 else None
    if (kind, version) in _CC_GPL:
        return _CC_GPL[(kind, version)] if port is None else None
    if version not in _CC_VERSIONS or (port is not None and not _PORT.fullmatch(port)):
        return None
    kind = _CC_TYPE_ALIASES.get(kind, kind)
    if kind in _CC_ONE_ZERO_TYPES and version == "1.0":
        if port is not None:
            return f"LicenseRef-cc-{kind}-1.0-{port}"
        return "CC-SA-1.0" if kind == "sa" else f"LicenseRef-cc-{kind}-1.0"
    if kind not in _CC_TYPES:
        return None  # sampling, sampling+, nc-sampling+, devnations: not content licences
    if port is None:
        # 2.1 exists only ported; 4.0 has no ports (checked below).
        return None if version == "2.1" else f"CC-{kind.upper()}-{version}"
    if version == "4.0":
        return None
    if (version, port) in _SPDX_PORTS[kind]:
        return f"CC-{kind.upper()}-{version}-{port.upper()}"
    return f"LicenseRef-cc-{kind}-{version}-{port}"


# ---------------------------------------------------------------- detection
def detect_licences(tree: "lxml.html.HtmlElement | None", *, base_url: str, headers: HeaderPairs = ()) -> LicenceResult:
    """Every licence declaration of a page, and the page's licence.

    ``tree`` is the parsed page (any element of it, or None when only headers
    are known); relative URLs resolve against ``<base href>`` and ``base_url``.
    Never raises: an unexpected failure is recorded in ``notes``."""
    scan = _Scan(str(base_url or ""))
    try:
        scan.read_headers(headers)
        if tree is not None:
            scan.read_tree(tree)
        return scan.result()
    except Exception as exc:  # a parser of outside input never raises; the note keeps the failure visible
        partial = tuple(found.candidate for found in scan.found)
        failure = f"licence detection failed: {type(exc).__name__}"
        return LicenceResult(None, None, failure, partial, None, False, tuple(scan.notes) + (f"malformed: {failure}; licence detection stopped",))


@dataclass(frozen=True)
class Declaration:
    """A licence or rights value a file declares about itself (PDF XMP or Info
    dictionary, EPUB package metadata): ``source`` is one of ``SOURCES``;
    ``statement_only`` marks a field that often points at a terms page rather
    than a licence (``xmpRights:WebStatement``): only a recognised licence URL
    there becomes a candidate."""

    value: str
    source: str
    evidence: Evidence
    statement_only: bool = False


def licence_from_declarations(declarations: "list[Declaration] | tuple[Declaration, ...]", *, base_url: str) -> LicenceResult:
    """The licence of a whole document from the declarations embedded in it,
    mapped to SPDX and chosen by the same rules as a page's (most restrictive;
    none when a reservation or an unrecognised licence contradicts it). Every
    declaration covers the whole document (location ``document``). Never raises."""
    scan = _Scan(str(base_url or ""))
    place = _Place("document", True, "", _DOCUMENT)
    try:
        for declaration in list(declarations)[: MAX_CANDIDATES * 2]:
            value = str(declaration.value or "").strip()
            if not value:
                continue
            source = declaration.source
            confidence = "medium" if source in _RIGHTS_SOURCES or declaration.statement_only else "high"
            if _looks_like_url(value):
                scan._url_candidate(value, source, place, confidence, declaration.evidence, require_spdx=declaration.statement_only)
            elif declaration.statement_only:
                scan.statement(value, _DOCUMENT, machine_readable=True, where=source)
            else:
                scan._text_candidate(value, source, place, confidence, declaration.evidence)
        return scan.result()
    except Exception as exc:  # outside input never makes this raise
        partial = tuple(found.candidate for found in scan.found)
        failure = f"licence detection failed: {type(exc).__name__}"
        return LicenceResult(None, None, failure, partial, None, False, (f"malformed: {failure}",))


@dataclass(frozen=True)
class _Place:
    location: str
    applies: bool
    why: str  # why the declaration is not the page's ("" when it is)
    level: int


@dataclass(frozen=True)
class _Found:
    candidate: LicenceCandidate
    level: int
    unknown: bool = False  # a page licence we cannot name or rank


@dataclass(frozen=True)
class _Statement:
    """A copyright notice or reservation ("all rights reserved", "reprinted with permission")."""

    text: str
    level: int
    machine_readable: bool
    reserves: bool
    where: str
    marked: bool = False  # carries ©, (c) or "Copyright <year>"


class _Scan:
    """State of one page's scan: found declarations, notices and notes, bounded."""

    def __init__(self, base_url: str) -> None:
        self.page_url = base_url
        self.base = base_url
        self.found: list[_Found] = []
        self.statements: list[_Statement] = []
        self.notes: list[str] = []
        # Elements, not id()s: lxml hands out a new proxy (and id) for a node once the
        # old proxy is gone, so holding the element is what keeps identity stable.
        self.declaring_anchors: set[Any] = set()
        self.notice_blocks: set[Any] = set()
        self.full = False
        self.examined = 0
        self.notice_checks = 0
        self.jsonld_blocks = 0

    def examine(self) -> bool:
        """Count one close look at a licence-looking element; False once the page has had enough."""
        self.examined += 1
        if self.examined == MAX_EXAMINED + 1:
            self.note(f"more than {MAX_EXAMINED} licence-looking elements: the rest were not examined")
        return self.examined <= MAX_EXAMINED

    # -- bookkeeping
    def add(self, candidate: LicenceCandidate, level: int, *, unknown: bool = False) -> None:
        if len(self.found) >= MAX_CANDIDATES:
            if not self.full:
                self.notes.append(f"more than {MAX_CANDIDATES} licence declarations: the rest were not recorded")
                self.full = True
            return
        self.found.append(_Found(candidate, level, unknown))

    def note(self, text: str) -> None:
        if len(self.notes) < 20 and text not in self.notes:
            self.notes.append(clean_evidence_text(text))

    def statement(self, text: str, level: int, *, machine_readable: bool, where: str) -> None:
        if len(self.statements) < MAX_NOTICES:
            cleaned = clean_evidence_text(text, 200)
            if cleaned:
                reserves = bool(_RESERVATION.search(str(text)[:2000]))
                marked = bool(_COPYRIGHT_MARK.search(cleaned))
                self.statements.append(_Statement(cleaned, level, machine_readable, reserves, where, marked))

    # -- HTTP headers
    def read_headers(self, headers: HeaderPairs) -> None:
        values = header_values(headers, "Link") if headers else []
        for value in values[:MAX_LINK_HEADERS]:
            for target, params, raw in _parse_link_header(str(value)):
                if "license" not in params.get("rel", "").lower().split():
                    continue
                if params.get("type", "").lower().startswith("application/rsl+xml"):
                    continue  # an RSL licence document (crawler terms), not the content's licence
                anchor = params.get("anchor")
                applies, why = True, ""
                if anchor is not None and not self._same_resource(anchor):
                    applies, why = False, f"anchor={anchor}: the licence of another resource"
                place = _Place("head", applies, why, _DOCUMENT)
                self._url_candidate(target, "http-link", place, "high", Evidence(SIGNAL, "header:Link", raw, note=why or "HTTP Link header, applies to the page"))

    # -- the tree
    def read_tree(self, tree: Any) -> None:
        root = tree.getroot() if hasattr(tree, "getroot") and not hasattr(tree, "tag") else tree
        base = next(iter(root.iter("base")), None)
        if base is not None and base.get("href"):
            try:
                self.base = urljoin(self.page_url, _URL_LAYOUT.sub("", base.get("href")).strip())
            except ValueError:
                self.note("malformed: <base href> is not a URL")
        for count, element in enumerate(root.iter()):
            if count >= MAX_ELEMENTS:
                self.note(f"page has more than {MAX_ELEMENTS} elements: the rest was not read")
                break
            tag = element.tag
            if not isinstance(tag, str):
                if tag is lxml.etree.Comment:
                    self._html_comment(element)
                continue
            tag = tag.lower()
            if not self.full:
                self._element(element, tag)
            self._text_statements(element, tag)

    def _element(self, element: Any, tag: str) -> None:
        rels = (element.get("rel") or "").lower().split()
        handled = False
        if tag in ("link", "a", "area", "form") and rels:
            if _LICENCE_RELS.intersection(rels):
                handled = self._rel_licence(element, tag, rels, rights=False)
            elif _RIGHTS_RELS.intersection(rels):
                handled = self._rel_licence(element, tag, rels, rights=True)
        if not handled:
            properties = (element.get("property") or "").lower().split()
            if _RDFA_PROPERTIES.intersection(properties) or ("license" in properties and _in_rdfa(element)):
                handled = self._property_licence(element, "rdfa")
            elif "license" in (element.get("itemprop") or "").lower().split():
                handled = self._property_licence(element, "microdata")
        if tag == "meta" and not handled:
            self._meta(element)
        elif tag == "script" and (element.get("type") or "").split(";")[0].strip().lower() == "application/ld+json":
            self._jsonld(element)
        elif tag == "img":
            self._badge(element)
        elif tag == "a" and not handled:
            self._licence_sentence_link(element)

    # -- rel=license and friends
    def _rel_licence(self, element: Any, tag: str, rels: list[str], *, rights: bool) -> bool:
        if (element.get("type") or "").lower().startswith("application/rsl+xml"):
            return True  # RSL terms for crawlers, not a content licence
        target = element.get("action") if tag == "form" else element.get("href")
        target = target or element.get("resource")
        if not target or self._absolute(target) is None or not self.examine():
            return False
        if rights:
            source = "dc-rights"
        elif tag == "link":
            source = "dcterms" if _DCTERMS_RELS.intersection(rels) and "license" not in rels else "link-rel"
        elif "cc:license" in rels or _in_rdfa(element):
            source = "rdfa"
        else:
            source = "a-rel"
        place = self._place(element)
        clause = ""
        if place.applies and tag != "link":
            clause = _clause(element)
            place = self._refine_in_body(element, place, clause)
        confidence = _confidence(source, place)
        if self._url_candidate(target, source, place, confidence, self._evidence(element, place, clause=clause)):
            if tag == "a":
                self.declaring_anchors.add(element)
            return True
        return False

    def _property_licence(self, element: Any, source: str) -> bool:
        if not self.examine():
            return False
        place = self._place(element)
        if source == "microdata":
            scope_type = _itemscope_type(element)
            if _MEDIA_TYPE_WORDS.search(scope_type):
                place = _Place("figure", False, f"licence of an embedded {scope_type.rsplit('/', 1)[-1]} item", place.level)
            elif scope_type.lower().endswith(("/comment", "/usercomments")):
                place = _Place("comment", False, "licence of a comment item", place.level)
        value = element.get("resource") or element.get("href") or element.get("src") or element.get("content") or element.get("data") or element.get("value")
        confidence = _confidence(source, place)
        evidence = self._evidence(element, place)
        if value and value.strip():
            return self._url_candidate(value, source, place, confidence, evidence)
        text = _bounded_text(element, 200).strip()
        return bool(text) and self._text_candidate(text, source, place, "medium" if place.applies else "low", evidence)

    def _refine_in_body(self, element: Any, place: _Place, clause: str) -> _Place:
        """A licence link in the body belongs to what it sits beside or names, if not the page."""
        beside, location = _beside(element)
        if beside:
            return _Place(location or place.location, False, beside, place.level)
        reason = _subject_not_page(clause)
        if reason:
            return _Place(place.location, False, reason, place.level)
        return place

    # -- plain links in a licence sentence of the header or footer
    def _licence_sentence_link(self, element: Any) -> None:
        href = element.get("href") or ""
        lowered = href.lower()
        if not href or not any(host in lowered for host in ("creativecommons.org", "opendatacommons.org", "gnu.org/licenses", "opensource.org/licen", "apache.org/licenses")):
            return
        if not self.examine():
            return
        place = self._place(element)
        if not place.applies or place.location not in ("header", "footer"):
            return  # a licence named in running prose: a page *about* licences, not a declaration
        clause = _clause(element)
        if not _LICENCE_SENTENCE.search(clause):
            return
        place = self._refine_in_body(element, place, clause)
        if self._url_candidate(href, "a-text", place, "low", self._evidence(element, place, clause=clause), require_spdx=True):
            self.declaring_anchors.add(element)

    # -- badges
    def _badge(self, image: Any) -> None:
        src = image.get("src") or ""
        lowered = src.lower()
        if not any(host in lowered for host in ("licensebuttons.net", "i.creativecommons.org", "mirrors.creativecommons.org", "creativecommons.org/images")):
            return
        if not self.examine():
            return
        anchor = next(image.iterancestors("a"), None)
        if anchor is not None and anchor in self.declaring_anchors:
            return  # the link around the badge is the declaration
        place = self._place(image)
        target = src
        if cc_url_to_spdx(self._absolute(src) or "") is None and anchor is not None and cc_url_to_spdx(self._absolute(anchor.get("href") or "") or ""):
            target = anchor.get("href") or ""  # an unversioned button linked to the licence it stands for
        if cc_url_to_spdx(self._absolute(target) or "") is None:
            evidence = self._evidence(image, place, note="badge image without a licence version")
            self.add(LicenceCandidate(None, None, "Creative Commons badge image without a licence version", "badge", place.location, place.applies, "low", evidence), place.level)
            return
        self._url_candidate(target, "badge", place, "low", self._evidence(image, place))

    # -- meta tags
    def _meta(self, meta: Any) -> None:
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if not name or not content:
            return
        if name in _META_COPYRIGHT:
            place = self._place(meta)
            if place.applies:
                self.statement(content, _DOCUMENT, machine_readable=True, where=f"meta {name}")
            return
        if name in _META_LICENCE:
            source, confidence = "dcterms", None
        elif name in _META_RIGHTS:
            source, confidence = "dc-rights", None
        elif name in _META_AD_HOC:
            source, confidence = "meta", "low"
        else:
            return
        place = self._place(meta)
        confidence = confidence or _confidence(source, place)
        evidence = self._evidence(meta, place)
        if _looks_like_url(content):
            self._url_candidate(content, source, place, confidence, evidence)
        else:
            self._text_candidate(content, source, place, confidence, evidence)

    # -- JSON-LD
    def _jsonld(self, script: Any) -> None:
        self.jsonld_blocks += 1
        if self.jsonld_blocks > MAX_JSONLD_BLOCKS:
            self.note(f"more than {MAX_JSONLD_BLOCKS} JSON-LD blocks: the rest were not read")
            return
        raw = script.text or ""
        place = self._place(script)
        line = script.sourceline
        if len(raw) > MAX_JSONLD_CHARS:
            self.note(f"malformed: JSON-LD block at line {line} is larger than {MAX_JSONLD_CHARS} characters")
            self._salvage_jsonld(raw[:MAX_JSONLD_CHARS], place, line)
            return
        data, error = _load_json(raw)
        if error:
            self.note(f"malformed: JSON-LD block at line {line}: {error}")
            self._salvage_jsonld(raw, place, line)
            return
        for field, value, scope, types, key_path in _jsonld_statements(data, self.note):
            if self.full:
                break
            if field == "license":
                self._jsonld_value(value, scope, types, key_path, place, line)
            elif isinstance(value, str) and place.applies and not scope.startswith("other:"):
                self.statement(value, _jsonld_level(scope, types), machine_readable=True, where=f"JSON-LD {field}")

    def _jsonld_value(self, value: Any, scope: str, types: tuple[str, ...], key_path: str, script_place: _Place, line: int | None) -> None:
        if isinstance(value, dict):
            target = value.get("url") or value.get("@id")
            usable = isinstance(target, str) and target.strip() and not target.strip().startswith("_:")  # "_:b0" is a blank node
            value = target if usable else value.get("name")
        if not isinstance(value, str) or not value.strip():
            if value is not None:
                self.note(f"malformed: JSON-LD license at line {line} is neither a URL nor a name")
            return
        value = value.strip()[:_MAX_URL]
        label = "/".join(types) or "untyped"
        if not script_place.applies:
            place = script_place
        elif scope.startswith("other:"):
            place = _Place(script_place.location, False, scope[len("other:"):], _CONTENT)
        else:
            place = _Place(script_place.location, True, "", _jsonld_level(scope, types))
        known_type = bool(set(types) & (_JSONLD_PAGE_TYPES | {"website"}))
        confidence = "low" if not place.applies else ("high" if known_type and scope == "page" else "medium")
        shown = json.dumps({"@type": label, "license": value} if types else {"license": value}, ensure_ascii=False)
        note = place.why or f"{label} at {key_path or 'top level'}, applies to the page"
        evidence = Evidence(SIGNAL, "html", shown, line=line, note=note)
        if _looks_like_url(value):
            self._url_candidate(value, "jsonld", place, confidence, evidence)
        else:
            self._text_candidate(value, "jsonld", place, confidence, evidence)

    def _salvage_jsonld(self, raw: str, place: _Place, line: int | None) -> None:
        for match in islice(_JSONLD_SALVAGE.finditer(raw), 5):
            value = match.group(1)
            salvaged = _Place(place.location, False, "malformed JSON-LD: cannot tell which item this licence describes", place.level)
            evidence = Evidence(SIGNAL, "html", match.group(0), line=line, note="malformed JSON-LD; licence read by pattern, not applied to the page")
            if _looks_like_url(value):
                self._url_candidate(value, "jsonld", salvaged, "low", evidence)
            else:
                self._text_candidate(value, "jsonld", salvaged, "low", evidence)

    # -- HTML comments
    def _html_comment(self, comment: Any) -> None:
        text = (comment.text or "")[:8192]
        lowered = text.lower()
        if self.full or ("licen" not in lowered and "creativecommons" not in lowered):
            return
        source = "link-rel" if "<link" in lowered else ("a-rel" if _REL_LICENCE_IN_COMMENT.search(text) else "a-text")
        place = _Place("comment", False, "inside an HTML comment: not part of the page", _SITE)
        for match in islice(_URL_IN_COMMENT.finditer(text), 5):
            if cc_url_to_spdx(match.group(0)):
                evidence = Evidence(SIGNAL, "html", text, line=comment.sourceline, note=place.why)
                self._url_candidate(match.group(0), source, place, "low", evidence)

    # -- copyright notices and reservations in text
    def _text_statements(self, element: Any, tag: str) -> None:
        if len(self.statements) >= MAX_NOTICES:
            return
        pieces = []
        if element.text and tag not in ("script", "style", "textarea", "title"):
            pieces.append((element, element.text))
        parent = element.getparent()
        if element.tail and parent is not None:
            pieces.append((parent, element.tail))
        for owner, text in pieces:
            lowered = text[:4000].lower()
            if not any(keyword in lowered for keyword in _NOTICE_KEYWORDS):
                continue
            self.notice_checks += 1
            if self.notice_checks > MAX_NOTICE_CHECKS:
                return
            block = _block_of(owner)
            if block in self.notice_blocks:
                continue
            self.notice_blocks.add(block)
            block_text = " ".join(_bounded_text(block, _SMALL_BLOCK + 1).split())
            if len(block_text) > _SMALL_BLOCK or not block_text:
                continue  # prose that mentions copyright, not a notice
            mark = _RESERVATION.search(block_text) or _COPYRIGHT_MARK.search(block_text)
            if not mark:
                continue  # "shown with permission" and the like: about something, not a notice
            if _subject_not_page(_clause_at(block_text, mark.start())):
                continue  # "Photographs by X, used with permission": a credit for media, not the text
            place = self._place(block, include_self=True)
            if not place.applies or place.location == "head":
                continue
            self.statement(block_text, place.level, machine_readable=False, where=f"text in {place.location}")

    # -- candidates
    def _url_candidate(self, raw: str, source: str, place: _Place, confidence: str, evidence: Evidence, *, require_spdx: bool = False) -> bool:
        absolute = self._absolute(raw)
        if absolute is None:
            return False
        spdx = cc_url_to_spdx(absolute)
        if spdx is None and require_spdx:
            return False
        url = normalise_licence_url(absolute)
        if spdx is None and not url.lower().startswith(("http://", "https://")):
            # A licence "URL" that is not one: treat it as text (JSON-LD and meta carry both).
            return self._text_candidate(raw, source, place, confidence, evidence)
        if not place.applies:
            confidence = "low"
        self.add(LicenceCandidate(url, spdx, None, source, place.location, place.applies, confidence, evidence), place.level, unknown=spdx is None)
        return True

    def _text_candidate(self, text: str, source: str, place: _Place, confidence: str, evidence: Evidence) -> bool:
        text = clean_evidence_text(text, 200)
        if not text:
            return False
        spdx = licence_name_to_spdx(text)
        reserves = bool(_RESERVATION.search(text))
        if place.applies and (reserves or source in _RIGHTS_SOURCES):
            self.statement(text, place.level, machine_readable=True, where=source)
        if not place.applies:
            confidence = "low"
        if spdx is None:
            kind = "free text: a copyright statement, not a licence" if reserves or source in _RIGHTS_SOURCES else "free text: not a licence we can name"
            evidence = replace(evidence, note=f"{place.why}; {kind}" if place.why else kind)
        # A licence field holding an unnamed licence ("Standard YouTube License") may be anything.
        unknown = spdx is None and not reserves and source not in _RIGHTS_SOURCES
        self.add(LicenceCandidate(None, spdx, text, source, place.location, place.applies, confidence, evidence), place.level, unknown=unknown)
        return True

    def _absolute(self, raw: str) -> str | None:
        raw = _URL_LAYOUT.sub("", str(raw)).strip()[:_MAX_URL]
        if not raw or raw.startswith("#") or raw.lower().startswith(("javascript:", "mailto:", "data:", "tel:")):
            return None
        if raw.startswith("//") or _BARE_LICENCE_HOST.match(raw):
            return _prepare_url(raw)
        try:
            return urljoin(self.base, raw)
        except ValueError:
            return raw

    def _same_resource(self, reference: str) -> bool:
        reference = reference.strip()
        if reference in ("", "#"):
            return True
        try:
            return urljoin(self.page_url, reference).split("#", 1)[0] == self.page_url.split("#", 1)[0]
        except ValueError:
            return False

    def _evidence(self, element: Any, place: _Place, *, note: str = "", clause: str = "") -> Evidence:
        where = place.why or f"{place.location}, applies to the page"
        if clause and _OTHERWISE_NOTED.search(clause):
            where += "; says 'except where otherwise noted'"
        return Evidence(SIGNAL, "html", _snippet(element), line=element.sourceline, note=f"{note}; {where}" if note else where)

    # -- where an element sits
    def _place(self, element: Any, *, include_self: bool = False) -> _Place:
        """Where an element sits, from its ancestors (and itself, for a block of text)."""
        landmark: str | None = None
        landmark_in_main = False
        outside: tuple[str | None, str] | None = None if include_self else _hidden_reason(element)
        node = element if include_self else element.getparent()
        depth = 0
        while node is not None and depth < _MAX_DEPTH:
            tag = node.tag.lower() if isinstance(node.tag, str) else ""
            if outside is None:
                outside = self._outside_reason(node, tag)
            mark = _landmark(node, tag)
            if landmark is None:
                landmark = mark
            elif mark == "main" and landmark in ("header", "footer"):
                landmark_in_main = True  # an article's own header or footer is part of the content
            node = node.getparent()
            depth += 1
        location = landmark or "body"
        if landmark_in_main:
            location = "main"
        level = _DOCUMENT if location == "head" else _CONTENT if location == "main" else _SITE
        if outside is not None:
            return _Place(outside[0] or location, False, outside[1], level)
        return _Place(location, True, "", level)

    def _outside_reason(self, node: Any, tag: str) -> tuple[str | None, str] | None:
        if tag in _MEDIA_TAGS:
            return "figure", f"inside <{tag}>: the licence of an embedded image or media"
        if tag in _UNRENDERED_TAGS:
            return "noscript", f"inside <{tag}>: not shown as part of the page"
        if tag in _VERBATIM_TAGS:
            return None, f"inside <{tag}>: quoted or example markup, not a declaration"
        hidden = _hidden_reason(node)
        if hidden:
            return hidden
        classes = f"{node.get('class') or ''} {node.get('id') or ''}".lower().split()
        itemtype = (node.get("itemtype") or "").lower()
        if tag not in ("html", "body", "main") and (any(_COMMENT_CLASS.fullmatch(c) for c in classes) or itemtype.endswith(("/comment", "/usercomments"))):
            return "comment", "in the comments section"
        about = node.get("about")
        if about is not None and not self._same_resource(about):
            return None, f"RDFa about={clean_evidence_text(about, 80)}: the licence of another resource"
        typeof = node.get("typeof") or ""
        if node.get("itemscope") is not None and _MEDIA_TYPE_WORDS.search(itemtype):
            return "figure", f"inside a {itemtype.rsplit('/', 1)[-1]} item: the licence of embedded media"
        if typeof and _MEDIA_TYPE_WORDS.search(typeof):
            return "figure", f"inside typeof={clean_evidence_text(typeof, 60)}: the licence of embedded media"
        if tag not in _STRUCTURAL_TAGS and any(_CAPTION_CLASS.search(c) for c in classes):
            if len(_bounded_text(node, _CAPTION_BLOCK + 1)) <= _CAPTION_BLOCK:
                return "figure", f"in an image caption or credit (class/id {clean_evidence_text(' '.join(classes), 60)})"
        return None

    # -- the result
    def result(self) -> LicenceResult:
        candidates = tuple(found.candidate for found in self.found)
        chosen, explanation, ambiguous = self._choose()
        return LicenceResult(
            license=chosen.spdx if chosen else None,
            source=chosen.source if chosen else None,
            evidence=clean_evidence_text(explanation, 500) if explanation else None,
            candidates=candidates,
            copyright_notice=self._copyright_notice(),
            ambiguous=ambiguous,
            notes=tuple(self.notes),
        )

    def _copyright_notice(self) -> str | None:
        if not self.statements:
            return None
        # Machine-readable first, then the main content's own notice, then site chrome.
        best = max(self.statements, key=lambda s: (s.machine_readable, s.level, s.marked, s.reserves))
        return best.text

    def _choose(self) -> tuple[LicenceCandidate | None, str | None, bool]:
        page = [f for f in self.found if f.candidate.applies_to_page]
        licensed = [f for f in page if f.candidate.spdx]
        outside = [f.candidate for f in self.found if not f.candidate.applies_to_page]
        outside_text = _describe(outside, "not the page's")
        if not licensed:
            reasons = []
            unknown = [f.candidate for f in page if f.unknown]
            reservations = [s for s in self.statements if s.reserves]
            if unknown:
                reasons.append(_describe(unknown, "page licence with no SPDX id"))
            if reservations:
                reasons.append(f"reservation: '{reservations[0].text}' ({reservations[0].where})")
            if not self.found and not reasons:
                return None, None, False
            return None, "no page licence" + ("; " + "; ".join(reasons) if reasons else "") + (f"; {outside_text}" if outside_text else ""), False
        if all(f.candidate.source == "badge" for f in licensed):
            return None, "no page licence: only a badge image, weak evidence on its own; " + _describe([f.candidate for f in licensed], "badge"), False

        ids = list(dict.fromkeys(f.candidate.spdx for f in licensed))
        unranked = [i for i in ids if restrictiveness(i) is None]
        if len(ids) > 1 and unranked:
            return None, f"ambiguous: cannot rank {', '.join(unranked)} against {', '.join(i for i in ids if i not in unranked)}", True

        def strength(f: _Found) -> tuple[int, int, int, int]:
            c = f.candidate
            return (restrictiveness(c.spdx) or 0, -_SOURCE_ORDER.get(c.source, 99), _CONFIDENCE_ORDER.get(c.confidence, 0), f.level)

        best = max(licensed, key=strength)
        chosen = best.candidate
        top_level = max(f.level for f in licensed if f.candidate.source != "badge")
        conflicts = [f"'{s.text}' ({s.where})" for s in self.statements if s.reserves and s.level >= top_level]
        conflicts += [f"{f.candidate.source} {f.candidate.url or f.candidate.text} ({f.candidate.location})" for f in page if f.unknown and f.level >= top_level]
        if conflicts:
            return None, f"ambiguous: {chosen.source} {chosen.spdx} ({chosen.location}) contradicted by " + "; ".join(conflicts[:3]), True

        others = [f.candidate for f in licensed if f is not best]
        disagree = [c for c in others if c.spdx != chosen.spdx]
        if disagree:
            rest = ", ".join(dict.fromkeys(f"{c.source} {c.spdx}" for c in disagree))
            same_rank = all(restrictiveness(c.spdx) == restrictiveness(chosen.spdx) for c in disagree)
            why = "equally restrictive; the stronger declaration" if same_rank else "most restrictive"
            explanation = f"{chosen.source} {chosen.spdx} chosen over {rest} ({why})"
        else:
            explanation = f"{chosen.source} {chosen.spdx} in {chosen.location} ({chosen.confidence} confidence)"
            if others:
                explanation += f"; agrees: {', '.join(dict.fromkeys(f'{c.source} in {c.location}' for c in others))}"
        if outside_text:
            explanation += f"; {outside_text}"
        return chosen, explanation, False


# ---------------------------------------------------------------- helpers
def _describe(candidates: list[LicenceCandidate], label: str) -> str:
    if not candidates:
        return ""
    shown = ", ".join(dict.fromkeys(f"{c.source} {c.spdx or c.url or c.text} ({c.location})" for c in candidates[:4]))
    more = f" and {len(candidates) - 4} more" if len(candidates) > 4 else ""
    return f"{label}: {shown}{more}"


def _confidence(source: str, place: _Place) -> str:
    if not place.applies:
        return "low"
    if source in ("a-text", "badge", "meta"):
        return "low"
    if source == "dc-rights":
        return "medium"  # a rights statement field: a URL there is usually, not always, a licence
    if place.location == "head":
        return "high"
    if place.location in ("aside", "nav"):
        return "low"
    return "medium"


def _looks_like_url(value: str) -> bool:
    value = value.strip()
    return bool(re.match(r"(?:https?:)?//|/[^\s]*$", value, re.I) or _BARE_LICENCE_HOST.match(value)) and " " not in value[:200]


def _hidden_reason(node: Any) -> tuple[str | None, str] | None:
    if node.get("hidden") is not None:
        return None, "hidden content (hidden attribute)"
    if _HIDDEN_STYLE.search(node.get("style") or ""):
        return None, "hidden content (display:none)"
    if _HIDDEN_CLASSES.intersection((node.get("class") or "").lower().split()):
        return None, "hidden content (hidden class)"
    return None


def _landmark(node: Any, tag: str) -> str | None:
    mark = _LANDMARK_TAGS.get(tag) or _ROLE_LANDMARKS.get((node.get("role") or "").strip().lower())
    if mark or tag not in ("div", "section"):
        return mark
    for token in f"{node.get('class') or ''} {node.get('id') or ''}".lower().split():
        if _FOOTER_CLASS.search(token):
            return "footer"
        if _HEADER_CLASS.search(token):
            return "header"
        if _ASIDE_CLASS.search(token):
            return "aside"
    return None


def _in_rdfa(element: Any) -> bool:
    """Inside an RDFa block: a CC / Dublin Core namespace, vocab, typeof or about
    (an Open Graph ``prefix`` on <html> alone does not make the page RDFa)."""
    node, depth = element, 0
    while node is not None and depth < _MAX_DEPTH:
        for key, value in node.attrib.items():
            key = str(key).lower()
            if key in ("vocab", "typeof", "about") or (key.startswith("xmlns:") and key not in ("xmlns:og", "xmlns:fb")):
                return True
            if key == "prefix" and _RDFA_PREFIX.search(str(value)):
                return True
        node = node.getparent()
        depth += 1
    return False


def _itemscope_type(element: Any) -> str:
    # An itemprop belongs to the nearest ancestor item (the element's own itemscope is the value).
    node, depth = element.getparent(), 0
    while node is not None and depth < _MAX_DEPTH:
        if node.get("itemscope") is not None:
            return (node.get("itemtype") or "").strip()
        node = node.getparent()
        depth += 1
    return ""


def _bounded_text(element: Any, limit: int, max_nodes: int = 1000) -> str:
    """The element's text in document order, stopping after ``limit`` characters
    or ``max_nodes`` nodes (a block of 100k empty spans costs no more than a caption)."""
    pieces: list[str] = []
    total, nodes = 0, 0
    if isinstance(element.tag, str) and element.text and element.tag not in ("script", "style"):
        pieces.append(element.text)
        total += len(element.text)
    stack = [(element, iter(element))]
    while stack and total <= limit:
        parent, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if parent is not element and parent.tail:
                pieces.append(parent.tail)
                total += len(parent.tail)
            continue
        nodes += 1
        if nodes > max_nodes:
            break
        if isinstance(child.tag, str):
            if child.text and child.tag not in ("script", "style"):
                pieces.append(child.text)
                total += len(child.text)
            stack.append((child, iter(child)))
        elif child.tail:  # a comment or processing instruction: only what follows it is text
            pieces.append(child.tail)
            total += len(child.tail)
    return "".join(pieces)[: limit + 1]


def _block_of(element: Any) -> Any:
    node, depth = element, 0
    while node is not None and depth < _MAX_DEPTH:
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if tag and tag not in _INLINE_TAGS:
            return node
        parent = node.getparent()
        if parent is None:
            return node
        node, depth = parent, depth + 1
    return element


def _beside(element: Any) -> tuple[str, str | None]:
    """(why, location) when a licence link sits in a small block with an image,
    embedded media or a download link: the licence is theirs."""
    own = set(islice(element.iter(), 200))
    block = _block_of(element.getparent() if element.getparent() is not None else element)
    for _ in range(3):
        if block is None:
            break
        tag = block.tag.lower() if isinstance(block.tag, str) else ""
        if tag in _STRUCTURAL_TAGS or len(_bounded_text(block, _SMALL_BLOCK + 1)) > _SMALL_BLOCK:
            break
        for node in islice(block.iter("img", "video", "audio", "iframe", "object", "embed", "a"), 80):
            if node in own:
                continue
            if node.tag == "a":
                if _is_download(node):
                    return "next to a download link: the licence of that file", None
            elif node.tag == "img":
                if not _is_decorative(node):
                    return "next to an image: the licence of that image", "figure"
            else:
                return f"next to embedded <{node.tag}>: the licence of that media", "figure"
        block = block.getparent()
    return "", None


def _is_decorative(image: Any) -> bool:
    described = " ".join(image.get(name) or "" for name in ("src", "alt", "class", "id"))
    if "creativecommons.org" in described.lower() or "licensebuttons.net" in described.lower() or _DECORATIVE_IMAGE.search(described):
        return True
    for name in ("width", "height"):
        digits = re.match(r"\s*(\d{1,5})", image.get(name) or "")
        if digits and int(digits.group(1)) <= 64:
            return True
    return False


def _is_download(anchor: Any) -> bool:
    if anchor.get("download") is not None or (anchor.get("type") or "").lower().startswith(("application/", "text/csv")):
        return True
    try:
        path = urlsplit(_URL_LAYOUT.sub("", anchor.get("href") or "").strip()).path.lower()
    except ValueError:
        path = ""
    return bool(_DOWNLOAD_PATH.search(path)) or bool(_DOWNLOAD_TEXT.search(_bounded_text(anchor, 80)))


def _clause(element: Any) -> str:
    """The words of the sentence a link sits in: from the last break before it to
    the next break after it, read outwards from the link within its block, so the
    cost does not grow with the block (a footer of 20k links)."""
    parent = element.getparent()
    block = _block_of(parent if parent is not None else element)
    before = _CLAUSE_BREAK.split(_text_before(element, block, 300))[-1]
    after = _CLAUSE_BREAK.split(_text_after(element, block, 200), maxsplit=1)[0]
    return " ".join(f"{before}{_bounded_text(element, 200)[:200]}{after}".split())


def _text_before(element: Any, block: Any, limit: int, max_nodes: int = 200) -> str:
    pieces: list[str] = []  # collected backwards, reversed at the end
    total, nodes, node = 0, 0, element
    while node is not None and total < limit and nodes < max_nodes:
        for sibling in node.itersiblings(preceding=True):
            nodes += 1
            if sibling.tail:
                pieces.append(sibling.tail)
                total += len(sibling.tail)
            text = _bounded_text(sibling, limit, 200) if isinstance(sibling.tag, str) else ""
            if len(text) > limit:
                pieces.append("\n")  # a long block of text before the link: its own sentences, not this one
                return "".join(reversed(pieces))
            pieces.append(text)
            total += len(text)
            if total >= limit or nodes >= max_nodes:
                return "".join(reversed(pieces))
        parent = node.getparent()
        if parent is None:
            break
        if isinstance(parent.tag, str) and parent.text:
            pieces.append(parent.text)
            total += len(parent.text)
        if parent is block:
            break
        node = parent
    return "".join(reversed(pieces))


def _text_after(element: Any, block: Any, limit: int, max_nodes: int = 200) -> str:
    pieces: list[str] = []
    total, nodes, node = 0, 0, element
    while node is not None and total < limit and nodes < max_nodes:
        if node.tail:
            pieces.append(node.tail)
            total += len(node.tail)
        for sibling in node.itersiblings():
            nodes += 1
            if total >= limit or nodes >= max_nodes:
                return "".join(pieces)
            if isinstance(sibling.tag, str):
                text = _bounded_text(sibling, limit, 200)
                pieces.append(text)
                total += len(text)
            if sibling.tail:
                pieces.append(sibling.tail)
                total += len(sibling.tail)
        parent = node.getparent()
        if parent is None or parent is block:
            break
        node = parent
    return "".join(pieces)


def _clause_at(text: str, position: int) -> str:
    start, end = 0, len(text)
    for found in _CLAUSE_BREAK.finditer(text):
        if found.end() <= position:
            start = found.end()
        elif found.start() >= position:
            end = found.start()
            break
    return text[start:end]


def _subject_not_page(clause: str) -> str:
    if _THEME_SUBJECT.search(clause):
        return "a credit for the site's theme or assets, not the page text"
    found = _NON_TEXT_SUBJECT.search(clause)
    if found and not _TEXT_SUBJECT.search(clause):
        return f"the licence of the {found.group(0).lower()} it names, not of the page text"
    return ""


def _snippet(element: Any) -> str:
    tag = element.tag.lower() if isinstance(element.tag, str) else "?"
    try:
        attributes = " ".join(f'{key}="{clean_evidence_text(value, 160)}"' for key, value in islice(element.attrib.items(), 8))
    except (ValueError, TypeError):
        attributes = ""
    text = " ".join(_bounded_text(element, 80).split())[:80] if tag not in ("meta", "link", "img") else ""
    opening = f"<{tag} {attributes}>" if attributes else f"<{tag}>"
    return clean_evidence_text(f"{opening}{text}", SNIPPET_CHARS)


def _parse_link_header(value: str) -> Iterator[tuple[str, dict[str, str], str]]:
    """(target, params, raw link-value) of each link in a Link header (RFC 8288), bounded."""
    value = value[:8192]
    position, count = 0, 0
    while position < len(value) and count < 64:
        start = value.find("<", position)
        if start < 0:
            return
        end = value.find(">", start + 1)
        if end < 0:
            return
        cursor, quoted = end + 1, False
        while cursor < len(value):
            char = value[cursor]
            if char == '"':
                quoted = not quoted
            elif char == "," and not quoted:
                break
            cursor += 1
        params: dict[str, str] = {}
        for match in re.finditer(r";\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*(?:=\s*(\"[^\"]*\"?|[^;,]*))?", value[end + 1 : cursor]):
            key = match.group(1).lower()
            if key not in params:  # RFC 8288: only the first occurrence of a parameter counts
                params[key] = (match.group(2) or "").strip().strip('"')
        yield value[start + 1 : end].strip(), params, value[start:cursor].strip()
        position, count = cursor + 1, count + 1


def _load_json(raw: str) -> tuple[Any, str]:
    text = raw.strip()
    if not text:
        return None, "empty"
    for attempt in (text, _JSON_WRAPPERS.sub("", text).strip()):
        try:
            return json.loads(attempt), ""
        except RecursionError:
            return None, "nested too deeply"
        except ValueError as exc:
            error = f"not JSON ({clean_evidence_text(exc, 80)})"
    return None, error


def _jsonld_level(scope: str, types: tuple[str, ...]) -> int:
    """A WebSite speaks for the site, a WebPage (or an untyped node) for the
    document, an Article or other work for the content itself."""
    if scope == "site":
        return _SITE
    is_work = bool(set(types) & _JSONLD_PAGE_TYPES) and not set(types) & _JSONLD_DOCUMENT_TYPES
    return _CONTENT if is_work else _DOCUMENT


def _types(node: dict[str, Any]) -> tuple[str, ...]:
    declared = node.get("@type")
    values = declared if isinstance(declared, list) else [declared]
    names = []
    for value in values[:10]:
        if isinstance(value, str) and value.strip():
            names.append(re.split(r"[/:#]", value.strip())[-1].lower())
    return tuple(names)


def _jsonld_statements(data: Any, note: Any) -> Iterator[tuple[str, Any, str, tuple[str, ...], str]]:
    """(field, value, scope, @types, key path) for every ``license`` and
    ``copyrightNotice`` in a JSON-LD document. Scope is ``page`` (the page or its main entity), ``site`` (the
    WebSite it is part of) or ``other:<why>`` (an image, dataset, comment, another item)."""
    stack: list[tuple[Any, str, int, str]] = [(data, "page", 0, "")]
    visited = 0
    while stack:
        node, scope, depth, path = stack.pop()
        visited += 1
        if visited > MAX_JSONLD_NODES or depth > 24:
            note("malformed: JSON-LD too large or deep: the rest was not read")
            return
        if isinstance(node, list):
            stack.extend((item, scope, depth + 1, path) for item in reversed(node[:500]))
            continue
        if not isinstance(node, dict):
            continue
        types = _types(node)
        here = scope
        if scope in ("page", "site"):
            kinds = set(types)
            if kinds & _JSONLD_MEDIA_TYPES:
                here = f"other:the licence of the embedded {'/'.join(sorted(kinds & _JSONLD_MEDIA_TYPES))} item"
            elif kinds & {"comment", "answer"}:
                here = "other:the licence of a comment"
            elif "website" in kinds:
                here = "site"
            elif kinds & _JSONLD_NOT_A_WORK:
                here = f"other:the licence of the {'/'.join(sorted(kinds & _JSONLD_NOT_A_WORK))} item, not of the page"
        for field in ("license", "copyrightNotice"):
            if field in node:
                values = node[field] if isinstance(node[field], list) else [node[field]]
                for value in values[:20]:
                    yield field, value, here, types, path
        for key, value in node.items():
            if key in ("license", "copyrightNotice", "@context") or not isinstance(value, (dict, list)):
                continue
            if here.startswith("other:"):
                child_scope = here
            elif key in _JSONLD_PAGE_KEYS:
                child_scope = here
            elif key in _JSONLD_SITE_KEYS:
                child_scope = "site"
            elif key in ("comment", "review"):
                child_scope = f"other:the licence of a {key}"
            else:
                child_scope = f"other:the licence of its {key}"
            stack.append((value, child_scope, depth + 1, f"{path}.{key}" if path else key))
