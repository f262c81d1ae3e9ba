"""Chat templates rendered with jinja2: the GGUF's own, or one of a few named formats.

llama-cpp-python's chat-format registry keeps its formatters in closures; reaching them meant
reading closure cells. Rendering the template here needs only jinja2, in a sandbox, with the
same extras Hugging Face's ``apply_chat_template`` offers templates (``raise_exception``,
``strftime_now``, a ``tojson`` that keeps non-ASCII text, ``{% generation %}`` as a no-op).
The named formats are the common ones, written as templates; ``llama-2`` is the fallback for a
GGUF without a template (announced, never silent).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

from backends.errors import ConfigError

FALLBACK_FORMAT = "llama-2"

_CHATML = (
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + "
    "'<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
_LLAMA2 = (
    "{% set ns = namespace(system='') %}{% for m in messages %}"
    "{% if m['role'] == 'system' %}{% set ns.system = '<<SYS>>\\n' + m['content'] + "
    "'\\n<</SYS>>\\n\\n' %}{% elif m['role'] == 'user' %}{{ '[INST] ' + ns.system + "
    "m['content'] + ' [/INST]' }}{% set ns.system = '' %}{% else %}"
    "{{ ' ' + m['content'] + ' ' + eos_token }}{% endif %}{% endfor %}"
)
_LLAMA3 = (
    "{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' "
    "+ m['content'] + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)
_MISTRAL = (
    "{% for m in messages %}{% if m['role'] == 'user' %}{{ '[INST] ' + m['content'] + "
    "' [/INST]' }}{% elif m['role'] == 'assistant' %}{{ m['content'] + eos_token }}"
    "{% endif %}{% endfor %}"
)
_GEMMA = (
    "{% for m in messages %}{% set role = 'model' if m['role'] == 'assistant' else 'user' %}"
    "{{ '<start_of_turn>' + role + '\\n' + m['content'] + '<end_of_turn>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}"
)
_PHI3 = (
    "{% for m in messages %}{{ '<|' + m['role'] + '|>\\n' + m['content'] + '<|end|>\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)
_ZEPHYR = (
    "{% for m in messages %}{{ '<|' + m['role'] + '|>\\n' + m['content'] + eos_token + '\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)

# name -> template; these never write the BOS token, so the tokenizer adds it.
NAMED_TEMPLATES = {
    "chatml": _CHATML,
    "gemma": _GEMMA,
    "llama-2": _LLAMA2,
    "llama-3": _LLAMA3,
    "mistral-instruct": _MISTRAL,
    "phi-3": _PHI3,
    "zephyr": _ZEPHYR,
}


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered prompt; ``added_special`` = the template wrote BOS itself (if it wants one)."""

    prompt: str
    added_special: bool


class _IgnoreGeneration(jinja2.ext.Extension):
    """Hugging Face's ``{% generation %}`` block tag renders its body unchanged."""

    tags = {"generation"}  # noqa: RUF012 (jinja2's own class attribute)

    def parse(self, parser: Any) -> Any:
        parser.stream.skip(1)
        return parser.parse_statements(("name:endgeneration",), drop_needle=True)


def _raise(message: str) -> None:
    raise ValueError(message)


def _tojson(x: Any, ensure_ascii: bool = False, indent: int | None = None, **kw: Any) -> str:
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, **kw)


class ChatTemplate:
    """A compiled chat template: call it with ``messages=[...]`` (and template switches)."""

    def __init__(self, source: str, *, bos: str = "", eos: str = "", writes_bos: bool = True):
        env = ImmutableSandboxedEnvironment(
            loader=jinja2.BaseLoader(),
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=[_IgnoreGeneration, jinja2.ext.loopcontrols],
        )
        env.filters["tojson"] = _tojson
        try:
            self._template = env.from_string(source)
        except jinja2.TemplateError as exc:
            raise ConfigError(
                f"the chat template does not compile: {exc}",
                "set chat_format (e.g. chatml) in this backend's options",
            ) from None
        self.source = source
        self.bos = bos
        self.eos = eos
        self.writes_bos = writes_bos

    def __call__(self, *, messages: list[dict[str, Any]], **switches: Any) -> Rendered:
        """Render with the generation prompt; a template's ``raise_exception`` -> ValueError."""
        try:
            prompt = self._template.render(
                messages=messages,
                bos_token=self.bos,
                eos_token=self.eos,
                add_generation_prompt=True,
                raise_exception=_raise,
                strftime_now=lambda f: datetime.now().strftime(f),
                **switches,
            )
        except jinja2.TemplateError as exc:
            raise ValueError(str(exc)) from None
        return Rendered(prompt, self.writes_bos)


def named_template(name: str) -> str:
    """The template source of a named format; raises ConfigError naming the choices."""
    source = NAMED_TEMPLATES.get(name)
    if source is None:
        raise ConfigError(
            f"unknown chat_format {name!r} for a llama backend",
            f"use one of {', '.join(sorted(NAMED_TEMPLATES))}, or leave chat_format unset to "
            "use the GGUF's own template",
        )
    return source
