"""Shared environments as slots: config, the queue and leases in the store, QA verdicts."""
