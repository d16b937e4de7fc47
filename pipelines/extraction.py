"""From a capture to a document: parse once, judge the page, build its row.

Owns :func:`process_page`, the one function that turns a capture (and what the
rights core knew before the body arrived) into a decision, the links to
follow and the documents row. It runs in a worker process during a crawl and
in ``tdmcrawl extract`` over WARC files already written, so both give the same
row for the same capture. No Scrapy import.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from crawler import PRODUCT_TOKEN, __version__
from crawler.model.capture import Capture
from crawler.page import HTML_TYPES, ExtractOptions, ParsedPage, extractor_version, parse_page, sniff_media_type
from crawler.rights.policy import STRICT, Decision, PolicyProfile
from crawler.rights.stages import RightsAssessment
from crawler.urls import origin_of, registered_domain, url_fingerprint
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


def _licence_columns(parsed: ParsedPage) -> dict[str, Any]:
    licence = parsed.licence
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


def metadata_fields(row: dict[str, Any], capture: Capture) -> tuple[tuple[str, str], ...]:
    """The provenance and rights evidence written into the WARC metadata record:
    readable fields first, then the full rights record as one JSON line (what
    ``tdmcrawl extract`` reads back)."""
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
        ("license-detected", row.get("license") or ""),
        ("license-source", row.get("license_source") or ""),
        ("policy-profile", row.get("policy_profile") or ""),
        ("extractor", f"{row.get('extractor')} {row.get('extractor_options')}"),
        ("text-sha256", row.get("text_sha256") or ""),
        ("scrapy-redirect-urls", " ".join(capture.redirect_chain)),
        ("tdmcrawl-rights", json.dumps({k: row.get(k) for k in RIGHTS_COLUMNS}, ensure_ascii=False, default=str)),
    ]
    return tuple((k, v) for k, v in fields if v)


RIGHTS_COLUMNS = (
    "robots_allowed", "robots_rule", "robots_txt_url", "robots_txt_digest", "robots_txt_status", "robots_txt_fetch_time",
    "tdm_reservation", "tdm_source", "tdm_policy", "content_usage", "content_usage_train_ai", "content_signal",
    "x_robots_tag", "meta_robots", "robots_directives", "ai_agent_restrictions", "rsl", "reservations",
    "usage_train", "usage_tdm", "usage_ai_input", "usage_search", "policy_profile", "rights_evidence",
)


def _not_html(capture: Capture, identified: str) -> PageOutcome:
    return PageOutcome(None, "not-html", (), False, identified_type=identified, row={"evidence": f"Content-Type {capture.content_type}, body looks like {identified}"})


def process_page(job: PageJob) -> PageOutcome:
    capture = job.capture
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
    )
    row.update(_licence_columns(parsed))
    row.update({k: rights.get(k) for k in RIGHTS_COLUMNS})
    for list_column in ("robots_directives", "ai_agent_restrictions", "reservations"):
        row[list_column] = list(row.get(list_column) or [])
    metadata = metadata_fields(row, capture)
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


