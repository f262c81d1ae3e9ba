"""ponder themes."""
