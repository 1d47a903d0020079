"""FollowedLog (a run's log tab and log screen): read off the UI loop, a long log opened at
its tail, characters split across two writes kept whole, a log that appears later."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult

from tests.support.pilot import until
from widgets.followed_log import TAIL_BYTES, FollowedLog


class LogApp(App[None]):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        yield FollowedLog(self.path, id="log")


def shown(app: LogApp) -> list[str]:
    return list(app.query_one(FollowedLog).lines)


async def test_a_long_log_opens_at_its_tail_and_follows(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    count = 3 * TAIL_BYTES // 40
    log.write_text("".join(f"line {n:08d} of a long-running run's log\n" for n in range(count)))
    app = LogApp(log)
    async with app.run_test() as pilot:
        await until(pilot, lambda: len(shown(app)) > 2, message="the log's tail")
        lines = shown(app)
        assert lines[0].startswith("(the first ") and str(log) in lines[0]
        assert lines[1].startswith("line ") and lines[1].endswith("log")  # a whole line
        assert lines[-2] == f"line {count - 1:08d} of a long-running run's log"
        assert len(lines) < count // 2  # not the whole file
        with log.open("ab") as handle:  # a character split across two writes
            handle.write("é the next one ".encode()[:1])
            handle.flush()
            await pilot.pause(1.5)
            handle.write("é the next one ".encode()[1:] + b"done\n")
        await until(pilot, lambda: "é the next one done" in shown(app), message="the new line")


async def test_a_log_that_appears_later_is_shown(tmp_path: Path) -> None:
    log = tmp_path / "later.log"
    app = LogApp(log)
    async with app.run_test() as pilot:
        await until(pilot, lambda: shown(app)[:1] == ["(no log yet)"], message="the placeholder")
        log.write_text("started\n")
        await until(pilot, lambda: "started" in shown(app), message="the log")
