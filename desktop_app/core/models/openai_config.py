"""Which OpenAI-compatible server to talk to, and with which key: settings plus overrides.

The address: an explicit URL beats a preset, the command line beats the settings, and with
nothing set the llama-server preset (``http://127.0.0.1:8080/v1``) is used.

The API key is a secret, so it is read from an environment variable by default and never
from the command line (``ps`` shows every process's arguments to every user):

1. ``--api-key-env VAR`` (or ``openai_api_key_env`` in the settings): the key is in ``VAR``;
2. else ``LOCALSIGHT_OPENAI_API_KEY``, if set;
3. else ``openai_api_key`` in the settings file -- only there if the user chose to store it
   there (the file is written with owner-only permissions, 0600, by ``Settings.save``).

``OPENAI_API_KEY`` is deliberately *not* read: it usually holds a key for OpenAI's cloud,
which must not be sent to whatever server on the LAN the user points LocalSight at.
The key never reaches the chat database: conversations record the backend's name
(``openai``) and the model, nothing about the connection.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from backends.base import BackendError
from backends.messages import message
from backends.openai_compat.endpoint import PRESETS, normalize_base_url
from desktop_app.core.settings import Settings

#: PRESETS too: the Settings dialog lists them, and the window never imports a backend.
__all__ = ["PRESETS", "OpenAIConnection", "OpenAIOverrides", "preset_url", "resolve_openai"]

DEFAULT_PRESET = "llama-server"
API_KEY_ENV = "LOCALSIGHT_OPENAI_API_KEY"


@dataclass(frozen=True, slots=True)
class OpenAIOverrides:
    """What the command line said; ``None`` leaves the setting in force."""

    base_url: str | None = None
    preset: str | None = None
    api_key_env: str | None = None
    vision_models: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OpenAIConnection:
    """Everything needed to build the backend. ``repr()`` never shows the key."""

    base_url: str
    api_key: str | None = field(default=None, repr=False)
    vision_models: frozenset[str] = frozenset()


def preset_url(name: str) -> str:
    """The base URL of preset ``name``; raises ``BackendError`` naming the valid ones."""
    preset = PRESETS.get(name)
    if preset is None:
        raise BackendError(
            message(
                "There is no preset {preset}. Choose one of: {choices}.",
                preset=repr(name),
                choices=", ".join(PRESETS),
            )
        )
    return preset.base_url


def resolve_openai(
    settings: Settings,
    overrides: OpenAIOverrides | None = None,
    environ: Mapping[str, str] | None = None,
) -> OpenAIConnection:
    """The server address, key and vision list from the overrides, settings and environment."""
    given = overrides or OpenAIOverrides()
    env = os.environ if environ is None else environ
    if given.base_url:
        url = given.base_url
    elif given.preset:
        url = preset_url(given.preset)
    elif isinstance(settings.openai_base_url, str) and settings.openai_base_url:
        url = settings.openai_base_url
    else:
        preset = settings.openai_preset if isinstance(settings.openai_preset, str) else None
        url = preset_url(preset or DEFAULT_PRESET)
    vision = {name for name in settings.openai_vision_models if isinstance(name, str)}
    vision.update(given.vision_models)
    return OpenAIConnection(
        base_url=normalize_base_url(url),
        api_key=_api_key(settings, given, env),
        vision_models=frozenset(vision),
    )


def _api_key(settings: Settings, given: OpenAIOverrides, env: Mapping[str, str]) -> str | None:
    variable = given.api_key_env or (
        settings.openai_api_key_env if isinstance(settings.openai_api_key_env, str) else None
    )
    if variable:
        value = env.get(variable, "").strip()
        if not value:
            raise BackendError(
                message(
                    "The environment variable {variable} (named for the API key) is not set or "
                    "is empty. Set it to the server's key, or leave --api-key-env out.",
                    variable=variable,
                )
            )
        return value
    value = env.get(API_KEY_ENV, "").strip()
    if value:
        return value
    stored = settings.openai_api_key
    return stored.strip() or None if isinstance(stored, str) else None
