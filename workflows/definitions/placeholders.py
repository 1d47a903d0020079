"""Placeholders in workflow templates: ``{issues}``, ``{steps.plan.output}``, ``{{`` for ``{``.

Rendering is a single pass: inserted values (issue titles and bodies are untrusted) are never
scanned again, so text like ``{pr_url}`` inside an issue reaches the agent verbatim. Shell
steps never get values spliced into a command line: see :func:`shell_command`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\}")
# Values that come from the workflow author or the user's config, not from issues: a shell
# step may splice them into its command text.
TRUSTED_IN_SHELL = frozenset({"test_command"})


@dataclass(frozen=True)
class Placeholder:
    name: str
    line: int  # 1-based line within the template


def placeholders(template: str) -> Iterator[Placeholder]:
    for match in PLACEHOLDER.finditer(template):
        if match.group(1):
            yield Placeholder(match.group(1), template.count("\n", 0, match.start()) + 1)


def render(template: str, values: Mapping[str, str]) -> str:
    """Substitute every placeholder once; unknown ones render empty (the loader rejects them)."""

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        return values.get(match.group(1), "")

    return PLACEHOLDER.sub(substitute, template)


def env_name(placeholder: str) -> str:
    """``steps.plan.output`` → ``AGENTTUI_STEPS_PLAN_OUTPUT``."""
    return "AGENTTUI_" + re.sub(r"[^A-Za-z0-9]", "_", placeholder).upper()


def shell_command(template: str, values: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """A ``sh -c`` script and its environment for a shell step's ``run`` template.

    Each placeholder becomes a quoted variable reference (``"$AGENTTUI_ISSUE_IDS"``) and its
    value travels in the environment, so no value is ever parsed by the shell. Trusted
    placeholders (the configured test command) are spliced in as command text.
    """
    env: dict[str, str] = {}

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        value = values.get(name, "")
        if name in TRUSTED_IN_SHELL:
            return value
        env[env_name(name)] = value
        return '"${' + env_name(name) + '}"'

    return PLACEHOLDER.sub(substitute, template), env
