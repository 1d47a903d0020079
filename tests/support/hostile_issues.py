"""Hostile issue texts for the fuzz test and bench/fuzz_hostile.py (issue 18, Must show).

Seeded, so a failure can be replayed: random bytes (often not UTF-8), terminal control
sequences (bracketed-paste markers, OSC 52 / OSC 2, CSI, C1 controls, Ctrl-C/U, Escape, NUL,
DEL, lone CR), shell and tmux syntax that would create the canary file if anything ran it,
placeholders, and huge bodies. ``write_issue_folder`` writes them as local issue files (the
raw-byte ones as they are); ``check_terminal_text`` says what a terminal must never get.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

CONTROL_SEQUENCES = [
    "\x1b[201~",
    "\x1b[200~",
    "\x1b]52;c;cm0gLXJmIH4=\x07",
    "\x1b]2;pwned\x07",
    "\x1b]0;title\x1b\\",
    "\x1b[2J\x1b[H",
    "\x1b[31m",
    "\x1bP+q544e\x1b\\",
    "\x9b6n",
    "\x9d0;x\x9c",
    "\x03",
    "\x15",
    "\x1b",
    "\x04",
    "\x00",
    "\x7f",
    "\r",
    "\x1a",
    "\x85",
]
SURROGATES = ["\ud800", "\udcff"]  # not UTF-8 in a file (skipped), legal JSON from Linear


def shell_traps(canary: Path) -> list[str]:
    """Text that creates ``canary`` if any shell, tmux or format string interprets it."""
    return [
        f"$(touch {canary})",
        f"`touch {canary}`",
        f"; touch {canary};",
        f"\ntouch {canary}\n",
        f"#(touch {canary})",
        f"#{{pane_id}} {{test_command}} {{issues}} $(touch {canary}) ${{HOME}}",
        f"' ; touch {canary} ; '",
        f'" && touch {canary} && "',
    ]


@dataclass
class HostileIssue:
    identifier: str
    raw: bytes  # the issue file as written
    title: str  # "" for raw-byte files


def hostile_text(rng: random.Random, canary: Path, size: int, *, surrogates: bool = False) -> str:
    parts: list[str] = []
    pieces = [*CONTROL_SEQUENCES, *shell_traps(canary), "plain words ", "中文 🎉 ", "\t", "\n"]
    pieces += SURROGATES if surrogates else []
    length = 0
    while length < size:
        roll = rng.random()
        if roll < 0.6:
            part = rng.choice(pieces)
        elif roll < 0.8:
            part = "".join(chr(rng.randrange(0, 0x250)) for _ in range(rng.randrange(1, 12)))
        else:
            part = rng.choice(["fix the bug ", "please ", "the page ", "ENG-1 "])
        parts.append(part)
        length += len(part)
    return "".join(parts)


def toml_string(text: str) -> str:
    """A TOML basic string: json escapes C0 controls as TOML does; DEL must be escaped too;
    the rest stays raw (json's surrogate-pair escapes for emoji are not valid TOML)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def hostile_issues(
    seed: int, count: int, canary: Path, *, huge_bytes: int = 0
) -> list[HostileIssue]:
    rng = random.Random(seed)
    issues: list[HostileIssue] = []
    for number in range(1, count + 1):
        identifier = f"FZ-{number}"
        kind = number % 4
        if kind == 0:  # random bytes: mostly not UTF-8
            raw = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
            issues.append(HostileIssue(identifier, b"# " + raw + b"\n\n" + raw, ""))
            continue
        title = hostile_text(rng, canary, rng.randrange(8, 80)).replace("\n", " ")
        size = huge_bytes if (huge_bytes and number == 1) else rng.randrange(10, 2000)
        body = hostile_text(rng, canary, size, surrogates=number % 8 == 2)
        labels = [
            hostile_text(rng, canary, 6).replace("\n", " ") for _ in range(rng.randrange(0, 3))
        ]
        if kind == 1:  # TOML, every character escaped the TOML way
            raw = (
                f"id = {toml_string(identifier)}\ntitle = {toml_string(title)}\n"
                f"labels = [{', '.join(toml_string(label) for label in labels)}]\n"
                f"description = {toml_string(body)}\n"
            ).encode("utf-8", "surrogatepass")
        else:  # Markdown: raw control bytes in the heading and body
            raw = f"+++\nid = {toml_string(identifier)}\n+++\n# {title}\n\n{body}\n".encode(
                "utf-8", "surrogatepass"
            )
        issues.append(HostileIssue(identifier, raw, title))
    return issues


def write_issue_folder(folder: Path, issues: list[HostileIssue]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for issue in issues:
        suffix = ".toml" if issue.raw.startswith(b"id = ") else ".md"
        (folder / f"{issue.identifier}{suffix}").write_bytes(issue.raw)


def check_terminal_text(text: str) -> list[str]:
    """What must never reach a terminal: control characters other than newline and tab
    (ESC, BEL, CR…), DEL and C1 controls. Returns the problems found (empty: clean)."""
    bad = {ch for ch in text if (ord(ch) < 0x20 and ch not in "\n\t") or 0x7F <= ord(ch) <= 0x9F}
    return [f"U+{ord(ch):04X} on the terminal" for ch in sorted(bad)]
