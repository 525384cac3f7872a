"""The OpenAI-compatible backend: llama-server, llamafile, LM Studio, vLLM over HTTP.

It is how a user outgrows one machine: point LocalSight at a GPU box on the LAN running vLLM
or llama-server and nothing else in the app changes.

Client choice: ``httpx`` plus ``httpx-sse``, not the ``openai`` package.  httpx is already
a dependency (the Ollama backend uses it) and gives what this backend needs and ``openai``
hides: the raw socket of a request through httpcore's ``trace`` extension, which is how Stop
cuts a stalled connection within a fraction of a second, whichever request it is and at
whatever stage (``ConnectionGuard``, shared with the Ollama backend); the raw JSON of every
chunk, where llama-server puts its non-standard ``timings``; and one request per user action
(``openai`` retries twice by default, which would re-send a prompt the server may already be
working on).  httpx-sse is a small, typed, maintained SSE parser for httpx (spec-correct
line splitting, comments, ``event:`` fields), so no SSE is parsed by hand here; it adds no
dependency of its own.
``httpx`` and ``httpx_sse`` are imported on first use so the window starts fast.

What the server tells, it is asked: models from ``/v1/models``; vision from the model
entry's ``architecture.input_modalities`` (llama-server's router mode, OpenRouter's shape)
or, for a single-model llama-server, ``/props`` ``modalities.vision``; otherwise from the
user's own list (``vision_models``), because LM Studio's and vLLM's OpenAI endpoints do not
say which models see.  Capabilities are checked before anything is sent.
"""

from __future__ import annotations

import contextlib
import json
import logging
import ssl
import time
import urllib.parse
from collections.abc import Collection, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from backends import _http
from backends.base import (
    BackendError,
    Cancelled,
    CancelToken,
    Capabilities,
    ChatRequest,
    Chunk,
    Done,
    GenerationFailed,
    ModelInfo,
    Stats,
    TextDelta,
    check_request,
    without_echo,
)
from backends.messages import message
from backends.ollama.guard import ConnectionGuard
from backends.openai_compat.endpoint import (
    display_url,
    is_local,
    normalize_base_url,
    plain_http_warning,
    server_root,
)
from backends.openai_compat.errors import (
    Phase,
    body_detail,
    error_detail,
    from_exception,
    from_status,
    model_missing,
    status_of,
)
from backends.openai_compat.wire import ServerKind, StreamState, request_body, server_kind

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

DEFAULT_BASE_URL = "http://127.0.0.1:8080/v1"
_ERROR_BODY_LIMIT = 65536


