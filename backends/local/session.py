"""One GGUF model in llama.cpp, through its public C API: the only importer of ``llama_cpp``.

The session builds the model and context params itself (which is where the AMX guard sets
``use_extra_bufts``), owns the token list the KV cache holds, evaluates in ``n_batch`` chunks
with ``llama_decode``, cuts the cache back with ``llama_memory_seq_rm``, samples with one
``llama_sampler`` chain per reply, snapshots and restores sequences with ``llama_state_seq_*``
and reads llama.cpp's own evaluation counters. Nothing here touches a private attribute of
llama-cpp-python, so a patch release of it cannot silently change what the model sees.

The context starts small and grows (its KV cells are copied into a larger one) up to
``n_ctx``: a short chat does not pay for a 4096-token cache up front.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llama_cpp

from backends.errors import ModelLoadError, ProviderError
from backends.local.cpu_guard import BufferChoice, decide_extra_bufts, env_choice, read_cpuinfo
from backends.local.options import LocalOptions

log = logging.getLogger("ponder.llama")

SEQ = 0  # everything is decoded into sequence 0
FIRST_CTX = 512  # the context a session starts with (grown on demand up to n_ctx)
_SPECIAL_ATTRS = llama_cpp.LLAMA_TOKEN_ATTR_CONTROL | llama_cpp.LLAMA_TOKEN_ATTR_USER_DEFINED
NEG_INF = float("-inf")

_recent_errors: deque[str] = deque(maxlen=8)
_init_lock = threading.Lock()
_initialised = False

# ggml_log_level: NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5 (continues the last line)
_LEVELS = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}
_last_level = [logging.DEBUG]


@llama_cpp.llama_log_callback
def _llama_log(level: int, text: bytes, _user: ctypes.c_void_p) -> None:
    level_no = _last_level[0] if level == 5 else _LEVELS.get(level, logging.DEBUG)
    _last_level[0] = level_no
    message = text.decode("utf-8", errors="replace").rstrip()
    if not message:
        return
    if level_no >= logging.ERROR:
        _recent_errors.append(message)
    log.log(level_no, message)


def init_llama() -> None:
    """Route llama.cpp's log to the ``ponder.llama`` logger (a TUI owns the terminal) and
    initialise its backends, once per process."""
    global _initialised
    with _init_lock:
        if not _initialised:
            llama_cpp.llama_log_set(_llama_log, ctypes.c_void_p(0))
            llama_cpp.llama_backend_init()
            _initialised = True


def system_info() -> str:
    """llama.cpp's description of the CPU features it was built for and found."""
    return llama_cpp.llama_print_system_info().decode("utf-8", errors="replace")


def supports_gpu_offload() -> bool:
    return bool(llama_cpp.llama_supports_gpu_offload())


def buffer_choice(options: LocalOptions) -> BufferChoice:
    """The AMX guard's decision for this machine and these options."""
    return decide_extra_bufts(options.extra_buffers, env_choice(), read_cpuinfo(), system_info())


def guard_default_params() -> bool:
    """Make llama.cpp's *default* model params follow the AMX guard; True when it turned
    extra buffer types off.

    Only for third-party code that builds its own ``llama_cpp.Llama`` where ponder cannot pass
    params (the tests' llama-cpp-python server, the benches' raw baseline): ponder's own loads
    build their params in :func:`model_params` and never rely on this.
    """
    if buffer_choice(LocalOptions()).use_extra_bufts:
        return False
    low = llama_cpp.llama_cpp  # the module Llama() calls; the package only re-exports it
    stock = low.llama_model_default_params

    def without_extra_bufts() -> Any:
        params = stock()
        params.use_extra_bufts = False
        return params

    low.llama_model_default_params = without_extra_bufts
    return True


def default_gpu_layers(options: LocalOptions) -> int:
    """All layers when llama.cpp was built with GPU support, unless the options say otherwise."""
    if options.n_gpu_layers is not None:
        return options.n_gpu_layers
    return -1 if supports_gpu_offload() else 0


