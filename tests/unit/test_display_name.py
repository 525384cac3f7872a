"""Model names people read: the file name cleaned up, the GGUF's own name where it agrees."""

from __future__ import annotations

from pathlib import Path

import pytest

from backends.llama_cpp import LlamaCppBackend
from backends.llama_cpp.display_name import display_name, split_quantization
from backends.llama_cpp.gguf_check import GGUFSummary

Q4_K_M = 15  # gguf.LlamaFileType.MOSTLY_Q4_K_M
F16 = 1


def summary(stem: str, name: str | None = None, file_type: int | None = None) -> GGUFSummary:
    metadata: dict[str, object] = {}
    if name is not None:
        metadata["general.name"] = name
    if file_type is not None:
        metadata["general.file_type"] = file_type
    return GGUFSummary(Path(f"/models/{stem}.gguf"), 3, 1, metadata, {}, frozenset())


@pytest.mark.parametrize(
    ("stem", "name", "file_type", "expected"),
    [
        # SmolLM2's general.name comes from a training folder: the file name wins.
        (
            "SmolLM2-135M-Instruct.Q4_1",
            "Smollm2 135M 8k Lc100K Mix1 Ep2",
            3,
            "SmolLM2 135M Instruct (Q4_1)",
        ),
        # Same words as the file: the author's spelling is taken.
        ("gemma-3-4b-it-Q4_K_M", "Gemma 3 4b It", Q4_K_M, "Gemma 3 4b It (Q4_K_M)"),
        # A word the file has and the header lacks is kept (it tells two files apart).
        (
            "Qwen2.5-VL-3B-Instruct-abliterated.Q4_K_M",
            "Qwen2.5 VL 3B Instruct",
            Q4_K_M,
            "Qwen2.5 VL 3B Instruct abliterated (Q4_K_M)",
        ),
        # A file name that names nothing: the header's name.
        ("ggml-model-q4_k", "LLaVA 1.5 7B", None, "LLaVA 1.5 7B (Q4_K)"),
        ("sha256-0123abcd", "Llava", 2, "Llava (Q4_0)"),
        # ... and with nothing better, the file name exactly as it is on disk.
        ("ggml-model-q4_k", None, None, "ggml-model-q4_k"),
        ("model", "Models", F16, "model"),
        ("sha256-0123abcd", None, None, "sha256-0123abcd"),
        # Quantisation from the header when the file name lacks it, never twice.
        ("tiny-vlm", "LocalSight tiny test VLM", 0, "tiny vlm (F32)"),
        (
            "moondream2-text-model-f16_ct-vicuna",
            "moondream2",
            F16,
            "moondream2 text model f16 ct vicuna",
        ),
        ("plain-model", None, None, "plain model"),
        # A split download is one model.
        (
            "Llama-3.2-1B-Instruct-Q4_K_M-00001-of-00002",
            None,
            Q4_K_M,
            "Llama 3.2 1B Instruct (Q4_K_M)",
        ),
    ],
)
def test_display_names(stem: str, name: str | None, file_type: int | None, expected: str) -> None:
    assert display_name(summary(stem, name, file_type)) == expected


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("SmolLM2-135M-Instruct.Q4_1", ("SmolLM2-135M-Instruct", "Q4_1")),
        ("x-iq2_xxs", ("x", "IQ2_XXS")),
        ("x-Q4_0_4_8", ("x", "Q4_0_4_8")),
        ("x-bf16", ("x", "BF16")),
        ("Qwen2-VL-2B-Instruct", ("Qwen2-VL-2B-Instruct", None)),  # "Qwen2", not a quant
        ("model-Q4_instruct", ("model-Q4_instruct", None)),
    ],
)
def test_split_quantization(stem: str, expected: tuple[str, str | None]) -> None:
    assert split_quantization(stem) == expected


def test_the_built_in_model_is_named_for_people_and_keeps_its_path_id(smollm2: Path) -> None:
    backend = LlamaCppBackend(include_embedded=True, include_stores=False)
    try:
        info = backend.model_info(str(smollm2.resolve()))
        assert info.name == "SmolLM2 135M Instruct (Q4_1)"
        assert info.id == str(smollm2.resolve())  # settings and chats refer to the path
        # The file stem still finds it, as before.
        assert backend.model_info("SmolLM2-135M-Instruct.Q4_1").id == info.id
    finally:
        backend.close()
