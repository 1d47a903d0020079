"""One mirrored pane: a pyte screen fed with ``capture-pane -e -N`` rows, and styled runs.

tmux regenerates every row's SGR codes in a capture, so what pyte gets is tmux's own
clean rendition of the pane (no ``CSI >4;1m`` or colon-form colours from the agent ever
reach pyte). Per capture, only rows whose text changed are touched: a row that was already
on screen elsewhere (the agent's output scrolled) is moved, a new one is drawn through the
screen's own operations, tokenised by a regex (pyte's per-character stream parser only for
rows holding anything but SGR codes and printable text). Styles are hashable
:data:`StyleKey` tuples so the UI layer caches one Rich ``Style`` per key; styled runs are
built only for rows somebody shows. This module never imports Textual or Rich.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from itertools import compress, groupby, repeat
from operator import add, itemgetter, ne
from typing import Any, NamedTuple

import pyte
from pyte import modes as mo
from pyte.charsets import LAT1_MAP
from wcwidth import wcwidth

from workflows.tmux.captured_sgr import (
    OTHER,
    PRIVATE_CSI,
    TEXT_ON,
    TOKENS,
    carried_prefixes,
    sgr_params,
    shows_something,
)

_FG_NAMES = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")


class Cell(NamedTuple):
    """pyte's ``Char`` plus ``dim``, which pyte does not record."""

    data: str
    fg: str = "default"
    bg: str = "default"
    bold: bool = False
    italics: bool = False
    underscore: bool = False
    strikethrough: bool = False
    reverse: bool = False
    blink: bool = False
    dim: bool = False


class StyleKey(NamedTuple):
    """A cell's look. Colours: ``default``, a name (``red``, ``bright_red``), ``i<N>``
    (256-colour index) or ``#rrggbb``."""

    fg: str
    bg: str
    bold: bool
    dim: bool
    italic: bool
    underline: bool
    blink: bool
    reverse: bool
    strike: bool


Run = tuple[str, StyleKey]
Row = tuple[Run, ...]
DEFAULT_STYLE = StyleKey("default", "default", False, False, False, False, False, False, False)

_TEXT_OFF = {
    22: ("bold", "dim"),
    23: ("italics",),
    24: ("underscore",),
    25: ("blink",),
    27: ("reverse",),
    29: ("strikethrough",),
}


def _extended_colour(attrs: list[int]) -> str | None:
    """Pop a ``5;N`` or ``2;R;G;B`` tail (after 38/48) from ``attrs`` (reversed order)."""
    try:
        mode = attrs.pop()
        if mode == 5:
            return f"i{attrs.pop()}"
        if mode == 2:
            red, green, blue = attrs.pop(), attrs.pop(), attrs.pop()
            return f"#{red:02x}{green:02x}{blue:02x}"
    except IndexError:
        return None
    return None


@lru_cache(maxsize=65536)
def _char_width(char: str) -> int:
    width = wcwidth(char)
    return width if width in (1, 2) else 0


class _CellTable(dict[str, Cell]):
    """Character → the Cell with that character and this table's look; also the look's
    StyleKey, and the table each SGR code leads to (filled as codes are met)."""

    def __init__(self, attrs: Any) -> None:
        super().__init__()
        self.attrs = attrs
        self.look = tuple(attrs)[1:]
        self.style = _cell_style(attrs)
        self.blank = self.look == _DEFAULT_CELL[1:]  # spaces in it are blank cells
        self.after: dict[str, _CellTable] = {}

    def __missing__(self, char: str) -> Cell:
        cell = self[char] = tuple.__new__(Cell, (char, *self.look))
        return cell


_CELL_TABLES: dict[Any, _CellTable] = {}
_DEFAULT_CELL = Cell(data=" ")


def _cell_table(attrs: Any) -> _CellTable:
    table = _CELL_TABLES.get(attrs)
    if table is None:
        if len(_CELL_TABLES) > 4096:
            _CELL_TABLES.clear()
        table = _CELL_TABLES[attrs] = _CellTable(attrs)
    return table


# (attributes before, SGR parameters) → attributes after: agents reuse a handful of styles.
_SGR_RESULTS: dict[tuple[Any, tuple[int, ...]], Any] = {}


