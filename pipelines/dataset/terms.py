"""The terms of service of a finished crawl, read back from its archive.

Owns turning the ``tos_url`` / ``tos_digest`` columns of an output folder into
what each site's terms said: the archived copy in ``policy/`` (found by its
WARC payload digest) is read again with :func:`crawler.rights.tos.read_terms`,
so the summary, the dataset card and ``tdmcrawl lookup`` quote the sentences
from the very bytes the crawl fetched. Offline: no Scrapy, no network.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable

from crawler.rights.tos import read_terms, terms_text
from crawler.urls import origin_of

MAX_CLAUSES = 5  # sentences quoted per site in the summary


def archived_terms(out: Path, digests: Iterable[str]) -> dict[str, dict[str, Any]]:
    """digest -> {url, file, offset, content_type, kinds, clauses} for each terms
    capture of ``policy/`` whose payload digest is wanted."""
    from warcio.archiveiterator import ArchiveIterator

    wanted = {d for d in digests if d}
    found: dict[str, dict[str, Any]] = {}
    if not wanted:
        return found
    for path in sorted((out / "policy").glob("*.warc.gz")):
        try:
            with path.open("rb") as stream:
                iterator = ArchiveIterator(stream)
                for record in iterator:
                    if record.rec_type != "response":
                        continue
                    digest = record.rec_headers.get_header("WARC-Payload-Digest")
                    if digest not in wanted or digest in found:
                        continue
                    content_type = record.http_headers.get_header("Content-Type") if record.http_headers else None
                    body = record.content_stream().read()
                    reading = read_terms(terms_text(body, content_type))
                    found[digest] = {
                        "url": record.rec_headers.get_header("WARC-Target-URI"),
                        "file": f"policy/{path.name}",
                        "offset": iterator.get_record_offset(),
                        "fetched": record.rec_headers.get_header("WARC-Date"),
                        "kinds": list(reading.kinds()),
                        "clauses": [clause.as_dict() for clause in reading.clauses],
                    }
        except OSError:
            continue  # a file being written or removed: what it holds is not reported
    return found


def terms_section(out: Path, rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The summary's ``terms_of_service``: per terms page, the origins it
    covers, what it said (with up to :data:`MAX_CLAUSES` sentences), its
    archived copy, and the URLs stored and excluded under it. ``rows`` are
    decision rows (``url``, ``decision``, ``tos_url``, ``tos_digest``)."""
    by_terms: dict[tuple[str, str | None], dict[str, Any]] = {}
    origins_without: set[str] = set()
    for row in rows:
        url, digest = row.get("tos_url"), row.get("tos_digest")
        origin = str(origin_of(row["url"])) if row.get("url") else ""
        if not url:
            if origin:
                origins_without.add(origin)
            continue
        entry = by_terms.setdefault((url, digest), {"origins": set(), "decisions": defaultdict(int)})
        entry["origins"].add(origin)
        entry["decisions"][row.get("decision") or "?"] += 1
    archived = archived_terms(out, (d for _, d in by_terms if d))
    sites = []
    for (url, digest), entry in sorted(by_terms.items(), key=lambda item: item[0][0]):
        copy = archived.get(digest or "", {})
        sites.append(
            {
                "tos_url": url,
                "tos_digest": digest,
                "archived_copy": {"file": copy["file"], "offset": copy["offset"]} if copy else None,
                "origins": sorted(entry["origins"]),
                "said": copy.get("kinds", []),
                "clauses": copy.get("clauses", [])[:MAX_CLAUSES],
                "decisions": dict(sorted(entry["decisions"].items())),
            }
        )
    origins_with = {o for site in sites for o in site["origins"]}
    return {
        "sites": sites,
        "reserving_tdm_or_ai_training": [s["tos_url"] for s in sites if {"tdm", "ai-training"} & set(s["said"])],
        "banning_scraping": [s["tos_url"] for s in sites if "scraping" in s["said"]],
        "origins_without_terms": sorted(origins_without - origins_with),
    }


def render_terms_markdown(section: dict[str, Any], *, heading: str = "##") -> str:
    """The terms of service section of summary.md and of the dataset card."""
    sites = section.get("sites") or []
    lines = [f"{heading} Terms of service", ""]
    if not sites:
        lines += ["No site's terms of service were found (or none were looked for).", ""]
        return "\n".join(lines)
    lines += [
        "Each site's terms were fetched before its pages, archived in `policy/` and read for sentences that reserve "
        "text and data mining (`tdm`), forbid AI training (`ai-training`) or forbid automated collection in general "
        "(`scraping`). The sentence number counts from 0 over the terms as read (`crawler.rights.tos.split_sentences`).",
        "",
        "| terms | origins | said | archived copy | decisions |",
        "|---|---|---|---|---|",
    ]
    for site in sites:
        copy = site.get("archived_copy")
        where = f"`{copy['file']}` @ {copy['offset']}" if copy else "–"
        decisions = ", ".join(f"{k} {v}" for k, v in site["decisions"].items())
        lines.append(f"| {site['tos_url']} | {', '.join(site['origins'])} | {', '.join(site['said']) or 'nothing reserved'} | {where} ({site['tos_digest'] or 'no digest'}) | {decisions} |")
    quoted = [site for site in sites if site.get("clauses")]
    if quoted:
        lines += ["", "What they said:", ""]
        for site in quoted:
            for clause in site["clauses"]:
                sentence = clause["sentence"].replace("|", "\\|")
                lines.append(f"- {site['tos_url']} (sentence {clause['position']}, {', '.join(clause['kinds'])}): “{sentence}”")
    if section.get("origins_without_terms"):
        lines += ["", f"Origins without terms found: {', '.join(section['origins_without_terms'])}."]
    lines.append("")
    return "\n".join(lines)


def decision_terms_rows(out: Path) -> list[dict[str, Any]]:
    """``url``, ``decision``, ``tos_url`` and ``tos_digest`` of every
    decision row; shards written before these columns existed give none."""
    import pyarrow.parquet as pq

    wanted = ["url", "decision", "tos_url", "tos_digest"]
    rows: list[dict[str, Any]] = []
    for path in sorted((out / "data" / "decisions").glob("*.parquet")):
        if path.name.startswith((".", "_")):
            continue
        try:
            names = set(pq.read_schema(path).names)
            if not set(wanted) <= names:
                continue
            rows.extend(pq.read_table(path, columns=wanted).to_pylist())
        except OSError:
            continue
    return rows
