"""The results of a consent audit (``tdmcrawl audit``), computed from its
decisions table and its inputs.

Owns ``audit.json`` (what was audited, how), ``summary.json`` /
``summary.md`` (schema ``tdmcrawl-audit-summary/1.0``), the dataset card
``README.md`` and the filtered copy of the input (``--write-filtered``: the rows
still allowed, the input's own schema, one Parquet file ``load_dataset``
reads). Everything is recomputed from files, so ``tdmcrawl summary DIR``
rebuilds it after a distributed audit. No Scrapy.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.dataset.audit_input import TEXT, AuditInput
from pipelines.formats.schema import AUDIT_DECISIONS_SCHEMA

SUMMARY_SCHEMA = "tdmcrawl-audit-summary/1.0"
CONFIG_FILE = "audit.json"
ALLOWED = "allowed"
EXCLUDED = "excluded"
INVALID_URL = "invalid-url"  # an input row holding no http(s) URL
LICENCE_SIGNAL = "licence"  # the evidence of an allowed row naming the licence its Link header declares
TOP_DOMAINS = 20


# What an audit cannot see, by the reason codes a crawl would give. Page meta is
# never fetched; response headers only with --with-headers.
PAGE_SIGNALS = {
    "noai": "<meta name=\"robots\" content=\"noai\"> and <meta name=\"tdmcrawl\"> in the page",
    "tdmrep-reserved": "<meta name=\"tdm-reservation\" content=\"1\"> in the page",
}
HEADER_SIGNALS = {
    "noai": "X-Robots-Tag: noai / noimageai response headers",
    "tdmrep-reserved": "tdm-reservation / tdm-policy response headers",
    "content-usage-train-ai": "Content-Usage response header (IETF AI preferences)",
    "rsl-license-required": "401 / 402 answers with an RSL licence (License / WWW-Authenticate)",
    "license": "Link: rel=license response headers (licence of the page)",
}


def write_config(out: Path, config: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    _atomic_write(out / CONFIG_FILE, json.dumps(config, indent=2, ensure_ascii=False) + "\n")


def read_config(out: Path) -> dict[str, Any] | None:
    try:
        return json.loads((out / CONFIG_FILE).read_text("utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def is_audit(out: Path) -> bool:
    return (out / CONFIG_FILE).is_file()


def read_decisions(out: Path, columns: list[str]) -> pa.Table:
    files = sorted(p for p in (out / "data" / "decisions").glob("*.parquet") if not p.name.startswith((".", "_")))
    if not files:
        return AUDIT_DECISIONS_SCHEMA.empty_table().select(columns)
    return pa.concat_tables([pq.read_table(f, columns=columns) for f in files], promote_options="default")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _share(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def _counts(column: pa.ChunkedArray) -> dict[str, int]:
    counted = pc.value_counts(column.drop_null()) if len(column) else []
    pairs = [(item["values"].as_py(), item["counts"].as_py()) for item in counted]
    return dict(sorted(pairs, key=lambda kv: (-kv[1], kv[0])))


def _origins(urls: pa.ChunkedArray) -> int:
    # scheme://host[:port] of each URL: everything before the third slash.
    origin = pc.extract_regex(urls, r"^(?P<origin>[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)")
    return pc.count_distinct(pc.utf8_lower(pc.struct_field(origin, [0]))).as_py()


def policy_requests(out: Path) -> dict[str, Any]:
    """Policy files fetched, by kind, from the WARC files in ``policy/``."""
    from warcio.archiveiterator import ArchiveIterator

    kinds: Counter[str] = Counter()
    for path in sorted((out / "policy").glob("*.warc.gz")):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type != "response":
                    continue
                target = record.rec_headers.get_header("WARC-Target-URI") or ""
                path_part = target.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
                kind = {"robots.txt": "robots.txt", ".well-known/tdmrep.json": "tdmrep.json", "ai.txt": "ai.txt"}.get(path_part, "other (RSL, redirects)")
                kinds[kind] += 1
    return {"total": sum(kinds.values()), "by_file": dict(kinds.most_common())}


def compute_summary(out: Path, audit_input: AuditInput | None, text_stats: dict[str, int] | None) -> dict[str, Any]:
    config = read_config(out) or {}
    table = read_decisions(out, ["url", "decision", "reason", "reason_family", "url_host_registered_domain", "decided_at", "headers_read", "dump", "policy_profile"])
    total = table.num_rows
    decisions = _counts(table.column("decision"))
    excluded_mask = pc.equal(table.column("decision"), EXCLUDED)
    excluded = table.filter(excluded_mask)
    by_family = _counts(excluded.column("reason_family"))
    by_reason = _counts(excluded.column("reason"))
    valid_mask = pc.invert(pc.fill_null(pc.equal(table.column("reason"), INVALID_URL), False))
    domain_totals = _counts(table.filter(valid_mask).column("url_host_registered_domain"))
    domain_excluded = _counts(table.filter(pc.and_(excluded_mask, valid_mask)).column("url_host_registered_domain"))  # rows with no URL have no domain
    top = sorted(domain_excluded.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_DOMAINS]
    valid = table.filter(valid_mask)
    origins = _origins(valid.column("url")) if valid.num_rows else 0
    with_headers = bool(config.get("with_headers"))
    headers_read = int(pc.sum(pc.cast(table.column("headers_read"), pa.int64())).as_py() or 0) if total else 0
    decided = table.column("decided_at")
    period = None
    if total:
        low, high = pc.min_max(decided).values()
        period = {"first": low.as_py().strftime("%Y-%m-%dT%H:%M:%SZ"), "last": high.as_py().strftime("%Y-%m-%dT%H:%M:%SZ")}
    not_seen = {f"page:{k}": v for k, v in PAGE_SIGNALS.items()}
    if not with_headers:
        not_seen.update({f"headers:{k}": v for k, v in HEADER_SIGNALS.items()})
    summary: dict[str, Any] = {
        "schema": SUMMARY_SCHEMA,
        "generated_at": _iso(time.time()),
        "audit_ids": sorted(set(table.column("dump").to_pylist())) if total else [],
        "policy_profile": config.get("policy") or (table.column("policy_profile")[0].as_py() if total else None),
        "user_agent": config.get("user_agent"),
        "inputs": config.get("inputs") or [],
        "columns": config.get("columns") or {},
        "with_headers": with_headers,
        "period": period,
        "counts": {
            "urls_audited": total,
            "urls_allowed": decisions.get(ALLOWED, 0),
            "urls_excluded": decisions.get(EXCLUDED, 0),
            "share_excluded": _share(decisions.get(EXCLUDED, 0), total),
            "origins_audited": origins,
            "domains_audited": len(domain_totals),
            "urls_headers_read": headers_read,
        },
        "excluded_by_family": {family: {"urls": n, "share": _share(n, total)} for family, n in by_family.items()},
        "excluded_by_reason": by_reason,
        "top_domains_by_excluded": [
            {"domain": d, "urls": domain_totals.get(d, 0), "excluded": n, "share": _share(n, domain_totals.get(d, 0))} for d, n in top
        ],
        "policy_requests": policy_requests(out),
        "not_seen": not_seen,
    }
    if text_stats is not None:
        summary["text"] = {
            "column": audit_input.text_column if audit_input else None,
            "documents": text_stats["documents"],
            "documents_excluded": text_stats["documents_excluded"],
            "share_documents_excluded": _share(text_stats["documents_excluded"], text_stats["documents"]),
            "characters": text_stats["characters"],
            "characters_excluded": text_stats["characters_excluded"],
            "share_characters_excluded": _share(text_stats["characters_excluded"], text_stats["characters"]),
        }
    if summary["policy_requests"]["total"] and origins:
        summary["policy_requests"]["per_origin"] = round(summary["policy_requests"]["total"] / origins, 3)
    return summary


def allowed_rows(out: Path) -> dict[str, pa.Array]:
    """Per input file, the sorted positions of the rows the audit allowed."""
    table = read_decisions(out, ["decision", "input_file", "input_row"])
    allowed = table.filter(pc.equal(table.column("decision"), ALLOWED))
    result: dict[str, pa.Array] = {}
    if not allowed.num_rows:
        return result
    grouped = allowed.group_by("input_file").aggregate([("input_row", "list")])
    for name, rows in zip(grouped.column("input_file").to_pylist(), grouped.column("input_row_list")):
        result[name] = pc.unique(pa.array(rows.values, pa.int64()))
    return result


def filter_input(out: Path, audit_input: AuditInput, write_filtered: Path | None) -> dict[str, int]:
    """One pass over the input: the rows still allowed go to ``write_filtered``
    (the input's schema); counts of documents and characters excluded."""
    allowed = allowed_rows(out)
    decided = read_decisions(out, ["input_file", "input_row"])
    decided_count = Counter(decided.column("input_file").to_pylist())
    stats = {"documents": 0, "documents_excluded": 0, "characters": 0, "characters_excluded": 0, "rows_written": 0, "undecided": 0}
    writer: pq.ParquetWriter | None = None
    schema = audit_input.files[0].schema()
    if write_filtered is not None:
        write_filtered.parent.mkdir(parents=True, exist_ok=True)
        partial = write_filtered.with_name(f".{write_filtered.name}.open")
        writer = pq.ParquetWriter(partial, schema, compression="zstd")
    try:
        for file in audit_input.files:
            keep_positions = allowed.get(file.name, pa.array([], pa.int64()))
            rows_in_file = 0
            for position, batch in file.batches():
                if file.kind == TEXT:
                    positions = batch.column("input_row")
                    batch = batch.select(["url"])
                else:
                    positions = pa.array(range(position, position + batch.num_rows), pa.int64())
                rows_in_file += batch.num_rows
                keep = pc.is_in(positions, value_set=keep_positions)
                if audit_input.text_column and file.kind != TEXT:
                    lengths = pc.fill_null(pc.utf8_length(batch.column(audit_input.text_column)), 0)
                    stats["documents"] += batch.num_rows
                    stats["characters"] += int(pc.sum(lengths).as_py() or 0)
                    dropped = pc.invert(keep)
                    stats["documents_excluded"] += int(pc.sum(pc.cast(dropped, pa.int64())).as_py() or 0)
                    stats["characters_excluded"] += int(pc.sum(pc.filter(lengths, dropped)).as_py() or 0)
                if writer is not None:
                    kept = batch.filter(keep)
                    if kept.num_rows:
                        if kept.schema != schema:
                            kept = pa.RecordBatch.from_arrays([kept.column(n).cast(schema.field(n).type) for n in schema.names], schema=schema)
                        writer.write_batch(kept)
                        stats["rows_written"] += kept.num_rows
            stats["undecided"] += max(0, rows_in_file - decided_count.get(file.name, 0))
    finally:
        if writer is not None:
            writer.close()
    if write_filtered is not None:
        os.replace(partial, write_filtered)
    return stats


def write_report(out: Path | str, *, audit_input: AuditInput | None = None, write_filtered: Path | None = None) -> dict[str, Any]:
    """summary.json, summary.md, the dataset card and (when asked) the filtered input."""
    out = Path(out)
    config = read_config(out) or {}
    if audit_input is None and config.get("inputs"):
        columns = config.get("columns") or {}
        try:
            audit_input = AuditInput.open(config["inputs"], url_column=columns.get("url") or "url", id_column=columns.get("id"), text_column=columns.get("text"))
        except (ValueError, OSError):
            audit_input = None  # the inputs moved: the summary is made from the decisions alone
    if write_filtered is None and config.get("write_filtered"):
        write_filtered = Path(config["write_filtered"])
    passes = filter_input(out, audit_input, write_filtered) if audit_input is not None else None
    text_stats = passes if passes is not None and audit_input is not None and audit_input.text_column else None
    summary = compute_summary(out, audit_input, text_stats)
    if passes is not None and passes["undecided"]:
        summary["counts"]["input_rows_without_decision"] = passes["undecided"]
    if passes is not None and write_filtered is not None:
        summary["filtered_output"] = {"path": str(write_filtered), "rows": passes["rows_written"]}
    for unused in ("warc", "wet"):  # an audit stores no page: no empty page archives beside its policy files
        folder = out / unused
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    _atomic_write(out / "summary.json", json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    _atomic_write(out / "summary.md", render_markdown(summary))
    _atomic_write(out / "README.md", render_card(summary))
    return summary


def _table(rows: list[tuple[Any, ...]], header: tuple[str, ...]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def render_markdown(summary: dict[str, Any]) -> str:
    counts = summary["counts"]
    lines = [
        "# Consent audit summary",
        "",
        f"Audit {', '.join(summary['audit_ids']) or '–'} under the `{summary['policy_profile']}` policy profile"
        + (f", {summary['period']['first']} – {summary['period']['last']}" if summary.get("period") else "") + ".",
        f"Inputs: {', '.join(summary['inputs']) or '–'}.",
        "",
        _table(
            [
                ("URLs audited", counts["urls_audited"]),
                ("origins audited", counts["origins_audited"]),
                ("registered domains", counts["domains_audited"]),
                ("allowed", counts["urls_allowed"]),
                ("excluded", f"{counts['urls_excluded']} ({_percent(counts['share_excluded'])})"),
                ("response headers read", counts["urls_headers_read"] if summary["with_headers"] else "no (run with --with-headers)"),
                ("policy files fetched", f"{summary['policy_requests']['total']} ({summary['policy_requests'].get('per_origin', 0)} per origin)"),
            ]
            + ([("input rows without a decision", counts["input_rows_without_decision"])] if counts.get("input_rows_without_decision") else []),
            ("", "count"),
        ),
        "",
        "## Excluded, by signal family",
        "",
    ]
    families = summary["excluded_by_family"]
    lines.append(_table([(f"`{k}`", v["urls"], _percent(v["share"])) for k, v in families.items()], ("family", "URLs", "share of URLs")) if families else "Nothing excluded.")
    if summary["excluded_by_reason"]:
        lines += ["", "By reason code:", "", _table([(f"`{k}`", v) for k, v in summary["excluded_by_reason"].items()], ("reason", "URLs"))]
    if summary.get("text"):
        text = summary["text"]
        lines += [
            "",
            f"## Share of the text excluded (column `{text['column']}`)",
            "",
            _table(
                [
                    ("documents", text["documents"], text["documents_excluded"], _percent(text["share_documents_excluded"])),
                    ("characters", text["characters"], text["characters_excluded"], _percent(text["share_characters_excluded"])),
                ],
                ("", "in the input", "excluded", "share"),
            ),
        ]
    if summary["top_domains_by_excluded"]:
        top = [(d["domain"], d["urls"], d["excluded"], _percent(d["share"])) for d in summary["top_domains_by_excluded"]]
        lines += ["", "## Top domains by excluded URLs", "", _table(top, ("domain", "URLs", "excluded", "share"))]
    lines += ["", "## Policy files fetched", "", _table(list(summary["policy_requests"]["by_file"].items()), ("file", "fetched"))]
    lines += ["", "## What this audit could not see", "", "A crawl would also read these; an audit that does not fetch them can allow a URL a crawl would exclude:", ""]
    lines += [f"- {text} (`{key.split(':', 1)[1]}`)" for key, text in summary["not_seen"].items()]
    if summary.get("filtered_output"):
        lines += ["", f"Filtered input (rows still allowed): `{summary['filtered_output']['path']}` ({summary['filtered_output']['rows']} rows)."]
    return "\n".join(lines) + "\n"


def render_card(summary: dict[str, Any]) -> str:
    import yaml

    front = {
        "pretty_name": f"tdmcrawl consent audit ({', '.join(summary['audit_ids'][:2]) or 'empty'})",
        "tags": ["tdmcrawl", "consent-audit", "opt-out", "robots-txt", "tdmrep"],
        "configs": [{"config_name": "decisions", "default": True, "data_files": [{"split": "train", "path": "data/decisions/*.parquet"}]}],
    }
    schema_rows = [(f"`{f.name}`", str(f.type), (f.metadata or {}).get(b"description", b"").decode()) for f in AUDIT_DECISIONS_SCHEMA]
    body = render_markdown(summary).replace("# Consent audit summary", "## Summary", 1)
    body = "\n".join(("#" + line) if line.startswith("## ") and line != "## Summary" else line for line in body.splitlines())
    return (
        "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n\n"
        f"# {front['pretty_name']}\n\n"
        "A consent audit of an existing dataset by `tdmcrawl audit`: for every input URL, whether a crawl by tdmcrawl "
        "would have been allowed to request it under the policy profile, decided from the origin's robots.txt (RFC 9309), "
        "tdmrep.json, ai.txt, the RSL licences robots.txt names and the opt-out registries configured"
        + (", and from the URL's own response headers" if summary["with_headers"] else "")
        + ". No page body was downloaded. The policy files are archived in `policy/` (WARC) and linked from each row by "
        "digest (`policy_digests`). Join the decisions back to the input on `(input_file, input_row)`.\n\n"
        "```python\nfrom datasets import load_dataset\n"
        "decisions = load_dataset(\"<this folder>\", \"decisions\", split=\"train\")\n```\n\n"
        + body
        + "\n## Schema of `decisions`\n\n" + _table(schema_rows, ("column", "type", "meaning")) + "\n"
    )


def audit_short_summary(out: Path, summary: dict[str, Any]) -> str:
    """What `tdmcrawl audit` and `tdmcrawl summary` print: a few lines for the terminal."""
    counts = summary["counts"]
    lines = [
        f"Audit output in {out.resolve()}",
        f"  {counts['urls_audited']} URLs over {counts['origins_audited']} origins: allowed {counts['urls_allowed']}, excluded {counts['urls_excluded']} ({counts['share_excluded'] * 100:.1f}%)",
    ]
    for family, value in summary["excluded_by_family"].items():
        lines.append(f"    excluded {family}: {value['urls']}")
    if summary.get("text"):
        text = summary["text"]
        lines.append(f"  text excluded: {text['share_documents_excluded'] * 100:.1f}% of documents, {text['share_characters_excluded'] * 100:.1f}% of characters")
    if summary.get("filtered_output"):
        lines.append(f"  filtered input: {summary['filtered_output']['path']} ({summary['filtered_output']['rows']} rows)")
    lines.append(f"  summary: {out / 'summary.md'}  dataset card: {out / 'README.md'}")
    return "\n".join(lines)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
