"""PDF and EPUB files built by hand for the tests and the benchmark.

Each builder writes the bytes a real producer would (objects, an xref table
with true offsets, a trailer; an EPUB's stored ``mimetype`` first, then
``META-INF/container.xml`` and the package document), so pypdf and
``zipfile`` read them as they read files from the web. The XMP shapes copy
what real tools write: TDMRep in element form with a PDF/A extension schema
describing it (ubpb/tdmrep), in attribute form (exiftool style), in the EPUB
``#`` namespace; Creative Commons ``cc:license`` with ``rdf:resource``,
``dc:rights`` as an ``rdf:Alt``. Hostile files are built the way they are met:
a password, garbage after the header, a page tree that claims millions of
pages, a content stream that inflates past any sane size, an XMP packet that
does not end.
"""

from __future__ import annotations

import io
import zipfile
import zlib

XMP_HEAD = b"<?xpacket begin=\"\xef\xbb\xbf\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
XMP_TAIL = b"</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>"


def xmp(*descriptions: str) -> bytes:
    """An XMP packet of ``rdf:Description`` bodies (each a complete element)."""
    return XMP_HEAD + "\n".join(descriptions).encode("utf-8") + b"\n" + XMP_TAIL


def tdm_description(reservation: str | None = "1", policy: str | None = None, *, form: str = "element", namespace: str = "http://www.w3.org/ns/tdmrep/") -> str:
    """TDMRep properties as ubpb/tdmrep writes them (element form) or as
    exiftool does (attributes of rdf:Description)."""
    if form == "attribute":
        attributes = f' tdm:reservation="{reservation}"' if reservation is not None else ""
        attributes += f' tdm:policy="{policy}"' if policy else ""
        return f'<rdf:Description rdf:about="" xmlns:tdm="{namespace}"{attributes}/>'
    body = f"<tdm:reservation>{reservation}</tdm:reservation>" if reservation is not None else ""
    body += f"<tdm:policy>{policy}</tdm:policy>" if policy else ""
    return f'<rdf:Description rdf:about="" xmlns:tdm="{namespace}">{body}</rdf:Description>'


PDFA_EXTENSION_FOR_TDM = (
    '<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" '
    'xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
    "<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType=\"Resource\">"
    "<pdfaSchema:schema>TDM Reservation Protocol</pdfaSchema:schema>"
    "<pdfaSchema:namespaceURI>http://www.w3.org/ns/tdmrep/</pdfaSchema:namespaceURI><pdfaSchema:prefix>tdm</pdfaSchema:prefix>"
    "<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>reservation</pdfaProperty:name>"
    "<pdfaProperty:valueType>Integer</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category>"
    "</rdf:li></rdf:Seq></pdfaSchema:property></rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"
)


def licence_description(cc_license: str | None = None, rights: str | None = None, web_statement: str | None = None, ali: str | None = None) -> str:
    body = ""
    if cc_license:
        body += f'<cc:license rdf:resource="{cc_license}"/>'
    if web_statement:
        body += f"<xmpRights:WebStatement>{web_statement}</xmpRights:WebStatement>"
    if rights:
        body += f'<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">{rights}</rdf:li></rdf:Alt></dc:rights>'
    if ali:
        body += f"<ali:license_ref>{ali}</ali:license_ref>"
    return (
        '<rdf:Description rdf:about="" xmlns:cc="http://creativecommons.org/ns#" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/" xmlns:ali="http://www.niso.org/schemas/ali/1.0/">'
        f"{body}<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">Built for tdmcrawl</rdf:li></rdf:Alt></dc:title></rdf:Description>"
    )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _content(lines: list[str]) -> bytes:
    out = [b"BT /F1 12 Tf 72 720 Td 14 TL"]
    for line in lines:
        out.append(f"({_escape(line)}) Tj T*".encode("latin-1", "replace"))
    out.append(b"ET")
    return b"\n".join(out)


def pdf(
    pages: list[str] | None = None,
    *,
    metadata: bytes | None = None,
    metadata_filter: bool = False,
    info: dict[str, str] | None = None,
    declared_pages: int | None = None,
    raw_contents: list[bytes] | None = None,
    compress: bool = True,
) -> bytes:
    """A PDF with one page per text (lines split on newlines, Helvetica), an
    optional XMP metadata stream (``metadata_filter``: Flate-compressed) and
    Info dictionary; ``declared_pages`` lies in ``/Count``; ``raw_contents``
    gives content streams as they are (no text: a scan's vector art)."""
    contents = list(raw_contents) if raw_contents is not None else [_content(text.split("\n")) for text in (pages or [""])]
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    page_tree = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids = []
    for content in contents:
        data = zlib.compress(content) if compress else content
        filters = b" /Filter /FlateDecode" if compress else b""
        stream = add(b"<< /Length %d%s >>\nstream\n" % (len(data), filters) + data + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (page_tree, font, stream)))
    catalog_body = b"<< /Type /Catalog /Pages %d 0 R" % page_tree
    if metadata is not None:
        data = zlib.compress(metadata) if metadata_filter else metadata
        filters = b" /Filter /FlateDecode" if metadata_filter else b""
        number = add(b"<< /Type /Metadata /Subtype /XML /Length %d%s >>\nstream\n" % (len(data), filters) + data + b"\nendstream")
        catalog_body += b" /Metadata %d 0 R" % number
    objects[catalog - 1] = catalog_body + b" >>"
    count = declared_pages if declared_pages is not None else len(kids)
    objects[page_tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), count)
    info_number = None
    if info:
        entries = b" ".join(b"/%s (%s)" % (key.encode("latin-1"), _escape(value).encode("latin-1", "replace")) for key, value in info.items())
        info_number = add(b"<< " + entries + b" >>")
    return _assemble(objects, catalog, info_number)


