"""Small pages, written here, that reproduce the markup real pages show.

Each :class:`Pattern` names the kind of real page where its structure was
seen (and a public report of it where there is one), the links that must be
read, the text that must be extracted and the rights signals (meta robots,
``tdm-reservation``, licence links) that must still be seen. The test suite
checks on every one of them the invariants of :mod:`benchmarks.invariants`
(links ⊇ an HTML5 parser's, text = trafilatura's on the raw page or the
difference explained). No third-party markup: every page is written here.
"""

from __future__ import annotations

from dataclasses import dataclass

PAGE_URL = "http://site.test/section/page.html"
ORIGIN = "http://site.test"

_PROSE = (
    "The survey counted the birds of the estuary at dawn on every Sunday of the year, "
    "and the volunteers wrote each count in a shared notebook kept at the harbour office. "
)


def para(marker: str) -> str:
    """A paragraph long enough for trafilatura to keep, named by ``marker``."""
    return f"<p>{marker} {_PROSE * 2}</p>"


def doc(body: str, *, head: str = "", after: str = "", doctype: str = "<!DOCTYPE html>") -> bytes:
    return (
        f"{doctype}<html lang='en'><head><meta charset='utf-8'><title>Pattern page</title>{head}</head>"
        f"<body><nav><a href='/'>Home</a></nav><article><h1>Headline</h1>{body}</article></body></html>{after}"
    ).encode("utf-8")


@dataclass(frozen=True)
class Pattern:
    name: str
    seen: str  # the kind of real page where this structure was seen
    body: bytes
    content_type: str = "text/html"
    links: tuple[str, ...] = ()  # absolute URLs that must be among the links read
    not_links: tuple[str, ...] = ()  # URLs that must not be followed
    text: tuple[str, ...] = ()  # phrases the extracted text must hold
    not_text: tuple[str, ...] = ()
    metas: tuple[tuple[str, str], ...] = ()  # (name, content) the rights reading must see
    licence: str | None = None  # SPDX id the licence detection must find
    lost: bool = False  # a cap must hold: the page says so (content_truncated) instead of keeping everything


def _u(path: str) -> str:
    return ORIGIN + path


DEEP = 300
XHTML_DOCTYPE = "<!DOCTYPE html PUBLIC '-//W3C//DTD XHTML 1.0 Strict//EN' 'http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd'>"
SPANS = "<span>" * DEEP
FONTS = "<font face='Arial'>" * DEEP

