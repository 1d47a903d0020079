"""Messages between agents: who a message comes from travels with it.

Borrowed from Tmux-Orchestrator: when agents steer each other through ``agenttui send``, the
receiving agent must be able to tell an instruction from its orchestrator apart from one a
person typed, and to answer the right sender. A tagged message starts with one line
``[from NAME]`` (``[check-in #ID from NAME]`` for scheduled check-ins).
"""

from __future__ import annotations

import re

from workflows.base.errors import UsageError

SENDER = re.compile(r"^[A-Za-z0-9_.@:-]{1,64}$")
TAG = re.compile(r"^\[(?:from|check-in #\d+ from) ([^\]\n]+)\]\s")


def validate_sender(sender: str) -> str:
    """A sender is a short name (letters, digits, ``_.@:-``): it must not forge a tag."""
    if not SENDER.match(sender):
        raise UsageError(f"bad sender name {sender!r}: use letters, digits and _ . @ : -")
    return sender


def tag_message(sender: str, text: str) -> str:
    """``text`` with a leading ``[from SENDER]`` tag (the text itself is never altered)."""
    return f"[from {validate_sender(sender)}] {text}"


def tag_checkin(checkin_id: int, sender: str, note: str) -> str:
    return f"[check-in #{checkin_id} from {validate_sender(sender)}] {note}"


def sender_of(message: str) -> str | None:
    """The sender named by a message's tag, or None for an untagged message."""
    match = TAG.match(message)
    return match.group(1) if match else None
