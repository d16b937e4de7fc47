"""Terms of service: find a site's terms, split them into sentences, and read
the sentences that reserve text and data mining, forbid AI training, or forbid
automated collection in general.

Owns three pure steps:

* **discovery** (:func:`discover_terms`): from the HTML of a site's page, the
  URL of its terms — ``<link rel="terms-of-service">`` (a registered link
  relation) first, then ``<a>`` links whose text or path names the terms in
  English, German, French, Spanish, Italian, Dutch or Portuguese, best name
  first; :data:`COMMON_PATHS` are the fallback the fetching layer tries;
* **text** (:func:`terms_text`): the plain text of a fetched terms page (HTML,
  Markdown or plain text), one block a line;
* **reading** (:func:`read_terms`): :func:`split_sentences` numbers the
  sentences (the *sentence position* the evidence and the hand labels refer
  to), and explainable rules (:data:`RULES`, every one named) find the kinds
  ``tdm``, ``ai-training`` and ``scraping`` with the sentence as evidence.

It must not fetch anything, import Scrapy or raise on outside input.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from typing import Iterator
from urllib.parse import urljoin, urlsplit

from .evidence import Evidence, Finding, FindingKind, Usage, Use, clean_evidence_text

__all__ = [
    "AI_TRAINING",
    "COMMON_PATHS",
    "KINDS",
    "SCRAPING",
    "TDM",
    "Sentence",
    "SiteTerms",
    "TermsLink",
    "TermsReading",
    "Clause",
    "common_paths",
    "discover_terms",
    "looks_like_terms",
    "page_language",
    "read_terms",
    "terms_name_score",
    "sentence_digest",
    "split_sentences",
    "terms_findings",
    "terms_text",
]

TDM = "tdm"
AI_TRAINING = "ai-training"
SCRAPING = "scraping"
KINDS: tuple[str, ...] = (TDM, AI_TRAINING, SCRAPING)

MAX_TERMS_BYTES = 2 * 1024 * 1024  # a terms page larger than this is read up to here
MAX_SENTENCE_CHARS = 2000  # the sentence kept as evidence (the WARC copy has all of it)

# ---------------------------------------------------------------------------
# Text: HTML, Markdown or plain text -> one block a line


_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd details div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section summary table tbody td tfoot th thead tr ul".split()
)
_SKIP_TAGS = frozenset("script style noscript template svg head iframe object".split())


def _html_text(markup: str) -> str:
    import lxml.html

    try:
        root = lxml.html.document_fromstring(markup)
    except Exception:  # empty or hostile markup: nothing to read
        return ""
    parts: list[str] = []

    def walk(element: object) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""  # type: ignore[attr-defined]
        tag = tag.lower()
        if tag in _SKIP_TAGS or (not tag and element.tag is not None):  # type: ignore[attr-defined]
            # comments and processing instructions: only their tail is text
            if element.tail:  # type: ignore[attr-defined]
                parts.append(element.tail)  # type: ignore[attr-defined]
            return
        block = tag in _BLOCK_TAGS
        if block:
            parts.append("\n")
        if element.text:  # type: ignore[attr-defined]
            parts.append(element.text)  # type: ignore[attr-defined]
        for child in element:  # type: ignore[attr-defined]
            walk(child)
        if block:
            parts.append("\n")
        if element.tail:  # type: ignore[attr-defined]
            parts.append(element.tail)  # type: ignore[attr-defined]

    body = root.find("body")
    walk(body if body is not None else root)
    lines = (re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)")
_MD_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_MD_EMPHASIS = re.compile(r"(\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*]))")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")
_MD_BULLET = re.compile(r"^\s*(?:[*+\-]|>)\s+")
_MD_RULE = re.compile(r"^\s*(?:[=\-*_]\s*){3,}$")


def _markdown_text(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        if _MD_RULE.match(line):
            continue
        line = _MD_HEADING.sub("", line)
        while True:
            stripped = _MD_BULLET.sub("", line, count=1)
            if stripped == line:
                break
            line = stripped
        line = _MD_LINK.sub(r"\1", line)
        line = _MD_REF_LINK.sub(r"\1", line)
        line = _MD_EMPHASIS.sub("", line)
        line = line.replace("\\", "").replace("|", " ")
        line = re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


def _decode(body: bytes | str) -> str:
    if isinstance(body, str):
        return body
    raw = bytes(body[:MAX_TERMS_BYTES])
    head = raw[:4096].lower()
    charset = re.search(rb"charset=[\"']?([a-z0-9_\-]+)", head)
    for encoding in ((charset.group(1).decode("ascii"),) if charset else ()) + ("utf-8",):
        try:
            return raw.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("cp1252", "replace")


def terms_text(body: bytes | str, content_type: str | None = None) -> str:
    """The plain text of a terms page, one block (paragraph, list item, heading,
    table cell) a line. HTML is read by its markup, anything else as Markdown
    (which plain text is too). Never raises."""
    try:
        text = _decode(body)
        media = (content_type or "").split(";", 1)[0].strip().lower()
        looks_html = bool(re.match(r"\s*(?:<!doctype|<html|<head|<body|<\?xml|<!--|<meta|<div|<p\b)", text[:512], re.I))
        if media in ("text/html", "application/xhtml+xml") or (not media and looks_html):
            return _html_text(text)
        return _markdown_text(text)
    except Exception:  # outside input never raises
        return ""


# ---------------------------------------------------------------------------
# Sentences

# Words after which a full stop does not end the sentence (lower case, with the stop).
_ABBREVIATIONS = frozenset(
    """
    e.g. i.e. eg. ie. cf. vs. viz. etc.) approx. incl. excl. esp. resp. no. nos. nr. art. arts. sec. secs. para. paras.
    ch. p. pp. vol. ed. fig. inc. ltd. co. corp. llc. plc. mr. mrs. ms. dr. prof. st. jr. sr. u.s. u.k. e.u. a.m. p.m.
    z.b. z. b. u.a. d.h. bzw. vgl. ggf. ggfs. gem. gemäß. abs. ziff. lit. s. sog. usw. evtl. inkl. zzgl. max. min. str.
    nr. tel. bspw. i.s.d. i.v.m. u.u. o.ä. ca. hrsg. insb. bzgl. einschl. zb. ua. dh.
    p.ex. ex. av. n°. al. mme. mlle. cie. chap. env. éd. réf. cass. civ. c. l. r. ss. suiv.
    núm. pág. sra. srta. ud. uds. vd. vds. arts. dña. d. sres. aprox. ej. cía.
    ecc. pag. sig. dott. avv. n. cod. lett. cit. c.c. d.lgs. l.
    bijv. enz. nl. m.b.t. o.a. t.a.v. dhr. mevr. jo. nº. v. s.a. lda. cf.
    """.split()
)
_ENUMERATOR = re.compile(r"^(?:\(?(?:\d{1,3}|[a-z]|[ivxlc]{1,5})(?:[.)](?:\d{1,3}|[a-z]))*[.)]|§\s*\d+[a-z]?\.?)$", re.I)
_BOUNDARY = re.compile(
    r"(?<=[.!?…])[\"'»”’)\]]*(\s+)(?=[\"'«“„‘(\[¿¡*_]*[A-ZÀ-ÖØ-ÞĀ-ŽΑ-Ω0-9])"
)


@dataclass(frozen=True)
class Sentence:
    """One sentence of a document: ``position`` counts from 0 over the whole
    text; ``line`` is the 1-based block (line of :func:`terms_text`) it is in."""

    position: int
    text: str
    line: int


def _ends_with_abbreviation(segment: str) -> bool:
    words = segment.split()
    if not words:
        return False
    last = re.split(r"['’]", words[-1].lower().lstrip("(\"'«“„"))[-1]  # l'art. -> art.
    if last in _ABBREVIATIONS:
        return True
    if re.fullmatch(r"(?:[a-zà-þ]\.){1,3}", last):  # initials: J., U.S.
        return True
    if len(words) == 1 and _ENUMERATOR.match(words[0]):  # "16.3." opening a clause
        return True
    if len(words) >= 2 and words[-2].lower() in ("art.", "article", "artikel", "articolo", "artículo", "artigo", "no.", "nr.", "§", "section", "para.", "abs.") and re.fullmatch(r"\d+[a-z]?\.", last):
        return True  # "Art. 4. " is rare; "Article 4(3)." ends too, handled by the default
    return False


def _split_block(block: str) -> Iterator[str]:
    start = 0
    for match in _BOUNDARY.finditer(block):
        segment = block[start : match.start(1)]
        if _ends_with_abbreviation(segment):
            continue
        if segment.strip():
            yield segment.strip()
        start = match.end(1)
    tail = block[start:].strip()
    if tail:
        yield tail


def _blocks(text: str) -> Iterator[tuple[int, str]]:
    """Lines, with a hard-wrapped line (no closing punctuation, the next line
    starting in lower case: PDF and plain-text terms) joined to the next."""
    pending: tuple[int, str] | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if pending is not None:
            if line and line[0].islower() and not re.search(r"[.!?…:;]\W*$", pending[1]):
                pending = (pending[0], pending[1] + " " + line)
                continue
            yield pending
        pending = (number, line)
    if pending is not None:
        yield pending


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` (as :func:`terms_text` gives it), numbered from
    0. A line joins the next only when it is hard-wrapped (no closing
    punctuation, the next line starts in lower case); inside a line a sentence ends at ``.``,
    ``!``, ``?`` or ``…`` followed by a space and a capital or a digit, unless
    the word before is a known abbreviation, an initial, or a clause number
    opening the line. The hand labels of the evaluation refer to these
    positions, so a change here must keep them (the evaluation checks each
    label's :func:`sentence_digest`)."""
    sentences: list[Sentence] = []
    for number, block in _blocks(text):
        for piece in _split_block(block):
            sentences.append(Sentence(len(sentences), piece, number))
    return sentences


