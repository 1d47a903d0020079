"""DiffView: a unified diff, syntax-highlighted per file, added and removed lines tinted.

``highlight_diff`` is pure Rich (Pygments) work with no widget involved, so the run detail
calls it in a worker thread; the view only writes the lines it gets.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import PurePosixPath

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_for_filename
from pygments.util import ClassNotFound
from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text
from textual.widgets import RichLog

from workflows.base.untrusted import inert

MAX_LINES = 5000
THEME = "ansi_dark"
ADDED = Style(bgcolor="#0f3d1c")
REMOVED = Style(bgcolor="#4a1518")
SIGNS = {"+": ("+", ADDED, "green"), "-": ("-", REMOVED, "red"), " ": (" ", Style(), "dim")}


def _file_of(header: str) -> str:
    """``diff --git a/x.py b/x.py`` → ``x.py``."""
    parts = header.split(" b/", 1)
    return parts[1] if len(parts) == 2 else ""


@lru_cache(maxsize=64)
def _lexer(name: str) -> Lexer | str:
    """The lexer for a file name (by its name alone: guessing from content is slow)."""
    try:
        return get_lexer_for_filename(name)
    except ClassNotFound:
        return "text"


def _code_lines(path: str, code: list[str]) -> list[Text]:
    """The code of one hunk highlighted by the file's language, one Text a line."""
    if not code:
        return []
    name = PurePosixPath(path).name
    syntax = Syntax("", _lexer(name) if name else "text", theme=THEME)
    highlighted = syntax.highlight("\n".join(code))
    lines = list(highlighted.split("\n", allow_blank=True))
    return (lines + [Text(line) for line in code[len(lines) :]])[: len(code)]


def highlight_diff(diff: str, *, max_lines: int = MAX_LINES) -> list[Text]:
    """Every line of ``diff`` (up to ``max_lines``, then a note) as styled Text."""
    raw = inert(diff).split("\n")
    if raw and raw[-1] == "":
        raw.pop()
    cut = len(raw) > max_lines
    out: list[Text] = []
    path, in_hunk = "", False
    signs: list[str] = []  # the current file's hunk lines, highlighted together
    code: list[str] = []

    def flush() -> None:
        for sign, line in zip(signs, _code_lines(path, code), strict=True):
            mark, tint, colour = SIGNS[sign]
            text = Text.assemble((mark, colour), line)
            text.stylize(tint)
            out.append(text)
        signs.clear()
        code.clear()

    for line in raw[:max_lines]:
        sign = line[:1] or " "  # a blank context line may have lost its space
        if in_hunk and sign in SIGNS:
            signs.append(sign)
            code.append(line[1:])
            continue
        flush()
        if line.startswith("diff --git"):
            path, in_hunk = _file_of(line), False
            out.append(Text(line, style="bold"))
        elif line.startswith("@@"):
            in_hunk = True
            out.append(Text(line, style="cyan"))
        elif line.startswith("# untracked"):
            out.append(Text(line, style="yellow"))
        else:
            out.append(Text(line, style="bold dim"))
    flush()
    if cut:
        out.append(Text(f"… the first {max_lines} lines; `git diff` in the worktree shows all"))
    return out


class DiffView(RichLog):
    DEFAULT_CSS = """
    DiffView {
        height: 1fr;
        background: $surface;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, wrap=False, highlight=False, markup=False, auto_scroll=False)

    def show(self, lines: list[Text], *, empty: str = "no changes against the base yet") -> None:
        self.clear()
        if not lines:
            self.write(Text(empty, style="dim"))
        for line in lines:
            self.write(line)
        self.scroll_home(animate=False)
