"""These tests use the ``replay_server`` fixture from tests/conftest.py."""
