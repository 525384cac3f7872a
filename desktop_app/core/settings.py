"""Where LocalSight keeps things, and the user's settings.

All paths come from platformdirs (the platform's conventional data / config / cache
folders).  ``LOCALSIGHT_HOME`` relocates every one of them under one folder: tests always
set it, so nothing in a test run ever touches the real home; a portable install can use it
too.  Settings are a typed dataclass stored as JSON with a schema version, so a later
release can migrate them instead of guessing.

The file is the user's, often edited by hand, so nothing in it is trusted: every value is
checked on load (its type, its range, what the code that uses it can accept), a refused
value is named in one line and its default used, and a file that cannot be read as a whole
is never overwritten without a copy (``Settings.save`` keeps it as
``settings.json.bad-<time>``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import math
import os
import re
import stat
import tempfile
import time
import types
import typing
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backends.base import GenerationOptions
from backends.messages import message

APP_NAME = "LocalSight"
HOME_ENV = "LOCALSIGHT_HOME"
SETTINGS_SCHEMA_VERSION = 1

log = logging.getLogger(__name__)

# Field metadata read by the load-time check (see ``Settings.load_with_problems``), so each
# rule lives on the field it is about.  ``MINIMUM`` / ``MAXIMUM``: the range accepted (each
# bound says on its field why it is there).  ``WANTS``: what the value should be, in words,
# when the type alone does not say it.  ``CHECK``: a function given each text of the value
# (the value, or each entry of a list) that returns ``None`` when the text is fine, else why
# not (a phrase after "it" / "an entry", or "" when ``WANTS`` says it all).  ``NONE_MEANS``:
# what a ``None`` default means, for the sentence that names the default used.  ``SECRET``:
# the refused value is never quoted (problems are logged and shown), only its kind.
# ``URL``: an address that may hold ``user:password@``; a refused one is quoted without it.
# Every phrase is a ``backends.messages.message``: a problem is one message made of them,
# which the window and the CLI show in the person's language (issue 19).
MINIMUM = "minimum"
MAXIMUM = "maximum"
WANTS = "wants"
CHECK = "check"
NONE_MEANS = "none_means"
SECRET = "secret"
URL = "url"
PROBLEM_VALUE_CHARS = 40

#: A settings file is a few hundred bytes; one larger than this is not settings, and reading
#: it whole would let a runaway file (or /dev/zero behind a link) take the memory.
MAX_SETTINGS_BYTES = 1024 * 1024

#: ggml's own ceiling (``GGML_MAX_N_THREADS`` in ggml.h); 10**9 made llama.cpp allocate
#: per-thread state until ``std::bad_alloc`` aborted the process (issue 16).  Fixed, not
#: derived from this machine's cores: a file copied from a bigger machine stays valid, and
#: the backend fits the count to the machine.
MAX_THREADS = 512

#: The largest context or answer a setting may ask for: 2**20 tokens.  Even the smallest
#: model's cache for that (SmolLM2-135M: ~23 KB a token) is ~23 GB, more than a desktop
#: holds.  llama.cpp clamps to what the model was trained on, but a server backend takes the
#: number as given, and one past int64 (JSON allows any) cannot even be sent.
MAX_CONTEXT_TOKENS = 2**20

#: The backends the factory can build (``desktop_app.core.models.factory.BACKEND_NAMES``,
#: which imports this module, so the names are restated here; a test keeps them equal).
BACKEND_CHOICES = ("llama-cpp", "ollama", "openai")

#: The window's appearance: follow the desktop's light/dark scheme, or always one of them.
THEME_CHOICES = ("system", "light", "dark")

#: The window's language: follow the system's (Chinese for any ``zh`` locale, else
#: English), or always English, or always Simplified Chinese (the one translation shipped).
LANGUAGE_CHOICES = ("system", "en", "zh_CN")

#: The conversation's text size, in percent of the desktop's font: Ctrl+= and Ctrl+- step
#: by ``TEXT_SIZE_STEP``.  Below 70 % a 9 pt desktop font is under 7 pt, which no one reads;
#: above 200 % a code line of 40 characters no longer fits a 1024 px window's chat column.
TEXT_SIZE_DEFAULT = 100
TEXT_SIZE_MIN = 70
TEXT_SIZE_MAX = 200
TEXT_SIZE_STEP = 10


def _backend_fault(text: str) -> str | None:
    return None if text in BACKEND_CHOICES else ""


def _ollama_address_fault(text: str) -> str | None:
    """Why the Ollama backend could not use this address, read by its own rules.

    ``backends.ollama.host.parse_host`` is the official client's reading of ``OLLAMA_HOST``;
    what it raises on (a port past 65535, a broken IPv6 literal) ended the CLI with
    "unexpected error" and kept the window from opening.  What it accepts but no connection
    can use (another scheme, a blank or spaced name, port 0, a scheme and nothing else)
    is refused here too, so the mistake is named where it was made.  ``""`` means unset.
    """
    if not text:
        return None
    from backends.ollama.host import parse_host

    _scheme, separator, rest = text.partition("://")
    if separator and not rest:
        return message("names no machine")
    try:
        written = urllib.parse.urlsplit(text if separator else f"http://{text}")
        split = urllib.parse.urlsplit(parse_host(text))
        ports = (written.port, split.port)
    except ValueError as error:
        if "port" in str(error).lower():
            return message("has a port outside 1 to 65535")
        return message("is not an address")
    if 0 in ports:
        return message("has a port outside 1 to 65535")
    if split.scheme not in ("http", "https"):
        return message("is not an http or https address")
    name = split.hostname or ""
    if not name or any(c.isspace() or not c.isprintable() for c in name):
        return message("names no valid machine")
    return None


def _preset_fault(text: str) -> str | None:
    if not text:  # unset: the default preset
        return None
    from backends.openai_compat.endpoint import PRESETS

    return (
        None if text in PRESETS else message("is not one of {choices}", choices=", ".join(PRESETS))
    )


def _server_address_fault(text: str) -> str | None:
    """The OpenAI-compatible backend's own reading (``normalize_base_url``); ``""`` is unset."""
    if not text:
        return None
    from backends.base import BackendError
    from backends.openai_compat.endpoint import normalize_base_url

    try:
        normalize_base_url(text)
    except BackendError:
        return message("is not an http or https server address")
    return None


