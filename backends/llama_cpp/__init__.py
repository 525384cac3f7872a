"""In-process llama.cpp: GGUF models (and mmproj projectors for vision) without a server."""

from backends.llama_cpp.backend import LlamaCppBackend

__all__ = ["LlamaCppBackend"]
