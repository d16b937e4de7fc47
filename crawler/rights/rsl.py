"""Really Simple Licensing (RSL 1.0): licence documents, CAP answers, Link headers.

Owns the reading of an RSL document (``<rsl>`` with ``<content url>`` entries,
each with ``<license>`` terms), matching a URL to its ``<content>`` (RFC 9309
patterns through :mod:`urlpattern`, longest match), and the findings RSL gives:
a licence server means "do not fetch without an agreement"; training that a
licence prohibits, that only a paid licence grants, or that no licence grants
is reserved; ``free`` and ``attribution`` are conditions we meet. Also reads the CAP answer (401/402 with
``WWW-Authenticate: License``) and ``Link: rel="license"`` discovery headers.
Must not import Scrapy, do I/O, or fetch anything a document points to.

Elements are read in the RSL namespace ``https://rslstandard.org/rsl`` or in no
namespace (which one is recorded); an RSS feed's ``rsl:content`` elements are
read wherever they are. Usage tokens are case-sensitive; unknown ones are
recorded and not applied.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import etree

from .evidence import Evidence, Finding, FindingKind, HeaderPairs, Usage, Use, header_values
from .urlpattern import pattern_matches, pattern_priority

RSL_NAMESPACE = "https://rslstandard.org/rsl"
RSL_MEDIA_TYPE = "application/rsl+xml"
RSL_PARSE_LIMIT_BYTES = 2 * 1024 * 1024
MAX_CONTENTS = 2_000  # each URL is matched against every content: keep that bounded
MAX_LICENSES_PER_CONTENT = 64

USAGE_TOKENS = frozenset({"all", "ai-all", "ai-train", "ai-input", "ai-index", "search"})
_EXPANSIONS = {
    "ai-all": frozenset({"ai-all", "ai-train", "ai-input", "ai-index"}),
    "all": frozenset({"all", "ai-all", "ai-train", "ai-input", "ai-index", "search"}),
}
# Spellings RSL's own material uses for a 1.0 token: the "prohibit AI
# training" template of rslstandard.org writes ``train-ai`` (the IETF AI
# preferences word) where the 1.0 vocabulary says ``ai-train``.
USAGE_ALIASES = {"train-ai": "ai-train"}
# The 2025 drafts' ``train-genai`` (training of generative models) is a part of
# ai-train: prohibiting it reserves our training, permitting it does not grant
# all of it, so it is read in prohibitions only.
PROHIBITION_ALIASES = {"train-genai": "ai-train"}
# Payment types whose condition a crawler meets without an agreement: ``free``
# (nothing asked) and ``attribution`` (credit and a link back: every stored
# document records its URL and licence). Every other type (purchase,
# subscription, training, crawl, use, contribution, or one we do not know)
# asks for money or an agreement we do not have.
PAYMENT_CONDITIONS_MET = frozenset({"free", "attribution"})
# RSL user classes (1.0 3.4.1.2) a research crawler belongs to: a licence
# whose user <permits> names neither, or whose user <prohibits> names one,
# grants us nothing (its prohibitions still count).
OUR_USER_CLASSES = frozenset({"non-commercial", "education"})
_TERM_TYPES = ("usage", "user", "geo")
_TOKEN_SPLIT = re.compile(r"[\s,]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def expand_usage(tokens: frozenset[str]) -> frozenset[str]:
    """``ai-all`` → ai-train + ai-input + ai-index; ``all`` → every usage."""
    out: set[str] = set()
    for token in tokens:
        token = USAGE_ALIASES.get(token, token)
        out |= _EXPANSIONS.get(token, frozenset({token}))
    return frozenset(out)


ALL_USAGE = expand_usage(frozenset({"all"}))


@dataclass(frozen=True)
class RslTerms:
    """One ``<license>``: tokens as written (not expanded), by term type."""

    # hash=False: dicts cannot be hashed; the value stays hashable through ``payments``.
    permits: dict[str, frozenset[str]] = field(default_factory=dict, hash=False)
    prohibits: dict[str, frozenset[str]] = field(default_factory=dict, hash=False)
    payments: tuple[str, ...] = ()  # payment types; "free" means no payment
    standards: tuple[str, ...] = ()  # <payment><standard> URIs (CC BY 4.0, …): the licence the condition names

    @property
    def conditions_met(self) -> bool:
        """No ``<payment>``, or only types whose condition we meet (free, attribution)."""
        return all(p in PAYMENT_CONDITIONS_MET for p in self.payments)

    @property
    def unmet_payments(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for p in self.payments if p not in PAYMENT_CONDITIONS_MET))

    def permitted_usage(self) -> frozenset[str]:
        return expand_usage(self.permits.get("usage", frozenset()))

    def prohibited_usage(self) -> frozenset[str]:
        tokens = self.prohibits.get("usage", frozenset())
        return expand_usage(frozenset(PROHIBITION_ALIASES.get(t, t) for t in tokens))

    @property
    def covers_us(self) -> bool:
        """Does the licence's user scope include a research crawler?"""
        if "user" in self.permits and not self.permits["user"] & OUR_USER_CLASSES:
            return False
        return not self.prohibits.get("user", frozenset()) & OUR_USER_CLASSES

    def licensed_usage(self) -> frozenset[str]:
        """The usages this licence grants us: when it has a usage ``<permits>``,
        only those (RSL 1.0 3.5); without one, every usage; minus what it
        prohibits; nothing when its user scope leaves us out."""
        if not self.covers_us:
            return frozenset()
        granted = self.permitted_usage() if "usage" in self.permits else ALL_USAGE
        return granted - self.prohibited_usage()

    def describe(self) -> str:
        parts = [f"permits {t}: {' '.join(sorted(v))}" for t, v in self.permits.items()]
        parts += [f"prohibits {t}: {' '.join(sorted(v))}" for t, v in self.prohibits.items()]
        if self.payments:
            parts.append("payment: " + " ".join(self.payments))
        if self.standards:
            parts.append("standard: " + " ".join(self.standards))
        return "; ".join(parts) or "no terms"


