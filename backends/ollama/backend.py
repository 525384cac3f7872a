"""The Ollama backend: a local (or LAN) Ollama server over HTTP, through the official client.

Many people already run Ollama with ``llava``, ``gemma3`` or ``qwen2.5vl`` pulled; this
backend lets LocalSight use those models without a second copy.  What it adds over the bare
client: capabilities from ``/api/show`` checked before anything is sent, a Stop that works
within a fraction of a second at every stage of every request (``guard.py``), Ollama's many
failure shapes turned into the error family with the partial answer kept (``errors.py``),
and progress for pulls.

``ollama`` (and with it httpx and pydantic) costs about a third of a second to import, so it
is imported only when the first request is made: the window can list backends at start-up
without paying for it.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from backends import _http
from backends.base import (
    BackendError,
    Cancelled,
    CancelToken,
    Capabilities,
    ChatRequest,
    Chunk,
    Done,
    FinishReason,
    GenerationFailed,
    GenerationOptions,
    Message,
    ModelInfo,
    Stats,
    TextDelta,
    check_request,
)
from backends.messages import message, sentence_of
from backends.ollama.errors import Phase, translate
from backends.ollama.guard import ConnectionGuard
from backends.ollama.host import is_local, plain_http_warning, resolve_host

if TYPE_CHECKING:
    import httpx
    import ollama

log = logging.getLogger(__name__)
# The warning is kept in ``OllamaBackend.warnings`` for the UI and the CLI to show in their
# own words; without a handler configured, logging would print it a second time, raw.
log.addHandler(logging.NullHandler())

_NS = 1e9
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class PullProgress:
    """One progress line of a pull, as Ollama sends it.

    ``digest``/``total``/``completed`` are present only while a layer downloads; the pull
    is finished when a line with status ``success`` arrives.
    """

    status: str
    digest: str | None = None
    total: int | None = None
    completed: int | None = None

    @property
    def fraction(self) -> float | None:
        """0.0–1.0 of the current layer, when Ollama says how big it is."""
        if not self.total:
            return None
        return min(1.0, (self.completed or 0) / self.total)


# The steps of a pull, in the words Ollama sends (``server/images.go``): shown to a person as
# the progress line, so they are translated; any other status is shown as Ollama sent it.
_PULL_STEPS = {
    "pulling manifest": message("pulling manifest"),
    "verifying sha256 digest": message("verifying sha256 digest"),
    "writing manifest": message("writing manifest"),
    "removing any unused layers": message("removing any unused layers"),
    "success": message("success"),
}
# A layer downloading: "pulling 8934d96d3f08" (the digest's first 12 hex digits).
_PULL_LAYER = re.compile(r"pulling ([0-9a-f]{6,64})")


def pull_status(status: str) -> str:
    """Ollama's status line for a pull step as a person may read it: a ``message`` for the
    steps Ollama is known to send (equal to them, so a comparison with ``"success"`` holds),
    else the text as it came."""
    known = _PULL_STEPS.get(status)
    if known is not None:
        return known
    layer = _PULL_LAYER.fullmatch(status)
    if layer is not None:
        return message("pulling {digest}", digest=layer.group(1))
    return status


def canonical_name(model: str) -> str:
    """Ollama's name for a model: ``llava`` is ``llava:latest``."""
    last = model.rsplit("/", 1)[-1]
    return model if ":" in last else f"{model}:latest"


def ollama_options(options: GenerationOptions) -> dict[str, Any]:
    """``GenerationOptions`` in Ollama's option names; unset values are left to Ollama."""
    mapped: dict[str, Any] = {
        "temperature": options.temperature,
        "num_ctx": options.num_ctx,
        "top_p": options.top_p,
        "top_k": options.top_k,
        "repeat_penalty": options.repeat_penalty,
    }
    if options.max_tokens is not None:
        mapped["num_predict"] = options.max_tokens
    if options.seed is not None:
        mapped["seed"] = options.seed
    if options.threads:
        mapped["num_thread"] = options.threads
    if options.stop:
        mapped["stop"] = list(options.stop)
    return mapped


