"""The demo agent's terminal side: decoding keys and pastes, and drawing its screen.

Decoding is incremental: bracketed pastes (``ESC[200~`` … ``ESC[201~``) and UTF-8
characters may arrive split across reads, and a lone Escape is only known to be a key
once no more bytes follow it (``flush``).
"""

from __future__ import annotations

import codecs
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

PASTE_START = b"\x1b[200~"
PASTE_END = b"\x1b[201~"
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
QUESTION = "Which approach should I take?"
QUESTION_OPTIONS = ("The simple one", "The thorough one")


class Keys:
    """Turns terminal input bytes into ("key", name-or-text) and ("paste", text) events."""

    ENTER = "<enter>"
    NEWLINE = "<newline>"
    ESCAPE = "<escape>"
    BACKSPACE = "<backspace>"
    CTRL_C = "<ctrl-c>"
    CTRL_D = "<ctrl-d>"
    CTRL_U = "<ctrl-u>"
    ALL = (ENTER, NEWLINE, ESCAPE, BACKSPACE, CTRL_C, CTRL_D, CTRL_U)
    CONTROL: ClassVar[dict[int, str]] = {
        0x0D: ENTER,
        0x0A: NEWLINE,
        0x7F: BACKSPACE,
        0x08: BACKSPACE,
        0x03: CTRL_C,
        0x04: CTRL_D,
        0x15: CTRL_U,
    }

    def __init__(self) -> None:
        self.buffer = b""
        self.paste: bytearray | None = None
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    @property
    def pending(self) -> bool:
        return bool(self.buffer) or self.paste is not None

    def feed(self, data: bytes, *, flush: bool = False) -> Iterator[tuple[str, str]]:
        self.buffer += data
        while self.buffer:
            if self.paste is not None:
                end = self.buffer.find(PASTE_END)
                if end < 0:
                    keep = len(PASTE_END) - 1  # the end marker may be split
                    self.paste += self.buffer[:-keep]
                    self.buffer = self.buffer[-keep:]
                    return
                self.paste += self.buffer[:end]
                self.buffer = self.buffer[end + len(PASTE_END) :]
                text = bytes(self.paste).decode("utf-8", "replace")
                self.paste = None
                yield "paste", text
                continue
            byte = self.buffer[0]
            if byte == 0x1B:
                event = self._escape(flush)
                if event is None:
                    return
                if event:
                    yield "key", event
                continue
            self.buffer = self.buffer[1:]
            if byte in self.CONTROL:
                yield "key", self.CONTROL[byte]
            elif byte >= 0x20:
                text = self.decoder.decode(bytes([byte]))
                if text:
                    yield "key", text

    def _escape(self, flush: bool) -> str | None:
        """Consume an escape sequence: "" (ignored), a key, or None (need more bytes)."""
        buf = self.buffer
        if buf.startswith(PASTE_START):
            self.buffer = buf[len(PASTE_START) :]
            self.paste = bytearray()
            return ""
        if len(buf) == 1 or (PASTE_START.startswith(buf) and not flush):
            if not flush:
                return None
            self.buffer = buf[1:]
            return self.ESCAPE
        if buf[1:2] == b"[":
            for index in range(2, len(buf)):
                if 0x40 <= buf[index] <= 0x7E:
                    self.buffer = buf[index + 1 :]
                    return ""  # arrows and other CSI keys: ignored
            if flush:
                self.buffer = b""
                return ""
            return None
        self.buffer = buf[2:]  # Meta-x: ignored
        return ""


def cell_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, width: int) -> list[str]:
    """Wrap by display cells (CJK and emoji take two)."""
    rows: list[str] = []
    for line in text.split("\n"):
        row, used = "", 0
        for ch in line:
            w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
            if used + w > width:
                rows.append(row)
                row, used = "", 0
            row += ch
            used += w
        rows.append(row)
    return rows


def transcript_rows(item: str, width: int) -> list[str]:
    """A transcript entry's rows; continuation rows are indented, so wrapped text never
    starts a row the way a dialog line does (`` Run command …``, `` ? …``)."""
    first = wrap(item, width)[0]
    rest = item[len(first) :].removeprefix("\n")
    return [first, *("   " + row for row in wrap(rest, width - 3))] if rest else [first]


@dataclass
class Screen:
    mode: str = "input"  # input | approval | question
    input: str = ""
    transcript: list[str] = field(default_factory=list)
    working_since: float | None = None
    approval_command: str = ""
    frozen: bool = False
    """Working with a screen that never changes (a hung agent, for the stall guard's tests)."""


def render(screen: Screen, columns: int, lines: int) -> str:
    """The whole screen as one write: rows, cursor position and window title."""
    width = max(columns, 20)
    rule = "─" * width
    if screen.mode == "approval":
        bottom = [
            rule,
            f" Run command `{screen.approval_command}`?",
            " ❯ 1. Yes",
            "   2. Always",
            "   3. No",
            " Esc to cancel",
        ]
        cursor = None
    elif screen.mode == "question":
        bottom = [
            rule,
            f" ? {QUESTION}",
            f" ❯ 1. {QUESTION_OPTIONS[0]}",
            f"   2. {QUESTION_OPTIONS[1]}",
            " Type 1 or 2 · Esc to skip",
        ]
        cursor = None
    else:
        box = wrap("❯ " + screen.input, width - 1)[-8:]
        bottom = [rule, *box, rule]
        busy = screen.working_since is not None
        bottom.append(" esc to interrupt" if busy else " ? for shortcuts")
        cursor = (2, cell_width(box[-1]))  # rows back from the last row (footer, rule)
    status = ""
    if screen.working_since is not None and screen.mode == "input":
        elapsed = time.monotonic() - screen.working_since
        spin = SPINNER[int(elapsed * 10) % len(SPINNER)]
        status = f"{spin} Working… ({int(elapsed)}s · esc to interrupt)"
        if screen.frozen:
            status = f"{SPINNER[0]} Working… (esc to interrupt)"
    header = [" ✳ agenttui demo agent (offline)", ""]
    room = max(lines - len(header) - len(bottom) - 1, 0)
    # Newest transcript rows just above the status row, as an inline agent shows them (a
    # tile showing the bottom of the pane shows them too).
    body = [row for item in screen.transcript for row in transcript_rows(item, width - 1)]
    body = body[-room:] if room else []
    body = [""] * (room - len(body)) + body
    rows = [*header, *body, status, *bottom][:lines]
    out = ["\x1b[H"]
    for index, row in enumerate(rows):
        out.append("\x1b[2K" + row + ("\r\n" if index < len(rows) - 1 else ""))
    out.append("\x1b[J")
    if cursor is not None:
        cursor_row = len(rows) - cursor[0]
        out.append(f"\x1b[{cursor_row};{cursor[1] + 1}H\x1b[?25h")
    else:
        out.append("\x1b[?25l")
    title = "⠿ demo working" if screen.working_since is not None else "✳ demo"
    if screen.mode == "approval":
        title = "✋ demo needs approval"
    elif screen.mode == "question":
        title = "❓ demo asks"
    out.append(f"\x1b]2;{title}\x07")
    return "".join(out)
