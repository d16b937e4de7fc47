"""A stand-in for the Hugging Face Hub's HTTP API on 127.0.0.1, for ``tdmcrawl push`` tests.

The real Hub cannot be reached from the tests (loopback only), so this
serves the few endpoints ``huggingface_hub`` (2.x) calls for ``create_repo``,
``list_repo_files`` and ``create_commit``, as the client sends them
(``huggingface_hub/hf_api.py`` and ``_commit_api.py``): ``POST
/api/repos/create``, ``GET /api/datasets/{repo}/tree/{rev}`` (recursive
listing), ``POST /api/validate-yaml``, ``POST
/api/datasets/{repo}/preupload/{rev}`` (every file answered ``regular``, with
the git blob id of the copy the repository holds, so unchanged files are
skipped by the client as on the Hub) and ``POST
/api/datasets/{repo}/commit/{rev}`` (the NDJSON commit: ``header``, ``file``
with base64 content, ``deletedFile``). Each commit is applied at once and kept
with its operations, so a test sees what one commit did. What it does not
do: LFS/Xet uploads (the real Hub would take Parquet and WARC files through
them), authentication, branches other than ``main``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Commit:
    summary: str
    description: str
    added: list[str]
    deleted: list[str]


@dataclass
class Repo:
    files: dict[str, bytes] = field(default_factory=lambda: {".gitattributes": b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"})
    commits: list[Commit] = field(default_factory=list)
    private: bool = False


class HubStandIn:
    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "HubStandIn":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, payload: Any) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _repo_path(self, path: str, verb: str) -> tuple[str, str] | None:
                # /api/datasets/<ns>/<name>/<verb>/<rev>[/...]
                parts = path.split("/")
                if len(parts) >= 7 and parts[:3] == ["", "api", "datasets"] and parts[5] == verb:
                    return f"{parts[3]}/{parts[4]}", "/".join(parts[6:])
                return None

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                found = self._repo_path(unquote(url.path), "tree")
                with hub.lock:
                    repo = hub.repos.get(found[0]) if found else None
                    if repo is None:
                        self.send_response(404)
                        self.send_header("X-Error-Code", "RepoNotFound")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    entries = [{"type": "file", "path": p, "size": len(d), "oid": git_blob_id(d)} for p, d in sorted(repo.files.items())]
                self._send(200, entries)

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                path = unquote(url.path)
                body = self._body()
                if path == "/api/repos/create":
                    request = json.loads(body)
                    repo_id = f"{request['organization']}/{request['name']}" if request.get("organization") else f"user/{request['name']}"
                    with hub.lock:
                        if repo_id in hub.repos:
                            return self._send(409, {"error": "You already created this dataset repo", "url": f"{hub.endpoint}/datasets/{repo_id}"})
                        hub.repos[repo_id] = Repo(private=request.get("visibility") == "private" or bool(request.get("private")))
                    return self._send(200, {"url": f"{hub.endpoint}/datasets/{repo_id}", "name": repo_id})
                if path == "/api/validate-yaml":
                    return self._send(200, {"errors": [], "warnings": []})
                found = self._repo_path(path, "preupload")
                if found:
                    with hub.lock:
                        repo = hub.repos[found[0]]
                        files = [
                            {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False, "oid": git_blob_id(repo.files[f["path"]]) if f["path"] in repo.files else None}
                            for f in json.loads(body)["files"]
                        ]
                    return self._send(200, {"files": files})
                found = self._repo_path(path, "commit")
                if found:
                    lines = [json.loads(line) for line in body.splitlines() if line.strip()]
                    header = next(l["value"] for l in lines if l["key"] == "header")
                    with hub.lock:
                        repo = hub.repos[found[0]]
                        commit = Commit(header["summary"], header.get("description", ""), [], [])
                        for line in lines:
                            if line["key"] == "deletedFile":
                                if line["value"]["path"] not in repo.files:
                                    return self._send(404, {"error": "A file with this name doesn't exist"})
                                commit.deleted.append(line["value"]["path"])
                        for path_deleted in commit.deleted:
                            del repo.files[path_deleted]
                        for line in lines:
                            if line["key"] == "file":
                                value = line["value"]
                                repo.files[value["path"]] = base64.b64decode(value["content"])
                                commit.added.append(value["path"])
                        repo.commits.append(commit)
                        oid = hashlib.sha1(repr(sorted(repo.files.items())).encode()).hexdigest()
                    return self._send(200, {"commitUrl": f"{hub.endpoint}/datasets/{found[0]}/commit/{oid}", "commitOid": oid, "pullRequestUrl": None})
                self._send(404, {"error": f"not served by the stand-in: POST {path}"})

        return Handler
