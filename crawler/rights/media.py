"""Rights metadata embedded in media files: IPTC ``plus:DataMining`` (XMP) and
the C2PA / CAWG ``training-mining`` assertion.

Owns finding these two signals in the bytes of an image (or any file that
carries them) and turning them into ``media`` findings. Reads at most
:data:`MEDIA_SCAN_LIMIT_BYTES` of a body, and a bounded number of JUMBF
description boxes and assertions per body. Must not import Scrapy, do I/O, verify
C2PA signatures or raise on any input: malformed data gives no finding.

XMP: the packet ``<x:xmpmeta …>…</x:xmpmeta>`` (or a bare ``<rdf:RDF>``) is
looked for anywhere in the bytes, which covers JPEG APP1, PNG iTXt, TIFF and
WebP alike; ``plus:DataMining`` is read in attribute form, element text, or
``rdf:resource`` form.

C2PA: the manifest store is a JUMBF (ISO/IEC 19566-5) box tree. Every box is
``LBox`` (4 bytes, big-endian, the whole box length; 1 = an 8-byte ``XLBox``
follows; 0 = to the end) then ``TBox`` (4 ASCII bytes) then the payload. A
superbox ``jumb`` holds first a description box ``jumd`` (a 16-byte content
type UUID, one toggles byte, then, when toggle bit 0x02 is set, a
NUL-terminated UTF-8 label) and then its content boxes. An assertion is a
``jumb`` whose label is ``c2pa.training-mining`` or ``cawg.training-mining``
(optionally with an ``__N`` instance suffix) whose content box is ``cbor`` (or
``json``) holding ``{"entries": {"<prefix>.ai_training": {"use": "notAllowed"}, …}}``.
The store is found in JPEG APP11 segments (JPEG XT ``JP`` header, the box split
over segments is put back together), in a PNG ``caBX`` chunk, or anywhere in
the bytes (a sidecar ``.c2pa`` file, BMFF boxes) by scanning for ``jumd``.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass

from lxml import etree

from .evidence import Evidence, Finding, FindingKind, Usage, Use

MEDIA_SCAN_LIMIT_BYTES = 8 * 1024 * 1024
XMP_PACKET_LIMIT_BYTES = 1024 * 1024
PLUS_NAMESPACE = "http://ns.useplus.org/ldf/xmp/1.0/"
_RDF_NAMESPACE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

# IPTC / PLUS data-mining values that reserve AI training and TDM. The SEE*
# values ("prohibited, see other constraints") prohibit by default and leave
# any exception to free text we cannot read, so they reserve too.
_DMI_PROHIBITED = (
    "DMI-PROHIBITED-AIMLTRAINING",
    "DMI-PROHIBITED-GENAIMLTRAINING",
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
    "DMI-PROHIBITED",
)
_DMI_PROHIBITED_SEE = "DMI-PROHIBITED-SEE"

# c2pa.training-mining (C2PA 1.x) or cawg.training-mining (CAWG), with an
# optional version (".v2") and instance ("__1") suffix.
_TRAINING_MINING_LABEL = re.compile(r"(?:c2pa|cawg)\.training-mining(?:\.v\d{1,3})?(?:__\d{1,6})?")
_TRAINING_KEYS = ("ai_generative_training", "ai_training", "data_mining")
_INFERENCE_KEYS = ("ai_inference",)

# Work bounds per body, shared by every region scanned (a JPEG's APP11 stores,
# a PNG's caBX chunks, then the raw bytes): description boxes looked at, and
# assertions decoded. Each decode may read up to CBOR_MAX_ITEMS items and the
# content boxes of decoy assertions can overlap, so without a per-body bound an
# 8 MB body of overlapping decoys costs tens of seconds. Real stores carry one
# or two training-mining assertions.
_MAX_JUMD_SCANNED = 16_384
_MAX_ASSERTIONS_DECODED = 64
_MAX_APP11_SEGMENTS = 4096
_MAX_PNG_CHUNKS = 10_000
_MAX_ASSERTION_BYTES = 1024 * 1024


def media_findings(body: bytes, *, content_type: str | None, source: str) -> list[Finding]:
    """Findings from the rights metadata embedded in a media file. Never raises."""
    try:
        data = bytes(body[:MEDIA_SCAN_LIMIT_BYTES])
    except Exception:
        return []
    if _is_text(content_type, data):
        return []
    found: list[Finding] = []
    for finder in (_xmp_findings, _c2pa_findings):
        try:
            found.extend(finder(data, source, len(body) > MEDIA_SCAN_LIMIT_BYTES))
        except Exception:  # a parser of outside input never raises; malformed gives nothing
            continue
    return found


def _is_text(content_type: str | None, data: bytes) -> bool:
    """HTML and text pages are not media: a page that merely quotes an XMP
    packet must not be read as carrying one."""
    if content_type:
        main = content_type.split(";", 1)[0].strip().lower()
        if main.startswith("text/") or "html" in main:
            return True
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html"))


# -- XMP / IPTC ------------------------------------------------------------------

_XMP_STARTS = (b"<x:xmpmeta", b"<x:xapmeta")
_XMP_ENDS = (b"</x:xmpmeta>", b"</x:xapmeta>")
_RDF_START, _RDF_END = b"<rdf:RDF", b"</rdf:RDF>"
# Fallback for a packet that is not well-formed XML: bounded, no nested repeats.
_DATAMINING_TEXT = re.compile(
    rb"DataMining(?:\s*=\s*[\"']|[^>]{0,200}?rdf:resource\s*=\s*[\"']|\s*>)\s*([^\"'<>]{1,300})"
)


def _xmp_packets(data: bytes) -> list[bytes]:
    packets: list[bytes] = []
    position = 0
    while len(packets) < 8:
        starts = [(data.find(s, position), i) for i, s in enumerate(_XMP_STARTS)]
        starts = [(p, i) for p, i in starts if p >= 0]
        if not starts:
            break
        start, which = min(starts)
        end = data.find(_XMP_ENDS[which], start)
        if end < 0:
            end = min(len(data), start + XMP_PACKET_LIMIT_BYTES) - len(_XMP_ENDS[which])
        packets.append(data[start : min(end + len(_XMP_ENDS[which]), start + XMP_PACKET_LIMIT_BYTES)])
        position = max(end, start + 1)
    if not packets:
        start = data.find(_RDF_START)
        if start >= 0:
            end = data.find(_RDF_END, start)
            end = len(data) if end < 0 else end + len(_RDF_END)
            packets.append(data[start : min(end, start + XMP_PACKET_LIMIT_BYTES)])
    return packets


def _xmp_values(packet: bytes) -> tuple[list[str], str]:
    """The ``plus:DataMining`` values in a packet, and how they were read."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, recover=False)
    try:
        root = etree.fromstring(packet, parser)
    except (etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        values = [m.group(1).decode("utf-8", "replace").strip() for m in _DATAMINING_TEXT.finditer(packet[:XMP_PACKET_LIMIT_BYTES])]
        return values[:16], "malformed XMP packet: DataMining read as text"
    values: list[str] = []
    attribute = f"{{{PLUS_NAMESPACE}}}DataMining"
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if attribute in element.attrib:
            values.append(element.attrib[attribute].strip())
        if element.tag == attribute:
            resource = element.get(f"{{{_RDF_NAMESPACE}}}resource")
            if resource:
                values.append(resource.strip())
            text = " ".join(t.strip() for t in element.itertext() if t.strip())
            if text:
                values.append(text)
        if len(values) >= 16:
            break
    return values, "XMP packet"


def _dmi_code(value: str) -> str:
    return value.rstrip("/").rsplit("/", 1)[-1].strip().upper()


def _xmp_findings(data: bytes, source: str, truncated: bool) -> list[Finding]:
    evidence: list[Evidence] = []
    for packet in _xmp_packets(data):
        values, how = _xmp_values(packet)
        for value in values:
            code = _dmi_code(value)
            if code in _DMI_PROHIBITED or code.startswith(_DMI_PROHIBITED_SEE):
                note = f"IPTC plus:DataMining in {how}"
                if code.startswith(_DMI_PROHIBITED_SEE):
                    note += "; exceptions only in other constraints, read as prohibited"
                if truncated:
                    note += f"; first {MEDIA_SCAN_LIMIT_BYTES} bytes scanned"
                evidence.append(Evidence("media", source, value, note=note))
    if not evidence:
        return []
    return [
        Finding(
            "media",
            "media-iptc-data-mining",
            FindingKind.USE,
            True,
            Usage(train=Use.DENY, tdm=Use.DENY),
            tuple(evidence[:8]),
        )
    ]


# -- C2PA / CAWG -------------------------------------------------------------------


def _jpeg_app11_stores(data: bytes) -> list[bytes]:
    """JUMBF boxes carried in JPEG APP11 segments, reassembled per box instance."""
    if not data.startswith(b"\xff\xd8"):
        return []
    parts: dict[int, list[tuple[int, bytes]]] = {}
    i, n, segments = 2, len(data), 0
    while i + 4 <= n and segments < _MAX_APP11_SEGMENTS:
        if data[i] != 0xFF:
            break
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: metadata is over
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if length < 2:
            break
        payload = data[i + 4 : i + 2 + length]
        segments += 1
        if marker == 0xEB and len(payload) >= 16 and payload[:2] == b"JP":
            instance = struct.unpack(">H", payload[2:4])[0]
            sequence = struct.unpack(">I", payload[4:8])[0]
            parts.setdefault(instance, []).append((sequence, payload[8:]))
        i += 2 + length
    stores = []
    for pieces in parts.values():
        pieces.sort(key=lambda p: p[0])
        first = pieces[0][1]
        header = 16 if first[:4] == b"\x00\x00\x00\x01" else 8
        # Every later segment repeats the box header (LBox + TBox [+ XLBox]).
        stores.append(first + b"".join(p[header:] for _, p in pieces[1:]))
    return stores


def _png_cabx_stores(data: bytes) -> list[bytes]:
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return []
    stores = []
    i, n, chunks = 8, len(data), 0
    while i + 8 <= n and chunks < _MAX_PNG_CHUNKS:
        length = struct.unpack(">I", data[i : i + 4])[0]
        kind = data[i + 4 : i + 8]
        if kind == b"caBX":
            stores.append(data[i + 8 : i + 8 + length])
        if kind == b"IEND":
            break
        i += 12 + length
        chunks += 1
    return stores


def _box_at(region: bytes, start: int, end: int) -> tuple[bytes, int, int] | None:
    """(type, payload start, box end) of the box at ``start``, or None."""
    if start + 8 > end:
        return None
    size = struct.unpack(">I", region[start : start + 4])[0]
    kind = region[start + 4 : start + 8]
    header = 8
    if size == 1:
        if start + 16 > end:
            return None
        size = struct.unpack(">Q", region[start + 8 : start + 16])[0]
        header = 16
    elif size == 0:
        size = end - start
    if size < header or start + size > end:
        return None
    return kind, start + header, start + size


@dataclass
class _ScanBudget:
    """What is left of the per-body work bounds (mutable: shared across regions)."""

    descriptions: int = _MAX_JUMD_SCANNED
    decodes: int = _MAX_ASSERTIONS_DECODED


@dataclass(frozen=True)
class _Assertion:
    label: str
    payload_kind: str
    value: object


def _assertions(region: bytes, budget: _ScanBudget) -> list[_Assertion]:
    """Training-mining assertions found by scanning a region for ``jumd`` boxes."""
    found: list[_Assertion] = []
    position = 0
    while budget.descriptions > 0 and budget.decodes > 0:
        at = region.find(b"jumd", position)
        if at < 0:
            break
        budget.descriptions -= 1
        position = at + 4
        description = _box_at(region, at - 4, len(region)) if at >= 4 else None
        if description is None or description[0] != b"jumd":
            continue
        _, payload, description_end = description
        if payload + 17 > description_end or not region[payload + 16] & 0x02:
            continue
        label_end = region.find(b"\x00", payload + 17, min(description_end, payload + 17 + 256))
        if label_end < 0:
            continue
        label = region[payload + 17 : label_end].decode("utf-8", "replace")
        if not _TRAINING_MINING_LABEL.fullmatch(label):
            continue
        # The superbox starts 8 bytes before its description box.
        superbox = _box_at(region, at - 12, len(region)) if at >= 12 else None
        superbox_end = superbox[2] if superbox is not None and superbox[0] == b"jumb" else len(region)
        box_start, boxes = description_end, 0
        while boxes < 16:
            box = _box_at(region, box_start, superbox_end)
            if box is None:
                break
            kind, content_start, box_end = box
            if box_end - content_start <= _MAX_ASSERTION_BYTES and kind in (b"cbor", b"json"):
                content = region[content_start:box_end]
                budget.decodes -= 1
                if kind == b"cbor":
                    value, ok = decode_cbor(content)
                else:
                    try:
                        value, ok = json.loads(content.decode("utf-8")), True
                    except (ValueError, UnicodeDecodeError, RecursionError):
                        value, ok = None, False
                if ok:
                    found.append(_Assertion(label, kind.decode("ascii"), value))
                break
            box_start, boxes = box_end, boxes + 1
    return found


def _c2pa_findings(data: bytes, source: str, truncated: bool) -> list[Finding]:
    regions = _jpeg_app11_stores(data) + _png_cabx_stores(data) + [data]
    seen: set[tuple[str, str, str]] = set()
    training: list[Evidence] = []
    inference: list[Evidence] = []
    data_mining = False
    budget = _ScanBudget()
    for region in regions:
        for assertion in _assertions(region, budget):
            entries = assertion.value.get("entries") if isinstance(assertion.value, dict) else None
            if not isinstance(entries, dict):
                continue
            for key, entry in entries.items():
                use = entry.get("use") if isinstance(entry, dict) else None
                if not isinstance(key, str) or not isinstance(use, str) or use.lower() != "notallowed":
                    continue
                item = (assertion.label, key, "notAllowed")
                if item in seen:  # the same store is seen in its container and in the raw scan
                    continue
                seen.add(item)
                note = f"{assertion.payload_kind} assertion in a JUMBF box (signature not verified)"
                if truncated:
                    note += f"; first {MEDIA_SCAN_LIMIT_BYTES} bytes scanned"
                evidence = Evidence("media", source, f"{assertion.label}: {key} use=notAllowed", note=note)
                if key.endswith(_TRAINING_KEYS):
                    training.append(evidence)
                    data_mining = data_mining or key.endswith("data_mining")
                elif key.endswith(_INFERENCE_KEYS):
                    inference.append(evidence)
    if not training and not inference:
        return []
    usage = Usage(
        train=Use.DENY if training else Use.UNKNOWN,
        tdm=Use.DENY if data_mining else Use.UNKNOWN,
        ai_input=Use.DENY if inference else Use.UNKNOWN,
    )
    if training:
        return [Finding("media", "media-c2pa-training-mining", FindingKind.USE, True, usage, tuple((training + inference)[:8]))]
    return [Finding("media", "media-c2pa-ai-inference", FindingKind.USE, False, usage, tuple(inference[:8]))]


# -- CBOR (RFC 8949), the subset C2PA assertions use --------------------------------

CBOR_MAX_DEPTH = 32
CBOR_MAX_ITEMS = 20_000


class _CborError(Exception):
    pass


class _CborReader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0
        self.items = 0

    def _take(self, count: int) -> bytes:
        if count < 0 or self.at + count > len(self.data):
            raise _CborError("truncated")
        chunk = self.data[self.at : self.at + count]
        self.at += count
        return chunk

    def _argument(self, info: int) -> int | None:
        if info < 24:
            return info
        if info == 24:
            return self._take(1)[0]
        if info == 25:
            return struct.unpack(">H", self._take(2))[0]
        if info == 26:
            return struct.unpack(">I", self._take(4))[0]
        if info == 27:
            return struct.unpack(">Q", self._take(8))[0]
        if info == 31:
            return None  # indefinite length
        raise _CborError("reserved additional information")

    def _count(self) -> None:
        self.items += 1
        if self.items > CBOR_MAX_ITEMS:
            raise _CborError("too many items")

    def _at_break(self) -> bool:
        if self.at >= len(self.data):
            raise _CborError("truncated")
        if self.data[self.at] == 0xFF:
            self.at += 1
            return True
        return False

    def item(self, depth: int = 0) -> object:
        if depth > CBOR_MAX_DEPTH:
            raise _CborError("too deep")
        self._count()
        initial = self._take(1)[0]
        major, info = initial >> 5, initial & 0x1F
        if major == 7:
            return self._simple(info)
        argument = self._argument(info)
        if major == 0:
            return argument if argument is not None else self._fail("indefinite integer")
        if major == 1:
            return -1 - argument if argument is not None else self._fail("indefinite integer")
        if major in (2, 3):
            if argument is None:
                chunks = []
                while not self._at_break():
                    chunk = self.item(depth + 1)
                    if not isinstance(chunk, (bytes, str)):
                        raise _CborError("bad string chunk")
                    chunks.append(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
                raw = b"".join(chunks)
            else:
                raw = self._take(argument)
            return raw if major == 2 else raw.decode("utf-8", "replace")
        if major == 4:
            out = []
            if argument is None:
                while not self._at_break():
                    out.append(self.item(depth + 1))
            else:
                if argument > len(self.data) - self.at:
                    raise _CborError("array longer than the data")
                for _ in range(argument):
                    out.append(self.item(depth + 1))
            return out
        if major == 5:
            mapping: dict[object, object] = {}
            if argument is not None and argument * 2 > len(self.data) - self.at:
                raise _CborError("map longer than the data")
            index = 0
            while (argument is None and not self._at_break()) or (argument is not None and index < argument):
                key = self.item(depth + 1)
                value = self.item(depth + 1)
                mapping[_hashable(key)] = value
                index += 1
            return mapping
        # major 6: a tag; the tagged value is what matters here.
        return self.item(depth + 1)

    def _simple(self, info: int) -> object:
        if info == 20:
            return False
        if info == 21:
            return True
        if info in (22, 23):
            return None
        if info == 24:
            self._take(1)
            return None
        if info == 25:
            return _half_float(self._take(2))
        if info == 26:
            return struct.unpack(">f", self._take(4))[0]
        if info == 27:
            return struct.unpack(">d", self._take(8))[0]
        if info < 20:
            return None  # unassigned simple values
        raise _CborError("unexpected break or reserved simple value")

    @staticmethod
    def _fail(why: str) -> object:
        raise _CborError(why)


def _half_float(raw: bytes) -> float:
    half = struct.unpack(">H", raw)[0]
    exponent, mantissa = (half >> 10) & 0x1F, half & 0x3FF
    sign = -1.0 if half & 0x8000 else 1.0
    if exponent == 0:
        return sign * mantissa * 2.0**-24
    if exponent == 31:
        return sign * float("inf") if mantissa == 0 else float("nan")
    return sign * (1 + mantissa / 1024) * 2.0 ** (exponent - 15)


def _hashable(value: object) -> object:
    try:
        hash(value)
        return value
    except TypeError:
        return repr(value)[:200]


def decode_cbor(data: bytes) -> tuple[object, bool]:
    """Decode one CBOR item: ``(value, True)``, or ``(None, False)`` when the
    bytes are malformed or exceed the depth / item limits. Never raises."""
    reader = _CborReader(bytes(data))
    try:
        return reader.item(), True
    except (_CborError, struct.error, RecursionError, OverflowError, ValueError, MemoryError):
        return None, False
