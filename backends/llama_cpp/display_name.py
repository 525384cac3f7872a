"""The name a person sees for a GGUF model: readable, short, and recognisably their file.

The picker, the empty state and the first-run card all show ``ModelInfo.name``, and a raw
file stem ("SmolLM2-135M-Instruct.Q4_1") reads as unfinished.  The GGUF's own
``general.name`` looks like the obvious source, but converters derive it from whatever
folder the weights sat in: SmolLM2's is "Smollm2 135M 8k Lc100K Mix1 Ep2", others ship
"Models" or "LLaMA v2".  So the file name stays the authority (it is what the person chose
and downloaded), and ``general.name`` is taken only where it cannot mislead:

* it names the same thing as the file (same words, ignoring case and separators): its
  spelling is usually the author's ("Gemma 3 4b It" for ``gemma-3-4b-it``);
* the file name says nothing ("ggml-model-q4_k", "model", an Ollama-style ``sha256-`` blob).

The quantisation goes in brackets at the end, so two quantisations of one model stay apart
and the name still reads in a sentence ("SmolLM2 135M Instruct (Q4_1) is built in").
"""

from __future__ import annotations

import re

from backends.llama_cpp.gguf_check import GGUFSummary

# Quantisation tokens as llama.cpp's tools and the usual uploaders spell them in file
# names: Q4_0, Q4_K_M, IQ2_XXS, Q4_0_4_8, TQ1_0, F16, BF16, ...  Each underscore part is
# short, so a word such as "_instruct" after "Q4" is never swallowed.
_QUANT = r"(?:I?Q\d(?:_[A-Z0-9]{1,3})+|TQ\d_\d|MXFP4|BF16|FP16|F16|FP32|F32)"
_TRAILING_QUANT = re.compile(rf"(?:^|[-_.\s]){_QUANT}$", re.IGNORECASE)
_ANY_QUANT = re.compile(rf"(?<![A-Za-z0-9]){_QUANT}(?![A-Za-z0-9])", re.IGNORECASE)
# Split downloads: "model-00001-of-00003".
_SHARD = re.compile(r"[-_.]\d{5}-of-\d{5}$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[-_\s]+")
# Words that appear in file names without naming any model.
_GENERIC_WORDS = frozenset({"ggml", "gguf", "model", "models", "weights", "llm"})


def _words(text: str) -> list[str]:
    """Lower-case words split at '-', '_' and spaces (dots stay: "Qwen2.5" is one word)."""
    return [word for word in _SEPARATORS.split(text.lower()) if word]


def split_quantization(stem: str) -> tuple[str, str | None]:
    """``stem`` without a trailing quantisation tag, and the tag in upper case (or None)."""
    stem = _SHARD.sub("", stem)
    match = _TRAILING_QUANT.search(stem)
    if match is None:
        return stem, None
    tag = match.group(0).lstrip("-_. \t")
    return stem[: match.start()].rstrip("-_. \t"), tag.upper()


def _metadata_quantization(summary: GGUFSummary) -> str | None:
    """The file type recorded in the header ("Q4_K_M", "F32"), if it means anything."""
    quant = summary.quantization
    if quant is None or quant == "GUESSED":
        return None
    return quant.removeprefix("ALL_")


def _is_generic(stem: str) -> bool:
    words = _words(stem)
    return not words or stem.lower().startswith("sha256") or set(words) <= _GENERIC_WORDS


def display_name(summary: GGUFSummary, stem: str | None = None) -> str:
    """A readable name for the model in ``summary``; ``stem``: the file name people know
    it by, when that differs from the file read (a Hugging Face snapshot's symlink)."""
    raw = stem if stem is not None else summary.path.stem
    base, quant = split_quantization(raw)
    if quant is None and not _ANY_QUANT.search(base):  # "…-f16_ct-vicuna" says it already
        quant = _metadata_quantization(summary)
    meta_base = split_quantization(summary.name.strip())[0] if summary.name else ""
    if _is_generic(meta_base):
        meta_base = ""  # "Models", "ggml-model": a converter's folder name, not a model's
    if meta_base and (_words(meta_base) == _words(base) or _is_generic(base)):
        base = meta_base
    elif _is_generic(base):
        return raw  # nothing better to show; at least it matches the file on disk
    name = " ".join(_SEPARATORS.split(base)).strip()
    return f"{name} ({quant})" if quant else name
