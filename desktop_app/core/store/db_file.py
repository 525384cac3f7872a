"""Opening the chat database file: connection settings, health check, setting a bad file aside.

Why this is separate from the store: it is the part that decides, before any query runs,
whether the file on disk can be trusted, and it is the only code that ever moves a user's
database.  The rules (docs/failures.md, item 5):

* A file that SQLite calls damaged or "not a database", or that fails ``PRAGMA quick_check``,
  is **moved aside** to ``<name>.corrupt-YYYYmmdd-HHMMSS`` together with its ``-wal`` and
  ``-shm`` files (renamed so SQLite still pairs them, for anyone attempting a rescue), never
  deleted, and a fresh database is started.  The WAL is moved first: a stale WAL left beside
  a new, empty database would be replayed into it.
* A file that is merely busy, read-only or unreachable is *not* damaged and is never moved.
* ``quick_check`` rather than ``integrity_check`` at every start: it catches the same page
  and record damage but skips cross-checking every index entry, which on a Raspberry Pi's
  SD card is the difference between a fraction of a second and several seconds for a large
  history.

Connection settings, and why:

* ``journal_mode=WAL``: readers never block the writer (the window reads the list while a
  reply streams), and a commit is one sequential append.
* ``synchronous=NORMAL`` by default: in WAL mode this is still crash-safe for the
  application (a kill -9 loses nothing committed: the WAL is in the OS's page cache) and
  never corrupts the file; only an OS crash or power cut can roll back the last
  transactions.  The store switches to ``FULL`` (an fsync per commit) for the writes that
  matter most (each user message, each finished answer, conversation changes) and stays on
  ``NORMAL`` for the twice-a-second streaming flushes, whose fsyncs would cost the most on
  an SD card; ``benchmarks/store_flush.py`` measures both.
* ``foreign_keys=ON`` (off by default in SQLite) so deleting a conversation cascades.
* ``busy_timeout``: the CLI and the window may write the same file; wait rather than fail.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from pathlib import Path
from typing import IO, Final

from backends.messages import message
from desktop_app.core.store.errors import StoreError, is_corruption, translate

__all__ = ["BUSY_TIMEOUT_S", "ProcessLock", "connect", "move_aside", "open_checked"]

BUSY_TIMEOUT_S: Final = 10.0
_SIDECARS: Final = ("-wal", "-shm", "-journal")


class _Damaged(Exception):
    """``quick_check`` found damage; carries its first lines."""


def connect(path: Path) -> sqlite3.Connection:
    """A connection with the settings above, in autocommit mode (explicit transactions).

    ``check_same_thread=False`` because the window reads on its own thread while a worker
    writes; the store serialises every use with a lock.
    """
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


def _check_header(path: Path) -> None:
    """Bytes 18-19 of the header are the file format's write/read versions: 1 or 2.

    SQLite opens a file with a larger write version read-only without complaint, which would
    surface much later as a baffling "read-only" save error; a flipped byte there is damage.
    """
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
    except OSError:
        return  # unreadable files are reported by SQLite itself
    if len(header) < 100 or not header.startswith(b"SQLite format 3\0"):
        return  # empty (a new database) or not SQLite at all: SQLite itself says which
    if header[18] not in (1, 2) or header[19] not in (1, 2):
        raise _Damaged(f"file format versions {header[18]}/{header[19]}")


def _check(conn: sqlite3.Connection) -> None:
    rows = [str(row[0]) for row in conn.execute("PRAGMA quick_check(5)")]
    if rows != ["ok"]:
        raise _Damaged("; ".join(rows))
    # Reading the schema catches a damaged sqlite_master that quick_check may not reach.
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()


def open_checked(path: Path) -> tuple[sqlite3.Connection, Path | None]:
    """Open ``path``, setting it aside first if it is damaged.

    Returns the connection and, when a damaged file was moved, where it went.  Raises
    :class:`StoreError` for problems that are not damage (permissions, a busy file, a full
    disk): those files are left exactly where they are.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(
            message(
                "Could not create the folder for the chat history ({folder}): {reason}. "
                "Check that you may write there.",
                folder=str(path.parent),
                reason=str(error.strerror or error),
            ),
            kind="cannot_open",
        ) from error
    verdict = _probe(path)
    if verdict != "damaged":
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(path)
            if verdict == "unknown":
                _check(conn)
            return conn, None
        except _Damaged:
            pass
        except sqlite3.Error as error:
            if not is_corruption(error):
                if conn is not None:
                    conn.close()
                raise translate(error, writing=False, path=path) from error
        if conn is not None:
            conn.close()
    moved = move_aside(path)
    try:
        return connect(path), moved
    except sqlite3.Error as error:
        raise translate(error, writing=True, path=path) from error