@dataclass(frozen=True)
class RslContent:
    """One ``<content>``; ``index`` is its 0-based position in the document."""

    url: str
    server: str | None
    licenses: tuple[RslTerms, ...]
    index: int
    line: int | None = None

    def describe(self) -> str:
        server = f' server="{self.server}"' if self.server is not None else ""
        return f'<content url="{self.url}"{server}>'


@dataclass(frozen=True)
class RslDocument:
    """An RSL document as read: ``state`` is ``valid``, ``malformed`` (not XML,
    not RSL, too large) or ``unavailable`` (could not be fetched)."""

    state: str
    source_url: str
    sha256: str = ""
    contents: tuple[RslContent, ...] = ()
    note: str = ""
    namespaced: bool | None = None  # True: RSL namespace; False: no namespace; None: not read

    @classmethod
    def unavailable(cls, source_url: str, note: str) -> "RslDocument":
        return cls(state="unavailable", source_url=source_url, note=note)

    @classmethod
    def parse(cls, body: bytes, *, source_url: str) -> "RslDocument":
        """Read an RSL document. Never raises; anything unreadable is ``malformed``."""
        try:
            return _parse(body, source_url)
        except Exception as error:  # a parser of outside input never raises
            digest = hashlib.sha256(body).hexdigest() if isinstance(body, (bytes, bytearray)) else ""
            return cls("malformed", source_url, digest, note=f"malformed: {type(error).__name__}")

    def matches(self, url: str) -> list[RslContent]:
        """Every ``<content>`` whose ``url`` matches, longest pattern first (ties in document order)."""
        found = [c for c in self.contents if _content_matches(c.url, url)]
        found.sort(key=lambda c: (-_content_priority(c.url), c.index))
        return found

    def match(self, url: str) -> RslContent | None:
        """The ``<content>`` governing ``url``: the longest matching pattern.
        RSL calls contents "distinct" and gives no precedence; longest match is
        our tie-break, and :func:`rsl_findings` records when it was needed."""
        found = self.matches(url)
        return found[0] if found else None


