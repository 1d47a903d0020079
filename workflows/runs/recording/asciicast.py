"""asciicast v2 (asciinema's format): a JSON header line, then one JSON event per line,
``[seconds, "o", text]`` for output, ``[seconds, "r", "COLSxROWS"]`` for a resize and
``[seconds, "m", label]`` for a marker; seconds count from the header's ``timestamp``.

The writer keeps its byte count so the recorder can stop at the size limit; the reader
refuses anything else with the file and line.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from workflows.base.errors import AgentTuiError

VERSION = 2
SIZE = re.compile(r"(\d+)x(\d+)")
EVENT_CODES = frozenset({"o", "i", "m", "r"})
_string = json.JSONEncoder(ensure_ascii=False).encode
"""A str as a JSON string: one encoder for every event (``json.dumps`` with an option
builds a new one per call)."""


class BadCast(AgentTuiError):
    """A file that is not asciicast v2; the message names the file and line."""


@dataclass(frozen=True)
class Header:
    width: int
    height: int
    timestamp: float
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        head: dict[str, Any] = {"version": VERSION, "width": self.width, "height": self.height}
        head["timestamp"] = int(self.timestamp)
        if self.title:
            head["title"] = self.title
        return {**head, **self.extra}


@dataclass(frozen=True)
class Event:
    time: float
    code: str
    data: str


class CastWriter:
    """Appends events to one cast file (created 0600 with its header when new)."""

    def __init__(self, path: Path, header: Header) -> None:
        self.path = path
        fresh = not path.exists() or path.stat().st_size == 0
        self.header = header if fresh else read_header(path)  # continuing: same start time
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._file: IO[bytes] = os.fdopen(descriptor, "wb", buffering=1 << 16)
        self.size = os.fstat(descriptor).st_size
        if fresh:
            self._write(json.dumps(header.as_json(), ensure_ascii=False) + "\n")

    def _write(self, line: str) -> None:
        data = line.encode("utf-8", "surrogatepass")
        self._file.write(data)
        self.size += len(data)

    def _event(self, at: float, code: str, data: str) -> None:
        stamp = max(0.0, at - self.header.timestamp)
        self._write(f"[{stamp:.6f}, {_string(code)}, {_string(data)}]\n")

    def output(self, at: float, text: str) -> None:
        self._event(at, "o", text)

    def resize(self, at: float, width: int, height: int) -> None:
        self._event(at, "r", f"{width}x{height}")

    def marker(self, at: float, label: str) -> None:
        self._event(at, "m", label)

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def _where(path: Path, number: int) -> str:
    return f"{path}:{number}"


def _parse_header(path: Path, line: str) -> Header:
    try:
        head = json.loads(line)
    except json.JSONDecodeError as error:
        raise BadCast(f"{_where(path, 1)}: not a JSON header ({error.msg})") from None
    if not isinstance(head, dict) or head.get("version") != VERSION:
        raise BadCast(f"{_where(path, 1)}: not an asciicast v2 header")
    width, height = head.get("width"), head.get("height")
    if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
        raise BadCast(f"{_where(path, 1)}: width and height must be positive integers")
    stamp = head.get("timestamp", 0)
    if not isinstance(stamp, int | float):
        raise BadCast(f"{_where(path, 1)}: timestamp must be a number")
    known = {"version", "width", "height", "timestamp", "title"}
    extra = {key: value for key, value in head.items() if key not in known}
    return Header(width, height, float(stamp), str(head.get("title", "")), extra)


def read_header(path: Path) -> Header:
    with path.open(encoding="utf-8") as handle:
        return _parse_header(path, handle.readline())


def _parse_event(path: Path, number: int, line: str, previous: float) -> Event:
    try:
        event = json.loads(line)
    except json.JSONDecodeError as error:
        raise BadCast(f"{_where(path, number)}: not JSON ({error.msg})") from None
    valid = (
        isinstance(event, list)
        and len(event) == 3
        and isinstance(event[0], int | float)
        and event[1] in EVENT_CODES
        and isinstance(event[2], str)
    )
    if not valid:
        raise BadCast(f"{_where(path, number)}: not an event [time, code, data]")
    at = float(event[0])
    if at < previous:
        raise BadCast(f"{_where(path, number)}: time {at} runs backwards (after {previous})")
    if event[1] == "r" and not SIZE.fullmatch(event[2]):
        raise BadCast(f"{_where(path, number)}: a resize must read COLSxROWS")
    return Event(at, event[1], event[2])


def read_cast(path: Path) -> tuple[Header, list[Event]]:
    """The header and every event; ``BadCast`` names the first line that is wrong. A last
    line cut short (the recorder was killed mid-write) is left out, as asciinema does."""
    with path.open(encoding="utf-8", errors="surrogateescape") as handle:
        lines = handle.read().split("\n")
    if not lines or not lines[0].strip():
        raise BadCast(f"{path}: empty")
    header = _parse_header(path, lines[0])
    events: list[Event] = []
    previous = 0.0
    last = len(lines) - 1
    for index, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            event = _parse_event(path, index, line, previous)
        except BadCast:
            if index - 1 == last and not line.endswith("]"):
                break  # a torn last line
            raise
        events.append(event)
        previous = event.time
    return header, events


def sizes(header: Header, events: list[Event]) -> Iterator[tuple[int, int]]:
    yield header.width, header.height
    for event in events:
        if event.code == "r":
            match = SIZE.fullmatch(event.data)
            assert match is not None  # checked when read
            yield int(match[1]), int(match[2])
