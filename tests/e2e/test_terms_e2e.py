"""Terms of service in real crawls: one origin per case, each on its own port.

* ``rel``      <link rel="terms-of-service">, English terms citing Art. 4(3) CDSM (tdm)
* ``agb``      a link whose text is "Nutzungsbedingungen", German terms citing § 44b UrhG (tdm)
* ``cgu``      a link "Conditions générales d'utilisation", French terms forbidding AI training
* ``scraping`` a link "Terms of Use", terms that only forbid robots and scrapers
* ``plain``    no link; the common path /terms answers with terms that reserve nothing
* ``none``     no terms anywhere
* ``hidden``   a link to terms robots.txt disallows: never requested
* ``noai``     no terms; the home page's own headers say ``X-Robots-Tag: noai``

The terms clauses are written for this test; each reproduces a pattern seen in
real terms (../shared/tos-corpus, see tests/rights/test_tos.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.localsite import Route, html, text
from tests.conftest import CrawlResult

PROSE = "Plain words about the harbour and the weather, written for this test so that the extractor finds a paragraph of real text to keep. " * 3


def page(title: str, *links: str, head: str = "", footer: str = "") -> Route:
    anchors = "".join(f'<p><a href="{href}">{label}</a></p>' for href, label in links)
    return html(
        f"<html lang=\"en\"><head><title>{title}</title>{head}</head><body><main><h1>{title}</h1><p>{PROSE}</p>{anchors}</main>"
        f"<footer>{footer}</footer></body></html>"
    )


def terms_page(title: str, *clauses: str, lang: str = "en") -> Route:
    body = "".join(f"<p>{c}</p>" for c in clauses)
    return html(f"<html lang=\"{lang}\"><head><title>{title}</title></head><body><h1>{title}</h1><p>These terms govern your use of the site.</p>{body}</body></html>")


TDM_EN = "We expressly reserve our rights in all content of this site against text and data mining, including under Article 4(3) of Directive (EU) 2019/790."
TDM_DE = "Wir behalten uns die Nutzung unserer Inhalte für Text und Data Mining nach § 44b UrhG ausdrücklich vor."
AI_FR = "Il est interdit d'utiliser les contenus du site pour l'entraînement de modèles d'intelligence artificielle."
SCRAPING_EN = "You may not use any robot, spider, scraper or other automated means to access the site."


def site_routes() -> dict[str, dict[str, Route]]:
    article = ("/a.html", "An article")
    return {
        "rel": {
            "/": page("Home", article, head='<link rel="terms-of-service" href="/legal/t.html">'),
            "/a.html": page("An article"),
            "/legal/t.html": terms_page("Site rules", "Be kind.", TDM_EN),
        },
        "agb": {
            "/": page("Startseite", article, footer='<a href="/rechtliches/nb.html">Nutzungsbedingungen</a>'),
            "/a.html": page("Ein Artikel"),
            "/rechtliches/nb.html": terms_page("Nutzungsbedingungen", TDM_DE, lang="de"),
        },
        "cgu": {
            "/": page("Accueil", article, footer='<a href="/infos/cg.html">Conditions générales d\'utilisation</a>'),
            "/a.html": page("Un article"),
            "/infos/cg.html": terms_page("Conditions générales d'utilisation", AI_FR, lang="fr"),
        },
        "scraping": {
            "/": page("Home", article, footer='<a href="/about/rules.html">Terms of Use</a>'),
            "/a.html": page("An article"),
            "/about/rules.html": terms_page("Terms of Use", SCRAPING_EN),
        },
        "plain": {
            "/": page("Home", article),
            "/a.html": page("An article"),
            "/terms": terms_page("Terms of Service", "You must be polite in the comments."),
        },
        "none": {"/": page("Home", article), "/a.html": page("An article")},
        "hidden": {
            "/": page("Home", article, footer='<a href="/private/terms.html">Terms of Service</a>'),
            "/a.html": page("An article"),
            "/private/terms.html": terms_page("Terms of Service", TDM_EN),
            "/robots.txt": text("User-agent: *\nDisallow: /private/\n"),
        },
        "noai": {
            "/": html(page("Home", article).body, headers=[("X-Robots-Tag", "noai")]),
            "/a.html": page("An article"),
        },
    }


@pytest.fixture(scope="module")
def terms_site():
    from crawler.localsite import LocalSite

    site = LocalSite(site_routes()).start()
    yield site
    site.stop()


def crawl_all(crawl: Any, site: Any, *args: str) -> CrawlResult:
    seeds = [site.url(name, path) for name in site.origins for path in ("/", "/a.html")]
    result = crawl(*seeds, args=("--max-depth", "1", *args))
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def policy_captures(out: Path) -> dict[str, str]:
    """URL -> WARC-Payload-Digest of every response in policy/."""
    found = {}
    for path in sorted((out / "policy").glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    found[record.rec_headers.get_header("WARC-Target-URI")] = record.rec_headers.get_header("WARC-Payload-Digest")
    return found


@pytest.fixture(scope="module")
def strict_crawl(terms_site, tmp_path_factory):
    from tests.conftest import FAST, run_tdmcrawl

    out = tmp_path_factory.mktemp("terms") / "strict"
    seeds = [terms_site.url(name, path) for name in terms_site.origins for path in ("/", "/a.html")]
    done = run_tdmcrawl("crawl", *seeds, "--out", str(out), "--quiet", "--max-depth", "1", *FAST)
    assert done.returncode == 0, done.stderr[-3000:]
    requests = {name: origin.paths() for name, origin in terms_site.origins.items()}
    for origin in terms_site.origins.values():
        origin.requests.clear()
    return CrawlResult(out, done.returncode, done.stdout, done.stderr), requests


def rows_for(rows: list[dict], site: Any, name: str) -> list[dict]:
    prefix = site.url(name, "/")
    return [r for r in rows if r["url"].startswith(prefix)]


@pytest.mark.parametrize(
    "name, terms_path, reason",
    [
        ("rel", "/legal/t.html", "tos-reservation-tdm"),
        ("agb", "/rechtliches/nb.html", "tos-reservation-tdm"),
        ("cgu", "/infos/cg.html", "tos-reservation-ai-training"),
    ],
)
def test_terms_that_reserve_exclude_the_sites_pages_under_strict(strict_crawl, terms_site, name: str, terms_path: str, reason: str) -> None:
    result, requests = strict_crawl
    terms_url = terms_site.url(name, terms_path)
    decisions = rows_for(result.decisions(), terms_site, name)
    assert {r["url"] for r in decisions} == {terms_site.url(name, "/"), terms_site.url(name, "/a.html")}
    captures = policy_captures(result.out)
    for row in decisions:
        assert row["decision"] == "excluded" and row["reason"] == reason and row["reason_family"] == "tos"
        assert row["stage"] == "request"
        assert row["tos_url"] == terms_url and row["tos_digest"] == captures[terms_url]
        assert captures[terms_url] in row["policy_digests"]
        evidence = json.loads(row["evidence_json"])[0]
        assert evidence["signal"] == "tos" and evidence["source"] == terms_url and evidence["line"] is not None
    assert rows_for(result.documents(), terms_site, name) == []
    # The terms were fetched once; the article was never requested; the home page
    # only once (read for the link to the terms, never as a document).
    assert requests[name].count(terms_path) == 1
    assert "/a.html" not in requests[name] and requests[name].count("/") == 1


def test_a_scraping_ban_is_recorded_on_every_row_but_does_not_exclude_under_strict(strict_crawl, terms_site) -> None:
    result, requests = strict_crawl
    terms_url = terms_site.url("scraping", "/about/rules.html")
    # the home page, the article, and the terms page itself (linked from the home page: a page like any other)
    decisions = rows_for(result.decisions(), terms_site, "scraping")
    assert {r["decision"] for r in decisions} == {"stored"} and len(decisions) == 3
    for row in decisions:
        assert "tos-scraping-ban" in row["reservations"] and row["tos_url"] == terms_url
    documents = rows_for(result.documents(), terms_site, "scraping")
    assert len(documents) == 3
    for doc in documents:
        assert doc["tos_url"] == terms_url and doc["tos_said"] == ["scraping"] and "tos-scraping-ban" in doc["reservations"]
        assert doc["tos_digest"] == policy_captures(result.out)[terms_url]
    # The terms were known before any page of the site was requested.
    paths = requests["scraping"]
    assert paths.index("/about/rules.html") < paths.index("/a.html")


def test_a_common_path_and_no_terms_at_all(strict_crawl, terms_site) -> None:
    result, requests = strict_crawl
    plain = rows_for(result.documents(), terms_site, "plain")
    assert len(plain) == 2 and {d["tos_url"] for d in plain} == {terms_site.url("plain", "/terms")} and plain[0]["tos_said"] == []
    none = rows_for(result.documents(), terms_site, "none")
    assert len(none) == 2 and {d["tos_url"] for d in none} == {None}
    assert all(r["tos_url"] is None for r in rows_for(result.decisions(), terms_site, "none"))
    assert requests["none"][:1] == ["/robots.txt"] and "/terms" in requests["none"]


def test_robots_txt_decides_whether_the_terms_page_is_fetched(strict_crawl, terms_site) -> None:
    result, requests = strict_crawl
    assert "/private/terms.html" not in requests["hidden"]
    documents = rows_for(result.documents(), terms_site, "hidden")
    assert len(documents) == 2 and {d["tos_url"] for d in documents} == {None}


def test_the_summary_lists_the_sites_whose_terms_reserve_with_the_sentence(strict_crawl, terms_site) -> None:
    result, _ = strict_crawl
    summary = json.loads((result.out / "summary.json").read_text())
    sites = {entry["tos_url"]: entry for entry in summary["terms_of_service"]["sites"]}
    rel = sites[terms_site.url("rel", "/legal/t.html")]
    assert rel["said"] == ["tdm"] and "2019/790" in rel["clauses"][0]["sentence"] and rel["tos_digest"].startswith("sha1:")
    assert sites[terms_site.url("scraping", "/about/rules.html")]["said"] == ["scraping"]
    assert sites[terms_site.url("cgu", "/infos/cg.html")]["said"] == ["ai-training"]
    markdown = (result.out / "summary.md").read_text()
    assert "Terms of service" in markdown and "Article 4(3)" in markdown
    card = (result.out / "README.md").read_text()
    assert "Terms of service" in card and terms_site.url("agb", "/rechtliches/nb.html") in card


def test_research_exception_records_the_reservations_and_conservative_honours_the_scraping_ban(crawl, terms_site) -> None:
    research = crawl_all(crawl, terms_site, "--policy", "research-exception")
    stored = {r["url"]: r for r in research.decisions() if r["decision"] == "stored"}
    article = stored[terms_site.url("rel", "/a.html")]
    assert "tos-reservation-tdm" in article["reservations"]
    assert "tos-reservation-ai-training" in stored[terms_site.url("cgu", "/a.html")]["reservations"]

    conservative = crawl_all(crawl, terms_site, "--policy", "conservative")
    row = conservative.decision_for(terms_site.url("scraping", "/a.html"))
    assert row["decision"] == "excluded" and row["reason"] == "tos-scraping-ban" and row["reason_family"] == "tos-scraping"
    assert conservative.decision_for(terms_site.url("none", "/a.html"))["decision"] == "stored"


def test_lookup_shows_a_pages_terms_and_what_they_said(strict_crawl, terms_site) -> None:
    from tests.conftest import run_tdmcrawl

    result, _ = strict_crawl
    excluded = terms_site.url("agb", "/a.html")
    done = run_tdmcrawl("lookup", str(result.out), excluded)
    assert done.returncode == 0, done.stderr
    assert f"terms of service: {terms_site.url('agb', '/rechtliches/nb.html')}" in done.stdout
    assert "tos-reservation-tdm" in done.stdout and "§ 44b UrhG" in done.stdout and "archived: policy/" in done.stdout

    stored = terms_site.url("scraping", "/a.html")
    answer = json.loads(run_tdmcrawl("lookup", str(result.out), stored, "--json").stdout)
    (terms,) = answer["terms"]
    assert terms["tos_url"] == terms_site.url("scraping", "/about/rules.html") and terms["said"] == ["scraping"]
    assert terms["archived_copy"]["file"].startswith("policy/") and "robot, spider, scraper" in terms["clauses"][0]["sentence"]
    assert answer["stored"][0]["tos_said"] == ["scraping"]


def warc_records(folder: Path, uri: str) -> list[Any]:
    """(type, headers, http headers) of every record about ``uri`` in the WARC files under ``folder``."""
    found = []
    for path in sorted(folder.rglob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_headers.get_header("WARC-Target-URI") == uri:
                    http = record.http_headers.headers if record.http_headers is not None else []
                    found.append((record.rec_type, dict(record.rec_headers.headers), dict(http), record.content_stream().read()))
    return found


def test_the_home_page_read_for_the_terms_link_is_the_crawls_own_response_for_it(strict_crawl, terms_site) -> None:
    result, requests = strict_crawl
    for name in ("scraping", "plain", "none"):
        home_url = terms_site.url(name, "/")
        assert requests[name].count("/") == 1  # one request: the origin is not asked for the same page twice in a row
        stored = [d for d in rows_for(result.documents(), terms_site, name) if d["url"] == home_url]
        assert len(stored) == 1 and stored[0]["word_count"] > 20
        records = warc_records(result.out / "warc", home_url)
        kinds = [kind for kind, *_ in records]
        assert kinds.count("response") == 1 and kinds.count("request") == 1
        response = next(r for r in records if r[0] == "response")
        assert b"harbour" in response[3]
        request = next(r for r in records if r[0] == "request")
        # the request record shows what was sent for it (the lookup asks for the page uncompressed)
        assert request[2].get("Accept-Encoding") == "identity" and request[2].get("User-Agent", "").startswith("tdmcrawl/")
    # A home page whose own headers reserve is judged at the header stage, as a download would be.
    noai = {r["url"]: r for r in rows_for(result.decisions(), terms_site, "noai")}
    home = noai[terms_site.url("noai", "/")]
    assert home["decision"] == "excluded" and home["reason"] == "noai" and home["stage"] == "headers"
    assert noai[terms_site.url("noai", "/a.html")]["decision"] == "stored"
    assert requests["noai"].count("/") == 1
    assert [d for d in rows_for(result.documents(), terms_site, "noai") if d["url"] == terms_site.url("noai", "/")] == []
