"""Workflow runs: engine, runner, run store, records, cleaning, step kinds, Linear agent sessions,
recordings."""
