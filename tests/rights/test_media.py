"""Embedded media rights: IPTC plus:DataMining (case 49), C2PA / CAWG
training-mining (case 50), and the bounded CBOR decoder."""

from __future__ import annotations

import struct
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.rights import media
from crawler.rights.evidence import FindingKind, Usage, Use
from crawler.rights.media import MEDIA_SCAN_LIMIT_BYTES, decode_cbor, media_findings

SOURCE = "https://ex.com/a.jpg"
PLUS = "http://ns.useplus.org/ldf/vocab/"


# -- builders ----------------------------------------------------------------------


def cbor(value) -> bytes:
    """A minimal CBOR encoder for the tests (definite lengths only)."""

    def head(major: int, n: int) -> bytes:
        if n < 24:
            return bytes([major << 5 | n])
        if n < 256:
            return bytes([major << 5 | 24, n])
        if n < 65536:
            return bytes([major << 5 | 25]) + struct.pack(">H", n)
        return bytes([major << 5 | 26]) + struct.pack(">I", n)

    if value is False:
        return b"\xf4"
    if value is True:
        return b"\xf5"
    if value is None:
        return b"\xf6"
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, bytes):
        return head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode()
        return head(3, len(raw)) + raw
    if isinstance(value, list):
        return head(4, len(value)) + b"".join(cbor(v) for v in value)
    if isinstance(value, dict):
        return head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(value)


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


CBOR_UUID = bytes.fromhex("63626F7200110010800000AA00389B71")
JUMB_UUID = bytes.fromhex("6332706100110010800000AA00389B71")


def superbox(label: str, *children: bytes, uuid: bytes = JUMB_UUID) -> bytes:
    description = box(b"jumd", uuid + bytes([0x03]) + label.encode() + b"\x00")
    return box(b"jumb", description + b"".join(children))


def training_mining(label: str, entries: dict) -> bytes:
    return superbox(label, box(b"cbor", cbor({"entries": entries})), uuid=CBOR_UUID)


def manifest_store(*assertions: bytes) -> bytes:
    """c2pa store > manifest > c2pa.assertions > assertion superboxes."""
    assertion_store = superbox("c2pa.assertions", *assertions)
    manifest = superbox("urn:uuid:00000000-0000-0000-0000-000000000001", assertion_store)
    return superbox("c2pa", manifest)


def jpeg_with(*segments: tuple[int, bytes]) -> bytes:
    out = b"\xff\xd8"
    for marker, payload in segments:
        out += bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload
    return out + b"\xff\xda\x00\x02" + b"\x00" * 64 + b"\xff\xd9"


def app11_segments(store: bytes, chunk: int) -> list[tuple[int, bytes]]:
    """JPEG XT: "JP", box instance 1, sequence number, then the box; every
    segment after the first repeats the box's LBox + TBox."""
    header, body = store[:8], store[8:]
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)]
    segments = []
    for n, piece in enumerate(pieces, start=1):
        segments.append((0xEB, b"JP" + struct.pack(">HI", 1, n) + header + piece))
    return segments


def png_with(*chunks: tuple[bytes, bytes]) -> bytes:
    out = b"\x89PNG\r\n\x1a\n"
    for kind, data in ((b"IHDR", b"\x00" * 13), *chunks, (b"IDAT", b"\x00" * 8), (b"IEND", b"")):
        out += struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return out


def xmp(description_attrs: str = "", body: str = "") -> bytes:
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" {description_attrs}>'
        f"{body}</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def jpeg_xmp(packet: bytes) -> bytes:
    return jpeg_with((0xE0, b"JFIF\x00\x01\x01"), (0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet))


def reasons(findings) -> list[str]:
    return [f.reason for f in findings]


# -- case 49: IPTC plus:DataMining ---------------------------------------------------


def test_case_49_jpeg_xmp_dmi_prohibited_aimltraining():
    body = jpeg_xmp(xmp(f'plus:DataMining="{PLUS}DMI-PROHIBITED-AIMLTRAINING"'))
    findings = media_findings(body, content_type="image/jpeg", source=SOURCE)
    assert len(findings) == 1
    f = findings[0]
    assert (f.signal, f.reason, f.kind, f.restrictive) == ("media", "media-iptc-data-mining", FindingKind.USE, True)
    assert f.usage == Usage(train=Use.DENY, tdm=Use.DENY)
    assert f.evidence[0].value == f"{PLUS}DMI-PROHIBITED-AIMLTRAINING"
    assert f.evidence[0].source == SOURCE


