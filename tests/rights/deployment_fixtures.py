"""Deployment patterns: what real sites publish, written again by us.

Each fixture reproduces the directives and the syntax that matter in one or
more real files (robots.txt archives of publishers' files, tdmrep.json,
RSL licence documents, ai.txt, Content-Signal / Content-Usage lines,
X-Robots-Tag values and meta robots), read through the project's search tool.
``seen`` says where: ``owner/repo path @commit`` for a repository file, or
``search-index file N`` (the id the search index gives a file whose repository
it does not name) with what the file is. Nothing here is copied: agent lists
are cut down, paths shortened, text rewritten; the parts that decide (tokens,
patterns, values, line breaks, byte order marks, sizes) are kept.

Each case gives the URL, whether it is fetched, and the family of the reason
that excludes it under ``strict`` and under ``research-exception`` (None:
stored), with the argument from the spec in one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Archive of publishers' and large sites' robots.txt files (snapshot of 2024-07-14).
ROBOTS_ARCHIVE = "bharath06/robotstxt {} @2d6f73c"


@dataclass(frozen=True)
class Case:
    url: str
    fetch: bool
    strict: str | None  # family of the reason under strict; None = stored
    research: str | None  # family of the reason under research-exception
    why: str


@dataclass(frozen=True)
class Deployment:
    id: str
    seen: tuple[str, ...]
    pattern: str
    cases: tuple[Case, ...]
    origin: str = "https://www.example.org"
    robots: bytes | str | None = None  # None: robots.txt answered 404
    tdmrep: bytes | str | None = None
    aitxt: bytes | str | None = None
    rsl: tuple[bytes | str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    metas: tuple[tuple[str, str], ...] = ()
    crawl_delay: float | None = None
    extra: dict = field(default_factory=dict)


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def _bank_style_robots() -> str:
    """icicibank.com's shape: 111 KB, one '*' group of ~1,800 exact page paths
    (some with a trailing space), CRLF, a few odd groups, then 70 Sitemap lines."""
    sections = ("personal-banking", "business-banking", "rural", "managed-assets/docs", "wealth-management")
    lines = ["User-agent: *"]
    for i in range(1800):
        section = sections[i % len(sections)]
        tail = " " if i % 7 == 0 else ""
        lines.append(f"Disallow: /{section}/archive/item-{i:04d}/details-and-eligibility-page.html{tail}")
    lines += ["User-agent: Szukacz/1.4", "Disallow: /", "User-agent: Teleport Pro", "Disallow: /"]
    lines += [f"Sitemap: https://www.example.org/sitemaps/part-{i}.xml" for i in range(70)]
    return crlf("\n".join(lines) + "\n")


ROBOTS = (
    Deployment(
        id="msn.com",
        seen=(ROBOTS_ARCHIVE.format("msn.com"),),
        pattern="CRLF; '*' rules with several wildcards in one pattern and a ':' inside; one group naming 15 AI agents "
        "(cohere-ai, YouBot, Applebot, ChatGPT-User among them); Crawl-delay only in other agents' groups",
        robots=crlf(
            "User-agent: *\nDisallow: /*/health/search/filter\nDisallow: /*preview=*\nDisallow: /*?item=*:\n"
            "Disallow: /*?loc=*&cvid=*\n\nUser-agent: Verity\nCrawl-delay: 3\n\n"
            "User-agent: yandex.com/bot\nCrawl-delay: 1\nDisallow: /*/weather/\n\n"
            "User-agent: Amazonbot\nUser-agent: Applebot\nUser-agent: ChatGPT-User\nUser-agent: cohere-ai\n"
            "User-agent: PerplexityBot\nUser-agent: Twitterbot\nUser-agent: YouBot\nDisallow: /\n\n"
            "Sitemap: https://www.example.org/sitemaps/index.xml\n"
        ),
        crawl_delay=None,
        cases=(
            Case("https://www.example.org/en-us/news/world/story/ar-AA1", True, "ai-agent", None,
                 "no '*' rule matches; cohere-ai and YouBot (training by the README rule) Disallow: / -> training reservation"),
            Case("https://www.example.org/en-us/news/x?item=spec:123", False, "robots", "robots",
                 "'/*?item=*:' matches (the ':' is literal after the second wildcard)"),
            Case("https://www.example.org/search?loc=de&cvid=9", False, "robots", "robots",
                 "'/*?loc=*&cvid=*': both parts in order"),
            Case("https://www.example.org/en-us/weather/today", True, "ai-agent", None,
                 "the weather Disallow is yandex.com/bot's group, not ours"),
        ),
    ),
    Deployment(
        id="eksisozluk.com",
        seen=(ROBOTS_ARCHIVE.format("eksisozluk.com"),),
        pattern="CRLF; Sitemap inside '*' before its rules; one group per AI agent (Diffbot, cohere-ai, Omgili, ImagesiftBot "
        "with a trailing space); an empty Disallow for Mediapartners-Google",
        robots=crlf(
            "User-agent: *\nSitemap: https://www.example.org/sitemap.xml\nAllow: /\nDisallow: /video/*\n\n"
            "User-agent: Mediapartners-Google \nDisallow:\n\nUser-agent: Diffbot\nDisallow: /\n\n"
            "User-agent: ImagesiftBot \nDisallow: /\n\nUser-agent: cohere-ai\nDisallow: /\n"
        ),
        cases=(
            Case("https://www.example.org/some-title--123456", True, "ai-agent", None,
                 "Allow: / for '*'; Diffbot (dataset) and cohere-ai (undocumented) groups Disallow: / -> reservation"),
            Case("https://www.example.org/video/abc", False, "robots", "robots",
                 "Disallow: /video/* (8 octets) beats Allow: / (1)"),
        ),
    ),
    Deployment(
        id="thefreedictionary.com",
        seen=(ROBOTS_ARCHIVE.format("thefreedictionary.com"),),
        pattern="CRLF; blank lines before the first group; a 60-agent block group mixing SEO tools, 'ltx71 - (http://...)' "
        "values, libraries (Wget, Scrapy) and AI agents (CCBot, GPTBot, aiHitBot, VelenPublicWebCrawler)",
        robots=crlf(
            "\nUser-agent: Mediapartners-Google\nDisallow:\n\n\n\nUser-agent: *\nDisallow: /p/\nDisallow: /_/search/\n"
            "Disallow: /_/cite.htm\n\nUser-agent: aiHitBot\nUser-agent: BLEXBot\nUser-agent: CCBot\n"
            "User-agent: ltx71 - (http://ltx71.com/)\nUser-agent: Scrapy\nUser-agent: VelenPublicWebCrawler\n"
            "User-agent: Wget\nUser-agent: GPTBot\nDisallow: /\n"
        ),
        cases=(
            Case("https://www.example.org/serendipity", True, "ai-agent", None,
                 "'*' lets us fetch; CCBot/GPTBot in the block group -> training reservation"),
            Case("https://www.example.org/_/cite.htm?word=x", False, "robots", "robots", "Disallow: /_/cite.htm is a prefix"),
        ),
    ),
    Deployment(
        id="icicibank.com",
        seen=(ROBOTS_ARCHIVE.format("icicibank.com"),),
        pattern="111 KB robots.txt: ~1,800 exact-page Disallow lines in '*' (some with trailing spaces), CRLF, 70 Sitemaps",
        robots=_bank_style_robots(),
        cases=(
            Case("https://www.example.org/personal-banking/cards/credit-card.html", True, None, None,
                 "no line of the long group matches; nothing reserves"),
            Case("https://www.example.org/rural/archive/item-1797/details-and-eligibility-page.html", False, "robots", "robots",
                 "a Disallow near the end of a 111 KB file (within the 500 KiB RFC 9309 2.5 minimum) still applies"),
            Case("https://www.example.org/personal-banking/archive/item-0000/details-and-eligibility-page.html", False, "robots",
                 "robots", "a trailing space after the path is not part of the pattern"),
        ),
    ),
    Deployment(
        id="17track.net",
        seen=(ROBOTS_ARCHIVE.format("17track.net"),),
        pattern="UTF-8 BOM before 'User-agent: *', LF, Sitemap without a final newline",
        robots=b"\xef\xbb\xbfUser-agent: *\nAllow: /\nSitemap: https://www.example.org/sitemap-index.xml",
        cases=(
            Case("https://www.example.org/en/track", True, None, None,
                 "the BOM is not part of the first key, so the '*' group exists and allows everything"),
        ),
    ),
    Deployment(
        id="wiktionary.org",
        seen=(ROBOTS_ARCHIVE.format("wiktionary.org"), ROBOTS_ARCHIVE.format("wikipedia.org")),
        pattern="BOM then a comment as the first line; many single-agent block groups; 'Mediapartners-Google*'; empty Disallow "
        "for allowed bots; 'Crawl-delay' named only in a comment; the '*' group near the end",
        robots=b"\xef\xbb\xbf# robots.txt for the wikis\n#\n# comment lines about misbehaving spiders\n"
        b"User-agent: MJ12bot\nDisallow: /\n\n# advertising-related bots:\nUser-agent: Mediapartners-Google*\nDisallow: /\n\n"
        b"User-agent: IsraBot\nDisallow:\n\n# a bot that supports 'Crawl-delay' may use it\n"
        b"User-agent: *\nAllow: /w/api.php?action=mobileview&\nDisallow: /w/\nDisallow: /wiki/Special:\n"
        b"Disallow: /wiki/Spezial:\n",
        crawl_delay=None,
        cases=(
            Case("https://en.example.org/wiki/serendipity", True, None, None, "no '*' rule matches; no AI agent group"),
            Case("https://en.example.org/w/api.php?action=mobileview&page=x", True, None, None,
                 "the longer Allow (with '?' and '&') beats Disallow: /w/"),
            Case("https://en.example.org/w/index.php?title=x&action=history", False, "robots", "robots", "Disallow: /w/"),
        ),
    ),
    Deployment(
        id="aliexpress.com",
        seen=(ROBOTS_ARCHIVE.format("aliexpress.com"),),
        pattern="CRLF; '$' anchors after wildcards ('/ws*api-server.html$', '/*Ajax.htm$'); an Allow with '$' against a broader "
        "Disallow with '*'; Yandex's Host: and Clean-param: lines; Crawl-delay only for YandexBot",
        robots=crlf(
            "User-agent: *\nDisallow: /items/*\nAllow: /wholesale.html$\nAllow: /wholesale-page-*.html\nDisallow: /wholesale*\n"
            "Allow: /api/data_homepage.do\nDisallow: /api/*\nDisallow: /ws*api-server.html$\nDisallow: /*Ajax.htm$\n"
            "Disallow: /store/all-wholesale-products/* \n\nUser-agent: YandexBot\nCrawl-delay: 0.5\nDisallow: /bin/*\n\n"
            "Host: https://aliexpress.example\nClean-param: spm&aff_trace_key&utm_source\n\n"
            "Sitemap: https://www.example.org/sitemap/index.xml\n"
        ),
        crawl_delay=None,
        cases=(
            Case("https://www.example.org/wholesale.html", True, None, None,
                 "Allow: /wholesale.html$ (17 octets) beats Disallow: /wholesale* (11)"),
            Case("https://www.example.org/wholesale.html?SearchText=x", False, "robots", "robots",
                 "'$' ends the match at the path end: with a query only Disallow: /wholesale* matches"),
            Case("https://www.example.org/wholesale-page-3.html", True, None, None, "Allow: /wholesale-page-*.html is longer"),
            Case("https://www.example.org/ws-v2-api-server.html", False, "robots", "robots", "'/ws*api-server.html$' matches"),
            Case("https://www.example.org/store/1/sellerAjax.htm", False, "robots", "robots", "'/*Ajax.htm$'"),
            Case("https://www.example.org/store/1/sellerAjax.htm?x=1", True, None, None, "'$' with a query: no match"),
            Case("https://www.example.org/api/data_homepage.do", True, None, None, "the Allow is longer than Disallow: /api/*"),
        ),
    ),
    Deployment(
        id="kakaku.com",
        seen=(ROBOTS_ARCHIVE.format("kakaku.com"),),
        pattern="CRLF; 'User-Agent: * ' with a trailing space; Allow of a sub-path listed before the broader Disallow; "
        "bingbot given a copy of the rules",
        robots=crlf(
            "User-Agent: * \nAllow: /auth/profile/\nDisallow: /ksearch/\nDisallow: /auth/\nDisallow: /item/*/localshops/\n"
            "Disallow: /*/jump/\n\nUser-agent: bingbot\nAllow: /auth/profile/\nDisallow: /auth/\n"
        ),
        cases=(
            Case("https://www.example.org/auth/profile/123/", True, None, None, "longest match: Allow /auth/profile/ (14) > /auth/ (6)"),
            Case("https://www.example.org/auth/login", False, "robots", "robots", "Disallow: /auth/"),
            Case("https://www.example.org/item/K0001/localshops/", False, "robots", "robots", "'/item/*/localshops/'"),
        ),
    ),
    Deployment(
        id="fmkorea.com",
        seen=(ROBOTS_ARCHIVE.format("fmkorea.com"),),
        pattern="'Disallow:/' without a space; multi-word agents ('Linguee Bot', 'Sogou web spider', 'The Knowledge AI'); "
        "ICCrawler (not the listed ICC-Crawler); the '*' group last, with query-string rules ending in '$'",
        robots=crlf(
            "User-agent: PetalBot\nDisallow: /\nUser-agent: Linguee Bot\nDisallow: /\nUser-agent: Tweetmemebot\nDisallow:/\n"
            "User-agent: CCBot\nDisallow: /\nUser-Agent: The Knowledge AI\nDisallow: /\nUser-agent: Sogou web spider\nDisallow: /\n"
            "User-agent: *\nDisallow: /*listStyle=\nDisallow: /*act=IS&\nDisallow: /*act=IS$\n"
        ),
        cases=(
            Case("https://www.example.org/best/123", True, "ai-agent", None, "CCBot and 'Linguee Bot' groups Disallow: / -> reservation"),
            Case("https://www.example.org/index.php?mid=x&act=IS", False, "robots", "robots", "'/*act=IS$' at the end of the query"),
            Case("https://www.example.org/index.php?act=IS&page=2", False, "robots", "robots", "'/*act=IS&'"),
            Case("https://www.example.org/index.php?act=ISX", True, "ai-agent", None, "neither act=IS rule matches 'act=ISX'"),
        ),
    ),
    Deployment(
        id="hurriyet.com.tr",
        seen=(ROBOTS_ARCHIVE.format("hurriyet.com.tr"),),
        pattern="Sitemap before any group; 'User-agent:*' without a space; Flipboard agents allowed one path; GPTBot alone blocked",
        robots="Sitemap: https://www.example.org/sitemaps/news.xml\nUser-agent:*\nDisallow: /ad/\nDisallow: /api/\nDisallow: /arama/\n"
        "User-agent: Flipboard\nUser-agent: FlipboardProxy\nAllow: /api/\nUser-agent: GPTBot\nDisallow: /\n",
        cases=(
            Case("https://www.example.org/gundem/haber-123", True, "ai-agent", None, "'*' allows; GPTBot's own group disallows"),
            Case("https://www.example.org/api/feed", False, "robots", "robots", "the Flipboard Allow is not ours; '*' Disallow: /api/"),
        ),
    ),
    Deployment(
        id="idnes.cz",
        seen=(ROBOTS_ARCHIVE.format("idnes.cz"),),
        pattern="'Allow:    /*/diskuse$' with several spaces; wildcard rules on discussion pages; a 'MachineLearning' agent "
        "(in no list) and GPTBot blocked",
        robots="User-agent: *\nDisallow: /*/diskuse*strana=\nDisallow: /*/diskuse/\nAllow:    /*/diskuse$\nDisallow: /*/tisk$\n"
        "User-agent: MachineLearning\nDisallow: /\nUser-agent: GPTBot\nDisallow: /\n",
        cases=(
            Case("https://www.example.org/zpravy/domaci/clanek.A240101/diskuse", True, "ai-agent", None,
                 "Allow '/*/diskuse$' matches exactly; GPTBot reserves"),
            Case("https://www.example.org/zpravy/clanek.A240101/diskuse/2", False, "robots", "robots", "'/*/diskuse/'"),
            Case("https://www.example.org/zpravy/clanek.A240101/tisk", False, "robots", "robots", "'/*/tisk$'"),
        ),
    ),
    Deployment(
        id="wattpad.com",
        seen=(ROBOTS_ARCHIVE.format("wattpad.com"),),
        pattern="comment lines inside the '*' group between rules; '$' on personal pages; GPTBot group at the end",
        robots="# We are hiring!\nUser-agent: *\n# Note: test changes first\n# Login\nDisallow: /logout$\nDisallow: /?nextUrl=*\n"
        "# Personal pages\nDisallow: /library$\nDisallow: /*/followers$\n# Other pages\nDisallow: /forums/*\n\nUser-agent: GPTBot\nDisallow: /\n",
        cases=(
            Case("https://www.example.org/library", False, "robots", "robots", "'/library$' (comments do not end the group)"),
            Case("https://www.example.org/library/123-story", True, "ai-agent", None, "'$' stops '/library$' here; GPTBot reserves"),
            Case("https://www.example.org/user/x/followers", False, "robots", "robots", "'/*/followers$'"),
        ),
    ),
    Deployment(
        id="gsmarena.com",
        seen=(ROBOTS_ARCHIVE.format("gsmarena.com"),),
        pattern="Crawl-delay lines in other agents' groups only (AhrefsBot, bingbot, DataForSeoBot); no AI group",
        robots="User-agent: *\nDisallow: /postcomment.php3\nDisallow: /res.php3\n\nUser-agent: Mediapartners-Google \nDisallow:\n\n"
        "User-agent: AhrefsBot\nCrawl-delay: 5\n\nUser-agent: bingbot\nCrawl-delay: 10\nDisallow: /res.php3\n\n"
        "User-agent: DataForSeoBot\nCrawl-delay: 10\n",
        crawl_delay=None,
        cases=(
            Case("https://www.example.org/samsung_galaxy-123.php", True, None, None, "nothing matches; no reservation"),
            Case("https://www.example.org/res.php3?sSearch=x", False, "robots", "robots", "'*' Disallow: /res.php3"),
        ),
    ),
    Deployment(
        id="speedtest.net",
        seen=(ROBOTS_ARCHIVE.format("speedtest.net"),),
        pattern="a file with a GPTBot group only: no '*' group",
        robots=crlf("User-agent: GPTBot\nDisallow: /\n"),
        cases=(
            Case("https://www.example.org/result/123", True, "ai-agent", None,
                 "no group applies to us (RFC 9309 2.2.1: no '*', allowed); GPTBot's group reserves training"),
        ),
    ),
    Deployment(
        id="kapanlagi.com",
        seen=(ROBOTS_ARCHIVE.format("kapanlagi.com"),),
        pattern="comments naming the operators; agent 'OpenAI' (undocumented token of a model developer) and ChatGPT-User",
        robots="# Common Crawl.\nUser-agent: CCBot\nDisallow: /\n# OpenAI and related.\nUser-agent: OpenAI\nDisallow: /\n"
        "User-agent: ChatGPT-User\nDisallow: /\n# Others.\nUser-agent: *\nDisallow: /search\nDisallow: /arsip\n",
        cases=(
            Case("https://www.example.org/showbiz/berita/x.html", True, "ai-agent", None, "CCBot (dataset) and OpenAI (undocumented) reserve"),
            Case("https://www.example.org/search?q=x", False, "robots", "robots", "'*' Disallow: /search"),
        ),
    ),
    Deployment(
        id="star-sitemap-then-ai-groups",
        seen=("search-index file 41712340611 (a blog post quoting the author's deployed robots.txt, ai.txt and meta tag, 2025-07)",),
        pattern="'User-agent: *' followed only by a Sitemap line and a blank line, then 'User-agent: CCBot' / 'Disallow: /': "
        "no rule separates them, so '*' and CCBot are one group; meta robots 'noai, noimageai, DisallowAITraining'",
        robots="User-agent: *\nSitemap: https://www.example.org/sitemap.xml\n\nUser-agent: CCBot\nDisallow: /\n\n"
        "User-agent: GPTBot\nDisallow: /\n\nUser-agent: YouBot\nDisallow: /\n",
        cases=(
            Case("https://www.example.org/2025/07/14/post", False, "robots", "robots",
                 "RFC 9309 2.2.1: consecutive User-agent lines (Sitemap and blank lines between do not count) form one group, "
                 "so Disallow: / applies to '*': the author probably meant otherwise, the RFC decides"),
        ),
    ),
    Deployment(
        id="vnexpress-news-please",
        seen=("search-index file 59368158862 (a crawler's notes quoting vnexpress.net/robots.txt lines 36-37)",
              "search-index files 68961406286, 9467693407, 17171624358 (publishers' AI-block lists naming news-please)"),
        pattern="everyone allowed, news-please and GPTBot named and disallowed",
        robots="User-agent: *\nAllow: /\n\nUser-agent: GPTBot\nDisallow: /\n\nUser-agent: news-please\nDisallow: /\n",
        cases=(
            Case("https://www.example.org/thoi-su/bai-1.html", True, "ai-agent", None,
                 "news-please builds news corpora (dataset) and GPTBot trains: reservation"),
        ),
    ),
)


DISALLOW_AI_TRAINING = (
    Deployment(
        id="ai-block-with-disallowaitraining",
        seen=("search-index file 34276483611 (a site's robots.txt: AI group with Disallow and DisallowAITraining, '*' with "
              "DisallowAITraining only)", "fedora-copr/logdetective-website frontend/public/robots.txt @a7c6ac6"),
        pattern="named AI group with 'Disallow: /' and 'DisallowAITraining: /'; '*' group with only 'DisallowAITraining: /' "
        "after a comment block explaining it",
        robots="User-Agent: GPTBot\nUser-Agent: cohere-ai\nUser-Agent: Scrapy\n\nDisallow: /\nDisallowAITraining: /\n\n"
        "# Block any unnamed AI crawlers from training, while letting the site be\n# indexed. Still experimental.\n"
        "User-Agent: *\nDisallowAITraining: /\n",
        cases=(
            Case("https://www.example.org/blog/post", True, "disallow-ai-training", None,
                 "no Disallow for '*': fetched; its DisallowAITraining: / is a training reservation (draft-canel-robots-ai-control)"),
        ),
    ),
    Deployment(
        id="rust-generator-disallowaitraining",
        seen=("search-index file 38730411134 (a Rust static-site server writing 'User-agent: *', 'DisallowAITraining: /', "
              "'Allow: /' when its disallow_ai_training option is on)",),
        pattern="DisallowAITraining before Allow in the same '*' group",
        robots="User-agent: *\nDisallowAITraining: /\nAllow: /\nSitemap: https://www.example.org/sitemap.xml\n",
        cases=(
            Case("https://www.example.org/docs/intro", True, "disallow-ai-training", None,
                 "Allow: / decides the fetch; DisallowAITraining: / the use"),
        ),
    ),
    Deployment(
        id="disallow-everything-and-training",
        seen=("search-index file 10939635181 (a feed item quoting alexschroeder.ch's announced robots.txt)",),
        pattern="'Disallow: /' and 'DisallowAITraining: /' for '*'",
        robots="User-agent: *\nDisallow: /\nDisallowAITraining: /\n",
        cases=(Case("https://www.example.org/view/2025-07-23", False, "robots", "robots", "Disallow: / stops the fetch first"),),
    ),
    Deployment(
        id="disallowaitraining-with-content-signal",
        seen=("search-index file 59753971159 (a research note describing a deployment's robots.txt: AI agents with Disallow "
              "and DisallowAITraining, Content-Signal ai-train=no, search=yes, ai-input=no)",),
        pattern="'*' disallows /api/ only, carries Content-Signal; a Claude group with Disallow: / and DisallowAITraining: /",
        robots="User-agent: *\nDisallow: /api/\nContent-Signal: ai-train=no, search=yes, ai-input=no\n\n"
        "User-agent: ClaudeBot\nUser-agent: Claude-User\nUser-agent: Claude-SearchBot\nDisallow: /\nDisallowAITraining: /\n",
        cases=(
            Case("https://www.example.org/project/+bugs", True, "content-signal", None,
                 "Content-Signal ai-train=no in our group; content-signal is named before ai-agent"),
            Case("https://www.example.org/api/devel/x", False, "robots", "robots", "Disallow: /api/"),
        ),
    ),
)


TDMREP = (
    Deployment(
        id="tdmrep-root-with-policy",
        seen=("Debats/debats public/.well-known/tdmrep.json @e168132", "Thibault-Santonja/licence-photos "
              ".well-known/tdmrep.json @2495ab5", "FormosanBank/FormosanBank .well-known/tdmrep.json @f176d03",
              "RogerPielkeJr/scenarios public/.well-known/tdmrep.json @4f6035a",
              "itcop/internet-transparency-code-of-practice .well-known/tdmrep.json @655d620"),
        pattern="one entry: location '/', tdm-reservation 1, a tdm-policy URL; robots.txt allows everything",
        robots="User-agent: *\nAllow: /\n",
        tdmrep='[\n  {\n    "location": "/",\n    "tdm-reservation": 1,\n    "tdm-policy": "https://www.example.org/legal"\n  }\n]\n',
        cases=(
            Case("https://www.example.org/article/42", True, "tdmrep", None, "location '/' covers every path; reservation 1"),
        ),
    ),
    Deployment(
        id="tdmrep-tabs-no-policy",
        seen=("cofob/cofob.dev static/.well-known/tdmrep.json @457e126", "djibe/recommandations-medicales "
              "static/.well-known/tdmrep.json @771c6c1"),
        pattern="tab-indented, no tdm-policy, no final newline",
        tdmrep='[\n\t{\n\t\t"location": "/",\n\t\t"tdm-reservation": 1\n\t}\n]',
        cases=(Case("https://www.example.org/", True, "tdmrep", None, "a reservation without a policy is still a reservation (TDMRep 3.1)"),),
    ),
    Deployment(
        id="tdmrep-object-with-underscores",
        seen=("koji/blog public/.well-known/tdmrep.json @c3bbf9c",),
        pattern="a JSON object (not an array) with 'tdm_reservation' / 'tdm_policy' written with underscores",
        tdmrep='{\n  "tdm_reservation": 1,\n  "tdm_policy": "https://policy.example/site"\n}',
        headers=(("Content-Type", "text/html"),),
        cases=(
            Case("https://www.example.org/posts/x", True, None, None,
                 "TDMRep 3.1 requires an array of rules with hyphenated keys: nothing valid, so unset (recorded as malformed)"),
        ),
    ),
    Deployment(
        id="tdmrep-open-except-a-folder",
        seen=("search-index file 57492945742 (a site's documented tdmrep.json: '/' reserved, '/public/*' open)",
              "search-index file 71525575069 (a deployment's tests: '/*' open, '/photos/*' reserved)"),
        pattern="two entries where array order, not length, decides (TDMRep: the first matching entry applies)",
        tdmrep='[{"location": "/photos/*", "tdm-reservation": 1}, {"location": "/*", "tdm-reservation": 0}]',
        cases=(
            Case("https://www.example.org/photos/a.jpg", True, "tdmrep", None, "first entry matches: reserved"),
            Case("https://www.example.org/news/a", True, None, None, "second entry: 0, explicitly not reserved"),
        ),
    ),
    Deployment(
        id="tdm-header-and-noai-on-images",
        seen=("search-index file 70227562953 (an image route of a gallery site: 'X-Robots-Tag: noindex, noai, noimageai' and "
              "'tdm-reservation: 1')", "search-index file 13022899252 (a Pages function sending the same pair)"),
        pattern="per-response TDMRep header with noai in X-Robots-Tag; no tdmrep.json",
        robots="User-agent: *\nAllow: /\n",
        headers=(("X-Robots-Tag", "noindex, noai, noimageai"), ("tdm-reservation", "1")),
        cases=(
            Case("https://www.example.org/api/gallery/abc/1.webp", True, "tdmrep", None,
                 "the header reserves (TDMRep 3.2); noai also does; tdmrep is named first"),
        ),
    ),
    Deployment(
        id="tdm-header-lifts-file",
        seen=("search-index file 59741744071 (a site server answering /.well-known/tdmrep.json with '/' -> 0)",
              "search-index file 71569076671 (a page sending tdm-reservation 1 as meta with noai)"),
        pattern="tdmrep.json opens everything; one page's meta reserves it again",
        tdmrep='[{"location": "/", "tdm-reservation": 0}]',
        metas=(("tdm-reservation", "1"), ("tdm-policy", "https://www.example.org/trends/tdm-policy"), ("robots", "noai, noimageai")),
        cases=(
            Case("https://www.example.org/trends/x", True, "tdmrep", None, "meta supersedes the file (TDMRep 3.3): reserved"),
        ),
    ),
)


def _rsl(inner: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<rsl xmlns="https://rslstandard.org/rsl">\n{inner}\n</rsl>\n'


RSL = (
    Deployment(
        id="rsl-prohibit-ai-training-template",
        seen=("search-index file 36195016402 (a WordPress plugin serving the 'Prohibit AI training' RSL template)",),
        pattern="one licence prohibiting 'train-ai', no payment",
        rsl=(_rsl('  <content url="/">\n    <license>\n      <prohibits type="usage">train-ai</prohibits>\n    </license>\n  </content>'),),
        cases=(
            Case("https://www.example.org/2025/10/post", True, "rsl", None,
                 "train-ai is the template's word for ai-train: prohibited, a training reservation"),
        ),
    ),
    Deployment(
        id="rsl-draft-tokens-free",
        seen=("search-index file 25124680553 (an RSL tool's README of licence types: 'train-ai,train-genai' with payment free)",),
        pattern="comma-separated draft tokens in prohibits, payment free",
        rsl=(_rsl('<content url="/"><license><prohibits type="usage">train-ai,train-genai</prohibits><payment type="free"/></license></content>'),),
        cases=(Case("https://www.example.org/x", True, "rsl", None, "both draft tokens prohibit training"),),
    ),
    Deployment(
        id="rsl-attribution-site-and-paid-api",
        seen=("search-index file 63139247587 (a site's RSL: '/' all usage for CC BY 4.0 attribution, '/api' ai-train by subscription)",),
        pattern="two contents: a broad attribution licence and a narrower paid one",
        rsl=(_rsl(
            '<content url="/"><license><permits type="usage">all</permits><payment type="attribution">'
            "<standard>https://creativecommons.org/licenses/by/4.0/</standard></payment></license></content>"
            '<content url="/api"><license><permits type="usage">ai-train</permits><payment type="subscription">'
            "<custom>mailto:api@example.org</custom></payment></license></content>"),),
        cases=(
            Case("https://www.example.org/blog/post", True, None, None, "'/' grants every use for attribution, a condition we meet"),
            Case("https://www.example.org/api/reference", True, "rsl", None,
                 "'/api' is the longer match: ai-train only under a subscription -> rsl-payment-required:subscription"),
        ),
    ),
    Deployment(
        id="rsl-search-free-training-priced",
        seen=("search-index file 58737962164 (a site's RSL: search, ai-index, ai-input free with attribution; training priced)",
              "rickstek/mcpjunction public/license.xml @963b701"),
        pattern="free-with-attribution licence for search and AI input, training only in a paid licence",
        rsl=(_rsl(
            '<content url="/"><license><permits type="usage">search</permits><permits type="usage">ai-index</permits>'
            '<permits type="usage">ai-input</permits><payment type="attribution"/></license>'
            '<license><permits type="usage">ai-train</permits><payment type="training"><amount currency="USD">1.00</amount>'
            "</payment></license></content>"),),
        cases=(Case("https://www.example.org/data/item", True, "rsl", None, "training only against a per-training payment"),),
    ),
    Deployment(
        id="rsl-search-only-free",
        seen=("search-index file 57533986706 (a deployment's fixture: permits search, prohibits train-ai, pay-per-crawl amount)",),
        pattern="permits search, prohibits train-ai, payment crawl: one licence",
        rsl=(_rsl('<content url="/"><license><permits type="usage">search</permits><prohibits type="usage">train-ai</prohibits>'
                  '<payment type="crawl"><amount currency="USD">0.01</amount></payment></license></content>'),),
        cases=(Case("https://www.example.org/p", True, "rsl", None, "the prohibition reserves; the crawl payment gates nothing"),),
    ),
    Deployment(
        id="rsl-attribution-all",
        seen=("search-index file 55280146507 (a static-site generator writing '/' all usage, attribution CC BY 4.0)",
              "search-index file 71093586553 (a Turkish site's RSL: attribution as the only condition, no prohibits)",
              "adrianofoschi/adrianofoschi.github.io public/license.xml @f5935ea"),
        pattern="permits all, payment attribution with a CC BY standard",
        robots="License: https://www.example.org/rsl.xml\nUser-agent: *\nAllow: /\n",
        rsl=(_rsl('<content url="/"><license><permits type="usage">all</permits><payment type="attribution">'
                  "<standard>https://creativecommons.org/licenses/by/4.0/</standard></payment></license></content>"),),
        cases=(Case("https://www.example.org/notes/1", True, None, None, "attribution is a condition we meet: stored with the licence"),),
    ),
    Deployment(
        id="rsl-premium-prohibits-all",
        seen=("search-index file 54787974207 (an RSL implementation guide's served example: '/' prohibits ai-train with "
              "attribution; '/premium/*' prohibits ai-all and search with a subscription)",),
        pattern="site-wide prohibition of training with attribution; premium section prohibits everything",
        rsl=(_rsl('<content url="/"><license><permits type="usage">search</permits><permits type="usage">ai-input</permits>'
                  '<prohibits type="usage">ai-train</prohibits><prohibits type="usage">ai-index</prohibits>'
                  '<payment type="attribution"/></license></content>'
                  '<content url="/premium/*"><license><prohibits type="usage">ai-all</prohibits>'
                  '<prohibits type="usage">search</prohibits><payment type="subscription"><amount currency="USD">10.00</amount>'
                  "</payment></license></content>"),),
        cases=(
            Case("https://www.example.org/news/a", True, "rsl", None, "ai-train prohibited"),
            Case("https://www.example.org/premium/report", True, "rsl", None, "ai-all prohibited under '/premium/*'"),
        ),
    ),
    Deployment(
        id="rsl-server-element-in-licence",
        seen=("search-index file 25123692543 (an RSL WordPress plugin's README sample with a <server url> element inside <license>)",),
        pattern="'<server url=...>' written as an element inside <license>, not as the content attribute; prohibits train-ai; "
        "subscription",
        rsl=(_rsl('<content url="/"><license><permits type="usage">search</permits><prohibits type="usage">train-ai</prohibits>'
                  '<payment type="subscription"><amount currency="USD">99.99</amount></payment>'
                  '<server url="https://www.example.org/wp-json/rsl-olp/v1"/></license></content>'),),
        cases=(
            Case("https://www.example.org/post", True, "rsl", None,
                 "RSL 1.0 3.3 defines the licence server as the <content server> attribute; the element is not read: fetched, "
                 "training prohibited"),
        ),
    ),
    Deployment(
        id="rsl-use-payment-with-aipref",
        seen=("search-index file 69076356095 (a crawler's test site: a robots.txt group for one agent with Content-Usage "
              "train-ai=n, Content-Signal ai-input=no and License:, RSL ai-input paid per use)",),
        pattern="robots.txt License line; Content-Usage and Content-Signal only in another agent's group",
        robots="User-agent: CommonMeasureBot\nAllow: /\nContent-Usage: train-ai=n\nContent-Signal: ai-input=no\n"
        "License: https://www.example.org/license.xml\n",
        rsl=(_rsl('<content url="/"><license><permits type="usage">ai-input</permits><payment type="use">'
                  '<amount currency="USD">0.015</amount></payment></license></content>'),),
        cases=(
            Case("https://www.example.org/a", True, "rsl", None,
                 "the group and its preferences are CommonMeasureBot's; the licence grants only ai-input, not training "
                 "(RSL 1.0 3.5) -> rsl-not-licensed-ai-train"),
        ),
    ),
)


SIGNALS = (
    Deployment(
        id="content-signal-above-groups",
        seen=("search-index file 70450305486 (citymarkets.sa robots.txt: Content-Signal at the top 'so that scanners find it', "
              "then 'User-Agent: *')",),
        pattern="Content-Signal written before every User-agent line",
        robots="# Content signals declared at the top\n\nContent-Signal: ai-train=no, search=yes, ai-input=yes\n\n"
        "User-Agent: *\nAllow: /\nDisallow: /admin/\nDisallow: /checkout\n",
        cases=(
            Case("https://www.example.org/products/1", True, "content-signal", None,
                 "a line above every group addresses every crawler: ai-train=no reserves"),
            Case("https://www.example.org/checkout", False, "robots", "robots", "Disallow: /checkout"),
        ),
    ),
    Deployment(
        id="content-signal-with-host",
        seen=("search-index file 62722265001 (a Next.js route serving robots.txt: Content-Signal in '*', Host: at the end)",),
        pattern="Content-Signal in '*'; query wildcards; Yandex Host: line after Sitemap",
        robots="# crawler policy: search yes, training and AI input no\nUser-Agent: *\n"
        "Content-Signal: ai-train=no, search=yes, ai-input=no\nAllow: /\nDisallow: /api/\nDisallow: /*?sort=\n\n"
        "Sitemap: https://www.example.org/sitemap.xml\nHost: https://www.example.org\n",
        cases=(
            Case("https://www.example.org/advisories/1", True, "content-signal", None, "ai-train=no"),
            Case("https://www.example.org/advisories?sort=date", False, "robots", "robots", "'/*?sort='"),
        ),
    ),
    Deployment(
        id="search-bots-allowed-training-blocked",
        seen=("search-index file 66494515776 (a Workers site's tests of its robots.txt: Content-Signal, OAI-SearchBot, "
              "Claude-SearchBot, PerplexityBot allowed, GPTBot disallowed)",),
        pattern="search crawlers explicitly allowed, GPTBot disallowed, Content-Signal allows AI input",
        robots="User-agent: *\nContent-Signal: ai-train=no, search=yes, ai-input=yes\nAllow: /\n\n"
        "User-agent: OAI-SearchBot\nAllow: /\n\nUser-agent: Claude-SearchBot\nAllow: /\n\nUser-agent: GPTBot\nDisallow: /\n",
        cases=(Case("https://www.example.org/", True, "content-signal", None, "ai-train=no (GPTBot's group would reserve too)"),),
    ),
    Deployment(
        id="content-signal-no-vs-content-usage-yes",
        seen=("search-index file 52047052944 (a Phoenix app's robots.txt builder: restrictive Content-Signal and Content-Usage "
              "site-wide, path-specific Content-Usage opting docs back in)",),
        pattern="conflict: Content-Signal ai-train=no site-wide, Content-Usage 'train-ai=y' for /docs",
        robots="User-agent: *\nContent-Signal: ai-train=no, search=no, ai-input=no\n\n# opt public docs back in\n"
        "Content-Usage: train-ai=n, search=n\nContent-Usage: /docs train-ai=y, search=y\nContent-Usage: /$ train-ai=y, search=y\n\n"
        "Disallow: /*/dashboard\n",
        cases=(
            Case("https://www.example.org/docs/guides/install", True, "content-signal", None,
                 "Content-Usage allows /docs, but Content-Signal ai-train=no still says no: most restrictive wins across vocabularies"),
            Case("https://www.example.org/pricing", True, "content-usage", None, "both say no; content-usage is named first"),
        ),
    ),
    Deployment(
        id="content-usage-rfc-example",
        seen=("search-index file 45249856222 (the IETF AI preferences attachment draft's robots.txt example)",),
        pattern="'User-Agent: *', 'Allow: /', 'Content-Usage: train-ai=n'",
        robots="User-Agent: *\nAllow: /\nContent-Usage: train-ai=n\n",
        cases=(Case("https://www.example.org/x", True, "content-usage", None, "train-ai=n"),),
    ),
    Deployment(
        id="content-usage-and-signal-headers",
        seen=("search-index file 66019580615 (a blog engine's spec: public entries send Content-Signal and Content-Usage headers)",),
        pattern="both preference headers on the response, no robots.txt lines",
        robots="User-agent: *\nAllow: /\n",
        headers=(("Content-Signal", "search=yes, ai-input=yes, ai-train=no"), ("Content-Usage", "train-ai=n, search=y")),
        cases=(
            Case("https://www.example.org/entrada/1", True, "content-usage", None,
                 "Content-Usage header train-ai=n reserves (the Content-Signal header is not a robots.txt record and is not read)"),
        ),
    ),
)


DIRECTIVES = (
    Deployment(
        id="headers-file-noai-site-wide",
        seen=("search-index file 52775010796 (a site network's runbook: '_headers' with '/*  X-Robots-Tag: noai, noimageai' "
              "and a robots.txt of AI groups then 'User-agent: *' 'Allow: /')", "search-index file 69710249999 (a Pages "
              "build writing the same header)"),
        pattern="noai on every response; AI agents disallowed by name; '*' allowed",
        robots="User-agent: GPTBot\nDisallow: /\n\nUser-agent: Diffbot\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
        headers=(("X-Robots-Tag", "noai, noimageai"),),
        cases=(Case("https://www.example.org/story", True, "noai", None, "noai reserves AI use (X-Robots-Tag is named before ai-agent)"),),
    ),
    Deployment(
        id="api-noindex-nofollow-noai",
        seen=("search-index file 1116575393 (a guide's Netlify _headers: '/api/*  X-Robots-Tag: noindex, nofollow, noai')",
              "search-index file 62404831217 (a Next.js route: 'noindex, nofollow, noarchive, nosnippet, noai, noimageai' and "
              "tdm-reservation 1)"),
        pattern="noai among search directives in one header value",
        headers=(("X-Robots-Tag", "noindex, nofollow, noarchive, nosnippet, noai, noimageai"),),
        cases=(Case("https://www.example.org/api/framework", True, "noai", None, "noai; noindex alone would only be a flag"),),
    ),
    Deployment(
        id="noml-meta-robots",
        seen=("search-index file 47085788348 (noml.info's proposal: <meta name=\"robots\" content=\"noml\"> and X-Robots-Tag: noml)",
              "search-index file 19067493270 (a meta-tag reference: 'noai, noimageai, nosummary, noml')"),
        pattern="meta robots with noml next to noai",
        metas=(("robots", "noai, noimageai, nosummary, noml"),),
        cases=(Case("https://www.example.org/", True, "noai", None, "noai and noml both reserve training; noai is found first"),),
    ),
    Deployment(
        id="noml-scoped-to-other-agents",
        seen=("search-index file 47085788348 (noml.info: per-agent forms <meta name=\"googlebot\" content=\"noml\">, "
              "<meta name=\"bingbot\" content=\"noindex, noml\">)",),
        pattern="noml addressed to named crawlers only, and the header form for a PDF",
        metas=(("googlebot", "noml"), ("bingbot", "noindex, noml")),
        cases=(Case("https://www.example.org/page", True, None, None, "meta named for other agents does not address us"),),
    ),
    Deployment(
        id="noml-header",
        seen=("search-index file 57446339899 (a catalogue of opt-out mechanisms: 'X-Robots-Tag: noml' for non-HTML)",),
        pattern="X-Robots-Tag: noml on a non-HTML response",
        headers=(("X-Robots-Tag", "noml"),),
        cases=(Case("https://www.example.org/paper.pdf", True, "noml", None, "noml: not for machine learning"),),
    ),
    Deployment(
        id="meta-disallowaitraining",
        seen=("search-index file 41712340611 (a blog post's deployed meta: 'noai, noimageai, DisallowAITraining')",),
        pattern="DisallowAITraining as a meta robots value, mixed case",
        metas=(("robots", "DisallowAITraining"),),
        cases=(Case("https://www.example.org/post", True, "disallow-ai-training", None, "the meta form of the rule reserves training"),),
    ),
)


AITXT = (
    Deployment(
        id="aitxt-prose-profile",
        seen=("AbdirahmanNomad/abdirahman.net public/ai.txt @101fb1a", "Aziraphal/judgemyjpeg public/ai.txt @0c1b58d",
              "AVGDAM/martamuniz public/ai.txt @af7f72b"),
        pattern="ai.txt used as a site profile for assistants ('Name:', 'Description:', Markdown lists), no Spawning records",
        aitxt="# ai.txt for the site\n\n# Identity\nName: A Person\nTitle: Developer\n\n## Key Projects\n1. A project - text\n"
        "Contact: hello@example.org\nLastUpdated: 2025-10-01\n",
        cases=(Case("https://www.example.org/about", True, None, None, "no User-Agent / Disallow records: nothing reserved"),),
    ),
    Deployment(
        id="aitxt-spawning-globs",
        seen=("search-index file 41712340611 (a blog post's deployed ai.txt: 'User-Agent: *', file-type globs, 'Disallow: /', "
              "'Disallow: *')",),
        pattern="Spawning grammar: file-type globs without a leading '/', then 'Disallow: /' and 'Disallow: *'",
        aitxt="# Spawning AI\n# Prevent datasets from using the following file types\n\nUser-Agent: *\nDisallow: *.txt\n"
        "Disallow: *.pdf\nDisallow: *.jpg\nDisallow: *.mp3\nDisallow: /\nDisallow: *\n",
        cases=(
            Case("https://www.example.org/2025/07/14/post.html", True, "ai-txt", None, "Disallow: / covers every path"),
            Case("https://www.example.org/files/a.pdf", True, "ai-txt", None, "'*.pdf' glob (and '/')"),
        ),
    ),
)

DEPLOYMENTS: tuple[Deployment, ...] = ROBOTS + DISALLOW_AI_TRAINING + TDMREP + RSL + SIGNALS + DIRECTIVES + AITXT