PATTERNS: list[Pattern] = [
    # -- content after </body> or </html> -----------------------------------------------------
    Pattern(
        "links-after-html",
        "a home page whose 12 navigation links follow </html> (issue 14: a whole site never crawled); CMS footers injected after the "
        "document end, cf. pywb#36 (web4.audubon.org)",
        doc(para("Intro"), after="".join(f"<a href='/after/{n}'>Section {n}</a>" for n in range(12))),
        links=tuple(_u(f"/after/{n}") for n in range(12)),
    ),
    Pattern(
        "text-after-html",
        "concatenated fragments: a second article body appended after </html> by a broken include (forum and blog archives)",
        doc(para("Before"), after="<div><p>Appended paragraph " + _PROSE * 2 + "</p></div>"),
        text=("Before", "Appended paragraph"),
    ),
    Pattern(
        "content-between-body-and-html",
        "analytics and footer widgets printed between </body> and </html> by WordPress plugins",
        doc(para("Main"), after="").replace(b"</body></html>", b"</body><footer><a href='/imprint'>Imprint</a></footer></html>"),
        links=(_u("/imprint"),),
    ),
    Pattern(
        "second-document-after-html",
        "two whole documents concatenated in one response (a PHP error page followed by the real page)",
        doc(para("First")) + b"<!DOCTYPE html><html><head><title>Second</title></head><body><a href='/second-doc'>second</a>"
        + f"<p>Second document {_PROSE * 2}</p></body></html>".encode(),
        links=(_u("/second-doc"),),
    ),
    Pattern(
        "uppercase-end-tags-with-space",
        "hand-written HTML 3.2 pages with upper-case end tags and spaces before '>' followed by a hit counter",
        doc(para("Old")).replace(b"</body></html>", b"</BODY >\n</HTML >\n") + b"<A HREF='/counter'>Counter</A>",
        links=(_u("/counter"),),
    ),
    Pattern(
        "only-scripts-after-html",
        "tag managers that print their <script> and a comment after </html> (nothing to move)",
        doc(para("Quiet")) + b"\n<!-- served by cache 3 --><script>var x = 1;</script>\n",
        text=("Quiet",),
    ),
    Pattern(
        "end-tags-inside-script",
        "document.write('</body></html>') in an inline script mid-page (ad loaders)",
        doc("<script>document.write('<iframe></iframe></body></html>');</script>" + para("Written") + "<a href='/after-script'>next</a>"),
        links=(_u("/after-script"),),
        text=("Written",),
    ),
    # -- deep nesting -------------------------------------------------------------------------------
    Pattern(
        "unclosed-span-300",
        "broken templates that open a <span> per item and never close it (300 levels); libxml2 stops at 256",
        doc(para("Top") + SPANS + para("Below the spans") + "<a href='/deep-link'>deep</a>"),
        links=(_u("/deep-link"),),
        text=("Top", "Below the spans"),
    ),
    Pattern(
        "unclosed-font-300",
        "FrontPage-era pages with a <font> per line and no </font>",
        doc(para("Font top") + FONTS + para("Under the fonts") + "<a href='/font-link'>font</a>"),
        links=(_u("/font-link"),),
        text=("Under the fonts",),
    ),
    Pattern(
        "nested-layout-tables",
        "2000s SEC EDGAR filings with layout tables nested past 256 levels (dgunning/edgartools#1114, mwaldstein/edgarWebR#11)",
        doc("<table><tr><td>" * 100 + para("Inside the tables") + "</td></tr></table>" * 100 + para("After the tables") + "<a href='/t-link'>t</a>"),
        links=(_u("/t-link"),),
        text=("After the tables",),
    ),
    Pattern(
        "closed-divs-260",
        "deeply nested but well-formed div wrappers from page builders (Elementor, Divi)",
        doc("<div>" * 260 + para("Deep div text") + "</div>" * 260 + para("Shallow again") + "<a href='/div-link'>d</a>"),
        links=(_u("/div-link"),),
        text=("Deep div text", "Shallow again"),
    ),
    Pattern(
        "unclosed-span-3000",
        "a runaway generator: 3000 unclosed <span> (past even the lifted 2048 limit)",
        doc(para("Early") + "<span class='w'>" * 3000 + para("Far below") + "<a href='/far-link'>far</a>"),
        links=(_u("/far-link"),),
        text=("Far below",),
    ),
    Pattern(
        "unclosed-b-i-pairs",
        "forum posts with <b><i> opened per quote and never closed (1200 pairs)",
        doc(para("Quote") + "<b><i>" * 1200 + para("Reply below") + "<a href='/reply'>r</a>"),
        links=(_u("/reply"),),
        text=("Reply below",),
    ),
    Pattern(
        "deeper-than-the-cap",
        "machine-made markup nesting 2500 levels through 50 different element names: a cap that must hold, and say so",
        doc(para("Before the cap") + "".join(f"<x-w{n}>" for n in range(50)) * 50 + para("Beyond the cap") + "<a href='/beyond'>b</a>"),
        text=("Before the cap",),
        lost=True,
    ),
    # -- comments -----------------------------------------------------------------------------
    Pattern(
        "react-text-separators",
        "React server rendering: <!-- --> between adjacent text nodes (react#14725, react#13221); New York Times and Gizmodo "
        "articles of the realpages set",
        doc("<p>When <!-- -->President<!-- --> Lincoln<!-- --> spoke, " + _PROSE + "</p>" + para("Second")),
        text=("When President Lincoln spoke",),
    ),
    Pattern(
        "react-separators-in-links",
        "React SSR link labels built from several text nodes",
        doc(para("Story") + "<p><a href='/more'>Read <!-- -->more<!-- --> stories</a> about the survey and the estuary.</p>"),
        links=(_u("/more"),),
    ),
    Pattern(
        "vue-empty-comments",
        "Vue/Nuxt server rendering: <!----> placeholders for v-if branches inside paragraphs",
        doc("<p>The tide<!----> was low<!----> at noon, " + _PROSE + "</p>"),
        text=("The tide was low at noon",),
    ),
    Pattern(
        "ie-conditional-comments",
        "IE conditional comments holding links and scripts (<!--[if lt IE 9]>), WordPress themes of the 2010s",
        doc("<!--[if lt IE 9]><a href='/ie-only'>old</a><![endif]-->" + para("Modern")),
        not_links=(_u("/ie-only"),),
        text=("Modern",),
    ),
    Pattern(
        "licence-in-comment",
        "old Creative Commons embed code: RDF with the licence URL inside an HTML comment (2004-2008 blogs)",
        doc(para("Shared") + "<!-- <rdf:RDF><License rdf:about='https://creativecommons.org/licenses/by/2.0/'/></rdf:RDF> -->"),
        text=("Shared",),
    ),
    Pattern(
        "comment-not-closed",
        "a truncated template leaving '<!--' open near the end of the page",
        doc(para("Kept") + "<a href='/before-comment'>x</a><!-- sidebar <a href='/in-comment'>y</a>"),
        links=(_u("/before-comment"),),
        not_links=(_u("/in-comment"),),
    ),
    # -- scripts, templates and raw text elements holding markup ---------------------------------
    Pattern(
        "script-template-markup",
        "client-side templates in <script type='text/template'> (Backbone, Handlebars, Knockout)",
        doc(para("Body") + "<script type='text/template'><div><a href='/tpl-link'>tpl</a><p>Template text</p></div></script>"),
        not_links=(_u("/tpl-link"),),
        not_text=("Template text",),
    ),
    Pattern(
        "template-element",
        "<template> elements of web components holding cards with links",
        doc(para("Cards") + "<template id='card'><a href='/card'>card</a></template><a href='/live'>live</a>"),
        links=(_u("/live"),),
    ),
    Pattern(
        "script-with-closing-tags-in-strings",
        "inline scripts whose strings hold '</div></p>' (analytics snippets, A/B testing)",
        doc("<script>var s = '<div></div></p></article>';</script>" + para("After script") + "<a href='/post-script'>p</a>"),
        links=(_u("/post-script"),),
        text=("After script",),
    ),
    Pattern(
        "json-ld-with-html",
        "JSON-LD NewsArticle blocks whose articleBody holds escaped markup (news sites)",
        doc(para("News"), head="<script type='application/ld+json'>{\"@type\":\"NewsArticle\",\"articleBody\":\"<p>x</p><a href='/ld'>y</a>\"}</script>"),
        not_links=(_u("/ld"),),
        text=("News",),
    ),
    Pattern(
        "noscript-links",
        "lazy-loading galleries and pagination repeated in <noscript> for crawlers",
        doc(para("Gallery") + "<noscript><a href='/page/2'>Next page</a></noscript>"),
        links=(_u("/page/2"),),
    ),
    Pattern(
        "textarea-with-markup",
        "embed-code boxes: a <textarea> holding an <a> to copy",
        doc(para("Embed") + "<textarea><a href='/embed-code'>copy me</a></textarea><a href='/real'>real</a>"),
        links=(_u("/real"),),
        not_links=(_u("/embed-code"),),
    ),
    # -- charsets -------------------------------------------------------------------------------
    Pattern(
        "header-utf8-meta-latin1",
        "a server sending charset=utf-8 for pages whose <meta> still says iso-8859-1 after a migration",
        doc(para("Café Zürich"), head="<meta http-equiv='Content-Type' content='text/html; charset=iso-8859-1'>"),
        content_type="text/html; charset=utf-8",
        text=("Café Zürich",),
    ),
    Pattern(
        "bom-beats-meta",
        "a UTF-8 BOM written by Windows editors in front of a page declaring windows-1252",
        b"\xef\xbb\xbf" + doc(para("Smörgåsbord"), head="<meta charset='windows-1252'>").replace(b"<meta charset='utf-8'>", b""),
        text=("Smörgåsbord",),
    ),
    Pattern(
        "two-meta-charsets",
        "templates with two <meta charset> (theme and plugin); the first one counts",
        doc(para("Naïve façade"), head="<meta charset='utf-8'>").replace(b"<meta charset='utf-8'>", b"<meta charset='windows-1252'>", 1).decode("utf-8").encode("cp1252"),
        text=("Naïve façade",),
    ),
    Pattern(
        "undeclared-cp1252",
        "old static pages in windows-1252 with no charset anywhere",
        doc(para("Crème brûlée")).replace(b"<meta charset='utf-8'>", b"").decode("utf-8").encode("cp1252"),
        text=("Crème brûlée",),
    ),
    Pattern(
        "http-equiv-cyrillic",
        "Russian news sites declaring windows-1251 only in <meta http-equiv>",
        doc(para("Новости дня")).replace(b"<meta charset='utf-8'>", b"<meta http-equiv='Content-Type' content='text/html; charset=windows-1251'>").decode("utf-8").encode("cp1251"),
        text=("Новости дня",),
    ),
    Pattern(
        "xml-declaration-xhtml",
        "XHTML 1.0 pages served as application/xhtml+xml with an <?xml?> declaration",
        b"<?xml version='1.0' encoding='utf-8'?>"
        + doc(para("Strict"), doctype=XHTML_DOCTYPE).replace(b"<html lang='en'>", b"<html xmlns='http://www.w3.org/1999/xhtml' lang='en'>"),
        content_type="application/xhtml+xml",
        text=("Strict",),
    ),
    # -- base URLs and link carriers -------------------------------------------------------------
    Pattern(
        "base-href-directory",
        "documentation sites whose <base href> points at the version folder",
        doc(para("Docs") + "<a href='install.html'>install</a>", head="<base href='/docs/v2/'>"),
        links=(_u("/docs/v2/install.html"),),
    ),
    Pattern(
        "base-href-other-host",
        "mirrors and CDNs: <base href> on another host",
        doc(para("Mirror") + "<a href='guide.html'>guide</a>", head="<base href='http://mirror.test/files/'>"),
        links=("http://mirror.test/files/guide.html",),
    ),
    Pattern(
        "base-without-href-first",
        "a <base target='_blank'> before the <base href> (blog themes); the first base with an href counts",
        doc(para("Targets") + "<a href='a.html'>a</a>", head="<base target='_blank'><base href='/blog/'>"),
        links=(_u("/blog/a.html"),),
    ),
    Pattern(
        "image-map-area",
        "image maps of 1990s-2000s sites: navigation only in <area href>",
        doc(para("Map") + "<img usemap='#nav' src='/nav.gif'><map name='nav'><area shape='rect' coords='0,0,10,10' href='/map-a'>"
            "<area shape='rect' coords='10,0,20,10' href='/map-b' nohref></map>"),
        links=(_u("/map-a"),),
    ),
    Pattern(
        "iframe-content",
        "pages whose content is an <iframe src> to a page of the same site (forms, archives, embedded reports)",
        doc(para("Framed") + "<iframe src='/framed/report.html'></iframe>"),
        links=(_u("/framed/report.html"),),
    ),
    Pattern(
        "frameset",
        "frameset sites: the only way to the content is <frame src> (university and museum sites)",
        b"<!DOCTYPE html><html><head><title>Frames</title></head><frameset cols='20%,80%'><frame src='/menu.html'><frame src='/main.html'></frameset></html>",
        links=(_u("/menu.html"), _u("/main.html")),
    ),
    Pattern(
        "svg-xlink-links",
        "infographics with links on SVG shapes (<a xlink:href>)",
        doc(para("Chart") + "<svg><a xlink:href='/svg-target'><rect width='10' height='10'/></a></svg>"),
        links=(_u("/svg-target"),),
    ),
    Pattern(
        "nested-anchors",
        "cards whose whole block is a link holding another link (invalid, common in news teasers)",
        doc(para("Teaser") + "<a href='/story'><div>Story <a href='/author'>Author</a></div></a>"),
        links=(_u("/story"), _u("/author")),
    ),
    Pattern(
        "link-in-table-foster-parent",
        "links written directly inside <table> outside any cell (generated listings)",
        doc(para("Listing") + "<table><a href='/fostered'>f</a><tr><td><a href='/cell'>c</a></td></tr></table>"),
        links=(_u("/fostered"), _u("/cell")),
    ),
    Pattern(
        "unquoted-and-odd-attributes",
        "hand-written pages with unquoted hrefs, raw '&' and '>' inside quoted attributes",
        doc(para("Odd") + "<a href=/q?a=1&b=2>q</a><a title='a>b' href='/gt'>gt</a><a href='/esc?x=1&amp;y=2'>e</a>"),
        links=(_u("/q?a=1&b=2"), _u("/gt"), _u("/esc?x=1&y=2")),
    ),
    Pattern(
        "whitespace-in-href",
        "CMS output with newlines and spaces around href values",
        doc(para("Spaces") + "<a href='\n   /spaced/path  \n'>s</a>"),
        links=(_u("/spaced/path"),),
    ),
    Pattern(
        "nofollow-and-pseudo-links",
        "comment sections with rel='nofollow ugc' links, javascript: and mailto: links",
        doc(para("Comments") + "<a rel='nofollow ugc' href='/spam'>s</a><a href='javascript:void(0)'>j</a><a href='mailto:a@b.test'>m</a><a href='/ok'>ok</a>"),
        links=(_u("/ok"),),
        not_links=(_u("/spam"),),
    ),
    Pattern(
        "nul-and-control-bytes",
        "pages with NUL and control bytes from database dumps",
        doc("<p>Control\x00 bytes\x0b here " + _PROSE * 2 + "</p><a href='/after-nul'>n</a>"),
        links=(_u("/after-nul"),),
    ),
    Pattern(
        "unclosed-p-and-li",
        "HTML without optional end tags (</p>, </li>) as in old hand-written pages",
        b"<html><head><title>t</title></head><body><article><p>First without end " + _PROSE.encode() * 2 + b"<p>Second without end "
        + _PROSE.encode() * 2 + b"<ul><li><a href='/li1'>one</a><li><a href='/li2'>two</a></ul></article>",
        links=(_u("/li1"), _u("/li2")),
        text=("First without end", "Second without end"),
    ),
    # -- duplicated head / body, head after body ------------------------------------------------------
    Pattern(
        "duplicated-head",
        "templates that print a second <head> (plugins) holding the robots meta",
        doc(para("Twice")).replace(b"<body>", b"<head><meta name='robots' content='noarchive'></head><body>", 1),
        metas=(("robots", "noarchive"),),
    ),
    Pattern(
        "duplicated-body",
        "two <body> tags, each holding links (a theme wrapping a body in a body)",
        doc(para("Outer") + "<body class='inner'><a href='/inner-body'>i</a>"),
        links=(_u("/inner-body"),),
    ),
    Pattern(
        "head-after-body",
        "a <head> printed after the body by a late include, with its metas",
        doc(para("Late")).replace(b"</body></html>", b"</body><head><meta name='tdm-reservation' content='1'></head></html>"),
        metas=(("tdm-reservation", "1"),),
    ),
    # -- rights signals in broken places ------------------------------------------------------------------
    Pattern(
        "meta-robots-after-html",
        "a meta robots printed after </html> by an SEO plugin",
        doc(para("Hidden")) + b"<meta name='robots' content='noindex, nofollow'>",
        metas=(("robots", "noindex, nofollow"),),
    ),
    Pattern(
        "tdm-reservation-after-html",
        "a TDMRep meta added after </html> by a publisher's footer include",
        doc(para("Reserved")) + b"<meta name='tdm-reservation' content='1'><meta name='tdm-policy' content='https://site.test/policy.json'>",
        metas=(("tdm-reservation", "1"), ("tdm-policy", "https://site.test/policy.json")),
    ),
    Pattern(
        "licence-link-after-html",
        "a Creative Commons badge with rel='license' appended after </html>",
        doc(para("Licensed")) + b"<a rel='license' href='https://creativecommons.org/licenses/by/4.0/'>CC BY 4.0</a>",
        licence="CC-BY-4.0",
    ),
    Pattern(
        "tdm-meta-deep",
        "a TDMRep meta written in the body under 300 unclosed spans",
        doc(para("Deep rights") + SPANS + "<meta name='tdm-reservation' content='1'>" + para("Rest")),
        metas=(("tdm-reservation", "1"),),
    ),
    Pattern(
        "licence-link-deep",
        "a footer licence link under 300 unclosed <font> tags",
        doc(para("Deep licence") + FONTS + "<a rel='license' href='https://creativecommons.org/licenses/by-sa/4.0/'>CC BY-SA</a>"),
        licence="CC-BY-SA-4.0",
    ),
    Pattern(
        "meta-robots-beyond-2048",
        "a meta robots under 3000 unclosed spans (the flattening pass must still find it)",
        doc(para("Very deep") + "<span>" * 3000 + "<meta name='robots' content='noai, noimageai'>" + para("Tail")),
        metas=(("robots", "noai, noimageai"),),
    ),
    Pattern(
        "licence-link-beyond-2048",
        "a rel='license' link under 3000 unclosed <div> (runaway layout)",
        doc(para("Licence far") + "<div>" * 3000 + "<a rel='license' href='https://creativecommons.org/licenses/by-nc/4.0/'>CC BY-NC</a>"),
        licence="CC-BY-NC-4.0",
    ),
]
