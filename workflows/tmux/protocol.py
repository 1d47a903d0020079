"""Pure helpers for talking to tmux: quoting words, decoding control-mode lines.

A control-mode command line is parsed like a config file (quotes, ``$VAR``, ``~``, ``{…}``,
``;``, ``#`` comments): ``quote`` makes any word without a newline literal. A newline always
ends a control-mode command, so text with newlines travels in a file instead: a paste via
``load-buffer``, an agent's argv and env via ``launch.launch_argv``.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from functools import lru_cache

SAFE_WORD = re.compile(r"[A-Za-z0-9_@%:=./,+^-]+")
OCTAL_ESCAPE = re.compile(rb"\\([0-7]{3})")


def tmux_binary() -> str:
    return shutil.which("tmux") or "tmux"


def tmux_base_argv(socket: str | None) -> list[str]:
    """``tmux`` plus the socket selection; the server inherits our environment when started."""
    argv = [tmux_binary()]
    if socket:
        argv += ["-L", socket]
    return argv


def client_env() -> dict[str, str]:
    """A tmux client's environment: a server it starts copies it as the global environment
    every pane inherits, so agenttui's secrets stay out of it (workflows.base.childenv)."""
    from workflows.base.childenv import without_secrets

    return without_secrets()


@lru_cache(maxsize=2048)  # the mirror sends the same words (capture-pane, pane ids) often
def quote(word: str) -> str:
    """Quote one word for a control-mode command line so tmux's parser keeps it literal."""
    if "\n" in word:
        raise ValueError("a tmux command line cannot carry a newline; use a buffer file")
    if word and SAFE_WORD.fullmatch(word) and not word.startswith("%"):
        return word  # (a leading % can start a %if directive: `%1:continue` fails bare)
    if "'" not in word and not any(ord(ch) < 0x20 or ch == "\x7f" for ch in word):
        return f"'{word}'"  # single quotes: nothing inside is special
    out = []
    for ch in word:
        if ch in '\\"$':
            out.append("\\" + ch)
        elif ch == "~" or ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\{ord(ch):03o}")  # `~` in double quotes still means $HOME
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def command_line(args: tuple[str, ...] | list[str]) -> bytes:
    return (" ".join(quote(arg) for arg in args) + "\n").encode("utf-8", "surrogateescape")


def unescape_output(data: bytes) -> bytes:
    """Undo control mode's escaping of %output data (bytes < 0x20 and ``\\`` as octal)."""
    return OCTAL_ESCAPE.sub(lambda m: bytes([int(m.group(1), 8)]), data)


@dataclass(frozen=True)
class Output:
    pane_id: str
    data: bytes


def parse_output(line: bytes) -> Output | None:
    """``%output %3 data`` or ``%extended-output %3 age … : data`` → raw bytes, else None."""
    if line.startswith(b"%output "):
        _, pane, *rest = line.split(b" ", 2)
        return Output(pane.decode(), unescape_output(rest[0] if rest else b""))
    if line.startswith(b"%extended-output "):
        head, sep, data = line.partition(b" : ")
        pane = head.split(b" ")[1]
        return Output(pane.decode(), unescape_output(data if sep else b""))
    return None


# How many separate words a notification's arguments have before free text (names with
# spaces); absent means split on every space.
FREE_TEXT_AFTER = {
    "session-changed": 1,
    "client-session-changed": 2,
    "session-renamed": 1,
    "window-renamed": 1,
    "unlinked-window-renamed": 1,
    "exit": 0,
    "message": 0,
    "config-error": 0,
}


def parse_notification(line: str) -> tuple[str, list[str]]:
    """``%window-add @3`` → ``("window-add", ["@3"])``; free text stays one argument."""
    name, _, rest = line[1:].partition(" ")
    if not rest:
        return name, []
    words = FREE_TEXT_AFTER.get(name)
    if words is None:
        return name, rest.split(" ")
    if words == 0:
        return name, [rest]
    return name, rest.split(" ", words)


