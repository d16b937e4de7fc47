"""Rights a document declares inside itself: TDMRep and licences in a PDF's
XMP packet and Info dictionary, and in an EPUB's package document.

Owns reading those carriers (W3C TDMRep's "TDM Metadata in PDF files" and
"in EPUB 2 / EPUB 3 files"; ``xmpRights:WebStatement``, ``cc:license``,
``dc:rights``, ``xmpRights:UsageTerms`` and NISO ALI ``license_ref`` in XMP;
``dc:rights`` and ``dcterms:license`` in the package document; licence-like
keys of the PDF Info dictionary) into one :class:`EmbeddedRights`: the TDMRep
value of the ``pdf`` or ``epub`` carrier (the last carrier in TDMRep's
precedence, applied by :func:`crawler.rights.tdmrep.resolve_tdm`), the
licence declarations (mapped to SPDX by :mod:`crawler.rights.licence`), and
the fields written into the WARC metadata record.

XMP forms read: element text (``<tdm:reservation>1</tdm:reservation>``),
attributes of ``rdf:Description`` (``tdm:reservation="1"``), ``rdf:resource``
and ``rdf:Alt`` / ``rdf:Bag`` / ``rdf:Seq`` lists. TDMRep's PDF namespace is
``http://www.w3.org/ns/tdmrep/`` (a slash); the EPUB spelling with ``#`` is
accepted too, with a note, because tools write it into PDFs (ubpb/tdmrep
reads both). A PDF/A extension schema that merely describes the tdm
properties (``pdfaProperty:name`` "reservation") declares nothing.

The caller hands in bytes already taken out of the file; packets larger than
:data:`XMP_MAX_BYTES` are refused (``problem`` ``too-large``) because a
reservation may sit past any cut. No Scrapy, no I/O, never raises but for
``MemoryError`` and ``TimeoutError`` (the worker's limits, which the caller
reports as failures); malformed XML is read leniently with a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from lxml import etree

from .evidence import Evidence, clean_evidence_text
from .licence import Declaration, LicenceResult, licence_from_declarations
from .tdmrep import UNSET, TdmValue, tdm_from_values

XMP_MAX_BYTES = 1024 * 1024  # real packets are a few KB (tens with a thumbnail)
PACKAGE_MAX_BYTES = 1024 * 1024  # an EPUB package document
MAX_ELEMENTS = 50_000
MAX_VALUES = 16

TDM_NAMESPACE = "http://www.w3.org/ns/tdmrep/"
TDM_NAMESPACE_EPUB = "http://www.w3.org/ns/tdmrep#"
_TDM_NAMESPACES = (TDM_NAMESPACE, TDM_NAMESPACE_EPUB)
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
XMP_RIGHTS = "http://ns.adobe.com/xap/1.0/rights/"
CC = "http://creativecommons.org/ns#"
ALI = "http://www.niso.org/schemas/ali/1.0/"
OPF = "http://www.idpf.org/2007/opf"

# XMP licence properties: (namespace, local name) -> (licence source, field name, statement only)
_XMP_LICENCE_PROPERTIES = {
    (CC, "license"): ("xmp-cc-license", "xmp-cc:license", False),
    (ALI, "license_ref"): ("ali-license-ref", "xmp-ali:license_ref", False),
    (XMP_RIGHTS, "WebStatement"): ("xmp-web-statement", "xmp-xmpRights:WebStatement", True),
    (XMP_RIGHTS, "UsageTerms"): ("xmp-usage-terms", "xmp-xmpRights:UsageTerms", False),
    (DC, "rights"): ("xmp-dc-rights", "xmp-dc:rights", False),
}
# Info dictionary keys some producers use for a licence or rights statement (none is standard).
_INFO_LICENCE_KEYS = ("/License", "/Licence", "/Rights", "/Copyright", "/CopyrightNotice", "/LicenseURL", "/WebStatement")

_CARRIER_NOTES = {
    "pdf": f"XMP metadata of the PDF (namespace {TDM_NAMESPACE})",
    "epub": "EPUB package document metadata",
}
_FALLBACK_RESERVATION = re.compile(rb"tdm:reservation\s*(?:=\s*[\"']\s*([^\"']{0,20})[\"']|>\s*([^<]{0,20})<)")
_FALLBACK_POLICY = re.compile(rb"tdm:policy\s*(?:=\s*[\"']\s*([^\"']{0,500})[\"']|>\s*([^<]{0,500})<)")


@dataclass(frozen=True)
class EmbeddedRights:
    """What one document says about itself.

    ``carrier`` is ``pdf`` or ``epub`` (the TDMRep source name); ``problem`` is
    None, ``too-large`` (the metadata was refused: rights unknown) or
    ``malformed`` (read leniently, see ``notes``); ``fields`` are
    (name, value) pairs for the WARC metadata record."""

    carrier: str
    tdm: TdmValue = UNSET
    declarations: tuple[Declaration, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    title: str | None = None
    language: str | None = None
    problem: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def licence(self, base_url: str) -> LicenceResult:
        return licence_from_declarations(self.declarations, base_url=base_url)

    def merged(self, other: "EmbeddedRights") -> "EmbeddedRights":
        """Declarations and fields of two readings of one file (XMP and Info)."""
        return EmbeddedRights(
            self.carrier,
            self.tdm if self.tdm.reservation is not None or not other.tdm.evidence else other.tdm,
            self.declarations + other.declarations,
            self.fields + other.fields,
            self.title or other.title,
            self.language or other.language,
            self.problem or other.problem,
            self.notes + other.notes,
        )


def _parse_xml(data: bytes) -> tuple[etree._Element | None, str]:
    """A safe parse (no entities, no network, no DTD); lenient on a second try."""
    strict = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        return etree.fromstring(data, strict), ""
    except (etree.XMLSyntaxError, ValueError):
        pass
    lenient = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, recover=True)
    try:
        root = etree.fromstring(data, lenient)
    except (etree.XMLSyntaxError, ValueError):
        root = None
    return root, "malformed XML: read leniently"


def _packet(data: bytes) -> bytes:
    """The XMP packet proper (``x:xmpmeta`` or a bare ``rdf:RDF``) out of a metadata stream."""
    for start_tag, end_tag in ((b"<x:xmpmeta", b"</x:xmpmeta>"), (b"<x:xapmeta", b"</x:xapmeta>"), (b"<rdf:RDF", b"</rdf:RDF>")):
        start = data.find(start_tag)
        if start >= 0:
            end = data.rfind(end_tag)
            return data[start : end + len(end_tag)] if end > start else data[start:]
    return data


def _local(tag: object) -> tuple[str, str]:
    if not isinstance(tag, str) or not tag.startswith("{"):
        return "", str(tag)
    namespace, _, local = tag[1:].partition("}")
    return namespace, local


def _values(element: etree._Element) -> list[str]:
    """The values of one XMP property element: ``rdf:resource``, the items of an
    ``rdf:Alt`` / ``Bag`` / ``Seq`` (the ``x-default`` language first), or its text."""
    resource = element.get(f"{{{RDF}}}resource")
    if resource:
        return [resource.strip()]
    items: list[tuple[int, str]] = []
    for container in element:
        if _local(container.tag)[0] != RDF:
            continue
        for item in container:
            if _local(item.tag) != (RDF, "li"):
                continue
            value = item.get(f"{{{RDF}}}resource") or "".join(item.itertext())
            first = 0 if item.get("{http://www.w3.org/XML/1998/namespace}lang") == "x-default" else 1
            if value.strip():
                items.append((first, value.strip()))
    if items:
        return [value for _, value in sorted(items, key=lambda pair: pair[0])][:MAX_VALUES]
    value = element.get(f"{{{RDF}}}value") or "".join(element.itertext())
    return [value.strip()] if value.strip() else []


def read_xmp(data: bytes) -> EmbeddedRights:
    """The rights in a PDF's XMP metadata stream. Never raises."""
    if len(data) > XMP_MAX_BYTES:
        note = f"XMP metadata of {len(data)} bytes, over the {XMP_MAX_BYTES}-byte limit: not read, rights unknown"
        return EmbeddedRights("pdf", problem="too-large", notes=(note,))
    try:
        return _read_xmp(bytes(data))
    except (MemoryError, TimeoutError):
        raise  # a memory cap or time limit reached is the caller's failure, never "no rights found"
    except Exception as error:  # outside input never makes the rights core raise
        return EmbeddedRights("pdf", problem="malformed", notes=(f"XMP unreadable: {type(error).__name__}",))


