"""``tdmcrawl push``: make a Hub dataset repository hold exactly the folder's current version.

Owns what is published and how the repository is brought to it: the files of
the folder that are part of the dataset (never the job directories, hidden or
``.open`` files, shard journals, nor ``data/removals``, which names the URLs
removed), and one commit that adds them and deletes every file of the
repository the folder no longer has (the WARC and WET files a removal
replaced, shards of an earlier crawl in a reused folder, anything private that
an older push sent). Deletions and additions go in the same commit
(``huggingface_hub.HfApi.create_commit`` with ``CommitOperationAdd`` and
``CommitOperationDelete``), so no revision of the repository holds the
removed pages beside their replacements. A file left out with ``--exclude``
that the folder still has is neither uploaded nor deleted. The commit message
and the card (``pipelines.dataset.version``) name the version: its
fingerprint and the date of its last removal.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from crawler import __version__

__all__ = ["PUSH_ALWAYS_EXCLUDED", "KEPT_REMOTE_FILES", "PushPlan", "publishable_files", "plan_push", "remote_files", "push"]

# data/removals names the URLs removed (for the operator's audit): never published.
PUSH_ALWAYS_EXCLUDED = [".job/**", ".job-*/**", "**/.*", ".*", "*.open", "**/*.open", "**/*.journal.jsonl", "data/removals/**"]
KEPT_REMOTE_FILES = frozenset({".gitattributes"})  # the Hub's own


def _matches(relative: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatch(relative, pattern) for pattern in patterns) or any(part.startswith(".") for part in relative.split("/"))


def publishable_files(out: Path, exclude: Sequence[str] = ()) -> list[tuple[str, int]]:
    """(path relative to ``out``, bytes) of every file to upload, sorted."""
    patterns = PUSH_ALWAYS_EXCLUDED + list(exclude)
    files = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        relative = path.relative_to(out).as_posix()
        if not _matches(relative, patterns):
            files.append((relative, path.stat().st_size))
    return files


@dataclass
class PushPlan:
    uploads: list[tuple[str, int]]
    deletions: list[str] = field(default_factory=list)
    remote_known: bool = True  # False: the repository could not be listed (dry run offline)

    @property
    def upload_bytes(self) -> int:
        return sum(size for _, size in self.uploads)


def plan_push(out: Path, remote: Iterable[str] | None, exclude: Sequence[str] = ()) -> PushPlan:
    """What to upload, and which of the repository's files (``remote``; None
    when unknown) to delete: those the folder does not have as a publishable
    file, unless only ``exclude`` keeps them back."""
    uploads = publishable_files(out, exclude)
    if remote is None:
        return PushPlan(uploads, [], remote_known=False)
    uploading = {path for path, _ in uploads}
    deletions = []
    for path in sorted(set(remote)):
        if path in uploading or path in KEPT_REMOTE_FILES:
            continue
        held_back = (out / path).is_file() and not _matches(path, PUSH_ALWAYS_EXCLUDED)
        if not held_back:
            deletions.append(path)
    return PushPlan(uploads, deletions)


def remote_files(api: Any, repo_id: str) -> list[str] | None:
    """Paths of the files in the dataset repository; [] when it does not
    exist yet; None when the Hub cannot be asked (offline mode)."""
    from huggingface_hub.errors import OfflineModeIsEnabled, RepositoryNotFoundError, RevisionNotFoundError

    try:
        return list(api.list_repo_files(repo_id, repo_type="dataset"))
    except (RepositoryNotFoundError, RevisionNotFoundError):
        return []
    except OfflineModeIsEnabled:
        return None


def push(out: Path, repo_id: str, plan: PushPlan, *, private: bool, version: str, api: Any) -> Any:
    """One commit: every upload and every deletion of ``plan``."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    operations: list[Any] = [CommitOperationDelete(path_in_repo=path) for path in plan.deletions]
    operations += [CommitOperationAdd(path_in_repo=path, path_or_fileobj=str(out / path)) for path, _ in plan.uploads]
    description = f"{len(plan.uploads)} files uploaded, {len(plan.deletions)} deleted (no longer in the folder: replaced or removed)."
    return api.create_commit(
        repo_id=repo_id,
        repo_type="dataset",
        operations=operations,
        commit_message=f"tdmcrawl {__version__}: dataset {version}",
        commit_description=description,
    )
