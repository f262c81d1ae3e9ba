"""The headless command line: ``ponder ask``, ``compare``, ``eval``, ``history``, ``models``.

Nothing here imports Textual; ``entry.run_tui`` is the one deferred launch of the app.
"""
