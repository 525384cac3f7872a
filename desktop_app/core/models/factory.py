"""Builds the backend a user chose, from settings and command-line overrides.

The window and the CLI both go through here, so "which model runs by default" has one
answer: the user's setting, else the embedded SmolLM2 that ships with the install.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from backends.base import Backend, BackendError, ModelNotFound, SupportsDefaultModel
from backends.messages import message
from desktop_app.core.settings import AppPaths, Settings

if TYPE_CHECKING:
    from backends.llama_cpp.conversation_states import StateCacheSize
    from backends.llama_cpp.image_embeddings import ImageCacheSize
    from desktop_app.core.models.openai_config import OpenAIOverrides

BACKEND_NAMES = ("llama-cpp", "ollama", "openai")


def backend_name(requested: str | None, host: str | None, settings: Settings) -> str:
    """The backend to use: the one asked for; an Ollama address alone means Ollama."""
    if requested:
        return requested
    return "ollama" if host else settings.backend


def make_backend(
    name: str,
    settings: Settings,
    paths: AppPaths,
    *,
    isolated: bool = False,
    host: str | None = None,
    openai: OpenAIOverrides | None = None,
) -> Backend:
    """A backend instance; heavy runtimes are still imported lazily inside it.

    ``isolated`` hosts llama.cpp in a child engine process (the window, ``ask`` and
    ``describe`` do this: a native crash in llama.cpp must not take the window and the
    user's draft with it, nor end a command without a word).  ``host``
    overrides the Ollama address of the settings (which override ``OLLAMA_HOST``);
    ``openai`` the OpenAI-compatible server's address, preset and key variable.
    """
    if name == "ollama":
        from backends.ollama import OllamaBackend

        return OllamaBackend(host or settings.ollama_host)
    if name == "openai":
        from backends.openai_compat import OpenAICompatBackend
        from desktop_app.core.models.openai_config import resolve_openai

        connection = resolve_openai(settings, openai)
        return OpenAICompatBackend(
            connection.base_url, connection.api_key, vision_models=connection.vision_models
        )
    if name == "llama-cpp":
        from backends.llama_cpp import cpu_variants
        from backends.llama_cpp.discovery import SUMMARY_CACHE_FILE

        cpu_variants.configure(paths.cache_dir)  # the CPU-variant verdicts live there
        extra = [Path(p) for p in settings.extra_model_paths]
        # Validated model files are remembered across launches there (issue 17: checking
        # SmolLM2 again took seconds of every start).
        summaries = paths.cache_dir / SUMMARY_CACHE_FILE
        images = _image_cache(settings, paths)
        conversations = _conversation_cache(settings, paths)
        if isolated:
            from backends.engine import EngineBackend

            return EngineBackend(
                model_dirs=[paths.models_dir],
                extra_models=extra,
                summary_cache=summaries,
                image_cache=images,
                conversation_cache=conversations,
            )
        from backends.llama_cpp import LlamaCppBackend

        return LlamaCppBackend(
            model_dirs=[paths.models_dir],
            extra_models=extra,
            summary_cache=summaries,
            image_embeddings=images.make(),
            conversation_states=conversations.make(),
        )
    raise BackendError(
        message(
            "Unknown backend {backend}. Choose one of: {choices}.",
            backend=repr(name),
            choices=", ".join(BACKEND_NAMES),
        )
    )


def _image_cache(settings: Settings, paths: AppPaths) -> ImageCacheSize:
    """Images' projector outputs are kept in the cache folder, within the setting's budget
    (issue 20: an image already seen is never encoded again); 0 MB turns the cache off,
    memory included: every image is encoded, as before it existed."""
    from backends.llama_cpp.image_embeddings import ImageCacheSize
    from desktop_app.core.models.image_cache import image_cache_folder

    if settings.image_cache_mb == 0:
        return ImageCacheSize(None, disk_bytes=0, memory_bytes=0)
    budget = settings.image_cache_mb * 1024 * 1024
    return ImageCacheSize(image_cache_folder(paths), disk_bytes=budget)


def _conversation_cache(settings: Settings, paths: AppPaths) -> StateCacheSize:
    """Evaluated conversations are kept in the cache folder within the setting's budget
    (issue 20: a chat reopened after a restart is not read again); 0 MB keeps none."""
    from backends.llama_cpp.conversation_states import StateCacheSize
    from desktop_app.core.models.image_cache import conversation_cache_folder

    budget = settings.conversation_cache_mb * 1024 * 1024
    return StateCacheSize(conversation_cache_folder(paths) if budget else None, disk_bytes=budget)


def default_model_id(backend: Backend, settings: Settings) -> str:
    """The model to use when the user named none.

    The saved model belongs to the saved backend: a GGUF path means nothing to Ollama.
    """
    if settings.model and backend.name == settings.backend:
        return settings.model
    default = backend.default_model_id() if isinstance(backend, SupportsDefaultModel) else None
    if default is not None:
        return default
    models = backend.list_models()
    if models:
        return models[0].id
    if backend.name == "openai":
        raise ModelNotFound(
            message(
                "The server lists no models. Load one in it (LM Studio: load a model; vLLM and "
                "llama-server: start them with a model), or name one with --model."
            )
        )
    if backend.name == "ollama":
        raise ModelNotFound(
            message(
                "Ollama has no models yet. Pull one, for example: {command}",
                command="localsight models pull --backend ollama gemma3:4b",
            )
        )
    raise ModelNotFound(
        message(
            "No model is installed. Put a .gguf file in the models folder or pass --model PATH."
        )
    )
