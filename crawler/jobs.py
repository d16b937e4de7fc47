"""A crawl job that survives a crash: its lock, its state and its frontier
journal (the repair of the output a killed crawl left behind is
``pipelines.dataset.recovery``).

Owns the job directory (``--job DIR``, by default ``<out>/.job``):

* ``lock``: held for the life of the crawl (``flock``), so two runs never
  share one job directory;
* ``state.json``: the crawl id, worker id and status (``running``,
  ``stopped`` after a graceful stop, ``finished``);
* ``frontier.jsonl``: every URL the crawl admitted (seeds, links, sitemap
  entries), appended and flushed as it is admitted;
* ``scrapy/``: Scrapy's ``JOBDIR`` (disk request queues while running).

On resume the output is repaired first (WARC files left ``.open`` cut to their
last complete capture, Parquet shards rebuilt from their journals, captures
that reached the WARC but not the tables turned into rows), then every
admitted URL without a decision is sent again. So after any kill every WARC
and Parquet file is valid, no URL is stored twice and none is lost.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

logger = logging.getLogger(__name__)

RUNNING = "running"
STOPPED = "stopped"
FINISHED = "finished"


class JobLocked(Exception):
    """Another crawl holds this job directory."""


@dataclass(frozen=True)
class FrontierEntry:
    url: str
    depth: int
    via: str | None
    hops: str


class JobDirectory:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock_handle: Any = None
        self._journal: Any = None

    # ------------------------------------------------------------------ lock
    def lock(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        handle = open(self.path / "lock", "a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise JobLocked(f"another crawl is using the job directory {self.path}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock_handle = handle

    def unlock(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self._lock_handle is not None:
            fcntl.flock(self._lock_handle.fileno(), fcntl.LOCK_UN)
            self._lock_handle.close()
            self._lock_handle = None

    # ------------------------------------------------------------------ state
    @property
    def state_file(self) -> Path:
        return self.path / "state.json"

    def read_state(self) -> dict[str, Any]:
        try:
            return json.loads(self.state_file.read_text("utf-8"))
        except (OSError, ValueError):
            return {}

    def write_state(self, **values: Any) -> None:
        state = self.read_state()
        state.update(values, updated_at=time.time())
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.path / ".state.json.tmp"
        tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
        os.replace(tmp, self.state_file)

    # ------------------------------------------------------------------ frontier
    @property
    def frontier_file(self) -> Path:
        return self.path / "frontier.jsonl"

    def read_frontier(self) -> Iterator[FrontierEntry]:
        if not self.frontier_file.exists():
            return
        with open(self.frontier_file, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not line.endswith("\n"):
                    break  # a line torn by a kill
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                yield FrontierEntry(entry["u"], int(entry.get("d", 0)), entry.get("v"), entry.get("h", ""))

    def admit(self, url: str, depth: int, via: str | None, hops: str) -> None:
        if self._journal is None:
            self.path.mkdir(parents=True, exist_ok=True)
            self._journal = open(self.frontier_file, "a", encoding="utf-8")
        self._journal.write(json.dumps({"u": url, "d": depth, "v": via, "h": hops}, ensure_ascii=False) + "\n")
        self._journal.flush()

    def start_new_crawl(self) -> None:
        """Forget the previous crawl's frontier and Scrapy job state (its output stays)."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        self.frontier_file.unlink(missing_ok=True)
        if self.scrapy_dir.is_dir():
            shutil.rmtree(self.scrapy_dir)

    @property
    def scrapy_dir(self) -> Path:
        return self.path / "scrapy"

    def reset_scrapy_queue(self) -> None:
        """The frontier journal, not Scrapy's queue, is the record of what is
        left to do: a queue a kill interrupted may be torn, so it is dropped."""
        for name in ("requests.queue", "requests.seen"):
            target = self.scrapy_dir / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()


