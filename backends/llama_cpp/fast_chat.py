"""The fast chat path: prefix kept in the context, native sampling, per-request threads.

``LlamaCppBackend`` uses this for every model it can render exactly as the binding would:
GGUFs with their own chat template (text, or vision through mtmd) and template-less text
models whose family format the binding implements as a plain formatter (``gemma``,
``chatml``).  Template-less *vision* models keep the binding's family handlers (the old
path), which reset the context on every turn.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import Any

from backends.base import (
    BackendError,
    CancelToken,
    Chunk,
    Done,
    FinishReason,
    GenerationOptions,
    PrefillReport,
    Stats,
    TextDelta,
)
from backends.llama_cpp.chat_format import family_vision_template, text_chat_format
from backends.llama_cpp.conversation_states import ModelStates
from backends.llama_cpp.decode_loop import DecodeLoop, SamplerChain
from backends.llama_cpp.gguf_check import GGUFSummary
from backends.llama_cpp.image_embeddings import ProjectorEmbeddings
from backends.llama_cpp.prefix_cache import (
    ContextCache,
    EvalFailed,
    Tokenized,
    common_prefix,
    tokenize_mtmd,
    tokenize_text,
)
from backends.llama_cpp.prompt_render import (
    RenderedPrompt,
    family_formatter,
    render_family,
    render_template,
)

log = logging.getLogger(__name__)

ErrorMapper = Callable[[BaseException, str], BackendError]

#: A prompt that would drop this many keys of the context (or an image) comes from another
#: conversation, or an edit far back: the context's conversation is kept on disk first.
_SWITCH_KEYS = 64
#: A kept state is put back only if it spares at least this many keys (or an image): reading
#: a small file costs about what evaluating a few dozen tokens does.
_RESTORE_KEYS = 32


class FastChat:
    """One loaded model's conversation state and the code that answers with it."""

    def __init__(
        self,
        llama_cpp: ModuleType,
        llm: Any,
        *,
        template: str | None,
        formatter: Callable[..., Any] | None,
        handler: Any,
        max_ctx: int | None = None,
        embeddings: ProjectorEmbeddings | None = None,
        states: ModelStates | None = None,
    ) -> None:
        """``embeddings``: the image-embedding cache as this model's projector uses it.
        ``states``: where evaluated conversations are kept across restarts (None: nowhere)."""
        self._lib = llama_cpp
        self.states = states
        self._llm = llm
        self._template = template
        self._formatter = formatter
        self._mtmd: ModuleType | None = None
        self._mtmd_ctx: Any = None
        self._marker = ""
        if handler is not None:
            from llama_cpp import mtmd_cpp

            self._mtmd = mtmd_cpp
            self._mtmd_ctx = handler.mtmd_ctx
            self._marker = mtmd_cpp.mtmd_default_marker().decode("utf-8")
        self._vocab = llama_cpp.llama_model_get_vocab(llm._model.model)
        self._n_vocab = int(llama_cpp.llama_vocab_n_tokens(self._vocab))
        self.cache = ContextCache(
            llama_cpp,
            llm,
            self._mtmd,
            self._mtmd_ctx,
            max_ctx=max_ctx,
            embeddings=embeddings if handler is not None else None,
        )
        #: The backend's abort callback (a ctypes function), installed only while a prompt is
        #: evaluated (see ``ContextCache.evaluate``); during decoding Stop is checked between
        #: tokens.
        self.abort_callback: Any = None
        # Freed with the model (the binding's exit stack runs callbacks last-in first-out,
        # so this goes before the mtmd context and the llama context it uses).
        llm._stack.callback(self.cache.close)

    def _render(self, messages: Sequence[dict[str, Any]]) -> RenderedPrompt:
        """The prompt text, with the special tokens' own texts in the template.

        With a projector, the way llama.cpp's own chat code does it (``common/chat.cpp``):
        a BOS the tokenizer adds anyway (or a final EOS it appends) is cut from the text, and
        mtmd tokenizes with special tokens added.  (``MTMDChatHandler`` rendered the tokens
        detokenized, i.e. as nothing, which dropped the EOS closing every earlier answer in
        templates that write ``eos_token``.)  Without one, the binding's text path: the
        template writes what it writes, nothing is added.
        """
        llm = self._llm
        if self._template is None:
            assert self._formatter is not None
            return render_family(self._formatter, messages)
        model = llm._model
        bos_id, eos_id = llm.token_bos(), llm.token_eos()
        bos = model.token_get_text(bos_id) if bos_id != -1 else ""
        eos = model.token_get_text(eos_id) if eos_id != -1 else ""
        rendered = render_template(
            self._lib,
            self._template,
            messages,
            bos_token=bos,
            eos_token=eos,
            marker=self._marker,
            add_special=self._mtmd is not None,
        )
        if self._mtmd is None:
            return rendered
        text = rendered.text
        if bos and self._lib.llama_vocab_get_add_bos(self._vocab) and text.startswith(bos):
            text = text[len(bos) :]
        if eos and self._lib.llama_vocab_get_add_eos(self._vocab) and text.endswith(eos):
            text = text[: -len(eos)]
        return dataclasses.replace(rendered, text=text)

    def _tokenize(self, prompt: RenderedPrompt) -> Tokenized:
        if self._mtmd is not None:
            return tokenize_mtmd(
                self._mtmd, self._mtmd_ctx, prompt.text, prompt.images, prompt.image_ids
            )
        return tokenize_text(self._llm, prompt.text, prompt.add_special)

    def keep_state(self) -> bool:
        """Queue what the context holds (the last prompt) for the disk, unless it is kept
        already: when the engine has gone idle, before another conversation takes the
        context, before the model is unloaded.  Copies the state (milliseconds); the write
        happens on the store's thread."""
        states = self.states
        if (
            states is None
            or not self.cache.keys
            or states.store.holds(states.scope, self.cache.keys)
            or not states.store.accepts(states.scope, self.cache.state_size())
        ):
            return False
        snapshot = self.cache.snapshot()
        return snapshot is not None and states.keep(snapshot)

    def _resume(self, prompt: Tokenized) -> None:
        """Before evaluating ``prompt``: keep the context's conversation if the prompt drops
        much of it, and put back a kept state that shares more with the prompt than the
        context does (a conversation reopened after a restart, or switched back to).  The
        state's tail beyond the prompt is then cut by ``evaluate`` as usual."""
        states = self.states
        if states is None:
            return
        cache = self.cache
        have = common_prefix(cache.keys, prompt.keys)
        dropped = cache.keys[have:]
        if len(dropped) >= _SWITCH_KEYS or any(isinstance(key, str) for key in dropped):
            self.keep_state()
        found = states.find(prompt.keys)
        if found is None:
            return
        path, shared = found
        gained = prompt.keys[have:shared]
        if len(gained) < _RESTORE_KEYS and not any(isinstance(key, str) for key in gained):
            return
        snapshot = states.load(path)
        if snapshot is None:
            return
        try:
            cache.restore(snapshot)
        except Exception:  # never expected; a kept state may cost an evaluation, no more
            log.exception("Restoring a kept conversation state failed")
            cache.invalidate()

    def stream(
        self,
        messages: Sequence[dict[str, Any]],
        options: GenerationOptions,
        cancel: CancelToken,
        *,
        threads: int,
        load_s: float,
        map_error: ErrorMapper,
        prefill: str | None = None,
    ) -> Iterator[Chunk]:
        """Evaluate what the context lacks of this conversation, then stream the answer.

        ``prefill``: the start of the answer, already written (Continue).  It follows the
        rendered prompt, which ends with the template's opening of the assistant turn, so
        the model continues the same turn instead of starting a new one; only what it adds
        is streamed.
        """
        lib = self._lib
        cache = self.cache
        cache.set_threads(threads)
        cache.reset_perf()
        started = time.perf_counter()
        received: list[str] = []
        evaluated = 0
        prompt_s = 0.0
        loop: DecodeLoop | None = None
        sampler: SamplerChain | None = None
        reason: FinishReason = "stop"
        try:
            prompt = self._render(messages)
            if prefill:
                prompt = dataclasses.replace(prompt, text=prompt.text + prefill)
            tokenized = self._tokenize(prompt)
            try:
                self._resume(tokenized)
                evaluated = cache.evaluate(tokenized, self.abort_callback)
            finally:
                tokenized.close()
            prompt_s = time.perf_counter() - started
            sampler = SamplerChain(
                lib,
                n_vocab=self._n_vocab,
                temperature=options.temperature,
                top_k=options.top_k,
                top_p=options.top_p,
                repeat_penalty=options.repeat_penalty,
                seed=options.seed,
            )
            loop = DecodeLoop(
                lib,
                self.cache,
                sampler,
                max_tokens=options.max_tokens,
                stops=options.stop,
                cancel=cancel,
            )
            for text in loop.run(self._vocab):
                received.append(text)
                yield TextDelta(text)
            reason = loop.ending
        except BackendError as error:
            if not error.partial_text:
                error.partial_text = "".join(received)  # e.g. OutOfMemory while growing
            raise
        except Exception as error:  # ValueError, EvalFailed, jinja2 SecurityError, ...
            aborted = isinstance(error, EvalFailed) and error.aborted
            if not (cancel.cancelled or aborted):
                raise map_error(error, "".join(received)) from error
            reason = "cancelled"
        finally:
            if sampler is not None:
                sampler.close()
            self.cache.forget_generated()
        if prompt_s == 0.0:
            prompt_s = time.perf_counter() - started
        yield Done(
            Stats(
                prompt_tokens=evaluated,
                completion_tokens=loop.generated if loop is not None else 0,
                load_s=load_s,
                # Wall clock: llama.cpp's counters do not see mtmd's image encode.
                prompt_s=prompt_s if evaluated else 0.0,
                decode_s=cache.eval_ms() / 1000.0,
            ),
            reason,
        )

    def prefill(
        self,
        messages: Sequence[dict[str, Any]],
        cancel: CancelToken,
        *,
        threads: int,
        map_error: ErrorMapper,
    ) -> PrefillReport:
        """Evaluate the part of this conversation the last user turn's text cannot change.

        The prompt is rendered twice, with two different texts in the last user turn; the
        keys both renderings share are what the text still to be typed cannot change (the
        template decides where the text goes: before the images, after them, around them).
        That shared part is evaluated up to its last image (see ``ContextCache.prefill``);
        images after it -- a template that writes the text first -- are at least encoded
        into the image-embedding cache.
        """
        cache = self.cache
        cache.set_threads(threads)
        tokenized: list[Tokenized] = []
        try:
            for text in _PROBE_TEXTS:
                prompt = self._render(_with_last_text(messages, text))
                tokenized.append(self._tokenize(prompt))
            first, second = tokenized
            self._resume(first)  # a conversation reopened after a restart: its kept state
            shared = common_prefix(first.keys, second.keys)
            end = max((index + 1 for index in first.image_chunks if index < shared), default=0)
            tokens, images = cache.prefill(
                first, end, self.abort_callback, cancelled=lambda: cancel.cancelled
            )
        except Exception as error:
            aborted = isinstance(error, EvalFailed) and error.aborted
            if cancel.cancelled or aborted:
                return PrefillReport(cancelled=True)
            raise map_error(error, "") from error
        finally:
            for item in tokenized:
                item.close()
        return PrefillReport(tokens=tokens, images=images, cancelled=cancel.cancelled)


