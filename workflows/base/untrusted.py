"""Untrusted text (issue titles and bodies, comments, reviews) made inert for a terminal.

One rule for everything agenttui pastes into an agent and everything the CLI prints for a
person, so no byte of such text can end a bracketed paste, act as a key or reach a terminal
as a control sequence:

- newline and tab are kept; ``CR LF`` and a lone ``CR`` become a newline;
- every other C0 control and DEL becomes its visible Unicode "control picture"
  (``ESC`` → ``␛``, Ctrl-C → ``␃``, Ctrl-U → ``␕``, NUL → ``␀``, DEL → ``␡``), so the text
  stays readable: ``ESC [201~`` arrives as ``␛[201~``;
- C1 controls (U+0080–U+009F, e.g. the 8-bit CSI) and lone surrogates (which no UTF-8
  encoder accepts) become U+FFFD ``�``.

Machine output is exact instead: :func:`json_text` escapes those characters the JSON way.
"""

from __future__ import annotations

import json
import re
from typing import Any

REPLACEMENT = "\ufffd"
_C0_PICTURES = {code: chr(0x2400 + code) for code in range(0x20) if chr(code) not in "\t\n"}
_TABLE: dict[int, str] = {
    **_C0_PICTURES,
    0x0D: "\n",
    0x7F: "\u2421",  # ␡
    **{code: REPLACEMENT for code in range(0x80, 0xA0)},
}
_SURROGATES = re.compile("[\ud800-\udfff]")
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\ud800-\udfff]")


def inert(text: str) -> str:
    """``text`` with nothing a terminal or an agent's input could take as a key or an
    escape sequence (see the module docstring for what becomes what)."""
    if text.isprintable() and text.isascii():  # the common case: nothing to replace
        return text
    return without_surrogates(text.replace("\r\n", "\n").translate(_TABLE))


def without_surrogates(text: str) -> str:
    """``text`` with each lone surrogate (valid in JSON, never in UTF-8) as U+FFFD."""
    return _SURROGATES.sub(REPLACEMENT, text)


def is_inert(text: str) -> bool:
    return inert(text) == text


def json_text(value: Any) -> str:
    """``value`` as one line of JSON that is safe on a terminal and exact: JSON already
    escapes C0 controls; DEL, C1 controls and lone surrogates are escaped as ``\\uXXXX`` too
    (they can only occur inside strings, so the escape means the same character)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
