"""Tokens, cost and usage-limit pauses where people look: a tile's border, the run detail's
summary, the runs screen's line."""

from __future__ import annotations

import json
import time
from pathlib import Path

from rich.text import Text

from tests.support.environment import write_config
from tests.support.pilot import TileApp
from tui.screens.run_detail import summary_text
from tui.screens.runs import run_summary
from widgets.pane_tile import PaneTile, TileInfo
from widgets.run_list import RunList
from workflows.agents.hooks import record_event
from workflows.runs.detail import load_run_detail
from workflows.runs.records import take_runner_lock
from workflows.runs.run_agents import _table
from workflows.runs.run_store import RunStore
from workflows.runs.usage import agent_usage_texts, record_usage


def _plain(markup: object) -> str:
    return Text.from_markup(str(markup)).plain


async def test_a_tile_shows_its_agents_tokens_and_cost_beside_its_state() -> None:
    tile = PaneTile(TileInfo(pane_id="%7", name="r1-main", usage="12.3k tok $0.42"))
    async with TileApp(tile).run_test():
        assert _plain(tile.border_subtitle) == " ? 12.3k tok $0.42 "  # state unknown, usage
        tile.update_info(TileInfo(pane_id="%7", name="r1-main"))
        assert _plain(tile.border_subtitle) == " ? "


def _run_with_usage(tmp_path: Path) -> str:
    runs = RunStore()
    steps = [{"id": "implement", "prompt": "x"}, {"id": "review", "prompt": "y"}]
    run = runs.create("feedback", {"name": "feedback", "steps": steps}, ["ENG-1"], {})
    with _table(runs).store.transaction() as conn:
        conn.execute(
            "INSERT INTO run_agents (token, run_id, session, name, profile, pane_id, server_pid,"
            " server_started, socket_path, created_at) VALUES ('t1', ?, 's', ?, 'claude', '%1',"
            " 1, 1, '/sock', 0)",
            (run.id, f"{run.id}-main"),
        )
    transcript = tmp_path / "t.jsonl"
    record_event(
        runs.store, agent="main", kind="stop", payload={"transcript_path": str(transcript)},
        pane_id="%1", server="/sock,1",
    )  # fmt: skip
    for seq, (step, count) in enumerate((("implement", 1), ("review", 2))):
        usage = {"input_tokens": 1000, "output_tokens": 500}
        lines = [
            {"type": "assistant", "message": {"id": f"m{n}", "model": "claude-x", "usage": usage}}
            for n in range(count)
        ]
        transcript.write_text("".join(json.dumps(line) + "\n" for line in lines))
        record_usage(runs, run.id, seq, step, None)
    return run.id


async def test_the_run_detail_and_tiles_show_the_runs_tokens_and_cost(tmp_path: Path) -> None:
    write_config('[prices."claude-x"]\ninput = 10.0\noutput = 20.0\n')
    run_id = _run_with_usage(tmp_path)
    text = summary_text(load_run_detail(run_id), time.time()).plain
    assert "usage 3.0k tok $0.04  (implement 1.5k tok $0.02 · review 1.5k tok $0.02)" in text
    assert agent_usage_texts(RunStore().store, [run_id]) == {f"{run_id}-main": "3.0k tok $0.04"}


def test_a_paused_run_reads_paused_until_and_why_without_asking_anyone() -> None:
    runs = RunStore()
    run = runs.create("feedback", {"name": "feedback", "steps": []}, ["ENG-1"], {})
    runs.update(run.id, status="running")
    until = time.time() + 600
    why = "r1-main hit its usage limit (You've hit your session limit · resets 4am)"
    runs.update_context(run.id, paused_until=until, paused_reason=why)
    lock = take_runner_lock(run.id)  # a live runner: the run is really running
    try:
        summary = runs.get(run.id).summary()
    finally:
        assert lock is not None
        lock.close()
    clock = time.strftime("%H:%M", time.localtime(until))
    assert summary.status_text == f"paused until {clock}" and summary.attention is None
    line = run_summary(summary).plain
    assert f"paused until {clock}" in line and f"{why}; resumes by itself" in line
    assert "waiting for you" not in line
    assert RunList()._cells(summary)[4].plain == f"paused until {clock}"
