"""Where each key of a workflow TOML file sits, for ``file:line`` errors.

tomllib reports no positions for keys, so the loader scans the source text itself: top-level
keys, each ``[[steps]]`` header and the keys inside it. Multi-line strings are skipped so a
``key = …`` line inside a prompt is not mistaken for a key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KEY_LINE = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=\s*(.*)$""")
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


def scan(text: str) -> LineMap:
    lines = LineMap()
    current: TableLines | None = lines.top
    open_quote: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if open_quote is not None:
            if open_quote in raw:
                open_quote = None
            continue
        table = TABLE_LINE.match(raw)
        if table and not KEY_LINE.match(raw):
            if table.group(1) == "[[" and table.group(2) == "steps":
                current = TableLines(header=number)
                lines.steps.append(current)
            else:
                current = None  # some other table: its keys are not ours to place
            continue
        key = KEY_LINE.match(raw)
        if key is None or current is None:
            continue
        name = key.group(1).strip("\"'")
        value = key.group(2).strip()
        current.keys.setdefault(name, number)
        open_quote = _opens_multiline(value)
        starts_on_next = open_quote is not None and value == open_quote
        current.value_starts.setdefault(name, number + 1 if starts_on_next else number)
    return lines
