"""Croissant 1.1 metadata: the document validates with mlcroissant (offline),
describes every column and file, carries the RAI statements, and mlcroissant
reads the Parquet records it points at, across shards."""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.dataset.croissant import CROISSANT_1_1, build_croissant, croissant_type, write_croissant
from pipelines.formats.schema import DECISIONS_SCHEMA, DOCUMENTS_SCHEMA, column_descriptions
from pipelines.dataset.summary import artefacts, compute_summary
from tests.pipelines.dataset.test_lookup import decision, document, write_output

mlc = pytest.importorskip("mlcroissant", reason="mlcroissant validates the Croissant document")


def load(path: Path) -> Any:
    """Load with mlcroissant; it raises ValidationError on any validation error."""
    dataset = mlc.Dataset(jsonld=str(path))
    assert not dataset.metadata.ctx.issues.errors, dataset.metadata.ctx.issues.report()
    return dataset


def _decode(value: Any) -> Any:
    return value.decode("utf-8") if isinstance(value, bytes) else value


@pytest.fixture(scope="module")
def demo_croissant(demo_crawl, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Path]:
    result, _, _ = demo_crawl
    assert result.returncode == 0, result.stderr
    out = tmp_path_factory.mktemp("croissant") / "out"
    shutil.copytree(result.out, out, ignore=shutil.ignore_patterns(".job"))
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    return out, summary, write_croissant(out, summary)


def test_the_demo_document_validates_and_keeps_the_rai_fields(demo_croissant) -> None:
    out, summary, path = demo_croissant
    assert path == out / "croissant.json"
    metadata = load(path).metadata
    assert metadata.name.startswith("tdmcrawl-") and summary["crawl_ids"][0] in metadata.name
    assert metadata.data_collection_type == ["Web Scraping"]
    assert "robots.txt" in metadata.data_collection and "strict" in metadata.data_collection
    assert any("personal data" in text for text in metadata.personal_sensitive_information)
    assert "tdmcrawl remove" in metadata.data_release_maintenance_plan
    assert metadata.data_limitations and metadata.data_use_cases
    assert {c.name for c in metadata.creators} == set(summary["crawler"]["operators"])
    licences = [l for l in metadata.license if isinstance(l, str)]
    assert {l.rsplit("/", 1)[1].removesuffix(".html") for l in licences} == {k for k in summary["licences"]["by_license"] if k != "none" and not k.startswith("LicenseRef-")}
    raw = json.loads(path.read_text("utf-8"))
    assert raw["conformsTo"] == CROISSANT_1_1
    period = summary["collection_period"]
    assert raw["rai:dataCollectionTimeframe"] == [period["first_fetch"], period["last_fetch"]]


def test_every_artefact_is_a_file_object_with_its_digest(demo_croissant) -> None:
    out, summary, path = demo_croissant
    distribution = load(path).metadata.distribution
    objects = {f.content_url: f for f in distribution if isinstance(f, mlc.FileObject)}
    assert set(objects) == {a["path"] for a in summary["artefacts"]} - {"croissant.json"}  # it cannot list itself
    for relative, node in objects.items():
        assert node.sha256 == hashlib.sha256((out / relative).read_bytes()).hexdigest()
        expected_format = "application/x-parquet" if relative.endswith(".parquet") else "application/warc"
        assert node.encoding_formats == [expected_format]
    sets = {f.id: f.includes for f in distribution if isinstance(f, mlc.FileSet)}
    assert sorted(sum(sets.values(), [])) == ["data/decisions/*.parquet", "data/documents/*.parquet"]