class OpenAICompatBackend:
    """One OpenAI-compatible server at ``base_url``; one request at a time per thread.

    ``api_key`` is sent as ``Authorization: Bearer``; it is kept in a private attribute
    and left out of ``repr()``, messages and logs.  ``vision_models`` names the models the
    user says can see, for servers that do not report it.
    """

    name = "openai"

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | None = None,
        *,
        vision_models: Collection[str] = (),
        timeout: float = 300.0,
        connect_timeout: float | None = None,
    ) -> None:
        """``timeout`` bounds each wait for data, so it must cover a model load (LM Studio
        and llama-server's router load on first use); ``connect_timeout`` defaults to 2 s on
        this machine (a refused connection is instant there) and 10 s for another one.
        """
        self.base_url = normalize_base_url(base_url)
        self._api_key = api_key or None
        self.vision_models = frozenset(vision_models)
        self.timeout = timeout
        self.connect_timeout = connect_timeout or _http.default_connect_timeout(
            is_local(self.base_url)
        )
        self.warnings: list[str] = []
        warning = plain_http_warning(self.base_url, has_key=self._api_key is not None)
        if warning:
            self.warnings.append(warning)
            log.warning(warning)
        self._tls_context: ssl.SSLContext | None = None
        self._clients = _http.ClientPair(
            lambda: self._new_client(keepalive=True), lambda: self._new_client(keepalive=False)
        )
        self._vision: dict[str, bool] = {}
        self._kind: ServerKind = "other"

    def __repr__(self) -> str:
        key = ", api_key=<set>" if self._api_key else ""
        return f"OpenAICompatBackend({display_url(self.base_url)!r}{key})"

    # -- clients --------------------------------------------------------------------------

    def _tls(self) -> ssl.SSLContext:
        """One TLS context for both clients: loading the CA bundle costs 0.1-0.4 s.

        A plain-http address never does TLS (redirects are not followed), so it gets an
        empty context that would refuse every certificate, at no cost.
        """
        if self._tls_context is None:
            import httpx

            if urllib.parse.urlsplit(self.base_url).scheme == "https":
                self._tls_context = httpx.create_ssl_context()
            else:
                self._tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return self._tls_context

    def _new_client(self, *, keepalive: bool) -> httpx.Client:
        import httpx

        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        return httpx.Client(
            headers=headers,
            verify=self._tls(),
            timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
            # One fresh connection per chat (and per request that can be cancelled), so its
            # socket is reported to the guard that cuts it on Stop; other short requests may
            # reuse theirs.
            limits=httpx.Limits() if keepalive else httpx.Limits(max_keepalive_connections=0),
            follow_redirects=False,
            trust_env=False,  # a proxy from the environment must not see local prompts
        )

    def _client(self) -> httpx.Client:
        return self._clients.plain()

    def _stream_client(self) -> httpx.Client:
        return self._clients.streaming()

    def close(self) -> None:
        self._clients.close()

    # -- plain requests -------------------------------------------------------------------

    def _get_json(
        self, url: str, phase: Phase = "request", cancel: CancelToken | None = None
    ) -> Any:
        """The JSON at ``url``.  Without a token nothing can stop the request, so it may reuse
        the kept-alive connection; with one it goes out on a fresh, guarded connection whose
        wait ``cancel`` ends at any stage, with ``Cancelled``."""
        try:
            if cancel is None:
                response = self._client().get(url)
            else:
                guard = ConnectionGuard(cancel)
                client = self._stream_client()
                response = guard.start(lambda: client.get(url, extensions={"trace": guard.trace}))
            if response.status_code >= 400:
                raise from_status(
                    response.status_code,
                    body_detail(response.content[:_ERROR_BODY_LIMIT]),
                    base_url=self.base_url,
                    phase=phase,
                    has_key=self._api_key is not None,
                )
            return response.json()
        except Exception as error:
            raise from_exception(
                error, base_url=self.base_url, phase=phase, read_timeout=self.timeout
            ) from None

    # -- models ---------------------------------------------------------------------------

    def _entries(self, cancel: CancelToken | None) -> list[dict[str, Any]]:
        listing = self._get_json(f"{self.base_url}/models", cancel=cancel)
        data = listing.get("data") if isinstance(listing, dict) else None
        if not isinstance(data, list):
            raise BackendError(
                message(
                    "The server at {where} answered /models without a model list. Is it an "
                    "OpenAI-compatible server? The address usually ends in /v1.",
                    where=display_url(self.base_url),
                )
            )
        entries = [e for e in data if isinstance(e, dict) and isinstance(e.get("id"), str)]
        if entries:
            self._kind = server_kind(entries[0].get("owned_by"))
        return entries

    def list_models(self, *, cancel: CancelToken | None = None) -> list[ModelInfo]:
        """The models the server offers now, with what it says about them.

        ``cancel`` stops it at any moment with ``Cancelled``.
        """
        entries = self._entries(cancel)
        return [self._info(entry, single=len(entries) == 1, cancel=cancel) for entry in entries]

    def model_info(self, model_id: str, *, cancel: CancelToken | None = None) -> ModelInfo:
        """Details of ``model_id`` (an id or an alias the server lists).

        Asked afresh each time: a single-model server answers any model name with the one
        it has, so the listing is what keeps a chat from going to the wrong model.
        ``cancel`` stops it at any moment with ``Cancelled``.
        """
        entries = self._entries(cancel)
        for entry in entries:
            if model_id in _names(entry):
                return self._info(entry, single=len(entries) == 1, cancel=cancel)
        raise model_missing(self.base_url, model_id)

    def _info(
        self, entry: dict[str, Any], *, single: bool, cancel: CancelToken | None
    ) -> ModelInfo:
        model_id: str = entry["id"]
        meta = entry.get("meta")
        if not isinstance(meta, dict):  # llama-server's own block; others have none
            meta = {}
        size = meta.get("size")
        n_ctx = meta.get("n_ctx")
        n_params = meta.get("n_params")
        return ModelInfo(
            id=model_id,
            name=_basename(model_id),
            size=size if isinstance(size, int) and size > 0 else None,
            capabilities=Capabilities(vision=self._sees(entry, single=single, cancel=cancel)),
            context_length=n_ctx if isinstance(n_ctx, int) and n_ctx > 0 else None,
            parameter_size=_parameter_size(n_params),
        )

    def _sees(self, entry: dict[str, Any], *, single: bool, cancel: CancelToken | None) -> bool:
        model_id: str = entry["id"]
        if model_id in self.vision_models:
            return True
        architecture = entry.get("architecture")
        if isinstance(architecture, dict) and isinstance(
            architecture.get("input_modalities"), list
        ):
            return "image" in architecture["input_modalities"]
        if model_id in self._vision:
            return self._vision[model_id]
        seen = False
        root = server_root(self.base_url)
        # Only a single-model llama-server answers /props about "the" model: in router
        # mode /props needs ?model= and would load the model just to be asked.
        if single and root is not None and server_kind(entry.get("owned_by")) == "llama.cpp":
            try:
                props = self._get_json(f"{root}/props", cancel=cancel)
            except Cancelled:
                raise
            except BackendError as error:
                log.info("no /props from %s: %s", display_url(self.base_url), error)
            else:
                modalities = props.get("modalities") if isinstance(props, dict) else None
                seen = isinstance(modalities, dict) and modalities.get("vision") is True
        self._vision[model_id] = seen
        return seen

    # -- chat -----------------------------------------------------------------------------

    def stream_chat(
        self, request: ChatRequest, cancel: CancelToken | None = None
    ) -> Iterator[Chunk]:
        """Checks the model and its capabilities now; streams when iterated.

        The check asks the server (``/models``, maybe ``/props``); ``cancel`` stops that
        too, and the stream is then just ``Done(reason="cancelled")``.
        """
        try:
            info = self.model_info(request.model, cancel=cancel)
        except Cancelled:
            return iter([Done(Stats(), "cancelled")])
        check_request(info, request)
        chunks = self._chat(replace(request, model=info.id), cancel or CancelToken())
        if request.continue_last:
            # llama-server continues a final assistant message (its prefill) and sends it
            # back whole; only the addition is this answer's.
            return without_echo(chunks, request.messages[-1].text)
        return chunks

    def _chat(self, request: ChatRequest, cancel: CancelToken) -> Iterator[Chunk]:
        if cancel.cancelled:
            yield Done(Stats(), "cancelled")
            return
        from httpx_sse import EventSource

        body = request_body(request.model, request.messages, request.options, self._kind)
        state = StreamState()
        received: list[str] = []
        finished = False
        started = time.perf_counter()
        first: float | None = None
        last = started
        guard = ConnectionGuard(cancel)
        try:
            client = self._stream_client()
            outgoing = client.build_request(
                "POST",
                f"{self.base_url}/chat/completions",
                json=body,
                headers={"Accept": "text/event-stream"},
                extensions={"trace": guard.trace},
            )
            # Connect, send and wait for the headers through the guard, so Stop ends even
            # that wait; then the guard's watcher cuts the connection if the stream stalls.
            with guard:
                response = guard.start(
                    lambda: client.send(outgoing, stream=True), release=lambda late: late.close()
                )
                with contextlib.closing(response):
                    if response.status_code >= 400:
                        raise from_status(
                            response.status_code,
                            body_detail(_read_limited(response)),
                            base_url=self.base_url,
                            model=request.model,
                            has_key=self._api_key is not None,
                        )
                    content_type = response.headers.get("content-type", "")
                    if "text/event-stream" not in content_type:
                        # A server that ignored "stream": one whole completion.
                        payload = json.loads(_read_limited(response, limit=None))
                        self._raise_if_error(payload, request.model, "")
                        text = state.absorb(payload)
                        finished = True
                        if text:
                            first = last = time.perf_counter()
                            received.append(text)
                            yield TextDelta(text)
                    else:
                        for event in EventSource(response).iter_sse():
                            if cancel.cancelled:
                                break
                            data = event.data.strip()
                            if data == "[DONE]":
                                finished = True
                                break
                            if not data and event.event != "error":
                                continue
                            payload = _json_or_text(data)
                            if event.event == "error":
                                raise self._payload_error(payload, request.model, "".join(received))
                            self._raise_if_error(payload, request.model, "".join(received))
                            text = state.absorb(payload)
                            if text:
                                last = time.perf_counter()
                                first = first or last
                                received.append(text)
                                yield TextDelta(text)
        except Exception as error:
            if not cancel.cancelled:
                partial = "".join(received)
                if isinstance(error, BackendError):
                    error.partial_text = error.partial_text or partial
                    raise error from None
                raise from_exception(
                    error,
                    base_url=self.base_url,
                    phase="chat",
                    partial=partial,
                    read_timeout=self.timeout,
                ) from None
        if cancel.cancelled:
            yield Done(Stats(), "cancelled")
            return
        if not finished and state.finish_reason is None:
            raise GenerationFailed(
                message(
                    "The server at {where} ended the answer without finishing it (did it stop or "
                    "crash?). The partial answer is kept; try again.",
                    where=display_url(self.base_url),
                ),
                partial_text="".join(received),
            )
        stats = state.stats(
            prompt_wall_s=(first or last) - started,
            decode_wall_s=last - (first or last),
            deltas=len(received),
        )
        yield Done(stats, state.reason)

    def _raise_if_error(self, payload: Any, model: str, partial: str) -> None:
        if isinstance(payload, dict) and ("error" in payload or payload.get("object") == "error"):
            raise self._payload_error(payload, model, partial)
        if not isinstance(payload, dict):
            raise GenerationFailed(
                message(
                    "The server at {where} sent a chunk LocalSight cannot read ({chunk}). Is it "
                    "an OpenAI-compatible server?",
                    where=display_url(self.base_url),
                    chunk=repr(str(payload)[:80]),
                ),
                partial_text=partial,
            )

    def _payload_error(self, payload: Any, model: str, partial: str) -> BackendError:
        """The error for an error object that arrived after HTTP 200 (a whole reply or a
        ``data:`` chunk holding one, or an ``event: error``); the status is its ``code``, if
        it names one, else -1."""
        return from_status(
            status_of(payload) or -1,
            error_detail(payload),
            base_url=self.base_url,
            model=model,
            partial=partial,
            has_key=self._api_key is not None,
        )