def test_case_49_every_prohibiting_value_and_form():
    for code in ("DMI-PROHIBITED-GENAIMLTRAINING", "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING", "DMI-PROHIBITED",
                 "DMI-PROHIBITED-SEECONSTRAINT"):
        forms = (
            xmp(f'plus:DataMining="{PLUS}{code}"'),
            xmp(body=f"<plus:DataMining>{PLUS}{code}</plus:DataMining>"),
            xmp(body=f'<plus:DataMining rdf:resource="{PLUS}{code}"/>'),
        )
        for packet in forms:
            assert reasons(media_findings(jpeg_xmp(packet), content_type="image/jpeg", source=SOURCE)) == [
                "media-iptc-data-mining"
            ], (code, packet)


def test_case_49_allowed_and_unspecified_give_nothing():
    for code in ("DMI-ALLOWED", "DMI-UNSPECIFIED"):
        body = jpeg_xmp(xmp(f'plus:DataMining="{PLUS}{code}"'))
        assert media_findings(body, content_type="image/jpeg", source=SOURCE) == []


def test_case_49_png_itxt_xmp():
    packet = xmp(f'plus:DataMining="{PLUS}DMI-PROHIBITED"')
    body = png_with((b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + packet))
    assert reasons(media_findings(body, content_type="image/png", source=SOURCE)) == ["media-iptc-data-mining"]


def test_case_49_malformed_packet_read_as_text():
    packet = (
        b'<x:xmpmeta><rdf:Description plus:DataMining="' + PLUS.encode() + b'DMI-PROHIBITED-AIMLTRAINING">'
    )  # undeclared prefixes, never closed
    findings = media_findings(jpeg_xmp(packet), content_type=None, source=SOURCE)
    assert reasons(findings) == ["media-iptc-data-mining"]
    assert "malformed" in findings[0].evidence[0].note


def test_case_49_other_namespace_datamining_is_not_iptc():
    body = jpeg_xmp(xmp(body='<x:DataMining xmlns:x="urn:other">DMI-PROHIBITED</x:DataMining>'))
    assert media_findings(body, content_type="image/jpeg", source=SOURCE) == []


def test_html_page_quoting_a_packet_is_not_media():
    packet = xmp(f'plus:DataMining="{PLUS}DMI-PROHIBITED"')
    assert media_findings(packet, content_type="text/html; charset=utf-8", source=SOURCE) == []
    assert media_findings(b"<!DOCTYPE html><p>" + packet, content_type=None, source=SOURCE) == []
    assert reasons(media_findings(packet, content_type="application/rdf+xml", source=SOURCE)) == ["media-iptc-data-mining"]


def test_scan_is_bounded():
    packet = xmp(f'plus:DataMining="{PLUS}DMI-PROHIBITED"')
    late = b"\x00" * MEDIA_SCAN_LIMIT_BYTES + packet
    assert media_findings(late, content_type="image/tiff", source=SOURCE) == []
    early = b"\x00" * 1000 + packet + b"\x00" * MEDIA_SCAN_LIMIT_BYTES
    findings = media_findings(early, content_type="image/tiff", source=SOURCE)
    assert reasons(findings) == ["media-iptc-data-mining"]
    assert "bytes scanned" in findings[0].evidence[0].note


# -- case 50: C2PA / CAWG training-mining -----------------------------------------------


def test_case_50_cawg_label_is_read():
    store = manifest_store(training_mining("cawg.training-mining", {"cawg.ai_generative_training": {"use": "notAllowed"}}))
    body = jpeg_with(*app11_segments(store, 60_000))
    findings = media_findings(body, content_type="image/jpeg", source=SOURCE)
    assert len(findings) == 1
    f = findings[0]
    assert (f.signal, f.reason, f.kind, f.restrictive) == ("media", "media-c2pa-training-mining", FindingKind.USE, True)
    assert f.usage.train is Use.DENY
    assert f.evidence[0].value == "cawg.training-mining: cawg.ai_generative_training use=notAllowed"


