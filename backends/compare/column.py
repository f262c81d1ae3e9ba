"""A compare column: a backend, its own live budget and its own conversation.

Its own module because both the runner (which runs columns) and the scheduler (which decides
when a local column may run) need it, and the scheduler must not import the runner.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from backends.base import Backend
from backends.budget import Budget
from backends.request import Message


def short_name(backend: Backend) -> str:
    """A compact column name: a model file's stem, a URL's host:port, a spec's model, or the
    configured name (``local``, ``claude``)."""
    name = backend.name
    for scheme in ("http://", "https://"):
        if scheme in name:
            return name.split(scheme, 1)[1].split("/", 1)[0]
    if backend.kind == "llama" and name.startswith("llama:"):
        return Path(backend.model).stem
    if ":" in name:  # KIND:MODEL
        return backend.model
    return name


@dataclass(eq=False)
class Column:
    """One column: a backend, its own live budget and its own conversation.

    ``history`` is the conversation so far (seeded from a chat when compare is opened from one);
    each round appends its prompt and this column's reply. ``title`` overrides the backend's
    short name in ``label``.
    """

    backend: Backend
    budget: Budget = field(default_factory=Budget)
    history: list[Message] = field(default_factory=list)
    title: str | None = None
    conversation_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def label(self) -> str:
        """``local @64``, ``gpt-5 @auto``, ``local @off``: name and current budget."""
        return f"{self.title or short_name(self.backend)} @{self.budget.describe()}"
