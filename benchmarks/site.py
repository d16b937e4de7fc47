"""A generated multi-origin site for the benchmark: realistic page sizes and
link structure, deterministic for a seed, served from memory.

Each origin has a home page, section pages and articles of 30–150 KB (prose
in paragraphs, navigation, a footer, 80–200 links per page, mostly within the
origin, some across origins), and a robots.txt. Prose comes from a small
word-level generator over a fixed vocabulary: no text from elsewhere.
"""

from __future__ import annotations

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


def page_path(index: int) -> str:
    if index == 0:
        return "/"
    section = index % 7
    return f"/section-{section}/article-{index}.html"


def render_page(site: BenchSite, origin_index: int, index: int, base: dict[str, str]) -> bytes:
    """HTML of one page; ``base`` maps origin names to their base URLs."""
    rng = random.Random(site.seed * 1_000_003 + origin_index * 10_007 + index)
    names = site.origin_names()
    me = names[origin_index]
    target_size = rng.randint(30_000, 150_000)
    title = " ".join(rng.choice(WORDS) for _ in range(6)).title()
    nav = "".join(f'<li><a href="/section-{s}/article-{s if s else 7}.html">Section {s}</a></li>' for s in range(7))
    links = []
    # Link-rich like real news and wiki pages (menus, related lists, tag clouds):
    # 80-200 links, the density at which Scrapy's per-link cost dominates.
    for _ in range(rng.randint(80, 200)):
        if rng.random() < 0.08:
            other = rng.randrange(site.origins)
            links.append(f'{base[names[other]]}{page_path(rng.randrange(site.pages_per_origin))}')
        else:
            links.append(page_path(rng.randrange(site.pages_per_origin)))
    parts = [
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="stylesheet" href="/static/site.css"></head><body>',
        f'<header><div class="brand"><a href="/">{me.upper()} Gazette</a></div><nav><ul>{nav}</ul></nav></header>',
        f'<main><article><h1>{title}</h1><p class="byline">By staff, {rng.randint(1, 28)} March {rng.randint(2015, 2026)}</p>',
    ]
    size = sum(len(p) for p in parts)
    link_iter = iter(links)
    while size < target_size:
        paragraph = _paragraph(rng)
        if rng.random() < 0.5:
            href = next(link_iter, None)
            if href:
                cut = rng.randint(0, max(0, len(paragraph) - 40))
                paragraph = paragraph[:cut] + f' <a href="{href}">{rng.choice(WORDS)} {rng.choice(WORDS)}</a> ' + paragraph[cut:]
        chunk = f"<p>{paragraph}</p>\n"
        if rng.random() < 0.12:
            chunk += f"<h2>{_sentence(rng)[:60]}</h2>\n"
        parts.append(chunk)
        size += len(chunk)
    related = "".join(f'<li><a href="{href}">{rng.choice(WORDS)} {rng.choice(WORDS)}</a></li>' for href in link_iter)
    parts.append(f'</article><aside><h2>Related</h2><ul>{related}</ul></aside></main>')
    parts.append(f'<footer><p>&copy; {me} Gazette. <a href="/about.html">About</a> <a href="/contact.html">Contact</a></p></footer></body></html>')
    return "".join(parts).encode("utf-8")


def robots_txt(rng_seed: int) -> bytes:
    return b"User-agent: *\nDisallow: /private/\nCrawl-delay: 0\n"
