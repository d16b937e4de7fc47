"""Terms of service: discovery, sentences, the reading rules and the findings.

Every clause here is written for the test. Each reproduces a pattern seen in
the real terms of ``../shared/tos-corpus`` (Open Terms Archive; the document
named in the comment), never its wording.
"""

from __future__ import annotations

import pytest

from crawler.rights.evidence import FindingKind, Use
from crawler.rights.policy import PolicyProfile, decide
from crawler.rights.tos import (
    AI_TRAINING,
    SCRAPING,
    TDM,
    common_paths,
    discover_terms,
    looks_like_terms,
    page_language,
    read_terms,
    sentence_digest,
    split_sentences,
    terms_findings,
    terms_name_score,
    terms_text,
)
from settings.profiles.conservative import TDMCRAWL_POLICY as CONSERVATIVE
from settings.profiles.research_exception import TDMCRAWL_POLICY as RESEARCH
from settings.profiles.strict import TDMCRAWL_POLICY as STRICT

TERMS_URL = "https://example.test/terms"


def kinds_of(text: str) -> set[str]:
    return set(read_terms(text).kinds())


# ---------------------------------------------------------------- sentences
def test_sentences_end_at_stops_but_not_after_abbreviations_initials_or_clause_numbers() -> None:
    text = "16.3. Copying is allowed, e.g. for quotes. See Art. 4 of the Act. Mr. J. Smith agrees.\nNext line here."
    sentences = [s.text for s in split_sentences(text)]
    assert sentences == ["16.3. Copying is allowed, e.g. for quotes.", "See Art. 4 of the Act.", "Mr. J. Smith agrees.", "Next line here."]
    assert [s.position for s in split_sentences(text)] == [0, 1, 2, 3]


def test_a_hard_wrapped_line_joins_the_next_but_a_finished_one_does_not() -> None:
    # PDF-like terms broken mid-sentence (seen in the videdressing and idealo documents).
    text = "Users may not use a robot to copy the\ncontent of the site.\nA new clause starts here."
    assert [s.text for s in split_sentences(text)] == ["Users may not use a robot to copy the content of the site.", "A new clause starts here."]


def test_german_and_french_abbreviations_do_not_split() -> None:
    text = "Eine Abfrage durch Bots (insb. Data Mining) ist nicht gestattet. Voir p.ex. l'art. 5 ci-dessous."
    assert len(split_sentences(text)) == 2


def test_sentence_digest_folds_case_and_spaces() -> None:
    assert sentence_digest("You may  NOT scrape.") == sentence_digest("you may not scrape.")
    assert sentence_digest("a") != sentence_digest("b")


def test_html_terms_become_one_block_a_line_without_scripts() -> None:
    html = b"<html><head><title>T</title><script>var no='scrape';</script></head><body><h1>Terms</h1><p>First <b>bold</b> part.</p><ul><li>Item one</li><li>Item two</li></ul></body></html>"
    assert terms_text(html, "text/html") == "Terms\nFirst bold part.\nItem one\nItem two"


def test_markdown_terms_lose_their_markup() -> None:
    md = "Title\n=====\n\n## 2. Use\n*   You may **not** use [robots](https://x.test/r) here.\n"
    assert terms_text(md, "text/markdown") == "Title\n2. Use\nYou may not use robots here."


def test_hostile_input_never_raises() -> None:
    assert terms_text(b"\xff\xfe\x00garbage<<<", "text/html") == "" or isinstance(terms_text(b"\xff\xfe\x00garbage<<<", "text/html"), str)
    assert read_terms("").clauses == ()
    assert discover_terms(b"", "https://x.test/") == []
    assert discover_terms(b"\x00\x01<a href='::'>", "https://x.test/") == []


# ---------------------------------------------------------------- tdm
@pytest.mark.parametrize(
    "clause",
    [
        # an Art. 4(3) citation (the Guardian, LibraryThing)
        "For the avoidance of doubt, we reserve all rights in our content for the purposes of Article 4(3) of Directive (EU) 2019/790.",
        # "text and data mining is prohibited" (autoplius)
        "Reproducing the articles on this website for the purpose of text and data mining is prohibited.",
        # a list item under a "you shall not:" lead-in (The New York Times)
        "Without our prior written consent, you shall not:\n(1) resell the content;\n(2) perform text and data mining on the content.",
        # data mining named among forbidden tools (mobile.de, Gartner)
        "The use of data mining, robots or similar data gathering tools is not permitted.",
        # German: § 44b UrhG
        "Wir behalten uns die Nutzung unserer Inhalte für Text und Data Mining im Sinne von § 44b UrhG ausdrücklich vor.",
        # French: L. 122-5-3 CPI (Deezer, Facebook)
        "L'éditeur s'oppose à toute fouille de textes et de données au sens de l'article L. 122-5-3 du code de la propriété intellectuelle.",
        "Nous nous réservons le droit de nous opposer à la fouille de textes et à l'exploration de données.",
        # Spanish, Italian, Dutch, Portuguese
        "Queda prohibida la minería de textos y datos sobre los contenidos del sitio.",
        "È vietata l'estrazione di testo e di dati dai contenuti del portale senza autorizzazione.",
        "Tekst- en datamining van de inhoud van de website is niet toegestaan.",
        "É proibida qualquer forma de mineração de textos e dados sem autorização prévia.",
    ],
)
def test_tdm_reservations_are_read(clause: str) -> None:
    assert TDM in kinds_of(clause)


