"""Write variants of the tiny test GGUF: no chat template, or single-token thinking tags."""

from __future__ import annotations

from pathlib import Path

from gguf import GGUFReader, GGUFValueType, GGUFWriter

# A chatml template that knows thinking tags and Qwen3's enable_thinking switch.
THINKING_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>\\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{% if enable_thinking is defined and enable_thinking is "
    "false %}{{ '<think>\\n\\n</think>\\n\\n' }}{% endif %}{% endif %}"
)
USER_DEFINED = 4


def write_variant(
    source: Path,
    target: Path,
    *,
    drop: tuple[str, ...] = (),
    strings: dict[str, str] | None = None,
    tokens: dict[int, str] | None = None,
) -> Path:
    """Copy ``source`` to ``target`` without the ``drop`` keys, with string fields set and
    vocabulary entries renamed (renamed entries become user-defined special tokens)."""
    strings = strings or {}
    tokens = tokens or {}
    reader = GGUFReader(str(source))
    arch = reader.fields["general.architecture"].contents()
    writer = GGUFWriter(str(target), arch)
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture" or key in drop:
            continue
        if key in strings:
            continue
        value = field.contents()
        kind = field.types[0]
        if kind == GGUFValueType.ARRAY:
            sub = field.types[1] if len(field.types) > 1 else GGUFValueType.STRING
            if key == "tokenizer.ggml.tokens":
                value = [tokens.get(i, text) for i, text in enumerate(value)]
            if key == "tokenizer.ggml.token_type":
                value = [USER_DEFINED if i in tokens else t for i, t in enumerate(value)]
            writer.add_key_value(key, value, GGUFValueType.ARRAY, sub_type=sub)
        else:
            writer.add_key_value(key, value, kind)
    for key, value in strings.items():
        writer.add_key_value(key, value, GGUFValueType.STRING)
    for tensor in reader.tensors:
        writer.add_tensor(tensor.name, tensor.data, raw_dtype=tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return target
