"""`tdmcrawl extract`: the documents table rebuilt from the WARC files equals the live crawl's."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import read_rows, run_tdmcrawl

REBUILT_LOCATION = {"wet_file_path", "wet_record_offset", "warc_conversion_id"}  # new WET records are written


def test_extract_gives_the_rows_of_the_live_crawl(demo_crawl, tmp_path: Path) -> None:
    result, _, _ = demo_crawl
    out = tmp_path / "copy"
    shutil.copytree(result.out, out)
    live = {row["id"]: row for row in read_rows(result.out / "data" / "documents")}
    done = run_tdmcrawl("extract", str(out), "--workers", "2")
    assert done.returncode == 0, done.stderr
    rebuilt = {row["id"]: row for row in read_rows(out / "data" / "documents")}
    assert set(rebuilt) == set(live) and live
    for record_id, row in live.items():
        for column, value in row.items():
            if column not in REBUILT_LOCATION:
                assert rebuilt[record_id][column] == value, (record_id, column)
    assert all(rebuilt[i]["wet_file_path"].startswith("wet/") for i in rebuilt)
    assert not list((out / "data").glob(".documents*"))


def test_extract_with_new_options_changes_the_extractor_record(demo_crawl, tmp_path: Path) -> None:
    result, _, _ = demo_crawl
    out = tmp_path / "copy"
    shutil.copytree(result.out, out)
    done = run_tdmcrawl("extract", str(out), "--fast", "--workers", "0")
    assert done.returncode == 0, done.stderr
    rows = read_rows(out / "data" / "documents")
    assert rows and all('"fast": true' in row["extractor_options"] for row in rows)


def test_extract_refuses_a_folder_that_is_not_an_output(tmp_path: Path) -> None:
    done = run_tdmcrawl("extract", str(tmp_path))
    assert done.returncode == 2 and "not a tdmcrawl output folder" in done.stderr
