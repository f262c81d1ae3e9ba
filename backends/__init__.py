"""ponder's backends: everything that talks to a model or measures it. No UI imports here.

Import from the modules themselves (``backends.base``, ``backends.request``, ``backends.events``
...): this package imports nothing, so the chat's first frame does not wait for pydantic.
"""

import sys

# httpx imports its optional command-line client (click, rich, pygments) at import time whenever
# those packages happen to be installed. ponder never uses that client; keeping it out keeps rich
# out of headless runs and ~0.1 s off start-up. httpx falls back to a stub when the import fails.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
