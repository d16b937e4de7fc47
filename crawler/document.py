"""Read a PDF or an EPUB once: its rights metadata first, then its text.

Owns which documents a crawl takes (:class:`DocumentOptions`: the kinds asked
for, the size cap, the page cap, the per-file time limit and memory cap), how
a response is recognised as one (declared type, or a generic type with the
file's extension, then the bytes), and reading it with bounded work: pypdf
for PDF (permissive licence, pure Python, its own decompression limits), the
standard ``zipfile`` for EPUB (every member read through a byte budget, so a
zip bomb stops at the cap). Runs in the worker processes, like
:mod:`crawler.page`; no Scrapy import. Never raises on a hostile file: it
returns a failure reason (``document-encrypted``, ``document-malformed``,
``document-too-many-pages``, ``document-decompression-limit``,
``document-metadata-too-large``, ``document-memory-limit``) with a note. The
per-file time limit raises :class:`crawler.workers.ExtractionTimeout`, which is
let through (recorded as ``extraction-timeout``).
"""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile
from dataclasses import asdict, dataclass
from functools import lru_cache
from posixpath import dirname, join, normpath
from typing import Any
from urllib.parse import unquote, urlsplit

from crawler.rights.embedded import PACKAGE_MAX_BYTES, XMP_MAX_BYTES, EmbeddedRights, read_epub_package, read_pdf_info, read_xmp
from crawler.workers import ExtractionTimeout, check_deadline

PDF, EPUB = "pdf", "epub"
KINDS = (PDF, EPUB)
MEDIA_TYPES = {PDF: "application/pdf", EPUB: "application/epub+zip"}
# Declared Content-Types that name the kind (servers use several for PDF).
_DECLARED = {
    "application/pdf": PDF,
    "application/x-pdf": PDF,
    "application/acrobat": PDF,
    "application/vnd.pdf": PDF,
    "text/pdf": PDF,
    "application/epub+zip": EPUB,
}
# Generic types servers send for any download: taken when the URL's extension names the kind.
_GENERIC = frozenset({"application/octet-stream", "binary/octet-stream", "application/download", "application/force-download", "application/x-download"})
_EXTENSIONS = {".pdf": PDF, ".epub": EPUB}

MAX_TEXT_CHARS = 50_000_000  # text kept per document (a 5,000-page book is ~15 M characters)
EPUB_MAX_MEMBER_BYTES = 64 * 1024 * 1024  # one chapter, decompressed
EPUB_MAX_TOTAL_BYTES = 512 * 1024 * 1024  # all members read from one EPUB, decompressed
EPUB_MAX_MEMBERS = 20_000

logging.getLogger("pypdf").setLevel(logging.ERROR)  # a malformed file is reported on its row, not in the log


@dataclass(frozen=True)
class DocumentOptions:
    """What a crawl takes besides HTML (``kinds``: ``pdf``, ``epub``; empty by
    default) and the bounds on each file (settings ``TDMCRAWL_DOCUMENTS``,
    ``TDMCRAWL_DOCUMENT_MAX_SIZE``, ``…_MAX_PAGES``, ``…_TIMEOUT``, ``…_MEMORY``)."""

    kinds: tuple[str, ...] = ()
    max_size: int = 100 * 1024 * 1024
    max_pages: int = 5000
    timeout: float = 60.0
    memory: int = 1024 * 1024 * 1024

    @classmethod
    def from_settings(cls, settings: Any) -> "DocumentOptions":
        kinds = parse_kinds(settings.getlist("TDMCRAWL_DOCUMENTS"))
        return cls(
            kinds=kinds,
            max_size=settings.getint("TDMCRAWL_DOCUMENT_MAX_SIZE"),
            max_pages=settings.getint("TDMCRAWL_DOCUMENT_MAX_PAGES"),
            timeout=settings.getfloat("TDMCRAWL_DOCUMENT_TIMEOUT"),
            memory=settings.getint("TDMCRAWL_DOCUMENT_MEMORY"),
        )

    def with_all_kinds(self) -> "DocumentOptions":
        """Re-extraction reads every document the crawl stored."""
        return DocumentOptions(KINDS, self.max_size, self.max_pages, self.timeout, self.memory)

    def as_json(self) -> str:
        values = asdict(self)
        values["kinds"] = list(self.kinds)
        return json.dumps(values, sort_keys=True)

    def kind_of_response(self, content_type: str | None, url: str) -> str | None:
        """The kind a response's headers announce, when the crawl takes it."""
        kind = declared_kind(content_type, url)
        return kind if kind in self.kinds else None


