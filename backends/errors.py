"""One error hierarchy for everything that talks to a model.

Adapters translate provider and transport errors into these at their boundary; the CLI and the
TUI show each kind in one place. Every error carries a one-line ``message`` (what happened) and a
``hint`` (what the user can do about it). Messages are redacted: secret values registered with
``register_secret`` never appear in ``str(error)``, nor do credentials inside URLs (``?key=…``,
``user:pass@``). Text is redacted before it is clipped (``clip``), so no key fragment survives a
cut.
"""

from __future__ import annotations

import re
import threading

_secrets: set[str] = set()
_secrets_lock = threading.Lock()

# A URL in running text, its userinfo, and query parameters whose name says "credential".
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>`]+")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@]*)@")
_PARAM = re.compile(r"([?&;])([^=&;#\s]+)=([^&;#\s]*)")
_SECRET_NAME = re.compile(
    r"key|token|secret|pass|pwd|auth|sig|cred|session|bearer|jwt", re.IGNORECASE
)


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


def url_credentials(url: str) -> list[str]:
    """The credentials a URL carries: its userinfo and credential-named query values."""
    found = []
    userinfo = _USERINFO.match(url)
    if userinfo:
        user, _, password = userinfo.group(2).partition(":")
        found += [part for part in (password or user,) if part]
    found += [m.group(3) for m in _PARAM.finditer(url) if _is_secret_param(m)]
    return [value for value in found if value and value != "***"]


def register_url_secrets(url: str | None) -> None:
    """Register the credentials in ``url`` (``?key=…``, ``user:pass@``) as secrets."""
    for value in url_credentials(url or ""):
        register_secret(value)


def redact_urls(text: str) -> str:
    """``text`` with every URL's userinfo and credential-named query values as ``***``.

    For text that names endpoints (backend specs, base URLs, errors), not for model output:
    ``https://h/v1?key=abc`` → ``https://h/v1?key=***``, ``https://u:p@h`` → ``https://***@h``.
    """
    if "://" not in text:
        return text
    return _URL.sub(_redact_one_url, text)


def redact_all(text: str) -> str:
    """``redact`` and ``redact_urls``: for every error, name and label that leaves ponder."""
    return redact_urls(redact(text))


def clip(text: str, limit: int) -> str:
    """Redact, then cut ``text`` to ``limit`` characters (``…`` marks a cut).

    Redacting first matters: a key that straddles the cut would otherwise leave its first
    characters behind, no longer matching the registered secret.
    """
    text = redact_all(text)
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def _is_secret_param(match: re.Match[str]) -> bool:
    return bool(_SECRET_NAME.search(match.group(2)))


def _redact_one_url(match: re.Match[str]) -> str:
    url = _USERINFO.sub(r"\1***@", match.group())
    return _PARAM.sub(
        lambda m: f"{m.group(1)}{m.group(2)}=***" if _is_secret_param(m) else m.group(), url
    )


class PonderError(Exception):
    """Base of ponder's errors: a message and what to do about it."""

    retryable: bool = False

    def __init__(self, message: str, hint: str = "") -> None:
        self.message = redact_all(message)
        self.hint = redact_all(hint)
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