def _probe(path: Path) -> str:
    """ "healthy", "damaged" or "unknown", judged through a read-only connection.

    Read-only because closing the last read-write connection checkpoints the WAL into the
    database file and deletes the WAL: on a damaged file that would rewrite the very bytes
    a rescue needs.  A read-only connection changes nothing.  "unknown" (nothing to check
    yet, or a read-only open that failed for another reason, such as a leftover rollback
    journal only a writer may replay) leaves the judgement to the read-write connection.
    """
    wal = Path(f"{path}-wal")
    try:
        has_content = path.stat().st_size > 0 or (wal.exists() and wal.stat().st_size > 0)
    except OSError:
        return "unknown"
    if not has_content:
        return "unknown"
    try:
        _check_header(path)
        probe = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
    except _Damaged:
        return "damaged"
    except sqlite3.Error as error:
        return "damaged" if is_corruption(error) else "unknown"
    try:
        _check(probe)
    except _Damaged:
        return "damaged"
    except sqlite3.Error as error:
        return "damaged" if is_corruption(error) else "unknown"
    finally:
        probe.close()
    return "healthy"


def move_aside(path: Path, *, now: float | None = None) -> Path:
    """Rename ``path`` and its sidecar files to ``<name>.corrupt-<timestamp>``; never delete.

    Returns the new path of the main file.  A second damaged file in the same second gets
    ``-2``, ``-3``, … so nothing is ever overwritten.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    base = f"{path.name}.corrupt-{stamp}"
    target = path.with_name(base)
    counter = 2
    while any(Path(f"{target}{suffix}").exists() for suffix in ("", *_SIDECARS)):
        target = path.with_name(f"{base}-{counter}")
        counter += 1
    try:
        for suffix in _SIDECARS:  # sidecars first: see the module docstring
            sidecar = Path(f"{path}{suffix}")
            if sidecar.exists():
                os.replace(sidecar, f"{target}{suffix}")
        if path.exists():
            os.replace(path, target)
    except OSError as error:
        raise StoreError(
            message(
                "The chat history {path} is damaged and could not be moved aside ({reason}). "
                "Move or rename it yourself, then start LocalSight again; it has not been "
                "deleted.",
                path=str(path),
                reason=str(error.strerror or error),
            ),
            kind="corrupt",
        ) from error
    return target


class ProcessLock:
    """Tells whether this is the only process with the database open.

    Why: at start-up, answers left ``streaming`` are marked ``interrupted`` — but if the
    window is streaming an answer right now and ``localsight ask --save`` starts, that answer
    is alive, not interrupted.  Every store holds a shared ``flock`` on ``<db>.lock`` for its
    lifetime; the kernel drops it when a process dies, even by kill -9.  A store that can
    take the lock exclusively is alone and may recover; otherwise it leaves ``streaming``
    rows to their owner (or to the next start).  Where ``fcntl`` is missing (Windows) every
    store recovers, the behaviour without this lock.
    """

    def __init__(self, db_path: Path) -> None:
        self._file: IO[bytes] | None = None
        try:
            self._file = open(f"{db_path}.lock", "a+b")  # noqa: SIM115  (held for the lifetime)
        except OSError:
            self._file = None

    def acquire_alone(self) -> bool:
        """Take the lock exclusively if nobody else holds it; True means "alone"."""
        try:
            import fcntl
        except ImportError:
            return True
        if self._file is None:
            return True
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file.fileno(), fcntl.LOCK_SH)
            return False
        return True

    def share(self) -> None:
        """Downgrade to shared, letting other processes open the store."""
        try:
            import fcntl
        except ImportError:
            return
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file.fileno(), fcntl.LOCK_SH)

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