def parse_kinds(values: Any) -> tuple[str, ...]:
    """``pdf,epub`` (a string or a list) as a tuple of known kinds; ValueError names an unknown one."""
    if isinstance(values, str):
        values = [values]
    kinds: list[str] = []
    for value in values or ():
        for part in str(value).replace(",", " ").split():
            part = part.strip().lower()
            if part == "html":
                continue  # HTML is always taken
            if part not in KINDS:
                raise ValueError(f"unknown document type {part!r} (known: html, {', '.join(KINDS)})")
            if part not in kinds:
                kinds.append(part)
    return tuple(kinds)


def declared_kind(content_type: str | None, url: str) -> str | None:
    """The document kind a Content-Type names, or a generic type plus the URL's extension."""
    main = (content_type or "").split(";", 1)[0].strip().lower()
    if main in _DECLARED:
        return _DECLARED[main]
    if main in _GENERIC or not main:
        path = unquote(urlsplit(url).path).lower()
        for extension, kind in _EXTENSIONS.items():
            if path.endswith(extension):
                return kind
    return None


def sniff_kind(body: bytes) -> str | None:
    """The kind the bytes are: ``%PDF-`` in the first KiB (as readers accept it), or a
    ZIP whose first member is ``mimetype`` = ``application/epub+zip``."""
    head = body[:1024]
    if b"%PDF-" in head:
        return PDF
    if head.startswith(b"PK\x03\x04") and b"mimetypeapplication/epub+zip" in head[:200]:
        return EPUB
    if head.startswith(b"PK\x03\x04") and b"application/epub+zip" in head:
        return EPUB
    return None


@dataclass(frozen=True)
class DocumentFailure:
    reason: str
    note: str


@dataclass
class OpenedDocument:
    """A document whose rights metadata has been read; ``text()`` reads the rest."""

    kind: str
    rights: EmbeddedRights
    page_count: int | None
    extractor: str
    _reader: Any = None
    _epub: Any = None

    def text(self, options: DocumentOptions) -> "str | DocumentFailure":
        try:
            if self.kind == PDF:
                return _pdf_text(self._reader, options)
            return _epub_text(self._epub, options)
        except ExtractionTimeout:
            raise
        except MemoryError:
            return DocumentFailure("document-memory-limit", f"text extraction passed the {options.memory // (1024 * 1024)} MiB memory cap")
        except Exception as error:
            return _failure_of(error, "text extraction")


def warm_up() -> None:
    """Import pypdf (and its crypto provider) in a worker before the first
    document, so the per-file memory cap measures the file, not the import."""
    import pypdf  # noqa: F401

    pypdf_version()


@lru_cache(maxsize=1)
def pypdf_version() -> str:
    import pypdf

    return f"pypdf {pypdf.__version__}"


def _failure_of(error: BaseException, step: str) -> DocumentFailure:
    # pypdf may wrap the alarm's ExtractionTimeout in an error of its own: past
    # the deadline, any failure is the time limit.
    check_deadline()
    name = type(error).__name__
    message = " ".join(str(error).split())[:200]
    if name == "LimitReachedError":
        return DocumentFailure("document-decompression-limit", f"{step}: a stream decompresses past pypdf's limit ({message})")
    if name in ("FileNotDecryptedError", "WrongPasswordError", "DependencyError"):
        return DocumentFailure("document-encrypted", f"{step}: {name}: {message}")
    if isinstance(error, zipfile.LargeZipFile) or "budget" in message:
        return DocumentFailure("document-decompression-limit", f"{step}: {message}")
    return DocumentFailure("document-malformed", f"{step}: {name}: {message}")


def open_document(body: bytes, kind: str, options: DocumentOptions) -> "OpenedDocument | DocumentFailure":
    """Read a document's structure and rights metadata (not its text). Never raises
    but for :class:`ExtractionTimeout`."""
    try:
        return _open_pdf(body, options) if kind == PDF else _open_epub(body, options)
    except ExtractionTimeout:
        raise
    except MemoryError:
        return DocumentFailure("document-memory-limit", f"reading the file passed the {options.memory // (1024 * 1024)} MiB memory cap")
    except RecursionError:
        return DocumentFailure("document-malformed", "object structure nested too deeply")
    except Exception as error:
        return _failure_of(error, "reading the file")


# -- PDF -------------------------------------------------------------------------