#: Two user texts that differ from their first character, for ``FastChat.prefill``.
_PROBE_TEXTS = ("What is in this image?", "Describe it.")


def _with_last_text(messages: Sequence[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """``messages`` with the last turn's text part replaced by ``text`` (images kept)."""
    result = list(messages)
    last = dict(result[-1])
    content = last["content"]
    if isinstance(content, list):
        parts = [part for part in content if part.get("type") != "text"]
        last["content"] = [*parts, {"type": "text", "text": text}]
    else:
        last["content"] = text
    result[-1] = last
    return result


def fast_path_possible(llama_cpp: ModuleType, summary: GGUFSummary, handler: Any) -> bool:
    """Whether :func:`make_fast_chat` will serve this model (known before loading it)."""
    if handler is not None:
        handler_name = type(handler).__name__
        if handler_name == "MTMDChatHandler":
            return summary.chat_template is not None
        # Template-less LLaVA 1.5: LocalSight's own rendering of its format; other family
        # handlers (moondream, MiniCPM, ...): the binding's path.
        return family_vision_template(handler_name) is not None
    if summary.chat_template is not None:
        return True
    name = text_chat_format(summary)
    return name is not None and family_formatter(llama_cpp, name) is not None


def make_fast_chat(
    llama_cpp: ModuleType,
    llm: Any,
    summary: GGUFSummary,
    handler: Any,
    max_ctx: int,
    *,
    embeddings: ProjectorEmbeddings | None = None,
    states: ModelStates | None = None,
) -> FastChat | None:
    """The fast path for this model, or ``None`` when only the binding renders it right.

    ``max_ctx``: how far the context may grow (it may have been created smaller).
    ``embeddings``: the image-embedding cache for its projector (vision models only).
    """
    if not fast_path_possible(llama_cpp, summary, handler):
        return None
    template = summary.chat_template or None
    if handler is not None:
        if getattr(handler, "mtmd_ctx", None) is None:
            return None
        if type(handler).__name__ != "MTMDChatHandler":
            template = family_vision_template(type(handler).__name__)
        return FastChat(
            llama_cpp,
            llm,
            template=template,
            formatter=None,
            handler=handler,
            max_ctx=max_ctx,
            embeddings=embeddings,
            states=states,
        )
    if template is not None:
        # The binding replaces a few well-known templates by its own formatters; follow it.
        guessed = llama_cpp.llama_chat_format.guess_chat_format_from_gguf_metadata(llm.metadata)
        formatter = family_formatter(llama_cpp, guessed) if guessed else None
        if formatter is not None:
            template = None
    else:
        name = text_chat_format(summary)
        formatter = family_formatter(llama_cpp, name) if name else None
    return FastChat(
        llama_cpp,
        llm,
        template=template,
        formatter=formatter,
        handler=None,
        max_ctx=max_ctx,
        states=states,
    )
