"""Headless core of agenttui: tmux driving, agents, issue sources, the workflow engine.

Nothing under this package imports Textual, ``tui`` or ``widgets`` (tests/unit/test_imports.py).
"""