class MirrorScreen(pyte.Screen):
    """A pyte screen that keeps 256-colour indexes and dim (pyte maps both lossily)."""

    @property
    def default_char(self) -> Cell:  # type: ignore[override]
        return _DEFAULT_CELL

    def reset(self) -> None:
        super().reset()
        self.cursor.attrs = self.default_char  # type: ignore[assignment]

    def draw(self, data: str) -> None:
        """pyte's draw, without a per-character ``_replace`` for the common case: a run
        of width-1/2 characters that fits on the row (every row tmux captures does).
        Cells are immutable, so one Cell per (character, look) is shared."""
        if self.draw_fast(data) is None:
            super().draw(data)

    def draw_fast(self, data: str, *, fresh_row: bool = False) -> str | None:
        """Draw ``data`` if it fits the common case; return the text drawn (after the
        charset), or None (nothing done: pyte's own draw must do it). On a ``fresh_row``
        (every cell from the cursor on is blank) blanks in the default look are skipped."""
        data = data.translate(self.g1_charset if self.charset else self.g0_charset)
        cursor: Any = self.cursor
        x, columns = cursor.x, self.columns
        narrow = data.isascii() and data.isprintable()
        widths = [] if narrow else [_char_width(char) for char in data]
        width = len(data) if narrow else sum(widths)
        if mo.IRM in self.mode or width > columns - x or not (narrow or all(widths)):
            return None
        if fresh_row and cursor.attrs == _DEFAULT_CELL and not data.strip(" "):
            cursor.x = x + width  # blanks on a blank row: the cells stay default
            return data
        line: Any = self.buffer[cursor.y]
        table = _cell_table(cursor.attrs)
        if narrow or max(widths) == 1:  # the common case: one cell per character
            line.update(zip(range(x, x + len(data)), map(table.__getitem__, data), strict=True))
            x += len(data)
        else:
            stub = table[""]
            for char, char_width in zip(data, widths, strict=True):
                line[x] = table[char]
                if char_width == 2 and x + 1 < columns:
                    line[x + 1] = stub
                x += char_width
        cursor.x = x
        self.dirty.add(cursor.y)
        return data

    def select_graphic_rendition(self, *attrs: int, private: bool = False) -> None:
        if private:
            return
        key = (self.cursor.attrs, attrs)
        cached = _SGR_RESULTS.get(key)
        if cached is None:
            self._apply_sgr(attrs)
            if len(_SGR_RESULTS) > 8192:
                _SGR_RESULTS.clear()
            _SGR_RESULTS[key] = cached = self.cursor.attrs
        self.cursor.attrs = cached

    def _apply_sgr(self, attrs: tuple[int, ...]) -> None:
        pending = list(reversed(attrs or (0,)))
        changes: dict[str, object] = {}
        while pending:
            attr = pending.pop()
            if attr == 0:
                changes = dict(self.default_char._asdict())
            elif attr in TEXT_ON:
                changes[TEXT_ON[attr]] = True
            elif attr in _TEXT_OFF:
                changes.update(dict.fromkeys(_TEXT_OFF[attr], False))
            elif 30 <= attr <= 37 or 90 <= attr <= 97:
                changes["fg"] = ("bright_" if attr >= 90 else "") + _FG_NAMES[attr % 10]
            elif 40 <= attr <= 47 or 100 <= attr <= 107:
                changes["bg"] = ("bright_" if attr >= 100 else "") + _FG_NAMES[attr % 10]
            elif attr in (39, 49):
                changes["fg" if attr == 39 else "bg"] = "default"
            elif attr in (38, 48):
                colour = _extended_colour(pending)
                if colour is not None:
                    changes["fg" if attr == 38 else "bg"] = colour
        current: Any = self.cursor.attrs
        self.cursor.attrs = current._replace(**changes)


_CELL_LOOK = itemgetter(1, 2, 3, 9, 4, 5, 8, 7, 6)  # Cell fields in StyleKey order
_CELL_TEXT = itemgetter(0)
_STYLE_KEYS: dict[tuple[object, ...], StyleKey] = {tuple(DEFAULT_STYLE): DEFAULT_STYLE}


def _style_key(look: tuple[object, ...]) -> StyleKey:
    key = _STYLE_KEYS.get(look)
    if key is None:
        key = _STYLE_KEYS[look] = StyleKey(*look)  # type: ignore[arg-type]
    return key


def _cell_style(cell: Any) -> StyleKey:
    """The StyleKey of a cell's look."""
    return _style_key(_CELL_LOOK(cell))


def _row_runs(line: Any, columns: int) -> Row:
    """Merge a screen row's cells into (text, style) runs; wide-char stubs add nothing."""
    cells = map(line.get, range(columns), repeat(line.default, columns))
    return tuple(
        ("".join(map(_CELL_TEXT, group)), _style_key(look))
        for look, group in groupby(cells, key=_CELL_LOOK)
    )


