"""Everything the CLI prints goes through here: text for people made inert, JSON exact.

Issue titles, descriptions, comments, run logs and agent screens hold text anyone who can
edit an issue wrote; printed raw, an OSC 52 in it would set the clipboard, an OSC 2 retitle
the pane (see ``workflows.base.untrusted`` for what is replaced with what).
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from workflows.base.untrusted import inert, json_text


def say(text: str, *, err: bool = False, end: str = "\n", flush: bool = False) -> None:
    """Print text for a person (stdout, or stderr with ``err``)."""
    stream: TextIO = sys.stderr if err else sys.stdout
    print(inert(text), end=end, file=stream, flush=flush)


def say_json(value: Any, *, flush: bool = False) -> None:
    """Print one line of JSON for a machine: exact, and still safe on a terminal."""
    print(json_text(value), flush=flush)
