"""A generated multi-origin site for the benchmark: realistic page sizes and
link structure, deterministic for a seed, served from memory.

Each origin has a home page, section pages and articles of 30–150 KB (prose
in paragraphs, navigation, a footer, 80–200 links per page, mostly within the
origin, some across origins), and a robots.txt. Prose comes from a small
word-level generator over a fixed vocabulary: no text from elsewhere.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

WORDS = (
    "the a of and to in for on with by from at as is was are were be been has have had this that these those "
    "river harbour council survey station sample measure season winter summer spring autumn report data record "
    "village market library school bridge road ferry island lake shore boat crew volunteer archive museum garden "
    "study method result figure table estimate trend level rate count average change increase decrease week month "
    "year morning evening committee member resident visitor plan budget proposal vote meeting question answer "
    "history photograph letter map notebook observation instrument telescope sensor reading weather wind rain "
    "temperature water depth current tide fish bird nest migration species habitat forest field meadow hill valley "
    "local regional national public private open free careful quiet busy early late new old small large long short "
    "first second third next last several many few most some every other same different important useful clear "
    "reported noted found showed suggested explained described measured counted collected published reviewed "
    "agreed decided planned built repaired opened closed visited returned started finished continued changed"
).split()


@dataclass(frozen=True)
class BenchSite:
    origins: int
    pages_per_origin: int
    seed: int = 7
    pdfs_per_origin: int = 0  # reports linked from the pages (``--pdfs``): the documents benchmark

    @property
    def total_pages(self) -> int:
        return self.origins * self.pages_per_origin

    def origin_names(self) -> list[str]:
        return [f"o{i:02d}" for i in range(self.origins)]


def _sentence(rng: random.Random) -> str:
    n = rng.randint(8, 24)
    words = [rng.choice(WORDS) for _ in range(n)]
    words[0] = words[0].capitalize()
    if rng.random() < 0.3:
        words.insert(rng.randint(1, n - 1), f"{rng.randint(2, 2026)}")
    return " ".join(words) + rng.choice(".....?!")


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 9)))


def pdf_path(index: int) -> str:
    return f"/files/report-{index}.pdf"


def render_pdf(site: BenchSite, origin_index: int, index: int) -> bytes:
    """A report of 4–24 pages of prose (Helvetica text, Flate-compressed
    content streams), built by the tests' hand-written PDF writer."""
    from tests.documents import pdf

    rng = random.Random(site.seed * 2_000_003 + origin_index * 10_007 + index)
    pages = []
    for _ in range(rng.randint(4, 24)):
        lines: list[str] = []
        for _ in range(rng.randint(3, 6)):
            words = _paragraph(rng).split()
            lines.extend(" ".join(words[i : i + 12]) for i in range(0, len(words), 12))
            lines.append("")
        pages.append("\n".join(lines[:48]))
    return pdf(pages, info={"Title": f"Report {index} of origin {origin_index}"})


def page_path(index: int) -> str:
    if index == 0:
        return "/"
    section = index % 7
    return f"/section-{section}/article-{index}.html"


_SCRIPT = (
    "<script>(function(){var d=document,w=window;w.dataLayer=w.dataLayer||[];function t(){dataLayer.push(arguments)}"
    "t('js',new Date());var m=d.querySelectorAll('[data-menu]');for(var i=0;i<m.length;i++){m[i].addEventListener('click',"
    "function(e){e.preventDefault();this.parentNode.classList.toggle('open')})}var c=d.cookie.split(';');"
    "if(c.indexOf('consent=1')<0){d.body.classList.add('needs-consent')}})();</script>"
)
_STYLE = (
    "<style>body{font-family:Georgia,serif;margin:0}.wrap{max-width:62rem;margin:0 auto;padding:0 1rem}"
    ".nav li{display:inline-block;margin-right:.6rem}.card{border:1px solid #ddd;padding:.5rem}"
    ".byline{color:#666;font-size:.9rem}.related li{margin:.2rem 0}footer{background:#222;color:#eee}</style>"
)


def _menu(rng: random.Random, links: list[str]) -> str:
    items = "".join(
        f'<li class="nav-item" data-menu="{i}"><a class="nav-link" href="{href}" title="{rng.choice(WORDS)}">'
        f"{rng.choice(WORDS).title()}</a></li>"
        for i, href in enumerate(links)
    )
    return f'<nav class="nav main-menu" aria-label="Sections"><ul class="nav-list">{items}</ul></nav>'


