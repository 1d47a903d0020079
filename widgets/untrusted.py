"""Text from outside (issue bodies, comments, agents' notes) made safe to put on screen.

Textual never reads markup in the text given to ``Markdown`` or a ``Text``, but control
characters pass through to the terminal: an ESC in an issue body would reach it as an escape
sequence (colours, OSC 52 clipboard writes, title changes). Each is shown instead as its
Unicode control picture (ESC as ␛), so the person sees that it was there.
"""

from __future__ import annotations

import re

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


def safe_text(text: str) -> str:
    """``text`` with line ends normalised and every other control character made visible."""
    return CONTROL.sub(_picture, text.replace("\r\n", "\n"))
