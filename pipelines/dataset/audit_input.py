"""The inputs of a consent audit (``tdmcrawl audit``): URL lists and datasets,
read as streams of rows so memory never grows with the number of URLs.

Owns what an INPUT is and how its rows are numbered:

* a text file: one URL per line; ``input_row`` is the 0-based line number
  (blank lines and ``#`` comments are skipped but keep their numbers);
* a Parquet file, or a folder of Parquet files (FineWeb, Common Crawl index
  exports, our own ``documents`` tables), with a URL column (default ``url``);
  ``input_row`` is the row's 0-based position in its file;
* a local Hugging Face dataset folder: one written by ``Dataset.save_to_disk``
  (Arrow files listed in ``state.json``, or a ``dataset_dict.json`` of splits),
  or a Hub-layout folder of Parquet files.

Every row gets ``input_file`` (the file it came from, as given or relative to
the INPUT folder), ``input_row`` and, when the input has an id column,
``input_id``. No Scrapy: the audit spider and the offline report both read
inputs through this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

BATCH_ROWS = 4096
TEXT = "text"
PARQUET = "parquet"
ARROW = "arrow"
ID_COLUMNS = ("id", "doc_id", "document_id", "uid", "uuid")
TEXT_COLUMNS = ("text", "content", "raw_content")


class InputError(ValueError):
    """An INPUT that cannot be audited (missing, unreadable, no URL column)."""


@dataclass(frozen=True)
class InputFile:
    """One file of an INPUT: its kind, where it is, and the name its rows carry."""

    path: Path
    kind: str  # text | parquet | arrow
    name: str  # input_file of its rows

    def schema(self) -> pa.Schema:
        if self.kind == PARQUET:
            return pq.read_schema(self.path)
        if self.kind == ARROW:
            with pa.memory_map(str(self.path)) as source:
                return _open_arrow(source).schema
        return pa.schema([pa.field("url", pa.string())])

    def batches(self, columns: list[str] | None = None) -> Iterator[tuple[int, pa.RecordBatch]]:
        """(position of the batch's first row, batch): the file's rows in order,
        ``columns`` only (all when None). Text files yield ``url`` and ``input_row``."""
        if self.kind == TEXT:
            yield from _text_batches(self.path)
            return
        if self.kind == PARQUET:
            parquet = pq.ParquetFile(self.path)
            position = 0
            for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=columns):
                yield position, batch
                position += batch.num_rows
            return
        with pa.memory_map(str(self.path)) as source:
            reader = _open_arrow(source)
            position = 0
            for batch in _arrow_batches(reader):
                if columns is not None:
                    batch = batch.select(columns)
                yield position, batch
                position += batch.num_rows


def _open_arrow(source: pa.NativeFile) -> ipc.RecordBatchStreamReader | ipc.RecordBatchFileReader:
    # datasets writes the stream format; accept the file format too.
    try:
        return ipc.open_stream(source)
    except pa.ArrowInvalid:
        source.seek(0)
        return ipc.open_file(source)


def _arrow_batches(reader: ipc.RecordBatchStreamReader | ipc.RecordBatchFileReader) -> Iterator[pa.RecordBatch]:
    if isinstance(reader, ipc.RecordBatchFileReader):
        for index in range(reader.num_record_batches):
            yield reader.get_batch(index)
        return
    yield from reader


def _text_batches(path: Path) -> Iterator[tuple[int, pa.RecordBatch]]:
    urls: list[str] = []
    rows: list[int] = []
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            for number, line in enumerate(handle):
                value = line.strip()
                if not value or value.startswith("#"):
                    continue
                urls.append(value.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
                rows.append(number)
                if len(urls) >= BATCH_ROWS:
                    yield rows[0], pa.record_batch({"url": urls, "input_row": pa.array(rows, pa.int64())})
                    urls, rows = [], []
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if urls:
        yield rows[0], pa.record_batch({"url": urls, "input_row": pa.array(rows, pa.int64())})


def input_files(value: str | Path) -> list[InputFile]:
    """The files one INPUT argument stands for, in a stable order."""
    path = Path(value)
    if not path.exists():
        raise InputError(f"input {value} does not exist")
    if path.is_file():
        if path.suffix == ".parquet":
            return [InputFile(path, PARQUET, str(value))]
        if path.suffix == ".arrow":
            return [InputFile(path, ARROW, str(value))]
        return [InputFile(path, TEXT, str(value))]
    if (path / "dataset_dict.json").is_file():
        splits = json.loads((path / "dataset_dict.json").read_text("utf-8")).get("splits") or []
        files: list[InputFile] = []
        for split in splits:
            files.extend(_saved_dataset(path / split, base=path))
        return files
    if (path / "state.json").is_file():
        return _saved_dataset(path, base=path)
    parquet = sorted(p for p in path.rglob("*.parquet") if not any(part.startswith(".") for part in p.relative_to(path).parts))
    if parquet:
        return [InputFile(p, PARQUET, p.relative_to(path).as_posix()) for p in parquet]
    arrow = sorted(path.rglob("*.arrow"))
    if arrow:
        return [InputFile(p, ARROW, p.relative_to(path).as_posix()) for p in arrow]
    raise InputError(f"input folder {value} holds no Parquet files and no saved Hugging Face dataset")


def _saved_dataset(folder: Path, *, base: Path) -> list[InputFile]:
    """A ``save_to_disk`` folder: its Arrow files in the order ``state.json`` lists them."""
    state = json.loads((folder / "state.json").read_text("utf-8"))
    names = [entry["filename"] for entry in state.get("_data_files") or []]
    return [InputFile(folder / name, ARROW, (folder / name).relative_to(base).as_posix()) for name in names]


def _is_text(schema: pa.Schema, column: str) -> bool:
    if column not in schema.names:
        return False
    kind = schema.field(column).type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


@dataclass(frozen=True)
class AuditInput:
    """All INPUT arguments of one audit, with the columns chosen."""

    files: tuple[InputFile, ...]
    url_column: str
    id_column: str | None
    text_column: str | None

    @classmethod
    def open(cls, values: list[str], *, url_column: str = "url", id_column: str | None = None, text_column: str | None = None) -> "AuditInput":
        files: list[InputFile] = []
        for value in values:
            files.extend(input_files(value))
        if not files:
            raise InputError("no input files")
        schemas = {f.name: f.schema() for f in files}
        for name, schema in schemas.items():
            if url_column not in schema.names:
                raise InputError(f"{name} has no column {url_column!r} (its columns: {', '.join(schema.names[:20])}); use --url-column")
        if id_column is None:
            id_column = next((c for c in ID_COLUMNS if all(c in s.names for s in schemas.values())), None)
        elif any(id_column not in s.names for s in schemas.values()):
            raise InputError(f"not every input has the id column {id_column!r}")
        if text_column is None:
            text_column = next((c for c in TEXT_COLUMNS if all(_is_text(s, c) for s in schemas.values())), None)
        elif any(text_column not in s.names for s in schemas.values()):
            raise InputError(f"not every input has the text column {text_column!r}")
        return cls(tuple(files), url_column, id_column, text_column)

    @property
    def kinds(self) -> list[str]:
        return sorted({f.kind for f in self.files})

    def rows(self) -> Iterator[tuple[str, int, str | None, str | None]]:
        """(input_file, input_row, input_id, url) for every row, in input order.
        A null or non-text URL comes through as None (it gets a row saying so)."""
        for file in self.files:
            columns = None if file.kind == TEXT else [c for c in (self.url_column, self.id_column) if c]
            for position, batch in file.batches(columns):
                urls = batch.column(self.url_column if file.kind != TEXT else "url").to_pylist()
                if file.kind == TEXT:
                    numbers = batch.column("input_row").to_pylist()
                else:
                    numbers = range(position, position + batch.num_rows)
                ids = batch.column(self.id_column).to_pylist() if self.id_column and file.kind != TEXT else [None] * batch.num_rows
                for url, number, ident in zip(urls, numbers, ids):
                    yield file.name, number, None if ident is None else str(ident), url if isinstance(url, str) else None
