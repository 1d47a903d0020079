"""The SGR codes of rows as ``capture-pane -e`` gives them: how to find them, what they
leave in effect, and one canonical code for each effect, so that a row scrolled under a
different row still compares equal (the mirror moves it instead of drawing it again).
Pure functions with caches; no pyte, Textual or Rich."""

from __future__ import annotations

import re
from functools import lru_cache

# SGR sequences as tmux writes them in a capture, and private ones we must never feed.
SGR = re.compile(r"\x1b\[[0-9;]*m")
BACKGROUND = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:4[0-7]|48|10[0-7]|7)[;m]")
# A captured row: SGR codes, printable text, or anything else (then pyte's parser runs).
TOKENS = re.compile(r"\x1b\[([0-9;]*)m|([^\x00-\x1f\x7f]+)|([\x00-\x1f\x7f])")
OTHER = re.compile(r"[\x00-\x1a\x1c-\x1f\x7f]|\x1b(?!\[[0-9;]*m)")  # what TOKENS calls other
PRIVATE_CSI = re.compile(r"\x1b\[[<>=?][0-9;]*[a-zA-Z]")
TEXT_ON = {
    1: "bold",
    2: "dim",
    3: "italics",
    4: "underscore",
    5: "blink",
    7: "reverse",
    9: "strikethrough",
}


@lru_cache(maxsize=1024)
def sgr_params(params: str) -> tuple[int, ...]:
    return tuple(int(part) for part in params.split(";") if part)


@lru_cache(maxsize=8192)
def shows_something(line: str) -> bool:
    """A captured line shows text, or a coloured background."""
    return bool(SGR.sub("", line).strip() or BACKGROUND.search(line))


def carry_after(carry: str, line: str) -> str:
    """The SGR codes in effect after ``line`` when ``carry`` was in effect before it:
    those after its last reset, or all of them after ``carry``."""
    full, short = line.rfind("\x1b[0m"), line.rfind("\x1b[m")
    if full >= 0 or short >= 0:
        after_reset = full + 4 if full > short else short + 3
        return canonical_sgr("".join(SGR.findall(line, after_reset)))
    return canonical_sgr(carry + "".join(SGR.findall(line)))


FLAG_OFF = {22: (1, 2), 23: (3,), 24: (4,), 25: (5,), 27: (7,), 29: (9,)}


@lru_cache(maxsize=4096)
def canonical_sgr(codes: str) -> str:
    """One SGR code with the effect of ``codes`` applied to the default look ("" if they
    leave it default), so a row scrolled under a different row (tmux ends a captured row
    with codes like ``39m 49m`` that change nothing) still compares equal and is moved, not
    drawn again. Codes it does not know are kept as they are."""
    flags: set[int] = set()
    colours: dict[int, str] = {}  # 38 → fg, 48 → bg, as SGR parameters
    for code in SGR.findall(codes):
        pending = list(reversed(sgr_params(code[2:-1]) or (0,)))
        while pending:
            attr = pending.pop()
            if attr == 0:
                flags.clear()
                colours.clear()
            elif attr in TEXT_ON:
                flags.add(attr)
            elif attr in FLAG_OFF:
                flags.difference_update(FLAG_OFF[attr])
            elif 30 <= attr <= 37 or 90 <= attr <= 97:
                colours[38] = str(attr)
            elif 40 <= attr <= 47 or 100 <= attr <= 107:
                colours[48] = str(attr)
            elif attr in (39, 49):
                colours.pop(attr - 1, None)
            elif attr in (38, 48) and len(pending) >= 2 and pending[-1] == 5:
                colours[attr] = f"{attr};5;{pending[-2]}"
                del pending[-2:]
            elif attr in (38, 48) and len(pending) >= 4 and pending[-1] == 2:
                colours[attr] = f"{attr};2;{pending[-2]};{pending[-3]};{pending[-4]}"
                del pending[-4:]
            else:
                return codes
    words = [str(flag) for flag in sorted(flags)] + [colours[k] for k in sorted(colours)]
    return f"\x1b[{';'.join(words)}m" if words else ""


CARRIES: dict[tuple[str, str], str] = {}


def carried_prefixes(lines: list[str]) -> list[str]:
    """The SGR codes in effect at the start of each captured line.

    tmux does not reset attributes at the end of a captured row, so a row alone does not
    say how it looks: prefix it with the codes carried from the rows above. Most rows are
    the same from one capture to the next, so each (carry, row) step is remembered.
    """
    prefixes: list[str] = []
    carry = ""
    for line in lines:
        prefixes.append(carry)
        if "\x1b" not in line:
            continue  # no codes: what came in goes on
        key = (carry, line)
        after = CARRIES.get(key)
        if after is None:
            if len(CARRIES) > 8192:
                CARRIES.clear()
            after = CARRIES[key] = carry_after(carry, line)
        carry = after
    return prefixes