def _variable_name_fault(text: str) -> str | None:
    return message('holds "=", which no variable name can') if "=" in text else None


def _theme_fault(text: str) -> str | None:
    return None if text in THEME_CHOICES else ""


def _language_fault(text: str) -> str | None:
    return None if text in LANGUAGE_CHOICES else ""


def _path_fault(text: str) -> str | None:
    return message("is empty") if not text.strip() else None


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
    the field's ``MINIMUM``, ``MAXIMUM`` and ``CHECK``, if any), so a new field is checked
    without being listed anywhere else.  Only ``str``, ``int``, ``float``, ``bool``,
    ``list[...]`` and ``X | None`` are understood; another type fails the tests rather than
    slipping through unchecked.
    """

    backend: str = field(
        default="llama-cpp",
        metadata={
            WANTS: message("one of {choices}", choices=", ".join(BACKEND_CHOICES)),
            CHECK: _backend_fault,
        },
    )
    model: str | None = None
    mmproj: str | None = None
    ollama_host: str | None = field(
        default=None,
        metadata={
            WANTS: message("an Ollama address such as {example}", example="http://127.0.0.1:11434"),
            CHECK: _ollama_address_fault,
            NONE_MEANS: message(
                "{variable}, else {address}",
                variable="OLLAMA_HOST",
                address="http://127.0.0.1:11434",
            ),
            URL: True,
        },
    )
    # 64 px: a vision encoder's patches are 14-16 px, so less is a few patches and nothing
    # in the picture can be seen (``true`` read as 1 px was the audit's case).  4096 px: the
    # dialog's largest, above every vision encoder's input (Qwen2.5-VL's default ceiling is
    # 3584 px square), and 48 MiB as RGB, a quarter of issue 16's normalisation budget.
    image_long_edge: int = field(default=1024, metadata={MINIMUM: 64, MAXIMUM: 4096})
    # 0 to 2: the OpenAI API's range (an OpenAI-compatible server may refuse more) and the
    # dialog's; above 2 a small model's answer is noise.
    temperature: float = field(default=0.7, metadata={MINIMUM: 0.0, MAXIMUM: 2.0})
    max_tokens: int = field(default=1024, metadata={MINIMUM: 1, MAXIMUM: MAX_CONTEXT_TOKENS})
    num_ctx: int = field(default=4096, metadata={MINIMUM: 1, MAXIMUM: MAX_CONTEXT_TOKENS})
    threads: int | None = field(
        default=None, metadata={MINIMUM: 1, MAXIMUM: MAX_THREADS, NONE_MEANS: message("automatic")}
    )
    # An empty entry would be the current folder, not a model.
    extra_model_paths: list[str] = field(default_factory=list, metadata={CHECK: _path_fault})
    system_prompt: str = ""
    # OpenAI-compatible servers (desktop_app/core/models/openai_config.py): a preset name or a
    # base URL (the URL wins), the name of an environment variable holding the API key,
    # and the models the user says can see (for servers that do not report it).
    openai_preset: str | None = field(
        default=None, metadata={WANTS: message("the name of a preset"), CHECK: _preset_fault}
    )
    openai_base_url: str | None = field(
        default=None,
        metadata={
            WANTS: message(
                "a server address such as {example}", example="http://127.0.0.1:8080/v1"
            ),
            CHECK: _server_address_fault,
            URL: True,
        },
    )
    openai_api_key_env: str | None = field(
        default=None,
        metadata={
            WANTS: message("the name of an environment variable"),
            CHECK: _variable_name_fault,
        },
    )
    # Only set when the user asks for the key to be stored; the file is owner-only (0600).
    openai_api_key: str | None = field(default=None, metadata={SECRET: True})
    openai_vision_models: list[str] = field(default_factory=list)
    # The first-run screen (desktop_app/qt/models/first_run_panel.py) is shown until the person
    # picks one of its choices or closes it; older settings files lack the key: not shown yet.
    first_run_dismissed: bool = False
    # Settings → Appearance (desktop_app/qt/common/theme.py): "system" follows the desktop.
    theme: str = field(
        default="system",
        metadata={
            WANTS: message("one of {choices}", choices=", ".join(THEME_CHOICES)),
            CHECK: _theme_fault,
        },
    )
    # Settings → Appearance → Language (desktop_app/qt/common/language.py): "system" follows
    # the system's locale; a change rebuilds the window in the new language, no restart.
    language: str = field(
        default="system",
        metadata={
            WANTS: message("one of {choices}", choices=", ".join(LANGUAGE_CHOICES)),
            CHECK: _language_fault,
        },
    )
    # The conversation's text size in percent (Ctrl+= / Ctrl+- / Ctrl+0); bounds above.
    text_size: int = field(
        default=TEXT_SIZE_DEFAULT, metadata={MINIMUM: TEXT_SIZE_MIN, MAXIMUM: TEXT_SIZE_MAX}
    )
    # The disk budget of the image-embedding cache, in MB (backends/llama_cpp/
    # image_embeddings.py): 1024 keeps ~100 LLaVA-size or ~400 Gemma 3 images, sized for an
    # 8 GB machine's disk; 0 keeps nothing on disk.  102400 (100 GB): more images than
    # anyone re-reads; a larger number is a typo.
    image_cache_mb: int = field(default=1024, metadata={MINIMUM: 0, MAXIMUM: 102400})
    # The disk budget of kept conversation states, in MB (backends/llama_cpp/
    # conversation_states.py): a reopened chat answers without reading it again.  2048 keeps
    # dozens of long conversations of a 4B model; 0 keeps none.
    conversation_cache_mb: int = field(default=2048, metadata={MINIMUM: 0, MAXIMUM: 102400})
    # "Describe each" in the window: images in flight at once when the backend is a server
    # that answers in parallel (Ollama with OLLAMA_NUM_PARALLEL, llama-server -np); the
    # in-process llama.cpp always does one.  16: beyond any one machine's parallel slots.
    describe_concurrency: int = field(default=1, metadata={MINIMUM: 1, MAXIMUM: 16})
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
        """Read settings and say which values were refused; never raises.

        Each value is checked against its field's annotation, range and check: a bad one
        would otherwise travel far before breaking (a ``str`` thread count in
        ``GenerationOptions``, an ``int`` model id, 10**9 threads inside llama.cpp), where
        the cause is no longer visible.  A refused value is replaced by the field's default
        and named in one line in ``problems``; the rest of the file is kept.  Unknown keys
        are ignored and ``schema_version`` is always the current one.  A missing or empty
        file gives all defaults and no problem; a file that is not a settings object at all
        (unreadable, over ``MAX_SETTINGS_BYTES``, not UTF-8, not JSON, nested past Python's
        recursion limit, not an object) gives all defaults and one problem naming the file.
        Loading never writes: the file stays as it is until ``save``.
        """
        raw, problem = _read_object(path)
        if problem is not None:
            return SettingsLoad(cls(), (problem,))
        rules = _setting_rules()
        values: dict[str, Any] = {}
        problems: list[str] = []
        for key, value in raw.items():
            rule = rules.get(key)
            if rule is None:
                continue
            checked = rule.check(value)
            if isinstance(checked, _Refused):
                problems.append(rule.problem(value, checked.reason))
            else:
                values[key] = checked
        return SettingsLoad(cls(**values), tuple(problems))

    def save(self, path: Path) -> None:
        """Write atomically: a crash mid-write leaves the previous file intact.

        The file replaced is kept, as ``<name>.bad-<time>`` beside it, when it would not load
        cleanly (``_keep_aside``): loading used defaults in its place, and writing them over
        it would lose what the user wrote without a word.  A clean file is just replaced.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".settings-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            _keep_aside(path)
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


