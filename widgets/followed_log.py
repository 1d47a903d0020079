"""FollowedLog: a log file shown as it grows (like ``tail -f``), read once a second.

Reads happen in a thread worker, never on the UI loop (a log on a slow disk, or a long one,
would freeze every screen). A long log opens at its last ``TAIL_BYTES``: a run that has
been going for days keeps megabytes of log, and the newest part is what a person opens it
for; the line above says where the rest is.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from textual import work
from textual.widgets import Log

from workflows.base.untrusted import inert

FOLLOW_S = 1.0
TAIL_BYTES = 256 * 1024


class FollowedLog(Log):
    def __init__(self, path: Path | str, *, id: str | None = None) -> None:
        super().__init__(id=id, highlight=False, auto_scroll=True)
        self.path = Path(path)
        self._offset = 0
        self._opened = False
        # A read may end inside a character the writer has not finished.
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def on_mount(self) -> None:
        self.follow()
        self.set_interval(FOLLOW_S, self.follow)

    @work(thread=True, exclusive=True, group="followed-log")
    def follow(self) -> None:
        """Append what the file gained since the last look (a small read)."""
        first = not self._opened
        try:
            with self.path.open("rb") as handle:
                size = handle.seek(0, 2)
                start = size - TAIL_BYTES if first and size > TAIL_BYTES else self._offset
                if start > size:  # cleaned or replaced: what it holds now is new
                    start = 0
                handle.seek(start)
                data = handle.read()
        except FileNotFoundError:
            if first:
                self._opened = True
                self.app.call_from_thread(self.write, "(no log yet)\n")
            return
        self._opened = True
        self._offset = start + len(data)
        if first and start:
            # Open at a line: the one the cut fell in belongs to the part not shown.
            cut = data.find(b"\n") + 1
            data = data[cut:]
            note = f"(the first {start + cut:,} bytes are not shown here: see {self.path})\n"
            self.app.call_from_thread(self.write, note)
        text = self._decoder.decode(data)
        if text:
            self.app.call_from_thread(self.write, inert(text))
