"""``tdmcrawl lookup``: a rights holder asks "is my content in this crawl?".

Owns how a query (a URL, a URL prefix or a domain) is read and answered from
the output tables of a crawl folder alone (``data/documents`` and
``data/decisions``, any number of crawls and worker shards), and the three
ways the answer is shown: a terminal report, JSON, and a self-contained HTML
page that can be sent to the creator who asked.

It must stay fast on large outputs: the tables are scanned as one pyarrow
dataset with the query as a filter (row groups whose host or registered-domain
statistics cannot match are skipped), only the columns the answer shows are
read, the ``text`` column only when asked, and at most ``limit`` rows per table
are collected. It never changes the folder and never fetches anything.
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from crawler.urls import registered_domain
from pipelines.dataset.query import DEFAULT_LIMIT, DOMAIN, PREFIX, URL, LookupInputError, classify_query, host_of_prefix
from pipelines.dataset.removals import recorded_removals
from pipelines.dataset.terms import archived_terms
from pipelines.formats.schema import DECISIONS_SCHEMA, DOCUMENTS_SCHEMA



# Columns of ``documents`` an answer shows (``text`` only on request).
STORED_COLUMNS = [
    "url", "fetch_time", "dump", "title", "license", "license_source", "file_path", "warc_record_offset", "id",
    "robots_rule", "tdm_reservation", "content_usage", "x_robots_tag", "meta_robots", "reservations",
    "policy_profile", "rights_evidence", "tos_url", "tos_digest", "tos_said",
]
# Columns of ``decisions`` an answer shows.
DECISION_COLUMNS = [
    "url", "final_url", "decision", "reason", "reason_family", "evidence", "decided_at", "stage", "fetch_status",
    "dump", "policy_profile", "tos_url", "tos_digest",
]
EXCLUDED_DECISIONS = ("excluded", "withdrawn")  # withdrawn: stored by an earlier crawl, excluded now
FAILED_DECISIONS = ("failed",)
# Any subdomain-free label works: it only tests whether hosts below the query
# share the query's registered domain (then that column can prune row groups).
_SUBDOMAIN_PROBE = "tdmcrawl-probe"


@dataclass(frozen=True)
class LookupResult:
    """What a crawl folder holds about one query.

    ``stored``: rows of ``documents`` (one per stored capture); ``excluded``:
    decisions ``excluded`` or ``withdrawn``; ``failed``: decisions ``failed``;
    ``removed``: pages a crawl stored that ``tdmcrawl remove`` later took out
    of the dataset (with the removal's date and reason).
    ``truncated`` is true when a table had more matching rows than ``limit``;
    ``operators`` are the crawl operators' contacts from the run manifests."""

    query: str
    kind: str
    stored: list[dict] = field(default_factory=list)
    excluded: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    truncated: bool = False
    operators: list[str] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    terms: list[dict] = field(default_factory=list)  # the terms of service of the pages shown, read back from policy/

    @property
    def found(self) -> bool:
        return bool(self.stored or self.excluded or self.failed or self.removed)


# ------------------------------------------------------------------ queries


# ------------------------------------------------------------------ filters
def _domain_filter(host: str) -> Any:


    column = ds.field("url_host_name")
    expression = (column == host) | pc.ends_with(column, pattern="." + host)
    domain = registered_domain(host)
    if registered_domain(f"{_SUBDOMAIN_PROBE}.{host}") == domain:
        # Every host at or below the query has the query's registered domain:
        # an equality the Parquet statistics can use to skip row groups.
        expression = (ds.field("url_host_registered_domain") == domain) & expression
    return expression


def _document_filter(kind: str, value: str, document_ids: list[str]) -> Any:

    if kind == DOMAIN:
        expression = _domain_filter(value)
    elif kind == PREFIX:
        expression = pc.starts_with(ds.field("url"), pattern=value)
        host = host_of_prefix(value)
        if host:
            expression = (ds.field("url_host_name") == host) & expression
    else:
        expression = (ds.field("url_host_name") == urlsplit(value).hostname) & (ds.field("url") == value)
    if document_ids:
        expression = expression | ds.field("id").isin(document_ids)
    return expression


def _decision_filter(kind: str, value: str) -> Any:

    if kind == DOMAIN:
        return _domain_filter(value)
    if kind == PREFIX:
        by_url = pc.starts_with(ds.field("url"), pattern=value)
        host = host_of_prefix(value)
        if host:
            by_url = (ds.field("url_host_name") == host) & by_url
        return by_url | pc.starts_with(ds.field("final_url"), pattern=value)
    by_url = (ds.field("url_host_name") == urlsplit(value).hostname) & (ds.field("url") == value)
    return by_url | (ds.field("final_url") == value)


# ------------------------------------------------------------------ reading
def _shards(folder: Path) -> list[str]:
    # Files being written start with "." (and carry .open): never read them.
    return sorted(str(p) for p in folder.glob("*.parquet") if not p.name.startswith((".", "_")))


def _scan(folder: Path, schema: Any, columns: list[str], expression: Any, limit: int) -> tuple[list[dict], bool]:

    files = _shards(folder)
    if not files:
        return [], False
    try:
        dataset = ds.dataset(files, schema=schema, format="parquet")
        table = dataset.scanner(columns=columns, filter=expression).head(limit + 1)
    except (pa.ArrowException, OSError) as exc:
        raise LookupInputError(f"cannot read the tables in {folder}: {exc}") from None
    rows = table.to_pylist()
    return rows[:limit], len(rows) > limit


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    return value


def _parse_evidence(raw: Any) -> Any:
    if raw is None:
        return []
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return {"unparsed": str(raw)}


def _stored_row(row: dict) -> dict:
    row = {key: _iso(value) for key, value in row.items()}
    row["rights_evidence"] = _parse_evidence(row.get("rights_evidence"))
    row["reservations"] = list(row.get("reservations") or [])
    return row


def _decision_row(row: dict) -> dict:
    return {key: _iso(value) for key, value in row.items()}


def _order(rows: list[dict], time_key: str) -> list[dict]:
    return sorted(rows, key=lambda r: (r.get("url") or "", r.get(time_key) or "", r.get("dump") or ""))


def is_output_dir(out: Path) -> bool:
    data = Path(out) / "data"
    return (data / "documents").is_dir() or (data / "decisions").is_dir()


def _operators(out: Path) -> list[str]:
    found: set[str] = set()
    for path in sorted((out / "runs").glob("*.json")):
        try:
            run = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        for key in ("operator", "contact"):
            value = run.get(key) if isinstance(run, dict) else None
            if isinstance(value, str) and value and value != "unspecified":
                found.add(value)
    return sorted(found)


def lookup(out_dir: Path | str, query: str, *, limit: int = DEFAULT_LIMIT, include_text: bool = False) -> LookupResult:
    """Everything ``out_dir`` holds about ``query``: stored documents, and the
    URLs excluded or failed with their reasons and evidence. At most ``limit``
    rows per list (``truncated`` says when more matched)."""

    out = Path(out_dir)
    if not is_output_dir(out):
        raise LookupInputError(f"{out} is not a tdmcrawl output folder (no data/documents or data/decisions in it)")
    if limit < 1:
        raise LookupInputError(f"limit must be positive, got {limit}")
    kind, value = classify_query(query)


    shown = ds.field("decision").isin(list(EXCLUDED_DECISIONS + FAILED_DECISIONS))
    decisions, decisions_cut = _scan(
        out / "data" / "decisions", DECISIONS_SCHEMA, DECISION_COLUMNS, _decision_filter(kind, value) & shown, limit
    )
    # Decisions that stored a page. A redirect: the decision is keyed by the URL
    # asked about, the document by the URL it was stored under; follow the
    # decision's document id. A page removed later has a decision and no document.
    stored_decisions, _ = _scan(
        out / "data" / "decisions",
        DECISIONS_SCHEMA,
        ["url", "final_url", "document_id", "decided_at", "dump"],
        _decision_filter(kind, value) & (ds.field("decision") == "stored") & ds.field("document_id").is_valid(),
        limit,
    )
    redirected_from: dict[str, list[str]] = {}
    for row in stored_decisions:
        if row["final_url"]:
            redirected_from.setdefault(row["document_id"], []).append(row["url"])
    columns = STORED_COLUMNS + (["text"] if include_text else [])
    documents, documents_cut = _scan(
        out / "data" / "documents", DOCUMENTS_SCHEMA, columns, _document_filter(kind, value, sorted(redirected_from)), limit
    )
    for row in documents:
        if row["id"] in redirected_from:
            row["redirected_from"] = sorted(set(redirected_from[row["id"]]))
    removed = _removed_pages(out, stored_decisions, {row["id"] for row in documents})
    decision_rows = [_decision_row(r) for r in decisions]
    return LookupResult(
        terms=_terms_of(out, documents + decision_rows),
        query=query,
        kind=kind,
        stored=_order([_stored_row(r) for r in documents], "fetch_time"),
        excluded=_order([r for r in decision_rows if r["decision"] in EXCLUDED_DECISIONS], "decided_at"),
        failed=_order([r for r in decision_rows if r["decision"] in FAILED_DECISIONS], "decided_at"),
        truncated=decisions_cut or documents_cut,
        operators=_operators(out),
        removed=_order(removed, "fetched"),
    )


def _terms_of(out: Path, rows: list[dict]) -> list[dict]:
    """Each terms page the rows link to (``tos_url``, ``tos_digest``), with what
    it said, read again from its archived copy in ``policy/``."""

    linked = {(r["tos_url"], r.get("tos_digest")) for r in rows if r.get("tos_url")}
    archived = archived_terms(out, (d for _, d in linked if d))
    found = []
    for url, digest in sorted(linked, key=lambda pair: pair[0]):
        copy = archived.get(digest or "", {})
        found.append(
            {
                "tos_url": url,
                "tos_digest": digest,
                "archived_copy": {"file": copy["file"], "offset": copy["offset"]} if copy else None,
                "said": copy.get("kinds", []),
                "clauses": copy.get("clauses", []),
            }
        )
    return found


def _terms_lines(result: LookupResult) -> list[str]:
    if not result.terms:
        return []
    lines = ["", "Terms of service of these pages (archived before any page of their site was fetched):"]
    for terms in result.terms:
        copy = terms["archived_copy"]
        where = f"{copy['file']} at byte {copy['offset']}" if copy else "no archived copy in this folder"
        lines.append(f"  {terms['tos_url']}")
        lines.append(f"    archived: {where} ({terms['tos_digest'] or 'no digest'})")
        lines.append(f"    said: {', '.join(terms['said']) or 'nothing read as a reservation of TDM or AI training, or a ban on scraping'}")
        for clause in terms["clauses"]:
            lines.append(f"    sentence {clause['position']} ({', '.join(clause['kinds'])}): {clause['sentence']}")
    return lines


def _removed_pages(out: Path, stored_decisions: list[dict], shown_ids: set[str]) -> list[dict]:
    """Stored decisions whose document is no longer in ``documents``: pages
    taken out by ``tdmcrawl remove``, with the removal that covers each."""


    candidates = {row["document_id"] for row in stored_decisions} - shown_ids
    if not candidates:
        return []
    # The documents scan stops at the limit: ask for these ids directly.
    present, _ = _scan(out / "data" / "documents", DOCUMENTS_SCHEMA, ["id"], ds.field("id").isin(sorted(candidates)), len(candidates))
    missing = candidates - {row["id"] for row in present}
    if not missing:
        return []

    removals = recorded_removals(out)
    rows = []
    for decision in stored_decisions:
        if decision["document_id"] not in missing:
            continue
        urls = (decision["url"], decision["final_url"])  # a removal may name either end of a redirect
        removal = next((r for selector, r in removals if any(selector.matches(u) for u in urls)), {})
        rows.append(
            {
                "url": decision["url"],
                "fetched": _iso(decision["decided_at"]),
                "dump": decision["dump"],
                "document_id": decision["document_id"],
                "removed_at": removal.get("removed_at"),
                "removal_reason": removal.get("reason"),
            }
        )
    return rows


# ------------------------------------------------------------------ rendering
_KIND_WORDS = {URL: "the URL", PREFIX: "URLs starting with", DOMAIN: "the domain (and its subdomains)"}
_REMOVAL = (
    "To have stored pages removed, write to the crawl operator{who} with the URLs or the domain. "
    "Removals are applied with `tdmcrawl remove`, which writes a new version of the dataset without those rows "
    "and records that a removal took place (without naming the removed URLs). "
    "To keep pages out of future crawls, reserve text and data mining or AI training in a machine-readable way "
    "(for example robots.txt, a TDMRep tdm-reservation, a Content-Usage train-ai=n preference, or noai)."
)


def _query_words(result: LookupResult) -> str:
    value = classify_query(result.query)[1]
    return f"{_KIND_WORDS.get(result.kind, result.kind)} {value}"


def _rights_lines(row: dict) -> list[str]:
    lines = []
    for label, key in (
        ("robots.txt rule", "robots_rule"),
        ("TDMRep tdm-reservation", "tdm_reservation"),
        ("Content-Usage", "content_usage"),
        ("X-Robots-Tag", "x_robots_tag"),
        ("meta robots", "meta_robots"),
        ("terms of service", "tos_url"),
    ):
        if row.get(key) is not None:
            lines.append(f"{label}: {row[key]}")
    if row.get("tos_said"):
        lines.append("the terms say: " + ", ".join(row["tos_said"]))
    if row.get("reservations"):
        lines.append(
            f"reservations seen but not honoured under the {row.get('policy_profile')} profile: " + ", ".join(row["reservations"])
        )
    return lines


def _who(result: LookupResult) -> str:
    return f" ({', '.join(result.operators)})" if result.operators else ""


def render_text(result: LookupResult) -> str:
    """A readable report for the terminal."""
    lines = [
        f"Lookup: {_query_words(result)}",
        f"  stored: {len(result.stored)}   excluded: {len(result.excluded)}   failed: {len(result.failed)}"
        + (f"   removed: {len(result.removed)}" if result.removed else "")
        + ("   (truncated: more rows matched than the limit)" if result.truncated else ""),
    ]
    if not result.found:
        lines += ["", "Nothing in this crawl matches: no page was stored, excluded or attempted."]
    if result.stored:
        lines += ["", "Stored (the text of these pages is in the dataset):"]
        for row in result.stored:
            lines.append(f"  {row['url']}")
            if row.get("redirected_from"):
                lines.append(f"    reached by a redirect from {', '.join(row['redirected_from'])}")
            lines.append(f"    fetched {row.get('fetch_time')} in crawl {row.get('dump')}; policy profile {row.get('policy_profile')}")
            licence = row.get("license") or "none found"
            source = f" (declared by {row['license_source']})" if row.get("license_source") else ""
            lines.append(f"    licence: {licence}{source}")
            lines.append(f"    capture: {row.get('file_path')} at byte {row.get('warc_record_offset')}; id {row.get('id')}")
            lines += [f"    {line}" for line in _rights_lines(row)]
    if result.excluded:
        lines += ["", "Excluded (not stored; the decision and its evidence are kept):"]
        for row in result.excluded:
            lines.append(f"  {row['url']}" + (f" -> {row['final_url']}" if row.get("final_url") else ""))
            lines.append(f"    {row['decision']}: {row.get('reason')} (at {row.get('stage')} stage, {row.get('decided_at')})")
            if row.get("evidence"):
                lines.append(f"    evidence: {row['evidence']}")
            if row.get("tos_url"):
                lines.append(f"    terms of service: {row['tos_url']}")
    if result.removed:
        lines += ["", "Removed (stored by the crawl, since taken out of the dataset: text and capture are gone):"]
        for row in result.removed:
            lines.append(f"  {row['url']}")
            lines.append(f"    fetched {row.get('fetched')} in crawl {row.get('dump')}; " + _removal_words(row))
    if result.failed:
        lines += ["", "Failed (attempted, nothing stored):"]
        for row in result.failed:
            lines.append(f"  {row['url']}")
            lines.append(f"    {row.get('reason')} (at {row.get('stage')} stage, {row.get('decided_at')})")
            if row.get("evidence"):
                lines.append(f"    evidence: {row['evidence']}")
    lines += _terms_lines(result)
    lines += ["", _REMOVAL.format(who=_who(result))]
    return "\n".join(lines) + "\n"


def _removal_words(row: dict) -> str:
    if row.get("removed_at"):
        return f"removed {row['removed_at']}: {row.get('removal_reason')}"
    return "removed (no removal record covers it)"


def render_json(result: LookupResult) -> str:
    """Machine-readable: the result's fields plus counts."""
    payload = asdict(result)
    payload["value"] = classify_query(result.query)[1]
    payload["counts"] = {"stored": len(result.stored), "excluded": len(result.excluded), "failed": len(result.failed), "removed": len(result.removed)}
    return json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n"


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}code,.url{font-family:ui-monospace,monospace;word-break:break-all}
.counts span{display:inline-block;margin-right:1.5rem;font-weight:bold}.note{background:#f7f7f2;border-left:4px solid #999;padding:.5rem 1rem}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def render_html(result: LookupResult) -> str:
    """A self-contained static page for the creator who asked: no scripts,
    no links to or loads of anything outside the page."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Is this content in the crawl? {_e(result.query)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Is this content in the crawl?</h1>",
        f"<p>Question: {_e(_query_words(result))}.</p>",
        '<p class="counts">'
        f"<span>{len(result.stored)} stored</span><span>{len(result.excluded)} excluded</span><span>{len(result.failed)} failed</span>"
        + (f"<span>{len(result.removed)} removed</span>" if result.removed else "")
        + "</p>",
    ]
    if result.truncated:
        parts.append("<p class=\"note\">More rows matched than this report shows; ask for a narrower URL prefix.</p>")
    if not result.found:
        parts.append("<p>Nothing in this crawl matches: no page was stored, excluded or attempted.</p>")
    parts += [
        "<h2>What was stored</h2>",
        "<p>These pages were fetched and their extracted text is in the dataset, with the licence found on the page "
        "and the rights signals seen when they were fetched. None of them carried a reservation of text and data "
        "mining or AI training that the crawl's policy profile honours.</p>",
    ]
    if result.stored:
        parts.append("<table><tr><th>URL</th><th>fetched</th><th>licence</th><th>rights signals seen</th><th>capture</th></tr>")
        for row in result.stored:
            licence = _e(row.get("license") or "none found") + (f" <small>({_e(row['license_source'])})</small>" if row.get("license_source") else "")
            rights = "<br>".join(_e(line) for line in _rights_lines(row)) or "none"
            redirect = f"<br><small>redirected from {_e(', '.join(row['redirected_from']))}</small>" if row.get("redirected_from") else ""
            parts.append(
                f'<tr><td class="url">{_e(row["url"])}{redirect}</td><td>{_e(row.get("fetch_time"))}</td><td>{licence}</td>'
                f"<td>{rights}</td><td><code>{_e(row.get('file_path'))}</code> @ {_e(row.get('warc_record_offset'))}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p>No page was stored.</p>")
    parts += [
        "<h2>What was excluded, and why</h2>",
        "<p>These URLs were considered but not stored, because of a reservation (robots.txt, TDMRep, Content-Usage, "
        "Content-Signal, noai, ai.txt, RSL, …) or because they were not web pages. The crawl keeps only the decision "
        "and the evidence for it.</p>",
    ]
    if result.excluded:
        parts.append("<table><tr><th>URL</th><th>decision</th><th>reason</th><th>evidence</th><th>when</th></tr>")
        for row in result.excluded:
            parts.append(
                f'<tr><td class="url">{_e(row["url"])}</td><td>{_e(row["decision"])} <small>({_e(row.get("stage"))})</small></td>'
                f"<td>{_e(row.get('reason'))}</td><td>{_e(row.get('evidence'))}</td><td>{_e(row.get('decided_at'))}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p>No URL was excluded.</p>")
    if result.removed:
        parts += ["<h2>What was removed</h2>", "<p>These pages were stored by the crawl and later taken out of the dataset: their text and captures are no longer in it.</p>"]
        parts.append("<table><tr><th>URL</th><th>fetched</th><th>removed</th></tr>")
        for row in result.removed:
            parts.append(f'<tr><td class="url">{_e(row["url"])}</td><td>{_e(row.get("fetched"))}</td><td>{_e(_removal_words(row))}</td></tr>')
        parts.append("</table>")
    if result.failed:
        parts += ["<h2>What failed</h2>", "<p>These URLs were attempted but nothing was stored.</p>"]
        parts.append("<table><tr><th>URL</th><th>reason</th><th>evidence</th><th>when</th></tr>")
        for row in result.failed:
            parts.append(
                f'<tr><td class="url">{_e(row["url"])}</td><td>{_e(row.get("reason"))}</td>'
                f"<td>{_e(row.get('evidence'))}</td><td>{_e(row.get('decided_at'))}</td></tr>"
            )
        parts.append("</table>")
    if result.terms:
        parts += [
            "<h2>Terms of service</h2>",
            "<p>The terms of service of these pages' sites, fetched and archived before any of their pages, and the sentences "
            "read as a reservation of text and data mining or AI training, or a ban on scraping.</p>",
        ]
        parts.append("<table><tr><th>terms</th><th>archived copy</th><th>what they said</th></tr>")
        for terms in result.terms:
            copy = terms["archived_copy"]
            where = f"<code>{_e(copy['file'])}</code> @ {_e(copy['offset'])}" if copy else "–"
            said = "<br>".join(f"sentence {_e(c['position'])} ({_e(', '.join(c['kinds']))}): “{_e(c['sentence'])}”" for c in terms["clauses"]) or "nothing reserved"
            parts.append(f'<tr><td class="url">{_e(terms["tos_url"])}</td><td>{where}<br><small>{_e(terms["tos_digest"])}</small></td><td>{said}</td></tr>')
        parts.append("</table>")
    parts += [
        "<h2>How to ask for removal</h2>",
        f'<p class="note">{_e(_REMOVAL.format(who=_who(result)))}</p>',
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


# ------------------------------------------------------------------ command


