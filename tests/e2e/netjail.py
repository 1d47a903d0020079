"""Run a command with no network but loopback, its 127.0.0.1:PORT bridged to a unix socket.

    unshare -n [-r] python tests/e2e/netjail.py --port P --unix SOCK -- codex …

Inside a fresh network namespace (only ``lo``) nothing can leave the machine. The scripted
model server lives in the test's namespace; this jail forwards its own ``127.0.0.1:P`` to the
server's unix socket (filesystems are shared across network namespaces). The jail exits with
the command's status (or re-raises its signal) so tmux records the agent's real exit.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import signal
import socket
import struct
import subprocess
import sys
import threading


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _forward(listener: socket.socket, unix_path: str) -> None:
    while True:
        client, _ = listener.accept()
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(unix_path)
        except OSError:
            client.close()
            continue
        threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()


def loopback_up() -> None:
    """``ip link set lo up`` without needing iproute2: SIOCSIFFLAGS on ``lo``."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sh22x", b"lo", 0)
        flags = struct.unpack("16sh22x", fcntl.ioctl(sock, siocgifflags, request))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sh22x", b"lo", flags | iff_up))


def jail_argv(port: int, unix_path: str, argv: list[str]) -> list[str]:
    """The command line that runs ``argv`` jailed (root: plain ``unshare -n``)."""
    userns = [] if os.geteuid() == 0 else ["-r"]
    return [
        "unshare", "-n", *userns, sys.executable, os.path.abspath(__file__),
        "--port", str(port), "--unix", unix_path, "--", *argv,
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--unix", required=True)
    parser.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    loopback_up()
    listener = socket.create_server(("127.0.0.1", args.port))
    threading.Thread(target=_forward, args=(listener, args.unix), daemon=True).start()
    child = subprocess.Popen(argv)
    # The agent owns the terminal: Ctrl-C and friends are its business, not the jail's.
    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP):
        signal.signal(sig, signal.SIG_IGN)
    status = child.wait()
    if status < 0:
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    return status


if __name__ == "__main__":
    sys.exit(main())
