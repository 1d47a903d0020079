"""Where each key of a workflow TOML file sits, for ``file:line`` errors.

tomllib reports no positions for keys, so the loader scans the source text itself: top-level
keys, each ``[[steps]]`` header and the keys inside it. Multi-line strings are skipped so a
``key = …`` line inside a prompt is not mistaken for a key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

KEY_LINE = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=\s*(.*)$""")
DOTTED_KEY_LINE = re.compile(
    r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)"""
    r"""\s*=\s*(.*)$"""
)
TABLE_LINE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


@dataclass
class TableLines:
    header: int
    keys: dict[str, int] = field(default_factory=dict)
    # Line where a string value's text starts (the line after an opening ``\"\"\"`` + newline).
    value_starts: dict[str, int] = field(default_factory=dict)


@dataclass
class LineMap:
    top: TableLines = field(default_factory=lambda: TableLines(header=1))
    steps: list[TableLines] = field(default_factory=list)

    def step_key(self, index: int, key: str | None = None) -> int:
        if index >= len(self.steps):
            return 1
        table = self.steps[index]
        return table.keys.get(key, table.header) if key else table.header

    def step_value_start(self, index: int, key: str) -> int:
        if index >= len(self.steps):
            return 1
        table = self.steps[index]
        return table.value_starts.get(key, table.keys.get(key, table.header))


def _opens_multiline(value: str) -> str | None:
    for quote in ('"""', "'''"):
        if value.startswith(quote) and value.count(quote) == 1:
            return quote
    return None


def _toml_lines(text: str) -> Iterator[tuple[int, re.Match[str], bool]]:
    """(line number, match, is a table header) for every header and key line, skipping the
    lines inside multi-line strings."""
    open_quote: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if open_quote is not None:
            if open_quote in raw:
                open_quote = None
            continue
        table = TABLE_LINE.match(raw)
        if table and not KEY_LINE.match(raw):
            yield number, table, True
            continue
        key = DOTTED_KEY_LINE.match(raw)
        if key is not None:
            open_quote = _opens_multiline(key.group(2).strip())
            yield number, key, False


def _parts(dotted: str) -> list[str]:
    return [part.strip().strip("\"'") for part in dotted.split(".")]


def scan(text: str) -> LineMap:
    lines = LineMap()
    current: TableLines | None = lines.top
    for number, match, is_table in _toml_lines(text):
        if is_table:
            if match.group(1) == "[[" and match.group(2) == "steps":
                current = TableLines(header=number)
                lines.steps.append(current)
            else:
                current = None  # some other table: its keys are not ours to place
            continue
        if current is None:
            continue
        name = match.group(1).strip("\"'")
        value = match.group(2).strip()
        current.keys.setdefault(name, number)
        starts_on_next = _opens_multiline(value) is not None and value in ('"""', "'''")
        current.value_starts.setdefault(name, number + 1 if starts_on_next else number)
    return lines


def table_key_lines(text: str) -> dict[tuple[str, ...], dict[str, int]]:
    """For any TOML file: each ``[a.b]`` table's keys and their lines (``""``: the header).

    Dotted keys (``a.b = 1``) are placed in the table they name; array-of-tables headers
    (``[[x]]``) map to their last occurrence. Multi-line strings are skipped.
    """
    tables: dict[tuple[str, ...], dict[str, int]] = {(): {"": 1}}
    current: tuple[str, ...] = ()
    for number, match, is_table in _toml_lines(text):
        if is_table:
            current = tuple(_parts(match.group(2)))
            tables.setdefault(current, {})[""] = number
            continue
        parts = _parts(match.group(1))
        tables.setdefault(current + tuple(parts[:-1]), {}).setdefault(parts[-1], number)
    return tables
