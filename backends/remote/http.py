"""The HTTP transport every remote adapter shares.

A subclass declares ``kind`` (its row in ``backends.kinds`` gives the default base URL, the key
variable, whether a key is required and the provider's name), ``Options`` (a subclass of
``HTTPOptions``), ``capabilities`` and ``wire_class`` (its ``ProviderWire``; or it overrides
``make_wire``). Everything else is here: the ``httpx.AsyncClient``, SSE framing (httpx-sse) and
NDJSON framing, stall detection (a per-read timeout: comments and pings count as liveness),
retries before the first token (429 honouring the server's hint, 5xx/529 with exponential
backoff and jitter, within a bounded total wait, each shown as ``StatusNote("retrying")``), and
turning transport failures into ``Finished(INTERRUPTED)`` with the partial output kept. Provider
JSON never reaches this module.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from backends.base import Backend, BackendSpec
from backends.errors import (
    AuthError,
    BadResponse,
    ConfigError,
    ConnectionLost,
    PonderError,
    Unreachable,
    redact_all,
    register_secret,
    register_url_secrets,
)
from backends.events import (
    Finished,
    ReasoningDelta,
    StatusNote,
    StopReason,
    StreamEvent,
    TextDelta,
    Timings,
)
from backends.kinds import Kind, kind_info
from backends.remote.framing import frames
from backends.remote.http_errors import retry_after_hint
from backends.remote.wire import (
    HttpCall,
    MalformedEvent,
    ParsedEnd,
    ProviderWire,
    StreamParser,
    WireFormat,
)
from backends.request import ChatRequest

MAX_BACKOFF_S = 8.0  # cap of one backoff step (the OpenAI SDK uses 0.5 s doubling up to 8 s)
REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-generation-id")
# A buggy or confused parser must not kill the stream: treat these like MalformedEvent.
_PARSE_ERRORS = (MalformedEvent, ValueError, KeyError, TypeError, AttributeError, IndexError)


class HTTPOptions(BaseModel):
    """Transport options every remote backend accepts (subclass it to add provider knobs)."""

    model_config = ConfigDict(extra="forbid")

    timeout_s: float = Field(30.0, gt=0, description="connect/write timeout; model list and check")
    stall_timeout_s: float = Field(60.0, gt=0, description="no bytes for this long = stalled")
    max_retries: int = Field(3, ge=0, le=10, description="retries before the first token")
    max_retry_wait_s: float = Field(60.0, ge=0, description="total time spent waiting to retry")
    retry_backoff_s: float = Field(0.5, gt=0, description="first backoff step, doubled each time")


@dataclass(slots=True)
class _Run:
    """State of one ``stream`` call across its attempts."""

    output_started: bool = False
    retries: int = 0
    waited_s: float = 0.0
    skipped: int = 0
    retry: PonderError | None = None  # set by an attempt that may be retried
    request_id: str | None = None


class HTTPBackend(Backend):
    """Base class of every HTTP adapter. See the module docstring for what a subclass provides.

    The kind's row (``backends.kinds``) gives the base URL used when the spec has none, the key
    variable named in errors when the spec names none, and whether a key is required
    (``stream`` raises ``AuthError`` before any event when it is missing). ``models_path`` is
    the GET path under the base URL for ``list_models`` and ``check`` (``None`` when the
    provider has no such endpoint).
    """

    Options: ClassVar[type[BaseModel]] = HTTPOptions
    options: HTTPOptions  # an instance of ``Options``: a subclass narrows this annotation too
    wire_class: ClassVar[type[ProviderWire] | None] = None
    # Model used when the spec names none ("" or "default"); None keeps "default" (servers
    # that pick their own model).
    default_model: ClassVar[str | None] = None
    models_path: ClassVar[str | None] = "/models"

    def __init__(self, spec: BackendSpec) -> None:
        super().__init__(spec)
        if self.default_model and self.model in ("", "default"):
            self.model = self.default_model
        register_secret(self.api_key)
        # A key in the URL (``?key=…``, ``user:pass@``) is a secret too; the name (often the
        # spec itself, ``openai-compat:https://h/v1?key=…``) is stored, printed and exported.
        register_url_secrets(spec.base_url)
        register_url_secrets(spec.name)
        self.name = redact_all(self.name)
        self.options = _options_for(type(self), spec.options)
        self._client: httpx.AsyncClient | None = None
        self._wire: WireFormat | None = None
        self._models: list[str] | None = None

    # ----- what subclasses use -------------------------------------------------------------

    @property
    def kind_info(self) -> Kind:
        """This kind's row of the kinds table (defaults, provider name)."""
        return kind_info(self.kind)

    def make_wire(self) -> WireFormat:
        """The wire format for this backend (called once, lazily): ``wire_class`` built from
        the model, key, base URL, key variable and options."""
        if self.wire_class is None:
            raise NotImplementedError(f"{type(self).__name__} sets no wire_class")
        return self.wire_class(
            self.model,
            api_key=self.api_key,
            base_url=self.base_url,
            key_env=self.key_env,
            options=self.options,
        )

    @property
    def wire(self) -> WireFormat:
        if self._wire is None:
            self._wire = self.make_wire()
        return self._wire

    @property
    def base_url(self) -> str:
        """The base URL without a trailing slash. Raises ``ConfigError`` when there is none."""
        url = self.spec.base_url or self.kind_info.base_url
        if not url:
            raise ConfigError(f"backend '{self.name}' has no base_url", "set base_url in config")
        return url.rstrip("/")

    @property
    def api_key(self) -> str | None:
        return self.spec.api_key.get_secret_value() if self.spec.api_key else None

    @property
    def key_env(self) -> str | None:
        """The env var the key comes from (for messages): the spec's, else the kind's."""
        return self.spec.api_key_env or self.kind_info.key_env

    @property
    def provider(self) -> str:
        """A short provider name for messages."""
        return self.kind_info.provider or self.name

    def auth_headers(self) -> dict[str, str]:
        """Headers carrying the key (Bearer by default); used for ``list_models`` / ``check``."""
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def parse_models(self, data: Any) -> list[str]:
        """Model ids from the models endpoint's JSON (OpenAI shape ``{"data": [{"id"}]}``)."""
        items = data.get("data", []) if isinstance(data, dict) else []
        return [str(item["id"]) for item in items if isinstance(item, dict) and "id" in item]

    def missing_key(self) -> str | None:
        """``"set ENV_VAR"`` when a required key is missing, else ``None``."""
        if self.kind_info.needs_key and not self.api_key:
            return f"set {self.key_env or 'the API key env var'}"
        return None

    # ----- Backend API ---------------------------------------------------------------------

    async def _stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        missing = self.missing_key()
        if missing:
            env = self.key_env or "the API key env var"
            raise AuthError(f"no API key for {self.provider}: {env} is not set", missing)
        call = self.wire.build(request)
        run = _Run()
        while True:
            async for event in self._attempt(call, request, run):
                yield event
            error, run.retry = run.retry, None
            if error is None:
                return
            wait = self._retry_wait(error, run)
            if wait is None:
                yield self._finished(ParsedEnd(), run, StopReason.ERROR, self._gave_up(error, run))
                return
            run.retries += 1
            run.waited_s += wait
            text = f"{error.message}; retry {run.retries}/{self.options.max_retries} in {wait:.1f}s"
            yield StatusNote("retrying", text, wait_s=wait)
            await asyncio.sleep(wait)

    async def list_models(self) -> list[str]:
        """Model ids from the provider's models endpoint (cached); ``[model]`` on any failure."""
        if self._models is not None:
            return self._models
        if self.models_path is None or self.missing_key():
            return [self.model]
        try:
            client = self._get_client()
            response = await client.get(
                self.base_url + self.models_path,
                headers=self.auth_headers(),
                timeout=self.options.timeout_s,
            )
            response.raise_for_status()
            models = self.parse_models(response.json())
        except (httpx.HTTPError, ValueError, KeyError, TypeError, PonderError):
            return [self.model]
        self._models = models or [self.model]
        return self._models

    async def check(self) -> str | None:
        """``None`` if usable, else one line: the missing key's env var or the unreachable URL."""
        missing = self.missing_key()
        if missing:
            return missing
        try:
            url = self.base_url + (self.models_path or "")
            client = self._get_client()
            response = await client.get(
                url, headers=self.auth_headers(), timeout=min(self.options.timeout_s, 5.0)
            )
        except PonderError as exc:
            return str(exc)
        except httpx.HTTPError as exc:
            return f"cannot reach {self.base_url} ({_describe(exc)}): is the server running?"
        if response.status_code in (401, 403):
            return f"the key was rejected ({response.status_code}): check {self.key_env}"
        return None

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    # ----- one attempt -----------------------------------------------------------------------

    def _get_client(self) -> httpx.AsyncClient:
        if self._client is None:
            opts = self.options
            timeout = httpx.Timeout(
                connect=opts.timeout_s,
                read=opts.stall_timeout_s,
                write=opts.timeout_s,
                pool=opts.timeout_s,
            )
            self._client = httpx.AsyncClient(timeout=timeout, headers={"user-agent": "ponder"})
        return self._client

    async def _attempt(
        self, call: HttpCall, request: ChatRequest, run: _Run
    ) -> AsyncIterator[StreamEvent]:
        """Send ``call`` once; yield events; set ``run.retry`` instead of finishing to retry."""
        parser = self.wire.parser(request)
        try:
            client = self._get_client()
            async with client.stream(
                call.method, call.url, headers=call.headers, json=call.json
            ) as response:
                run.request_id = _request_id(response.headers) or run.request_id
                if response.status_code >= 400:
                    error = await self._status_error(response)
                    if error.retryable and not run.output_started:
                        run.retry = error
                        return
                    yield self._finished(ParsedEnd(), run, StopReason.ERROR, error)
                    return
                async for event in self._read(response, call, parser, run):
                    yield event
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
            error = Unreachable(
                f"cannot reach {_origin(call.url)} ({_describe(exc)})",
                "check that the server is running, the base_url and your network",
            )
            yield self._finished(_safe_end(parser), run, StopReason.ERROR, error)
            return
        except httpx.TimeoutException:
            error = ConnectionLost(
                f"{self.provider} sent nothing for {self.options.stall_timeout_s:g}s (stalled)",
                "the partial reply is kept; retry, or raise stall_timeout_s",
            )
            yield self._finished(_safe_end(parser), run, StopReason.INTERRUPTED, error)
            return
        except (httpx.TransportError, httpx.StreamError) as exc:
            error = ConnectionLost(
                f"the connection to {_origin(call.url)} dropped mid-reply ({_describe(exc)})",
                "the partial reply is kept; retry to get a full one",
            )
            yield self._finished(_safe_end(parser), run, StopReason.INTERRUPTED, error)
            return
        except BadResponse as error:
            yield self._finished(_safe_end(parser), run, StopReason.ERROR, error)
            return
        end = _safe_end(parser)
        if end.error is not None:
            if end.error.retryable and not run.output_started:
                run.retry = end.error
                return
            yield self._finished(end, run, StopReason.ERROR, end.error)
        elif end.stop_reason is None:
            cut = ConnectionLost(
                f"{self.provider}'s stream ended without a finish reason (cut off)",
                "the partial reply is kept; retry to get a full one",
            )
            yield self._finished(end, run, StopReason.INTERRUPTED, cut)
        else:
            yield self._finished(end, run, end.stop_reason, None)

    async def _read(
        self, response: httpx.Response, call: HttpCall, parser: StreamParser, run: _Run
    ) -> AsyncIterator[StreamEvent]:
        """Feed framed messages to ``parser``; malformed ones are skipped and counted."""
        async for data, event_name in frames(response, call.framing):
            try:
                events = parser.feed(data, event_name)
            except _PARSE_ERRORS:
                run.skipped += 1
                if run.skipped == 1:
                    yield StatusNote("skipped", f"skipped a malformed event from {self.provider}")
                continue
            for event in events:
                if isinstance(event, (ReasoningDelta, TextDelta)) and event.text:
                    run.output_started = True
                yield event
            if parser.done:
                return

    async def _status_error(self, response: httpx.Response) -> PonderError:
        body = await response.aread()
        headers = {k.lower(): v for k, v in response.headers.items()}
        error = self.wire.error_for_status(response.status_code, body, headers)
        if getattr(error, "retry_after", "absent") is None:
            error.retry_after = retry_after_hint(headers, body)  # type: ignore[attr-defined]
        if headers.get("x-should-retry", "").lower() == "false":
            error.retryable = False  # the server says retrying will not help
        return error

    # ----- retries and the final event ----------------------------------------------------

    def _retry_wait(self, error: PonderError, run: _Run) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to give up."""
        opts = self.options
        if run.retries >= opts.max_retries:
            return None
        hint = getattr(error, "retry_after", None)
        if hint is not None:
            wait = float(hint)
        else:
            step = min(MAX_BACKOFF_S, opts.retry_backoff_s * 2**run.retries)
            wait = step * random.uniform(0.75, 1.25)  # jitter spreads out synchronized clients
        if run.waited_s + wait > opts.max_retry_wait_s:
            return None
        return wait

    def _gave_up(self, error: PonderError, run: _Run) -> PonderError:
        hint = getattr(error, "retry_after", None)
        if run.retries == 0 and hint is not None and hint > self.options.max_retry_wait_s:
            error.hint = (
                f"the server asks to wait {hint:.0f}s, more than max_retry_wait_s "
                f"({self.options.max_retry_wait_s:g}s); try again later"
            )
        elif run.retries:
            error.hint = f"gave up after {run.retries} retries ({run.waited_s:.1f}s); try later"
        return error

    def _finished(
        self, end: ParsedEnd, run: _Run, stop: StopReason, error: PonderError | None
    ) -> Finished:
        extra = dict(end.extra)
        if run.retries:
            extra["retries"] = run.retries
        if run.request_id:
            extra["request_id"] = run.request_id
        return Finished(
            stop_reason=stop,
            usage=end.usage,
            timings=Timings(
                started=time.monotonic(),
                server_prompt_ms=end.server_prompt_ms,
                server_decode_ms=end.server_decode_ms,
                server_decode_tokens=end.server_decode_tokens,
            ),
            error=error,
            model=end.model,
            continuation=end.continuation,
            provider_cost_usd=end.provider_cost_usd,
            skipped_events=run.skipped,
            budget_applied=end.budget_applied,
            extra=extra,
        )


def _safe_end(parser: StreamParser) -> ParsedEnd:
    """``parser.end()``, or an empty summary if a confused parser raises."""
    try:
        return parser.end()
    except _PARSE_ERRORS:
        return ParsedEnd()


def _options_for(cls: type[HTTPBackend], options: BaseModel) -> HTTPOptions:
    """``options`` as an instance of ``cls.Options`` (defaults when the spec carries none)."""
    if not isinstance(options, cls.Options):
        options = cls.Options.model_validate(options.model_dump())
    if not isinstance(options, HTTPOptions):
        raise TypeError(f"{cls.__name__}.Options must subclass HTTPOptions")
    return options


def _request_id(headers: httpx.Headers) -> str | None:
    return next((headers[h] for h in REQUEST_ID_HEADERS if h in headers), None)


def _origin(url: str) -> str:
    """Scheme, host and path without the query (which may carry a key)."""
    return url.split("?", 1)[0]


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