def _parse(body: bytes, source_url: str) -> RslDocument:
    data = bytes(body)
    digest = hashlib.sha256(data).hexdigest()
    if len(data) > RSL_PARSE_LIMIT_BYTES:
        return RslDocument("malformed", source_url, digest, note=f"malformed: larger than {RSL_PARSE_LIMIT_BYTES} bytes")
    if not data.startswith((b"\xef\xbb\xbf", b"\xfe\xff", b"\xff\xfe")):
        data = data.lstrip(b" \t\r\n")  # whitespace before "<?xml" is a common slip
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as error:
        return RslDocument("malformed", source_url, digest, note=f"malformed: not XML ({_short(error)})")
    if root is None or not isinstance(root.tag, str):
        return RslDocument("malformed", source_url, digest, note="malformed: no root element")
    namespace, local = _split(root.tag)
    if local == "rsl" and namespace in (RSL_NAMESPACE, ""):
        elements = [c for c in root if _is(c, "content", namespace)]
        namespaced = namespace == RSL_NAMESPACE
        where = "RSL document" + ("" if namespaced else " without the RSL namespace")
    else:
        # An RSS feed (or other host document) carries rsl:content elements.
        elements = [e for e in root.iter(f"{{{RSL_NAMESPACE}}}content")]
        namespaced = True
        where = f"RSL elements inside <{local}>"
        if not elements:
            return RslDocument(
                "malformed", source_url, digest, note=f"malformed: root element <{_short(local)}> is not <rsl> and carries no RSL content"
            )
    contents = tuple(_content(e, i, namespace if local == "rsl" else RSL_NAMESPACE) for i, e in enumerate(elements[:MAX_CONTENTS]))
    notes = [where, f"{len(contents)} content element(s)"]
    if len(elements) > MAX_CONTENTS:
        notes.append(f"malformed: more than {MAX_CONTENTS} content elements, the rest not read")
    missing = [c.index for c in contents if not c.url]
    if missing:
        notes.append(f"content without url (ignored): #{', #'.join(map(str, missing[:10]))}")
    state = "valid" if contents else "malformed"
    if not contents:
        notes.append("malformed: no <content> element")
    return RslDocument(state, source_url, digest, contents, "; ".join(notes), namespaced)


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _is(element: etree._Element, local: str, namespace: str) -> bool:
    if not isinstance(element.tag, str):
        return False
    ns, name = _split(element.tag)
    return name == local and ns in (namespace, "")


def _children(element: etree._Element, local: str, namespace: str) -> list[etree._Element]:
    return [c for c in element if _is(c, local, namespace)]


def _tokens(text: str | None) -> frozenset[str]:
    return frozenset(t for t in _TOKEN_SPLIT.split((text or "")[:4096]) if t)


def _terms(license_element: etree._Element, namespace: str) -> RslTerms:
    permits: dict[str, set[str]] = {}
    prohibits: dict[str, set[str]] = {}
    for name, into in (("permits", permits), ("prohibits", prohibits)):
        for element in _children(license_element, name, namespace):
            kind = (element.get("type") or "usage").strip()  # no type: read as usage
            into.setdefault(kind, set()).update(_tokens(element.text))
    payments = []
    standards = []
    for element in _children(license_element, "payment", namespace):
        kind = (element.get("type") or "").strip()
        details = [c for c in element if isinstance(c.tag, str)]
        # RSL 1.0 3.7: a payment without a type is free; one that still names
        # an amount or a licensing process of its own asks for something, so
        # it is read as an unspecified payment rather than as free.
        payments.append(kind or ("unspecified" if details or (element.text or "").strip() else "free"))
        standards += [(c.text or "").strip()[:300] for c in details if _is(c, "standard", namespace) and (c.text or "").strip()]
    return RslTerms(
        permits={k: frozenset(v) for k, v in permits.items()},
        prohibits={k: frozenset(v) for k, v in prohibits.items()},
        payments=tuple(payments),
        standards=tuple(standards),
    )


