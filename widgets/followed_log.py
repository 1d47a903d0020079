"""FollowedLog: a log file shown as it grows (like ``tail -f``), read once a second."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Log

from workflows.base.untrusted import inert

FOLLOW_S = 1.0


class FollowedLog(Log):
    def __init__(self, path: Path | str, *, id: str | None = None) -> None:
        super().__init__(id=id, highlight=False, auto_scroll=True)
        self.path = Path(path)
        self._offset = 0

    def on_mount(self) -> None:
        self.follow()
        self.set_interval(FOLLOW_S, self.follow)

    def follow(self) -> None:
        """Append what the file gained since the last look (a small read)."""
        try:
            with self.path.open("r", encoding="utf-8", errors="replace") as handle:
                handle.seek(self._offset)
                text = handle.read()
                self._offset = handle.tell()
        except FileNotFoundError:
            if self._offset == 0 and not self.line_count:
                self.write_line("(no log yet)")
            return
        if text:
            self.write(inert(text))
