"""A model added in the window (saved in ``extra_model_paths``) as ``localsight models`` sees it.

The window saves the added file's path; every later run rescans that path.  The tiny vision
model sits in a folder of its own beside its projector, as a person downloads the pair.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from desktop_app.core.settings import Settings, app_paths
from tests.helpers.cli import NO_OLLAMA, localsight


def test_added_vision_model_is_listed_with_vision(
    localsight_home: Path, tiny_vlm: tuple[Path, Path]
) -> None:
    """Defect 2 of issue 17: the saved path was scanned as a lone file, so the model the
    window had paired with its projector came back text-only in every later run."""
    paths = app_paths().ensure()
    Settings(extra_model_paths=[str(tiny_vlm[0])]).save(paths.settings_path)
    for backend in ([], ["--backend", "llama-cpp"]):  # every backend's list, and llama.cpp's
        result = localsight("models", *backend, "--json", home=localsight_home, env=NO_OLLAMA)
        assert result.returncode == 0, result.stderr
        rows = {r["id"]: r for r in json.loads(result.stdout)}
        added = rows[os.path.realpath(tiny_vlm[0])]
        assert added["vision"] is True, (backend, added)
        assert not any(Path(i).name == tiny_vlm[1].name for i in rows), "projector listed"