def wire_messages(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    """Messages for ``/api/chat``; the client base64-encodes the image bytes."""
    wire: list[dict[str, Any]] = []
    for turn in messages:
        item: dict[str, Any] = {"role": turn.role, "content": turn.text}
        if turn.images:
            item["images"] = [image.data for image in turn.images]
        wire.append(item)
    return wire


def _stats(final: Any) -> Stats:
    return Stats(
        prompt_tokens=final.prompt_eval_count or 0,
        completion_tokens=final.eval_count or 0,
        load_s=(final.load_duration or 0) / _NS,
        prompt_s=(final.prompt_eval_duration or 0) / _NS,
        decode_s=(final.eval_duration or 0) / _NS,
    )


def _capabilities(show: Any) -> Capabilities:
    listed = show.capabilities
    if listed is None:
        # Ollama before 0.6.4 has no capabilities list: a CLIP projector means vision.
        families = set((show.details.families or []) if show.details else [])
        return Capabilities(vision=bool(families & {"clip", "mllama"}))
    names = set(listed)
    return Capabilities(
        vision="vision" in names,
        completion="completion" in names,
        thinking="thinking" in names,
        tools="tools" in names,
    )


def _context_length(model_info: Mapping[str, Any] | None) -> int | None:
    if not model_info:
        return None
    architecture = model_info.get("general.architecture")
    value = model_info.get(f"{architecture}.context_length")
    return value if isinstance(value, int) else None


class OllamaBackend:
    """An Ollama server at ``host``; one request at a time per calling thread."""

    name = "ollama"

    def __init__(
        self,
        host: str | None = None,
        headers: Mapping[str, str] | None = None,
        keep_alive: str | float | None = None,
        timeout: float = 300.0,
        *,
        connect_timeout: float | None = None,
    ) -> None:
        """``timeout`` bounds each wait for data, so it must cover a model load (minutes
        for a large model on a slow disk); ``connect_timeout`` defaults to 2 s on this
        machine (a refused connection is instant there) and 10 s for another one.
        """
        self.host = resolve_host(host)
        self.headers = dict(headers or {})
        self.keep_alive = keep_alive
        self.timeout = timeout
        self.connect_timeout = connect_timeout or _http.default_connect_timeout(is_local(self.host))
        self.warnings: list[str] = []
        self.problems: list[str] = []
        warning = plain_http_warning(self.host)
        if warning:
            self.warnings.append(warning)
            log.warning(warning)
        self._clients = _http.ClientPair(self._new_plain_client, self._new_stream_client)
        self._local = threading.local()
        self._info: dict[str, tuple[str | None, ModelInfo]] = {}

    # -- clients --------------------------------------------------------------------------

    def _timeout(self) -> httpx.Timeout:
        import httpx

        return httpx.Timeout(self.timeout, connect=self.connect_timeout)

    def _new_plain_client(self) -> ollama.Client:
        """The client for short requests; it keeps its connection alive between them."""
        import ollama

        return ollama.Client(self.host, headers=self.headers, timeout=self._timeout())

    def _new_stream_client(self) -> ollama.Client:
        """The client for chats, pulls and every request that can be cancelled: one fresh
        connection per request, so each one reports its socket to the ``ConnectionGuard`` of
        the thread that sent it."""
        import httpx
        import ollama

        return ollama.Client(
            self.host,
            headers=self.headers,
            timeout=self._timeout(),
            limits=httpx.Limits(max_keepalive_connections=0),
            event_hooks={"request": [self._attach_guard]},
        )

    def _client(self) -> ollama.Client:
        return self._clients.plain()

    def _stream_client(self) -> ollama.Client:
        return self._clients.streaming()

    def _attach_guard(self, request: httpx.Request) -> None:
        guard: ConnectionGuard | None = getattr(self._local, "guard", None)
        if guard is not None:
            request.extensions["trace"] = guard.trace

    def _sending(self, guard: ConnectionGuard, send: Callable[[], _T]) -> _T:
        """``send()`` with ``guard`` visible to the request hook (``_attach_guard``).

        The client sends in the thread that calls it (``ConnectionGuard.start``'s own), so
        the hook finds the guard in that thread's slot.
        """
        self._local.guard = guard
        try:
            return send()
        finally:
            self._local.guard = None

    def _call(self, cancel: CancelToken | None, request: Callable[[ollama.Client], _T]) -> _T:
        """One short request (``/api/tags``, ``/api/show``, ``/api/delete``).

        Without a token nothing can stop it, so it may reuse the kept-alive connection; with
        one it goes out on a fresh, guarded connection whose wait ``cancel`` ends at any stage,
        with ``Cancelled``.
        """
        if cancel is None:
            return request(self._client())
        guard = ConnectionGuard(cancel)
        client = self._stream_client()
        return guard.start(lambda: self._sending(guard, lambda: request(client)))

    def _error(
        self, error: BaseException, phase: Phase, model: str = "", partial: str = ""
    ) -> BackendError:
        return translate(
            error,
            host=self.host,
            model=model,
            phase=phase,
            partial=partial,
            read_timeout=self.timeout,
        )

    def close(self) -> None:
        self._clients.close()

    # -- models ---------------------------------------------------------------------------

    def list_models(self, *, cancel: CancelToken | None = None) -> list[ModelInfo]:
        """Installed models with capabilities; ``/api/show`` is asked once per digest.

        ``cancel`` stops it at any moment with ``Cancelled``.
        """
        try:
            listing = self._call(cancel, lambda client: client.list())
        except Exception as error:
            raise self._error(error, "request") from None
        self.problems = []
        models: list[ModelInfo] = []
        for entry in listing.models:
            if not entry.model:
                continue
            try:
                info = self._show(entry.model, entry.digest, cancel)
            except Cancelled:
                raise
            except Exception as error:
                problem = self._error(error, "request", entry.model)
                self.problems.append(
                    message("{model}: {problem}", model=entry.model, problem=sentence_of(problem))
                )
                details = entry.details
                info = ModelInfo(
                    id=entry.model,
                    name=entry.model,
                    family=details.family if details else None,
                    quantization=details.quantization_level if details else None,
                    parameter_size=details.parameter_size if details else None,
                )
            if entry.size is not None:
                info = replace(info, size=int(entry.size))
                self._info[canonical_name(entry.model)] = (entry.digest, info)
            models.append(info)
        return models

    def model_info(self, model_id: str, *, cancel: CancelToken | None = None) -> ModelInfo:
        """Details and capabilities from ``/api/show``, cached per model.

        ``cancel`` stops the request at any moment with ``Cancelled``: Ollama may take long
        to answer it (it reads the model's files, and waits behind a model load).
        """
        try:
            return self._show(model_id, None, cancel)
        except Exception as error:
            raise self._error(error, "request", model_id) from None

    def _show(self, model_id: str, digest: str | None, cancel: CancelToken | None) -> ModelInfo:
        key = canonical_name(model_id)
        cached = self._info.get(key)
        if cached is not None and (digest is None or cached[0] == digest):
            return cached[1]
        show = self._call(cancel, lambda client: client.show(model_id))
        details = show.details
        info = ModelInfo(
            id=key,
            name=key,
            family=details.family if details else None,
            quantization=details.quantization_level if details else None,
            capabilities=_capabilities(show),
            context_length=_context_length(show.modelinfo),
            parameter_size=details.parameter_size if details else None,
        )
        self._info[key] = (digest, info)
        return info

    def _forget(self, model_id: str) -> None:
        self._info.pop(canonical_name(model_id), None)

    # -- chat -----------------------------------------------------------------------------

    def stream_chat(
        self, request: ChatRequest, cancel: CancelToken | None = None
    ) -> Iterator[Chunk]:
        """Checks the model and its capabilities now; streams when iterated.

        The check asks ``/api/show`` when the model's details are not cached yet; ``cancel``
        stops that request too, and the stream is then just ``Done(reason="cancelled")``.
        """
        try:
            info = self.model_info(request.model, cancel=cancel)
        except Cancelled:
            return iter([Done(Stats(), "cancelled")])
        check_request(info, request)
        return self._chat(request, cancel or CancelToken())

    def _chat(self, request: ChatRequest, cancel: CancelToken) -> Iterator[Chunk]:
        if cancel.cancelled:
            yield Done(Stats(), "cancelled")
            return
        received: list[str] = []
        final: Any = None
        parts: Any = None
        guard = ConnectionGuard(cancel)
        try:
            parts = self._stream_client().chat(
                request.model,
                wire_messages(request.messages),
                stream=True,
                options=ollama_options(request.options),
                keep_alive=self.keep_alive,
            )
            with guard:
                for part in self._guarded(parts, guard):
                    if cancel.cancelled:
                        break
                    text = part.message.content
                    if text:
                        received.append(text)
                        yield TextDelta(text)
                    if part.done:
                        final = part
                        break
        except Exception as error:
            if not cancel.cancelled:
                if getattr(error, "status_code", None) == 404:
                    self._forget(request.model)
                raise self._error(error, "chat", request.model, "".join(received)) from None
        finally:
            if parts is not None and not guard.abandoned:  # else its own thread closes it
                parts.close()
        if final is None and not cancel.cancelled:
            raise GenerationFailed(
                message(
                    "Ollama at {host} ended the answer without finishing it. The partial "
                    "answer is kept; try again.",
                    host=self.host,
                ),
                partial_text="".join(received),
            )
        if final is None:
            yield Done(Stats(), "cancelled")
            return
        reason: FinishReason = "length" if final.done_reason == "length" else "stop"
        yield Done(_stats(final), reason)

    def _guarded(self, parts: Any, guard: ConnectionGuard) -> Iterator[Any]:
        """Iterate ``parts`` (the client's generator), whose request goes out at the first
        ``next()``: that one runs through ``guard.start``, so Stop ends the wait for the
        connection and the first line (``Cancelled``); the guard's watcher cuts the
        connection after that."""
        first = guard.start(
            lambda: self._sending(guard, lambda: next(parts, None)),
            release=lambda _: parts.close(),
        )
        if first is None:
            return
        yield first
        yield from parts

    # -- pull / delete --------------------------------------------------------------------

    def pull(self, model: str, cancel: CancelToken | None = None) -> Iterator[PullProgress]:
        """Download ``model`` into Ollama, yielding its progress lines.

        Cancelling ends the iteration quietly; Ollama keeps what it downloaded and resumes
        from there next time.
        """
        cancel = cancel or CancelToken()
        if cancel.cancelled:
            return
        guard = ConnectionGuard(cancel)
        lines: Any = None
        try:
            lines = self._stream_client().pull(model, stream=True)
            with guard:
                for line in self._guarded(lines, guard):
                    if cancel.cancelled:
                        return
                    yield PullProgress(
                        status=pull_status(line.status or ""),
                        digest=line.digest,
                        total=line.total,
                        completed=line.completed,
                    )
        except Exception as error:
            if cancel.cancelled:
                return
            raise self._error(error, "pull", model) from None
        finally:
            if lines is not None and not guard.abandoned:  # else its own thread closes it
                lines.close()
            self._forget(model)

    def delete(self, model: str, *, cancel: CancelToken | None = None) -> None:
        """Remove ``model`` from Ollama; raises ``ModelNotFound`` if it is not there.

        ``cancel`` stops the wait with ``Cancelled``; Ollama may have deleted the model by
        then, so list the models again to know.
        """
        try:
            self._call(cancel, lambda client: client.delete(model))
        except Exception as error:
            raise self._error(error, "delete", model) from None
        finally:
            self._forget(model)
