"""Errors shared by the core and the CLI, each carrying the CLI exit code it maps to."""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3
EXIT_NOT_DELIVERED = 4


class AgentTuiError(Exception):
    """Base of every error agenttui reports to a person; the message must say what is wrong."""

    exit_code = EXIT_ERROR


class UsageError(AgentTuiError):
    """The caller asked for something malformed (bad target, bad flag combination)."""

    exit_code = EXIT_USAGE


class WaitTimeout(AgentTuiError):
    """A bounded wait ran out before the awaited condition held."""

    exit_code = EXIT_TIMEOUT


class NotDelivered(AgentTuiError):
    """Text could not be delivered to an agent; nothing was submitted."""

    exit_code = EXIT_NOT_DELIVERED
