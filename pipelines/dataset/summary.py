"""The crawl-level data summary, computed from the output tables.

Owns ``summary.json`` (schema below, versioned), ``summary.md``, the charts,
``data/domains/domains.parquet`` and the dataset card ``README.md``. Everything
is computed from the Parquet tables and the run manifests in ``runs/``, so
the summary of a folder holding several crawls or the shards of several
workers is the same whatever machine wrote them. ``pipelines.summary_extension.SummaryExtension`` runs it
when a crawl ends; ``tdmcrawl summary DIR`` runs it on any output folder.

The fields answer the EU AI Act public training-content summary template
(sections 2.3 and 3.1) for crawled data: crawler names, purpose, behaviour
(robots.txt and each opt-out protocol), collection period, content and
sources, modality and the top 10 % of domains by stored content size.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from crawler import PRODUCT_TOKEN, __version__
from crawler.rights.policy import reason_family
from crawler.urls import origin_of
from pipelines.dataset.croissant import write_croissant
from pipelines.dataset.removals import removed_url_matcher
from pipelines.dataset.version import card_configs, dataset_version
from pipelines.formats.cdxj import sync_indexes
from pipelines.formats.schema import DECISIONS_SCHEMA, DOCUMENTS_SCHEMA, REMOVALS_SCHEMA, column_descriptions
from pipelines.dataset.terms import decision_terms_rows, render_terms_markdown, terms_section

logger = logging.getLogger(__name__)

SUMMARY_SCHEMA = "tdmcrawl-summary/1.0"
# content_mime_detected -> the document type a crawl is asked for (--documents)
DOCUMENT_KINDS = {"text/html": "html", "application/xhtml+xml": "html", "application/pdf": "pdf", "application/epub+zip": "epub"}
_KIND_NAMES = {"html": "HTML pages", "pdf": "PDF documents", "epub": "EPUB publications", "other": "other"}


def _kind_order(kind: str) -> tuple[int, str]:
    order = list(_KIND_NAMES)
    return (order.index(kind) if kind in order else len(order), kind)


def document_types_sentence(summary: dict[str, Any]) -> str:
    """``Document types collected: HTML pages (12), PDF documents (3).``"""
    types = summary.get("document_types") or {}
    by_type = types.get("by_type") or {}
    parts = [f"{_KIND_NAMES.get(kind, kind)} ({by_type.get(kind, 0)})" for kind in types.get("collected") or ["html"]]
    return "Document types collected: " + ", ".join(parts) + "."
TOP_ORIGINS = 15
RUNS_DIR = "runs"
DOCUMENT_SUMMARY_COLUMNS = [
    "url", "fetch_time", "fetch_status", "dump", "url_host_name", "url_host_registered_domain", "content_length",
    "content_mime_detected", "word_count", "language", "license", "policy_profile", "reservations",
]

# Hub licence identifiers for SPDX ids (the Hub uses lowercase ids of its own).
HUB_LICENCES = {
    "CC-BY-4.0": "cc-by-4.0", "CC-BY-SA-4.0": "cc-by-sa-4.0", "CC-BY-NC-4.0": "cc-by-nc-4.0",
    "CC-BY-NC-SA-4.0": "cc-by-nc-sa-4.0", "CC-BY-ND-4.0": "cc-by-nd-4.0", "CC-BY-NC-ND-4.0": "cc-by-nc-nd-4.0",
    "CC-BY-3.0": "cc-by-3.0", "CC-BY-SA-3.0": "cc-by-sa-3.0", "CC-BY-NC-3.0": "cc-by-nc-3.0",
    "CC-BY-NC-SA-3.0": "cc-by-nc-sa-3.0", "CC-BY-NC-ND-3.0": "cc-by-nc-nd-3.0", "CC-BY-2.0": "cc-by-2.0",
    "CC-BY-2.5": "cc-by-2.5", "CC0-1.0": "cc0-1.0", "MIT": "mit", "Apache-2.0": "apache-2.0",
    "GPL-3.0-only": "gpl-3.0", "GPL-2.0-only": "gpl-2.0", "LGPL-2.1-only": "lgpl-2.1", "GFDL-1.3-only": "gfdl",
    "ODbL-1.0": "odbl", "ODC-By-1.0": "odc-by", "PDDL-1.0": "pddl",
}

RIGHTS_PROTOCOLS = [
    ("robots", "robots.txt (RFC 9309)", "fetch", "Obeyed for the product token; 4xx = allow all, 5xx/429/network error = fetch nothing and retry, then exclude; cached at most 24 h; 500 KiB "
        "parse limit; Crawl-delay and Request-rate applied."),
    ("ai-agent", "robots.txt groups for AI-training crawlers", "use",
        "A Disallow for a known AI-training crawler (GPTBot, CCBot, ClaudeBot, Google-Extended, ...) on a path is read as a training reservation for that path."),
    ("tdmrep", "W3C TDMRep", "use", "/.well-known/tdmrep.json (first matching entry), tdm-reservation/tdm-policy headers and HTML meta, with the spec's precedence; absence never resets."),
    ("content-usage", "IETF AI preferences (Content-Usage)", "use",
        "robots.txt Content-Usage rules (path-specific) and the Content-Usage header, parsed as RFC 9651 dictionaries, combined most restrictive; train-ai=n reserves."),
    ("content-signal", "Content Signals (robots.txt Content-Signal)", "use", "ai-train=no reserves."),
    ("disallow-ai-training", "robots.txt DisallowAITraining", "use",
     "DisallowAITraining / AllowAITraining rules of the groups that apply to us, longest match: a matching DisallowAITraining reserves the path."),
    ("x-robots-tag", "X-Robots-Tag noai / noimageai / noml", "use", "All header instances; values scoped to another agent are not applied."),
    ("meta-robots", "meta robots noai / noimageai / noml", "use", "<meta name=robots> and <meta name=tdmcrawl>."),
    ("ai-txt", "Spawning ai.txt", "use", "Disallow rules matching the URL reserve it."),
    ("rsl", "Really Simple Licensing (RSL)", "use",
     "robots.txt License: documents; a licence server means the URL is not fetched; free and attribution are conditions met; "
     "ai-train prohibited, granted only against payment, or granted by no licence reserves."),
    ("media", "Embedded media metadata (IPTC, C2PA/CAWG)", "use", "Data-mining prohibitions in image metadata reserve the asset."),
    ("tos", "Terms of service: TDM and AI-training reservations", "use",
     "Each origin's terms (rel=terms-of-service, a link named or pathed as terms in seven languages, common paths) are fetched "
     "before its pages, archived in policy/ and read sentence by sentence; a sentence reserving text and data mining or "
     "forbidding AI training reserves the whole site."),
    ("tos-scraping", "Terms of service: general bans on automated collection", "use",
     "A sentence forbidding scraping, crawling or robots in general is recorded on every row of the site; it excludes only "
     "under a profile that honours it (conservative)."),
]


# ------------------------------------------------------------------ reading
def _files(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.glob("*.parquet") if not p.name.startswith((".", "_")))


def read_columns(folder: Path, schema: pa.Schema, columns: list[str]) -> pa.Table:
    files = _files(folder)
    if not files:
        return schema.empty_table().select(columns)
    tables = [pq.read_table(f, columns=columns) for f in files]
    return pa.concat_tables(tables, promote_options="default")


def load_runs(out: Path) -> list[dict[str, Any]]:
    runs = []
    for path in sorted((out / RUNS_DIR).glob("*.json")):
        try:
            runs.append(json.loads(path.read_text("utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            logger.warning("skipping unreadable run manifest %s: %s", path, exc)
    return runs


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _month(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%m/%Y") if epoch is not None else None


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


# ------------------------------------------------------------------ artefacts
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _warc_records(path: Path) -> int | None:
    from warcio.archiveiterator import ArchiveIterator

    try:
        with open(path, "rb") as handle:
            return sum(1 for _ in ArchiveIterator(handle, no_record_parse=True))
    except Exception:
        return None


def artefacts(out: Path) -> list[dict[str, Any]]:
    found = []
    for sub, pattern in (("warc", "*.warc.gz"), ("wet", "*.warc.wet.gz"), ("policy", "*.warc.gz"), ("data/documents", "*.parquet"), ("data/decisions", "*.parquet"), ("data/domains", "*.parquet")):
        for path in sorted((out / sub).glob(pattern)):
            if path.name.startswith("."):
                continue
            entry: dict[str, Any] = {"path": path.relative_to(out).as_posix(), "bytes": path.stat().st_size, "sha256": _sha256(path)}
            if path.suffix == ".parquet":
                entry["rows"] = pq.ParquetFile(path).metadata.num_rows
            else:
                entry["records"] = _warc_records(path)
            found.append(entry)
    return found


# ------------------------------------------------------------------ the summary
def compute_summary(out: Path) -> tuple[dict[str, Any], pa.Table]:
    """(summary, per-domain table) from the tables and run manifests in ``out``."""
    out = Path(out)
    documents = read_columns(out / "data" / "documents", DOCUMENTS_SCHEMA, DOCUMENT_SUMMARY_COLUMNS)
    decisions = read_columns(
        out / "data" / "decisions",
        DECISIONS_SCHEMA,
        ["url", "decision", "reason", "reason_family", "fetch_status", "decided_at", "url_host_registered_domain", "policy_profile", "dump", "reservations", "document_id", "evidence"],
    )
    runs = load_runs(out)
    docs = documents.to_pydict()
    decs = decisions.to_pydict()

    decision_counts = Counter(decs["decision"])
    reasons = Counter(r for r, d in zip(decs["reason"], decs["decision"]) if d == "excluded" and r)
    failures = Counter(r for r, d in zip(decs["reason"], decs["decision"]) if d == "failed" and r)
    families = Counter(reason_family(r) for r in reasons.elements())
    status_counts = Counter(str(s) for s in decs["fetch_status"] if s is not None)
    reservations_recorded = Counter(r for rs in decs["reservations"] for r in (rs or []))

    stamps = [_epoch(t) for t in docs["fetch_time"] if t is not None] + [_epoch(t) for t in decs["decided_at"] if t is not None]
    run_starts = [r.get("started_at") for r in runs if r.get("started_at")]
    run_ends = [r.get("finished_at") for r in runs if r.get("finished_at")]
    first = min(stamps + run_starts) if (stamps or run_starts) else None
    last = max(stamps + run_ends) if (stamps or run_ends) else None

    licences = Counter(l or "none" for l in docs["license"])
    stored = len(docs["url"])
    languages = Counter(l or "unknown" for l in docs["language"])
    content_types = Counter(t or "unknown" for t in docs["content_mime_detected"])
    documents_by_type = Counter(DOCUMENT_KINDS.get(t or "", "other") for t in docs["content_mime_detected"])
    types_asked = sorted({kind for run in runs for kind in (run.get("document_types") or ["html"])} | set(documents_by_type) - {"other"}, key=_kind_order)

    # per registered domain
    per_domain: dict[str, dict[str, Any]] = defaultdict(lambda: {"documents": 0, "bytes": 0, "words": 0, "urls_considered": 0, "urls_excluded": 0, "urls_failed": 0, "excluded_by_reason": Counter()})
    for domain, size, words in zip(docs["url_host_registered_domain"], docs["content_length"], docs["word_count"]):
        entry = per_domain[domain or ""]
        entry["documents"] += 1
        entry["bytes"] += int(size or 0)
        entry["words"] += int(words or 0)
    for domain, decision, reason in zip(decs["url_host_registered_domain"], decs["decision"], decs["reason"]):
        entry = per_domain[domain or ""]
        entry["urls_considered"] += 1
        if decision == "excluded":
            entry["urls_excluded"] += 1
            entry["excluded_by_reason"][reason or "unknown"] += 1
        elif decision == "failed":
            entry["urls_failed"] += 1
    ranked = sorted(per_domain.items(), key=lambda kv: (-kv[1]["bytes"], -kv[1]["documents"], kv[0]))
    with_content = [kv for kv in ranked if kv[1]["bytes"] > 0]
    top_n = max(1, math.ceil(len(with_content) * 0.10)) if with_content else 0
    domain_rows = [
        {
            "registered_domain": name,
            "documents": v["documents"],
            "bytes": v["bytes"],
            "words": v["words"],
            "urls_considered": v["urls_considered"],
            "urls_excluded": v["urls_excluded"],
            "urls_failed": v["urls_failed"],
            "excluded_by_reason": json.dumps(dict(v["excluded_by_reason"]), sort_keys=True),
        }
        for name, v in ranked
    ]
    domain_table = pa.Table.from_pylist(domain_rows, schema=DOMAINS_SCHEMA)

    # Origins (scheme://host:port) tell sites apart where registered domains cannot:
    # several ports of one host, or one large domain with many subdomains.
    per_origin: dict[str, dict[str, int]] = defaultdict(lambda: {"documents": 0, "bytes": 0})
    for url, size in zip(docs["url"], docs["content_length"]):
        entry = per_origin[str(origin_of(url))]
        entry["documents"] += 1
        entry["bytes"] += int(size or 0)
    top_origins = [
        {"origin": name, **v} for name, v in sorted(per_origin.items(), key=lambda kv: (-kv[1]["bytes"], kv[0]))[:TOP_ORIGINS]
    ]

    seeds: list[str] = []
    user_agents: list[str] = []
    software: dict[str, str] = {}
    profiles: dict[str, Any] = {}
    scopes = []
    requests_sent = 0
    response_bytes = 0
    links_out_of_scope = 0
    for run in runs:
        seeds.extend(run.get("seeds") or [])
        if run.get("user_agent"):
            user_agents.append(run["user_agent"])
        software.update(run.get("software") or {})
        if run.get("policy"):
            profiles[run["policy"].get("name", "?")] = run["policy"]
        scopes.append({k: run.get(k) for k in ("crawl_id", "worker_id", "allowed_domains", "max_pages", "max_depth")})
        stats = run.get("stats") or {}
        requests_sent += int(stats.get("downloader/request_count", 0))
        response_bytes += int(stats.get("downloader/response_bytes", 0))
        # Links never requested because they are outside the crawl's domains have no row; they are counted here.
        links_out_of_scope += int(stats.get("tdmcrawl/links/out_of_scope", 0))
    for name in set(decs["policy_profile"]) - set(profiles):
        profiles[name] = {"name": name}

    crawl_ids = sorted(set(docs["dump"]) | set(decs["dump"]) | {r.get("crawl_id") for r in runs if r.get("crawl_id")})
    removed = removed_url_matcher(out)  # a removed page is not named again, not even as a seed
    summary: dict[str, Any] = {
        "schema": SUMMARY_SCHEMA,
        "generated_at": _iso(time.time()),
        "generated_by": f"{PRODUCT_TOKEN}/{__version__}",
        "crawl_ids": crawl_ids,
        "crawler": {
            "name": PRODUCT_TOKEN,
            "product_token": PRODUCT_TOKEN,
            "user_agents": sorted(set(user_agents)),
            "software": software,
            "operators": sorted({r.get("operator") for r in runs if r.get("operator")}),
        },
        "purpose": sorted({r.get("purpose") for r in runs if r.get("purpose")}),
        "policy_profiles": list(profiles.values()),
        "rights": rights_section(profiles),
        "collection_period": {"first_fetch": _iso(first), "last_fetch": _iso(last), "start": _month(first), "end": _month(last)},
        "seeds": sorted(s for s in set(seeds) if not removed(s)),
        "scope": scopes,
        "modality": "text",
        "counts": {
            "urls_considered": len(decs["url"]),
            "requests_sent": requests_sent,
            "response_bytes": response_bytes,
            "links_out_of_scope": links_out_of_scope,
            "documents_stored": stored,
            "urls_excluded": decision_counts.get("excluded", 0),
            "urls_failed": decision_counts.get("failed", 0),
            "urls_unchanged": decision_counts.get("unchanged", 0),
            "urls_withdrawn": decision_counts.get("withdrawn", 0),
            "bytes_stored": int(sum(int(x or 0) for x in docs["content_length"])),
            "words": int(sum(int(x or 0) for x in docs["word_count"])),
            "by_decision": dict(sorted(decision_counts.items())),
            "by_http_status": dict(sorted(status_counts.items())),
        },
        "exclusions": {
            "by_family": dict(families.most_common()),
            "by_reason": dict(reasons.most_common()),
            "failures_by_reason": dict(failures.most_common()),
            "reservations_recorded_not_honoured": dict(reservations_recorded.most_common()),
        },
        "licences": {
            "by_license": dict(licences.most_common()),
            "share_without_licence": round(licences.get("none", 0) / stored, 4) if stored else None,
            "detection": "rel=license (link, a, area; head and body), CC RDFa, JSON-LD license, Dublin Core / dcterms, Link: rel=license headers; CC URLs normalised and mapped to SPDX; "
                "licence links of embedded images, figures, comments and hidden content are not the page's; several licences: the most restrictive is chosen",
        },
        "languages": dict(languages.most_common()),
        "content_types": dict(content_types.most_common()),
        "document_types": {
            "collected": types_asked,
            "by_type": {kind: documents_by_type.get(kind, 0) for kind in sorted(set(types_asked) | set(documents_by_type), key=_kind_order)},
        },
        "domains": {
            "total": len(per_domain),
            "with_stored_content": len(with_content),
            "top_rule": "top 10% of registered domains by bytes of stored content (EU AI Act template 2.3(vii))",
            "top": domain_rows[:top_n],
            "table": "data/domains/domains.parquet",
            "origins_with_stored_content": len(per_origin),
            "top_origins": top_origins,
        },
        "withdrawals": [
            {"url": u, "reason": r, "previous_document_id": d, "evidence": e}
            for u, dec, r, d, e in zip(decs["url"], decs["decision"], decs["reason"], decs["document_id"], decs["evidence"])
            if dec == "withdrawn"
        ],
        "terms_of_service": terms_section(out, decision_terms_rows(out)),
        "removals": [],
        "artefacts": [],
    }
    return summary, domain_table


DOMAINS_SCHEMA = pa.schema(
    [
        ("registered_domain", pa.string()),
        ("documents", pa.int64()),
        ("bytes", pa.int64()),
        ("words", pa.int64()),
        ("urls_considered", pa.int64()),
        ("urls_excluded", pa.int64()),
        ("urls_failed", pa.int64()),
        ("excluded_by_reason", pa.string()),
    ]
)


def rights_section(profiles: dict[str, Any]) -> dict[str, Any]:
    honoured = set()
    for profile in profiles.values():
        honoured.update(profile.get("honour") or [])
    protocols = []
    for family, name, kind, how in RIGHTS_PROTOCOLS:
        protocols.append(
            {
                "signal": family,
                "name": name,
                "effect": "decides what is fetched" if kind == "fetch" else ("excludes reserved documents" if family in honoured else "recorded, does not exclude"),
                "how": how,
            }
        )
    return {
        "robots_txt": "RFC 9309, product token 'tdmcrawl' matched by equality; unreachable robots.txt means nothing is fetched",
        "protocols": protocols,
        "reserved_documents": "never stored; the decision and its evidence are in data/decisions",
        "private_addresses": "hosts resolving to private, loopback or link-local addresses are not fetched unless a seed is on one",
    }


# ------------------------------------------------------------------ writing
def write_summary(out: Path | str) -> dict[str, Any]:
    """(Re)build summary.json, summary.md, charts, the domains table and the card."""
    out = Path(out)
    summary, domains = compute_summary(out)
    (out / "data" / "domains").mkdir(parents=True, exist_ok=True)
    pq.write_table(domains, out / "data" / "domains" / "domains.parquet", compression="zstd", write_page_index=True)
    summary["removals"] = _load_removals(out)
    charts = render_charts(summary, out)
    summary["charts"] = charts
    sync_indexes(out)  # the replay index follows the WARC files (new crawl, removal)
    summary["artefacts"] = artefacts(out)
    croissant = write_croissant(out, summary)  # it lists every artefact with its sha256, so it cannot list itself
    summary["artefacts"].append({"path": croissant.name, "bytes": croissant.stat().st_size, "sha256": _sha256(croissant)})
    atomic_write(out / "summary.json", json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    atomic_write(out / "summary.md", render_markdown(summary))
    atomic_write(out / "README.md", render_card(summary))
    licence, explanation = card_licence(summary["licences"]["by_license"])
    if explanation:
        atomic_write(out / "LICENSE.md", "# Licences of this dataset\n\n" + explanation + "\n\nThe licence of each document, where it was declared and the evidence are in the `license`, "
            "`license_source`, `license_evidence` and `license_candidates` columns of the `documents` config.\n")
    return summary


def _load_removals(out: Path) -> list[dict[str, Any]]:
    path = out / "data" / "removals"
    if not path.exists():
        return []
    table = read_columns(path, REMOVALS_SCHEMA, REMOVALS_SCHEMA.names)
    return [{k: v for k, v in row.items() if k != "scope"} for row in table.to_pylist()]


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def render_charts(summary: dict[str, Any], out: Path) -> list[str]:
    """PNG bar charts of exclusions by reason and of the top domains."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return []
    folder = out / "charts"
    folder.mkdir(exist_ok=True)
    written = []
    reasons = summary["exclusions"]["by_reason"]
    if reasons:
        items = list(reasons.items())[:15][::-1]
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(items) + 1.2))
        ax.barh([k for k, _ in items], [v for _, v in items], color="#b55d4c")
        ax.set_xlabel("URLs excluded")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts, never half a URL
        title = "Exclusions by reason" if len(reasons) <= 15 else f"Exclusions by reason (top 15 of {len(reasons)})"
        ax.set_title(title)
        for i, (_, v) in enumerate(items):
            ax.text(v, i, f" {v}", va="center", fontsize=8)
        fig.tight_layout()
        fig.savefig(folder / "exclusions.png", dpi=110)
        plt.close(fig)
        written.append("charts/exclusions.png")
    domains = summary["domains"]
    if domains["with_stored_content"] >= 2:
        ranked = domains["top"] if len(domains["top"]) >= 5 else _first_domains(out, 10)
        bars = [(d["registered_domain"], d["bytes"]) for d in ranked]
        title = "Domains by stored content"
    else:  # one registered domain says nothing: show its origins
        bars = [(o["origin"], o["bytes"]) for o in domains.get("top_origins", [])]
        title = "Origins by stored content"
    if bars:
        items = bars[:15][::-1]
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(items) + 1.2))
        ax.barh([name for name, _ in items], [size / 1024 for _, size in items], color="#4c72b0")
        ax.set_xlabel("stored content (KiB)")
        ax.set_title(title)
        fig.tight_layout()
        fig.savefig(folder / "top_domains.png", dpi=110)
        plt.close(fig)
        written.append("charts/top_domains.png")
    return written


