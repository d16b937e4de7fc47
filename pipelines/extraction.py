"""From a capture to a document: parse once, judge the page, build its row.

Owns :func:`process_page`, the one function that turns a capture (and what the
rights core knew before the body arrived) into a decision, the links to
follow and the documents row; a PDF or EPUB the crawl takes goes the same way
through :func:`process_document` (its rights metadata read and judged before
its text is extracted, under the per-file time limit and memory cap). It runs in a worker process during a crawl and
in ``tdmcrawl extract`` over WARC files already written, so both give the same
row for the same capture. No Scrapy import.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from crawler import PRODUCT_TOKEN, __version__
from crawler.document import MEDIA_TYPES, DocumentFailure, DocumentOptions, declared_kind, open_document, pdf_page_count, sniff_kind
from crawler.htmltree import LOST_DEPTH
from crawler.model.capture import Capture
from crawler.page import HTML_TYPES, ExtractOptions, count_words, extractor_version, identify_language, parse_page, sniff_media_type
from crawler.rights.licence import LicenceResult
from crawler.rights.policy import STRICT, Decision, PolicyProfile
from crawler.rights.stages import RightsAssessment
from crawler.urls import origin_of, registered_domain, url_fingerprint
from crawler.workers import job_limits
from pipelines.formats.warc import DocumentRecordsJob, build_document_records


@dataclass(frozen=True)
class PageJob:
    capture: Capture
    assessment: RightsAssessment | None  # None when re-extracting: rights come from ``stored_rights``
    profile: PolicyProfile = STRICT
    options: ExtractOptions = ExtractOptions()
    crawl_id: str = ""
    stored_rights: dict[str, Any] | None = None
    warcinfo_ids: tuple[str, str | None] | None = None  # (warc, wet): build the WARC records here, in the same trip
    documents: DocumentOptions = DocumentOptions()  # which PDF / EPUB the crawl takes, and their bounds


@dataclass(frozen=True)
class PageOutcome:
    """``decision`` is None for a page to store. ``row`` is the documents row
    without its WARC location (the writer fills it)."""

    decision: Decision | None
    failure: str | None  # reason code when the page could not be processed (not-html, unparseable)
    links: tuple[str, ...]
    nofollow: bool
    row: dict[str, Any] = field(default_factory=dict)
    identified_type: str = "text/html"
    metadata: tuple[tuple[str, str], ...] = ()  # warc-fields of the metadata record
    link_fingerprints: tuple[int, ...] = ()  # crawler.urls.url_fingerprint of each link, computed here, off the reactor
    records: Any = None  # pipelines.formats.warc.DocumentRecords, when the job carried warcinfo ids
    row_json: str | None = None  # the row as its journal line (without the WARC location), encoded here


def _licence_columns(licence: LicenceResult | None) -> dict[str, Any]:
    if licence is None:
        return {"license": None, "license_source": None, "license_evidence": None, "license_candidates": [], "copyright_notice": None}
    return {
        "license": licence.license,
        "license_source": licence.source,
        "license_evidence": licence.evidence,
        "license_candidates": [
            {
                "spdx": c.spdx,
                "url": c.url,
                "text": c.text,
                "source": c.source,
                "location": c.location,
                "applies_to_page": c.applies_to_page,
                "confidence": c.confidence,
            }
            for c in licence.candidates
        ],
        "copyright_notice": licence.copyright_notice,
    }


def capture_columns(capture: Capture, identified_type: str, crawl_id: str) -> dict[str, Any]:
    origin = origin_of(capture.url)
    return {
        "url": capture.url,
        "fetch_time": capture.fetched_at,
        "fetch_status": capture.status,
        "dump": crawl_id,
        "url_host_name": origin.host,
        "url_host_registered_domain": registered_domain(origin.host),
        "url_port": origin.port,
        "content_mime_type": capture.content_type,
        "content_mime_detected": identified_type,
        "content_length": len(capture.body),
        "content_sha256": hashlib.sha256(capture.body).hexdigest(),
        "content_truncated": capture.truncated,
        "http_protocol": (capture.protocol or "").lower() or None,
        "http_etag": capture.header("ETag"),
        "http_last_modified": capture.header("Last-Modified"),
        "ip_address": capture.ip_address,
        "fetch_redirect_chain": list(capture.redirect_chain),
        "via": capture.via,
        "hops_from_seed": capture.hops,
        "fetch_time_ms": int(capture.download_latency * 1000) if capture.download_latency is not None else None,
        "crawler": f"{PRODUCT_TOKEN}/{__version__}",
    }


def metadata_fields(row: dict[str, Any], capture: Capture, embedded: tuple[tuple[str, str], ...] = ()) -> tuple[tuple[str, str], ...]:
    """The provenance and rights evidence written into the WARC metadata record:
    readable fields first (``embedded``: the rights fields read inside a PDF or
    EPUB, e.g. ``xmp-tdm:reservation``), then the full rights record as one
    JSON line (what ``tdmcrawl extract`` reads back)."""
    fields = [
        ("via", capture.via or ""),
        ("hopsFromSeed", capture.hops),
        ("fetchTimeMs", "" if row.get("fetch_time_ms") is None else str(row["fetch_time_ms"])),
        ("charset-detected", row.get("content_charset") or ""),
        ("languages", json.dumps({"language": row.get("language"), "score": row.get("language_score")})),
        ("robots-txt", f"{row.get('robots_txt_url')} {row.get('robots_txt_digest') or ''} {row.get('robots_txt_status')}".strip()),
        ("robots-rule", row.get("robots_rule") or ""),
        ("tdm-reservation", "" if row.get("tdm_reservation") is None else f"{row['tdm_reservation']} ({row.get('tdm_source')})"),
        ("tdm-policy", row.get("tdm_policy") or ""),
        ("content-usage", row.get("content_usage") or ""),
        ("content-signal", row.get("content_signal") or ""),
        ("x-robots-tag", row.get("x_robots_tag") or ""),
        ("meta-robots", row.get("meta_robots") or ""),
        ("terms-of-service", f"{row.get('tos_url')} {row.get('tos_digest') or ''} {' '.join(row.get('tos_said') or ())}".strip() if row.get("tos_url") else ""),
        ("license-detected", row.get("license") or ""),
        ("license-source", row.get("license_source") or ""),
        ("policy-profile", row.get("policy_profile") or ""),
        ("extractor", f"{row.get('extractor')} {row.get('extractor_options')}"),
        ("text-sha256", row.get("text_sha256") or ""),
        ("content-truncated", row.get("content_truncated") or ""),
        *(("html-parse", note) for note in row.get("parse_notes") or ()),
        ("scrapy-redirect-urls", " ".join(capture.redirect_chain)),
        ("page-count", "" if row.get("page_count") is None else str(row["page_count"])),
        ("no-text-layer", "true" if row.get("no_text_layer") else ""),
        *embedded,
        ("tdmcrawl-rights", json.dumps({k: row.get(k) for k in RIGHTS_COLUMNS}, ensure_ascii=False, default=str)),
    ]
    return tuple((k, v) for k, v in fields if v)


RIGHTS_COLUMNS = (
    "robots_allowed", "robots_rule", "robots_txt_url", "robots_txt_digest", "robots_txt_status", "robots_txt_fetch_time",
    "tdm_reservation", "tdm_source", "tdm_policy", "content_usage", "content_usage_train_ai", "content_signal",
    "x_robots_tag", "meta_robots", "robots_directives", "ai_agent_restrictions", "rsl", "tos_url", "tos_digest", "tos_said", "reservations",
    "usage_train", "usage_tdm", "usage_ai_input", "usage_search", "policy_profile", "rights_evidence",
)


def _not_html(capture: Capture, identified: str) -> PageOutcome:
    return PageOutcome(None, "not-html", (), False, identified_type=identified, row={"evidence": f"Content-Type {capture.content_type}, body looks like {identified}"})


def process_page(job: PageJob) -> PageOutcome:
    capture = job.capture
    if job.documents.kinds:
        kind = sniff_kind(capture.body)
        if kind in job.documents.kinds:
            return process_document(job, kind)
        declared = declared_kind(capture.content_type, capture.url)
        if kind is None and declared in job.documents.kinds and sniff_media_type(capture.body, None) not in HTML_TYPES:
            evidence = f"Content-Type {capture.content_type} announces a {declared.upper()}, but the bytes are not one"
            return PageOutcome(None, "document-malformed", (), False, identified_type=sniff_media_type(capture.body, capture.content_type), row={"evidence": evidence})
    identified = sniff_media_type(capture.body, capture.content_type)
    if identified not in HTML_TYPES:
        # sniff_media_type falls back to the declared type when the bytes say
        # nothing clear, so a non-HTML answer here is what the bytes are.
        return _not_html(capture, identified)
    parsed = parse_page(
        capture.body,
        url=capture.url,
        content_type=capture.header("Content-Type"),
        headers=capture.response_headers,
        options=job.options,
    )
    if job.assessment is not None:
        assessment = job.assessment.with_page(parsed.metas)
        decision = assessment.decide(job.profile)
        rights = assessment.record(job.profile)
        nofollow = assessment.nofollow
    else:
        decision = None
        rights = dict(job.stored_rights or {})
        nofollow = "nofollow" in (rights.get("robots_directives") or []) or "none" in (rights.get("robots_directives") or [])
    links = () if nofollow else parsed.links
    fingerprints = tuple(url_fingerprint(link) for link in links)
    if parsed.parse_error:
        return PageOutcome(None, "unparseable-html", (), nofollow, identified_type=identified, row={"evidence": parsed.parse_error})
    if decision is not None and decision.excluded:
        return PageOutcome(decision, None, links, nofollow, identified_type=identified, link_fingerprints=fingerprints)
    row: dict[str, Any] = capture_columns(capture, identified, job.crawl_id)
    row.update(
        text=parsed.text,
        title=parsed.title,
        content_charset=parsed.charset,
        text_sha256=parsed.text_sha256,
        word_count=parsed.word_count,
        language=parsed.language,
        language_score=parsed.language_score,
        language_declared=parsed.language_declared,
        extractor=extractor_version(job.options.extractor) if parsed.extracted else ("deferred" if not job.options.extract_text else "skipped: page over 5 MB"),
        extractor_options=job.options.as_json(),
        page_count=None,
        no_text_layer=False,
    )
    if parsed.lost and not row["content_truncated"]:
        row["content_truncated"] = LOST_DEPTH  # the body is whole; the parse could not hold all of it
    row["parse_notes"] = [
        *parsed.repairs,
        *([parsed.lost] if parsed.lost else []),
        *(["page over 5 MB: text not extracted"] if job.options.extract_text and not parsed.extracted else []),
    ]
    row.update(_licence_columns(parsed.licence))
    return _stored(job, row, rights, decision, links, nofollow, identified, fingerprints)


def _stored(
    job: PageJob, row: dict[str, Any], rights: dict[str, Any], decision: Decision | None, links: tuple[str, ...], nofollow: bool,
    identified: str, fingerprints: tuple[int, ...], embedded: tuple[tuple[str, str], ...] = (),
) -> PageOutcome:
    """The outcome of a document to store: its rights columns, metadata record
    and (when the job carries warcinfo ids) its WARC and WET records."""
    capture = job.capture
    row.update({k: rights.get(k) for k in RIGHTS_COLUMNS})
    for list_column in ("robots_directives", "ai_agent_restrictions", "reservations"):
        row[list_column] = list(row.get(list_column) or [])
    metadata = metadata_fields(row, capture, embedded)
    records = None
    if job.warcinfo_ids is not None:
        warc_info, wet_info = job.warcinfo_ids
        records = build_document_records(
            DocumentRecordsJob(capture, warc_info, metadata, identified, wet_info if row.get("text") else None, row.get("text") or "", row.get("title"), row.get("language"))
        )
    return PageOutcome(
        decision, None, links, nofollow, row=row, identified_type=identified, metadata=metadata,
        link_fingerprints=fingerprints, records=records, row_json=json.dumps(row, ensure_ascii=False, default=str),
    )


def process_document(job: PageJob, kind: str) -> PageOutcome:
    """A PDF or EPUB: its embedded rights (the last TDMRep carrier) are read and
    judged first; only a document that may be stored has its text extracted.
    A hostile file gives a failure reason, never a crash or a silent drop."""
    capture = job.capture
    options = job.documents
    identified = MEDIA_TYPES[kind]

    def failed(failure: DocumentFailure) -> PageOutcome:
        return PageOutcome(None, failure.reason, (), False, identified_type=identified, row={"evidence": failure.note})

    with job_limits(options.timeout, options.memory):
        opened = open_document(capture.body, kind, options)
        if isinstance(opened, DocumentFailure):
            return failed(opened)
        embedded = opened.rights
        if job.assessment is not None:
            assessment = job.assessment.with_document(embedded.tdm)
            decision: Decision | None = assessment.decide(job.profile)
            rights = assessment.record(job.profile)
            if decision.excluded:
                return PageOutcome(decision, None, (), False, identified_type=identified)
        else:
            decision, rights = None, dict(job.stored_rights or {})
        text = opened.text(options) if job.options.extract_text else ""
        if isinstance(text, DocumentFailure):
            return failed(text)
        pages = pdf_page_count(opened) if kind == "pdf" and job.options.extract_text else opened.page_count
    licence = embedded.licence(capture.url)
    language, score = identify_language(text) if text else (None, None)
    row: dict[str, Any] = capture_columns(capture, identified, job.crawl_id)
    row.update(
        text=text,
        title=embedded.title,
        content_charset=None,
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        word_count=count_words(text),
        language=language,
        language_score=score,
        language_declared=embedded.language,
        extractor=opened.extractor if job.options.extract_text else "deferred",
        extractor_options=job.options.as_json(),
        page_count=pages,
        no_text_layer=job.options.extract_text and not text.strip(),
    )
    row.update(_licence_columns(licence))
    fields = (("document-type", kind), *embedded.fields, ("document-notes", "; ".join(embedded.notes)), ("document-limits", options.as_json()))
    return _stored(job, row, rights, decision, (), False, identified, (), fields)
