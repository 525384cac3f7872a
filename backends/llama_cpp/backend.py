"""The in-process llama.cpp backend: a GGUF (plus an mmproj for vision) answering in-process.

One ``Llama`` is loaded at a time and serves one generation at a time (it is not
thread-safe).  Every file is validated in pure Python before native code opens it, memory
fit is checked before loading, and cancellation reaches llama.cpp both between tokens and
inside a long prompt evaluation (through ``llama_set_abort_callback``).
"""

from __future__ import annotations

import base64
import dataclasses
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from backends.base import (
    BackendError,
    CancelToken,
    Capabilities,
    ChatRequest,
    Chunk,
    ContextOverflow,
    Done,
    FinishReason,
    GenerationFailed,
    GenerationOptions,
    InvalidImage,
    InvalidModelFile,
    Message,
    ModelInfo,
    ModelNotFound,
    PrefillReport,
    Stats,
    TextDelta,
    check_request,
)
from backends.llama_cpp import native
from backends.llama_cpp.chat_format import make_vision_handler, text_chat_format
from backends.llama_cpp.context_size import first_size
from backends.llama_cpp.conversation_states import (
    ConversationStates,
    ModelStates,
    file_identity,
    model_scope,
)
from backends.llama_cpp.discovery import (
    LocalModel,
    SummaryCache,
    compatible,
    embedded_default_model,
    entry_problem,
    model_folders,
    real_path,
    scan,
)
from backends.llama_cpp.display_name import display_name
from backends.llama_cpp.fast_chat import FastChat, fast_path_possible, make_fast_chat
from backends.llama_cpp.fit import MAX_CONTEXT_TOKENS, ensure_fits, fitting_context
from backends.llama_cpp.gguf_check import GGUFSummary
from backends.llama_cpp.image_embeddings import (
    ImageEmbeddingCache,
    ProjectorEmbeddings,
    projector_identity,
    projector_scope,
)
from backends.llama_cpp.threads import threads_for
from backends.llama_cpp.tokenize import install_bounded_tokenize
from backends.messages import message, sentence_of

_ALLOWED_IMAGE_MIMES = ("image/png", "image/jpeg")

#: After an answer, how long the backend waits idle before keeping the conversation's state
#: on disk (``keep_conversation_state``): long enough not to copy it between quick turns.
IDLE_KEEP_S = 3.0
#: How long a request waits for an idle keep that holds the model (a copy: milliseconds).
_KEEP_WAIT_S = 5.0
#: How long ``close`` waits for kept states still being written.
_CLOSE_FLUSH_S = 10.0

# What a request is doing, as told to ``LlamaCppBackend``'s ``on_stage``.
RequestStage = Literal["loading", "answering"]


@dataclass(slots=True)
class _Loaded:
    """The model currently in memory and what it was loaded with."""

    key: tuple[str, str | None, int, int]
    llm: Any
    load_s: float
    abort_callback: Any
    load_reported: bool = False
    # The fast path (prefix kept in the context, native sampling); None: the binding's path.
    fast: FastChat | None = None


@dataclass(frozen=True, slots=True)
class _Prefill:
    """An eager prefill running (``LlamaCppBackend.prefill``): its request and cancel token."""

    request: ChatRequest
    cancel: CancelToken


#: How often a chat request waiting for an eager prefill looks at its Stop.
_PREFILL_POLL_S = 0.05


def _continues(prefill: ChatRequest, request: ChatRequest) -> bool:
    """Whether ``request`` is the one a prefill read ahead of: the same model and context,
    the same turns before the last one, and a last user turn with the same images (its text
    may differ)."""
    if (prefill.model, prefill.options.num_ctx) != (request.model, request.options.num_ctx):
        return False
    prefilled, asked = prefill.messages, request.messages
    if not prefilled or not asked or len(prefilled) != len(asked):
        return False
    if tuple(prefilled[:-1]) != tuple(asked[:-1]):
        return False
    return asked[-1].role == "user" and prefilled[-1].images == asked[-1].images