# -- reading the file -------------------------------------------------------------------------


def _read_object(path: Path) -> tuple[dict[str, Any], str | None]:
    """The file's JSON object, or ``{}`` and the one problem that kept it from being read.

    Opened without blocking and checked to be a regular file first: a FIFO named
    settings.json would otherwise hang the read forever, and ``/dev/zero`` behind a link
    would fill memory; at most ``MAX_SETTINGS_BYTES`` + 1 bytes are ever read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return {}, None
    except OSError as error:
        return {}, _file_problem(path, _unreadable(error))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return {}, _file_problem(path, message("is not a regular file"))
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_SETTINGS_BYTES + 1)
    except OSError as error:
        return {}, _file_problem(path, _unreadable(error))
    finally:
        os.close(fd)
    if len(data) > MAX_SETTINGS_BYTES:
        size = f"{MAX_SETTINGS_BYTES / 2**20:g} MiB"
        return {}, _file_problem(
            path, message("is larger than {size}, far more than settings take", size=size)
        )
    try:
        # utf-8-sig: Windows Notepad starts the file with a byte order mark.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return {}, _file_problem(
            path, message("is not UTF-8 text (at byte {offset})", offset=error.start)
        )
    if not text.strip():
        return {}, None  # an empty file holds nothing to lose, nor to warn about
    try:
        raw = json.loads(text, parse_int=_parse_int)
    except RecursionError:
        return {}, _file_problem(path, message("is nested too deeply to be settings"))
    except json.JSONDecodeError as error:
        invalid = message(
            "is not valid JSON ({reason} at line {line}, column {column})",
            reason=error.msg,  # Python's own words: a value, left as they are
            line=error.lineno,
            column=error.colno,
        )
        return {}, _file_problem(path, invalid)
    except ValueError as error:
        return {}, _file_problem(
            path, message("is not valid JSON ({reason})", reason=_printable(str(error)))
        )
    if not isinstance(raw, dict):
        return {}, _file_problem(
            path, message("is not a JSON object (it holds {kind})", kind=_json_kind(raw))
        )
    return raw, None


def _unreadable(error: OSError) -> str:
    """Why the file could not be read, in the system's words (a value, not translated)."""
    return message("cannot be read ({reason})", reason=_printable(str(error.strerror or error)))


