"""Command-line options for OpenAI-compatible servers: ``ask``, ``describe``, ``models``.

``--base-url URL`` or ``--preset NAME`` say where the server is (either alone implies
``--backend openai``).  The API key is never an argument: ``ps`` shows every process's
command line to every user of the machine, so ``--api-key-env VAR`` names the environment
variable that holds it instead (``LOCALSIGHT_OPENAI_API_KEY`` is read when no name is
given).
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from backends.openai_compat.endpoint import PRESETS
from desktop_app.cli.i18n import tr
from desktop_app.core.models.openai_config import API_KEY_ENV, OpenAIOverrides

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _RefuseKey(argparse.Action):
    """``--api-key``: refused with advice, and never echoed.

    Without it argparse would take ``--api-key SECRET`` as an abbreviation of
    ``--api-key-env`` and print the secret back as a variable name.
    """

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        parser.error(
            tr(
                "an API key on the command line is visible to every user through `ps`: put it "
                "in an environment variable and give the variable's name with --api-key-env"
            )
        )


def _env_name(text: str) -> str:
    if not _ENV_NAME.fullmatch(text):
        # Not echoed: it may well be the key itself.
        raise argparse.ArgumentTypeError(
            tr("give the *name* of an environment variable (letters, digits and _), not the key")
        )
    return text


def add_openai_arguments(
    parser: argparse.ArgumentParser, *, inner: bool = False, repeatable: bool = False
) -> None:
    """Register the options; ``inner`` copies (after a sub-action) leave outer values alone;
    ``repeatable``: ``--base-url`` may be repeated (a pool of servers) and is then a list."""
    unset: Any = argparse.SUPPRESS if inner else None
    group = parser.add_argument_group(tr("OpenAI-compatible servers (--backend openai)"))
    group.add_argument(
        "--base-url",
        metavar="URL",
        default=unset,
        action="append" if repeatable else "store",
        help=tr(
            "the server's API address, e.g. http://127.0.0.1:8080/v1 (default: your "
            "setting, else the llama-server preset)"
        ),
    )
    group.add_argument(
        "--preset",
        choices=tuple(PRESETS),
        default=unset,
        help=tr(
            "a known server's default address: {presets}",
            presets=", ".join(f"{p.name} {p.base_url}" for p in PRESETS.values()),
        ),
    )
    group.add_argument(
        "--api-key-env",
        metavar="VAR",
        type=_env_name,
        default=unset,
        help=tr(
            "read the API key from environment variable VAR (default: {variable} if set); "
            "never put a key on the command line",
            variable=API_KEY_ENV,
        ),
    )
    group.add_argument("--api-key", nargs="?", action=_RefuseKey, help=argparse.SUPPRESS)
    group.add_argument(
        "--vision-model",
        metavar="NAME",
        action="append",
        default=argparse.SUPPRESS if inner else [],
        help=tr("treat model NAME as able to see images, for servers that do not say (repeat)"),
    )


def openai_overrides(args: argparse.Namespace) -> OpenAIOverrides:
    return OpenAIOverrides(
        base_url=getattr(args, "base_url", None),
        preset=getattr(args, "preset", None),
        api_key_env=getattr(args, "api_key_env", None),
        vision_models=tuple(getattr(args, "vision_model", None) or ()),
    )


def implied_backend(args: argparse.Namespace) -> str | None:
    """``--backend`` as given, or ``openai`` when only a server address was given."""
    requested: str | None = getattr(args, "backend", None)
    if requested:
        return requested
    if getattr(args, "base_url", None) or getattr(args, "preset", None):
        return "openai"
    return None