def _model_info(model: LocalModel) -> ModelInfo:
    summary = model.summary
    return ModelInfo(
        id=model.id,
        name=model.label or display_name(summary, model.stem),
        size=summary.size + (model.projector.size if model.projector else 0),
        family=summary.architecture,
        quantization=summary.quantization,
        capabilities=Capabilities(vision=model.projector is not None),
        context_length=summary.context_length,
        parameter_size=_optional_str(summary.metadata.get("general.size_label")),
    )


def _readable(path: Path, what: Literal["model", "projector"]) -> Path:
    """``path`` if it names a readable file; else the reason (a link loop is not "missing")."""
    if not os.path.lexists(path):
        if what == "model":
            raise ModelNotFound(message("The model file {path} does not exist.", path=str(path)))
        raise ModelNotFound(message("The projector file {path} does not exist.", path=str(path)))
    if problem := entry_problem(path):
        if what == "model":
            sentence = message(
                "The model file {path} {problem}; fix it or pick another file.",
                path=str(path),
                problem=problem,
            )
        else:
            sentence = message(
                "The projector file {path} {problem}; fix it or pick another file.",
                path=str(path),
                problem=problem,
            )
        raise InvalidModelFile(sentence)
    return path


def _is_dir(path: Path) -> bool:
    """``Path.is_dir`` that says False, not raises, for an entry that cannot be looked at."""
    try:
        return path.is_dir()
    except OSError:
        return False