def _file_problem(path: Path, what: str) -> str:
    """The one sentence for a file that could not be read as settings at all: a ``message``
    (the window and the CLI show it in the reader's language) whose path, the one part a
    person wrote, is made printable on its own."""
    return message(
        "The settings file {path} {problem}; the defaults are used until it is fixed, and if "
        "settings are saved first it is kept beside it as {backup}.",
        path=_printable(str(path)),
        problem=what,
        backup=_printable(f"{path.name}.bad-YYYYMMDD-HHMMSS"),
    )


def _keep_aside(path: Path) -> None:
    """Rename the file about to be replaced if it would not load cleanly.

    The check is a fresh load, not a flag from an earlier one: what matters is the file on
    disk now (it may have been edited since), and a clean file must not leave copies behind.
    """
    if not os.path.lexists(path) or not Settings.load_with_problems(path).problems:
        return
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.bad-{stamp}")
    number = 1
    while os.path.lexists(target):
        number += 1
        target = path.with_name(f"{path.name}.bad-{stamp}-{number}")
    os.rename(path, target)
    log.warning("The previous settings file did not load cleanly; it is kept as %s.", target)


class _LongNumber:
    """A JSON integer with more digits than ``int()`` reads (4300 since Python 3.11).

    ``json.loads`` would fail the whole file on it; as a value it fits no setting, so only
    its own setting is refused, and the problem quotes its first digits.
    """

    __slots__ = ("digits",)

    def __init__(self, digits: str) -> None:
        self.digits = digits


