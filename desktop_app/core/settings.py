"""Where LocalSight keeps things, and the user's settings.

All paths come from platformdirs (the platform's conventional data / config / cache
folders).  ``LOCALSIGHT_HOME`` relocates every one of them under one folder: tests always
set it, so nothing in a test run ever touches the real home; a portable install can use it
too.  Settings are a typed dataclass stored as JSON with a schema version, so a later
release can migrate them instead of guessing.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import math
import os
import tempfile
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backends.base import GenerationOptions

APP_NAME = "LocalSight"
HOME_ENV = "LOCALSIGHT_HOME"
SETTINGS_SCHEMA_VERSION = 1

log = logging.getLogger(__name__)

# Field metadata read by the load-time check (see ``Settings.load_with_problems``), so each
# rule lives on the field it is about.  ``MINIMUM``: the smallest value accepted — the CLI's
# ``positive_int`` for counts, the settings dialog's lower bound for the temperature; no upper
# bounds, since the dialog's are only what its spin boxes offer.  ``NONE_MEANS``: what a
# ``None`` default means, for the sentence that names the default used.  ``SECRET``: the
# refused value is never quoted (problems are logged and shown), only its kind.
MINIMUM = "minimum"
NONE_MEANS = "none_means"
SECRET = "secret"
PROBLEM_VALUE_CHARS = 40


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
    """User preferences. Unknown keys in the file are ignored; missing ones take defaults.

    The annotations are the schema: loading checks each value against its field's type (and
    the field's ``MINIMUM``, if any), so a new field is checked without being listed anywhere
    else.  Only ``str``, ``int``, ``float``, ``bool``, ``list[...]`` and ``X | None`` are
    understood; another type fails the tests rather than slipping through unchecked.
    """

    backend: str = "llama-cpp"
    model: str | None = None
    mmproj: str | None = None
    ollama_host: str | None = None
    image_long_edge: int = field(default=1024, metadata={MINIMUM: 1})
    temperature: float = field(default=0.7, metadata={MINIMUM: 0.0})
    max_tokens: int = field(default=1024, metadata={MINIMUM: 1})
    num_ctx: int = field(default=4096, metadata={MINIMUM: 1})
    threads: int | None = field(default=None, metadata={MINIMUM: 1, NONE_MEANS: "automatic"})
    extra_model_paths: list[str] = field(default_factory=list)
    system_prompt: str = ""
    # OpenAI-compatible servers (desktop_app/core/models/openai_config.py): a preset name or a
    # base URL (the URL wins), the name of an environment variable holding the API key,
    # and the models the user says can see (for servers that do not report it).
    openai_preset: str | None = None
    openai_base_url: str | None = None
    openai_api_key_env: str | None = None
    # Only set when the user asks for the key to be stored; the file is owner-only (0600).
    openai_api_key: str | None = field(default=None, metadata={SECRET: True})
    openai_vision_models: list[str] = field(default_factory=list)
    # The first-run screen (desktop_app/qt/models/first_run_panel.py) is shown until the person
    # picks one of its choices or closes it; older settings files lack the key: not shown yet.
    first_run_dismissed: bool = False
    schema_version: int = SETTINGS_SCHEMA_VERSION

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read settings; a missing or unreadable file gives defaults (never a crash).

        A value of the wrong type takes its default, as ``load_with_problems`` explains;
        callers that cannot show the problems get them logged as warnings, so a hand-edited
        typo is never dropped without a word.
        """
        loaded = cls.load_with_problems(path)
        for problem in loaded.problems:
            log.warning("%s", problem)
        return loaded.settings

    @classmethod
    def load_with_problems(cls, path: Path) -> SettingsLoad:
        """Read settings and say which values were refused.

        Each value is checked against its field's annotation: a bad one would otherwise
        travel far before breaking (a ``str`` thread count in ``GenerationOptions``, an
        ``int`` model id), where the cause is no longer visible.  A refused value is replaced
        by the field's default and named in one sentence in ``problems``; the rest of the
        file is kept.  Unknown keys are ignored and ``schema_version`` is always the current
        one; a missing, unreadable or non-object file gives all defaults and no problems.
        """
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return SettingsLoad(cls())
        if not isinstance(raw, dict):
            return SettingsLoad(cls())
        rules = _setting_rules()
        values: dict[str, Any] = {}
        problems: list[str] = []
        for key, value in raw.items():
            rule = rules.get(key)
            if rule is None:
                continue
            checked = rule.check(value)
            if checked is _REFUSED:
                problems.append(rule.problem(value))
            else:
                values[key] = checked
        return SettingsLoad(cls(**values), tuple(problems))

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


@dataclass(frozen=True, slots=True)
class SettingsLoad:
    """What ``Settings.load_with_problems`` read: the settings and the values it refused.

    Kept apart from ``Settings`` so the problems never change its equality and are never
    written back by ``save``: they describe one reading of one file, not a preference.
    """

    settings: Settings
    problems: tuple[str, ...] = ()


class _Refused:
    """The marker for a value that does not fit its field (``None`` can be a valid value)."""


