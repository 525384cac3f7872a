"""A BackgroundCall whose slots hold the only reference to its owner is deleted once.

The heap corruption CI saw after the window tests (glibc's "malloc_consolidate(): unaligned
fastbin chunk", a SIGSEGV in ``~QObject``) was this: a dialog or window the caller no longer
kept was alive only through a lambda connected to its BackgroundCall (``lambda error:
self._show(error)``).  When the finished call deleted itself, ``~QObject`` dropped the lambda,
the owner died there, and the dying owner deleted the call, still its child and half
destroyed, a second time.

Each scenario runs in a child interpreter: before the fix, the second destruction is undefined
behaviour that may crash the process instead of failing an assertion.  Qt says which objects
it destroys (``destroyed``), so the child reports each destruction and the test counts them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from tests.helpers import REPO

SCENARIO = textwrap.dedent(
    """
    import json, sys, time
    from PySide6.QtCore import QEventLoop, QObject
    from PySide6.QtWidgets import QApplication, QDialog

    from desktop_app.qt.common.workers import BackgroundCall

    app = QApplication([])
    destroyed = []
    results = []

    def start(kind):
        owner = QDialog() if kind == "dialog" else QObject()  # owned by Python alone
        call = BackgroundCall(owner)
        call.done.connect(results.append)
        call.failed.connect(lambda error: owner.setObjectName(error))  # holds the owner
        owner.destroyed.connect(lambda: destroyed.append("owner"))
        call.destroyed.connect(lambda: destroyed.append("call"))
        call.run(lambda: "result")
        # The caller keeps nothing: the lambda is the owner's only reference.

    start(sys.argv[1])
    # Until both are gone (the worker thread must end before the call deletes itself: on a
    # loaded machine that takes a while), or 60 s; then a little more, so that a second
    # destruction would show.
    deadline = time.monotonic() + 60
    while (not results or len(destroyed) < 2) and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.005)
    for _ in range(20):
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
    print(json.dumps({"results": results, "destroyed": destroyed}), flush=True)
    """
)


def run_scenario(kind: str) -> dict[str, list[str]]:
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    env["MALLOC_CHECK_"] = "3"  # glibc checks each free: a double free aborts at once
    done = subprocess.run(
        [sys.executable, "-c", SCENARIO, kind],
        check=False,  # the exit status is asserted below, with the child's stderr
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"the child died ({done.returncode}): {done.stderr[-2000:]}"
    last = done.stdout.strip().splitlines()[-1]
    report: dict[str, list[str]] = json.loads(last)
    return report


def test_a_finished_call_and_its_forgotten_owner_are_each_destroyed_once() -> None:
    report = run_scenario("object")
    assert report["results"] == ["result"]
    assert sorted(report["destroyed"]) == ["call", "owner"], report["destroyed"]


def test_a_forgotten_dialog_with_a_finished_call_is_destroyed_once() -> None:
    """The About dialog's case: a dialog nobody keeps, filled in by its call."""
    report = run_scenario("dialog")
    assert report["results"] == ["result"]
    assert sorted(report["destroyed"]) == ["call", "owner"], report["destroyed"]