def _merge_runs(runs: list[Run], end: int, columns: int) -> Row:
    """Runs drawn in one pass (text ending at column ``end``) merged like
    :func:`_row_runs` merges cells: adjacent runs of one look become one, and the blank
    cells after ``end`` are a run of default spaces."""
    if end < columns:
        runs.append((" " * (columns - end), DEFAULT_STYLE))
    merged: list[Run] = []
    for key, group in groupby(runs, key=_RUN_STYLE):
        texts = [text for text, _ in group]
        merged.append((texts[0] if len(texts) == 1 else "".join(texts), key))
    return tuple(merged)


_RUN_STYLE = itemgetter(1)


class PaneModel:
    """The mirrored screen of one pane.

    ``rows`` is replaced whole on every change, so a UI thread may read it while the mirror
    thread applies the next capture. A changed row is ``None`` until somebody asks for it
    with :meth:`row`: runs are built only for rows a tile shows. A row that merely moved
    keeps its Row object (and so its cached Strip).

    A row drawn from its tokens has its runs at once, and its cells in pyte's buffer are
    written only when something reads the buffer (:attr:`screen`, pyte's own parser, a
    recording played): nothing does while captures come in, and the cells were most of
    the cost of a new row."""

    def __init__(self, pane_id: str, columns: int = 80, lines: int = 24) -> None:
        self.pane_id = pane_id
        self._screen = MirrorScreen(columns, lines)
        self.stream = pyte.Stream(self._screen)
        self._captured: list[str] = []
        self._unpainted: set[int] = set()  # rows whose cells are not written yet
        self.rows: list[Row | None] = [() for _ in range(lines)]
        self.content: list[bool] = [False] * lines
        """Per row: does it show anything (text or a background)?"""
        self.version = 0
        self.lock = threading.Lock()

    @property
    def screen(self) -> MirrorScreen:
        """The pyte screen, every row's cells written."""
        with self.lock:
            self._paint()
        return self._screen

    @property
    def size(self) -> tuple[int, int]:
        return self._screen.columns, self._screen.lines

    def apply_capture(
        self, lines: list[str], columns: int, height: int, first: int = 0
    ) -> set[int]:
        """Feed a ``capture-pane -p -e -N`` dump of rows ``first`` to the bottom (``-S
        first``; rows above it keep what they had); return the rows that changed.

        A row whose text was on screen before (scrolled, or moved) is moved from where
        it was instead of being parsed again: a scrolling agent costs one new row, not
        a whole screen, per capture.
        """
        with self.lock:
            if (columns, height) != self.size:
                self._screen.resize(lines=height, columns=columns)
                self._captured = []
                self.rows = [() for _ in range(height)]
                self.content = [False] * height
            fresh = len(self._captured) != height
            if fresh:  # nothing captured at this size: every row is drawn
                self._captured = [""] * height
            count = height - first
            if len(lines) != count:
                lines = (lines + [""] * count)[:count]
            # (tmux starts a capture's codes afresh at its first row, whatever is above)
            old = self._captured
            tail = list(map(add, carried_prefixes(lines), lines))
            old_tail = old[first:]
            if tail == old_tail and not fresh:
                return set()
            keyed = old[:first] + tail
            self.content = self.content[:first] + list(map(shows_something, lines))
            if fresh:
                changed = list(range(height))
            else:  # (the rows above the capture keep what they had)
                changed = list(compress(range(first, height), map(ne, old_tail, tail)))
            # Old rows that changed may move elsewhere, each at most once (no copying).
            movable = {old[y]: y for y in changed if y < len(old)}
            old_rows = self.rows
            moved: dict[int, int] = {}
            drawn = []
            for y in changed:
                source = movable.pop(keyed[y], None)
                if source is None:
                    drawn.append(y)
                else:
                    moved[y] = source
            self._captured = keyed
            if moved:  # move first: a drawn row must not write into a line that moves
                self._move_lines(moved)
            chunks = []
            built: dict[int, Row] = {}
            for y in drawn:
                row = self._draw_row(y, keyed[y])
                if row is None:
                    clean = PRIVATE_CSI.sub("", keyed[y])
                    chunks.append(f"\x1b[{y + 1};1H\x1b[0m\x1b[2K{clean}")
                elif row:
                    built[y] = row
            if chunks:  # pyte's parser may touch other rows: their runs come from cells
                self._paint()
                self.stream.feed("".join(chunks) + "\x1b[0m")
                built.clear()
            return self._publish(moved, old_rows, built)

    def _move_lines(self, moved: dict[int, int]) -> None:
        """Move buffer lines (row → the row it comes from), unwritten ones staying so."""
        buffer = self._screen.buffer
        lines_moved = {y: buffer.pop(source, None) for y, source in moved.items()}
        for y, line in lines_moved.items():
            if line is None:  # never written (blank, or its cells not written yet)
                buffer.pop(y, None)
            else:
                buffer[y] = line
        unpainted = self._unpainted
        if unpainted:  # written from what was captured there, whenever that happens
            still = {y for y, source in moved.items() if source in unpainted}
            unpainted.difference_update(moved.values())
            unpainted.difference_update(moved)
            unpainted.update(still)

    def play(self, text: str, size: tuple[int, int] | None = None) -> set[int]:
        """Feed terminal output straight into the screen (a recording played back, not a
        capture), at ``size`` (columns, lines) when it changes first; the rows changed."""
        with self.lock:
            if size is not None and size != self.size:
                self._screen.resize(lines=size[1], columns=size[0])
                self.rows = [() for _ in range(size[1])]
                self.content = [False] * size[1]
                self._screen.dirty.update(range(size[1]))
            self._paint()
            self._captured = []  # a capture after this draws every row afresh
            self.stream.feed(text)
            buffer = self._screen.buffer
            for y in self._screen.dirty:
                if 0 <= y < len(self.content):
                    self.content[y] = any(
                        cell.data.strip() or cell.bg != "default" for cell in buffer[y].values()
                    )
            return self._publish({}, self.rows, {})

    def _draw_row(self, y: int, line: str) -> Row | None:
        """Draw one captured row into the screen's buffer, tokenised by a regex instead of
        pyte's per-character stream parser, and return its runs (from the tokens: no walk
        over the cells), or ``()`` when only pyte's buffer knows them. A capture holds
        only SGR codes and printable text; anything else (None) goes to pyte's parser."""
        if OTHER.search(line):
            self._unpainted.discard(y)  # pyte's parser writes it
            return None
        tokens = TOKENS.findall(line)
        self._screen.dirty.add(y)
        row = self._draw_tokens(y, tokens, paint=False)
        if row is not None:
            self._unpainted.add(y)
            return row
        self._unpainted.discard(y)
        return self._draw_cells(y, tokens)

    def _paint(self) -> None:
        """Write the cells of the rows drawn without them (with the lock held), from
        what was captured there; the rows' runs and the dirty rows stay as they are."""
        unpainted, self._unpainted = self._unpainted, set()
        screen = self._screen
        dirty = set(screen.dirty)
        for y in unpainted:
            if y < min(screen.lines, len(self._captured)):
                tokens = TOKENS.findall(self._captured[y])
                if self._draw_tokens(y, tokens, paint=True) is None:
                    self._draw_cells(y, tokens)
        screen.dirty.clear()
        screen.dirty.update(dirty)

    def _draw_cells(self, y: int, tokens: list[tuple[str, str, str]]) -> Row:
        """Draw a row of tokens through the screen's own operations; its runs, or ``()``
        when only the cells know them."""
        screen = self._screen
        screen.buffer.pop(y, None)  # erase: the row becomes a fresh line of default cells
        cursor: Any = screen.cursor
        cursor.x, cursor.y = 0, y
        cursor.attrs = _DEFAULT_CELL
        runs: list[Run] | None = []
        for params, text, _ in tokens:
            if not text:
                screen.select_graphic_rendition(*sgr_params(params))
                continue
            look = cursor.attrs
            drawn = screen.draw_fast(text, fresh_row=True)
            if drawn is None:
                screen.draw(text)
                runs = None  # pyte's draw (wrap, combining marks…): runs from its cells
            elif runs is not None:
                runs.append((drawn, _cell_style(look)))
        cursor.attrs = _DEFAULT_CELL
        if runs is None or cursor.y != y:
            return ()
        return _merge_runs(runs, cursor.x, screen.columns)

    def _draw_tokens(
        self, y: int, tokens: list[tuple[str, str, str]], *, paint: bool
    ) -> Row | None:
        """The common case of :meth:`_draw_row` without the cursor: the row's runs, and
        with ``paint`` its cells (written afresh). Each look is a cell table that knows
        the table each SGR code leads to, text of width-1/2 characters that fits is
        written as shared cells, blanks in the default look not at all. None when
        anything needs pyte's own draw (the row's cells are then left half written)."""
        screen = self._screen
        if mo.IRM in screen.mode or screen.charset or screen.g0_charset is not LAT1_MAP:
            return None
        if paint:
            screen.buffer.pop(y, None)
        cells: Any = screen.buffer[y] if paint else None
        columns = screen.columns
        table = _cell_table(_DEFAULT_CELL)
        x = 0
        runs: list[Run] = []
        for params, text, _ in tokens:
            if not text:
                after = table.after.get(params)
                if after is None:
                    after = table.after[params] = self._sgr_table(table, params)
                table = after
                continue
            if text.isascii():  # printable: the regex took no control characters
                width = len(text)
                if width > columns - x:
                    return None
                if paint and not (table.blank and not text.strip(" ")):
                    drawn = map(table.__getitem__, text)
                    cells.update(zip(range(x, x + width), drawn, strict=True))
            else:
                widths = [_char_width(char) for char in text]
                width = sum(widths)
                if width > columns - x or not all(widths):
                    return None
                if paint:
                    stub, cell_x = table[""], x
                    for char, char_width in zip(text, widths, strict=True):
                        cells[cell_x] = table[char]
                        if char_width == 2:
                            cells[cell_x + 1] = stub
                        cell_x += char_width
            style = table.style  # one StyleKey object per look: `is` compares looks
            if runs and runs[-1][1] is style:
                runs[-1] = (runs[-1][0] + text, style)
            else:
                runs.append((text, style))
            x += width
        if x < columns:  # the blank cells after the text
            if runs and runs[-1][1] is DEFAULT_STYLE:
                runs[-1] = (runs[-1][0] + " " * (columns - x), DEFAULT_STYLE)
            else:
                runs.append((" " * (columns - x), DEFAULT_STYLE))
        return tuple(runs)

    def _sgr_table(self, table: _CellTable, params: str) -> _CellTable:
        """The cell table after SGR ``params`` applied to ``table``'s look (the screen's
        own SGR handling, run once per look and code)."""
        cursor: Any = self._screen.cursor
        saved, cursor.attrs = cursor.attrs, table.attrs
        self._screen.select_graphic_rendition(*sgr_params(params))
        after, cursor.attrs = cursor.attrs, saved
        return _cell_table(after)

    def _publish(
        self, moved: dict[int, int], old_rows: list[Row | None], built: dict[int, Row]
    ) -> set[int]:
        dirty = {y for y in self._screen.dirty if 0 <= y < self._screen.lines}
        self._screen.dirty.clear()
        changed = dirty | moved.keys()
        if changed:
            rows = list(self.rows)
            for y, source in moved.items():
                rows[y] = old_rows[source]  # the same Row object: the tile's Strip is reused
            for y in dirty:
                rows[y] = built.get(y)  # None: built on demand by row()
            self.rows = rows
            self.version += 1
        return changed

    def view_rows(self, height: int) -> list[int]:
        """The rows a view ``height`` rows tall shows, top to bottom.

        A pane that fits is shown as it is. A taller one is shown up to its last
        non-blank row, with runs of blank rows folded to their first, so a view shows an
        agent's transcript and its input box rather than the empty middle between them.
        Which rows are shown depends only on the rows from the one above the first shown
        down to the bottom (the mirror captures just those).
        """
        content = self.content
        if len(content) <= height:
            return list(range(len(content)))
        rows: list[int] = []
        y = self.last_content_row
        while y >= 0 and len(rows) < height:
            if content[y] or y == 0 or content[y - 1]:  # a blank row only opens a run
                rows.append(y)
            y -= 1
        rows.reverse()
        return rows

    @property
    def last_content_row(self) -> int:
        """The last row with visible content (a tile's view ends there)."""
        content = self.content
        for y in range(len(content) - 1, -1, -1):
            if content[y]:
                return y
        return 0

    def row(self, y: int) -> Row:
        """Row ``y`` as styled runs (built from the pyte buffer the first time it is asked)."""
        row = self.rows[y]
        if row is not None:
            return row
        with self.lock:
            rows = self.rows
            row = rows[y]
            if row is None:
                self._paint()
                row = rows[y] = _row_runs(self._screen.buffer[y], self._screen.columns)
            return row

    def text_lines(self) -> list[str]:
        """Plain text of every row (trailing spaces kept), for tests and the bench."""
        return ["".join(text for text, _ in self.row(y)) for y in range(len(self.rows))]