def _open_pdf(body: bytes, options: DocumentOptions) -> "OpenedDocument | DocumentFailure":
    from pypdf import PdfReader
    from pypdf.constants import UserAccessPermissions
    from pypdf.generic import IndirectObject

    reader = PdfReader(io.BytesIO(body), strict=False)
    if reader.is_encrypted:
        try:
            decrypted = reader.decrypt("")
        except Exception as error:
            return DocumentFailure("document-encrypted", f"encrypted and not readable: {type(error).__name__}: {str(error)[:120]}")
        if not decrypted:
            return DocumentFailure("document-encrypted", "encrypted with a user password: text and metadata cannot be read")
        permissions = reader.user_access_permissions
        if permissions is not None and not permissions & UserAccessPermissions.EXTRACT:
            return DocumentFailure("document-encrypted", "encrypted; its permissions forbid extracting text (P bit 5 off)")
    root = reader.trailer["/Root"]
    root = root.get_object() if isinstance(root, IndirectObject) else root
    pages = root.get("/Pages")
    declared = pages.get_object().get("/Count") if pages is not None else None
    try:
        declared_pages = int(declared) if declared is not None else None
    except (TypeError, ValueError):
        declared_pages = None
    if declared_pages is not None and declared_pages > options.max_pages:
        return DocumentFailure("document-too-many-pages", f"the page tree declares {declared_pages} pages; the cap is {options.max_pages}")
    rights = EmbeddedRights(PDF)
    metadata = root.get("/Metadata")
    if metadata is not None:
        stream = metadata.get_object()
        declared_length = stream.get("/Length") if hasattr(stream, "get") else None
        try:
            declared_length = int(declared_length.get_object()) if declared_length is not None else 0
        except (TypeError, ValueError, AttributeError):
            declared_length = 0
        if declared_length > XMP_MAX_BYTES:
            return DocumentFailure("document-metadata-too-large", f"XMP metadata stream of {declared_length} bytes; the limit is {XMP_MAX_BYTES}: rights unknown")
        data = stream.get_data() if hasattr(stream, "get_data") else b""
        rights = read_xmp(data)
        if rights.problem == "too-large":
            return DocumentFailure("document-metadata-too-large", rights.notes[0])
    info = _info_dictionary(reader)
    rights = rights.merged(read_pdf_info(info))
    return OpenedDocument(PDF, rights, declared_pages, pypdf_version(), _reader=reader)


def _info_dictionary(reader: Any) -> dict[str, str]:
    try:
        info = reader.metadata
    except Exception:
        return {}
    if not info:
        return {}
    values: dict[str, str] = {}
    for key in list(info.keys())[:64]:
        try:
            values[str(key)] = str(info[key])[:2000]
        except Exception:
            continue
    return values


def _pdf_text(reader: Any, options: DocumentOptions) -> "str | DocumentFailure":
    parts: list[str] = []
    size = 0
    count = 0
    for page in reader.pages:
        check_deadline()
        count += 1
        if count > options.max_pages:
            return DocumentFailure("document-too-many-pages", f"more than {options.max_pages} pages in the page tree")
        # Decoded here first (pypdf caches it) because extract_text swallows a
        # stream that inflates past pypdf's limit and returns no text for it.
        page.get_contents()
        text = page.extract_text() or ""
        if size < MAX_TEXT_CHARS:
            text = text[: MAX_TEXT_CHARS - size]
            parts.append(text)
            size += len(text)
    return "\n\n".join(part.strip() for part in parts if part.strip())


def pdf_page_count(document: OpenedDocument) -> int:
    """Pages actually in the page tree (after text extraction walked it)."""
    try:
        return len(document._reader.pages)
    except Exception:
        return document.page_count or 0


# -- EPUB ------------------------------------------------------------------------