def _content(element: etree._Element, index: int, namespace: str) -> RslContent:
    licenses = tuple(_terms(e, namespace) for e in _children(element, "license", namespace)[:MAX_LICENSES_PER_CONTENT])
    server = element.get("server")
    return RslContent(
        url=(element.get("url") or "").strip(),
        server=server.strip() if server is not None else None,
        licenses=licenses,
        index=index,
        line=element.sourceline,
    )


def _short(value: object) -> str:
    return str(value)[:120]


def _origin(scheme: str, netloc_host: str | None, port: int | None) -> tuple[str, str, int | None]:
    scheme = scheme.lower()
    return scheme, (netloc_host or "").lower().rstrip("."), port if port is not None else _DEFAULT_PORTS.get(scheme)


def _content_matches(pattern: str, url: str) -> bool:
    """A path pattern matches the URL's path; a full URL must name the same
    scheme, host and port, and then its path is matched as a pattern."""
    if not pattern:
        return False
    try:
        if "://" not in pattern:
            return pattern_matches(pattern, url)
        want, have = urlsplit(pattern), urlsplit(url)
        if _origin(want.scheme, want.hostname, want.port) != _origin(have.scheme, have.hostname, have.port):
            return False
        return pattern_matches(_pattern_path(want), url)
    except ValueError:  # a bad port or IPv6 bracket in either URL matches nothing
        return False


def _pattern_path(parts) -> str:
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def _content_priority(pattern: str) -> int:
    if "://" in pattern:
        try:
            return pattern_priority(_pattern_path(urlsplit(pattern)))
        except ValueError:
            return 0
    return pattern_priority(pattern)


# -- findings ------------------------------------------------------------------


