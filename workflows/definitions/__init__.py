"""Workflow definitions: the TOML model, its loader and validation."""
