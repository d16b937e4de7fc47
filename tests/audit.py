"""The audit-trail invariant of every end-to-end test: each request a local
test server received is accounted for in the crawl's own record.

A request is accounted for when it fetched a policy file (robots.txt,
tdmrep.json, ai.txt, and every file the ``policy/`` WARC archives, with the
redirects that led to it), or when a decision row names its URL: as ``url``,
as ``final_url``, or as a hop of the redirect chain its evidence names. A
stored page must also have its document row (unless a removal recorded in
``data/removals`` took it out), and every URL a finished crawl admitted to
its frontier journal must have been decided.

Servers and outputs are matched by port and path: a loopback origin is one
port, whatever host name the crawl used for it.

:func:`assert_audit_trail` is the check. The ``audit_trail`` fixture in
``tests/conftest.py`` applies it to every test: it notes each
:class:`~crawler.localsite.LocalSite` a test starts and each output folder a
crawl writes (``run_tdmcrawl`` and the process launchers call
:func:`note_output`), and checks them together when the test ends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

from crawler.localsite import LocalSite
from pipelines.dataset.removals import removed_url_matcher

POLICY_PATHS = frozenset({"/robots.txt", "/.well-known/tdmrep.json", "/ai.txt"})

Key = tuple[int, str]  # (port, path and query as sent)


def request_key(url: str) -> Key | None:
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    except ValueError:
        return None
    path = parts.path or "/"
    return port, path + ("?" + parts.query if parts.query else "")


def _rows(folder: Path) -> list[dict[str, Any]]:
    from tests.conftest import read_rows

    return read_rows(folder) if folder.is_dir() else []


def _policy_urls(out: Path) -> set[str]:
    """Every URL the policy/ WARC files name: the captures and their redirect hops."""
    from warcio.archiveiterator import ArchiveIterator

    urls: set[str] = set()
    for path in sorted((out / "policy").glob("*.warc.gz")):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                target = record.rec_headers.get_header("WARC-Target-URI")
                if target:
                    urls.add(target)
                if record.rec_type == "metadata":
                    for line in record.content_stream().read().decode("utf-8", "replace").splitlines():
                        name, _, value = line.partition(":")
                        if name.strip() == "redirects":
                            urls.update(hop.strip() for hop in value.split(" -> ") if hop.strip())
    return urls


def _evidence_urls(row: dict[str, Any]) -> set[str]:
    """URLs of the redirect chain a decision's evidence names (signal ``redirect``, one per hop)."""
    try:
        evidence = json.loads(row.get("evidence_json") or "[]")
    except ValueError:
        return set()
    urls: set[str] = set()
    for item in evidence:
        if isinstance(item, dict) and item.get("signal") == "redirect" and item.get("source"):
            urls.add(str(item["source"]))
    return urls


def _finished(out: Path) -> bool:
    """True when a run into the output ended on its own or was stopped cleanly
    (an output whose only run was killed, and never resumed, is not audited;
    a killed cluster worker is, through the workers that finished the crawl)."""
    for path in sorted((out / "runs").glob("*.json")):
        try:
            if json.loads(path.read_text("utf-8")).get("finish_reason") not in (None, "running"):
                return True
        except (OSError, ValueError):
            continue
    return False


def _frontier(out: Path) -> list[str]:
    from crawler.jobs import JobDirectory

    job = out / ".job"
    if not (job / "state.json").exists():
        return []
    state = json.loads((job / "state.json").read_text("utf-8"))
    if state.get("status") != "finished":
        return []
    return [entry.url for entry in JobDirectory(job).read_frontier()]


@dataclass
class Audit:
    """What the outputs account for, and what the servers saw."""

    accounted: set[Key] = field(default_factory=set)
    policy: set[Key] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def add_output(self, out: Path) -> None:
        decisions = _rows(out / "data" / "decisions")
        documents = _rows(out / "data" / "documents")
        document_ids = {d["id"] for d in documents}
        removed = removed_url_matcher(out)  # `tdmcrawl remove` takes stored pages' rows out on request
        decided = {row["url"] for row in decisions}
        for row in decisions:
            for url in (row["url"], row.get("final_url"), *_evidence_urls(row)):
                key = request_key(url) if url else None
                if key is not None:
                    self.accounted.add(key)
            if row["decision"] == "stored" and row.get("document_id") not in document_ids and not (removed(row["url"]) or removed(row.get("final_url"))):
                self.problems.append(f"{out.name}: {row['url']} is stored, but no document row has id {row.get('document_id')}")
        for document in documents:
            for url in (document["url"], *(document.get("fetch_redirect_chain") or ())):
                key = request_key(url)
                if key is not None:
                    self.accounted.add(key)
        for url in _policy_urls(out):
            key = request_key(url)
            if key is not None:
                self.policy.add(key)
        for url in _frontier(out):
            if url not in decided:
                self.problems.append(f"{out.name}: {url} was admitted to the frontier but has no decision row")

    def check_site(self, site: LocalSite, extra_policy_paths: Iterable[str] = ()) -> None:
        extra = set(extra_policy_paths)
        for name, origin in site.origins.items():
            for received in list(origin.requests):
                key = (origin.port, received.path)
                bare = received.path.split("?", 1)[0]
                if bare in POLICY_PATHS or received.path in extra or key in self.policy or key in self.accounted:
                    continue
                self.problems.append(f"{name} (port {origin.port}) received {received.method} {received.path}, which no decision row accounts for")


def audit(outputs: Iterable[Path], sites: Iterable[LocalSite], *, policy_paths: Iterable[str] = ()) -> Audit:
    result = Audit()
    for out in outputs:
        result.add_output(Path(out))
    for site in sites:
        result.check_site(site, policy_paths)
    return result


def assert_audit_trail(outputs: Iterable[Path], sites: Iterable[LocalSite], *, policy_paths: Iterable[str] = ()) -> None:
    """Every request the sites received is accounted for by the outputs (see
    the module docstring); ``policy_paths`` names more policy requests (paths
    as sent) that the outputs cannot show, such as hops past the redirect limit
    of a robots.txt."""
    problems = audit(outputs, sites, policy_paths=policy_paths).problems
    assert not problems, "the audit trail has gaps:\n  " + "\n  ".join(problems[:50])


# ---------------------------------------------------------------- what the current test started
@dataclass
class TestScope:
    """Sites started and outputs written during one test."""

    sites: list[LocalSite] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    policy_paths: set[str] = field(default_factory=set)

    def check(self) -> None:
        finished = [out for out in dict.fromkeys(self.outputs) if _finished(out)]
        if not finished or not self.sites:
            return  # no crawl ran to its end against these servers
        assert_audit_trail(finished, self.sites, policy_paths=self.policy_paths)


_current: TestScope | None = None


def note_output(out: Path | str) -> None:
    """Tell the running test's audit that a crawl writes into ``out``."""
    if _current is not None:
        _current.outputs.append(Path(out))


def note_policy_paths(*paths: str) -> None:
    """Requests (paths as sent) the running test knows to be policy-file fetches the outputs cannot show."""
    if _current is not None:
        _current.policy_paths.update(paths)


def output_of(args: Iterable[str]) -> Path | None:
    """The --out folder of a ``tdmcrawl crawl|demo|worker`` command line."""
    args = list(args)
    if not args or args[0] not in ("crawl", "demo", "worker"):
        return None
    for flag in ("--out",):
        if flag in args and args.index(flag) + 1 < len(args):
            return Path(args[args.index(flag) + 1])
    for arg in args:
        if arg.startswith("TDMCRAWL_OUTPUT_DIR="):
            return Path(arg.split("=", 1)[1])
    return None