def _read_xmp(data: bytes) -> EmbeddedRights:
    packet = _packet(data)
    root, how = _parse_xml(packet) if packet.strip() else (None, "")
    notes = [how] if how else []
    reservations: list[str] = []
    policies: list[str] = []
    hash_namespace = False
    found: dict[tuple[str, str], list[str]] = {}
    title = language = None
    if root is None:
        # Not XML at all: the reservation is still looked for as text, never assumed absent.
        reservations = [clean_evidence_text((m.group(1) or m.group(2) or b"").strip()) for m in _FALLBACK_RESERVATION.finditer(packet)][:MAX_VALUES]
        policies = [clean_evidence_text((m.group(1) or m.group(2) or b"").strip(), 500) for m in _FALLBACK_POLICY.finditer(packet)][:MAX_VALUES]
        if packet.strip():
            notes = ["malformed XMP: tdm:reservation looked for as text"]
    else:
        for index, element in enumerate(root.iter()):
            if index >= MAX_ELEMENTS:
                notes.append(f"only the first {MAX_ELEMENTS} XMP elements read")
                break
            namespace, local = _local(element.tag)
            for name, value in element.attrib.items():
                attribute_namespace, attribute_local = _local(name)
                if attribute_namespace in _TDM_NAMESPACES and attribute_local in ("reservation", "policy"):
                    hash_namespace = hash_namespace or attribute_namespace == TDM_NAMESPACE_EPUB
                    (reservations if attribute_local == "reservation" else policies).append(value.strip())
                elif (attribute_namespace, attribute_local) in _XMP_LICENCE_PROPERTIES:
                    found.setdefault((attribute_namespace, attribute_local), []).append(value.strip())
            if namespace in _TDM_NAMESPACES and local in ("reservation", "policy"):
                hash_namespace = hash_namespace or namespace == TDM_NAMESPACE_EPUB
                (reservations if local == "reservation" else policies).extend(_values(element))
            elif (namespace, local) in _XMP_LICENCE_PROPERTIES:
                found.setdefault((namespace, local), []).extend(_values(element))
            elif (namespace, local) == (DC, "title") and title is None:
                title = next(iter(_values(element)), None)
            elif (namespace, local) == (DC, "language") and language is None:
                language = next(iter(_values(element)), None)
    if hash_namespace:
        notes.append(f"lenient: tdm properties in the EPUB namespace {TDM_NAMESPACE_EPUB} read as the PDF's {TDM_NAMESPACE}")
    note = "; ".join([_CARRIER_NOTES["pdf"], *notes])
    tdm = tdm_from_values(reservations[:MAX_VALUES], policies[:MAX_VALUES], "pdf", where="pdf-xmp:tdm:reservation", policy_where="pdf-xmp:tdm:policy", note=note)
    fields: list[tuple[str, str]] = []
    fields.extend(("xmp-tdm:reservation", clean_evidence_text(v)) for v in reservations[:MAX_VALUES])
    fields.extend(("xmp-tdm:policy", clean_evidence_text(v, 500)) for v in policies[:MAX_VALUES])
    declarations: list[Declaration] = []
    for key, values in found.items():
        source, field_name, statement_only = _XMP_LICENCE_PROPERTIES[key]
        for value in list(dict.fromkeys(values))[:MAX_VALUES]:
            if not value:
                continue
            fields.append((field_name, clean_evidence_text(value, 500)))
            evidence = Evidence("licence", field_name.replace("xmp-", "pdf-xmp:", 1), value, note="XMP metadata of the PDF: covers the whole document")
            declarations.append(Declaration(value, source, evidence, statement_only))
    problem = "malformed" if how or root is None and packet.strip() else None
    return EmbeddedRights("pdf", tdm, tuple(declarations), tuple(fields), _short(title), _short(language, 35), problem, tuple(notes))