def model_params(options: LocalOptions, choice: BufferChoice) -> Any:
    """``llama_model_params`` for these options (the AMX guard applied)."""
    params = llama_cpp.llama_model_default_params()
    layers = default_gpu_layers(options)
    params.n_gpu_layers = 0x7FFFFFFF if layers == -1 else layers
    params.use_extra_bufts = choice.use_extra_bufts
    return params


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A sequence's KV cells copied out of llama.cpp, with the tokens they hold."""

    tokens: tuple[int, ...]
    data: Any  # ctypes uint8 array
    size: int


class Sampler:
    """One ``llama_sampler`` chain: the reply's settings, end-of-generation optionally banned."""

    def __init__(self, session: LlamaSession, sampling: Any, seed: int | None, ban_eog=False):
        self.session = session
        self.chain = llama_cpp.llama_sampler_chain_init(
            llama_cpp.llama_sampler_chain_default_params()
        )
        add = llama_cpp.llama_sampler_chain_add
        if ban_eog:
            eog = session.eog_ids()
            biases = (llama_cpp.llama_logit_bias * len(eog))(
                *(llama_cpp.llama_logit_bias(token, NEG_INF) for token in eog)
            )
            add(
                self.chain,
                llama_cpp.llama_sampler_init_logit_bias(session.n_vocab, len(eog), biases),
            )
        if sampling.repeat_penalty != 1.0:
            add(
                self.chain,
                # the binding's argument list, as llama-cpp-python itself calls it
                llama_cpp.llama_sampler_init_penalties(
                    session.n_vocab, 64, sampling.repeat_penalty, 0.0, 0.0
                ),
            )
        if sampling.temperature == 0.0:
            add(self.chain, llama_cpp.llama_sampler_init_greedy())
        else:
            add(self.chain, llama_cpp.llama_sampler_init_top_k(sampling.top_k))
            add(self.chain, llama_cpp.llama_sampler_init_top_p(sampling.top_p, 1))
            add(self.chain, llama_cpp.llama_sampler_init_min_p(sampling.min_p, 1))
            add(self.chain, llama_cpp.llama_sampler_init_temp(sampling.temperature))
            add(
                self.chain,
                llama_cpp.llama_sampler_init_dist(
                    llama_cpp.LLAMA_DEFAULT_SEED if seed is None else seed
                ),
            )

    def sample(self) -> int:
        """A token from the logits of the last evaluated position (it is accepted too)."""
        return int(llama_cpp.llama_sampler_sample(self.chain, self.session.ctx, -1))

    def accept(self, token: int) -> None:
        """Tell the chain about a token that was forced rather than sampled (penalties)."""
        llama_cpp.llama_sampler_accept(self.chain, token)

    def close(self) -> None:
        if self.chain is not None:
            llama_cpp.llama_sampler_free(self.chain)
            self.chain = None


