"""Build backends from config entries or from a spec given on the command line.

Specs: a configured name (``local``, ``claude``); ``llama:PATH.gguf``; ``openai-compat:URL`` or a
bare ``http(s)://…/v1`` URL; ``KIND:MODEL`` for any remote kind (``anthropic:claude-sonnet-4-5``,
``ollama:qwen3``). Backend classes are imported only when used, so start-up stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr, ValidationError

from backends.base import Backend, BackendSpec
from backends.config import BackendEntry, Settings, describe_validation_error
from backends.errors import ConfigError, PonderError, register_secret
from backends.kinds import KINDS


def backend_class(kind: str) -> type[Backend]:
    """The class for ``kind``; ``ConfigError`` listing the known kinds when it is unknown."""
    info = KINDS.get(kind)
    if info is None:
        known = ", ".join(sorted(KINDS))
        raise ConfigError(f"unknown backend kind '{kind}'", f"use one of: {known}")
    return info.backend_class()


def entry_for(settings: Settings, name_or_spec: str) -> tuple[str, BackendEntry]:
    """Resolve a configured name or a spec into (name, entry). Raises ``ConfigError``."""
    if name_or_spec in settings.backends:
        return name_or_spec, settings.backends[name_or_spec]
    spec = name_or_spec.strip()
    if spec.startswith(("http://", "https://")):
        return spec, BackendEntry(kind="openai-compat", base_url=spec.rstrip("/"))
    kind, sep, rest = spec.partition(":")
    if not sep or not rest:
        names = ", ".join(sorted(settings.backends))
        raise ConfigError(
            f"unknown backend '{spec}'",
            f"use a configured name ({names}), llama:PATH.gguf, openai-compat:URL, a URL, "
            "or KIND:MODEL",
        )
    if kind == "llama":
        return spec, BackendEntry(kind="llama", model=rest)
    info = KINDS.get(kind)
    if info is not None and info.url_spec and rest.startswith(("http://", "https://")):
        return spec, BackendEntry(kind=kind, base_url=rest.rstrip("/"))
    backend_class(kind)  # raises for an unknown kind
    return spec, BackendEntry(kind=kind, model=rest)


def build_backend(
    settings: Settings, name_or_spec: str, env: Mapping[str, str] | None = None
) -> Backend:
    """Build the backend for a configured name or a spec.

    Raises ``ConfigError`` (unknown kind, bad options naming the field). A missing API key is not
    an error here, so pickers can list the backend; ``stream`` raises ``AuthError`` for it.
    """
    name, entry = entry_for(settings, name_or_spec)
    return build_from_entry(name, entry, env)


def build_from_entry(
    name: str, entry: BackendEntry, env: Mapping[str, str] | None = None
) -> Backend:
    """Build one backend from its config entry (see ``build_backend``)."""
    env = os.environ if env is None else env
    cls = backend_class(entry.kind)
    info = KINDS[entry.kind]
    try:
        options = cls.Options.model_validate(entry.options)
    except ValidationError as exc:
        raise ConfigError(
            f"backend '{name}' options: {describe_validation_error(exc)}",
            f"fix [backends.{name}.options] (see the README's configuration section)",
        ) from None
    key_env = entry.api_key_env or info.key_env
    key_value = env.get(key_env) if key_env else None
    register_secret(key_value)
    spec = BackendSpec(
        name=name,
        kind=entry.kind,
        model=_model_for(entry),
        options=options,
        base_url=(entry.base_url or info.base_url),
        api_key=SecretStr(key_value) if key_value else None,
        api_key_env=key_env,
        hardware_cost_per_hour=entry.hardware_cost_per_hour,
    )
    return cls(spec)


def _model_for(entry: BackendEntry) -> str:
    if entry.kind == "llama":
        model = entry.model or "embedded"
        return model if model == "embedded" else str(Path(model).expanduser())
    return entry.model or "default"


def static_availability(entry: BackendEntry, env: Mapping[str, str] | None = None) -> str | None:
    """Usability checks that need no I/O beyond the file system: key set, model file present.

    Returns ``None`` when nothing is wrong, else a one-line reason with the fix.
    """
    env = os.environ if env is None else env
    info = KINDS.get(entry.kind)
    if info is None:
        return f"unknown kind '{entry.kind}'"
    key_env = entry.api_key_env or info.key_env
    if info.needs_key and key_env and not env.get(key_env):
        return f"no key: set {key_env}"
    if entry.api_key_env and not env.get(entry.api_key_env):
        return f"no key: set {entry.api_key_env}"
    if info.model_file and entry.model and entry.model != "embedded":
        from backends.local.catalog import resolve_pulled  # no llama_cpp, no huggingface_hub

        try:
            path = resolve_pulled(entry.model) or Path(entry.model).expanduser()
        except PonderError as exc:  # a catalogue name that is not pulled yet
            return str(exc)
        if not path.is_file():
            return f"model file not found: {path}"
    return None


async def availability(
    settings: Settings, name: str, env: Mapping[str, str] | None = None
) -> str | None:
    """Is the configured backend usable? ``None`` if so, else a one-line reason with the fix.

    Checks the key and model file, then asks the backend itself (``check``: server reachable);
    never loads a model or spends tokens.
    """
    try:
        _, entry = entry_for(settings, name)
        reason = static_availability(entry, env)
        if reason:
            return reason
        backend = build_backend(settings, name, env)
    except PonderError as exc:
        return str(exc)
    try:
        return await backend.check()
    finally:
        await backend.aclose()
