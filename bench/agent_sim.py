"""A synthetic agent for bench/mirror.py: redraws like a coding agent at a fixed byte rate.

Each frame appends a coloured transcript line carrying ``t=<monotonic ns>`` of its write
(the screen scrolls, like streamed output; the mirror can tell when it first holds each
frame), redraws a spinner status row with a token count, and rewrites the (unchanging)
footer, as Claude Code and Codex do while they stream a reply. ``--rate`` is bytes per second; ``0``
writes one frame and then stays idle.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
WORDS = [
    "refactor",
    "the",
    "parser",
    "so",
    "every",
    "token",
    "keeps",
    "its",
    "source",
    "span",
    "and",
    "errors",
    "point",
    "at",
    "it",
]


FRAMES_PER_S = 16  # spinner ticks; faster output streams more lines per frame


def frame(number: int, rows: int, width: int, lines: int = 1) -> bytes:
    stamp = f"t={time.monotonic_ns()}"
    transcript = ""
    for index in range(lines):
        words = " ".join(WORDS[(number + index + i) % len(WORDS)] for i in range(12))
        line = f"\x1b[32m●\x1b[0m \x1b[1m{number:06d}\x1b[0m {stamp} {words}"[: width + 10]
        transcript += f"\n\r{line}"
    status = f"\x1b[36m{SPINNER[number % len(SPINNER)]}\x1b[0m Working… ({number} tokens)"
    return (
        f"\x1b[1;{rows - 3}r\x1b[{rows - 3};1H{transcript}\x1b[r"  # scroll the transcript
        f"\x1b[{rows - 2};1H\x1b[2K{status}"
        f"\x1b[{rows};1H\x1b[2K\x1b[2m esc to interrupt\x1b[0m"  # static, like real footers
    ).encode()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=4000.0, help="bytes per second")
    args = parser.parse_args()
    width, rows = os.get_terminal_size(sys.stdout.fileno())
    out = sys.stdout.buffer
    out.write(b"\x1b[2J\x1b[H\x1b[1;35m agent-sim\x1b[0m\r\n")
    number = 0
    data = frame(number, rows, width)
    lines = max(1, round(args.rate / FRAMES_PER_S / len(data)))
    data = frame(number, rows, width, lines)
    out.write(data)
    out.flush()
    if args.rate <= 0:
        while True:
            time.sleep(3600)
    interval = len(data) / args.rate
    next_at = time.monotonic()
    while True:
        number += 1
        next_at += interval
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        out.write(frame(number, rows, width, lines))
        out.flush()


if __name__ == "__main__":
    raise SystemExit(main())