def read_pdf_info(info: Mapping[str, object]) -> EmbeddedRights:
    """Licence-like keys of a PDF's Info dictionary (``/License``, ``/Rights``,
    ``/Copyright`` …: none is standard, producers add them). Never raises."""
    declarations: list[Declaration] = []
    fields: list[tuple[str, str]] = []
    title = None
    try:
        for key in _INFO_LICENCE_KEYS:
            value = info.get(key)
            if value is None:
                continue
            text = clean_evidence_text(str(value), 500)
            if not text:
                continue
            fields.append((f"pdf-info{key}", text))
            evidence = Evidence("licence", f"pdf-info:{key}", text, note="Info dictionary of the PDF: covers the whole document")
            declarations.append(Declaration(text, "pdf-info", evidence, key == "/WebStatement"))
        raw_title = info.get("/Title")
        title = str(raw_title) if raw_title is not None else None
    except Exception as error:
        return EmbeddedRights("pdf", notes=(f"Info dictionary unreadable: {type(error).__name__}",))
    return EmbeddedRights("pdf", declarations=tuple(declarations), fields=tuple(fields), title=_short(title))


def _short(value: str | None, limit: int = 1000) -> str | None:
    if not value:
        return None
    return " ".join(str(value).split())[:limit] or None


def _prefixes(package: etree._Element) -> dict[str, str]:
    """EPUB 3 ``prefix`` attribute: ``"tdm: http://www.w3.org/ns/tdmrep# dc: …"``."""
    words = (package.get("prefix") or "").split()
    mapping = {}
    for prefix, uri in zip(words[0::2], words[1::2]):
        if prefix.endswith(":"):
            mapping[prefix[:-1]] = uri
    return mapping


