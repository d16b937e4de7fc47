"""The conformance script's own contract, over a small data folder written here
(the third-party suites live in ../shared/conformance and are not needed)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.conformance import DEPARTURES, main


def write_cases(folder: Path, cases: list[list[object]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "robots-cases.json").write_text(json.dumps({"about": "", "cases": cases, "skipped": [["s", "x", "API only"]]}))


def test_passing_cases_and_a_listed_departure_exit_0(tmp_path: Path, capsys) -> None:
    departure_id = "spec-test:stress/327748#1.6"  # /robots.txt is always allowed (RFC 9309 2.2.2)
    write_cases(tmp_path, [
        ["rfc", "own#1", "User-agent: *\nDisallow: /x\n", "bot", "http://a.test/x", False, ""],
        ["spec-test", departure_id, "User-agent: bot\nDisallow: /\n", "bot", "http://a.test/robots.txt", False, ""],
    ])
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "2: 1 pass, 1 Google departures" in out and DEPARTURES[departure_id][:40] in out
    assert "not run (1" in out


def test_an_unexplained_failure_or_a_stale_departure_exits_1(tmp_path: Path, capsys) -> None:
    write_cases(tmp_path, [["rfc", "own#2", "User-agent: *\nDisallow: /x\n", "bot", "http://a.test/x", True, ""]])
    assert main([str(tmp_path)]) == 1
    assert "UNEXPLAINED own#2" in capsys.readouterr().out
    stale = "spec-test:stress/327748#1.6"
    write_cases(tmp_path, [["spec-test", stale, "User-agent: bot\nDisallow: /\n", "bot", "http://a.test/robots.txt", True, ""]])
    assert main([str(tmp_path)]) == 1
    assert "now gives Google's answer" in capsys.readouterr().out


def test_real_policy_cases_are_checked_for_fetch_exclusion_and_family(tmp_path: Path, capsys) -> None:
    write_cases(tmp_path, [["rfc", "own#3", "", "bot", "http://a.test/", True, ""]])
    policies = tmp_path / "real-policies"
    (policies / "files" / "a.test").mkdir(parents=True)
    (policies / "files" / "a.test" / "robots.txt").write_text("User-agent: *\nAllow: /\nDisallowAITraining: /\n")
    manifest = {"token": "tdmcrawl", "sites": [{
        "id": "a.test", "origin": "https://a.test", "kinds": ["robots"], "files": {"robots": "files/a.test/robots.txt"},
        "cases": [{"url": "https://a.test/p", "fetch": True, "excluded": True, "family": "disallow-ai-training", "why": "w"}],
    }]}
    (policies / "manifest.json").write_text(json.dumps(manifest))
    assert main([str(tmp_path)]) == 0
    manifest["sites"][0]["cases"][0]["family"] = "robots"
    (policies / "manifest.json").write_text(json.dumps(manifest))
    assert main([str(tmp_path)]) == 1
    assert "got fetch=True excluded=True family=disallow-ai-training" in capsys.readouterr().out


def test_a_missing_folder_is_an_error_not_a_pass(tmp_path: Path) -> None:
    assert main([str(tmp_path / "absent")]) == 2
