"""Rights inside a document: TDMRep and licences in PDF XMP / Info and EPUB
package metadata, with TDMRep's precedence over the web carriers.

The XMP shapes are those real tools write (see tests/documents.py): element
form with a PDF/A extension schema describing the tdm properties
(ubpb/tdmrep), attribute form (exiftool), the EPUB ``#`` namespace in a PDF,
``cc:license`` as ``rdf:resource``, ``dc:rights`` as an ``rdf:Alt``."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.rights.embedded import XMP_MAX_BYTES, read_epub_package, read_pdf_info, read_xmp
from crawler.rights.tdmrep import TdmValue, resolve_tdm, tdm_from_headers
from tests import documents as build


def test_element_form_with_a_pdfa_schema_describing_tdm() -> None:
    rights = read_xmp(build.xmp(build.PDFA_EXTENSION_FOR_TDM, build.tdm_description("1", "https://p.example/policy.json")))
    assert (rights.tdm.reservation, rights.tdm.policy, rights.tdm.source) == (1, "https://p.example/policy.json", "pdf")
    assert rights.tdm.evidence[0].source == "pdf-xmp:tdm:reservation" and rights.tdm.evidence[0].value == "1"
    assert ("xmp-tdm:reservation", "1") in rights.fields and rights.problem is None


def test_a_pdfa_schema_alone_declares_nothing() -> None:
    rights = read_xmp(build.xmp(build.PDFA_EXTENSION_FOR_TDM))
    assert rights.tdm.reservation is None and not rights.tdm.evidence


def test_attribute_form_and_the_epub_namespace_are_read() -> None:
    assert read_xmp(build.xmp(build.tdm_description("1", form="attribute"))).tdm.reservation == 1
    hashed = read_xmp(build.xmp(build.tdm_description("0", namespace="http://www.w3.org/ns/tdmrep#")))
    assert hashed.tdm.reservation == 0 and any("lenient" in note for note in hashed.notes)


def test_a_protocol_error_is_unset_with_a_note() -> None:
    rights = read_xmp(build.xmp(build.tdm_description("yes")))
    assert rights.tdm.reservation is None and "protocol error" in rights.tdm.evidence[0].note


def test_malformed_xmp_is_still_searched_for_a_reservation() -> None:
    packet = build.XMP_HEAD + b'<rdf:Description xmlns:tdm="http://www.w3.org/ns/tdmrep/"><tdm:reservation>1</tdm:reservation><unclosed>'
    rights = read_xmp(packet)
    assert rights.tdm.reservation == 1 and rights.problem == "malformed"


def test_an_oversized_packet_is_refused_not_cut() -> None:
    rights = read_xmp(b" " * (XMP_MAX_BYTES + 1))
    assert rights.problem == "too-large" and rights.tdm.reservation is None


def test_entities_are_never_expanded() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' + build.xmp(build.tdm_description("&b;"))
    rights = read_xmp(bomb)
    assert rights.tdm.reservation is None and len(str(rights.tdm.evidence)) < 2000


def test_embedded_value_is_the_last_carrier() -> None:
    embedded = read_xmp(build.xmp(build.tdm_description("0"))).tdm
    header = tdm_from_headers([("tdm-reservation", "1")])
    resolved = resolve_tdm(TdmValue(None, None, None), header, TdmValue(None, None, None), embedded)
    assert (resolved.reservation, resolved.source) == (0, "pdf")
    assert "superseded by pdf value 0" in resolved.evidence[1].note
    # Absence inside the file resets nothing.
    assert resolve_tdm(header, read_xmp(build.xmp(build.licence_description(rights="x"))).tdm).reservation == 1


def test_licences_in_xmp_map_to_spdx_with_their_source() -> None:
    rights = read_xmp(build.xmp(build.licence_description(cc_license="https://creativecommons.org/licenses/by-nc/4.0/legalcode.fr", rights="© 2026 Press")))
    licence = rights.licence("https://example.org/a.pdf")
    assert (licence.license, licence.source, licence.copyright_notice) == ("CC-BY-NC-4.0", "xmp-cc-license", "© 2026 Press")
    assert rights.title == "Built for tdmcrawl"


def test_all_rights_reserved_contradicts_a_licence_as_on_pages() -> None:
    rights = read_xmp(build.xmp(build.licence_description(cc_license="https://creativecommons.org/licenses/by/4.0/", rights="All rights reserved")))
    licence = rights.licence("https://example.org/a.pdf")
    assert licence.license is None and licence.ambiguous


def test_a_web_statement_is_a_licence_only_when_it_names_one() -> None:
    terms = read_xmp(build.xmp(build.licence_description(web_statement="https://publisher.example/terms"))).licence("https://example.org/a.pdf")
    assert terms.license is None and not terms.candidates
    cc = read_xmp(build.xmp(build.licence_description(web_statement="https://creativecommons.org/licenses/by-sa/3.0/de/"))).licence("https://example.org/a.pdf")
    assert (cc.license, cc.source) == ("CC-BY-SA-3.0-DE", "xmp-web-statement")


def test_the_info_dictionary_carries_licences_too() -> None:
    rights = read_pdf_info({"/Title": "Report", "/License": "CC BY 4.0", "/Producer": "LaTeX"})
    assert (rights.licence("https://example.org/a.pdf").license, rights.title) == ("CC-BY-4.0", "Report")
    assert ("pdf-info/License", "CC BY 4.0") in rights.fields


def test_epub3_meta_properties_with_a_declared_prefix() -> None:
    package = build_package('<meta property="tdm:reservation">1</meta><meta property="tdm:policy">https://p.example/p.json</meta>')
    rights = read_epub_package(package)
    assert (rights.tdm.reservation, rights.tdm.policy, rights.tdm.source) == (1, "https://p.example/p.json", "epub")
    assert rights.tdm.evidence[0].source == "epub-opf:tdm:reservation"


def test_epub2_name_content_and_a_refining_meta() -> None:
    package = build_package('<meta name="tdm:reservation" content="0"/><meta property="tdm:reservation" refines="#chapter3">1</meta>', prefix=None)
    rights = read_epub_package(package)
    assert rights.tdm.reservation == 0 and any("refines" in note for note in rights.notes)


def build_package(metas: str, prefix: str | None = "tdm: http://www.w3.org/ns/tdmrep#") -> bytes:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(build.epub(["x"], metas=metas, prefix=prefix))) as archive:
        return archive.read("OEBPS/content.opf")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_give_a_value_never_an_exception(data: bytes) -> None:
    for packet in (data, build.XMP_HEAD + data, b"<package>" + data):
        assert read_xmp(packet).carrier == "pdf"
        assert read_epub_package(packet).carrier == "epub"


# The layout ExifTool writes (seen in public write-ups of its output): one
# rdf:Description per namespace, single quotes, WebStatement as rdf:resource,
# and a cc:License description of the licence itself, which declares nothing.
EXIFTOOL_XMP = b"""<?xpacket begin='\xef\xbb\xbf' id='W5M0MpCehiHzreSzNTczkc9d'?>
<x:xmpmeta xmlns:x='adobe:ns:meta/' x:xmptk='Image::ExifTool 12.40'>
<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>
 <rdf:Description rdf:about='' xmlns:cc='http://creativecommons.org/ns#'>
  <cc:license rdf:resource='https://creativecommons.org/licenses/by-sa/4.0/'/>
 </rdf:Description>
 <rdf:Description rdf:about='' xmlns:dc='http://purl.org/dc/elements/1.1/'>
  <dc:rights><rdf:Alt><rdf:li xml:lang='de'>Alle Rechte beim Fotografen</rdf:li><rdf:li xml:lang='x-default'>(c) the photographer. Licensed CC BY-SA 4.0.</rdf:li></rdf:Alt></dc:rights>
 </rdf:Description>
 <rdf:Description rdf:about='' xmlns:xmpRights='http://ns.adobe.com/xap/1.0/rights/'>
  <xmpRights:Marked>True</xmpRights:Marked>
  <xmpRights:WebStatement rdf:resource='https://example.org/photos/42'/>
 </rdf:Description>
 <rdf:Description rdf:about='' xmlns:tdm='http://www.w3.org/ns/tdmrep/' tdm:reservation='1'/>
 <cc:License xmlns:cc='http://creativecommons.org/ns#' rdf:about='https://creativecommons.org/licenses/by-nd/4.0/'/>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end='w'?>"""


def test_the_exiftool_layout() -> None:
    rights = read_xmp(EXIFTOOL_XMP)
    assert rights.tdm.reservation == 1
    licence = rights.licence("https://example.org/photos/42.pdf")
    assert (licence.license, licence.source) == ("CC-BY-SA-4.0", "xmp-cc-license")
    assert ("xmp-dc:rights", "(c) the photographer. Licensed CC BY-SA 4.0.") in rights.fields  # x-default first
    assert not any("by-nd" in (c.url or "") for c in licence.candidates)
