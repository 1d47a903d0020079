"""Agents in panes: profiles, state, hooks, start-up, delivery, messaging."""
