"""Fixtures the window tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.core.settings import AppPaths, Settings, app_paths
from tests.helpers.fake_backend import MODEL


@pytest.fixture
def paths(localsight_home: Path) -> AppPaths:
    """The app's folders with the scripted fake's model chosen in the settings (a test file
    that needs other settings defines its own ``paths``)."""
    paths = app_paths().ensure()
    Settings(model=MODEL, max_tokens=64, temperature=0.0, num_ctx=2048).save(paths.settings_path)
    return paths
