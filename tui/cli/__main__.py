"""``python -m tui.cli``: the ``ponder`` command."""

import sys

from tui.cli.entry import main

sys.exit(main())
