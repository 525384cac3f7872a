"""The catalog of recommended vision models, read from ``catalog.json`` in this package.

The list is data, not code, so it can grow or be corrected without touching logic (and a
later release could fetch a signed update of it).  Every entry names a Hugging Face repo
and two files: the language model GGUF and its vision projector (mmproj).  Shipping both
names together is what prevents the "model does not support images" confusion of a
model downloaded without its projector.

``sha256`` is ``None`` where the hash was not known when the catalog was written (this
project's machines cannot reach Hugging Face).  Downloads then check the hub's LFS etag,
which is the file's sha256, and record the verified hash on first success
(``desktop_app.core.downloads.verified``); see ``downloads.py``.

An entry's id, repo and file names become paths (``<models folder>/<id>/<file>``, the hub
cache's ``models--org--name``) and parts of download URLs, so they are checked when an entry
is *made*, not only when the JSON is parsed: an entry built in code or by
``dataclasses.replace`` obeys the same rules (no ``../``, no separators, no trailing newline).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from backends.messages import message
from backends.safe_names import is_sha256, plain_name_problem

CATALOG_RESOURCE = "catalog.json"
SCHEMA_VERSION = 1
# Matched with fullmatch: "$" would also accept a final newline.
_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")
_REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")
_FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.gguf")


class CatalogError(Exception):
    """The catalog file is malformed, or an id is not in it; ``str()`` says which.

    Only the unknown id reaches a person (``localsight models download NAME``), so only it
    is a translatable ``message``; a malformed entry is the shipped file's fault, caught by
    the test suite, and its sentences stay English (for whoever edits ``catalog.json``).
    """


@dataclass(frozen=True, slots=True)
class CatalogFile:
    """One file of a pair: its name in the repo, approximate size, sha256 when known."""

    filename: str
    size: int
    sha256: str | None

    def __post_init__(self) -> None:
        """The file name is joined to a folder and a URL: refuse what could leave them."""
        name = self.filename
        if (
            not isinstance(name, str)
            or plain_name_problem(name) is not None
            or not _FILENAME.fullmatch(name)
        ):
            raise CatalogError(f"{name!r} is not a plain .gguf file name")
        if self.sha256 is not None and not is_sha256(self.sha256):
            raise CatalogError("sha256 must be 64 lowercase hex digits")


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """A recommended vision model: where to get both files, what it needs, what it is for."""

    id: str
    name: str
    repo: str
    revision: str
    model_file: CatalogFile
    mmproj_file: CatalogFile
    licence: str
    licence_url: str
    ram_bytes: int
    image_long_edge: int
    chat_format: str
    ollama_tag: str | None
    good_for: str

    def __post_init__(self) -> None:
        """The id names a folder and the repo a cache folder and URL: checked on every entry."""
        if not isinstance(self.id, str) or not _ID.fullmatch(self.id):
            raise CatalogError("the id must be lowercase letters, digits, '.', '-', '_'")
        if not isinstance(self.repo, str) or not _REPO.fullmatch(self.repo):
            raise CatalogError("repo must look like org/name")
        if any(part in {".", ".."} for part in self.repo.split("/")):
            raise CatalogError("repo must look like org/name, without '.' or '..' parts")
        if self.model_file.filename == self.mmproj_file.filename:
            raise CatalogError("the model and the projector must be different files")

    @property
    def files(self) -> tuple[CatalogFile, CatalogFile]:
        """Model first: a download that stops early leaves the bigger part done."""
        return (self.model_file, self.mmproj_file)

    @property
    def download_bytes(self) -> int:
        return self.model_file.size + self.mmproj_file.size


@dataclass(frozen=True, slots=True)
class Catalog:
    entries: tuple[CatalogEntry, ...]

    def get(self, entry_id: str) -> CatalogEntry:
        """The entry called ``entry_id`` (case-insensitive); ``CatalogError`` names the ids."""
        wanted = entry_id.strip().lower()
        for entry in self.entries:
            if entry.id == wanted:
                return entry
        known = ", ".join(e.id for e in self.entries)
        raise CatalogError(
            message(
                "There is no catalog model called {model}. Choose one of: {choices}.",
                model=repr(entry_id),  # quoted as Python does: any control character escaped
                choices=known,
            )
        )

    def installed_names(self, models_dir: Path) -> dict[str, str]:
        """Model id (resolved path) -> catalog name, for entries downloaded into ``models_dir``.

        A downloaded file is named by its repository (``ggml-model-q4_k.gguf`` for LLaVA),
        and its GGUF ``general.name`` is often a training folder's; the catalog knows what
        the person chose to download.
        """
        names: dict[str, str] = {}
        for entry in self.entries:
            model = models_dir / entry.id / entry.model_file.filename
            try:
                if not model.is_file():
                    continue
            except OSError:  # a folder the user may not look into: not ours to name
                continue
            # realpath, not resolve(): a link loop made in the meantime must not raise.
            names[os.path.realpath(model)] = entry.name
        return names

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def _require(raw: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = raw.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise CatalogError(f"{where}: {key!r} must be a {kind.__name__}")
    return value


def _optional_str(raw: dict[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise CatalogError(f"{where}: {key!r} must be a string or null")
    return value


def _file(raw: object, where: str) -> CatalogFile:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where} must be an object")
    filename = _require(raw, "filename", str, where)
    size = _require(raw, "size", int, where)
    if size <= 0:
        raise CatalogError(f"{where}: size must be positive")
    sha256 = _optional_str(raw, "sha256", where)
    try:
        return CatalogFile(filename, size, sha256)
    except CatalogError as error:
        raise CatalogError(f"{where}: {error}") from None


def _entry(raw: object, index: int) -> CatalogEntry:
    if not isinstance(raw, dict):
        raise CatalogError(f"model #{index} must be an object")
    where = f"model {raw.get('id', f'#{index}')!r}"
    values: dict[str, Any] = {
        "id": _require(raw, "id", str, where),
        "name": _require(raw, "name", str, where),
        "repo": _require(raw, "repo", str, where),
        "revision": _require(raw, "revision", str, where),
        "model_file": _file(raw.get("model_file"), f"{where} model_file"),
        "mmproj_file": _file(raw.get("mmproj_file"), f"{where} mmproj_file"),
        "licence": _require(raw, "licence", str, where),
        "licence_url": _require(raw, "licence_url", str, where),
        "ram_bytes": _require(raw, "ram_bytes", int, where),
        "image_long_edge": _require(raw, "image_long_edge", int, where),
        "chat_format": _require(raw, "chat_format", str, where),
        "ollama_tag": _optional_str(raw, "ollama_tag", where),
        "good_for": _require(raw, "good_for", str, where),
    }
    try:
        return CatalogEntry(**values)
    except CatalogError as error:
        raise CatalogError(f"{where}: {error}") from None


def parse_catalog(text: str) -> Catalog:
    """Validate the whole file: a typo must fail the test suite, not a user's download."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogError(f"The catalog is not valid JSON: {error}") from None
    if not isinstance(raw, dict) or raw.get("schema_version") != SCHEMA_VERSION:
        raise CatalogError(f"The catalog must be an object with schema_version {SCHEMA_VERSION}")
    models = raw.get("models")
    if not isinstance(models, list) or not models:
        raise CatalogError("The catalog has no models")
    entries = tuple(_entry(item, index) for index, item in enumerate(models))
    ids = [e.id for e in entries]
    if len(set(ids)) != len(ids):
        raise CatalogError("The catalog has duplicate ids")
    return Catalog(entries)


def load_catalog(path: Path | None = None) -> Catalog:
    """The catalog shipped in the package, or the file at ``path``."""
    if path is not None:
        return parse_catalog(path.read_text(encoding="utf-8"))
    text = resources.files("desktop_app.core.models").joinpath(CATALOG_RESOURCE).read_text("utf-8")
    return parse_catalog(text)
