"""Textual widgets that display core data; they import workflows, never tui."""