def _parse_int(text: str) -> int | _LongNumber:
    try:
        return int(text)
    except ValueError:
        return _LongNumber(text)


# -- checking each value ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Refused:
    """A value that does not fit its field (``None`` can be a valid value), and why not:
    a ``message`` ("it …", "an entry …"), or ``""`` when the wanted words say it all."""

    reason: str = ""


@dataclass(frozen=True, slots=True)
class _Rule:
    """How one field's value is checked, derived from the field itself."""

    name: str
    hint: Any
    default: Any
    minimum: float | None
    maximum: float | None
    wants: str | None
    text_check: Callable[[str], str | None] | None
    none_means: str
    secret: bool
    url: bool

    def check(self, value: object) -> object:
        """The value to keep (an ``int`` becomes ``float`` for a float field), or ``_Refused``."""
        if not _fits(value, self.hint):
            return _Refused()
        texts = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        for text in texts:
            fault = _text_fault(text)
            if fault is None and self.text_check is not None:
                fault = self.text_check(text)
            if fault is not None:
                if not fault:
                    return _Refused()
                if isinstance(value, str):
                    return _Refused(message("it {fault}", fault=fault))
                return _Refused(message("an entry {fault}", fault=fault))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.minimum is not None and value < self.minimum:
                return _Refused()
            if self.maximum is not None and value > self.maximum:
                return _Refused()
            if _accepts(self.hint, float) and not _accepts(self.hint, int):
                return float(value)
        return value

    def problem(self, value: object, reason: str = "") -> str:
        """One line naming the key, the refused value, why, and the default used instead.

        A ``message`` made of ``message``\\ s (what is wanted, why, the default), so the
        window and the CLI show it in the reader's language; the refused value is quoted as
        the file has it (``_shown``), never translated.
        """
        wanted = self.wants or _describe(self.hint)
        if self.minimum is not None and self.maximum is not None:
            wanted = message(
                "{wanted} from {minimum} to {maximum}",
                wanted=wanted,
                minimum=_number(self.minimum),
                maximum=_number(self.maximum),
            )
        elif self.minimum is not None:
            wanted = message(
                "{wanted} of at least {minimum}", wanted=wanted, minimum=_number(self.minimum)
            )
        value_text, default = self._value_text(value), self._default_text()
        if reason:
            sentence = message(
                'Setting "{name}" should be {wanted}, not {value} ({reason}); '
                "using the default ({default}).",
                name=self.name,
                wanted=wanted,
                value=value_text,
                reason=reason,
                default=default,
            )
        else:
            sentence = message(
                'Setting "{name}" should be {wanted}, not {value}; using the default ({default}).',
                name=self.name,
                wanted=wanted,
                value=value_text,
                default=default,
            )
        # Each value is printable already, so this is the message itself: a last guard only.
        return _printable(sentence)

    def _value_text(self, value: object) -> str:
        if self.secret:
            return message("{kind} (not shown, it is secret)", kind=_json_kind(value))
        if self.url and isinstance(value, str):
            value = _without_password(value)
        return _shown(value)

    def _default_text(self) -> str:
        if self.default is None:
            return self.none_means
        if self.default in ("", []):
            return message("empty")
        return _shown(self.default)


