"""A stand-in for an agent's folder-trust dialog, replaying a screen recorded from the real CLI.

    python tests/support/trust_dialog.py FIXTURE --marker ❯ --yes "Yes, I trust" --no "No, exit"

It draws the recorded screen and behaves like Claude Code 2.1.3xx on it: keys arriving within
``--deaf`` seconds of the drawing are dropped; Up/Down move the marker between the option
lines; Enter on the "no" option exits 1 with Claude's message, Enter on the "yes" option
writes ``trusted`` in the working directory and shows an empty input box (``❯`` between
rules), where it stays; Escape exits 1. Extra arguments (hooks) are ignored.

``--restart SECONDS --ready FIXTURE`` behaves like Gemini CLI 0.61 instead: after "yes" the
old process draws its ready screen (FIXTURE) without the dialog and drops keys for SECONDS,
then prints "Gemini CLI is restarting to apply the trust changes...", draws the ready screen
again below the dialog and writes ``restarted`` in the working directory.
"""

from __future__ import annotations

import argparse
import os
import select
import sys
import termios
import time
import tty
from pathlib import Path

UP, DOWN = b"\x1b[A", b"\x1b[B"
IDLE_SCREEN = ["─" * 80, "❯ ", "─" * 80, "  ⏸ manual mode on · ? for shortcuts"]


def draw(lines: list[str]) -> None:
    sys.stdout.write("\x1b[2J\x1b[H" + "\r\n".join(lines))
    sys.stdout.flush()


def options(lines: list[str], marker: str, texts: list[str]) -> list[int]:
    return [row for row, line in enumerate(lines) if any(text in line for text in texts)]


def selected(line: str, marker: str) -> bool:
    return line.lstrip(" │").startswith(marker)  # Gemini's options sit in a box


def move(lines: list[str], rows: list[int], marker: str, step: int) -> None:
    current = next(row for row in rows if selected(lines[row], marker))
    target = rows[min(max(rows.index(current) + step, 0), len(rows) - 1)]
    if target != current:
        column = lines[current].index(marker)
        lines[current] = lines[current].replace(marker, " " * len(marker), 1)
        line = lines[target]
        lines[target] = line[:column] + marker + line[column + len(marker) :]


def keys(data: bytes) -> list[bytes]:
    """The keys in one read: arrows are three bytes, anything else one."""
    found = []
    while data:
        size = 3 if data[:3] in (UP, DOWN) else 1
        found.append(data[:size])
        data = data[size:]
    return found


def recorded(fixture: str) -> list[str]:
    text = Path(fixture).read_text(encoding="utf-8").partition("\n---\n")[2]
    return text.rstrip("\n").split("\n")


def restart(dialog: list[str], ready: list[str], seconds: float) -> None:
    """Gemini's restart after the answer: its old UI for a while (keys lost), then the new one
    below the dialog."""
    draw(ready)
    time.sleep(seconds)
    termios.tcflush(sys.stdin.fileno(), termios.TCIFLUSH)  # what was typed meanwhile is lost
    notice = ["", " Gemini CLI is restarting to apply the trust changes...", ""]
    draw(dialog + notice + ready)
    Path("restarted").write_text("yes\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("fixture")
    parser.add_argument("--marker", required=True)
    parser.add_argument("--yes", required=True)
    parser.add_argument("--no", required=True)
    parser.add_argument("--deaf", type=float, default=0.4)
    parser.add_argument("--restart", type=float, default=0.0)
    parser.add_argument("--ready", default="")
    args, _ = parser.parse_known_args(argv)
    lines = recorded(args.fixture)
    rows = options(lines, args.marker, [args.yes, args.no])
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setraw(fd)
    try:
        draw(lines)
        trusted = False
        deaf_until = time.monotonic() + args.deaf
        while not trusted:
            select.select([fd], [], [])
            data = os.read(fd, 64)
            if time.monotonic() < deaf_until:
                continue
            for key in keys(data):
                if key in (UP, DOWN):
                    move(lines, rows, args.marker, -1 if key == UP else 1)
                    draw(lines)
                    continue
                if key == b"\x1b":
                    return 1  # Escape cancels: Claude exits
                if key != b"\r":
                    continue
                chosen = next(lines[r] for r in rows if selected(lines[r], args.marker))
                if args.no in chosen:
                    sys.stdout.write("\x1b[2J\x1b[HClaude Code didn't start because this folder"
                                     " isn't trusted\r\n")  # fmt: skip
                    return 1
                Path("trusted").write_text("yes\n", encoding="utf-8")
                if args.restart:
                    restart(lines, recorded(args.ready), args.restart)
                else:
                    draw(IDLE_SCREEN)
                trusted = True
                break
        while True:  # an agent at its empty input box
            select.select([fd], [], [])
            os.read(fd, 64)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