def render_page(site: BenchSite, origin_index: int, index: int, base: dict[str, str]) -> bytes:
    """HTML of one page; ``base`` maps origin names to their base URLs. Markup
    like a CMS page: a menu, nested containers, inline styling and scripts,
    figures, a sidebar and a footer full of links, around prose."""
    rng = random.Random(site.seed * 1_000_003 + origin_index * 10_007 + index)
    names = site.origin_names()
    me = names[origin_index]
    target_size = rng.randint(30_000, 150_000)
    title = " ".join(rng.choice(WORDS) for _ in range(6)).title()
    # Link-rich like real news and wiki pages (menus, related lists, tag clouds):
    # 80-200 links, the density at which Scrapy's per-link cost dominates.
    links = []
    for _ in range(rng.randint(80, 200)):
        if rng.random() < 0.08:
            other = rng.randrange(site.origins)
            links.append(f"{base[names[other]]}{page_path(rng.randrange(site.pages_per_origin))}")
        else:
            links.append(page_path(rng.randrange(site.pages_per_origin)))
    menu_links = [f"/section-{s}/article-{s if s else 7}.html" for s in range(7)] + links[:18]
    parts = [
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta property="og:title" content="{title}"><link rel="stylesheet" href="/static/site.css">',
        _STYLE,
        _SCRIPT,
        f'</head><body class="article-page"><div class="wrap"><header class="site-header"><div class="brand"><a href="/">{me.upper()} Gazette</a></div>',
        _menu(rng, menu_links),
        "</header>",
        f'<div class="layout"><main id="content" class="content"><article class="story" data-id="{index}"><h1 class="headline">{title}</h1>',
        f'<p class="byline"><span class="author">By staff</span> · <time datetime="2026-03-{rng.randint(1, 28):02d}">{rng.randint(1, 28)} March {rng.randint(2015, 2026)}</time></p>',
    ]
    # Page state a front-end framework inlines (real pages carry tens of KB of it).
    state_items = [{"id": rng.randint(1, 10**6), "slug": "-".join(rng.choice(WORDS) for _ in range(4)), "views": rng.randint(0, 99999)} for _ in range(target_size // 220)]
    parts.append('<script type="application/json" id="__STATE__">' + json.dumps({"items": state_items}) + "</script>")
    size = sum(len(p) for p in parts)
    link_iter = iter(links[18:])
    while size < target_size:
        paragraph = _paragraph(rng)
        if rng.random() < 0.5:
            href = next(link_iter, None)
            if href:
                cut = rng.randint(0, max(0, len(paragraph) - 40))
                paragraph = paragraph[:cut] + f' <a class="inline" href="{href}">{rng.choice(WORDS)} {rng.choice(WORDS)}</a> ' + paragraph[cut:]
        chunk = f'<div class="block" data-block="{size}"><p class="body-text">{paragraph}</p></div>\n'
        if rng.random() < 0.12:
            chunk += f'<h2 class="subhead">{_sentence(rng)[:60]}</h2>\n'
        if rng.random() < 0.06:
            chunk += (
                f'<figure class="photo"><img src="/img/{rng.randint(1, 9999)}.jpg" srcset="/img/{rng.randint(1, 9999)}-640.jpg 640w" '
                f'alt="{rng.choice(WORDS)}" width="640" height="427" loading="lazy"><figcaption>{_sentence(rng)[:80]}</figcaption></figure>\n'
            )
        parts.append(chunk)
        size += len(chunk)
    related = "".join(f'<li><a href="{href}">{rng.choice(WORDS)} {rng.choice(WORDS)}</a></li>' for href in link_iter)
    share = "".join(f'<a class="share" href="#share-{k}" rel="nofollow">{k}</a>' for k in ("mail", "print", "copy"))
    parts.append(f'<div class="share-bar">{share}</div></article></main>')
    parts.append(f'<aside class="sidebar"><section class="card related"><h2>Related</h2><ul>{related}</ul></section></aside></div>')
    parts.append(f'<footer class="site-footer"><p>&copy; {me} Gazette. <a href="/about.html">About</a> <a href="/contact.html">Contact</a></p></footer></div></body></html>')
    return "".join(parts).encode("utf-8")


def robots_txt(rng_seed: int) -> bytes:
    return b"User-agent: *\nDisallow: /private/\nCrawl-delay: 0\n"
