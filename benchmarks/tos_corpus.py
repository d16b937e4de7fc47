"""How well the terms reader finds reservations in real terms of service.

Reads the documents of a corpus folder (default ``../shared/tos-corpus``:
78 real terms in seven languages from Open Terms Archive, ODC-BY; never copied
into this repository) with :func:`crawler.rights.tos.read_terms`, and compares
what it finds with the hand labels in ``benchmarks/data/tos-labels.tsv``
(document, sentence position, kind, sentence digest: no text is kept).

Reports precision and recall per kind, sentence by sentence and document by
document, and the documents that only forbid scraping but were read as a
reservation. ``--check`` exits 1 below the targets: precision >= 0.9 and
recall >= 0.8 on tdm + ai-training (sentences), at most 2 scraping-only
documents read as a TDM / AI-training reservation. ``--errors`` prints each
false positive and false negative with its sentence (read from the corpus).

    python -m benchmarks.tos_corpus [CORPUS_DIR] [--check] [--errors] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from crawler.rights.tos import AI_TRAINING, KINDS, SCRAPING, TDM, read_terms, sentence_digest, split_sentences, terms_text

LABELS = Path(__file__).parent / "data" / "tos-labels.tsv"
DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "tos-corpus"
RESERVATION_KINDS = (TDM, AI_TRAINING)
TARGET_PRECISION = 0.9
TARGET_RECALL = 0.8
MAX_SCRAPING_ONLY_AS_RESERVATION = 2


def load_labels(path: Path = LABELS) -> list[tuple[str, int, str, str]]:
    rows = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        document, position, kind, digest = line.split("\t")
        if kind not in KINDS:
            raise ValueError(f"{path}: unknown kind {kind!r}")
        rows.append((document, int(position), kind, digest))
    return rows


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def _scores(truth: set, predicted: set) -> dict[str, object]:
    tp = len(truth & predicted)
    return {
        "labelled": len(truth),
        "found": len(predicted),
        "true_positives": tp,
        "precision": _ratio(tp, len(predicted)),
        "recall": _ratio(tp, len(truth)),
    }


def evaluate(corpus: Path, labels_path: Path = LABELS) -> dict[str, object]:
    labels = load_labels(labels_path)
    documents = sorted(p for p in (corpus / "docs").glob("*.md"))
    if not documents:
        raise SystemExit(f"no documents in {corpus / 'docs'}")
    texts = {p.name: terms_text(p.read_bytes(), "text/markdown") for p in documents}
    sentences = {name: split_sentences(text) for name, text in texts.items()}
    stale = []
    truth: dict[str, set] = defaultdict(set)
    for document, position, kind, digest in labels:
        found = sentences.get(document)
        if found is None or position >= len(found) or sentence_digest(found[position].text) != digest:
            stale.append(f"{document}:{position}")
        truth[kind].add((document, position))
    predicted: dict[str, set] = defaultdict(set)
    rules: dict[tuple[str, int, str], tuple[str, ...]] = {}
    for name, text in texts.items():
        for clause in read_terms(text).clauses:
            for kind in clause.kinds:
                predicted[kind].add((name, clause.position))
                rules[(name, clause.position, kind)] = clause.rules
    report: dict[str, object] = {"corpus": str(corpus), "documents": len(documents), "labels": len(labels), "stale_labels": stale}
    per_kind = {}
    for kind in KINDS:
        per_kind[kind] = {
            "sentences": _scores(truth[kind], predicted[kind]),
            "documents": _scores({d for d, _ in truth[kind]}, {d for d, _ in predicted[kind]}),
        }
    reservation_truth = {(d, p, k) for k in RESERVATION_KINDS for d, p in truth[k]}
    reservation_found = {(d, p, k) for k in RESERVATION_KINDS for d, p in predicted[k]}
    per_kind["tdm+ai-training"] = {
        "sentences": _scores(reservation_truth, reservation_found),
        "documents": _scores({d for d, _, _ in reservation_truth}, {d for d, _, _ in reservation_found}),
    }
    report["kinds"] = per_kind
    reserving = {d for d, _, _ in reservation_truth}
    scraping_only = sorted({d for d, _ in truth[SCRAPING]} - reserving)
    read_as_reservation = sorted(d for d in scraping_only if d in {x for x, _, _ in reservation_found})
    report["scraping_only_documents"] = len(scraping_only)
    report["scraping_only_read_as_reservation"] = read_as_reservation
    report["no_clause_documents"] = len([n for n in texts if not any(n == row[0] for row in labels)])
    errors = []
    for kind in KINDS:
        for document, position in sorted(predicted[kind] - truth[kind]):
            errors.append(("false-positive", kind, document, position, rules.get((document, position, kind), ())))
        for document, position in sorted(truth[kind] - predicted[kind]):
            errors.append(("false-negative", kind, document, position, ()))
    report["errors"] = [
        {"error": e, "kind": k, "document": d, "position": p, "rules": list(r), "sentence": sentences[d][p].text if p < len(sentences[d]) else ""}
        for e, k, d, p, r in errors
    ]
    return report


def passes(report: dict[str, object]) -> bool:
    scores = report["kinds"]["tdm+ai-training"]["sentences"]  # type: ignore[index]
    return (
        not report["stale_labels"]
        and (scores["precision"] or 0) >= TARGET_PRECISION
        and (scores["recall"] or 0) >= TARGET_RECALL
        and len(report["scraping_only_read_as_reservation"]) <= MAX_SCRAPING_ONLY_AS_RESERVATION  # type: ignore[arg-type]
    )


def table(report: dict[str, object]) -> str:
    lines = [
        f"{report['documents']} documents, {report['labels']} labels; {report['no_clause_documents']} documents with no labelled clause",
        "",
        "| kind | labelled sentences | found | precision | recall | documents labelled | doc precision | doc recall |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, scores in report["kinds"].items():  # type: ignore[union-attr]
        s, d = scores["sentences"], scores["documents"]
        lines.append(f"| {kind} | {s['labelled']} | {s['found']} | {s['precision']} | {s['recall']} | {d['labelled']} | {d['precision']} | {d['recall']} |")
    lines.append("")
    lines.append(
        f"scraping-only documents: {report['scraping_only_documents']}; read as a TDM / AI-training reservation: "
        f"{len(report['scraping_only_read_as_reservation'])} {report['scraping_only_read_as_reservation']}"  # type: ignore[arg-type]
    )
    if report["stale_labels"]:
        lines.append(f"STALE labels (the splitter moved; relabel): {report['stale_labels']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS), help="corpus folder (with docs/*.md)")
    parser.add_argument("--labels", default=str(LABELS))
    parser.add_argument("--check", action="store_true", help="exit 1 below the targets")
    parser.add_argument("--errors", action="store_true", help="print every false positive and negative")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = evaluate(Path(args.corpus), Path(args.labels))
    if args.json:
        shown = dict(report)
        if not args.errors:
            shown.pop("errors")
        print(json.dumps(shown, indent=2, ensure_ascii=False))
    else:
        print(table(report))
        if args.errors:
            for error in report["errors"]:  # type: ignore[union-attr]
                print(f"\n{error['error']} {error['kind']} {error['document']}:{error['position']} {error['rules']}\n  {error['sentence'][:500]}")
    if args.check and not passes(report):
        print("below target: precision >= 0.9 and recall >= 0.8 on tdm + ai-training, at most 2 scraping-only documents read as a reservation", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
