"""One error hierarchy for everything that talks to a model.

Adapters translate provider and transport errors into these at their boundary; the CLI and the
TUI show each kind in one place. Every error carries a one-line ``message`` (what happened) and a
``hint`` (what the user can do about it). Messages are redacted: secret values registered with
``register_secret`` never appear in ``str(error)``.
"""

from __future__ import annotations

import threading

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret (an API key) so that every error message and log line redacts it."""
    if value and len(value) >= 4:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """Replace every registered secret in ``text`` with ``***``."""
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


class PonderError(Exception):
    """Base of ponder's errors: a message and what to do about it."""

    retryable: bool = False

    def __init__(self, message: str, hint: str = "") -> None:
        self.message = redact(message)
        self.hint = redact(hint)
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message

    @property
    def kind(self) -> str:
        """A short stable name for the error kind (for the store and --json)."""
        return type(self).__name__


class ConfigError(PonderError):
    """The configuration, a backend spec or an option is wrong."""


class ModelLoadError(PonderError):
    """A local model file is missing, unreadable or not a model."""


class AuthError(PonderError):
    """The provider rejected the credentials (401/403) or no key is set."""


class ModelNotFound(PonderError):
    """The provider does not know the model (404)."""


class ContextTooLong(PonderError):
    """The prompt does not fit the model's context window."""


class RateLimited(PonderError):
    """429: too many requests. ``retry_after`` is the provider's hint in seconds, if any."""

    retryable = True

    def __init__(self, message: str, hint: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after


class QuotaExceeded(PonderError):
    """Billing or quota exhausted (402, insufficient_quota): retrying will not help."""


class Overloaded(PonderError):
    """5xx / 529: the provider is failing or overloaded; worth retrying before any output."""

    retryable = True

    def __init__(self, message: str, hint: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after


class Unreachable(PonderError):
    """The server could not be reached at all (refused, DNS, TLS, connect timeout)."""

    retryable = True


class ConnectionLost(PonderError):
    """The connection dropped or stalled after the reply started."""


class BadResponse(PonderError):
    """The provider answered with something we could not understand."""


class ProviderError(PonderError):
    """Any other error the provider reported (400 and friends, in-stream errors)."""