def rsl_findings(doc: RslDocument, url: str) -> list[Finding]:
    """What an RSL document says about ``url``.

    * ``rsl-malformed`` (fetch): the document could not be read; RSL asks
      crawlers to comply before using the site, so nothing is fetched.
    * ``rsl-license-required`` (fetch): the matched content names a licence server.
    * ``rsl-prohibits-ai-train`` (use): a licence prohibits ai-train (or ai-all, all, train-ai).
    * ``rsl-payment-required:<types>`` (use): ai-train is granted only by
      licences whose payment (purchase, subscription, crawl, …) we do not make.
    * ``rsl-not-licensed-ai-train`` (use): the content has licences and none
      grants ai-train (a usage ``<permits>`` allows only what it lists).
    * ``rsl-permits-ai-train`` / ``rsl-permits-use``: non-restrictive, the
      grants of licences whose conditions we meet (free, attribution), with
      the licence recorded; ``rsl-prohibits-other-use``: non-restrictive,
      the verdicts for search and AI input.
    * ``rsl-unknown-usage-token``: non-restrictive, records tokens RSL does not define.

    A payment is a licence condition, not a gate on the request: only a
    licence server (or a 401/402 CAP answer) stops the fetch.
    An ``unavailable`` document gives nothing here: the code that fetched it
    knows the status and records ``rsl-unreachable`` itself."""
    if doc.state == "unavailable":
        return []
    if doc.state != "valid":
        return [
            Finding(
                "rsl",
                "rsl-malformed",
                FindingKind.FETCH,
                True,
                evidence=(Evidence("rsl", doc.source_url, doc.sha256, note=doc.note or "malformed"),),
            )
        ]
    matched = doc.matches(url)
    if not matched:
        return []
    content = matched[0]
    note = f"content #{content.index} of {doc.source_url}"
    if len(matched) > 1:
        rivals = ", ".join(f"#{c.index} {c.url}" for c in matched[1:4])
        tie = _content_priority(matched[1].url) == _content_priority(content.url)
        note += (
            f"; also matched {rivals}: "
            + ("equal length, first in document order used" if tie else "longest pattern used")
            + " (RSL gives no precedence)"
        )
    base = Evidence("rsl", doc.source_url, content.describe(), line=content.line, note=note)
    found: list[Finding] = []

    if content.server is not None:
        found.append(Finding("rsl", "rsl-license-required", FindingKind.FETCH, True, evidence=(base,)))

    prohibited: set[str] = set()
    prohibiting: list[RslTerms] = []
    granted: set[str] = set()  # by licences whose conditions we meet
    granting: list[RslTerms] = []
    for terms in content.licenses:
        denied = terms.prohibited_usage() & USAGE_TOKENS
        if denied:
            prohibited |= denied
            prohibiting.append(terms)
        if terms.conditions_met and terms.licensed_usage() & USAGE_TOKENS:
            granted |= terms.licensed_usage() & USAGE_TOKENS
            granting.append(terms)
    # Within the content a prohibition outranks a permission (RSL 1.0 3.1.1:
    # both permitted and prohibited is not licensed). A licence without a
    # usage <permits> grants every usage, but only what a licence names is
    # recorded as a permission.
    licensed = granted - prohibited
    permitted = {u for t in granting for u in t.permitted_usage() & t.licensed_usage() & USAGE_TOKENS} - prohibited
    # A use granted only under a licence whose payment we do not make is not ours.
    paid_for_training = [t for t in content.licenses if not t.conditions_met and "ai-train" in t.licensed_usage()]
    known = {kind: {**USAGE_ALIASES, **(PROHIBITION_ALIASES if kind == "prohibits" else {})} for kind in ("permits", "prohibits")}
    aliases = sorted(
        {(t, known[kind][t]) for terms in content.licenses for kind in ("permits", "prohibits")
         for t in getattr(terms, kind).get("usage", frozenset()) if t in known[kind]}
    )
    unknown = sorted(
        t for terms in content.licenses for kind in ("permits", "prohibits")
        for t in getattr(terms, kind).get("usage", frozenset()) if t not in USAGE_TOKENS and t not in known[kind]
    )
    token_note = "; ".join(filter(None, (
        f"read as RSL 1.0 tokens: {', '.join(f'{a} = {b}' for a, b in aliases)}" if aliases else "",
        f"unknown usage tokens not applied: {' '.join(unknown)}" if unknown else "",
    )))

    def licence_evidence(terms_list: list[RslTerms], note: str = "") -> tuple[Evidence, ...]:
        note = "; ".join(filter(None, (note, token_note)))
        return (base,) + tuple(Evidence("rsl", doc.source_url, t.describe(), line=content.line, note=note) for t in terms_list[:4])

    if prohibited:
        usage = Usage(
            train=Use.DENY if "ai-train" in prohibited else Use.UNKNOWN,
            tdm=Use.DENY if "ai-train" in prohibited else Use.UNKNOWN,
            ai_input=Use.DENY if "ai-input" in prohibited else Use.UNKNOWN,
            search=Use.DENY if "search" in prohibited else Use.UNKNOWN,
        )
        evidence = licence_evidence(prohibiting)
        if "ai-train" in prohibited:
            found.append(Finding("rsl", "rsl-prohibits-ai-train", FindingKind.USE, True, usage, evidence))
        else:
            found.append(Finding("rsl", "rsl-prohibits-other-use", FindingKind.USE, False, usage, evidence))

    if "ai-train" not in prohibited and "ai-train" not in licensed and content.licenses:
        deny = Usage(train=Use.DENY, tdm=Use.DENY)
        if paid_for_training:
            payments = sorted({p for t in paid_for_training for p in t.unmet_payments})
            note = "ai-train is granted only under a licence with a payment we do not make: not permitted to us"
            found.append(Finding("rsl", "rsl-payment-required:" + "+".join(payments), FindingKind.USE, True, deny,
                                 licence_evidence(paid_for_training, note)))
        else:
            note = "no licence grants ai-train (a usage <permits> allows only what it lists, RSL 1.0 3.5)"
            found.append(Finding("rsl", "rsl-not-licensed-ai-train", FindingKind.USE, True, deny,
                                 licence_evidence(list(content.licenses), note)))

    if permitted & {"ai-train", "ai-input", "search"}:
        usage = Usage(
            train=Use.ALLOW if "ai-train" in permitted else Use.UNKNOWN,
            ai_input=Use.ALLOW if "ai-input" in permitted else Use.UNKNOWN,
            search=Use.ALLOW if "search" in permitted else Use.UNKNOWN,
        )
        conditions = sorted({p for t in granting for p in t.payments if p != "free"})
        note = (f"condition: {' '.join(conditions)} (met: every stored document records its URL and this licence)"
                if conditions else "")
        reason = "rsl-permits-ai-train" if "ai-train" in permitted else "rsl-permits-use"
        found.append(Finding("rsl", reason, FindingKind.USE, False, usage, licence_evidence(granting, note)))

    if unknown:
        # Recorded for the audit: a misspelt "AI-Train" or "ai-search" may be meant as a reservation.
        found.append(
            Finding("rsl", "rsl-unknown-usage-token", FindingKind.USE, False,
                    evidence=(base, Evidence("rsl", doc.source_url, " ".join(unknown), line=content.line, note=token_note)))
        )
    return found


