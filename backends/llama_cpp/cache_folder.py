"""A folder of cache files under a size budget: what the image-embedding cache and the kept
conversation states share (their files differ, their folder keeping does not).

Files are told apart by their suffix; the folder may be shared by several processes (the
window's engine and a command), so it is listed again each time rather than counted.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

#: Temporary files older than this were left by a writer that was killed (the engine is
#: killed at quit); younger ones may be another process's write in progress.
STALE_TEMP_S = 3600.0


def trim_folder(folder: Path, suffix: str, budget: int) -> list[str]:
    """Delete the least recently used ``suffix`` files beyond ``budget`` bytes, and stale
    temporaries; the paths of the files deleted."""
    now = time.time()
    files: list[tuple[float, int, str]] = []
    total = 0
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if entry.name.endswith(suffix):
                    files.append((info.st_mtime, info.st_size, entry.path))
                    total += info.st_size
                elif entry.name.endswith(".tmp") and now - info.st_mtime > STALE_TEMP_S:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
    except OSError:
        return []
    files.sort()
    deleted: list[str] = []
    for _, size, path in files:
        if total <= budget:
            break
        with contextlib.suppress(OSError):
            os.unlink(path)
            deleted.append(path)
        total -= size
    return deleted


def folder_usage(folder: Path, suffix: str) -> tuple[int, int]:
    """(files, bytes) of the ``suffix`` files in ``folder``: what Settings shows."""
    count = total = 0
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.endswith(suffix):
                with contextlib.suppress(OSError):
                    total += entry.stat(follow_symlinks=False).st_size
                    count += 1
    return count, total


def delete_files(folder: Path, suffix: str) -> int:
    """Delete every ``suffix`` file in ``folder`` (Settings' Clear); how many went."""
    removed = 0
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.endswith(suffix):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed += 1
    return removed