def test_the_tdm_clause_is_found_with_its_position() -> None:
    reading = read_terms("Welcome.\nYou may browse the site.\nText and data mining of our articles is not permitted.")
    (clause,) = reading.clauses
    assert clause.position == 2 and clause.kinds == (TDM,) and clause.rules == ("tdm-named",)
    assert reading.sentences == 3


# ---------------------------------------------------------------- ai-training
@pytest.mark.parametrize(
    "clause",
    [
        # Financial Times, Telegram developer terms
        "You may not use any of our content to train, fine-tune or develop any machine learning or artificial intelligence model.",
        # a list item under a "need permission" heading (BBC)
        "When you need permission\nTo use any of the following…\nWhole programmes\nAnything taken from our services to develop or train artificial intelligence",
        # a licence condition (Quora)
        "You may re-post content provided that (a) you link to it; and (b) you do not use the content to train any AI or large language models.",
        # French (Netflix, Amazon)
        "Vous ne pouvez pas utiliser le contenu pour l'entraînement de modèles d'intelligence artificielle.",
        # German
        "Die Nutzung der Inhalte zum Trainieren von KI-Modellen oder Systemen künstlicher Intelligenz ist untersagt.",
        # Spanish
        "No está permitido utilizar el contenido para entrenar sistemas de inteligencia artificial.",
    ],
)
def test_ai_training_bans_are_read(clause: str) -> None:
    assert AI_TRAINING in kinds_of(clause)


def test_mining_forbidden_only_for_training_is_ai_training_not_tdm() -> None:
    # Fox News, Hearst: "copy, data mine or scrape ... for the purpose of training any AI model"
    found = kinds_of("You may not copy, data mine or scrape the content for the purpose of training any artificial intelligence model.")
    assert AI_TRAINING in found and TDM not in found


# ---------------------------------------------------------------- scraping
@pytest.mark.parametrize(
    "clause",
    [
        "You agree not to access the site using any robot, spider, scraper or other automated means.",  # Shopify, Viber
        "You must not use any scraping technology on this site.",  # Rightmove
        "Ne pas utiliser de robots, d'araignées ou d'autres moyens automatisés pour accéder au service.",  # Lime
        "Der Einsatz von Robots, Crawlern oder ähnlichen Programmen zum Auslesen der Inhalte ist untersagt.",  # mobile.de
        "Se prohíbe el uso de robots, arañas u otras herramientas automáticas para extraer el contenido.",  # Vrbo
        "L'Utente si impegna a non utilizzare robot, spider o altri sistemi automatizzati per copiare i contenuti.",  # GoPillar
        "Het is niet toegestaan robots, spiders of andere middelen voor het indexeren van de website te gebruiken.",  # Tweakers
        "Não é permitida a utilização de robôs ou de outras ferramentas automatizadas para extrair conteúdos.",
    ],
)
def test_scraping_bans_are_read(clause: str) -> None:
    found = kinds_of(clause)
    assert SCRAPING in found and TDM not in found and AI_TRAINING not in found


# ---------------------------------------------------------------- not reservations
@pytest.mark.parametrize(
    "clause",
    [
        # the service's own use of AI (Quora, Facebook, Viber)
        "We use machine learning, automated tools and human review to moderate content.",
        # a promise not to train on users' content (Zoom, Viber)
        "The company does not use your messages or calls to train its artificial intelligence models.",
        # users' chats used to improve the service (Fox News)
        "Your chats may be recorded and used to improve the services and to train our AI features.",
        # permissions (SourceHut, LibraryThing)
        "You may use automated tools to obtain public information for archival or open-access research.",
        "Search engine crawlers that obey our robots.txt are welcome.",
        # fake plays (Deezer, Spotify) and harvesting of personal data (YouTube, Hearst)
        "You may not artificially increase play counts by using any bot or script.",
        "You may not collect or harvest personal information about other users.",
        # renewals and updates "automatically"
        "Your subscription renews automatically unless you cancel it.",
        # AI-generated content rules (Dailymotion)
        "You must label any content created with artificial intelligence.",
    ],
)
def test_these_are_not_reservations(clause: str) -> None:
    assert kinds_of(clause) == set()


