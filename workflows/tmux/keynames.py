"""tmux key names: ``send-keys`` types a word it does not know as literal text, so a typo
(``NotAKey``) would reach an agent as input. ``unknown_keys`` tells them apart first.

The names are tmux 3.3a's (``key-string.c``), matched without regard to case as tmux does,
with any ``C-``/``M-``/``S-`` modifiers (or ``^x``) in front; a single character is a key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NAMED_KEYS = frozenset(
    name.casefold()
    for name in (
        *(f"F{number}" for number in range(1, 13)),
        "IC", "Insert", "DC", "Delete", "Home", "End", "NPage", "PageDown", "PgDn",
        "PPage", "PageUp", "PgUp", "Tab", "BTab", "Space", "BSpace", "Enter", "Escape",
        "Up", "Down", "Left", "Right",
        "KP/", "KP*", "KP-", "KP7", "KP8", "KP9", "KP+", "KP4", "KP5", "KP6",
        "KP1", "KP2", "KP3", "KPEnter", "KP0", "KP.",
    )
)  # fmt: skip
MODIFIERS = re.compile(r"^(?:[CMS]-)+", re.IGNORECASE)


def is_key_name(word: str) -> bool:
    """True when tmux reads ``word`` as a key (not as text to type)."""
    if len(word) == 1:
        return True
    if len(word) == 2 and word.startswith("^"):
        return True  # ^c is C-c
    base = MODIFIERS.sub("", word)
    if base != word and len(base) == 1:
        return True
    return bool(base) and base.casefold() in NAMED_KEYS


def unknown_keys(words: Iterable[str]) -> list[str]:
    return [word for word in words if not is_key_name(word)]
