"""Playing a recording back on a terminal: at any speed, idle stretches cut short.

What an agent printed may carry text from anyone (an issue body it echoed), so the replay
passes only what draws: text, colours, cursor moves, erasing. Strings a terminal acts on —
OSC (titles, clipboard, hyperlinks), DCS, APC, PM, SOS — and queries it answers into the
input (device status, attributes, window reports, version) are dropped, and so are switches
of the keyboard's mode (kitty's protocol, xterm's modifyOtherKeys: Claude Code turns them
on, and a terminal left in them garbles the person's shell) and of the alternate screen (so
the last screen stays on the terminal once the replay ends). At the end the
terminal is put back: colours, cursor, mouse and paste modes, scroll region.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import TextIO

import pyte

from workflows.runs.recording.asciicast import Event, Header
from workflows.tmux.mirror_screen import PaneModel

# ESC ] … (BEL | ESC \), ESC P/X/^/_ … ESC \, also their C1 forms; unterminated at the end.
STRINGS = re.compile(r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[\s\S]*?(?:\x07|\x1b\\|\x9c|$)")
# CSI queries a terminal answers: DSR (n), DA (c), window ops (t), DECRQM ($p), XTVERSION…
QUERIES = re.compile(r"\x1b\[[\x30-\x3f]*[\x20-\x2f]*[nct]|\x1b\[[\x30-\x3f]*\$p|\x1b\[>[\d;]*q")
# kitty keyboard protocol (push >, pop <, set =, query ?; then u), modifyOtherKeys (> … m).
KEYBOARD = re.compile(r"\x1b\[[<=>?][\d;:]*u|\x1b\[>[\d;]*m")
ALTERNATE = re.compile(r"\x1b\[\?(?:1049|1047|47)[hl]")
# Colours off, scroll region reset (the cursor kept where it is), cursor shown, mouse and
# bracketed paste off, and a new line for the shell's prompt.
RESTORE = (
    "\x1b[0m\x1b7\x1b[r\x1b8\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\r\n"
)


def drawable(text: str) -> str:
    """``text`` without what could act on the terminal beyond drawing."""
    return KEYBOARD.sub("", ALTERNATE.sub("", QUERIES.sub("", STRINGS.sub("", text))))


@dataclass(frozen=True)
class Timing:
    speed: float = 1.0
    idle_limit: float | None = 2.0
    """No pause longer than this many seconds (before the speed applies); None: as recorded."""

    def delays(self, events: Iterable[Event]) -> Iterator[tuple[float, Event]]:
        """Each event with the pause before it."""
        previous = 0.0
        for event in events:
            pause = max(0.0, event.time - previous)
            if self.idle_limit is not None:
                pause = min(pause, self.idle_limit)
            previous = event.time
            yield pause / self.speed, event


def duration(events: list[Event], timing: Timing) -> float:
    return sum(pause for pause, _ in timing.delays(events))


def play(
    header: Header,
    events: list[Event],
    out: TextIO,
    *,
    timing: Timing,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Write the output events to ``out`` at their (adjusted) times."""
    del header  # the size is the caller's business (it warns when the terminal is smaller)
    pending = 0.0
    try:
        for pause, event in timing.delays(events):
            pending += pause
            if event.code != "o":
                continue
            if pending > 0.001:
                out.flush()
                sleep(pending)
            pending = 0.0
            out.write(drawable(event.data))
    finally:
        out.write(RESTORE)
        out.flush()


def final_screen(header: Header, events: list[Event]) -> list[str]:
    """The screen the cast ends on, one string per row (right-trimmed), as a replay draws
    it (pyte would print the keyboard switches it does not know as text)."""
    screen = pyte.Screen(header.width, header.height)
    stream = pyte.Stream(screen)
    for event in events:
        if event.code == "o":
            stream.feed(drawable(event.data))
        elif event.code == "r":
            width, height = map(int, event.data.split("x"))
            screen.resize(lines=height, columns=width)
    return [line.rstrip() for line in screen.display]


class Player:
    """A recording played into a :class:`PaneModel` (what the app's replay view paints):
    ``advance`` moves the position on by seconds of playing time, idle stretches cut to
    ``idle_limit`` as in the terminal."""

    def __init__(self, header: Header, events: list[Event], *, idle_limit: float = 2.0) -> None:
        self.model = PaneModel("replay", header.width, header.height)
        self.events = events
        pauses = (pause for pause, _ in Timing(idle_limit=idle_limit).delays(events))
        self.times = list(accumulate(pauses))
        self.length = self.times[-1] if self.times else 0.0
        self.position = 0.0
        self._next = 0

    @property
    def done(self) -> bool:
        return self._next >= len(self.events)

    def advance(self, seconds: float) -> bool:
        """Play what happens in the next ``seconds``; True when the screen changed."""
        return self.seek(self.position + seconds)

    def to_end(self) -> bool:
        return self.seek(self.length)

    def seek(self, position: float) -> bool:
        """Play on up to ``position`` (never back: a new Player starts over)."""
        self.position = max(self.position, min(position, self.length))
        chunks: list[str] = []
        changed = False
        while not self.done and self.times[self._next] <= self.position:
            event = self.events[self._next]
            self._next += 1
            if event.code == "o":
                chunks.append(drawable(event.data))
            elif event.code == "r":
                width, height = map(int, event.data.split("x"))
                changed |= bool(self.model.play("".join(chunks), (width, height)))
                chunks = []
        if chunks:
            changed |= bool(self.model.play("".join(chunks)))
        return changed
