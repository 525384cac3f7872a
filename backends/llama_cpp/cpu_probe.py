"""The child side of CPU-variant dispatch: score the variants, or prove one on a real model.

A dispatched llama.cpp build (``GGML_BACKEND_DL`` + ``GGML_CPU_ALL_VARIANTS``) ships its CPU
code as one shared library per instruction set, ``libggml-cpu-<variant>.so``.  ggml would
pick the one whose ``ggml_backend_score`` is highest, a verdict from CPUID alone — and CPUID
can promise what the machine cannot do (AMX advertised by a VM that does not hand the tile
state through; a venv carried to an older CPU).  Running a variant's code is the only test
that cannot be fooled, and a variant that fails it kills its process, so it runs here, in a
child process of its own:

    python -m backends.llama_cpp.cpu_probe scores LIB_DIR
        prints {"variant": score, ...}: each library's own ggml_backend_score (0 = the CPU
        lacks an instruction set it needs).  Loading a variant runs nothing but CPUID.
    python -m backends.llama_cpp.cpu_probe run LIB_DIR VARIANT_LIBRARY PROBE_MODEL
        loads llama.cpp with that variant alone, evaluates a 48-token prompt and 4 more
        tokens one at a time on the probe model (``probe_model``), checks the logits are
        finite, and prints {"ok": true, ...}.  A variant the machine cannot run dies here
        by SIGILL (or another signal) instead of in the app.

``load_variant`` is the in-process half: it registers the chosen library with ggml before
``llama_backend_init`` could load "the best" by score on its own.

Test hook: ``LOCALSIGHT_CPU_TEST_TRAP`` = comma-separated variant names.  A process that
loads one of them (a probe, the engine, the CLI) executes an illegal instruction (``ud2`` on
x86-64, ``udf`` on arm64) the moment it first computes, exactly like a variant the CPU
cannot run, so the fallback can be shown end to end on any machine.
"""

from __future__ import annotations

import ctypes
import json
import math
import mmap
import os
import platform
import sys
import time
from pathlib import Path

TEST_TRAP_ENV = "LOCALSIGHT_CPU_TEST_TRAP"
VARIANT_PREFIX = "libggml-cpu-"
PROMPT_TOKENS = 48
DECODE_TOKENS = 4


def variant_name(library: Path) -> str:
    """``libggml-cpu-haswell.so`` -> ``haswell``."""
    name = library.name
    return name[len(VARIANT_PREFIX) :].split(".so")[0]


def trap_requested(variant: str) -> bool:
    """Whether the test hook asks ``variant`` to behave as if the CPU could not run it."""
    wanted = os.environ.get(TEST_TRAP_ENV, "")
    return variant in {name.strip() for name in wanted.split(",") if name.strip()}


def execute_illegal_instruction() -> None:
    """Run an instruction the CPU must refuse: the process dies by SIGILL, as a real
    mismatch between a variant and the CPU kills it."""
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64", "i686", "i386"):
        code = b"\x0f\x0b"  # ud2
    elif machine in ("aarch64", "arm64"):
        code = b"\x00\x00\x00\x00"  # udf #0
    else:
        os.kill(os.getpid(), 4)  # SIGILL, where we do not know an undefined opcode
        return
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(code)
    address = ctypes.addressof(ctypes.c_char.from_buffer(page))
    ctypes.CFUNCTYPE(None)(address)()


def prepare_native_child(log_path: str) -> None:
    """Prepare a child process that runs llama.cpp code which may die: send its stdout and
    stderr (file descriptors 1 and 2) to ``log_path``, and keep ggml from debugging itself.

    What still reaches descriptor 2 (ggml's failed asserts, printed just before ``abort()``)
    is what the parent quotes when the child dies.  ggml's abort handler would otherwise
    attach gdb to print a backtrace: seconds of delay and a debugger process outliving the
    crash, for a trace nobody reads.
    """
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.environ["GGML_NO_BACKTRACE"] = "1"


