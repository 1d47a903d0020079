"""Does this tmux crash when a notification reaches a control client still identifying?

    python bench/tmux_identify_crash.py [--trials N]

tmux bug #4980: a client that says it is a control client (MSG_IDENTIFY_LONGFLAGS with
CLIENT_CONTROL) is sent control notifications before its ``control_state`` exists (that
comes with MSG_IDENTIFY_DONE); ``control_write`` then reads address 0x20 and the server dies
with every agent in it. A real ``tmux -C`` sends both messages at once, so the window is
short, but a busy machine stretches it; agenttui's many control clients made it a crash in
CI. Here a raw client sends only the first message, then another client creates a session
(``%sessions-changed``). Each trial uses its own private server (``tmux -L``). The last line
is one JSON object: whether the server died, per trial. Debian 12's tmux 3.3a dies every
time; agenttui's defence is in workflows/tmux/server.py.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import struct
import subprocess
import time

PROTOCOL_VERSION = 8  # tmux 3.2 to 3.5
MSG_IDENTIFY_LONGFLAGS = 111
CLIENT_CONTROL = 0x2000


def imsg(kind: int, data: bytes) -> bytes:
    """An OpenBSD imsg: type, length, flags, peer id (tmux's protocol version), pid."""
    header = struct.pack("=IHHII", kind, 16 + len(data), 0, PROTOCOL_VERSION, os.getpid())
    return header + data


def trial(number: int) -> bool:
    """True when the server died."""
    tmux = ["tmux", "-L", f"identify-crash-{os.getpid()}-{number}", "-f", "/dev/null"]
    subprocess.run([*tmux, "new-session", "-d", "-s", "a", "sleep 600"], check=True)
    path = subprocess.run(
        [*tmux, "display-message", "-p", "#{socket_path}"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    with socket.socket(socket.AF_UNIX) as half_identified:
        half_identified.connect(path)
        half_identified.sendall(imsg(MSG_IDENTIFY_LONGFLAGS, struct.pack("=Q", CLIENT_CONTROL)))
        time.sleep(0.3)
        subprocess.run(
            [*tmux, "new-session", "-d", "-s", "b", "sleep 600"], check=False, capture_output=True
        )
        time.sleep(0.3)
        alive = subprocess.run([*tmux, "has-session", "-t", "a"], check=False, capture_output=True)
    subprocess.run([*tmux, "kill-server"], check=False, capture_output=True)
    return alive.returncode != 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    version = subprocess.run(["tmux", "-V"], check=True, capture_output=True, text=True)
    version_text = version.stdout.strip()
    died = [trial(number) for number in range(args.trials)]
    print(f"{version_text}: the server died in {sum(died)} of {len(died)} trials")
    print(json.dumps({"tmux": version_text, "died": died}))


if __name__ == "__main__":
    main()
