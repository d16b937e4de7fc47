"""Croissant 1.1 metadata (``croissant.json``) with the Responsible-AI fields.

Owns the JSON-LD description of an output folder for ML tooling: the dataset
(name, description, licences, creators), its files (a ``FileObject`` with
SHA-256 per artefact of the summary, ``FileSet``s for the Parquet shards),
the ``documents`` and ``decisions`` record sets with one field per column of
``pipelines.formats.schema`` (description and a Croissant data type mapped from the
Arrow type), and the ``rai:`` statements on how the data was collected and
may be used.

Everything comes from the summary ``pipelines.dataset.summary`` computed and from the
pinned schemas; it reads no table and fetches nothing. The ``@context`` is
written inline so that readers (mlcroissant) never need the network.
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
from pathlib import Path
from typing import Any

import pyarrow as pa

from crawler import PRODUCT_TOKEN, __version__
from pipelines.formats.schema import DECISIONS_SCHEMA, DOCUMENTS_SCHEMA, SCHEMA_VERSION, column_descriptions

CROISSANT_FILE = "croissant.json"
CROISSANT_1_1 = "http://mlcommons.org/croissant/1.1"
RAI_NAMESPACE = "http://mlcommons.org/croissant/RAI/"
PROJECT_URL = "https://pypi.org/project/tdmcrawl/"

PARQUET = "application/x-parquet"
WARC = "application/warc"

# The JSON-LD context of Croissant 1.1 documents (schema.org vocabulary, the
# cr: terms, dct:conformsTo and the RAI namespace), inline: nothing to fetch.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/",
    "rai": RAI_NAMESPACE,
    "dct": "http://purl.org/dc/terms/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

TABLES = {"documents": DOCUMENTS_SCHEMA, "decisions": DECISIONS_SCHEMA}
TABLE_DESCRIPTIONS = {
    "documents": "One row per stored page: extracted text, provenance (WARC file and offsets), licence and rights record.",
    "decisions": "One row per URL the crawler considered: stored, excluded or failed, with the reason and its evidence.",
}


# ------------------------------------------------------------------ types
def croissant_type(dtype: pa.DataType) -> str:
    """The Croissant data type of an Arrow scalar type (``sc:Text`` when unsure)."""
    if pa.types.is_boolean(dtype):
        return "sc:Boolean"
    if pa.types.is_integer(dtype):
        return "sc:Integer"
    if pa.types.is_floating(dtype):
        return "sc:Float"
    if pa.types.is_timestamp(dtype):
        return "sc:DateTime"
    if pa.types.is_date(dtype):
        return "sc:Date"
    return "sc:Text"


def _field(record_set: str, column: str, dtype: pa.DataType, description: str, file_set: str, path: tuple[str, ...] = ()) -> dict[str, Any]:
    """A ``cr:Field`` for one column (or one member of a struct column)."""
    name = "/".join((column,) + path)
    field: dict[str, Any] = {
        "@type": "cr:Field",
        "@id": f"{record_set}/{name}",
        "name": name,
        "description": description,
    }
    source: dict[str, Any] = {"fileSet": {"@id": file_set}, "extract": {"column": column}}
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        field["isArray"] = True
        field["arrayShape"] = "-1"
        dtype = dtype.value_type
    if pa.types.is_struct(dtype):
        field["subField"] = [
            _field(record_set, column, member.type, f"{member.name} of each {name} entry", file_set, path + (member.name,))
            for member in dtype
        ]
    else:
        field["dataType"] = croissant_type(dtype)
    if path:
        source["transform"] = {"jsonPath": ".".join(path)}
    field["source"] = source
    return field


def record_set(table: str, schema: pa.Schema, file_set: str) -> dict[str, Any]:
    descriptions = column_descriptions(schema)
    fields = [_field(table, f.name, f.type, descriptions.get(f.name, ""), file_set) for f in schema]
    return {
        "@type": "cr:RecordSet",
        "@id": table,
        "name": table,
        "description": f"{TABLE_DESCRIPTIONS.get(table, table)} Table schema version {SCHEMA_VERSION}.",
        "field": fields,
    }


# ------------------------------------------------------------------ files
def _encoding_format(path: str) -> str:
    if path.endswith(".parquet"):
        return PARQUET
    if path.endswith((".warc.gz", ".warc", ".wet.gz")):  # WET files are WARC files of conversion records
        return WARC
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


def _file_id(path: str) -> str:
    return "file/" + path


def file_objects(summary: dict[str, Any]) -> list[dict[str, Any]]:
    objects = []
    for artefact in summary.get("artefacts") or []:
        path = artefact.get("path")
        if not path or path == CROISSANT_FILE:  # a file cannot carry its own digest
            continue
        encoding = _encoding_format(path)
        entry: dict[str, Any] = {
            "@type": "cr:FileObject",
            "@id": _file_id(path),
            "name": path,
            "contentUrl": path,
            "encodingFormat": encoding,
        }
        if artefact.get("sha256"):
            entry["sha256"] = artefact["sha256"]
        if artefact.get("bytes") is not None:
            entry["contentSize"] = f"{artefact['bytes']} B"
        description = _file_description(path, artefact)
        if description:
            entry["description"] = description
        objects.append(entry)
    return objects


def _file_description(path: str, artefact: dict[str, Any]) -> str:
    if path.startswith("warc/"):
        kind = "WARC 1.1 captures (request, response, metadata records) of the stored pages"
    elif path.startswith("wet/"):
        kind = "WET conversion records with the extracted text"
    elif path.startswith("policy/"):
        kind = "WARC captures of the policy files consulted (robots.txt, tdmrep.json, ai.txt, RSL)"
    elif path.startswith("data/documents/"):
        kind = "documents table shard"
    elif path.startswith("data/decisions/"):
        kind = "decisions table shard"
    elif path.startswith("data/domains/"):
        kind = "per registered domain counts"
    else:
        kind = ""
    count = artefact.get("rows", artefact.get("records"))
    unit = "rows" if "rows" in artefact else "records"
    return f"{kind} ({count} {unit})" if kind and count is not None else kind


def file_sets() -> list[dict[str, Any]]:
    return [
        {
            "@type": "cr:FileSet",
            "@id": f"{table}-parquet-files",
            "name": f"{table}-parquet-files",
            "description": f"The Parquet shards of the {table} table (one per crawl, worker and rotation).",
            "encodingFormat": PARQUET,
            "includes": f"data/{table}/*.parquet",
        }
        for table in TABLES
    ]


# ------------------------------------------------------------------ the document
def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "crawl"


def _creators(summary: dict[str, Any]) -> list[dict[str, Any]]:
    creators = []
    for operator in (summary.get("crawler") or {}).get("operators") or []:
        entry: dict[str, Any] = {"@type": "sc:Organization", "name": operator}
        if operator.startswith(("http://", "https://")):
            entry["url"] = operator
        elif operator.startswith("mailto:") or "@" in operator:
            entry["email"] = operator.removeprefix("mailto:")
        creators.append(entry)
    return creators


def _licences(summary: dict[str, Any]) -> list[Any]:
    """The licences the stored documents carry (SPDX pages), then a statement
    that each document keeps its own: the dataset has no single licence."""
    by_license = ((summary.get("licences") or {}).get("by_license")) or {}
    licences: list[Any] = [
        f"https://spdx.org/licenses/{spdx}.html"
        for spdx in by_license
        if spdx and spdx != "none" and not spdx.startswith("LicenseRef-")
    ]
    listed = ", ".join(f"{k}: {v}" for k, v in by_license.items()) or "no documents stored"
    licences.append(
        {
            "@type": "sc:CreativeWork",
            "name": "per-document licences",
            "description": "Each document keeps the licence declared on its page (field documents/license, with "
            "license_source, license_evidence and license_candidates); documents without one remain under the "
            f"copyright of their owners. Documents per licence: {listed}.",
        }
    )
    return licences


def _timeframe(summary: dict[str, Any]) -> list[str]:
    period = summary.get("collection_period") or {}
    return [moment for moment in (period.get("first_fetch"), period.get("last_fetch")) if moment]


def _collection_text(summary: dict[str, Any]) -> str:
    crawler = summary.get("crawler") or {}
    rights = summary.get("rights") or {}
    honoured = [p["name"] for p in rights.get("protocols") or [] if p.get("effect") == "excludes reserved documents"]
    recorded = [p["name"] for p in rights.get("protocols") or [] if p.get("effect") == "recorded, does not exclude"]
    profiles = ", ".join(p.get("name", "?") for p in summary.get("policy_profiles") or []) or "unknown"
    seeds = summary.get("seeds") or []
    parts = [
        f"Collected by web crawling with {crawler.get('name', PRODUCT_TOKEN)} "
        f"(User-Agent {', '.join(crawler.get('user_agents') or []) or 'not recorded'}), a Scrapy-based research crawler, "
        f"from {len(seeds)} seed URL(s), following links and sitemaps within the allowed domains.",
        f"robots.txt: {rights.get('robots_txt', 'obeyed (RFC 9309)')}.",
        f"Policy profile(s): {profiles}.",
    ]
    if honoured:
        parts.append("Reservations of text and data mining or AI training that exclude a document: " + "; ".join(honoured) + ".")
    if recorded:
        parts.append("Signals recorded but not used to exclude: " + "; ".join(recorded) + ".")
    parts.append(
        "Reserved documents are never stored; every URL considered has a decision with its reason and evidence "
        "(record set decisions). Each stored page keeps its WARC capture, the policy files consulted, the licence "
        "found on the page and its text extracted with trafilatura."
    )
    return " ".join(parts)


def build_croissant(out_dir: Path | str, summary: dict[str, Any]) -> dict[str, Any]:
    """The Croissant 1.1 JSON-LD document for the output folder ``out_dir``."""
    out = Path(out_dir)
    crawl_ids = summary.get("crawl_ids") or []
    counts = summary.get("counts") or {}
    period = summary.get("collection_period") or {}
    name = _slug("-".join(crawl_ids[:3]) if crawl_ids else out.name)
    if not name.startswith(PRODUCT_TOKEN):
        name = f"{PRODUCT_TOKEN}-{name}"
    description = (
        f"Web pages collected by tdmcrawl, a research crawler that fetches only what site owners allow and keeps the "
        f"evidence of why: {counts.get('documents_stored', 0)} documents stored out of "
        f"{counts.get('urls_considered', 0)} URLs considered ({counts.get('urls_excluded', 0)} excluded, "
        f"{counts.get('urls_failed', 0)} failed), crawl(s) {', '.join(crawl_ids) or 'none'}. "
        "Record set documents holds the extracted text with provenance and licence; record set decisions holds every "
        "decision with its evidence. Raw captures are WARC files."
    )
    by_license = ((summary.get("licences") or {}).get("by_license")) or {}
    licence_note = ", ".join(f"{k}: {v}" for k, v in by_license.items()) or "no documents"
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": name,
        "description": description,
        "conformsTo": CROISSANT_1_1,
        "url": summary.get("dataset_url") or PROJECT_URL,
        "creator": _creators(summary),
        "license": _licences(summary),
        "keywords": ["web crawl", "text and data mining", "opt-out respecting", "WARC", "provenance", "TDMRep", "robots.txt"],
        "inLanguage": sorted(l for l in summary.get("languages") or {} if l != "unknown"),
        "distribution": file_objects(summary) + file_sets(),
        "recordSet": [record_set(table, schema, f"{table}-parquet-files") for table, schema in TABLES.items()],
        "rai:dataCollection": _collection_text(summary),
        "rai:dataCollectionType": ["Web Scraping"],
        "rai:dataCollectionTimeframe": _timeframe(summary),
        "rai:dataCollectionRawData": "The raw HTTP exchanges are kept as WARC 1.1 request, response and metadata records "
        "(warc/), the robots.txt, tdmrep.json, ai.txt and RSL files consulted as WARC captures (policy/).",
        "rai:dataCollectionMissingData": "URLs that were excluded by a reservation, not HTML, or failed to fetch have no "
        "document; their decisions say why. Pages beyond the crawl's depth, page and domain limits were not considered.",
        "rai:dataPreprocessingProtocol": [
            "Main text extracted from HTML with trafilatura (name, version and options in the extractor and "
            "extractor_options fields); language identified with py3langid.",
            "Licences detected from " + ((summary.get("licences") or {}).get("detection") or "the page markup and headers") + ".",
            "No deduplication, quality or toxicity filtering is applied; text_sha256 allows exact deduplication.",
        ],
        "rai:dataBiases": [
            "Sites that reserve text and data mining or AI training, or that block crawlers in robots.txt, are absent, "
            "so the content leans toward sites that publish openly; domains and languages follow the seeds chosen."
        ],
        "rai:personalSensitiveInformation": [
            "Web text may contain personal data (names, contact details, opinions, images of people). "
            "No personally identifiable information was detected, filtered or anonymised by this crawl unless a later "
            "processing step states otherwise."
        ],
        "rai:dataLimitations": [
            "Only pages whose owners did not reserve text and data mining or AI training in a machine-readable way, "
            "and that robots.txt allowed, are included, so sites that opt out are absent and the sample is not "
            "representative of the web.",
            f"Licences are as declared on each page: {licence_note}. 'none' means no licence was found and the usual "
            "copyright applies; a detected licence is a declaration, not a verified grant.",
            "Rights signals are a snapshot at fetch time"
            + (f" ({period.get('first_fetch')} to {period.get('last_fetch')})" if period.get("first_fetch") else "")
            + "; owners may change them later.",
        ],
        "rai:dataUseCases": [
            "Research on web text, text and data mining and language-model training within the licences and "
            "reservations recorded per document.",
            "Auditing and studying opt-out and licence signals on the web (record set decisions).",
        ],
        "rai:dataReleaseMaintenancePlan": "Rights holders can check what this dataset holds about their URLs or domain "
        "with `tdmcrawl lookup`. Removal requests go to the crawl operator; they are applied with `tdmcrawl remove`, "
        "which writes a new version of the dataset without those rows and records the removal (without naming the "
        "removed URLs) in the summary. Re-crawls with --previous mark pages whose rights now exclude them as withdrawn.",
        "citeAs": f"tdmcrawl {__version__} web crawl {', '.join(crawl_ids) or name}",
    }
    for key in ("inLanguage", "rai:dataCollectionTimeframe", "creator"):
        if not document[key]:
            del document[key]  # an empty list says nothing; absent says it plainly
    if period.get("last_fetch"):
        document["dateCreated"] = period["last_fetch"]
    if summary.get("generated_at"):
        # This version of the dataset exists from when its summary was written.
        document["datePublished"] = summary["generated_at"]
        document["dateModified"] = summary["generated_at"]
    if summary.get("purpose"):
        document["rai:dataUseCases"].insert(0, "Stated purpose of the crawl: " + "; ".join(summary["purpose"]) + ".")
    return document


def write_croissant(out_dir: Path | str, summary: dict[str, Any]) -> Path:
    """Write ``out_dir/croissant.json`` (atomically) and return its path."""
    out = Path(out_dir)
    path = out / CROISSANT_FILE
    text = json.dumps(build_croissant(out, summary), indent=2, ensure_ascii=False) + "\n"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
