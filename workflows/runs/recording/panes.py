"""The panes of a run, as recording needs them: which are the run's (tmux's
``@agenttui_run``), and each one's screen captured in the batch that opens its new
``pipe-pane -O`` (``open_pipes``) — here (``recorder``) and on a host (``host_recorder``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from workflows.base.errors import AgentTuiError
from workflows.runs.recording.asciicast import CastWriter, Header
from workflows.runs.recording.files import RecordingLimits, cast_path
from workflows.tmux.driver import NoSession, TmuxDriver

BATCH_TIMEOUT_S = 5.0
BATCH_PANE_S = 0.2
SIZE_FORMAT = "#{pane_width} #{pane_height} #{cursor_x} #{cursor_y} #{alternate_on}"
FIELD_SEP = "\x1f"
PANE_FIELDS = ("pane_id", "pane_dead", "pane_width", "pane_height", "@agenttui_run")
PANE_FORMAT = FIELD_SEP.join(f"#{{{field}}}" for field in (*PANE_FIELDS, "@agenttui_name"))
"""Only what recording needs; the name last: a line splits no further, whatever it holds."""
Report = Callable[[str, str], None]  # (pane id, message) for the run's log
Opened = tuple[tuple[int, int], str]  # a pane's size and screen as its new pipe opened


@dataclass(frozen=True)
class _Pane:
    pane_id: str
    dead: bool
    size: tuple[int, int]
    run_id: str
    name: str

    @classmethod
    def parse(cls, line: str) -> _Pane | None:
        parts = line.split(FIELD_SEP, len(PANE_FIELDS))
        if len(parts) != len(PANE_FIELDS) + 1 or not parts[0].startswith("%"):
            return None
        pane_id, dead, width, height, run_id, name = parts
        if not (width.isdigit() and height.isdigit()):
            return None
        return cls(pane_id, dead == "1", (int(width), int(height)), run_id, name)


def snapshot(lines: list[str], cursor: tuple[int, int], alternate: bool) -> str:
    """The text that draws a captured screen on a blank terminal, cursor included."""
    out = ["\x1b[?1049h" if alternate else "", "\x1b[0m\x1b[H\x1b[2J"]
    for row, line in enumerate(lines):
        if line:
            out.append(f"\x1b[{row + 1};1H{line}\x1b[0m")
    out.append(f"\x1b[{cursor[1] + 1};{cursor[0] + 1}H")
    return "".join(out)


def run_panes(driver: TmuxDriver) -> list[_Pane]:
    """The session's panes, with only what recording needs: the driver's full listing
    has tmux read each pane's /proc (command, directory), every second, for nothing."""
    try:
        lines = driver.command("list-panes", "-s", "-t", f"={driver.session}", "-F", PANE_FORMAT)
    except NoSession:
        return []
    return [pane for line in lines if (pane := _Pane.parse(line)) is not None]


def open_pipes(driver: TmuxDriver, pipes: list[tuple[str, str]]) -> list[Opened | AgentTuiError]:
    """Each pane's screen and a new ``pipe-pane -O`` into its command (pane id, shell
    command), in one batch for them all: tmux runs a batch's commands back to back, reading
    no pane in between, so each stream starts where its snapshot ends (a new pipe closes the
    pane's previous one). Per pane, its size and screen or what failed."""
    commands: list[list[str]] = []
    for pane_id, command in pipes:
        commands += [
            ["display-message", "-p", "-t", pane_id, SIZE_FORMAT],
            ["capture-pane", "-p", "-e", "-t", pane_id],
            ["pipe-pane", "-O", "-t", pane_id, command],
        ]
    timeout = BATCH_TIMEOUT_S + BATCH_PANE_S * len(pipes)  # tmux starts a helper each
    replies = driver.control().command_batch(commands, timeout=timeout)
    results: list[Opened | AgentTuiError] = []
    for index in range(0, len(replies), 3):
        shape, lines, piped = replies[index : index + 3]
        failed = [reply for reply in (shape, lines, piped) if isinstance(reply, AgentTuiError)]
        if failed:
            results.append(failed[0])
            continue
        assert isinstance(shape, list) and isinstance(lines, list)
        width, height, x, y, alternate = (int(word) for word in shape[0].split())
        results.append(((width, height), snapshot(lines[:height], (x, y), alternate == 1)))
    return results


class PaneRecorder:
    """What a recorder of a run's panes is given, here or on a host: the run, the panes
    it leaves out (its runner's), the limits, where it reports, its clock."""

    def __init__(
        self,
        run_id: str,
        *,
        skip: frozenset[str] = frozenset(),
        limits: RecordingLimits | None = None,
        report: Report | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.run_id = run_id
        self.skip = skip
        self.limits = limits or RecordingLimits.from_config()
        self.report = report or (lambda _pane, _text: None)
        self.clock = clock

    def ours(self, pane: _Pane) -> bool:
        return pane.run_id == self.run_id and pane.name not in self.skip

    def begin_cast(self, name: str, size: tuple[int, int], screen: str) -> CastWriter:
        """The agent's recording (a new file, or an earlier runner's continued), starting
        with the screen its new pipe opened on."""
        now = self.clock()
        header = Header(size[0], size[1], float(int(now)), f"{self.run_id} {name}")
        writer = CastWriter(cast_path(self.run_id, name), header)
        if (writer.header.width, writer.header.height) != size:
            writer.resize(now, *size)  # an earlier runner's file, at another size
        writer.output(now, screen)
        return writer
