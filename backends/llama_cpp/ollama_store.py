"""Models the user already pulled with Ollama, run in-process straight from Ollama's blobs.

Ollama keeps every model as content-addressed blobs plus a small JSON manifest per name:
``<root>/manifests/<host>/<namespace>/<model>/<tag>`` lists layers by media type, and the
layer ``application/vnd.ollama.image.model`` is a plain GGUF (``.projector`` is the mmproj
of vision models such as ``llava``).  Reading that layout lets a user who pulled ``llava:7b``
in Ollama chat with it in-process, addressed by the same name, without downloading gigabytes
again.  The root is ``OLLAMA_MODELS`` when set (as in Ollama), else ``~/.ollama/models``.

The store is read-only here: LocalSight never writes, moves or deletes Ollama's files.
Manifests are untrusted input (anything could have written them), so a digest must be
exactly ``sha256:`` plus 64 lowercase hex digits before it becomes a file name, and that
name is built from the hex alone (``backends.safe_names``: no ``../``, no absolute path);
manifests are size-capped.  Blobs are looked at with ``stat`` before anything opens them (a
link loop or a named pipe is reported, never read) and go through the same GGUF validation
as any other file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from backends.base import BackendError
from backends.llama_cpp.discovery import LocalModel, SummaryCache, compatible, entry_problem
from backends.llama_cpp.gguf_check import GGUFSummary
from backends.messages import message, sentence_of
from backends.safe_names import ollama_digest_hex

STORE_ENV = "OLLAMA_MODELS"
MODEL_MEDIA_TYPE = "application/vnd.ollama.image.model"
PROJECTOR_MEDIA_TYPE = "application/vnd.ollama.image.projector"
DEFAULT_HOST = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"
DEFAULT_TAG = "latest"
MAX_MANIFEST_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoreName:
    """An Ollama model name split the way Ollama splits it: host/namespace/model:tag."""

    host: str
    namespace: str
    model: str
    tag: str

    @property
    def short(self) -> str:
        """The name as Ollama prints it: ``llava:7b``, ``user/model:tag``, ``hf.co/o/r:q``."""
        if self.host == DEFAULT_HOST and self.namespace == DEFAULT_NAMESPACE:
            return f"{self.model}:{self.tag}"
        if self.host == DEFAULT_HOST:
            return f"{self.namespace}/{self.model}:{self.tag}"
        return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"

    def key(self) -> tuple[str, str, str, str]:
        return (self.host.lower(), self.namespace.lower(), self.model.lower(), self.tag.lower())


@dataclass(frozen=True, slots=True)
class StoreModel:
    """One pulled name: its GGUF blob and, for vision models, its projector blob."""

    name: StoreName
    model_blob: Path
    model_size: int | None
    projector_blob: Path | None
    projector_size: int | None


def store_root(environ: Mapping[str, str] | None = None) -> Path:
    """Ollama's model folder: ``OLLAMA_MODELS``, else ``~/.ollama/models``."""
    env = os.environ if environ is None else environ
    configured = env.get(STORE_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".ollama" / "models"


def parse_name(name: str) -> StoreName | None:
    """Split ``llava``, ``llava:7b``, ``user/model:tag`` or ``host/ns/model:tag``.

    ``None`` for anything that cannot be an Ollama name (a path, an empty part), so a
    caller can try the name as something else.
    """
    text = name.strip()
    if not text or "\\" in text or text.startswith(("/", ".", "~")):
        return None
    head, _, last = text.rpartition("/")
    model, sep, tag = last.partition(":")
    if sep and not tag:
        return None
    parts = [p for p in head.split("/") if p] if head else []
    if len(parts) > 2 or not model or ".." in parts or model == "..":
        return None
    host, namespace = DEFAULT_HOST, DEFAULT_NAMESPACE
    if len(parts) == 2:
        host, namespace = parts
    elif len(parts) == 1:
        namespace = parts[0]
    return StoreName(host, namespace, model, tag or DEFAULT_TAG)


def blob_path(root: Path, digest: object) -> Path | None:
    """The blob file for a manifest digest, or ``None`` if the digest is malformed.

    Only ``sha256:<64 lowercase hex>`` is a digest; the file name is made from the hex
    alone, so nothing the manifest says can reach outside ``<root>/blobs``.
    """
    hex_digits = ollama_digest_hex(digest)
    if hex_digits is None:
        return None
    return root / "blobs" / f"sha256-{hex_digits}"


def _layer(manifest: Mapping[str, object], media_type: str) -> Mapping[str, object] | None:
    layers = manifest.get("layers")
    if not isinstance(layers, list):
        return None
    for layer in layers:
        if isinstance(layer, dict) and layer.get("mediaType") == media_type:
            return layer
    return None


def _size(layer: Mapping[str, object]) -> int | None:
    size = layer.get("size")
    return size if isinstance(size, int) and size >= 0 else None


def read_manifest(root: Path, name: StoreName, manifest_path: Path) -> StoreModel:
    """Parse one manifest file; ``ValueError`` says what is wrong with it."""
    if manifest_path.stat().st_size > MAX_MANIFEST_BYTES:
        raise ValueError(message("the manifest is implausibly large"))
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            message("the manifest is not valid JSON ({error})", error=str(error))
        ) from None
    if not isinstance(manifest, dict):
        raise ValueError(message("the manifest is not a JSON object"))
    model_layer = _layer(manifest, MODEL_MEDIA_TYPE)
    if model_layer is None:
        raise ValueError(message("the manifest has no model layer"))
    model_blob = blob_path(root, model_layer.get("digest"))
    if model_blob is None:
        raise ValueError(message("the model layer's digest is malformed"))
    projector_layer = _layer(manifest, PROJECTOR_MEDIA_TYPE)
    projector_blob = None
    if projector_layer is not None:
        projector_blob = blob_path(root, projector_layer.get("digest"))
        if projector_blob is None:
            raise ValueError(message("the projector layer's digest is malformed"))
    return StoreModel(
        name=name,
        model_blob=model_blob,
        model_size=_size(model_layer),
        projector_blob=projector_blob,
        projector_size=_size(projector_layer) if projector_layer else None,
    )


