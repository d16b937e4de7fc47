"""The choice of main-text extractor, in a real crawl and in a re-extraction:
the documents say which extractor produced their text."""

from __future__ import annotations

from crawler.localsite import html, text
from tests.conftest import read_rows, run_tdmcrawl

ARTICLE = "The harbour master logged forty-two ferry crossings during the storm week. " * 6
BOILERPLATE = "Subscribe to our newsletter. Accept cookies. Share on social media."


def article_page() -> str:
    return (
        "<html><head><title>Harbour log</title></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/about'>About</a> {BOILERPLATE}</nav>"
        f"<main><article><h1>Harbour log</h1><p>{ARTICLE}</p><p>{ARTICLE}</p></article></main>"
        f"<footer>{BOILERPLATE}</footer></body></html>"
    )


def test_resiliparse_extracts_the_article_and_says_so(crawl, site_factory) -> None:
    site = site_factory({"a": {"/robots.txt": text("User-agent: *\nAllow: /\n"), "/": html(article_page())}})
    result = crawl(site.url("a"), args=("-s", "TDMCRAWL_EXTRACTOR=resiliparse"))
    assert result.returncode == 0, result.stderr
    [document] = result.documents()
    assert document["extractor"].startswith("resiliparse ")
    assert "forty-two ferry crossings" in document["text"]
    assert "Subscribe to our newsletter" not in document["text"]

    # Re-extracting the same WARC with trafilatura replaces the text and the extractor named.
    done = run_tdmcrawl("extract", str(result.out), "--extractor", "trafilatura")
    assert done.returncode == 0, done.stderr
    [again] = read_rows(result.out / "data" / "documents")
    assert again["extractor"].startswith("trafilatura ") and "forty-two ferry crossings" in again["text"]


def test_an_unknown_extractor_stops_the_crawl_before_any_request(crawl, site_factory) -> None:
    site = site_factory({"a": {"/": html(article_page())}})
    result = crawl(site.url("a"), args=("-s", "TDMCRAWL_EXTRACTOR=magic"))
    assert result.returncode != 0
    assert "TDMCRAWL_EXTRACTOR must be one of trafilatura, resiliparse" in result.stderr
    assert site.paths("a") == []