def test_case_50_c2pa_label_with_every_training_key():
    entries = {
        "c2pa.ai_generative_training": {"use": "allowed"},
        "c2pa.ai_training": {"use": "notAllowed"},
        "c2pa.data_mining": {"use": "notAllowed"},
        "c2pa.ai_inference": {"use": "notAllowed"},
    }
    body = jpeg_with(*app11_segments(manifest_store(training_mining("c2pa.training-mining", entries)), 60_000))
    [f] = media_findings(body, content_type="image/jpeg", source=SOURCE)
    assert f.usage == Usage(train=Use.DENY, tdm=Use.DENY, ai_input=Use.DENY)
    assert {e.value for e in f.evidence} == {
        "c2pa.training-mining: c2pa.ai_training use=notAllowed",
        "c2pa.training-mining: c2pa.data_mining use=notAllowed",
        "c2pa.training-mining: c2pa.ai_inference use=notAllowed",
    }


def test_case_50_allowed_or_constrained_gives_nothing():
    entries = {
        "cawg.ai_generative_training": {"use": "allowed"},
        "cawg.ai_training": {"use": "constrained", "constraint_info": "ask"},
    }
    body = jpeg_with(*app11_segments(manifest_store(training_mining("cawg.training-mining", entries)), 60_000))
    assert media_findings(body, content_type="image/jpeg", source=SOURCE) == []


def test_case_50_other_assertion_labels_are_ignored():
    entries = {"cawg.ai_training": {"use": "notAllowed"}}
    body = manifest_store(training_mining("c2pa.actions", entries))
    assert media_findings(body, content_type="application/c2pa", source=SOURCE) == []


def test_case_50_inference_only_is_not_a_training_reservation():
    entries = {"cawg.ai_inference": {"use": "notAllowed"}}
    body = manifest_store(training_mining("cawg.training-mining__1", entries))
    [f] = media_findings(body, content_type="application/c2pa", source=SOURCE)
    assert (f.reason, f.restrictive) == ("media-c2pa-ai-inference", False)
    assert f.usage == Usage(ai_input=Use.DENY)


def test_case_50_store_split_across_app11_segments(monkeypatch):
    filler = superbox("c2pa.thumbnail.claim.jpeg", box(b"bidb", b"\x00" * 3000))
    store = manifest_store(filler, training_mining("cawg.training-mining", {"cawg.ai_training": {"use": "notAllowed"}}))
    # cut the first segment in the middle of the assertion's cbor box
    chunk = store.find(b"cbor") - 8 + 6
    segments = app11_segments(store, chunk)
    assert len(segments) == 2
    body = jpeg_with(*segments)
    [f] = media_findings(body, content_type="image/jpeg", source=SOURCE)
    assert f.reason == "media-c2pa-training-mining"
    assert len(f.evidence) == 1  # found once, not once per place it was looked for
    # without putting the segments back together the assertion is unreadable
    monkeypatch.setattr(media, "_jpeg_app11_stores", lambda data: [])
    assert media_findings(body, content_type="image/jpeg", source=SOURCE) == []


def test_case_50_png_cabx_chunk():
    store = manifest_store(training_mining("cawg.training-mining", {"cawg.data_mining": {"use": "notAllowed"}}))
    body = png_with((b"caBX", store))
    [f] = media_findings(body, content_type="image/png", source=SOURCE)
    assert f.usage == Usage(train=Use.DENY, tdm=Use.DENY)


def test_case_50_json_assertion_box():
    description = box(b"jumd", CBOR_UUID + b"\x03cawg.training-mining\x00")
    body = box(b"jumb", description + box(b"json", b'{"entries": {"cawg.ai_training": {"use": "notAllowed"}}}'))
    assert reasons(media_findings(body, content_type=None, source=SOURCE)) == ["media-c2pa-training-mining"]


def test_case_50_truncated_or_corrupt_store_gives_nothing():
    store = manifest_store(training_mining("cawg.training-mining", {"cawg.ai_training": {"use": "notAllowed"}}))
    cut = store[: len(store) - 10]
    assert media_findings(cut, content_type="application/c2pa", source=SOURCE) == []
    corrupt = store.replace(b"cbor", b"cbxr")
    assert media_findings(corrupt, content_type="application/c2pa", source=SOURCE) == []