def _names(entry: dict[str, Any]) -> set[str]:
    """What a user may call the model: its id, its aliases and, when the id is a file path
    (llama-server without --alias reports the -m path), the file's name with or without
    ``.gguf``."""
    model_id: str = entry["id"]
    aliases = entry.get("aliases")
    names = (
        {model_id, *(a for a in aliases if isinstance(a, str))}
        if isinstance(aliases, list)
        else {model_id}
    )
    base = _basename(model_id)
    if base != model_id:
        names.update({base, base.removesuffix(".gguf")})
    return names


def _basename(model_id: str) -> str:
    return (
        model_id.replace("\\", "/").rsplit("/", 1)[-1] if model_id.endswith(".gguf") else model_id
    )


def _json_or_text(data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data


def _read_limited(response: httpx.Response, limit: int | None = _ERROR_BODY_LIMIT) -> bytes:
    """The body, or its first ``limit`` bytes: an error page can be arbitrarily large."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if limit is not None and size >= limit:
            break
    return b"".join(chunks)


def _parameter_size(n_params: object) -> str | None:
    if not isinstance(n_params, int) or isinstance(n_params, bool) or n_params <= 0:
        return None
    if n_params >= 1_000_000_000:
        return f"{n_params / 1e9:.1f}B"
    return f"{n_params / 1e6:.0f}M"