class LlamaSession:
    """A loaded model and one context whose sequence 0 holds ``tokens`` (call from one thread).

    Raises ModelLoadError when llama.cpp cannot load the file.
    """

    def __init__(self, path: Path, options: LocalOptions) -> None:
        init_llama()
        self.path = path
        self.options = options
        self.buffers = buffer_choice(options)
        self.model_params = model_params(options, self.buffers)
        _recent_errors.clear()
        model = llama_cpp.llama_model_load_from_file(str(path).encode(), self.model_params)
        if not model:
            detail = _recent_errors[-1] if _recent_errors else "unknown error"
            raise ModelLoadError(
                f"llama.cpp could not load {path.name}: {detail}",
                "check that the file is a complete GGUF model supported by this llama.cpp "
                "build (re-download it, or pick another file)",
            )
        self.model = model
        self.vocab = llama_cpp.llama_model_get_vocab(model)
        self.n_vocab = int(llama_cpp.llama_vocab_n_tokens(self.vocab))
        self.recurrent = bool(llama_cpp.llama_model_is_recurrent(model)) or bool(
            llama_cpp.llama_model_is_hybrid(model)
        )
        self.metadata = self._read_metadata()
        train = int(llama_cpp.llama_model_n_ctx_train(model))
        self.max_ctx = options.n_ctx or train
        self.n_batch = min(options.n_batch, self.max_ctx)
        self.tokens: list[int] = []
        self.logits_ready = False
        self._eog: list[int] | None = None
        self._pieces: dict[int, bytes] = {}
        self._buffer = ctypes.create_string_buffer(64)
        self._retired = [0, 0]  # counters of contexts replaced by larger ones
        self._did = [False, False]  # this context evaluated a batch / a single token
        self.ctx: Any = None
        self.batch = llama_cpp.llama_batch_init(self.n_batch, 0, 1)
        for i in range(self.n_batch):
            self.batch.seq_id[i][0] = SEQ
            self.batch.n_seq_id[i] = 1
        try:
            self.ctx = self._new_context(min(FIRST_CTX, self.max_ctx))
        except ModelLoadError:
            self.close()
            raise

    # ---- model facts ------------------------------------------------------------------------

    def _read_metadata(self) -> dict[str, str]:
        """Every GGUF metadata key with its value as llama.cpp renders it (arrays elided)."""
        out: dict[str, str] = {}
        buf = ctypes.create_string_buffer(256)
        for i in range(int(llama_cpp.llama_model_meta_count(self.model))):
            n = llama_cpp.llama_model_meta_key_by_index(self.model, i, buf, len(buf))
            if n < 0:
                continue
            key = buf.value.decode("utf-8", errors="replace")
            out[key] = self._meta_value(i)
        return out

    def _meta_value(self, index: int) -> str:
        size = 1024
        while True:
            buf = ctypes.create_string_buffer(size)
            n = int(llama_cpp.llama_model_meta_val_str_by_index(self.model, index, buf, size))
            if n < size:
                return buf.value.decode("utf-8", errors="replace") if n >= 0 else ""
            size = n + 1

    @property
    def chat_template(self) -> str | None:
        """The GGUF's own chat template (``tokenizer.chat_template``), or None."""
        raw = llama_cpp.llama_model_chat_template(self.model, None)
        return raw.decode("utf-8", errors="replace") if raw else None

    @property
    def n_ctx(self) -> int:
        """The size of the context as allocated now (it grows up to ``max_ctx``)."""
        return int(llama_cpp.llama_n_ctx(self.ctx))

    def bos_id(self) -> int:
        return int(llama_cpp.llama_vocab_bos(self.vocab))

    def eos_id(self) -> int:
        return int(llama_cpp.llama_vocab_eos(self.vocab))

    def token_text(self, token: int) -> str:
        """The vocabulary entry of ``token`` ("" for none), e.g. ``<|im_end|>``."""
        if token < 0:
            return ""
        raw = llama_cpp.llama_vocab_get_text(self.vocab, token)
        return raw.decode("utf-8", errors="replace") if raw else ""

    def is_eog(self, token: int) -> bool:
        return bool(llama_cpp.llama_vocab_is_eog(self.vocab, token))

    def token_is_control(self, token: int) -> bool:
        """A control or user-defined special token (a single-token tag such as ``<think>``)."""
        return bool(llama_cpp.llama_vocab_get_attr(self.vocab, token) & _SPECIAL_ATTRS)

    def eog_ids(self) -> list[int]:
        """Every token id that ends generation (EOS, EOT, <|im_end|>, ...), computed once."""
        if self._eog is None:
            self._eog = [t for t in range(self.n_vocab) if self.is_eog(t)]
        return self._eog

    def tokenize(self, text: str, *, special: bool = True, add_bos: bool = False) -> list[int]:
        """Token ids of ``text``; ``special`` parses special-token text such as ``<think>``."""
        data = text.encode("utf-8")
        size = len(data) + 8
        while True:
            out = (llama_cpp.llama_token * size)()
            n = int(
                llama_cpp.llama_tokenize(self.vocab, data, len(data), out, size, add_bos, special)
            )
            if n >= 0:
                return list(out[:n])
            size = -n

    def piece(self, token: int) -> bytes:
        """The raw bytes ``token`` stands for (special tokens render as nothing), cached."""
        cached = self._pieces.get(token)
        if cached is not None:
            return cached
        n = llama_cpp.llama_token_to_piece(
            self.vocab, token, self._buffer, len(self._buffer), 0, False
        )
        if n < 0:  # longer than the buffer: grow it and ask again
            self._buffer = ctypes.create_string_buffer(-n)
            n = llama_cpp.llama_token_to_piece(self.vocab, token, self._buffer, -n, 0, False)
        data = self._buffer.raw[: max(n, 0)]
        self._pieces[token] = data
        return data

    def detokenize(self, tokens: Sequence[int], *, special: bool = False) -> str:
        """Text of ``tokens``; ``special`` renders special tokens as their text."""
        if not special:
            return b"".join(self.piece(t) for t in tokens).decode("utf-8", errors="replace")
        parts = []
        for token in tokens:
            buf = ctypes.create_string_buffer(256)
            n = llama_cpp.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, True)
            parts.append(buf.raw[: max(n, 0)])
        return b"".join(parts).decode("utf-8", errors="replace")

    # ---- the context ------------------------------------------------------------------------

    def _context_params(self, n_ctx: int) -> Any:
        o = self.options
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = self.n_batch
        params.n_ubatch = self.n_batch
        # Only the last position of a batch is ever sampled: one row of logits, not n_batch
        # rows (which would size the compute buffer for 512 x n_vocab floats, ~96 MB here).
        params.n_outputs_max = 1
        if o.n_threads is not None:
            params.n_threads = o.n_threads
        if o.n_threads_batch is not None:
            params.n_threads_batch = o.n_threads_batch
        params.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
        params.no_perf = False  # llama.cpp's evaluation counters are the KV-reuse proof
        return params

    def _new_context(self, n_ctx: int) -> Any:
        ctx = llama_cpp.llama_init_from_model(self.model, self._context_params(n_ctx))
        if not ctx:
            detail = _recent_errors[-1] if _recent_errors else "out of memory?"
            raise ModelLoadError(
                f"llama.cpp could not create a {n_ctx}-token context for {self.path.name}: "
                f"{detail}",
                "lower n_ctx in this backend's options",
            )
        return ctx

    def ensure_room(self, n_tokens: int) -> None:
        """Grow the context to hold ``n_tokens`` (doubling, at most ``max_ctx``); the KV cells
        it holds are copied over, so nothing is evaluated again."""
        current = self.n_ctx
        if n_tokens <= current or current >= self.max_ctx:
            return
        size = current
        while size < n_tokens:
            size *= 2
        size = min(size, self.max_ctx)
        snap = self.snapshot() if self.tokens else None
        counts = self.eval_counts()
        old = self.ctx
        self.ctx = self._new_context(size)
        llama_cpp.llama_free(old)
        self._retired = list(counts)
        self._did = [False, False]
        self.tokens, self.logits_ready = [], False
        if snap is not None:
            self.restore(snap)
        log.debug("context grown from %d to %d tokens", current, self.n_ctx)

    def reusable(self, target: Sequence[int]) -> int:
        """How many leading ``target`` tokens ``evaluate`` takes from the KV cache.

        The common prefix with what the cache holds; when all of ``target`` is cached but its
        last logits are gone, that last token is evaluated again to get them.
        """
        held = self.tokens
        n = min(len(held), len(target))
        if n == len(held) and list(target[:n]) == held:  # the usual case, at C speed
            common = n
        else:
            common = next((i for i in range(n) if held[i] != target[i]), n)
        if self.recurrent and common < len(held):
            return 0  # recurrent state cannot be cut back to a prefix
        if common == len(target) and not (self.logits_ready and common == len(held)):
            return max(common - 1, 0)
        return common

    def evaluate(self, target: Sequence[int]) -> int:
        """Make the KV cache hold ``target`` with the last position's logits ready; returns
        the number of tokens taken from the cache. Raises ProviderError when decoding fails."""
        keep = self.reusable(target)
        if keep < len(self.tokens):
            memory = llama_cpp.llama_get_memory(self.ctx)
            if not llama_cpp.llama_memory_seq_rm(memory, SEQ, keep, -1):
                llama_cpp.llama_memory_seq_rm(memory, SEQ, -1, -1)
                keep = 0
            del self.tokens[keep:]
            self.logits_ready = False
        rest = list(target[keep:])
        if not rest:
            return keep
        self.ensure_room(len(target))
        batch = self.batch
        step = min(self.n_batch, int(llama_cpp.llama_n_batch(self.ctx)))  # a small context
        for start in range(0, len(rest), step):  # clamps its batch size to its own size
            chunk = rest[start : start + step]
            pos = len(self.tokens)
            for i, token in enumerate(chunk):
                batch.token[i] = token
                batch.pos[i] = pos + i
                batch.logits[i] = False
            batch.logits[len(chunk) - 1] = True
            batch.n_tokens = len(chunk)
            code = int(llama_cpp.llama_decode(self.ctx, batch))
            if code != 0:
                self.logits_ready = False
                self._resync()
                raise ProviderError(
                    f"llama.cpp could not decode {len(chunk)} tokens (code {code})",
                    "try a shorter conversation or a larger n_ctx",
                )
            self.tokens.extend(chunk)
        self._did[0 if len(rest) > 1 else 1] = True
        self.logits_ready = True
        return keep

    def _resync(self) -> None:
        """After a failed decode, make ``tokens`` match what the cache really holds."""
        memory = llama_cpp.llama_get_memory(self.ctx)
        top = int(llama_cpp.llama_memory_seq_pos_max(memory, SEQ))
        del self.tokens[max(top + 1, 0) :]

    def sampler(self, sampling: Any, seed: int | None, *, ban_eog: bool = False) -> Sampler:
        return Sampler(self, sampling, seed, ban_eog)

    def eval_counts(self) -> tuple[int, int]:
        """llama.cpp's own (prompt-batch, single-token) evaluation counters, over every context
        this session used (llama.cpp reports an unused counter as 1; that is read as 0)."""
        llama_cpp.llama_synchronize(self.ctx)  # llama.cpp adds a batch to them when it syncs
        data = llama_cpp.llama_perf_context(self.ctx)
        batch = int(data.n_p_eval) if self._did[0] else 0
        single = int(data.n_eval) if self._did[1] else 0
        return (self._retired[0] + batch, self._retired[1] + single)

    # ---- snapshots --------------------------------------------------------------------------

    def snapshot(self) -> Snapshot | None:
        """Copy the cache's cells out (no logits, no sampler state); None when empty."""
        if not self.tokens:
            return None
        size = int(llama_cpp.llama_state_seq_get_size(self.ctx, SEQ))
        data = (ctypes.c_uint8 * size)()
        written = int(llama_cpp.llama_state_seq_get_data(self.ctx, data, size, SEQ))
        return Snapshot(tuple(self.tokens), data, written) if written else None

    def snapshot_size(self) -> int:
        return int(llama_cpp.llama_state_seq_get_size(self.ctx, SEQ)) if self.tokens else 0

    def restore(self, snap: Snapshot) -> bool:
        """Replace the cache's contents with ``snap``; False (and an empty cache) if refused.
        The logits are not part of a snapshot: the next ``evaluate`` decodes at least one token.
        """
        self.clear()
        if len(snap.tokens) > self.n_ctx:
            self.ensure_room(len(snap.tokens))
        memory = llama_cpp.llama_get_memory(self.ctx)
        ok = int(llama_cpp.llama_state_seq_set_data(self.ctx, snap.data, snap.size, SEQ)) > 0
        if ok:
            self.tokens = list(snap.tokens)
        else:
            llama_cpp.llama_memory_seq_rm(memory, SEQ, -1, -1)
        return ok

    def clear(self) -> None:
        llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(self.ctx), SEQ, -1, -1)
        self.tokens, self.logits_ready = [], False

    def close(self) -> None:
        """Free the context, the batch and the model (idempotent)."""
        if self.ctx is not None:
            llama_cpp.llama_free(self.ctx)
            self.ctx = None
        if self.batch is not None:
            llama_cpp.llama_batch_free(self.batch)
            self.batch = None
        if self.model is not None:
            llama_cpp.llama_model_free(self.model)
            self.model = None