def _optional_str(value: object) -> str | None:
    return str(value) if value else None


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _openai_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Messages in the OpenAI shape the binding's chat handlers read.

    Images travel only as data URIs of the normalised bytes: the binding fetches any other
    URL with urllib, which must never happen.
    """
    converted: list[dict[str, Any]] = []
    for turn in messages:
        if turn.images:
            parts: list[dict[str, Any]] = []
            for image in turn.images:
                if image.mime not in _ALLOWED_IMAGE_MIMES:
                    raise InvalidImage(
                        message("Images must be PNG or JPEG here, not {mime}.", mime=image.mime)
                    )
                parts.append(
                    {"type": "image_url", "image_url": {"url": _data_uri(image.data, image.mime)}}
                )
            parts.append({"type": "text", "text": turn.text})
            converted.append({"role": turn.role, "content": parts})
        else:
            converted.append({"role": turn.role, "content": turn.text})
    return converted


class LlamaCppBackend:
    """llama.cpp in this process. Safe to drive from one worker thread at a time."""

    name = "llama-cpp"

    @property
    def flash_attention(self) -> bool:
        """Whether models are loaded with flash attention."""
        return self._flash_attention

    def __init__(
        self,
        model_dirs: Iterable[Path] = (),
        extra_models: Iterable[Path] = (),
        *,
        include_embedded: bool = True,
        include_stores: bool = True,
        flash_attention: bool = True,
        on_stage: Callable[[RequestStage], None] | None = None,
        summary_cache: Path | None = None,
        image_embeddings: ImageEmbeddingCache | None = None,
        conversation_states: ConversationStates | None = None,
    ) -> None:
        """``include_stores``: also offer models already in Ollama's store (by their Ollama
        names) and in the Hugging Face cache, so nothing is downloaded twice.

        ``flash_attention``: on, as llama.cpp's own default on CPUs, 3-10 % faster here.
        With it a prompt's logits depend on how it is cut into batches; the prefix cache
        keeps each prompt's last logits so Regenerate still gives the same greedy answer
        (docs/decisions/flash-attention.md).  Off is kept for the tests that compare a
        cached turn with a fresh context reading everything at once.

        ``on_stage``: told ``"loading"`` when a request is about to make sure its model is in
        memory (loading it, or finding it loaded already), then ``"answering"`` once it is,
        before anything is generated; on the thread that iterates the stream, and an error
        it raises ends the stream.  The engine process reports these, so that a crash can
        say whether the model died while loading or while answering: models load lazily,
        inside the stream, so only the backend knows when a load happens.

        ``summary_cache``: a file in the app's cache folder keeping each model file's
        validation across launches (``discovery._SummaryFile``), so an unchanged model is
        not read through again at every start; None checks each file once per process.

        ``image_embeddings``: where images' projector outputs are kept (in memory and in the
        app's cache folder), so an image seen before is not encoded again after a reload,
        in another conversation or in another process (issue 20); None encodes every image
        new to the context.

        ``conversation_states``: where evaluated conversations are kept on disk (written when
        idle, switched away from, unloaded or closed), so a chat reopened after a restart is
        not read again (``conversation_states``); None keeps none.
        """
        self._model_dirs = [Path(p) for p in model_dirs]
        self._extra = [Path(p) for p in extra_models]
        self._include_embedded = include_embedded
        self._include_stores = include_stores
        self._flash_attention = flash_attention
        self._cache = SummaryCache(summary_cache)
        self._registered: dict[str, LocalModel] = {}
        self._loaded: _Loaded | None = None
        self._current_cancel: CancelToken | None = None
        self._busy = threading.Lock()
        self._prefilling: _Prefill | None = None  # the eager prefill holding ``_busy``
        self._chat_waiting = False  # a chat request waits for ``_busy`` (``_wait_for_prefill``)
        self._answering = False  # an answer holds ``_busy``: a prefill does not wait for it
        self._on_stage = on_stage
        self.image_embeddings = image_embeddings
        self.conversation_states = conversation_states
        self.idle_keep_s = IDLE_KEEP_S
        self._keeping = False  # an idle keep holds (or is about to hold) ``_busy``
        self._idle_timer: threading.Timer | None = None
        # Held while the model is freed or its state copied: ``unload`` may be called
        # without ``_busy`` (tests, the window), the idle timer never copies a freed context.
        self._unloading = threading.Lock()
        self.problems: list[str] = []

    # -- models ---------------------------------------------------------------------------

    def register(self, model_path: str | Path, mmproj: str | Path | None = None) -> ModelInfo:
        """Make a GGUF (and optionally its projector) available by path; validates both."""
        model_path = Path(model_path).expanduser()
        summary = self._cache.get(_readable(model_path, "model"))
        if summary.is_projector:
            raise InvalidModelFile(
                message(
                    "{name} is a vision projector (mmproj), not a language model. "
                    "Pass it with --mmproj and give the model file with --model.",
                    name=model_path.name,
                )
            )
        projector: GGUFSummary | None = None
        if mmproj is not None:
            mmproj_path = Path(mmproj).expanduser()
            projector = self._cache.get(_readable(mmproj_path, "projector"))
            if not projector.is_projector:
                raise InvalidModelFile(
                    message(
                        "{name} is not a vision projector (mmproj) file.", name=mmproj_path.name
                    )
                )
            if not compatible(summary, projector):
                raise InvalidModelFile(
                    message(
                        "{projector} does not belong to {model}: it produces {width}-wide "
                        "embeddings, the model needs {needed}.",
                        projector=mmproj_path.name,
                        model=model_path.name,
                        width=str(projector.projection_dim),
                        needed=str(summary.embedding_length),
                    )
                )
        else:
            projector = self._folder_projector(summary)
        local = LocalModel(summary, projector)
        self._registered[str(summary.path)] = local
        return _model_info(local)

    def _discover(self) -> dict[str, LocalModel]:
        paths: list[Path] = [*model_folders(self._model_dirs), *self._extra]
        if self._include_embedded:
            embedded = embedded_default_model()
            if embedded is not None:
                paths.append(embedded)
        models, self.problems = scan(paths, self._cache)
        models = self._pair_extra_files(models)
        if self._include_stores:
            for store_models, store_problems in self._scan_stores():
                models.extend(store_models)
                self.problems.extend(store_problems)
        found: dict[str, LocalModel] = {}
        for model in models:
            found.setdefault(model.id, model)
        found.update(self._registered)
        return found

    def _folder_projector(self, summary: GGUFSummary) -> GGUFSummary | None:
        """The projector beside a model named by its path, as a scan of its folder pairs it.

        Problems in that folder are not the model's: only the model itself was asked for.
        """
        found, _ = scan([summary.path.parent], self._cache)
        match = next((m for m in found if m.path == summary.path), None)
        return match.projector if match else None

    def _pair_extra_files(self, models: list[LocalModel]) -> list[LocalModel]:
        """Each model given as a lone file (an added model) with its folder's projector.

        A lone file is scanned without its folder, so a vision model added with its
        projector beside it came back text-only at the next start (issue 17): it is paired
        here exactly as ``register`` paired it when it was added.  Only those files' folders
        are read, and their summaries are cached, so a listing stays cheap.
        """
        files = {real_path(p) for p in self._extra if not _is_dir(p)}
        if not files:
            return models
        return [
            dataclasses.replace(model, projector=self._folder_projector(model.summary))
            if model.projector is None and model.path in files
            else model
            for model in models
        ]

    def _scan_stores(self) -> list[tuple[list[LocalModel], list[str]]]:
        from backends.llama_cpp import hf_cache, ollama_store

        return [
            ollama_store.scan_store(ollama_store.store_root(), self._cache),
            hf_cache.scan_hub_cache(hf_cache.hub_cache_root(), self._cache),
        ]

    def list_models(self) -> list[ModelInfo]:
        return [_model_info(m) for m in self._discover().values()]

    def default_model_id(self) -> str | None:
        embedded = embedded_default_model()
        return str(embedded.resolve()) if embedded else None

    def _resolve(self, model_id: str) -> LocalModel:
        if model_id in self._registered:
            return self._registered[model_id]
        models = self._discover()
        if model_id in models:
            return models[model_id]
        path = Path(model_id).expanduser()
        if path.suffix.lower() == ".gguf" or path.exists():
            self.register(path)
            return self._registered[str(path.resolve())]
        wanted = model_id.lower()
        for model in models.values():
            names = {model.stem.lower(), (model.summary.name or "").lower()}
            if wanted in names or wanted == (model.label or "").lower():
                return model
        store_model = self._resolve_ollama_name(model_id, models)
        if store_model is not None:
            return store_model
        raise ModelNotFound(
            message(
                "No model called {model} was found. Give the path of a .gguf file, put "
                "it in the models folder, or give the name of a model pulled with Ollama.",
                model=repr(model_id),
            )
        )

    def _resolve_ollama_name(
        self, model_id: str, models: dict[str, LocalModel]
    ) -> LocalModel | None:
        """``llava`` → ``llava:latest`` and full ``host/namespace/model:tag`` forms, as Ollama
        reads them; a pulled model that cannot run here says why instead of "not found"."""
        if not self._include_stores:
            return None
        from backends.llama_cpp import ollama_store

        name = ollama_store.parse_name(model_id)
        if name is None:
            return None
        wanted = name.short.lower()
        match = next((m for key, m in models.items() if key.lower() == wanted), None)
        if match is not None:
            return match
        if ollama_store.find_in_store(ollama_store.store_root(), model_id) is not None:
            reason = next((p for p in self.problems if name.short in p), None)
            if reason:
                raise ModelNotFound(reason)
        return None

    def model_info(self, model_id: str) -> ModelInfo:
        return _model_info(self._resolve(model_id))

    # -- loading --------------------------------------------------------------------------

    def _abort_requested(self, _data: Any) -> int:
        # An int, not a bool: llama.cpp calls this from its own threads, and returning
        # True/False through ctypes there crashed the interpreter at exit (bool_dealloc,
        # "refcount error in a C extension") in a Qt process on Python 3.11.
        token = self._current_cancel
        return 1 if token is not None and token.cancelled else 0

    def _ensure_loaded(self, model: LocalModel, options: GenerationOptions) -> _Loaded:
        trained = model.summary.context_length or options.num_ctx
        n_ctx = max(256, min(options.num_ctx, trained, MAX_CONTEXT_TOKENS))
        projector_path = str(model.projector.path) if model.projector else None
        # Threads are re-chosen per request (fast path): a change needs no reload.
        if self._loaded is not None and self._loaded.key[:3] == (
            str(model.path),
            projector_path,
            n_ctx,
        ):
            return self._loaded
        threads = threads_for(options.threads)
        key = (str(model.path), projector_path, n_ctx, threads)
        self.unload()
        # The key keeps the size asked for, so free memory moving does not force reloads.
        n_ctx = fitting_context(model.summary, model.projector, n_ctx)
        ensure_fits(model.summary, model.projector, n_ctx)
        llama_cpp = native.llama_module()
        # Imported here: jinja2 costs about 28 ms that importing the backend need not pay.
        from backends.llama_cpp.template_budget import guard_binding

        guard_binding(llama_cpp)  # Llama() compiles the GGUF's templates: only in the budget
        native.clear_log()
        started = time.perf_counter()
        identity = self._projector_identity(projector_path)  # before the projector loads
        files = self._state_files(model.path, projector_path)  # before the model loads
        handler = None
        try:
            if projector_path is not None:
                handler = make_vision_handler(llama_cpp, model.summary, projector_path)
            # The fast path grows a small model's context as the conversation needs it.
            fast_ok = fast_path_possible(llama_cpp, model.summary, handler)
            llm = llama_cpp.Llama(
                model_path=str(model.path),
                n_ctx=first_size(model.summary, n_ctx) if fast_ok else n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                n_batch=512,
                flash_attn=self._flash_attention,
                chat_format=None if handler else text_chat_format(model.summary),
                chat_handler=handler,
                verbose=False,
            )
        except Exception as error:  # the binding raises ValueError, jinja2 errors, ...
            raise InvalidModelFile(self._load_failure(model.path.name, error)) from None
        if handler is not None:
            # The binding loads the projector lazily at the first image; load it now so a
            # bad projector is reported as a load error and the load time is honest.
            try:
                handler._init_mtmd_context(llm)
            except Exception as error:
                llm.close()
                name = Path(projector_path or "").name
                raise InvalidModelFile(self._load_failure(name, error)) from None
        install_bounded_tokenize(llama_cpp, llm)
        abort_callback = llama_cpp.ggml_abort_callback(self._abort_requested)
        llama_cpp.llama_set_abort_callback(llm._ctx.ctx, abort_callback, None)
        embeddings = None
        if handler is not None and identity is not None and self.image_embeddings is not None:
            from llama_cpp import mtmd_cpp

            scope = projector_scope(llama_cpp, mtmd_cpp, llm, identity)
            embeddings = ProjectorEmbeddings(self.image_embeddings, scope)
        states = self._model_states(llama_cpp, llm, model.path, files, n_ctx)
        fast = make_fast_chat(
            llama_cpp, llm, model.summary, handler, n_ctx, embeddings=embeddings, states=states
        )
        if fast is None and llm.n_ctx() < n_ctx:
            # Only when the projector came up without an mtmd context: the binding's path
            # needs its whole context from the start.
            llm.close()
            failure = RuntimeError(message("the projector gave no vision context"))
            raise InvalidModelFile(self._load_failure(Path(projector_path or "").name, failure))
        if fast is not None:
            fast.abort_callback = abort_callback  # it installs it around prompt evaluation
        self._loaded = _Loaded(key, llm, time.perf_counter() - started, abort_callback, fast=fast)
        return self._loaded

    def _projector_identity(self, projector_path: str | None) -> str | None:
        """The projector file's identity for the image-embedding cache; None: no cache for
        this load (no projector, no cache, or a file that cannot be looked at)."""
        if projector_path is None or self.image_embeddings is None:
            return None
        try:
            return projector_identity(Path(projector_path))
        except (OSError, RuntimeError, ValueError):  # RuntimeError: a symlink loop (3.11)
            return None

    def _state_files(
        self, model_path: Path, projector_path: str | None
    ) -> tuple[str, str | None] | None:
        """The model's and projector's file identities for kept conversation states; None:
        none kept for this load (no store, or a file that cannot be looked at)."""
        if self.conversation_states is None:
            return None
        model = file_identity(model_path)
        projector = None if projector_path is None else file_identity(Path(projector_path))
        if model is None or (projector_path is not None and projector is None):
            return None
        return model, projector

    def _model_states(
        self,
        llama_cpp: Any,
        llm: Any,
        model_path: Path,
        files: tuple[str, str | None] | None,
        n_ctx: int,
    ) -> ModelStates | None:
        """The store as this load uses it, its files' headers read (once per load)."""
        store = self.conversation_states
        if store is None or files is None:
            return None
        scope = model_scope(llama_cpp, llm, files[0], files[1], n_ctx)
        store.index(scope, str(model_path))
        return ModelStates(store, scope, str(model_path))

    # -- kept conversations ---------------------------------------------------------------

    def keep_conversation_state(self) -> bool:
        """Queue the loaded model's conversation for the disk (the idle timer, the engine's
        shutdown); False when the model is busy answering, or nothing new is to be kept.
        Never waits: a request arriving meanwhile waits for the copy instead (``_generate``).
        """
        self._keeping = True
        try:
            if not self._busy.acquire(blocking=False):
                return False
            try:
                with self._unloading:
                    loaded = self._loaded
                    fast = None if loaded is None else loaded.fast
                    return fast is not None and fast.keep_state()
            finally:
                self._busy.release()
        finally:
            self._keeping = False

    def _schedule_idle_keep(self) -> None:
        """Keep the conversation once the backend has been idle ``idle_keep_s`` seconds."""
        if self.conversation_states is None:
            return
        previous, self._idle_timer = self._idle_timer, None
        if previous is not None:
            previous.cancel()
        timer = threading.Timer(self.idle_keep_s, self.keep_conversation_state)
        timer.name = "conversation-idle-keep"
        timer.daemon = True
        self._idle_timer = timer
        timer.start()

    def _cancel_idle_keep(self) -> None:
        timer, self._idle_timer = self._idle_timer, None
        if timer is not None:
            timer.cancel()

    @staticmethod
    def _load_failure(name: str, error: BaseException) -> str:
        """The sentence for a file llama.cpp refused; its log's last reason and its error
        are llama.cpp's own words, values of the ``message``."""
        reasons = native.recent_log()
        if reasons:
            return message(
                "llama.cpp could not load {name} ({reason}). The file may be damaged or made "
                "for a newer llama.cpp: {error}",
                name=name,
                reason=reasons[-1].strip(),
                error=sentence_of(error),
            )
        return message(
            "llama.cpp could not load {name}. The file may be damaged or made for a newer "
            "llama.cpp: {error}",
            name=name,
            error=sentence_of(error),
        )

    def unload(self) -> None:
        """Free the loaded model; the next request loads it again."""
        self._cancel_idle_keep()
        with self._unloading:
            loaded, self._loaded = self._loaded, None
            if loaded is not None:
                if loaded.fast is not None:
                    loaded.fast.keep_state()  # copied now, written by the store's thread
                loaded.llm.close()

    def clear_image_embeddings(self) -> int:
        """Forget every kept image embedding, in memory and in the cache folder (Settings'
        Clear); how many files went.  Safe while an answer runs: a forgotten image is a miss."""
        cache = self.image_embeddings
        return 0 if cache is None else cache.clear()

    def close(self) -> None:
        self._cancel_idle_keep()
        running = self._prefilling
        if running is not None:
            running.cancel.cancel()
        with self._busy:
            self.unload()
        if self.conversation_states is not None:
            self.conversation_states.flush(_CLOSE_FLUSH_S)

    # -- generation -----------------------------------------------------------------------

    def stream_chat(
        self, request: ChatRequest, cancel: CancelToken | None = None
    ) -> Iterator[Chunk]:
        model = self._resolve(request.model)
        check_request(_model_info(model), request)
        if request.continue_last:
            # The prompt as it was when the answer began, then the answer so far: what the
            # model had in front of it when it wrote its last word (fast path only).
            messages = _openai_messages(request.messages[:-1])
            prefill = request.messages[-1].text
        else:
            messages, prefill = _openai_messages(request.messages), None
        return self._generate(model, request, messages, cancel or CancelToken(), prefill)

    def prefill(self, request: ChatRequest, cancel: CancelToken | None = None) -> PrefillReport:
        """Evaluate what of ``request`` its last user turn's text cannot change, before Send
        (``SupportsPrefill``): the model is loaded if need be, the conversation so far and
        the new turn up to its last image are evaluated (fast path only).

        Never waits for an answer: while one runs, nothing is done.  A chat request that
        arrives meanwhile waits for this one or cancels it (``_wait_for_prefill``).
        """
        cancel = cancel or CancelToken()
        model = self._resolve(request.model)
        check_request(_model_info(model), request)
        last = request.messages[-1] if request.messages else None
        if request.continue_last or last is None or last.role != "user":
            return PrefillReport()
        messages = _openai_messages(request.messages)
        if self._chat_waiting or self._answering:
            return PrefillReport(cancelled=True)  # an answer is running or about to
        run = _Prefill(request, cancel)
        self._prefilling = run  # before the lock: a chat arriving now waits for it
        try:
            if not self._lock_for_prefill(cancel):
                return PrefillReport(cancelled=True)
            try:
                return self._prefill_locked(model, request, messages, cancel)
            finally:
                self._busy.release()
        finally:
            if self._prefilling is run:
                self._prefilling = None

    def _lock_for_prefill(self, cancel: CancelToken) -> bool:
        """The one-generation lock for a prefill: now, or once an earlier prefill (cancelled
        by the window when the draft changed; its encode cannot be aborted) or an idle keep
        lets go.  Never waits for an answer, nor keeps a chat request waiting."""
        while not self._busy.acquire(timeout=_PREFILL_POLL_S):
            if cancel.cancelled or self._chat_waiting or self._answering:
                return False
        if self._chat_waiting or self._answering:
            self._busy.release()
            return False
        return True

    def _prefill_locked(
        self,
        model: LocalModel,
        request: ChatRequest,
        messages: list[dict[str, Any]],
        cancel: CancelToken,
    ) -> PrefillReport:
        try:
            loaded = self._ensure_loaded(model, request.options)
            # Loaded while the person typed: the answer after it did not wait for the load.
            loaded.load_reported = True
            if loaded.fast is None or cancel.cancelled:
                return PrefillReport(cancelled=cancel.cancelled)
            self._current_cancel = cancel  # read by the abort callback while it evaluates
            return loaded.fast.prefill(
                messages,
                cancel,
                threads=threads_for(request.options.threads),
                map_error=self._generation_error,
            )
        finally:
            self._current_cancel = None

    def _take_lock(self) -> bool:
        """The one-generation lock, now or after an idle keep's copy (milliseconds)."""
        return self._busy.acquire(blocking=False) or (
            self._keeping and self._busy.acquire(timeout=_KEEP_WAIT_S)
        )

    def _wait_for_prefill(self, request: ChatRequest, cancel: CancelToken) -> bool:
        """Take the one-generation lock from a running prefill; False if ``cancel`` came first.

        A prefill of the same conversation (same turns before the new one, same images in
        it) is waited for: this request would do the same work, so Send waits no longer than
        without it.  Any other is cancelled first (between two images at worst: an image's
        encode cannot be aborted).  Raises when the lock is held by an answer, not a prefill.
        """
        if self._prefilling is None:
            if self._busy.acquire(timeout=4 * _PREFILL_POLL_S):
                return True  # a prefill was just letting go of the lock
            raise BackendError(
                message("The model is still answering another request. Stop it first.")
            )
        self._chat_waiting = True  # no new prefill starts meanwhile
        try:
            while not self._busy.acquire(timeout=_PREFILL_POLL_S):
                running = self._prefilling
                if running is not None and (
                    cancel.cancelled or not _continues(running.request, request)
                ):
                    running.cancel.cancel()
                if cancel.cancelled:
                    return False
            return True
        finally:
            self._chat_waiting = False

    def _generate(
        self,
        model: LocalModel,
        request: ChatRequest,
        messages: list[dict[str, Any]],
        cancel: CancelToken,
        prefill: str | None = None,
    ) -> Iterator[Chunk]:
        if not self._take_lock() and not self._wait_for_prefill(request, cancel):
            yield Done(Stats(), "cancelled")  # stopped while an eager prefill finished
            return
        self._answering = True  # no prefill waits for the lock meanwhile
        self._cancel_idle_keep()
        try:
            yield from self._generate_locked(model, request.options, messages, cancel, prefill)
        finally:
            self._current_cancel = None
            self._answering = False
            self._busy.release()
            self._schedule_idle_keep()

    def _generate_locked(
        self,
        model: LocalModel,
        options: GenerationOptions,
        messages: list[dict[str, Any]],
        cancel: CancelToken,
        prefill: str | None = None,
    ) -> Iterator[Chunk]:
        if self._on_stage is not None:
            self._on_stage("loading")
        loaded = self._ensure_loaded(model, options)
        if self._on_stage is not None:
            self._on_stage("answering")
        # A load is reported once, with the request that caused it.
        load_s = 0.0 if loaded.load_reported else loaded.load_s
        loaded.load_reported = True
        if cancel.cancelled:
            yield Done(Stats(load_s=load_s), "cancelled")
            return
        if loaded.fast is not None:
            self._current_cancel = cancel  # read by the abort callback during evaluation
            yield from loaded.fast.stream(
                messages,
                options,
                cancel,
                threads=threads_for(options.threads),
                load_s=load_s,
                map_error=self._generation_error,
                prefill=prefill,
            )
            return
        if prefill is not None:
            # The binding's family handlers always close the last turn and open a new one.
            raise BackendError(
                message(
                    "This model cannot continue an answer (its chat format is handled by "
                    "llama.cpp's built-in code). Use Regenerate, or ask for more in a new "
                    "message."
                )
            )
        llama_cpp = native.llama_module()
        llm = loaded.llm
        self._current_cancel = cancel
        threads = threads_for(options.threads)
        llama_cpp.llama_set_n_threads(llm._ctx.ctx, threads, threads)
        llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
        reason: FinishReason = "stop"
        received: list[str] = []
        stream: Any = None
        try:
            stream = llm.create_chat_completion(
                messages=messages,
                stream=True,
                temperature=options.temperature,
                top_p=options.top_p,
                top_k=options.top_k,
                repeat_penalty=options.repeat_penalty,
                max_tokens=options.max_tokens,
                seed=options.seed,
                stop=list(options.stop) or None,
            )
            for chunk in stream:
                if cancel.cancelled:
                    reason = "cancelled"
                    break
                choice = chunk["choices"][0]
                text = choice.get("delta", {}).get("content")
                if text:
                    received.append(text)
                    yield TextDelta(text)
                if choice.get("finish_reason") == "length":
                    reason = "length"
        except BackendError:
            raise
        except Exception as error:  # ValueError, RuntimeError, jinja2 SecurityError, ...
            if cancel.cancelled:
                reason = "cancelled"
            else:
                raise self._generation_error(error, "".join(received)) from None
        finally:
            if stream is not None and hasattr(stream, "close"):
                stream.close()
            self._current_cancel = None
        perf = llama_cpp.llama_perf_context(llm._ctx.ctx)
        # llama.cpp reports at least 1 for each count; a zero time means nothing ran.
        yield Done(
            Stats(
                prompt_tokens=int(perf.n_p_eval) if perf.t_p_eval_ms > 0 else 0,
                completion_tokens=int(perf.n_eval) if perf.t_eval_ms > 0 else 0,
                load_s=load_s,
                prompt_s=perf.t_p_eval_ms / 1000.0,
                decode_s=perf.t_eval_ms / 1000.0,
            ),
            reason,
        )

    @staticmethod
    def _generation_error(error: BaseException, partial: str) -> BackendError:
        text = str(error)
        if "exceed" in text and ("context" in text or "n_ctx" in text):
            return ContextOverflow(
                message(
                    "The conversation is longer than the model's context window. Start a new "
                    "chat, remove images, or raise the context size in the settings."
                ),
                partial_text=partial,
            )
        if "bitmap" in text:
            return InvalidImage(
                message("llama.cpp could not decode an attached image. Try another image."),
                partial_text=partial,
            )
        if type(error).__name__ == "SecurityError" or "unsafe" in text.lower():
            return InvalidModelFile(
                message(
                    "The model's chat template tried something unsafe and was stopped: {error}",
                    error=text,
                ),
                partial_text=partial,
            )
        return GenerationFailed(
            message("llama.cpp failed while answering: {error}", error=text),
            partial_text=partial,
        )