def sentence_digest(text: str) -> str:
    """A short digest of a sentence (whitespace and case folded): lets hand
    labels be checked against the splitter without keeping the text."""
    folded = " ".join(text.split()).casefold()
    return hashlib.sha1(folded.encode("utf-8")).hexdigest()[:10]


# ---------------------------------------------------------------------------
# Reading: explainable rules over each sentence

def _rx(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(pattern, flags)


# A sentence restricts when it (or the lead-in of the list it belongs to) says
# no, reserves, or asks for permission — in any of the seven languages.
_RESTRICTIVE = _rx(
    r"\b(?:not|no|never|nor|cannot|prohibit\w*|forbid\w*|restrict\w*|reserv\w*|opt[- ]?out|unless|except\w*|"
    r"unauthori[sz]ed|permission|consent|approval|authori[sz]ation|breach\w*|infring\w*)\b|"
    r"without (?:our|the|any|prior|express|written|obtaining)|"
    r"\b(?:ne|n['’]|interdit\w*|prohib\w*|oppos\w*|réserv\w*|illicite\w*|contrefaçon|aucun\w*|sans (?:l['’]|notre|accord|autorisation))|"
    r"\b(?:nicht|kein\w*|untersagt|verboten|unzulässig|vorbehalt\w*|vorbehalten|gestattet|statthaft|ohne (?:vorherige|ausdrückliche|zustimmung|genehmigung))\b|\bbehalten\b[^.]{0,160}\bvor\b|"
    r"\b(?:prohíb\w*|prohib\w*|sin (?:autorización|el consentimiento|permiso|la autorización)|reserva\w*|se opone|indebido)\b|"
    r"\b(?:non|vietat\w*|proibit\w*|senza (?:autorizzazione|il consenso|previa)|riserva\w*)\b|"
    r"\b(?:niet|geen|verboden|toegestaan|voorbehoud\w*|zonder (?:toestemming|voorafgaande))\b|"
    r"\b(?:não|proibid\w*|sem (?:autorização|a autorização|o consentimento|a prévia)|vedad\w*)"
)

_TDM_TERM = _rx(
    r"\btext(?:s)?[-\s]*(?:and|&|/|or|und|-)?[-\s]*data[-\s]*min\w*|\bdata[-\s]?min(?:e|es|ed|ing|er|ers)\b|\bdatamining\b|"
    r"\btdm\b|\btext[- ]und[- ]data[- ]mining|\bfouilles? de (?:textes?|données)|\bexploration de données|"
    r"\bfouiller les données|\bminería de (?:textos?|datos)|\bmineração de (?:textos?|dados)|"
    r"\bprospe[cç][çc]ão de (?:textos?|dados)|\bestrazione di (?:testo|testi|dati)|\btekst- en datamining|"
    r"\bexploration\b[^.;]{0,40}\bdonnées|\b(?:text|data)\b[^.;]{0,40}\bmining\b|"
    r"\b(?:scrap\w*|crawl\w*|collect\w*|gather\w*|extract\w*|copy|spider)\b,?\s+(?:and/or\s+|or\s+|and\s+)?min(?:e|ing)\b|"
    r"\bmin(?:e|ing),?\s+(?:and/or\s+|or\s+)?(?:collect|extract|scrap|copy|gather)\w*"
)
# "data mine ... for the purpose of training": mining forbidden only for AI training is read as ai-training.
_MINING_FOR_TRAINING = _rx(r"\bfor the purposes? of\W+(?:\w+\W+){0,2}(?:train|develop)\w*")
_EXPLICIT_TDM = _rx(r"text(?:s)?[-\s]*(?:and|&|/|or)?[-\s]*data[-\s]*min|fouille|\btdm\b")
# The service saying what it uses data mining for.
_OWN_MINING = _rx(r"\b(?:we|nous|wir)\b[^.]{0,30}\b(?:use|utilis\w*|nutzen|verwenden)\b")
_TDM_LAW = _rx(
    r"2019/790|\b(?:§|section)\s*44\s*b\b|\b44b\s*urhg|\bl\.?\s*122-5-3|\b70[- ]?quater\b|"
    r"\bart(?:icle|ikel|ículo|icolo|igo|\.)?\s*4\s*\(3\)|\bart(?:icle|\.)?\s*4\b[^.]{0,80}(?:digital single market|marché unique numérique|digitalen binnenmarkt)"
)
_AI = _rx(
    r"artificial[-\s]intelligence|\bmachine[-\s]learning\b|\blarge[-\s]language|\blanguage models?\b|\bllms?\b|"
    r"\bgenerative\b|\bneural network|intelligence artificielle|apprentissage automatique|modèles? de langage|"
    r"künstliche\w* intelligenz|maschinelle\w* lernen|sprachmodell|inteligencia artificial|aprendizaje automático|"
    r"inteligência artificial|aprendizagem automática|intelligenza artificiale|apprendimento automatico|"
    r"kunstmatige intelligentie|\bai[- ](?:model|system|tool|technolog)"
)
_AI_ACRONYM = re.compile(r"\b(?:AI|IA|KI|ML|LLMs?)\b")
_TRAIN = _rx(
    r"\b(?:train\w*|fine[-\s]?tun\w*|ground(?:ing)?|ingest\w*|entra[iî]n\w*|instruction|affinage|trainier\w*|"
    r"entren\w*|trein\w*|addestr\w*|trainen)\b"
)
_DEVELOP = _rx(
    r"\b(?:develop\w*|improv\w*|build\w*|benchmark\w*|développ\w*|amélior\w*|entwickl\w*|verbesser\w*|"
    r"desarroll\w*|mejor\w*|desenvolv\w*|svilupp\w*|ontwikkel\w*)\b"
)
_MODEL = _rx(r"\b(?:models?|modèles?|modell\w*|modelos?|modelli|system\w*|systèmes?|sistem\w*|tools?|outils?|technolog\w*|algorithm\w*|algorithmes?)\b")

_SCRAPE_ACTION = _rx(
    r"\bscrap\w*|\bcrawl\w*|\bspider\w*|\bharvest\w*|\bdata[-\s]gathering|\bgrabbing\b|\baspir(?:er|ation|ateur|ez)\w*|"
    r"\bmoissonn\w*|\braspag\w*|\bracleur\w*|\binforobot\w*|\brastre(?:ar|o de (?:datos|sitios|la web|páginas))|"
    r"\b(?:programas|herramientas) de rastreo|"
    r"\b(?:extra[cç]ção|extracción|extraction|recolha|recopilación|collecte) (?:automatisée )?de (?:dados|datos|données)"
)
_SCRAPE_TOOL = _rx(
    r"\brob[oô]t(?!s?\.txt|s? meta|s?-tag)\w*|\bbots?\b|\bbot/robot|\bscripts?\b|\bspider\w*|\bcrawler\w*|\bscraper\w*|"
    r"\baraign\w*|\barañ\w*|headless browser|offline reader|\bprogrammatic\w*|\bcomputer programs?\b|\bsuchsoftware\b|"
    r"\bautomat(?:ed|ic|ically|isch\w*|is[ée]\w*|izad\w*|izzat\w*|ique\w*|ische\w*|icos?)\s+(?:means|systems?|tools?|"
    r"devices?|process\w*|programs?|software|technolog\w*|scripts?|access|data|moyens?|méthodes?|syst[eè]mes?|dispositifs?|"
    r"processus|outils?|programmes?|collecte|abfrage\w*|mechanism\w*|verfahren|mittel|herramientas?|medios|mezzi|sistemi|"
    r"middelen|meios|ferramentas|dispositivos|programas|consulta)\b|\bautomatisiert\w*|\bautomated\b|\bautomation\b|"
    r"\bautomatically (?:download|read|collect|extract|access|copy)\w*|"
    r"\b(?:moyens?|méthodes?|syst[eè]mes?|dispositifs?|processus|outils?|programmes?|medios|herramientas|meios|ferramentas|"
    r"mezzi|sistemi|middelen|consulta|abfragen?)\s+(?:\w+\s+)?automati\w*"
)
_ACCESS = _rx(
    r"\b(?:access\w*|collect\w*|extract\w*|cop(?:y|ies|ying)|download\w*|monitor\w*|index\w*|retriev\w*|gather\w*|"
    r"read\w*|acquir\w*|aggregat\w*|récupér\w*|extrai\w*|collect\w*|accéd\w*|accès|index\w*|consult\w*|"
    r"auslese\w*|auszulesen|abfrage\w*|abzurufen|kopier\w*|extra[eé]\w*|acce[dr]\w*|recopil\w*|copi\w*|seguimiento|"
    r"accedere|raccogli\w*|toegang|doorzoek\w*|indexer\w*|extra[ií]\w*|recolh\w*|aceder)\b|kopieren|extraction|extracción"
)
# Automated use that is not collection: fake plays and views, bulk sign-ups, posting tools.
_NOT_COLLECTION = _rx(
    r"artificial\w* increas|increase the number of views|falsely increase|augmenter (?:anormalement|artificiellement)|"
    r"play counts|number of streams|nombre de streams|register accounts|inserção de anúncios|colocação de anúncios|"
    r"renew\w* automati|automatic\w* renew|automatisch verlänger|renouvel\w* automati|"
    r"in maniera da inviare|more requests than|"
    r"(?:we|nous|wir) (?:use|utilisons|nutzen|verwenden)\b|"
    # permissions, acknowledgements and liability, not bans
    r"\b(?:is|are) permitted\b|\bare welcome\b|\byou may use\b|\bgrant\w* (?:you )?permission|\bpermission to crawl|"
    r"\bexempt from\b|\backnowledge that\b|\bliable\b|damit einverstanden|"
    # harvesting users' personal data (a privacy rule), not collection of the site
    r"\bpersonal (?:data|information)\b|\binformation that might identify|données personnelles"
)
# Automated tools that circumvent controls, detect, or infect: not collection.
_NOT_COLLECTION_TOOL = _rx(r"\bcircumvent\w*|\bcontourn\w*|\bbypass\w*|\bvirus\w*|\bmalware\b|\bworms?\b|\bdetect\w*|\bdétect\w*|\byour device\b")
# The service speaking of its own use of our (the user's) data, or of a promise not to use it.
_OWN_USE = _rx(
    r"\b(?:does|do|will) not use\b[^.]{0,80}\b(?:your|customer|user|members?)\b|\b(?:has|have) developed\b|"
    r"^\W*(?:we|nous|wir|our|nos|unsere)\b|"
    r"\b(?:your|vos|ihre|tus|i tuoi|uw)\b[^.]{0,120}\b(?:may|will|can) be\b[^.]{0,60}\bused|"
    r"\bused to improve the\b|"
    r"\b(?:utilizes|uses|utilise|nutzt|utiliza)\b[^.]{0,40}(?:artificial intelligence|\bAI\b|intelligence artificielle)"
)

# "This also applies to ...": the sentence extends the one before it.
_CONTINUES = _rx(
    r"\W*(?:this (?:also )?applies|the same applies|dies gilt (?:auch|ebenso)|das gilt auch|cela s['’]applique|"
    r"il en va de même|esto se aplica|lo mismo|ciò vale|dit geldt|o mesmo se aplica)"
)


@dataclass(frozen=True)
class Clause:
    """A sentence the reading found: its kinds, position and the rules that fired."""

    position: int
    sentence: str
    kinds: tuple[str, ...]
    rules: tuple[str, ...]
    line: int

    def as_dict(self) -> dict[str, object]:
        return {
            "position": self.position,
            "line": self.line,
            "kinds": list(self.kinds),
            "rules": list(self.rules),
            "sentence": clean_evidence_text(self.sentence, MAX_SENTENCE_CHARS),
        }


def _near(first: re.Pattern[str], second: re.Pattern[str], text: str, distance: int) -> bool:
    for a in first.finditer(text):
        for b in second.finditer(text):
            if abs(a.start() - b.start()) <= distance:
                return True
    return False


def _restrictive_context(sentences: list[Sentence], index: int) -> bool:
    """The sentence says no, or it is an item of a list whose lead-in (a
    sentence ending with a colon or an ellipsis, at most 15 sentences before,
    or the sentence just before that lead-in) says no."""
    if _RESTRICTIVE.search(sentences[index].text):
        return True
    if index > 0 and _CONTINUES.match(sentences[index].text) and _RESTRICTIVE.search(sentences[index - 1].text):
        return True
    for back in range(index - 1, max(-1, index - 16), -1):
        text = sentences[back].text.rstrip()
        if text.endswith((":", "…", "...")):
            if _RESTRICTIVE.search(text):
                return True
            return back > 0 and bool(_RESTRICTIVE.search(sentences[back - 1].text)) and len(sentences[back - 1].text) < 80
    return False


def _classify(sentences: list[Sentence], index: int) -> tuple[list[str], list[str]]:
    text = sentences[index].text
    kinds: list[str] = []
    rules: list[str] = []
    restrictive = None

    def says_no() -> bool:
        nonlocal restrictive
        if restrictive is None:
            restrictive = _restrictive_context(sentences, index)
        return restrictive

    own_use = bool(_OWN_USE.search(text))
    # tdm: text and data mining named, or the TDM exception cited, in a sentence that says no.
    mining_for_training = bool(_MINING_FOR_TRAINING.search(text)) and not _EXPLICIT_TDM.search(text) and not _TDM_LAW.search(text)
    if (_TDM_TERM.search(text) or _TDM_LAW.search(text)) and not _OWN_MINING.search(text) and not mining_for_training and says_no():
        kinds.append(TDM)
        rules.append("tdm-named" if _TDM_TERM.search(text) else "tdm-law-cited")
    # ai-training: training (or developing a model) next to an AI term, saying no, not the service's own use.
    has_ai = bool(_AI.search(text) or _AI_ACRONYM.search(text))
    if has_ai and not own_use:
        ai_any = re.compile(_AI.pattern + "|" + r"\b(?:ai|ia|ki|ml|llms?)\b", re.IGNORECASE)
        if _near(_TRAIN, ai_any, text, 200) and says_no():
            kinds.append(AI_TRAINING)
            rules.append("ai-train")
        elif _near(_DEVELOP, ai_any, text, 120) and _MODEL.search(text) and says_no():
            kinds.append(AI_TRAINING)
            rules.append("ai-develop-model")
    # scraping: a scraping verb, or an automated tool next to an act of collection, saying no.
    if not _NOT_COLLECTION.search(text):
        if _SCRAPE_ACTION.search(text) and says_no():
            kinds.append(SCRAPING)
            rules.append("scraping-named")
        elif _SCRAPE_TOOL.search(text) and _ACCESS.search(text) and not _NOT_COLLECTION_TOOL.search(text) and says_no():
            kinds.append(SCRAPING)
            rules.append("scraping-automated-access")
    return kinds, rules


@dataclass(frozen=True)
class TermsReading:
    """What a terms document says: the clauses found (in order), and the
    number of sentences read."""

    clauses: tuple[Clause, ...] = ()
    sentences: int = 0

    def kinds(self) -> tuple[str, ...]:
        found = {kind for clause in self.clauses for kind in clause.kinds}
        return tuple(kind for kind in KINDS if kind in found)

    def first(self, kind: str) -> Clause | None:
        return next((clause for clause in self.clauses if kind in clause.kinds), None)


def read_terms(text: str) -> TermsReading:
    """Every sentence of ``text`` (plain text as :func:`terms_text` gives it)
    that reserves TDM, forbids AI training or forbids automated collection.
    Never raises."""
    try:
        sentences = split_sentences(text)
    except Exception:  # defensive: outside input never raises
        return TermsReading()
    clauses = []
    for index, sentence in enumerate(sentences):
        kinds, rules = _classify(sentences, index)
        if kinds:
            clauses.append(Clause(sentence.position, sentence.text[:MAX_SENTENCE_CHARS], tuple(kinds), tuple(rules), sentence.line))
    return TermsReading(tuple(clauses), len(sentences))


# ---------------------------------------------------------------------------
# Discovery: where a site keeps its terms

# Names of terms pages, strongest first: a full name scores higher than "Legal".
_TERMS_NAMES: tuple[tuple[int, re.Pattern[str]], ...] = (
    (90, _rx(
        r"\bterms\s+(?:of\s+(?:service|use)|and\s+conditions|&\s+conditions)\b|\buser\s+agreement\b|\bconditions\s+of\s+use\b|"
        r"\bnutzungsbedingungen\b|\ballgemeine\s+geschäftsbedingungen\b|\bagb\b|\bnutzungsvereinbarung\b|"
        r"\bconditions\s+g[ée]n[ée]rales(?:\s+d['’]utilisation|\s+de\s+vente)?\b|\bcgu\b|\bcgv\b|\bconditions\s+d['’]utilisation\b|"
        r"\bt[ée]rminos\s+(?:y\s+condiciones|de\s+(?:uso|servicio))\b|\bcondiciones\s+(?:de\s+uso|generales|de\s+servicio)\b|"
        r"\btermini\s+(?:e\s+condizioni|di\s+(?:servizio|utilizzo|uso))\b|\bcondizioni\s+(?:d['’]uso|di\s+(?:uso|utilizzo|servizio)|generali)\b|"
        r"\b(?:gebruiks|algemene\s+|service)voorwaarden\b|\bvoorwaarden\b|"
        r"\btermos\s+(?:de\s+(?:uso|utiliza[cç][aã]o|servi[cç]o)|e\s+condi[cç][oõ]es)\b|\bcondi[cç][oõ]es\s+(?:de\s+(?:uso|utiliza[cç][aã]o)|gerais)\b"
    )),
    (70, _rx(r"^\s*(?:terms|tos|t[ée]rminos|termini|termos|conditions|condiciones|condizioni|bedingungen)\s*$")),
    (50, _rx(
        r"\bmentions\s+l[ée]gales\b|\baviso\s+legal\b|\bnote\s+legali\b|\bnota\s+legal\b|\bjuridische\s+informatie\b|"
        r"^\s*(?:legal|legal\s+notice|legal\s+information|rechtliches|juridisch|l[ée]gal)\s*$"
    )),
)
_TERMS_PATH = _rx(
    r"/(?:terms(?:[-_](?:of[-_](?:service|use)|and[-_]conditions|conditions))?|tos|legal(?:[-_]notice)?|user[-_]agreement|"
    r"agb|nutzungsbedingungen|cgu|cgv|conditions[-_]generales(?:[-_]d[-_]?utilisation)?|mentions[-_]legales|"
    r"terminos(?:[-_]y[-_]condiciones)?|condiciones(?:[-_]de[-_]uso)?|aviso[-_]legal|termini(?:[-_]e[-_]condizioni)?|"
    r"condizioni(?:[-_]d[-_]?uso)?|note[-_]legali|(?:algemene[-_])?voorwaarden|gebruiksvoorwaarden|termos(?:[-_]de[-_]uso)?|"
    r"termos[-_]e[-_]condicoes)(?:\.html?|\.php|\.aspx?)?/?$"
)

# Tried in this order when no page of the site links its terms (by language of the home page, then any).
COMMON_PATHS: dict[str, tuple[str, ...]] = {
    "en": ("/terms", "/terms-of-service", "/terms-of-use", "/legal"),
    "de": ("/agb", "/nutzungsbedingungen", "/terms"),
    "fr": ("/cgu", "/conditions-generales", "/mentions-legales", "/terms"),
    "es": ("/terminos", "/aviso-legal", "/condiciones", "/terms"),
    "it": ("/termini", "/condizioni", "/note-legali", "/terms"),
    "nl": ("/voorwaarden", "/algemene-voorwaarden", "/terms"),
    "pt": ("/termos", "/termos-de-uso", "/terms"),
}


@dataclass(frozen=True)
class TermsLink:
    """A candidate terms URL found on a page: ``how`` is ``rel`` (a
    ``terms-of-service`` link relation), ``link-text``, ``link-path`` or
    ``common-path``; ``score`` orders candidates (highest first)."""

    url: str
    how: str
    score: int
    text: str = ""

    def as_evidence(self, page_url: str) -> str:
        if self.how == "common-path":
            return f"common path {urlsplit(self.url).path} (no page of the site links its terms)"
        what = f' "{self.text}"' if self.text else ""
        return f"{self.how}{what} on {page_url}"


def terms_name_score(text: str) -> int:
    """How strongly ``text`` (a link text or a page title) names terms of
    service in one of the languages we read: 90 a full name, 70 a bare
    "Terms", 50 a legal notice, 0 none."""
    folded = " ".join(text.split())
    if not folded or len(folded) > 120:
        return 0
    for score, pattern in _TERMS_NAMES:
        if pattern.search(folded):
            return score
    return 0


def _http_url(base_url: str, href: str) -> str | None:
    href = (href or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
        return None
    try:
        url = urljoin(base_url, href)
    except ValueError:
        return None
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    return url.split("#", 1)[0]


def discover_terms(html: bytes | str, base_url: str) -> list[TermsLink]:
    """Candidate terms URLs on a page, best first, each URL once:
    ``<link rel="terms-of-service">`` (also on ``<a>``), then links whose text
    names the terms, then links whose path does. Never raises."""
    try:
        import lxml.html

        text = _decode(html) if isinstance(html, (bytes, bytearray)) else html
        if not text.strip():
            return []
        root = lxml.html.document_fromstring(text)
    except Exception:
        return []
    base = base_url
    for element in root.iter("base"):
        href = element.get("href")
        if href:
            base = urljoin(base_url, href)
            break
    found: dict[str, TermsLink] = {}

    def add(link: TermsLink) -> None:
        old = found.get(link.url)
        if old is None or link.score > old.score:
            found[link.url] = link

    for element in root.iter("link", "a", "area"):
        url = _http_url(base, element.get("href", ""))
        if url is None:
            continue
        rels = (element.get("rel") or "").lower().split()
        label = " ".join((element.text_content() if element.tag != "link" else "").split())[:120]
        if "terms-of-service" in rels:
            add(TermsLink(url, "rel", 100, label))
            continue
        if element.tag == "link":
            continue
        named = max(terms_name_score(label), terms_name_score(element.get("title", "")), terms_name_score(element.get("aria-label", "")))
        if named:
            add(TermsLink(url, "link-text", named, label))
        elif _TERMS_PATH.search(urlsplit(url).path):
            add(TermsLink(url, "link-path", 40, label))
    return sorted(found.values(), key=lambda link: -link.score)


def page_language(html: bytes | str) -> str:
    """The two-letter ``<html lang>`` of a page, or ''."""
    head = (_decode(html) if isinstance(html, (bytes, bytearray)) else html)[:4096]
    match = re.search(r"<html\b[^>]*\blang\s*=\s*[\"']?([a-zA-Z]{2})", head, re.I)
    return match.group(1).lower() if match else ""


def common_paths(language: str = "") -> tuple[str, ...]:
    """Fallback paths to try, the page language's first."""
    return COMMON_PATHS.get(language, ()) + tuple(p for p in COMMON_PATHS["en"] if p not in COMMON_PATHS.get(language, ()))


def looks_like_terms(body: bytes | str, content_type: str | None = None) -> bool:
    """Whether a page answered at a guessed path is a terms page and not a
    soft 404 or the home page: its title or first heading names the terms."""
    try:
        import lxml.html

        text = _decode(body) if isinstance(body, (bytes, bytearray)) else body
        media = (content_type or "").split(";", 1)[0].strip().lower()
        if media and media not in ("text/html", "application/xhtml+xml", "text/plain", "text/markdown"):
            return False
        if media in ("text/plain", "text/markdown"):
            first = next((line for line in text.splitlines() if line.strip()), "")
            return terms_name_score(first.strip("# ")) > 0
        root = lxml.html.document_fromstring(text)
        for element in list(root.iter("title")) + list(root.iter("h1"))[:1]:
            if terms_name_score(element.text_content()) > 0:
                return True
    except Exception:
        return False
    return False


# ---------------------------------------------------------------------------
# Findings for the policy

REASONS = {
    TDM: "tos-reservation-tdm",
    AI_TRAINING: "tos-reservation-ai-training",
    SCRAPING: "tos-scraping-ban",
}
# A scraping ban is its own signal family so that a profile can honour the
# reservations (``tos``) without the general bans (``tos-scraping``).
SIGNALS = {TDM: "tos", AI_TRAINING: "tos", SCRAPING: "tos-scraping"}
_USAGE = {TDM: Usage(tdm=Use.DENY), AI_TRAINING: Usage(train=Use.DENY), SCRAPING: Usage()}


def terms_findings(reading: TermsReading, terms_url: str, *, found_by: str = "") -> tuple[Finding, ...]:
    """One finding per kind the terms state, with the first sentence that
    states it as evidence (its text, its position as ``line``)."""
    findings = []
    for kind in KINDS:
        clause = reading.first(kind)
        if clause is None:
            continue
        others = sum(1 for c in reading.clauses if kind in c.kinds) - 1
        note = f"sentence {clause.position} of the terms ({', '.join(clause.rules)})"
        if others:
            note += f"; {others} more sentence(s) of this kind"
        if found_by:
            note += f"; terms found by {found_by}"
        evidence = Evidence("tos", terms_url, _excerpt(clause.sentence, kind), line=clause.position, note=note)
        findings.append(Finding(SIGNALS[kind], REASONS[kind], FindingKind.USE, True, _USAGE[kind], (evidence,)))
    return tuple(findings)


def _excerpt(sentence: str, kind: str, limit: int = 300) -> str:
    """The sentence, or a window of it around what made it count when it is
    longer than evidence may be."""
    if len(sentence) <= limit:
        return sentence
    pattern = {TDM: _TDM_TERM, AI_TRAINING: _TRAIN, SCRAPING: _SCRAPE_ACTION}[kind]
    match = pattern.search(sentence) or (_TDM_LAW.search(sentence) if kind == TDM else None) or _SCRAPE_TOOL.search(sentence)
    centre = match.start() if match else 0
    start = max(0, min(centre - limit // 2, len(sentence) - limit + 2))
    return ("…" if start else "") + sentence[start : start + limit - 2] + "…"


# ---------------------------------------------------------------------------
# A site's terms as the crawl knows them

FOUND = "found"  # a terms page was fetched and read
NONE = "none"  # no page links terms and no common path answered with one
UNREACHABLE = "unreachable"  # the terms page could not be fetched (error, 5xx)
DISALLOWED = "disallowed"  # robots.txt does not let us fetch the terms page


@dataclass(frozen=True)
class SiteTerms:
    """What one site's terms of service said, for every decision and document
    of that site: ``url`` and ``digest`` (WARC payload digest of the capture in
    ``policy/``) link to the archived copy; ``found_by`` says how the terms
    were located (``rel``, ``link-text``, ``link-path``, ``common-path``) and
    ``page`` on which page; ``clauses`` are the sentences read as a
    reservation or a ban, ``findings`` what the policy weighs."""

    state: str
    url: str | None = None
    digest: str | None = None
    found_by: str = ""
    page: str | None = None
    clauses: tuple[Clause, ...] = ()
    findings: tuple[Finding, ...] = ()
    sentences: int = 0
    note: str = ""
    fetched_at: float | None = None
    said: tuple[str, ...] = ()  # the kinds the clauses state, in KINDS order (kept when the clauses are dropped)

    @classmethod
    def read(
        cls,
        body: bytes,
        *,
        content_type: str | None,
        url: str,
        digest: str | None,
        found_by: str,
        page: str | None = None,
        fetched_at: float | None = None,
    ) -> "SiteTerms":
        """Read a fetched terms page. Never raises."""
        reading = read_terms(terms_text(body, content_type))
        return cls(
            FOUND,
            url,
            digest,
            found_by,
            page,
            reading.clauses,
            terms_findings(reading, url, found_by=found_by),
            reading.sentences,
            "" if reading.sentences else "no text could be read from the terms page",
            fetched_at,
            reading.kinds(),
        )

    def kinds(self) -> tuple[str, ...]:
        return self.said

    def light(self) -> "SiteTerms":
        """Without the clauses: what travels with every page to a worker."""
        return replace(self, clauses=())

    def as_dict(self) -> dict[str, object]:
        return {
            "state": self.state,
            "url": self.url,
            "digest": self.digest,
            "found_by": self.found_by,
            "page": self.page,
            "kinds": list(self.kinds()),
            "clauses": [clause.as_dict() for clause in self.clauses],
            "sentences": self.sentences,
            "note": self.note,
        }