class _Budget:
    """Decompressed bytes left for one EPUB: every member is read through it."""

    def __init__(self, total: int) -> None:
        self.left = total

    def read(self, archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
        with archive.open(name) as member:
            chunks: list[bytes] = []
            read = 0
            while True:
                chunk = member.read(1024 * 1024)
                if not chunk:
                    break
                read += len(chunk)
                self.left -= len(chunk)
                if read > limit:
                    raise _TooLarge(name, limit)
                if self.left < 0:
                    raise ValueError(f"decompression budget spent: the members decompress past {EPUB_MAX_TOTAL_BYTES} bytes")
                chunks.append(chunk)
            return b"".join(chunks)


class _TooLarge(ValueError):
    def __init__(self, name: str, limit: int) -> None:
        super().__init__(f"member {name} decompresses past {limit} bytes (decompression budget)")
        self.name = name


@dataclass
class _Epub:
    archive: zipfile.ZipFile
    budget: _Budget
    chapters: tuple[str, ...]


def _open_epub(body: bytes, options: DocumentOptions) -> "OpenedDocument | DocumentFailure":
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        return DocumentFailure("document-malformed", f"not a ZIP container: {error}")
    names = archive.namelist()
    if len(names) > EPUB_MAX_MEMBERS:
        return DocumentFailure("document-malformed", f"{len(names)} members in the container; the limit is {EPUB_MAX_MEMBERS}")
    budget = _Budget(EPUB_MAX_TOTAL_BYTES)
    if "META-INF/rights.xml" in names:
        return DocumentFailure("document-encrypted", "META-INF/rights.xml: the EPUB is under DRM")
    if "META-INF/encryption.xml" in names:
        encrypted = _encrypted_members(budget.read(archive, "META-INF/encryption.xml", PACKAGE_MAX_BYTES))
        if any(not re.search(r"\.(?:otf|ttf|woff2?)$", name, re.I) for name in encrypted):
            return DocumentFailure("document-encrypted", f"META-INF/encryption.xml encrypts {len(encrypted)} content file(s), not only fonts")
    if "META-INF/container.xml" not in names:
        return DocumentFailure("document-malformed", "no META-INF/container.xml: not an EPUB")
    package_path = _rootfile(budget.read(archive, "META-INF/container.xml", PACKAGE_MAX_BYTES))
    if package_path is None or package_path not in names:
        return DocumentFailure("document-malformed", f"container.xml names no package document in the archive ({package_path})")
    try:
        package = budget.read(archive, package_path, PACKAGE_MAX_BYTES)
    except _TooLarge:
        return DocumentFailure("document-metadata-too-large", f"package document {package_path} is larger than {PACKAGE_MAX_BYTES} bytes: rights unknown")
    rights = read_epub_package(package)
    if rights.problem == "malformed" and not rights.fields:
        return DocumentFailure("document-malformed", "; ".join(rights.notes) or "package document unreadable")
    chapters = _spine(package, package_path, set(names))
    return OpenedDocument(EPUB, rights, len(chapters), _epub_extractor(), _epub=_Epub(archive, budget, tuple(chapters)))


@lru_cache(maxsize=1)
def _epub_extractor() -> str:
    """Name and version, one word each: the spine's XHTML read with lxml."""
    import lxml

    return f"lxml-epub {lxml.__version__}"


def _xml(data: bytes) -> Any:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, recover=True)
    return etree.fromstring(data, parser)


def _encrypted_members(data: bytes) -> list[str]:
    root = _xml(data)
    if root is None:
        return []
    return [ref.get("URI", "") for ref in root.iter() if isinstance(ref.tag, str) and ref.tag.endswith("CipherReference")]


def _rootfile(data: bytes) -> str | None:
    root = _xml(data)
    if root is None:
        return None
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.endswith("rootfile") and element.get("full-path"):
            return normpath(unquote(element.get("full-path", ""))).lstrip("/")
    return None


def _spine(package: bytes, package_path: str, names: set[str]) -> list[str]:
    """Archive names of the spine's content documents, in reading order."""
    root = _xml(package)
    if root is None:
        return []
    base = dirname(package_path)
    manifest: dict[str, tuple[str, str]] = {}
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.endswith("}item") and element.get("id") and element.get("href"):
            href = normpath(join(base, unquote(element.get("href", "").split("#", 1)[0])))
            manifest[element.get("id", "")] = (href, (element.get("media-type") or "").lower())
    chapters: list[str] = []
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.endswith("itemref"):
            href, media_type = manifest.get(element.get("idref", ""), ("", ""))
            if href in names and ("html" in media_type or href.endswith((".xhtml", ".html", ".htm"))) and href not in chapters:
                chapters.append(href)
    return chapters


_BLOCKS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "tr", "section", "article", "br", "dt", "dd", "figcaption", "caption", "td", "th", "aside"})


def _chapter_text(data: bytes) -> str:
    import lxml.etree
    import lxml.html

    tree = lxml.html.document_fromstring(data, parser=lxml.html.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=False))
    for element in tree.iter("script", "style", "head"):
        element.drop_tree()
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = " ".join(" ".join(current).split())
        if line:
            lines.append(line)
        current.clear()

    for event, element in lxml.etree.iterwalk(tree, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in _BLOCKS:
                flush()
            if element.text:
                current.append(element.text)
        else:
            if tag in _BLOCKS:
                flush()
            if element.tail:
                current.append(element.tail)
    flush()
    return "\n".join(lines)


def _epub_text(epub: _Epub, options: DocumentOptions) -> "str | DocumentFailure":
    if len(epub.chapters) > options.max_pages:
        return DocumentFailure("document-too-many-pages", f"{len(epub.chapters)} content documents in the spine; the cap is {options.max_pages}")
    parts: list[str] = []
    size = 0
    for name in epub.chapters:
        check_deadline()
        try:
            data = epub.budget.read(epub.archive, name, EPUB_MAX_MEMBER_BYTES)
        except _TooLarge as error:
            return DocumentFailure("document-decompression-limit", str(error))
        text = _chapter_text(data) if data.strip() else ""
        if text and size < MAX_TEXT_CHARS:
            text = text[: MAX_TEXT_CHARS - size]
            parts.append(text)
            size += len(text)
    return "\n\n".join(parts)
