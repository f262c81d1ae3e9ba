"""``backends`` must stay usable headless: importing it never pulls in textual or rich."""

import subprocess
import sys

MODULES = [
    "backends",
    "backends.config",
    "backends.budget_text",
    "backends.pool",
    "backends.compare.session",
    "backends.registry",
    "backends.meters",
    "backends.pricing",
    "backends.reply",
    "backends.local.backend",
    "backends.remote.http",
    "backends.remote.openai_compat",
    "backends.evals.runner",
    "backends.evals.report",
    "backends.store.recorder",
    "backends.store.history",
]


def test_backends_never_import_ui() -> None:
    code = (
        "import sys\n"
        f"for name in {MODULES!r}:\n"
        "    __import__(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'tui'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"backends imported UI modules: {result.stdout}"
