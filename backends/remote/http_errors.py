"""Turn HTTP error responses and in-stream error objects into ponder's errors.

Shared by every remote wire format: the provider-specific part is only where the message and code
sit in the body; the meaning of the status codes is common (shared/reference/providers.md §10).
All text passes through ``PonderError``, which redacts registered secrets.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
import time
from collections.abc import Mapping
from typing import Any

from backends.errors import (
    AuthError,
    ContextTooLong,
    ModelNotFound,
    Overloaded,
    PonderError,
    ProviderError,
    QuotaExceeded,
    RateLimited,
    clip,
)

# Statuses worth retrying before the first token (providers.md §10 client policy).
RETRY_STATUSES = frozenset({408, 409, 500, 502, 503, 504, 529})

_CONTEXT_CODES = frozenset(
    {
        "context_length_exceeded",
        "exceed_context_size_error",
        "max_tokens_exceeded",
        "token_limit_exceeded",
        "string_too_long",
    }
)
_CONTEXT_PHRASES = (
    "maximum context length",
    "context length",
    "context window",
    "exceeds the available context",
    "prompt is too long",
    "input token count",
    "too many tokens",
)
_AUTH_CODES = frozenset({"authentication", "authentication_error", "invalid_api_key"})
_CLIENT_STATUSES = frozenset({0, 400, 413, 422})  # where a context overflow is reported
_QUOTA_CODES = frozenset({"insufficient_quota", "payment_required", "insufficient_balance"})
MAX_MESSAGE_CHARS = 300
MAX_RETRY_AFTER_S = 86400.0  # a day: a larger hint is a broken header, not a plan


def parse_error_body(body: bytes | str | Mapping[str, Any]) -> tuple[str, str]:
    """Return ``(message, code)`` from an error body in any of the common shapes.

    Accepts the OpenAI envelope ``{"error": {"message", "type", "code"}}``, OpenRouter's
    ``metadata.error_type``, Ollama's ``{"error": "text"}``, vLLM's flat ``{"message", "type"}``,
    FastAPI's ``{"detail": ...}`` and plain text. ``code`` is a lower-case string ("" if none).
    """
    data: Any = body
    if isinstance(body, (bytes, str)):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            data = json.loads(text)
        except ValueError:
            return _clip(text.strip()), ""
    if isinstance(data, list) and data:
        data = data[0]  # Gemini sometimes wraps the error object in a list
    if not isinstance(data, Mapping):
        return _clip(str(data)), ""
    inner = data.get("error", data)
    if isinstance(inner, str):
        return _clip(inner), ""
    if not isinstance(inner, Mapping):
        return _clip(json.dumps(data)), ""
    message = inner.get("message") or inner.get("detail") or data.get("detail") or ""
    if not isinstance(message, str):
        message = json.dumps(message)
    metadata = inner.get("metadata")
    codes = [
        metadata.get("error_type") if isinstance(metadata, Mapping) else None,
        inner.get("code"),
        inner.get("type"),
        inner.get("status"),
    ]
    code = next((str(c) for c in codes if isinstance(c, str) and c), "")
    if not code:
        code = next((str(c) for c in codes if isinstance(c, int)), "")
    return _clip(message), code.lower()


def status_error(
    status: int,
    message: str,
    code: str = "",
    *,
    provider: str,
    model: str,
    key_env: str | None,
    retry_after: float | None = None,
) -> PonderError:
    """The ponder error for an HTTP ``status`` (0 for an in-stream error with no status).

    401/403 -> ``AuthError`` naming ``key_env``; 404 -> ``ModelNotFound`` naming ``model``;
    context overflow -> ``ContextTooLong``; 402 / quota codes -> ``QuotaExceeded`` (never retried);
    429 -> ``RateLimited``; 408/409/5xx/529 -> ``Overloaded``; anything else ``ProviderError``.
    """
    detail = f"{provider} said ({status or code or 'error'}): {message or 'no details'}"
    if status in (401, 403) or code in _AUTH_CODES:
        hint = f"check {key_env}" if key_env else "check the server's API key settings"
        if status == 403 or code == "permission_denied":
            hint += " and that the key may use this model"
        return AuthError(f"{provider} rejected the credentials: {detail}", hint)
    if status == 402 or code in _QUOTA_CODES or "quota" in code:
        return QuotaExceeded(
            f"{provider} quota or balance exhausted: {detail}",
            "add credit or raise the spend limit; retrying will not help",
        )
    if code in _CONTEXT_CODES or (
        status in _CLIENT_STATUSES and is_context_overflow(code, message)
    ):
        return ContextTooLong(
            f"the prompt is too long for {model}: {detail}",
            "shorten the conversation or start a new chat",
        )
    if status == 404 or code in ("model_not_found", "not_found"):
        return ModelNotFound(
            f"model '{model}' was not found: {detail}", "check the model name (and the base URL)"
        )
    if status == 429 or code in ("rate_limit_exceeded", "rate_limit_error", "resource_exhausted"):
        return RateLimited(
            f"{provider} rate limit hit: {detail}",
            "wait a moment and retry",
            retry_after=retry_after,
        )
    if status in RETRY_STATUSES or code in ("overloaded_error", "provider_overloaded", "server"):
        return Overloaded(
            f"{provider} is failing or overloaded: {detail}",
            "retry in a moment",
            retry_after=retry_after,
        )
    return ProviderError(f"{provider} returned an error: {detail}")


def is_context_overflow(code: str, message: str) -> bool:
    """Does this error mean the prompt does not fit the context window?"""
    lowered = message.lower()
    return code in _CONTEXT_CODES or any(phrase in lowered for phrase in _CONTEXT_PHRASES)


def retry_after_hint(headers: Mapping[str, str], body: bytes | str = b"") -> float | None:
    """Seconds the server asks us to wait, or ``None``.

    Reads ``retry-after-ms`` (OpenAI, preferred), ``retry-after`` (seconds or an HTTP date) and
    Gemini's ``error.details[].retryDelay`` ("13s") in the body.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        if "retry-after-ms" in lower:
            return _seconds(float(lower["retry-after-ms"]) / 1000)
    except ValueError:
        pass
    value = lower.get("retry-after")
    if value:
        try:
            return _seconds(float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value) if _looks_like_date(value) else None
            if parsed is not None:
                return _seconds(parsed.timestamp() - time.time())
    return _gemini_retry_delay(body)


def _seconds(value: float) -> float | None:
    """A usable wait: ``nan`` and infinities mean no hint; at most ``MAX_RETRY_AFTER_S``."""
    if not math.isfinite(value):
        return None
    return min(MAX_RETRY_AFTER_S, max(0.0, value))


def _looks_like_date(value: str) -> bool:
    try:
        return email.utils.parsedate_to_datetime(value) is not None
    except (TypeError, ValueError):
        return False


def _gemini_retry_delay(body: bytes | str) -> float | None:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    match = re.search(r'"retryDelay"\s*:\s*"([0-9.]+)s"', text)
    return _seconds(float(match.group(1))) if match else None


def _clip(text: str) -> str:
    """One line of at most ``MAX_MESSAGE_CHARS``, redacted before the cut (see ``clip``)."""
    return clip(" ".join(text.split()), MAX_MESSAGE_CHARS)
