"""Where LocalSight keeps things, and the user's settings.

All paths come from platformdirs (the platform's conventional data / config / cache
folders).  ``LOCALSIGHT_HOME`` relocates every one of them under one folder: tests always
set it, so nothing in a test run ever touches the real home; a portable install can use it
too.  Settings are a typed dataclass stored as JSON with a schema version, so a later
release can migrate them instead of guessing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

APP_NAME = "LocalSight"
HOME_ENV = "LOCALSIGHT_HOME"
SETTINGS_SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class AppPaths:
    """The folders the app writes to; created on first use."""

    data_dir: Path
    config_dir: Path
    cache_dir: Path

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "localsight.sqlite3"

    @property
    def settings_path(self) -> Path:
        return self.config_dir / "settings.json"

    def ensure(self) -> AppPaths:
        for folder in (self.data_dir, self.config_dir, self.cache_dir, self.models_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def app_paths(environ: dict[str, str] | None = None) -> AppPaths:
    """Resolve the app's folders, honouring ``LOCALSIGHT_HOME``."""
    env = os.environ if environ is None else environ
    home = env.get(HOME_ENV)
    if home:
        root = Path(home).expanduser().resolve()
        return AppPaths(root / "data", root / "config", root / "cache")
    import platformdirs

    return AppPaths(
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
    )


@dataclass(slots=True)
class Settings:
    """User preferences. Unknown keys in the file are ignored; missing ones take defaults."""

    backend: str = "llama-cpp"
    model: str | None = None
    mmproj: str | None = None
    ollama_host: str | None = None
    image_long_edge: int = 1024
    temperature: float = 0.7
    max_tokens: int = 1024
    num_ctx: int = 4096
    threads: int | None = None
    extra_model_paths: list[str] = field(default_factory=list)
    system_prompt: str = ""
    # OpenAI-compatible servers (desktop_app/core/openai_config.py): a preset name or a
    # base URL (the URL wins), the name of an environment variable holding the API key,
    # and the models the user says can see (for servers that do not report it).
    openai_preset: str | None = None
    openai_base_url: str | None = None
    openai_api_key_env: str | None = None
    # Only set when the user asks for the key to be stored; the file is owner-only (0600).
    openai_api_key: str | None = None
    openai_vision_models: list[str] = field(default_factory=list)
    # The first-run screen (desktop_app/qt/first_run_panel.py) is shown until the person
    # picks one of its choices or closes it; older settings files lack the key: not shown yet.
    first_run_dismissed: bool = False
    schema_version: int = SETTINGS_SCHEMA_VERSION

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read settings; a missing or unreadable file gives defaults (never a crash)."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(raw, dict):
            return cls()
        known = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        defaults = cls()
        for key, value in raw.items():
            if key not in known or key == "schema_version":
                continue
            default = getattr(defaults, key)
            if (
                default is None
                or isinstance(value, type(default))
                or (isinstance(default, float) and isinstance(value, int))
            ):
                values[key] = value
        return cls(**values)

    def save(self, path: Path) -> None:
        """Write atomically: a crash mid-write leaves the previous file intact."""
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".settings-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