# ---------------------------------------------------------------- discovery
def test_rel_terms_of_service_wins_over_link_text_and_path() -> None:
    html = b"""<html lang="en"><head><link rel="terms-of-service" href="/legal/tos.html"></head><body>
    <a href="/policies/terms">Terms of Use</a><a href="/agb">x</a><a href="javascript:void(0)">Terms of Service</a>
    <a href="/about">About</a></body></html>"""
    links = discover_terms(html, "https://site.test/news/")
    assert [(link.url, link.how) for link in links] == [
        ("https://site.test/legal/tos.html", "rel"),
        ("https://site.test/policies/terms", "link-text"),
        ("https://site.test/agb", "link-path"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Terms of Service", "Terms and Conditions", "Nutzungsbedingungen", "AGB", "Conditions générales d'utilisation", "CGU",
        "Mentions légales", "Términos y condiciones", "Condizioni d'uso", "Algemene voorwaarden", "Termos de Uso", "Legal",
    ],
)
def test_terms_are_named_in_seven_languages(text: str) -> None:
    assert terms_name_score(text) > 0


def test_a_full_name_beats_a_legal_notice_and_ordinary_links_are_not_terms() -> None:
    assert terms_name_score("Terms of Service") > terms_name_score("Mentions légales") > 0
    for text in ("About us", "Terms of the deal we offer this week and more text", "Impressum", ""):
        assert terms_name_score(text) == 0


def test_base_href_and_fragment_are_respected() -> None:
    html = '<html><head><base href="https://cdn.site.test/de/"></head><body><a href="agb#p1">AGB</a></body></html>'
    (link,) = discover_terms(html, "https://site.test/")
    assert link.url == "https://cdn.site.test/de/agb" and link.text == "AGB"


def test_fallback_paths_follow_the_page_language() -> None:
    assert page_language(b'<html lang="fr-FR"><body></body></html>') == "fr"
    assert common_paths("fr")[:2] == ("/cgu", "/conditions-generales")
    assert common_paths("")[0] == "/terms"
    assert "/terms" in common_paths("de")


def test_a_guessed_path_counts_only_when_the_page_is_terms() -> None:
    assert looks_like_terms(b"<html><head><title>Conditions g\xc3\xa9n\xc3\xa9rales d'utilisation</title></head></html>", "text/html; charset=utf-8")
    assert looks_like_terms(b"<html><body><h1>Terms of Service</h1></body></html>", "text/html")
    assert not looks_like_terms(b"<html><head><title>Welcome to our shop</title></head></html>", "text/html")  # soft 404
    assert not looks_like_terms(b"%PDF-1.4", "application/pdf")


# ---------------------------------------------------------------- findings and policy
TERMS = (
    "Terms of Use\n"
    "You may not use any robot, spider or scraper to access the site.\n"
    "You may not use the content to train any artificial intelligence model.\n"
    "We reserve our rights under Article 4(3) of Directive (EU) 2019/790 against text and data mining."
)


def test_findings_name_the_sentence_and_its_position() -> None:
    findings = {f.reason: f for f in terms_findings(read_terms(TERMS), TERMS_URL, found_by="rel")}
    assert set(findings) == {"tos-reservation-tdm", "tos-reservation-ai-training", "tos-scraping-ban"}
    tdm = findings["tos-reservation-tdm"]
    assert tdm.signal == "tos" and tdm.kind is FindingKind.USE and tdm.restrictive and tdm.usage.tdm is Use.DENY
    (evidence,) = tdm.evidence
    assert evidence.source == TERMS_URL and evidence.line == 3 and "2019/790" in evidence.value
    assert "sentence 3" in evidence.note and "rel" in evidence.note
    assert findings["tos-reservation-ai-training"].usage.train is Use.DENY
    assert findings["tos-scraping-ban"].signal == "tos-scraping"


def test_a_long_sentence_is_cut_around_what_made_it_count() -> None:
    sentence = "You shall not " + "do many listed things, " * 30 + "or use the content for text and data mining."
    (finding,) = terms_findings(read_terms(sentence), TERMS_URL)
    assert "text and data mining" in finding.evidence[0].value and len(finding.evidence[0].value) <= 300


@pytest.mark.parametrize(
    "profile, excluded, reason, recorded",
    [
        (STRICT, True, "tos-reservation-tdm", ("tos-scraping-ban",)),
        (CONSERVATIVE, True, "tos-reservation-tdm", ()),
        (RESEARCH, False, None, ("tos-reservation-tdm", "tos-reservation-ai-training", "tos-scraping-ban")),
    ],
)
def test_profiles(profile: dict, excluded: bool, reason: str | None, recorded: tuple[str, ...]) -> None:
    decision = decide(terms_findings(read_terms(TERMS), TERMS_URL), PolicyProfile.from_mapping(profile))
    assert decision.excluded is excluded and decision.reason == reason
    assert set(decision.reservations) == set(recorded)
    if excluded:
        assert decision.reason_family == "tos"


def test_a_scraping_ban_alone_excludes_only_under_conservative() -> None:
    findings = terms_findings(read_terms("You must not use any scraping technology on the site."), TERMS_URL)
    strict = decide(findings, PolicyProfile.from_mapping(STRICT))
    assert not strict.excluded and strict.reservations == ("tos-scraping-ban",)
    conservative = decide(findings, PolicyProfile.from_mapping(CONSERVATIVE))
    assert conservative.excluded and conservative.reason == "tos-scraping-ban" and conservative.reason_family == "tos-scraping"