def _first_domains(out: Path, n: int) -> list[dict[str, Any]]:
    path = out / "data" / "domains" / "domains.parquet"
    if not path.exists():
        return []
    return [r for r in pq.read_table(path).to_pylist() if r["bytes"] > 0][:n]


def _table(rows: Iterable[tuple[Any, ...]], header: tuple[str, ...]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
    return "\n".join(lines)


def render_markdown(summary: dict[str, Any]) -> str:
    counts = summary["counts"]
    period = summary["collection_period"]
    parts = [
        "# Crawl summary",
        "",
        f"Crawl{'s' if len(summary['crawl_ids']) != 1 else ''}: {', '.join(summary['crawl_ids']) or 'none'}  ",
        f"Generated {summary['generated_at']} by {summary['generated_by']}.",
        "",
        "## What was collected",
        "",
        _table(
            [
                ("URLs considered", counts["urls_considered"]),
                ("requests sent", counts["requests_sent"]),
                ("links out of scope, never requested", counts.get("links_out_of_scope", 0)),
                ("documents stored", counts["documents_stored"]),
                ("URLs excluded", counts["urls_excluded"]),
                ("URLs failed", counts["urls_failed"]),
                ("bytes stored", counts["bytes_stored"]),
                ("words", counts["words"]),
                ("collection period", f"{period['first_fetch']} – {period['last_fetch']}"),
                ("modality", summary["modality"]),
            ],
            ("", "value"),
        ),
        "",
        "## Crawler",
        "",
        f"- Product token: `{summary['crawler']['product_token']}`; User-Agent: " + ", ".join(f"`{u}`" for u in summary["crawler"]["user_agents"]),
        f"- Purpose: {'; '.join(summary['purpose']) or 'not stated'}",
        f"- Policy profile(s): {', '.join(p.get('name', '?') for p in summary['policy_profiles'])}",
        f"- Software: {', '.join(f'{k} {v}' for k, v in summary['crawler']['software'].items())}",
        f"- Seeds: {', '.join(summary['seeds'][:20])}{' …' if len(summary['seeds']) > 20 else ''}",
        "",
        "## How rights were honoured",
        "",
        f"robots.txt: {summary['rights']['robots_txt']}. Reserved documents are {summary['rights']['reserved_documents']}.",
        "",
        _table(((p["name"], p["effect"], p["how"]) for p in summary["rights"]["protocols"]), ("signal", "effect", "how")),
        "",
        "## What was excluded, and why",
        "",
    ]
    if summary["exclusions"]["by_reason"]:
        parts.append(_table(summary["exclusions"]["by_reason"].items(), ("reason", "URLs")))
        if "charts/exclusions.png" in summary.get("charts", []):
            parts += ["", "![Exclusions by reason](charts/exclusions.png)"]
    else:
        parts.append("Nothing was excluded.")
    if summary["exclusions"]["failures_by_reason"]:
        parts += ["", "Failures (not fetched or not processed):", "", _table(summary["exclusions"]["failures_by_reason"].items(), ("reason", "URLs"))]
    if summary["exclusions"]["reservations_recorded_not_honoured"]:
        parts += [
            "",
            "Reservations recorded but not honoured by the policy profile (research-exception records them all; "
            "strict records general scraping bans in terms of service):",
            "",
            _table(summary["exclusions"]["reservations_recorded_not_honoured"].items(), ("reservation", "URLs")),
        ]
    if summary.get("terms_of_service") is not None:
        parts += ["", render_terms_markdown(summary["terms_of_service"]).rstrip()]
    parts += ["", "## Licences", "", _table(summary["licences"]["by_license"].items(), ("licence (SPDX)", "documents"))]
    share = summary["licences"]["share_without_licence"]
    if share is not None:
        parts.append(f"\nShare of documents without a detected licence: {share:.0%}.")
    parts += ["", "## Languages and content types", "", _table(summary["languages"].items(), ("language", "documents"))]
    parts += ["", _table(summary["content_types"].items(), ("content type", "documents")), "", document_types_sentence(summary)]
    domains = summary["domains"]
    parts += [
        "",
        "## Domains",
        "",
        f"{domains['total']} registered domains considered, {domains['with_stored_content']} with stored content. "
        f"{domains['top_rule'][:1].upper() + domains['top_rule'][1:]}; the full table is `{domains['table']}`.",
        "",
        _table(((d["registered_domain"], d["documents"], d["bytes"], d["urls_excluded"]) for d in domains["top"]), ("domain", "documents", "bytes", "URLs excluded")),
    ]
    if len(domains.get("top_origins", [])) > 1:
        parts += ["", f"Stored content by origin (top {TOP_ORIGINS}):", "", _table(((o["origin"], o["documents"], o["bytes"]) for o in domains["top_origins"]), ("origin", "documents", "bytes"))]
    if "charts/top_domains.png" in summary.get("charts", []):
        parts += ["", "![Domains by stored content](charts/top_domains.png)"]
    if summary.get("withdrawals"):
        parts += [
            "",
            "## Withdrawn since the previous crawl",
            "",
            "These URLs were stored by an earlier crawl and their rights now exclude them; users of a dataset published from that crawl should remove the rows with these document ids.",
            "",
            _table(((w["url"], w["reason"], w["previous_document_id"]) for w in summary["withdrawals"]), ("URL", "reason", "previous document id")),
        ]
    if summary.get("removals"):
        parts += ["", "## Removals", "", _table(((r["removed_at"], r["reason"], r["documents"]) for r in summary["removals"]), ("when", "why", "documents removed"))]
    parts += ["", "## Files", "", _table(((a["path"], a["bytes"], a.get("rows", a.get("records")), a["sha256"][:16] + "…") for a in summary["artefacts"]), ("file", "bytes", "rows/records", "sha256"))]
    return "\n".join(parts) + "\n"


def _size_category(n: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")):
        if n < limit:
            return label
    return "n>1B"


def card_licence(by_license: dict[str, int]) -> tuple[str, str | None]:
    """(Hub licence id, explanation): one licence when every stored document
    has the same licence the Hub knows; ``other`` otherwise."""
    kinds = [k for k in by_license if by_license[k]]
    if len(kinds) == 1 and kinds[0] in HUB_LICENCES:
        return HUB_LICENCES[kinds[0]], None
    listed = ", ".join(f"{k}: {v}" for k, v in by_license.items())
    return "other", f"Each document keeps the licence found on its page (column `license`; `none` means no licence was found and the usual copyright applies). Documents per licence: {listed}."


def render_card(summary: dict[str, Any]) -> str:
    import yaml

    licence, explanation = card_licence(summary["licences"]["by_license"])
    version = dataset_version(summary.get("artefacts") or [], summary.get("removals") or [])
    languages = [l for l in summary["languages"] if l != "unknown"]
    front: dict[str, Any] = {
        "pretty_name": f"tdmcrawl web crawl ({', '.join(summary['crawl_ids'][:3])}{'…' if len(summary['crawl_ids']) > 3 else ''})",
        "license": licence,
    }
    if licence == "other":
        front["license_name"] = "per-document"
        front["license_link"] = "LICENSE.md"
    front.update(
        {
            "language": languages or ["en"],
            "size_categories": [_size_category(summary["counts"]["documents_stored"])],
            "task_categories": ["text-generation"],
            "tags": ["tdmcrawl", "web-crawl", "warc", "provenance", "opt-out-respecting", "tdmrep", "robots-txt"]
            + [kind for kind in (summary.get("document_types") or {}).get("collected", []) if kind != "html"],
            "configs": card_configs(version),
        }
    )
    yaml_text = yaml.safe_dump(front, sort_keys=False, allow_unicode=True)
    body = render_markdown(summary).replace("# Crawl summary", "## Crawl summary", 1)
    body = "\n".join(("#" + line) if line.startswith("## ") and not line.startswith("## Crawl summary") else line for line in body.splitlines())
    schema_docs = []
    for title, schema in (("documents", DOCUMENTS_SCHEMA), ("decisions", DECISIONS_SCHEMA)):
        rows = ((f"`{name}`", str(schema.field(name).type), desc) for name, desc in column_descriptions(schema).items())
        schema_docs += [f"### `{title}`", "", _table(rows, ("column", "type", "meaning")), ""]
    licence_text = explanation or f"All stored documents carry the licence {summary['licences']['by_license']}."
    removals = summary.get("removals") or []
    return (
        "---\n" + yaml_text + "---\n\n"
        f"# {front['pretty_name']}\n\n"
        "Web pages collected by [tdmcrawl](https://pypi.org/project/tdmcrawl/), a research crawler that fetches only what "
        "site owners allow and keeps the evidence of why. Every stored page has its extracted text, its licence as found "
        "on the page and its rights record (config `documents`); every URL the crawler considered has a decision with "
        "its reason and evidence (config `decisions`). The raw captures are in `warc/` (WARC 1.1), the extracted text "
        "as WET conversion records in `wet/`, and the robots.txt / tdmrep.json / ai.txt / RSL files consulted in `policy/`. "
        + document_types_sentence(summary)
        + " A PDF or EPUB is stored whole in its WARC response record; its text, page count (`page_count`) and the rights "
        "read inside it (TDMRep, licence) are in its row, and `no_text_layer` marks one with no extractable text.\n\n"
        "```python\nfrom datasets import load_dataset\n"
        "documents = load_dataset(\"<this folder or repo>\", \"documents\", split=\"train\")\n"
        "decisions = load_dataset(\"<this folder or repo>\", \"decisions\", split=\"train\")\n```\n\n"
        "## Version\n\n"
        f"This copy holds dataset {version.describe()}: {version.rows['documents']} documents and "
        f"{version.rows['decisions']} decisions, in the shard files the `configs` above list. Each removal, re-extraction "
        "or added crawl writes a new version with a new fingerprint, so `load_dataset` never serves an earlier version "
        "from its cache.\n\n"
        "## Licence\n\n" + licence_text + "\n\n"
        + body
        + "\n## Schema\n\n" + "\n".join(schema_docs)
        + "\n## For rights holders\n\n"
        "To find out whether your pages are in this dataset, search the `decisions` config for your domain or URL "
        "(`tdmcrawl lookup DIR example.org` answers from the tables): it lists what was stored, what was excluded and "
        "the evidence for each. Pages whose owners reserved text and data mining or AI training (robots.txt, TDMRep, "
        "Content-Usage, Content-Signal, noai, ai.txt, RSL) were not stored. To have content removed, contact the "
        f"operator ({', '.join(summary['crawler']['operators']) or 'see the crawler User-Agent'}); removals are applied "
        "with `tdmcrawl remove`, which writes a new version of the dataset without those rows and records the removal "
        "(without naming the removed URLs).\n"
        + (f"\nRemovals so far: {len(removals)} ({sum(r['documents'] for r in removals)} documents).\n" if removals else "")
    )


# ------------------------------------------------------------------ Scrapy extension
