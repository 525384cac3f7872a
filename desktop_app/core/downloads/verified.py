"""A record of model files whose sha256 has been checked: ``<models folder>/verified.json``.

Two uses.  (1) Trust on first use: where neither the catalog nor the hub gives a sha256,
the hash of the first complete download is recorded, and a later download of the same
file (after a remove, on a resumed partial) must match it; a silent change upstream or a
corrupt re-download is then caught.  (2) Checking a multi-GB file costs a full read, so a
file already verified at this path with the same size and modification time is not
hashed again.

The record is written atomically (temporary file + rename); a missing or damaged record
only means files are hashed again, never that a download is refused.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VERIFIED_FILENAME = "verified.json"


def file_key(repo: str, revision: str, filename: str) -> str:
    return f"{repo}@{revision}/{filename}"


@dataclass(frozen=True, slots=True)
class VerifiedFile:
    sha256: str
    size: int
    source: str
    path: str | None
    mtime_ns: int | None


class VerifiedRecord:
    """Read-modify-write of the record; each call re-reads it, so two processes interleave."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, Any]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        files = raw.get("files") if isinstance(raw, dict) else None
        return files if isinstance(files, dict) else {}

    def get(self, key: str) -> VerifiedFile | None:
        item = self._read().get(key)
        if not isinstance(item, dict):
            return None
        sha, size = item.get("sha256"), item.get("size")
        if not isinstance(sha, str) or not isinstance(size, int):
            return None
        path, mtime = item.get("path"), item.get("mtime_ns")
        return VerifiedFile(
            sha256=sha,
            size=size,
            source=str(item.get("source", "")),
            path=path if isinstance(path, str) else None,
            mtime_ns=mtime if isinstance(mtime, int) else None,
        )

    def is_current(self, key: str, path: Path) -> VerifiedFile | None:
        """The record for ``key`` if ``path`` is the very file that was verified."""
        record = self.get(key)
        if record is None or record.path != str(path):
            return None
        try:
            stat = path.stat()
        except OSError:
            return None
        if stat.st_size != record.size or stat.st_mtime_ns != record.mtime_ns:
            return None
        return record

    def record(self, key: str, sha256: str, path: Path, source: str) -> None:
        stat = path.stat()
        files = self._read()
        files[key] = {
            "sha256": sha256,
            "size": stat.st_size,
            "source": source,
            "path": str(path),
            "mtime_ns": stat.st_mtime_ns,
            "verified_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        self._write(files)

    def forget_path(self, path: Path) -> None:
        """Drop the path of a removed file but keep its hash for trust on first use."""
        files = self._read()
        changed = False
        for item in files.values():
            if isinstance(item, dict) and item.get("path") == str(path):
                item["path"] = None
                item["mtime_ns"] = None
                changed = True
        if changed:
            self._write(files)

    def _write(self, files: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"schema_version": 1, "files": files}, indent=2, sort_keys=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".verified-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
