"""ponder terminal UI and CLI."""
