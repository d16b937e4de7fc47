"""The command line: bad arguments give one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_tdmcrawl


def assert_one_line_error(done, fragment: str) -> None:
    assert done.returncode == 2, done.stderr
    lines = [l for l in done.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("tdmcrawl: error:") and fragment in lines[0], lines[0]
    assert "Traceback" not in done.stderr


def test_help_explains_each_option() -> None:
    done = run_tdmcrawl("crawl", "--help")
    assert done.returncode == 0
    for option in ("--out", "--seeds-file", "--max-pages", "--max-depth", "--allowed-domains", "--contact", "--policy", "-s", "--quiet", "--log-level"):
        assert option in done.stdout
    assert "demo" in run_tdmcrawl("--help").stdout


def test_unknown_option(tmp_path: Path) -> None:
    assert_one_line_error(run_tdmcrawl("crawl", "http://127.0.0.1:9/", "--out", str(tmp_path), "--frobnicate"), "unrecognized arguments")


def test_unreadable_seeds_file(tmp_path: Path) -> None:
    assert_one_line_error(run_tdmcrawl("crawl", "--seeds-file", str(tmp_path / "missing.txt"), "--out", str(tmp_path)), "cannot read seeds file")


def test_malformed_seed_url(tmp_path: Path) -> None:
    assert_one_line_error(run_tdmcrawl("crawl", "ftp:/nothing here", "--out", str(tmp_path)), "not a crawlable http(s) URL")


def test_malformed_url_in_seeds_file(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("# my seeds\nhttp://127.0.0.1:9/\nnot a url\n", encoding="utf-8")
    assert_one_line_error(run_tdmcrawl("crawl", "--seeds-file", str(seeds), "--out", str(tmp_path / "o")), "not a crawlable")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("--max-pages", "zero"), "not a number"),
        (("--max-pages", "0"), "must be positive"),
        (("--policy", "lenient"), "unknown policy profile"),
        (("-s", "NOSEPARATOR"), "NAME=VALUE"),
        (("--documents", "pdf,docx"), "unknown document type 'docx'"),
    ],
)
def test_bad_values(tmp_path: Path, args: tuple[str, ...], fragment: str) -> None:
    assert_one_line_error(run_tdmcrawl("crawl", "http://127.0.0.1:9/", "--out", str(tmp_path), *args), fragment)


def test_no_seed(tmp_path: Path) -> None:
    assert_one_line_error(run_tdmcrawl("crawl", "--out", str(tmp_path)), "SEED_URL")
