"""A chat history from a damaged or edited backup: its refusals are told as the CLI's own notes.

Issue 16, item 5.  ``export`` leaves out an image whose stored name is not a sha256 (see
``desktop_app.core.chat.export``), and says so in one sentence.  That sentence must reach the
person as ``localsight: note: …`` on stderr, like every other note of the command, not as a
bare Python logging line (``WARNING:desktop_app.core.chat.export:…``, or the message with no
prefix at all from logging's last-resort handler).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from desktop_app.core.images import normalize_image
from desktop_app.core.settings import app_paths
from desktop_app.core.store.database import Store
from tests.helpers.cli import localsight
from tests.helpers.images import png_bytes

#: Stored names that are not a sha256, as a backup from elsewhere may hold them.
HOSTILE = ("../../../x", "/tmp/absolute-target")


def _hostile_history() -> None:
    """One conversation whose message has a good image and the ``HOSTILE`` image rows."""
    paths = app_paths().ensure()
    good = normalize_image(png_bytes((10, 200, 30), size=(32, 24)), name="good.png")
    with Store.open(paths.database_path) as store:
        conversation = store.create_conversation(title="Hostile images")
        message = store.add_message(conversation, "user", "Look at these.", [good])
    conn = sqlite3.connect(paths.database_path)
    with conn:
        for ordinal, name in enumerate(HOSTILE, start=1):
            conn.execute(
                "INSERT INTO images (sha256, mime, width, height, data, thumbnail, created_at) "
                "VALUES (?, 'image/png', 1, 1, ?, x'', 0)",
                (name, b"attacker bytes"),
            )
            conn.execute(
                "INSERT INTO message_images (message_id, sha256, ordinal) VALUES (?, ?, ?)",
                (message.id, name, ordinal),
            )
    conn.close()


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_an_image_left_out_of_an_export_is_a_localsight_note(
    localsight_home: Path, tmp_path: Path, fmt: str
) -> None:
    _hostile_history()
    out = tmp_path / "out"
    result = localsight("export", "--format", fmt, "--out", str(out), home=localsight_home)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    # One note per image left out, each the CLI's own line, and nothing else on stderr.
    assert len(lines) == len(HOSTILE), result.stderr
    for line, name in zip(lines, HOSTILE, strict=True):
        assert line.startswith("localsight: note: An image in conversation 1 was left out"), line
        assert repr(name) in line and line.endswith("."), line
    assert "WARNING" not in result.stderr and "Traceback" not in result.stderr
    # The files written are still the listing on stdout.
    assert result.stdout.strip()