def read_epub_package(data: bytes) -> EmbeddedRights:
    """The rights in an EPUB package document (the OPF file). Never raises."""
    if len(data) > PACKAGE_MAX_BYTES:
        note = f"package document of {len(data)} bytes, over the {PACKAGE_MAX_BYTES}-byte limit: not read, rights unknown"
        return EmbeddedRights("epub", problem="too-large", notes=(note,))
    try:
        return _read_epub_package(bytes(data))
    except (MemoryError, TimeoutError):
        raise
    except Exception as error:
        return EmbeddedRights("epub", problem="malformed", notes=(f"package document unreadable: {type(error).__name__}",))


def _read_epub_package(data: bytes) -> EmbeddedRights:
    root, how = _parse_xml(data)
    if root is None:
        return EmbeddedRights("epub", problem="malformed", notes=("package document is not XML",))
    notes = [how] if how else []
    prefixes = _prefixes(root)
    metadata = next((e for e in root.iter() if _local(e.tag)[1] == "metadata"), None)
    reservations: list[str] = []
    policies: list[str] = []
    declarations: list[Declaration] = []
    fields: list[tuple[str, str]] = []
    title = language = None
    elements: Iterable[etree._Element] = metadata.iter() if metadata is not None else ()
    for index, element in enumerate(elements):
        if index >= MAX_ELEMENTS:
            break
        namespace, local = _local(element.tag)
        text = "".join(element.itertext()).strip()
        if local == "meta":
            name = (element.get("name") or "").strip()
            prop = (element.get("property") or "").strip()
            refines = element.get("refines")
            key = name or prop
            prefix, _, term = key.partition(":")
            uri = prefixes.get(prefix)
            if term in ("reservation", "policy") and (prefix == "tdm" or uri in _TDM_NAMESPACES):
                if refines:
                    notes.append(f"{key} refines {clean_evidence_text(refines, 60)}: a part of the package, not the package; ignored")
                    continue
                if prefix == "tdm" and prop and uri is None:
                    notes.append("lenient: the tdm: prefix is not declared on <package>; read as TDMRep's")
                value = (element.get("content") or "").strip() if name else text
                (reservations if term == "reservation" else policies).append(value)
                fields.append((f"epub-tdm:{term}", clean_evidence_text(value, 500)))
            elif key.lower() in ("dcterms:license", "dcterms.license", "dc:license", "license") and not refines:
                value = (element.get("content") or "").strip() if name else text
                if value:
                    fields.append(("epub-dcterms:license", clean_evidence_text(value, 500)))
                    evidence = Evidence("licence", f"epub-opf:meta {key}", value, note="EPUB package metadata: covers the whole package")
                    declarations.append(Declaration(value, "epub-license", evidence))
        elif local == "link" and "license" in (element.get("rel") or "").lower() and element.get("href"):
            href = element.get("href", "").strip()
            fields.append(("epub-link-license", clean_evidence_text(href, 500)))
            evidence = Evidence("licence", "epub-opf:link rel=license", href, note="EPUB package metadata: covers the whole package")
            declarations.append(Declaration(href, "epub-license", evidence))
        elif namespace == DC and local == "rights" and text:
            fields.append(("epub-dc:rights", clean_evidence_text(text, 500)))
            evidence = Evidence("licence", "epub-opf:dc:rights", text, note="EPUB package metadata: covers the whole package")
            declarations.append(Declaration(text, "epub-dc-rights", evidence))
        elif namespace == DC and local == "title" and title is None:
            title = text
        elif namespace == DC and local == "language" and language is None:
            language = text
    note = "; ".join([_CARRIER_NOTES["epub"], *dict.fromkeys(notes)])
    tdm = tdm_from_values(reservations[:MAX_VALUES], policies[:MAX_VALUES], "epub", where="epub-opf:tdm:reservation", policy_where="epub-opf:tdm:policy", note=note)
    return EmbeddedRights("epub", tdm, tuple(declarations[:MAX_VALUES * 2]), tuple(fields[:MAX_VALUES * 4]), _short(title), _short(language, 35), "malformed" if how else None, tuple(notes))

