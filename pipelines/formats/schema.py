"""The pinned Arrow schemas of the output tables, with a description per column.

Owns the column names, types and meanings of ``documents`` and ``decisions``
(the contract the README, the dataset card and Croissant describe). Names
follow FineWeb and the Common Crawl columnar index where they have the
concept. Every shard of a table is written with exactly this schema so the Hub
viewer and ``datasets`` see one schema.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "1.1"  # 1.1: page_count, no_text_layer (PDF and EPUB documents)

TIMESTAMP = pa.timestamp("us", tz="UTC")

LICENCE_CANDIDATE = pa.struct(
    [
        ("spdx", pa.string()),
        ("url", pa.string()),
        ("text", pa.string()),
        ("source", pa.string()),
        ("location", pa.string()),
        ("applies_to_page", pa.bool_()),
        ("confidence", pa.string()),
    ]
)

_DOCUMENT_COLUMNS: list[tuple[str, pa.DataType, bool, str]] = [
    # name, type, nullable, description
    ("id", pa.string(), False, "WARC-Record-ID of the response record holding the page"),
    ("url", pa.string(), False, "URL fetched (WARC-Target-URI of the response)"),
    ("text", pa.string(), False, "main text: trafilatura for HTML, pypdf for PDF, the spine's XHTML for EPUB (empty for a PDF without a text layer)"),
    ("title", pa.string(), True, "page title"),
    ("date", pa.string(), False, "WARC-Date of the capture (ISO 8601, UTC)"),
    ("fetch_time", TIMESTAMP, False, "when the request was sent"),
    ("fetch_status", pa.int16(), False, "HTTP status"),
    ("dump", pa.string(), False, "crawl id (warcinfo isPartOf)"),
    ("file_path", pa.string(), False, "WARC file holding the response, relative to the dataset root"),
    ("warc_record_offset", pa.int64(), False, "byte offset of the response record's gzip member in file_path"),
    ("warc_record_length", pa.int64(), False, "compressed length of the response record"),
    ("warc_request_id", pa.string(), False, "WARC-Record-ID of the request record"),
    ("warc_metadata_id", pa.string(), False, "WARC-Record-ID of the metadata record (provenance and rights evidence)"),
    ("warc_metadata_offset", pa.int64(), False, "byte offset of the metadata record in file_path"),
    ("warcinfo_id", pa.string(), False, "WARC-Record-ID of the warcinfo record of file_path"),
    ("wet_file_path", pa.string(), True, "WET file holding the extracted text as a conversion record"),
    ("wet_record_offset", pa.int64(), True, "byte offset of the conversion record in wet_file_path"),
    ("warc_conversion_id", pa.string(), True, "WARC-Record-ID of the conversion record"),
    ("url_host_name", pa.string(), False, "host of the URL"),
    ("url_host_registered_domain", pa.string(), False, "registered domain (public suffix + 1) of the host"),
    ("url_port", pa.int32(), False, "port of the URL"),
    ("content_mime_type", pa.string(), True, "media type declared in Content-Type (text/html, application/pdf, application/epub+zip, …)"),
    ("content_mime_detected", pa.string(), False, "media type identified from the body (WARC-Identified-Payload-Type)"),
    ("content_charset", pa.string(), True, "character encoding used to decode the page"),
    ("content_length", pa.int64(), False, "bytes of the stored (decoded) body"),
    ("content_digest", pa.string(), False, "SHA-1 of the body, Base32 (WARC-Payload-Digest without its label)"),
    ("content_sha256", pa.string(), False, "SHA-256 of the body, hex"),
    ("content_truncated", pa.string(), True, "WARC-Truncated reason when the body was cut, or parse-depth when the body is whole "
     "but nested deeper than the parser holds (the rest of the page was not read)"),
    ("parse_notes", pa.list_(pa.string()), False, "what the HTML parse did so that nothing is lost (content after </html>, deep nesting), and what it still could not keep"),
    ("http_protocol", pa.string(), True, "protocol of the fetch (http/1.1, h2)"),
    ("http_etag", pa.string(), True, "ETag the server sent (used for conditional requests when the URL is crawled again)"),
    ("http_last_modified", pa.string(), True, "Last-Modified the server sent"),
    ("ip_address", pa.string(), True, "server address"),
    ("fetch_redirect_chain", pa.list_(pa.string()), False, "URLs redirected from, in order"),
    ("via", pa.string(), True, "page the link was found on (null for a seed)"),
    ("hops_from_seed", pa.string(), False, "hop path from the seed: L link, R redirect, X sitemap (Heritrix style)"),
    ("fetch_time_ms", pa.int32(), True, "download latency in milliseconds"),
    ("text_sha256", pa.string(), False, "SHA-256 of the extracted text (exact-duplicate key)"),
    ("word_count", pa.int32(), False, "words in text (Unicode word characters)"),
    ("language", pa.string(), True, "language of text (ISO 639-1, py3langid)"),
    ("language_score", pa.float32(), True, "language identification probability"),
    ("language_declared", pa.string(), True, "language declared by the page (html lang / Content-Language)"),
    ("extractor", pa.string(), False, "text extractor name and version"),
    ("extractor_options", pa.string(), False, "text extractor options (JSON)"),
    ("page_count", pa.int32(), True, "pages of a PDF, content documents in an EPUB's spine; null for HTML"),
    ("no_text_layer", pa.bool_(), True, "true when a PDF or EPUB holds no extractable text (a scan): stored with an empty text"),
    ("license", pa.string(), True, "licence of the page as an SPDX id (LicenseRef-… where SPDX has none); null when none or ambiguous"),
    ("license_source", pa.string(), True, "where the chosen licence was declared (link-rel, a-rel, rdfa, jsonld, dcterms, http-link, …; xmp-cc-license, pdf-info, epub-license, …)"),
    ("license_evidence", pa.string(), True, "why this licence was chosen"),
    ("license_candidates", pa.list_(LICENCE_CANDIDATE), False, "every licence declaration found on the page"),
    ("copyright_notice", pa.string(), True, "copyright statement found (e.g. 'All rights reserved')"),
    ("robots_allowed", pa.bool_(), False, "robots.txt allowed the fetch for our product token"),
    ("robots_rule", pa.string(), True, "the robots.txt rule that decided (line: directive pattern), null when none matched"),
    ("robots_txt_url", pa.string(), True, "robots.txt consulted"),
    ("robots_txt_digest", pa.string(), True, "WARC payload digest (sha1:<Base32>, with its label) of the robots.txt body used; its capture is in policy/"),
    ("robots_txt_status", pa.string(), True, "how robots.txt was obtained (ok, unavailable-4xx, …)"),
    ("robots_txt_fetch_time", TIMESTAMP, True, "when that robots.txt was fetched"),
    ("tdm_reservation", pa.int8(), True, "W3C TDMRep tdm-reservation after precedence (1, 0, null unset)"),
    ("tdm_source", pa.string(), True, "carrier of the TDMRep value (file, header, meta, pdf: XMP of the PDF, epub: its package metadata)"),
    ("tdm_policy", pa.string(), True, "TDMRep tdm-policy URL"),
    ("content_usage", pa.string(), True, "IETF AI preferences Content-Usage seen (robots.txt rule and header, raw)"),
    ("content_usage_train_ai", pa.string(), False, "combined train-ai preference: allow, deny, unknown"),
    ("content_signal", pa.string(), True, "robots.txt Content-Signal seen (raw)"),
    ("x_robots_tag", pa.string(), True, "X-Robots-Tag header values (raw, all instances)"),
    ("meta_robots", pa.string(), True, "meta robots values (raw)"),
    ("robots_directives", pa.list_(pa.string()), False, "robots directives that apply to us (noindex, nofollow, noarchive, …)"),
    ("ai_agent_restrictions", pa.list_(pa.string()), False, "AI-training crawlers whose robots.txt group disallows this URL"),
    ("rsl", pa.string(), True, "RSL licence terms that matched this URL"),
    ("tos_url", pa.string(), True, "the site's terms of service as fetched (null when none was found); archived in policy/"),
    ("tos_digest", pa.string(), True, "WARC payload digest (sha1:<Base32>) of that terms page's capture in policy/"),
    ("tos_said", pa.list_(pa.string()), False, "what the terms state: tdm (a TDM reservation), ai-training (AI training forbidden), scraping (automated collection forbidden)"),
    ("reservations", pa.list_(pa.string()), False, "reservations seen but not honoured by the profile (research-exception)"),
    ("usage_train", pa.string(), False, "combined verdict of all signals for AI training"),
    ("usage_tdm", pa.string(), False, "combined verdict for text and data mining"),
    ("usage_ai_input", pa.string(), False, "combined verdict for AI input (RAG, grounding)"),
    ("usage_search", pa.string(), False, "combined verdict for search"),
    ("policy_profile", pa.string(), False, "policy profile the decision was made under"),
    ("rights_evidence", pa.string(), False, "every finding of every signal (JSON list)"),
    ("crawler", pa.string(), False, "crawler name and version"),
]

_DECISION_COLUMNS: list[tuple[str, pa.DataType, bool, str]] = [
    ("url", pa.string(), False, "URL the crawler considered"),
    ("final_url", pa.string(), True, "last URL of the redirect chain, when different"),
    ("decision", pa.string(), False, "stored, excluded, failed (later: unchanged, withdrawn)"),
    ("reason", pa.string(), True, "why (null when stored whole; truncated-… when stored with part of the page cut); starts with its family: robots…, tdmrep…, noai…, http-…"),
    ("reason_family", pa.string(), True, "family of reason"),
    ("evidence", pa.string(), True, "what was seen: the rule, header or file (one line)"),
    ("evidence_json", pa.string(), False, "all evidence as a JSON list"),
    ("decided_at", TIMESTAMP, False, "when the decision was made"),
    ("stage", pa.string(), False, "request (before fetching), headers (body not downloaded), page (after parsing), fetch"),
    ("fetch_status", pa.int16(), True, "HTTP status when a response was received"),
    ("url_host_name", pa.string(), False, "host of the URL"),
    ("url_host_registered_domain", pa.string(), False, "registered domain of the host"),
    ("depth", pa.int16(), False, "link depth from the seed"),
    ("via", pa.string(), True, "page the link was found on"),
    ("document_id", pa.string(), True, "id of the stored document (documents.id)"),
    ("policy_digests", pa.list_(pa.string()), False, "payload digests of the policy files consulted (robots.txt, tdmrep.json, ai.txt, RSL, terms of service) in policy/"),
    ("tos_url", pa.string(), True, "the site's terms of service as fetched (null when none was found or not yet known); archived in policy/"),
    ("tos_digest", pa.string(), True, "WARC payload digest of that terms page's capture in policy/"),
    ("reservations", pa.list_(pa.string()), False, "reservations seen but not honoured by the profile"),
    ("policy_profile", pa.string(), False, "policy profile"),
    ("dump", pa.string(), False, "crawl id"),
]


def _schema(columns: list[tuple[str, pa.DataType, bool, str]], table: str) -> pa.Schema:
    fields = [
        pa.field(name, dtype, nullable=nullable, metadata={"description": description})
        for name, dtype, nullable, description in columns
    ]
    return pa.schema(fields, metadata={"tdmcrawl.table": table, "tdmcrawl.schema_version": SCHEMA_VERSION})


DOCUMENTS_SCHEMA = _schema(_DOCUMENT_COLUMNS, "documents")
DECISIONS_SCHEMA = _schema(_DECISION_COLUMNS, "decisions")


def column_descriptions(schema: pa.Schema) -> dict[str, str]:
    return {f.name: (f.metadata or {}).get(b"description", b"").decode("utf-8") for f in schema}


# data/removals: one row per `tdmcrawl remove` (the selector as JSON in `scope`).
REMOVALS_SCHEMA = pa.schema(
    [("removed_at", pa.string()), ("reason", pa.string()), ("scope", pa.string()), ("documents", pa.int64()), ("decisions", pa.int64())]
)


# The audit's decisions (`tdmcrawl audit`): the crawl's columns, and the input row each decision belongs to.
_AUDIT_COLUMNS = [
    ("input_file", pa.string(), False, "the input file the URL was read from (as given, or relative to the input folder)"),
    ("input_row", pa.int64(), False, "0-based position of the row in input_file (the line number for a text file): join back on (input_file, input_row)"),
    ("input_id", pa.string(), True, "the row's id column in the input, when it has one"),
    ("headers_read", pa.bool_(), False, "the URL's response headers were read (--with-headers) and judged"),
    ("license", pa.string(), True, "licence the URL's Link: rel=license header declares, as an SPDX id (with --with-headers; null when none)"),
]


def _audit_schema() -> pa.Schema:
    fields = []
    for field in DECISIONS_SCHEMA:
        if field.name == "decision":
            field = field.with_metadata({"description": "allowed (no signal an audit can see reserves it) or excluded"})
        elif field.name == "stage":
            field = field.with_metadata({"description": "request (decided from policy files) or headers (decided from the URL's response headers)"})
        fields.append(field)
    fields += [pa.field(name, dtype, nullable=nullable, metadata={"description": desc}) for name, dtype, nullable, desc in _AUDIT_COLUMNS]
    return pa.schema(fields, metadata={"tdmcrawl.table": "audit-decisions", "tdmcrawl.schema_version": "1.0"})


AUDIT_DECISIONS_SCHEMA = _audit_schema()