@pytest.mark.parametrize("table, schema", [("documents", DOCUMENTS_SCHEMA), ("decisions", DECISIONS_SCHEMA)])
def test_record_sets_describe_every_column(demo_croissant, table: str, schema: pa.Schema) -> None:
    _, _, path = demo_croissant
    record_set = next(r for r in load(path).metadata.record_sets if r.name == table)
    fields = {f.name: f for f in record_set.fields}
    assert list(fields) == schema.names
    for name, description in column_descriptions(schema).items():
        assert fields[name].description == description
    if table == "documents":
        assert fields["license_candidates"].is_array is True
        assert [s.name for s in fields["license_candidates"].sub_fields] == [f"license_candidates/{m.name}" for m in DOCUMENTS_SCHEMA.field("license_candidates").type.value_type]
        assert fields["reservations"].is_array is True


def test_mlcroissant_reads_the_demo_documents(demo_croissant) -> None:
    out, _, path = demo_croissant
    records = list(itertools.islice(load(path).records("documents"), 3))
    table = pq.read_table(sorted((out / "data" / "documents").glob("*.parquet"))[0], columns=["url", "word_count", "license_candidates"]).to_pylist()[:3]
    assert [_decode(r["documents/url"]) for r in records] == [row["url"] for row in table]
    assert [r["documents/word_count"] for r in records] == [row["word_count"] for row in table]
    first_candidates = [{k.rsplit("/", 1)[1]: _decode(v) for k, v in c.items()} for c in records[0]["documents/license_candidates"]]
    assert first_candidates == table[0]["license_candidates"]


def test_mlcroissant_reads_every_shard_of_a_multi_crawl_output(tmp_path: Path) -> None:
    out = write_output(
        tmp_path / "out",
        {
            f"crawl-{crawl}-w{worker}": (
                [document(f"https://example.org/{crawl}{worker}/{i}", crawl=f"crawl-{crawl}") for i in range(3)],
                [decision(f"https://example.org/{crawl}{worker}/{i}", "excluded", "robots-disallow", crawl=f"crawl-{crawl}") for i in range(4)],
            )
            for crawl in "ab"
            for worker in (0, 1)
        },
    )
    summary, _ = compute_summary(out)
    summary["artefacts"] = artefacts(out)
    document_ld = build_croissant(out, summary)
    assert document_ld["rai:dataCollectionTimeframe"] == [summary["collection_period"]["first_fetch"], summary["collection_period"]["last_fetch"]]
    dataset = load(write_croissant(out, summary))
    decisions = list(dataset.records("decisions"))
    assert len(decisions) == 16
    assert sorted({_decode(r["decisions/dump"]) for r in decisions}) == ["crawl-a", "crawl-b"]
    assert len(list(dataset.records("documents"))) == 12


def test_an_empty_output_still_validates(tmp_path: Path) -> None:
    out = write_output(tmp_path / "out", {})
    summary, _ = compute_summary(out)
    document_ld = build_croissant(out, summary)
    assert document_ld["distribution"][0]["@type"] == "cr:FileSet"
    assert "rai:dataCollectionTimeframe" not in document_ld and "creator" not in document_ld
    load(write_croissant(out, summary))


def test_write_croissant_never_lists_itself(tmp_path: Path) -> None:
    out = write_output(tmp_path / "out", {"w0": ([document("https://example.org/")], [])})
    summary, _ = compute_summary(out)
    summary["artefacts"] = artefacts(out) + [{"path": "croissant.json", "bytes": 1, "sha256": "0" * 64}]
    urls = [d.get("contentUrl") for d in build_croissant(out, summary)["distribution"]]
    assert "croissant.json" not in urls and "data/documents/documents-w0-00000.parquet" in urls


@pytest.mark.parametrize(
    "dtype, expected",
    [
        (pa.string(), "sc:Text"),
        (pa.int8(), "sc:Integer"),
        (pa.int64(), "sc:Integer"),
        (pa.float32(), "sc:Float"),
        (pa.bool_(), "sc:Boolean"),
        (pa.timestamp("us", tz="UTC"), "sc:DateTime"),
        (pa.date32(), "sc:Date"),
        (pa.binary(), "sc:Text"),
    ],
)
def test_arrow_types_map_to_croissant_types(dtype: pa.DataType, expected: str) -> None:
    assert croissant_type(dtype) == expected