# -- CAP and discovery ---------------------------------------------------------

_LICENSE_SCHEME = re.compile(r"(?:^|,)\s*license(?=\s|,|$)", re.IGNORECASE)


def cap_finding(status: int, headers: HeaderPairs) -> Finding | None:
    """A 401 / 402 answer whose ``WWW-Authenticate`` offers the ``License``
    scheme: the content needs an RSL licence token we do not hold."""
    if status not in (401, 402):
        return None
    try:
        challenges = header_values(headers, "WWW-Authenticate")
    except (TypeError, ValueError, AttributeError):
        return None
    for value in challenges:
        text = str(value)[:4096]
        if _LICENSE_SCHEME.search(text):
            return Finding(
                "rsl",
                f"rsl-cap-{status}",
                FindingKind.FETCH,
                True,
                evidence=(Evidence("rsl", "header:WWW-Authenticate", text, note=f"HTTP {status}: RSL licence token required"),),
            )
    return None


_MAX_LINKS = 16
_LINK_HEADER_LIMIT = 16384


def rsl_links_from_headers(headers: HeaderPairs) -> tuple[str, ...]:
    """Targets of ``Link: <url>; rel="license"; type="application/rsl+xml"``, as
    written (the caller resolves relative ones), in order, without repeats."""
    found: list[str] = []
    try:
        values = header_values(headers, "Link")
    except (TypeError, ValueError, AttributeError):
        return ()
    for value in values:
        for target, params in _links(str(value)[:_LINK_HEADER_LIMIT]):
            rels = params.get("rel", "").lower().split()
            media_type = params.get("type", "").lower().split(";", 1)[0].strip()
            if "license" in rels and media_type == RSL_MEDIA_TYPE and target and target not in found:
                found.append(target)
                if len(found) >= _MAX_LINKS:
                    return tuple(found)
    return tuple(found)


def _links(value: str) -> list[tuple[str, dict[str, str]]]:
    """Split one Link header value (RFC 8288) into (target, params): a single
    linear scan, so commas inside ``<…>`` and quoted strings are safe."""
    links: list[tuple[str, dict[str, str]]] = []
    i, n = 0, len(value)
    while i < n:
        start = value.find("<", i)
        if start < 0:
            break
        end = value.find(">", start + 1)
        if end < 0:
            break
        target = value[start + 1 : end].strip()
        i = end + 1
        params: dict[str, str] = {}
        # parameters run until a comma outside quotes
        while i < n:
            while i < n and value[i] in " \t":
                i += 1
            if i >= n:
                break
            if value[i] == ",":
                i += 1
                break
            if value[i] != ";":
                i += 1
                continue
            i += 1
            eq = i
            while eq < n and value[eq] not in "=;,":
                eq += 1
            name = value[i:eq].strip().lower()
            if eq < n and value[eq] == "=":
                j = eq + 1
                while j < n and value[j] in " \t":
                    j += 1
                if j < n and value[j] == '"':
                    close = value.find('"', j + 1)
                    close = n if close < 0 else close
                    param = value[j + 1 : close]
                    i = close + 1
                else:
                    k = j
                    while k < n and value[k] not in ";,":
                        k += 1
                    param = value[j:k].strip()
                    i = k
            else:
                param = ""
                i = eq
            if name and name not in params:  # RFC 8288: the first occurrence of rel counts
                params[name] = param
        links.append((target, params))
    return links