def load_variant(lib_dir: Path, library: Path) -> None:
    """Register ``library`` as ggml's CPU backend in this process (llama_cpp loaded first).

    Must run before ``llama_backend_init``, which loads the highest-scored variant itself
    when no backend is registered yet.
    """
    # Through libllama's handle: dlsym searches its dependencies, so this is the very ggml
    # libllama uses.  (The wheel holds libggml.so and libggml.so.0 as two separate copies;
    # opening libggml.so by path would register the variant with a second, unused ggml.)
    llama = ctypes.CDLL(str(lib_dir / "libllama.so"))
    load = llama.ggml_backend_load
    load.argtypes = [ctypes.c_char_p]
    load.restype = ctypes.c_void_p
    if not load(str(library).encode()):
        raise OSError(f"ggml could not load {library.name}")


def _scores(lib_dir: Path) -> dict[str, int]:
    ctypes.CDLL(str(lib_dir / "libggml-base.so"), mode=ctypes.RTLD_GLOBAL)
    scores: dict[str, int] = {}
    for library in sorted(lib_dir.glob(f"{VARIANT_PREFIX}*.so")):
        try:
            handle = ctypes.CDLL(str(library), mode=ctypes.RTLD_LOCAL)
            score = handle.ggml_backend_score
            score.restype = ctypes.c_int
            scores[variant_name(library)] = int(score())
        except (OSError, AttributeError):
            scores[variant_name(library)] = 0  # cannot even be loaded here: never chosen
    return scores


def _run(lib_dir: Path, library: Path, model_path: Path) -> dict[str, object]:
    started = time.perf_counter()
    import llama_cpp

    load_variant(lib_dir, library)
    if trap_requested(variant_name(library)):
        execute_illegal_instruction()
    llama_cpp.llama_backend_init()
    model_params = llama_cpp.llama_model_default_params()
    model = llama_cpp.llama_model_load_from_file(str(model_path).encode(), model_params)
    if not model:
        raise RuntimeError("llama.cpp could not load the probe model")
    context_params = llama_cpp.llama_context_default_params()
    context_params.n_ctx = 128
    context_params.n_batch = PROMPT_TOKENS
    context_params.n_ubatch = PROMPT_TOKENS
    threads = max(1, min(4, os.cpu_count() or 1))
    context_params.n_threads = threads
    context_params.n_threads_batch = threads
    context = llama_cpp.llama_init_from_model(model, context_params)
    if not context:
        raise RuntimeError("llama.cpp could not create a context for the probe model")
    n_vocab = llama_cpp.llama_vocab_n_tokens(llama_cpp.llama_model_get_vocab(model))

    def decode(tokens: list[int]) -> list[float]:
        array = (llama_cpp.llama_token * len(tokens))(*tokens)
        if llama_cpp.llama_decode(context, llama_cpp.llama_batch_get_one(array, len(tokens))):
            raise RuntimeError("llama_decode failed on the probe model")
        logits = llama_cpp.llama_get_logits_ith(context, -1)
        return [logits[i] for i in range(n_vocab)]

    # Many rows first (prompt evaluation: the tile and repacked GEMM kernels), then one row
    # at a time (decoding: the GEMV kernels).
    prompt = [1] + [3 + (i * 37) % (n_vocab - 3) for i in range(PROMPT_TOKENS - 1)]
    logits = decode(prompt)
    picked: list[int] = []
    for _ in range(DECODE_TOKENS):
        if not all(math.isfinite(value) for value in logits):
            raise RuntimeError("the probe model's logits are not finite numbers")
        token = max(range(n_vocab), key=logits.__getitem__)
        picked.append(token)
        logits = decode([token])
    llama_cpp.llama_free(context)
    llama_cpp.llama_model_free(model)
    return {"ok": True, "tokens": picked, "seconds": round(time.perf_counter() - started, 3)}


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "scores":
        print(json.dumps(_scores(Path(argv[1]))), flush=True)
        return 0
    if len(argv) >= 4 and argv[0] == "run":
        print(json.dumps(_run(Path(argv[1]), Path(argv[2]), Path(argv[3]))), flush=True)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
