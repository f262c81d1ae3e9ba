"""Format detection and prompt opening on their own: real templates, no model loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from backends.capabilities import Capabilities, thinking_label
from backends.local.formats import (
    FORMATS,
    HARMONY,
    PROMPTED,
    QWEN3,
    R1,
    SMOLLM3,
    ThinkingFormat,
    detect_format,
    flag_system,
    resolve_tags,
    suggested_budget,
)
from backends.local.gguf_header import GGUFHeaderError, peek_format, read_fields
from tests.support.family_gguf import FAMILIES, TEMPLATES, write_family_gguf

SPECIAL = {"<think>": 7, "</think>": 8, "<|end|>": 9}


def one_token(text: str) -> list[int]:
    """A vocabulary holding SPECIAL as single tokens; anything else is several tokens."""
    return [SPECIAL[text]] if text in SPECIAL else [1, 2]


def plain(text: str) -> list[int]:
    return [1, 2, 3]


def template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", R1),
        ("Qwen-Qwen3-0.6B.jinja", QWEN3),
        ("HuggingFaceTB-SmolLM3-3B.jinja", SMOLLM3),
        ("openai-gpt-oss-120b.jinja", HARMONY),
    ],
)
def test_each_real_template_is_detected(name: str, expected: ThinkingFormat) -> None:
    for tokenize in (one_token, plain):  # the template decides, whatever the vocabulary
        assert detect_format(template(name), {}, tokenize, lambda t: True) is expected


def test_the_embedded_models_template_is_prompted(embedded_gguf: Path) -> None:
    fmt = peek_format(embedded_gguf)
    assert fmt is PROMPTED
    assert thinking_label(Capabilities(thinking_format=fmt.name)) == (
        "thinking is prompted (this model was not trained to reason)"
    )


def test_tags_in_the_vocabulary_alone_mean_native_r1() -> None:
    """Phi-4-mini-reasoning style: a plain template, but <think>/</think> are special tokens."""
    chatml = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}{% endfor %}"
    assert detect_format(chatml, {}, one_token, lambda t: True) is R1
    assert detect_format(chatml, {}, one_token, lambda t: False) is PROMPTED  # not special
    assert detect_format(chatml, {}, plain, lambda t: True) is PROMPTED


def test_gpt_oss_metadata_without_a_template_is_harmony() -> None:
    meta = {"general.architecture": "gpt-oss"}
    assert detect_format("", meta, one_token, lambda t: True) is HARMONY
    assert detect_format("", {}, one_token, lambda t: True) is R1


def test_configured_tags_replace_the_defaults() -> None:
    tpl = "{{ '<reason>' }}{{ '</reason>' }}"
    fmt = detect_format(tpl, {}, plain, lambda t: True, "<reason>", "</reason>")
    assert (fmt.name, fmt.open, fmt.close) == ("r1", "<reason>", "</reason>")
    assert fmt.off_block == "<reason>\n\n</reason>\n\n"


def test_resolve_tags_finds_single_tokens_and_prefill() -> None:
    tags = resolve_tags(R1, one_token, lambda t: True)
    assert (tags.open_id, tags.close_id, tags.prefill) == (7, 8, "<think>\n")
    tags = resolve_tags(R1, plain, lambda t: True)
    assert (tags.open_id, tags.close_id) == (None, None)
    harmony = resolve_tags(HARMONY, one_token, lambda t: True)
    assert harmony.close_id == 9 and harmony.prefill == "<|channel|>analysis<|message|>"
    assert harmony.closing_text("", "x") == ("<|end|><|start|>assistant<|channel|>final<|message|>")
    assert tags.closing_text("</th", "h") == "ink>\n\n"
    assert resolve_tags(R1, plain, lambda t: True, prefill="").can_think is False


def test_smollm3_flags_go_into_the_system_prompt() -> None:
    chat = [{"role": "user", "content": "hi"}]
    assert flag_system(chat, SMOLLM3, True)[0] == {"role": "system", "content": "/think"}
    assert flag_system(chat, SMOLLM3, False)[0] == {"role": "system", "content": "/no_think"}
    with_system = [{"role": "system", "content": "Be brief. /no_think"}, *chat]
    flagged = flag_system(with_system, SMOLLM3, True)
    assert flagged[0]["content"] == "Be brief. /think"  # the budget decides, not a stale flag
    assert with_system[0]["content"] == "Be brief. /no_think"  # the caller's list is untouched
    assert flag_system(chat, QWEN3, True) is chat


def test_template_kwargs() -> None:
    assert QWEN3.template_kwargs(True) == {"enable_thinking": True}
    assert QWEN3.template_kwargs(False) == {"enable_thinking": False}
    assert R1.template_kwargs(False) == {} and SMOLLM3.template_kwargs(False) == {}


def test_format_names_match_the_capability_labels() -> None:
    for name in FORMATS:
        label = thinking_label(Capabilities(thinking_format=name))
        assert label.startswith("native thinking: ") != (name == "prompted")
        assert label != f"native thinking: {name}"  # every format has a readable name


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_header_peek_agrees_with_the_loaded_detection(family: str, tmp_path: Path) -> None:
    path = write_family_gguf(tmp_path / "m.gguf", family, {"\n": "Yes"})
    expected = "r1" if family.startswith("r1") else family
    assert peek_format(path).name == expected
    fields = read_fields(path, ["general.architecture", "tokenizer.ggml.tokens"])
    assert fields["general.architecture"] == "llama"
    assert b"Wait" in fields["tokenizer.ggml.tokens"]  # string arrays stay raw bytes


def test_the_header_reader_rejects_a_non_gguf(tmp_path: Path) -> None:
    bad = tmp_path / "x.gguf"
    bad.write_bytes(b"not a gguf at all")
    with pytest.raises(GGUFHeaderError):
        read_fields(bad, [])


@pytest.mark.parametrize(
    ("fmt", "steps", "cap", "expected"),
    [
        ("prompted", [0, 256, 1024, "auto"], 2048, 0),  # off: the model was not trained to think
        (None, [0, 256], 2048, 0),
        ("qwen3", [0, 256, 1024, 4096, "auto"], 2048, 1024),
        ("harmony", [0, 256, 1024, 4096], 1024, 256),  # 1024 would leave no room to answer
        ("r1", [0, "auto"], 2048, 1024),  # no fitting step: the largest that leaves room
        ("r1", [0, "auto"], None, None),
    ],
)
def test_suggested_budget(
    fmt: str | None, steps: list[int | str], cap: int | None, expected: int | None
) -> None:
    assert suggested_budget(fmt, steps, cap) == expected
