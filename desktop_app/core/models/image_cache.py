"""The image-embedding cache as Settings shows it: its folder's usage, and Clear.

The cache itself lives in the llama.cpp backends (``backends.llama_cpp.image_embeddings``):
a memory tier in the engine process and one file per image under ``<cache>/image-embeddings``.
Here are the two things a person does with it: see how much it keeps, and clear it.
Reading the usage lists one folder (a thousand files at most within the default budget,
milliseconds); clearing may ask the engine over its pipe, so it runs on a worker.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from backends.base import Backend, BackendError, SupportsImageCache
from desktop_app.core.settings import AppPaths

log = logging.getLogger(__name__)

#: ``backends.llama_cpp.image_embeddings.FOLDER_NAME``, kept here so the window does not
#: import the llama.cpp package to name a folder (a test keeps the two the same).
FOLDER_NAME = "image-embeddings"
#: ``backends.llama_cpp.conversation_states.FOLDER_NAME``, likewise.
CONVERSATIONS_FOLDER_NAME = "conversations"


def image_cache_folder(paths: AppPaths) -> Path:
    """Where the llama.cpp backends keep images' embeddings (``factory._image_cache``)."""
    return paths.cache_dir / FOLDER_NAME


def conversation_cache_folder(paths: AppPaths) -> Path:
    """Where the llama.cpp backends keep conversation states (``factory._conversation_cache``)."""
    return paths.cache_dir / CONVERSATIONS_FOLDER_NAME


@dataclass(frozen=True, slots=True)
class Usage:
    """What the folders keep: image files (one per image, or per tile of a tiled image) and
    their bytes, then kept conversation states and theirs."""

    files: int
    bytes: int
    conversations: int = 0
    conversation_bytes: int = 0

    @property
    def total_bytes(self) -> int:
        return self.bytes + self.conversation_bytes


@dataclass(frozen=True, slots=True)
class ImageCache:
    """The cache's folder, the backends whose memory Clear empties too, and the folder of
    kept conversation states (files only: no engine holds them in memory)."""

    folder: Path
    backends: tuple[Backend, ...] = field(default=())
    conversations: Path | None = None

    def usage(self) -> Usage:
        """The folders' files and bytes now; safe on the GUI thread (a ``scandir`` each)."""
        from backends.llama_cpp import conversation_states
        from backends.llama_cpp.image_embeddings import disk_usage

        states = (0, 0)
        if self.conversations is not None:
            states = conversation_states.disk_usage(self.conversations)
        return Usage(*disk_usage(self.folder), *states)

    def clear(self) -> Usage:
        """Empty every backend's cache (a running engine's memory with it) and the folder;
        the usage after.  Blocking (it may wait for the engine): call it on a worker.

        A backend that fails to clear (an engine that just died) still leaves the folder
        cleared; its memory went with the engine anyway.
        """
        from backends.llama_cpp.image_embeddings import clear_folder

        for backend in _supporting(self.backends):
            try:
                backend.clear_image_embeddings()
            except BackendError as error:
                log.info("Could not clear the engine's image embeddings: %s", error)
        clear_folder(self.folder)
        if self.conversations is not None:
            from backends.llama_cpp import conversation_states

            conversation_states.clear_folder(self.conversations)
        return self.usage()


def _supporting(backends: Iterable[Backend]) -> list[SupportsImageCache]:
    return [b for b in backends if isinstance(b, SupportsImageCache)]