def _text_fault(text: str) -> str | None:
    """What no text setting may hold: a NUL ends the string for the C code and the operating
    system that get paths, names and prompts; a lone surrogate (``"\\ud800"`` is valid JSON)
    cannot be encoded as UTF-8, so it fails wherever the text is sent or printed."""
    if "\x00" in text:
        return message("holds a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return message("holds a lone surrogate, which is not text")
    return None


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
        maximum = item.metadata.get(MAXIMUM)
        rules[item.name] = _Rule(
            name=item.name,
            hint=hint,
            default=getattr(defaults, item.name),
            minimum=None if minimum is None else float(minimum),
            maximum=None if maximum is None else float(maximum),
            wants=item.metadata.get(WANTS),
            text_check=item.metadata.get(CHECK),
            none_means=item.metadata.get(NONE_MEANS) or message("none"),
            secret=bool(item.metadata.get(SECRET, False)),
            url=bool(item.metadata.get(URL, False)),
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
        described = named[0]
        for other in named[1:]:
            described = message("{first} or {second}", first=described, second=other)
        return described
    words = {
        str: message("text"),
        int: message("a whole number"),
        float: message("a number"),
        bool: message("true or false"),
    }
    if hint in words:
        return words[hint]
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint)
        lists = {
            str: message("a list of text"),
            int: message("a list of whole numbers"),
            float: message("a list of numbers"),
            bool: message("a list of true or false values"),
        }
        return lists.get(item) or message("a list of {items}", items=_describe(item))
    raise TypeError(f"settings cannot check values of type {hint!r}")


def _number(bound: float) -> str:
    """A bound as a person writes it: ``1048576``, not ``1.04858e+06``; ``0.5`` stays."""
    return str(int(bound)) if bound.is_integer() else f"{bound:g}"


def _json_kind(value: object) -> str:
    """What sort of JSON value this is, for a value that must not be quoted."""
    if value is None:
        return "null"  # JSON's own word, as in the file
    if isinstance(value, bool):
        return message("a true/false value")
    if isinstance(value, (int, float, _LongNumber)):
        return message("a number")
    if isinstance(value, str):
        return message("text")
    return message("a list") if isinstance(value, list) else message("an object")


def _shown(value: object) -> str:
    """A value as it is written in the file (JSON), cut short so a sentence stays one line.

    A value nested too deeply for ``json.dumps`` (``json.loads`` read it a few frames up the
    stack) is named by its kind instead; unprintable characters are escaped by ``_printable``.
    """
    if isinstance(value, _LongNumber):
        text = value.digits
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=_long_number_text)
        except RecursionError:
            return _json_kind(value)
        except (TypeError, ValueError):
            text = repr(value)
    if len(text) > PROBLEM_VALUE_CHARS:
        text = text[: PROBLEM_VALUE_CHARS - 1] + "…"
    return _printable(text)


def _long_number_text(value: object) -> str:
    """``json.dumps``' fallback: a long number inside a list or object, quoted and cut."""
    if isinstance(value, _LongNumber):
        return value.digits[:PROBLEM_VALUE_CHARS]
    raise TypeError(f"{type(value).__name__} is not JSON")


def _printable(text: str) -> str:
    """The text with every unprintable character escaped (``\\u2028``, ``\\x9b``, a NUL).

    A problem is one line on a terminal and in the window: JSON escapes only what is below
    U+0020, so a line or paragraph separator, a C1 control (``\\x9b`` starts a terminal
    escape), a bidirectional override or a lone surrogate would otherwise pass through.
    """
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else (f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
        for c in text
    )


def _without_password(url: str) -> str:
    """The address with any ``user:password@`` dropped, for quoting a refused one."""
    return re.sub(r"^([^/]*//)?[^/@]*@", r"\1", url)


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
