"""Children that the tests interrupt with SIGINT must be able to receive it.

A test run started in the background without job control (``cmd &`` in a script, some CI
runners) inherits SIGINT as *ignored*, and Python then installs no KeyboardInterrupt handler in
the children it starts: a Ctrl-C test would see the child run to its end. ``preexec_fn`` restores
the default disposition in the child before it starts Python.
"""

from __future__ import annotations

import signal


def default_sigint() -> None:
    """``preexec_fn`` for a child that a test will interrupt with SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