def block_numbers(line: bytes) -> tuple[bytes, bytes, bytes] | None:
    """The (time, number, flags) of a %begin/%end/%error line."""
    parts = line.split(b" ")
    if len(parts) != 4:
        return None
    return parts[1], parts[2], parts[3]


@dataclass
class Block:
    """One command reply: its output lines, whether it failed, whether we sent it."""

    lines: list[str]
    error: bool
    ours: bool  # flags 1: a command this client wrote (0: the attach, hooks…)


class BlockReader:
    """Separates reply blocks from everything else in a control client's output.

    A block ends only at an ``%end``/``%error`` line carrying the same time, number and flags
    as its ``%begin``: the block's own text (a captured pane) may hold lines that look like
    block ends.
    """

    def __init__(self) -> None:
        self._numbers: tuple[bytes, bytes, bytes] | None = None
        self._body: list[bytes] = []
        self._data = bytearray()  # what feed_data has not used yet
        self._scan = 0  # where in it the end of the open block may start (feed_data)

    def feed(self, line: bytes) -> Block | bytes | None:
        """A finished Block, the line itself when outside any block, or None (inside one)."""
        if self._numbers is not None:
            if line.startswith((b"%end ", b"%error ")) and block_numbers(line) == self._numbers:
                body = self._body  # decoded at once: one call, not one per line
                text = b"\n".join(body).decode("utf-8", "replace").split("\n") if body else []
                block = Block(text, line.startswith(b"%error"), self._numbers[2] == b"1")
                self._numbers, self._body = None, []
                return block
            self._body.append(line)
            return None
        if line.startswith(b"%begin ") and (numbers := block_numbers(line)) is not None:
            self._numbers = numbers
            return None
        return line

    def feed_data(self, data: bytes) -> list[Block | bytes]:
        """What :meth:`feed` gives for the complete lines of ``data`` (then of what
        follows), without the None, in order. A block's body is taken in one piece: its
        end line is looked for with ``bytes.find``, not line by line, so a captured pane
        costs a few calls, not a few per row."""
        buffer = self._data
        buffer += data
        out: list[Block | bytes] = []
        start = 0  # the next unread byte
        while True:
            if self._numbers is not None:
                found = self._block_end(buffer, start)
                if found is None:
                    break
                end, after, error = found
                body = bytes(buffer[start:end]) if end > start else b""
                lines = body.decode("utf-8", "replace").split("\n") if end > start else []
                out.append(Block(lines, error, self._numbers[2] == b"1"))
                self._numbers, start = None, after
                continue
            newline = buffer.find(b"\n", start)
            if newline < 0:
                break
            line = bytes(buffer[start:newline])
            start = newline + 1
            if line.startswith(b"%begin ") and (numbers := block_numbers(line)) is not None:
                self._numbers, self._scan = numbers, start
            else:
                out.append(line)
        del buffer[:start]
        self._scan = max(0, self._scan - start)
        return out

    def _block_end(self, buffer: bytearray, start: int) -> tuple[int, int, bool] | None:
        """The open block's end line in ``buffer`` (its body starts at ``start``): where
        the body ends, where the next line starts, and whether it is an ``%error``. One
        search for the numbers that end the line, then a look at its first word."""
        assert self._numbers is not None
        tail = b" " + b" ".join(self._numbers) + b"\n"
        at = max(start, self._scan)
        while (at := buffer.find(tail, at)) >= 0:
            for word, error in ((b"%end", False), (b"%error", True)):
                line = at - len(word)
                if line >= start and buffer.startswith(word, line):
                    if line == start:
                        return start, at + len(tail), error  # an empty body
                    if buffer[line - 1] == 0x0A:  # at the start of a line
                        return line - 1, at + len(tail), error
            at += 1
        # Not here yet: look on from where the end line could begin next time.
        self._scan = max(start, len(buffer) - len(tail) - len(b"%error"))
        return None