def test_both_xmp_and_c2pa():
    store = manifest_store(training_mining("cawg.training-mining", {"cawg.ai_training": {"use": "notAllowed"}}))
    body = jpeg_with(
        (0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp(f'plus:DataMining="{PLUS}DMI-PROHIBITED"')),
        *app11_segments(store, 60_000),
    )
    assert reasons(media_findings(body, content_type="image/jpeg", source=SOURCE)) == [
        "media-iptc-data-mining",
        "media-c2pa-training-mining",
    ]


def test_plain_image_gives_nothing():
    assert media_findings(jpeg_with((0xE0, b"JFIF\x00")), content_type="image/jpeg", source=SOURCE) == []
    assert media_findings(png_with(), content_type="image/png", source=SOURCE) == []
    assert media_findings(b"", content_type=None, source=SOURCE) == []


# -- CBOR ----------------------------------------------------------------------------


def test_cbor_round_trip():
    value = {"entries": {"a": {"use": "notAllowed"}}, "n": [0, 23, 24, 255, 256, 70000, -1, -500], "b": b"\x00\x01",
             "t": True, "f": False, "z": None}
    assert decode_cbor(cbor(value)) == (value, True)


def test_cbor_indefinite_lengths_tags_and_floats():
    # {_ "a": [_ 1, 2], "s": (_ "ab" "c")} with a tag (0xc0) and a half float 1.5
    data = b"\xbf\x61a\x9f\x01\x02\xff\x61s\x7f\x62ab\x61c\xff\x61h\xc0\xf9\x3e\x00\xff"
    assert decode_cbor(data) == ({"a": [1, 2], "s": "abc", "h": 1.5}, True)


def test_cbor_malformed_inputs():
    assert decode_cbor(b"") == (None, False)
    assert decode_cbor(b"\x78\x10abc") == (None, False)  # text longer than the data
    assert decode_cbor(b"\x9b" + b"\xff" * 8) == (None, False)  # 2**64 - 1 items claimed
    assert decode_cbor(b"\xbb" + b"\x7f" * 8) == (None, False)
    assert decode_cbor(b"\x81" * 100 + b"\x00") == (None, False)  # deeper than the limit
    assert decode_cbor(b"\x81" * 10 + b"\x00")[1] is True
    assert decode_cbor(b"\xff") == (None, False)  # a stray break
    assert decode_cbor(b"\x1c") == (None, False)  # reserved additional information
    assert decode_cbor(b"\x9f\x01") == (None, False)  # unterminated indefinite array


def test_cbor_unhashable_keys_do_not_raise():
    value, ok = decode_cbor(b"\xa1\x81\x01\x02")  # {[1]: 2}
    assert ok and list(value.values()) == [2]


# -- properties ------------------------------------------------------------------------

_prefixes = st.sampled_from([b"", b"\xff\xd8", b"\xff\xd8\xff\xeb", b"\x89PNG\r\n\x1a\n", b"jumb", b"jumd", b"<x:xmpmeta"])


@settings(max_examples=200, deadline=None)
@given(_prefixes, st.binary(max_size=800), st.sampled_from([None, "image/jpeg", "image/png", "text/html", ""]))
def test_property_media_never_raises(prefix, rest, content_type):
    findings = media_findings(prefix + rest, content_type=content_type, source=SOURCE)
    assert isinstance(findings, list)
    assert all(f.signal == "media" for f in findings)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.integers(min_value=0, max_value=400))
def test_property_mutated_store_never_raises(noise, at):
    store = bytearray(manifest_store(training_mining("cawg.training-mining", {"cawg.ai_training": {"use": "notAllowed"}})))
    at = min(at, len(store))
    mutated = bytes(store[:at]) + noise + bytes(store[at:])
    for body in (mutated, jpeg_with(*app11_segments(mutated, 100)), png_with((b"caBX", mutated))):
        assert isinstance(media_findings(body, content_type=None, source=SOURCE), list)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_property_cbor_never_raises(data):
    value, ok = decode_cbor(data)
    assert isinstance(ok, bool)
    assert ok or value is None