def list_store(root: Path) -> tuple[list[StoreModel], list[str]]:
    """Every pulled name under ``root`` (manifests only, no blob is opened); problems as text."""
    manifests = root / "manifests"
    found: list[StoreModel] = []
    problems: list[str] = []
    try:
        if not manifests.is_dir():
            return [], []
        tag_files = sorted(manifests.glob("*/*/*/*"))
    except OSError as error:
        return [], [
            message(
                "Ollama's store {path}: {reason}",
                path=str(root),
                reason=os.strerror(error.errno or 0),
            )
        ]
    for tag_file in tag_files:
        model_dir = tag_file.parent
        name = StoreName(
            host=model_dir.parent.parent.name,
            namespace=model_dir.parent.name,
            model=model_dir.name,
            tag=tag_file.name,
        )
        problem = entry_problem(tag_file)
        if problem is not None:  # never opened: a named pipe would block the reader
            problems.append(
                message(
                    "Ollama model {model}: its manifest {problem}; pull the model again.",
                    model=name.short,
                    problem=problem,
                )
            )
            continue
        try:
            found.append(read_manifest(root, name, tag_file))
        except OSError as error:
            reason = os.strerror(error.errno or 0).lower()
            problems.append(
                message(
                    "Ollama model {model}: its manifest cannot be read ({reason}).",
                    model=name.short,
                    reason=reason,
                )
            )
        except ValueError as error:
            problems.append(_model_problem(name.short, error))
    return found, problems


def find_in_store(root: Path, wanted: str) -> StoreModel | None:
    """The pulled model called ``wanted`` (``llava`` means ``llava:latest``), if any."""
    name = parse_name(wanted)
    if name is None:
        return None
    models, _ = list_store(root)
    return next((m for m in models if m.name.key() == name.key()), None)


def has_packed_vision(summary: GGUFSummary) -> bool:
    """True for a model file that carries its own vision tower (Ollama's newer engine).

    Ollama ships models such as ``gemma3`` and ``qwen2.5vl`` as one GGUF holding both the
    language model and the vision encoder; llama.cpp refuses such a file (it expects the
    vision part in a separate mmproj), so these are reported, not offered.
    """
    return any(name.startswith(("v.", "mm.")) for name in summary.tensor_names)


def scan_store(root: Path, cache: SummaryCache) -> tuple[list[LocalModel], list[str]]:
    """Runnable models from Ollama's store, addressed by their Ollama names."""
    entries, problems = list_store(root)
    models: list[LocalModel] = []
    for entry in entries:
        label = entry.name.short
        try:
            local = _local_model(entry, cache)
            packed = local is None and has_packed_vision(cache.get(entry.model_blob))
        except (BackendError, OSError, ValueError) as error:
            problems.append(_model_problem(label, error))
            continue
        if local is not None:
            models.append(local)
        elif packed:
            problems.append(
                message(
                    "Ollama model {model} packs its vision encoder into the model file, which "
                    "llama.cpp cannot load; run it with --backend ollama instead.",
                    model=label,
                )
            )
    return models, problems


def _model_problem(label: str, error: Exception) -> str:
    """ "Ollama model llava:7b: <why>", the why being the error's own ``message`` (an
    ``OSError``'s text, the system's, as it is)."""
    return message("Ollama model {model}: {problem}", model=label, problem=sentence_of(error))


def _local_model(entry: StoreModel, cache: SummaryCache) -> LocalModel | None:
    label = entry.name.short
    for blob, size in (
        (entry.model_blob, entry.model_size),
        (entry.projector_blob, entry.projector_size),
    ):
        if blob is None:
            continue
        if not os.path.lexists(blob):
            raise ValueError(
                message("its blob {blob} is missing (is Ollama still pulling it?)", blob=blob.name)
            )
        problem = entry_problem(blob)
        if problem is not None:
            raise ValueError(
                message(
                    "its blob {blob} {problem}; pull the model again in Ollama.",
                    blob=blob.name,
                    problem=problem,
                )
            )
        if size is not None and blob.stat().st_size != size:
            raise ValueError(message("its blob {blob} is incomplete", blob=blob.name))
    summary = cache.get(entry.model_blob)
    if summary.is_projector:
        raise ValueError(message("its model layer is a vision projector, not a language model"))
    projector = cache.get(entry.projector_blob) if entry.projector_blob else None
    if projector is not None and not (projector.is_projector and compatible(summary, projector)):
        raise ValueError(message("its projector layer does not belong to its model layer"))
    if projector is None and has_packed_vision(summary):
        return None
    return LocalModel(summary, projector, model_id=label, label=label)