_REFUSED = _Refused()


@dataclass(frozen=True, slots=True)
class _Rule:
    """How one field's value is checked, derived from the field itself."""

    name: str
    hint: Any
    default: Any
    minimum: float | None
    none_means: str
    secret: bool

    def check(self, value: object) -> object:
        """The value to keep (an ``int`` becomes ``float`` for a float field), or ``_REFUSED``."""
        if not _fits(value, self.hint):
            return _REFUSED
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.minimum is not None and value < self.minimum:
                return _REFUSED
            if _accepts(self.hint, float) and not _accepts(self.hint, int):
                return float(value)
        return value

    def problem(self, value: object) -> str:
        """One sentence naming the key, the refused value and the default used instead."""
        wanted = _describe(self.hint)
        if self.minimum is not None:
            wanted += f" of at least {self.minimum:g}"
        return (
            f'Setting "{self.name}" should be {wanted}, not {self._value_text(value)}; '
            f"using the default ({self._default_text()})."
        )

    def _value_text(self, value: object) -> str:
        if not self.secret:
            return _shown(value)
        return f"{_json_kind(value)} (not shown, it is secret)"

    def _default_text(self) -> str:
        if self.default is None:
            return self.none_means
        if self.default in ("", []):
            return "empty"
        return _shown(self.default)


@functools.cache
def _setting_rules() -> dict[str, _Rule]:
    """The check for every field of ``Settings`` that is read from the file.

    Built from ``dataclasses.fields`` and ``typing.get_type_hints`` so the dataclass stays
    the only list of settings; ``schema_version`` is left out because the file's own is
    never trusted (it is always the current version once loaded).
    """
    hints = typing.get_type_hints(Settings)
    defaults = Settings()
    rules: dict[str, _Rule] = {}
    for item in dataclasses.fields(Settings):
        if item.name == "schema_version":
            continue
        hint = hints[item.name]
        _describe(hint)  # an annotation the check does not understand fails here, loudly
        minimum = item.metadata.get(MINIMUM)
        rules[item.name] = _Rule(
            name=item.name,
            hint=hint,
            default=getattr(defaults, item.name),
            minimum=None if minimum is None else float(minimum),
            none_means=str(item.metadata.get(NONE_MEANS, "none")),
            secret=bool(item.metadata.get(SECRET, False)),
        )
    return rules


def _union_args(hint: Any) -> tuple[Any, ...] | None:
    """The members of ``X | Y`` (either spelling), or ``None`` for any other annotation."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return None


def _accepts(hint: Any, kind: type) -> bool:
    """Whether the annotation is ``kind`` or a union with ``kind`` among its members."""
    members = _union_args(hint)
    return kind in members if members is not None else hint is kind


def _fits(value: object, hint: Any) -> bool:
    """Whether a JSON value fits an annotation.

    JSON has one number type and Python's ``bool`` is an ``int``, so: ``true`` is not a whole
    number, a whole number is a fine ``float``, and a float must be finite (``json`` reads
    ``NaN`` and ``Infinity``, which no sampler or size can use).
    """
    members = _union_args(hint)
    if members is not None:
        return any(_fits(value, member) for member in members)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        try:
            return math.isfinite(value)
        except OverflowError:  # an int too large for a float
            return False
    if hint is str:
        return isinstance(value, str)
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint)
        return isinstance(value, list) and all(_fits(entry, item) for entry in value)
    raise TypeError(f"settings cannot check values of type {hint!r}")


def _describe(hint: Any) -> str:
    """The annotation in words for a problem sentence; ``None`` is left unsaid (it is "unset")."""
    members = _union_args(hint)
    if members is not None:
        named = [_describe(member) for member in members if member is not type(None)]
        return " or ".join(named)
    words = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}
    if hint in words:
        return words[hint]
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint)
        return "a list of " + _describe(item).removeprefix("a ")
    raise TypeError(f"settings cannot check values of type {hint!r}")


def _json_kind(value: object) -> str:
    """What sort of JSON value this is, for a value that must not be quoted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


def _shown(value: object) -> str:
    """A value as it is written in the file (JSON), cut short so a sentence stays one line."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > PROBLEM_VALUE_CHARS:
        text = text[: PROBLEM_VALUE_CHARS - 1] + "…"
    return text


def generation_options(
    settings: Settings,
    *,
    temperature: float | None = None,
    max_tokens: int | None = None,
    num_ctx: int | None = None,
    threads: int | None = None,
    seed: int | None = None,
) -> GenerationOptions:
    """The options a new answer is generated with: the settings, and any override given.

    The window passes none; ``ask`` and ``describe`` pass their command-line options (each
    ``None`` when not given).  The seed is never a setting: without one sampling varies.
    """
    return GenerationOptions(
        temperature=settings.temperature if temperature is None else temperature,
        max_tokens=settings.max_tokens if max_tokens is None else max_tokens,
        num_ctx=settings.num_ctx if num_ctx is None else num_ctx,
        threads=settings.threads if threads is None else threads,
        seed=seed,
    )
