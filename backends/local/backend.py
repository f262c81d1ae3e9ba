"""``LocalBackend``: a GGUF model run in-process by llama-cpp-python (kind ``llama``).

All llama.cpp work (loading, KV snapshots, decoding) runs on one worker thread, which is both
what keeps the event loop free and what serialises access to the model. Events cross to asyncio
through ``loop.call_soon_threadsafe``. Cancelling (closing the stream, cancelling its task, or
``cancel()``) sets a flag the decoder checks before keeping each token.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import AsyncGenerator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from backends.answer_room import ANSWER_RESERVE, BudgetFit, fit_budget
from backends.base import Backend, BackendSpec
from backends.capabilities import Capabilities
from backends.errors import ContextTooLong, ModelLoadError, PonderError, ProviderError
from backends.events import Finished, StatusNote, StopReason, StreamEvent
from backends.kinds import KINDS
from backends.local.decoder import ReplyDecoder, ReplyTrace
from backends.local.formats import suggested_budget
from backends.local.gguf_header import GGUFHeaderError, peek_format
from backends.local.kvstate import KVSnapshots
from backends.local.loader import LoadedModel, load_model, named_formatter, resolve_model_path
from backends.local.model_files import check_gguf_file
from backends.local.options import LocalOptions
from backends.local.prompt import build_prompt
from backends.local.sampler import Sampling
from backends.local.session import buffer_choice
from backends.request import ChatRequest


def answer_room(limit: int | None, max_tokens: int, free_context: int) -> BudgetFit:
    """The budget that leaves the answer room in the output cap and the free context.

    The reserve is ``ANSWER_RESERVE`` but at most an eighth of the output cap, so that a small
    deliberate cap (``max_tokens=40``, a test or an eval) still leaves thinking possible.
    """
    reserve = min(ANSWER_RESERVE, max(1, max_tokens // 8))
    return fit_budget(limit, max_tokens, free_context, reserve)


class LocalBackend(Backend):
    """In-process llama.cpp with exact budget forcing and per-conversation KV reuse.

    ``spec.model`` is ``"embedded"`` (the bundled SmolLM2-135M) or a path to a GGUF file. The
    model loads on first use (a ``StatusNote("loading")`` is streamed meanwhile) or on
    ``await load()``. The constructor raises ``ConfigError`` for options that cannot work (an
    unknown ``chat_format``); file problems surface as ``ModelLoadError`` from ``load()`` and
    ``stream()``, and as a one-line reason from ``check()``.
    """

    kind = "llama"
    Options = LocalOptions
    capabilities = Capabilities(
        can_think=True,
        thinking_text="full",
        budget_precision="exact",
        live_budget=True,
        local=KINDS["llama"].local,
        reports_usage=True,
    )

    def __init__(self, spec: BackendSpec) -> None:
        super().__init__(spec)
        options = spec.options
        if not isinstance(options, LocalOptions):
            options = LocalOptions.model_validate(options.model_dump())
        self.options = options
        if options.chat_format:
            named_formatter(options.chat_format)
        self._executor: ThreadPoolExecutor | None = None
        self._loaded: LoadedModel | None = None
        self._load_lock = asyncio.Lock()
        self._reply_lock = asyncio.Lock()
        self._snapshots = KVSnapshots(options.state_cache_mb * 1024 * 1024)
        self._conversation: str | None = None
        self._cancel: threading.Event | None = None
        self._warned = False
        self._peeked: str | None = None
        self.last_reply: ReplyTrace | None = None

    # ---- lifecycle ---------------------------------------------------------------------------

    def _worker(self) -> ThreadPoolExecutor:
        """The one thread that touches the model (llama.cpp contexts are not thread-safe)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ponder-llama")
        return self._executor

    def model_path(self) -> Path:
        """The GGUF file this backend runs. Raises ModelLoadError when the embedded one is gone."""
        return resolve_model_path(self.spec.model)

    async def check(self) -> str | None:
        try:
            check_gguf_file(self.model_path())
        except PonderError as exc:
            return str(exc)
        return None

    async def load(self) -> LoadedModel:
        """Load the model on the worker thread (once). Raises ModelLoadError / ConfigError."""
        async with self._load_lock:
            if self._loaded is None:
                path = self.model_path()
                check_gguf_file(path)
                loop = asyncio.get_running_loop()
                job = functools.partial(load_model, path, self.options)
                self._loaded = await loop.run_in_executor(self._worker(), job)
                fmt = self._loaded.tags.format.name
                self.capabilities = replace(type(self).capabilities, thinking_format=fmt)
        return self._loaded

    async def prepare(self) -> None:
        """Load the model now (see ``load``)."""
        await self.load()

    @property
    def prepared(self) -> bool:
        return self._loaded is not None

    def thinking_format(self) -> str | None:
        """The model's thinking format ("prompted", "r1", "qwen3", "smollm3", "harmony").

        Read from the loaded model, else from the GGUF header without loading it (cached);
        None when the file cannot be read. Also sets ``capabilities.thinking_format``.
        """
        if self._loaded is not None:
            return self._loaded.tags.format.name
        if self._peeked is None:
            try:
                fmt = peek_format(
                    self.model_path(), self.options.think_open, self.options.think_close
                )
            except (PonderError, OSError, GGUFHeaderError):
                return None
            self._peeked = fmt.name
            self.capabilities = replace(type(self).capabilities, thinking_format=fmt.name)
        return self._peeked

    def output_cap(self) -> int | None:
        return self.options.max_tokens

    def threads(self) -> int | None:
        return self.options.n_threads

    def gpu_layers(self) -> int | None:
        return self.options.n_gpu_layers

    def context_size(self) -> int | None:
        return self.options.n_ctx if self.options.n_ctx > 0 else None  # 0: the model's own

    def suggested_budget(self, steps: Sequence[int | str], output_cap: int | None) -> int | None:
        """Where this model's budget starts: off for prompted thinking, on for native."""
        cap = output_cap or self.options.max_tokens
        return suggested_budget(self.thinking_format(), steps, cap)

    @property
    def cpu_note(self) -> str:
        """The AMX guard's choice for this machine and why, e.g. "extra buffer types off: this
        CPU has AMX (llama.cpp's AMX path crashes, issue 20824)"."""
        if self._loaded is not None:
            return self._loaded.cpu_note
        return buffer_choice(self.options).note

    def notes(self) -> list[str]:
        return [self.cpu_note]

    @property
    def loaded(self) -> LoadedModel | None:
        return self._loaded

    @property
    def warnings(self) -> list[str]:
        return list(self._loaded.warnings) if self._loaded else []

    def cancel(self) -> None:
        """Stop the reply in flight at the next token; its stream ends with Finished(CANCELLED)."""
        if self._cancel is not None:
            self._cancel.set()

    async def aclose(self) -> None:
        """Stop any reply, free the model and its KV snapshots; a later stream loads again."""
        self.cancel()
        loaded, self._loaded = self._loaded, None
        executor, self._executor = self._executor, None
        if executor is None:
            return
        if loaded is not None:
            await asyncio.get_running_loop().run_in_executor(executor, self._free, loaded)
        executor.shutdown(wait=False)

    def _free(self, loaded: LoadedModel) -> None:
        self._snapshots.clear()
        self._conversation = None
        loaded.close()

    def eval_counts(self) -> tuple[int, int]:
        """llama.cpp's own (prompt-batch, single-token) evaluation counters for this context."""
        if self._loaded is None:
            return (0, 0)
        return self._loaded.session.eval_counts()

    # ---- streaming ---------------------------------------------------------------------------

    async def _stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        if self._loaded is None:
            path = self.model_path()
            check_gguf_file(path)  # raises before the first event: the request cannot start
            size_mb = path.stat().st_size / 1e6
            yield StatusNote("loading", f"loading {path.name} ({size_mb:.0f} MB)")
            try:
                await self.load()
            except ModelLoadError as exc:
                yield Finished(StopReason.ERROR, error=exc, model=path.name)
                return
        loaded = self._loaded
        assert loaded is not None
        if not self._warned:
            self._warned = True
            for warning in loaded.warnings:
                yield StatusNote("warning", warning)
        if self._reply_lock.locked():
            yield StatusNote("queued", "waiting for the reply in progress to finish")
        final: Finished | None = None
        events = self._relay(loaded, request)
        async with self._reply_lock, contextlib.aclosing(events):
            async for event in events:
                if isinstance(event, Finished):
                    final = event  # sent after the lock is released: the next reply may start
                else:
                    yield event
        if final is not None:
            yield final

    async def _relay(
        self, loaded: LoadedModel, request: ChatRequest
    ) -> AsyncGenerator[StreamEvent, None]:
        """Run the decoder on the worker thread and pass its events on, in order."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[StreamEvent] = asyncio.Queue()
        cancel = threading.Event()
        ack = threading.Semaphore(0) if self.options.lockstep else None
        self._cancel = cancel

        def emit(event: StreamEvent) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, event)
            except RuntimeError:  # the event loop is gone: nobody is listening any more
                cancel.set()
                return
            if ack is not None and not cancel.is_set() and not isinstance(event, Finished):
                ack.acquire()  # lock-step: wait until the consumer has taken this event

        job = functools.partial(self._decode, loaded, request, emit, cancel)
        future = loop.run_in_executor(self._worker(), job)
        finished = False
        try:
            while not finished:
                event = await queue.get()
                finished = isinstance(event, Finished)
                yield event
                if ack is not None:
                    ack.release()
        finally:
            if not finished:
                cancel.set()
                if ack is not None:
                    ack.release()
            with contextlib.suppress(Exception):
                await asyncio.shield(future)
            if self._cancel is cancel:
                self._cancel = None

    # ---- worker thread -------------------------------------------------------------------------

    def _decode(self, loaded: LoadedModel, request: ChatRequest, emit, cancel) -> None:
        """Worker thread: decode one reply; always emits exactly one Finished, last."""
        try:
            finished = self._decode_reply(loaded, request, emit, cancel)
        except PonderError as exc:
            finished = Finished(StopReason.ERROR, error=exc, model=loaded.path.name)
        except Exception as exc:  # llama.cpp failures must still end the stream cleanly
            error = ProviderError(
                f"llama.cpp failed while decoding: {type(exc).__name__}: {exc}",
                "try a shorter conversation or a larger n_ctx",
            )
            finished = Finished(StopReason.ERROR, error=error, model=loaded.path.name)
        emit(finished)

    def _decode_reply(self, loaded: LoadedModel, request: ChatRequest, emit, cancel) -> Finished:
        self._switch_conversation(loaded, request.conversation_id, request.own_history_only)
        sampling = self._sampling(request)
        n_ctx = loaded.session.max_ctx
        limit = request.budget.snapshot().limit
        think = limit != 0
        try:
            prompt = build_prompt(loaded, request.messages, think)
        except ValueError as exc:  # the template's raise_exception, e.g. roles must alternate
            raise ProviderError(
                f"the model's chat template rejected the conversation: {exc}",
                "set chat_format in this backend's options, or change the conversation",
            ) from None
        if len(prompt.tokens) >= n_ctx:
            raise ContextTooLong(
                f"the prompt has {len(prompt.tokens)} tokens; the context holds {n_ctx}",
                "start a new chat, or raise n_ctx in this backend's options",
            )
        room = answer_room(limit, sampling.max_tokens, n_ctx - len(prompt.tokens))
        if think and room.largest == 0:  # no room to think at all: answer at once
            prompt = build_prompt(loaded, request.messages, False)
        if room.clamped:
            emit(StatusNote("budget", room.note))
        decoder = ReplyDecoder(loaded, prompt, sampling, request.budget, emit, cancel, room)
        decoder.room_noted = room.clamped
        finished = decoder.run()
        self.last_reply = decoder.trace()
        return finished

    def _sampling(self, request: ChatRequest) -> Sampling:
        o = self.options
        return Sampling(
            temperature=o.temperature if request.temperature is None else request.temperature,
            top_p=o.top_p,
            top_k=o.top_k,
            min_p=o.min_p,
            repeat_penalty=o.repeat_penalty,
            seed=o.seed if request.seed is None else request.seed,
            max_tokens=request.max_tokens or o.max_tokens,
            extend_text=o.extend_text,
            usage_every=o.usage_every,
        )

    def _switch_conversation(
        self, loaded: LoadedModel, conversation: str | None, own_only: bool = False
    ) -> None:
        """Park the current conversation's KV cells and bring back the requested one's.

        ``own_only``: a conversation without a snapshot starts empty rather than reusing the
        prefix another conversation left in the context.
        """
        if conversation == self._conversation:
            return
        if self._conversation is not None:
            self._snapshots.save(self._conversation, loaded.session)
        restored = conversation is not None and self._snapshots.restore(
            conversation, loaded.session
        )
        if own_only and not restored:
            loaded.session.clear()
        self._conversation = conversation
