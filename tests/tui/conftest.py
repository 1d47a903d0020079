"""Fixtures of the app's tests: ``terminals`` (a person's terminal, for a real tmux client)."""

from tests.support.terminals import terminals

__all__ = ["terminals"]
