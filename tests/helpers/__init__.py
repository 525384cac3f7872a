"""What the tests share and are not tests themselves: loopback servers (Ollama, the Hugging
Face hub, an OpenAI-compatible stub, a real ``llama-server``), the tiny GGUF models and the
family stand-ins written at test time with their chat templates, the backend contract every
backend passes (``backend_contract``), the CLI runner (``cli``), the window's fixtures and
test images; ``scripts/`` holds what also runs by hand (the kill -9 loop).
"""

from __future__ import annotations

from pathlib import Path

#: The repository's root (``tests/helpers/__init__.py`` is two folders below it).
REPO = Path(__file__).resolve().parents[2]
