"""A raw terminal program for send tests: logs every byte it receives, byte-exact.

Puts its tty in raw mode, enables bracketed paste like a TUI agent, appends every byte read
to LOG, and draws a minimal input line: ``> `` plus the printable text received so far
(pasted newlines shown as new rows). A CR outside a paste "submits": the screen is cleared
and a fresh ``> `` drawn, so the sender can confirm. ``--no-echo`` shows nothing typed.

Usage: python tests/support/raw_reader.py LOG [--no-echo]
"""

from __future__ import annotations

import os
import sys
import termios
import tty

START, END = b"\x1b[200~", b"\x1b[201~"


def main() -> int:
    log_path = sys.argv[1]
    echo = "--no-echo" not in sys.argv[2:]
    fd = sys.stdin.fileno()
    tty.setraw(fd)
    out = sys.stdout.fileno()
    os.write(out, b"\x1b[?2004h\x1b[2J\x1b[H> ")
    pending = b""
    in_paste = False
    with open(log_path, "ab", buffering=0) as log:
        while True:
            data = os.read(fd, 65536)
            if not data:
                break
            log.write(data)
            pending += data
            shown = bytearray()
            while pending:
                if pending.startswith(START):
                    in_paste, pending = True, pending[len(START) :]
                elif pending.startswith(END):
                    in_paste, pending = False, pending[len(END) :]
                elif pending[:1] == b"\x1b" and len(pending) < len(START):
                    break  # maybe a marker split across reads
                elif pending[:1] == b"\r" and not in_paste:
                    pending = pending[1:]
                    if echo:
                        os.write(out, bytes(shown) + b"\x1b[2J\x1b[H> ")
                    shown = bytearray()
                else:
                    byte, pending = pending[:1], pending[1:]
                    if byte in (b"\r", b"\n"):
                        shown += b"\r\n  "
                    elif byte >= b" " or byte == b"\t":
                        shown += byte
            if echo and shown:
                os.write(out, bytes(shown))
    termios.tcflush(fd, termios.TCIFLUSH)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
