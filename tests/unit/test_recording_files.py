"""asciicast v2 written and read (errors with file:line), the replay's filter and timing,
and the recordings' age and size limits."""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import pytest

from tests.support.environment import write_config
from workflows.base.errors import AgentTuiError
from workflows.runs.recording.asciicast import BadCast, CastWriter, Event, Header, read_cast
from workflows.runs.recording.files import RecordingLimits, prune, recordings_root
from workflows.runs.recording.replay import RESTORE, Timing, drawable, final_screen, play


def test_written_casts_read_back_and_a_second_writer_continues(tmp_path: Path) -> None:
    path = tmp_path / "a.cast"
    writer = CastWriter(path, Header(10, 3, 1000.0, "r1 main"))
    writer.output(1000.5, "hello\r\n")
    writer.resize(1001.0, 12, 4)
    writer.close()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    lines = path.read_text().splitlines()
    assert json.loads(lines[0]) == {
        "version": 2,
        "width": 10,
        "height": 3,
        "timestamp": 1000,
        "title": "r1 main",
    }
    assert json.loads(lines[1]) == [0.5, "o", "hello\r\n"]
    again = CastWriter(path, Header(99, 99, 5000.0))  # a resumed runner: same header
    again.output(1002.25, "world")
    again.marker(1003.0, "recording stopped: the size limit (1 MiB) was reached")
    again.close()
    assert again.size == path.stat().st_size
    header, events = read_cast(path)
    assert (header.width, header.height, header.timestamp) == (10, 3, 1000.0)
    assert events == [
        Event(0.5, "o", "hello\r\n"),
        Event(1.0, "r", "12x4"),
        Event(2.25, "o", "world"),
        Event(3.0, "m", "recording stopped: the size limit (1 MiB) was reached"),
    ]
    assert final_screen(header, events)[:2] == ["hello", "world"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json\n", "1: not a JSON header"),
        ('{"version": 1, "width": 80, "height": 24}\n', "1: not an asciicast v2 header"),
        ('{"version": 2, "width": 0, "height": 24}\n', "1: width and height must be positive"),
        ('{"version": 2, "width": 8, "height": 2}\n[1, "o"]\n[2, "o", "x"]\n', "2: not an event"),
        ('{"version": 2, "width": 8, "height": 2}\n[1, "z", "x"]\n', "2: not an event"),
        ('{"version": 2, "width": 8, "height": 2}\n[2, "o", "x"]\n[1, "o", "y"]\n', "3: time 1.0"),
        ('{"version": 2, "width": 8, "height": 2}\n[1, "r", "big"]\n', "2: a resize must read"),
        ('{"version": 2, "width": 8, "height": 2}\n{x\n[1, "o", "y"]\n', "2: not JSON"),
    ],
)
def test_what_is_not_asciicast_v2_is_named_with_its_line(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "bad.cast"
    path.write_text(text)
    with pytest.raises(BadCast) as refused:
        read_cast(path)
    assert str(refused.value).startswith(f"{path}:{problem}")


def test_a_last_line_torn_by_a_killed_recorder_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "torn.cast"
    path.write_text('{"version": 2, "width": 8, "height": 2}\n[1, "o", "x"]\n[2, "o", "y')
    assert read_cast(path)[1] == [Event(1.0, "o", "x")]


def test_the_replay_passes_only_what_draws() -> None:
    kept = "\x1b[1;31mred\x1b[0m \x1b[5;7H\x1b[2Kok ✓"
    assert drawable(kept) == kept
    acting = (
        "a\x1b]52;c;cm0gLXJmIH4=\x07"  # OSC 52: sets the clipboard
        "b\x1b]0;title\x1b\\"  # a window title
        "c\x1bPq#0;2;0;0;0\x1b\\"  # DCS (sixel)
        "d\x1b[6n\x1b[c\x1b[>c\x1b[21t\x1b[?2026$p"  # queries answered into the input
        "e\x1b[?1049hf\x1b[?1049l"  # alternate screen
        "g\x1b[>0q"  # the terminal's version, answered into the input
        "h\x1b[>1u\x1b[=5;1u\x1b[?u\x1b[<u\x1b[>4;2m"  # keyboard modes (kitty, modifyOtherKeys)
        "i\x1b]8;;http://x\x07"  # a hyperlink left open at the end
    )
    assert drawable(acting) == "abcdefghi"


def test_timing_cuts_idle_and_applies_the_speed() -> None:
    events = [Event(0.5, "o", "a"), Event(10.5, "o", "b"), Event(11.0, "r", "9x9")]
    pauses = [pause for pause, _ in Timing(speed=2, idle_limit=2).delays(events)]
    assert pauses == [0.25, 1.0, 0.25]
    assert [p for p, _ in Timing(idle_limit=None).delays(events)] == [0.5, 10.0, 0.5]
    slept: list[float] = []
    out = io.StringIO()
    play(Header(9, 9, 0), events, out, timing=Timing(speed=2, idle_limit=2), sleep=slept.append)
    assert slept == [0.25, 1.0]
    assert out.getvalue() == "ab" + RESTORE


def test_prune_keeps_the_limits_oldest_first(tmp_path: Path) -> None:
    root = recordings_root()
    now = time.time()
    for name, age_days, size in (("old", 40, 10), ("mid", 5, 600), ("new", 1, 600), ("cur", 0, 5)):
        folder = root / name
        folder.mkdir(parents=True)
        cast = folder / "a.cast"
        cast.write_bytes(b"x" * size)
        os.utime(cast, (now - age_days * 86400, now - age_days * 86400))
    limits = RecordingLimits(keep_s=30 * 86400, max_total_bytes=1000)
    assert prune(limits, keep="cur", now=now) == ["old", "mid"]
    assert sorted(path.name for path in root.iterdir()) == ["cur", "new"]


def test_the_readmes_recordings_table_is_read_as_the_defaults() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = [part.split("```", 1)[0] for part in readme.split("```toml\n")[1:]]
    block = next(block for block in blocks if block.startswith("[recordings]"))
    write_config(block)
    assert RecordingLimits.from_config() == RecordingLimits()
    write_config("[recordings]\nmax_mb = 0.5\nkeep_day = 3\n")
    with pytest.raises(AgentTuiError, match="keep_day"):
        RecordingLimits.from_config()