def _assemble(objects: list[bytes], root: int, info: int | None) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, root)
    if info is not None:
        trailer += b" /Info %d 0 R" % info
    out.write(b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def encrypted_pdf(text: str = "A secret report.", password: str = "secret") -> bytes:
    """The same PDF with a user password (RC4-128: no crypto library needed)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf([text]))))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def inflation_bomb_pdf(inflated_mib: int = 120) -> bytes:
    """One page whose content stream inflates to ``inflated_mib`` MiB of zeros
    from ~0.1 % of that (a compressed-object bomb)."""
    compressor = zlib.compressobj(9)
    chunk = b"0" * (1024 * 1024)
    data = b"".join(compressor.compress(chunk) for _ in range(inflated_mib)) + compressor.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream",
    ]
    return _assemble(objects, 1, None)


def endless_xmp_pdf(megabytes: int = 4) -> bytes:
    """An XMP packet that never closes: ``megabytes`` MiB of repeated descriptions."""
    filler = ('<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:subject>padding</dc:subject></rdf:Description>\n').encode()
    body = XMP_HEAD + filler * (megabytes * 1024 * 1024 // len(filler))
    return pdf(["Text under an endless XMP packet."], metadata=body)


def malformed_pdf() -> bytes:
    return b"%PDF-1.7\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"


def epub(
    chapters: list[str],
    *,
    version: str = "3.0",
    metas: str = "",
    prefix: str | None = "tdm: http://www.w3.org/ns/tdmrep#",
    rights: str | None = None,
    title: str = "Built for tdmcrawl",
    extra_members: dict[str, bytes] | None = None,
) -> bytes:
    """An EPUB (2 or 3) whose spine holds one XHTML document per chapter
    (paragraphs split on blank lines); ``metas`` is inserted into the package
    metadata as written (TDMRep ``<meta>`` elements, licences)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
            '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>',
            compress_type=zipfile.ZIP_DEFLATED,
        )
        manifest = "".join(f'<item id="c{i}" href="text/chapter{i}.xhtml" media-type="application/xhtml+xml"/>' for i in range(len(chapters)))
        spine = "".join(f'<itemref idref="c{i}"/>' for i in range(len(chapters)))
        prefix_attribute = f' prefix="{prefix}"' if prefix and version.startswith("3") else ""
        rights_element = f"<dc:rights>{rights}</dc:rights>" if rights else ""
        package = (
            f'<?xml version="1.0" encoding="UTF-8"?><package xmlns="http://www.idpf.org/2007/opf" version="{version}" unique-identifier="id"{prefix_attribute}>'
            f'<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">urn:uuid:0</dc:identifier><dc:title>{title}</dc:title>'
            f"<dc:language>en</dc:language>{rights_element}{metas}</metadata>"
            f"<manifest>{manifest}</manifest><spine>{spine}</spine></package>"
        )
        archive.writestr("OEBPS/content.opf", package, compress_type=zipfile.ZIP_DEFLATED)
        for i, chapter in enumerate(chapters):
            paragraphs = "".join(f"<p>{p.strip()}</p>" for p in chapter.split("\n\n") if p.strip())
            archive.writestr(
                f"OEBPS/text/chapter{i}.xhtml",
                f'<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>Chapter {i}</title>'
                f"<style>p {{ margin: 0 }}</style></head><body><h1>Chapter {i + 1}</h1>{paragraphs}</body></html>",
                compress_type=zipfile.ZIP_DEFLATED,
            )
        for name, data in (extra_members or {}).items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def zip_bomb_epub(inflated_mib: int = 200) -> bytes:
    """An EPUB whose one chapter inflates to ``inflated_mib`` MiB (written
    through a stream, so building it holds one MiB at a time)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(epub(["placeholder"]))) as source, zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            if item.filename.endswith("chapter0.xhtml"):
                info = zipfile.ZipInfo(item.filename)
                info.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(info, "w", force_zip64=True) as member:
                    member.write(b"<html><body><p>")
                    block = b"a" * (1024 * 1024)
                    for _ in range(inflated_mib):
                        member.write(block)
                    member.write(b"</p></body></html>")
            else:
                archive.writestr(item, source.read(item.filename), compress_type=item.compress_type)
    return buffer.getvalue()
