"""Tokens from the agents' transcripts, the price table, and their accounting per attempt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.environment import write_config
from workflows.agents.hooks import record_event
from workflows.agents.prices import price_for
from workflows.agents.transcripts import Tokens, claude_usage, codex_usage
from workflows.base.config import ConfigError
from workflows.runs.cost_report import cost_report, format_cost
from workflows.runs.run_agents import _table
from workflows.runs.run_store import RunStore
from workflows.runs.usage import grouped, record_usage, run_usage, usage_rows


def _jsonl(path: Path, items: list[dict[str, Any]], tail: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(item) + "\n" for item in items) + tail, encoding="utf-8")
    return path


def _claude_message(mid: str, model: str, usage: dict[str, int], block: str) -> dict[str, Any]:
    return {
        "type": "assistant",
        "message": {"id": mid, "model": model, "content": [{"type": block}], "usage": usage},
    }


def test_claude_counts_each_message_once_at_its_final_figures(tmp_path: Path) -> None:
    first = {"input_tokens": 10, "output_tokens": 1, "cache_read_input_tokens": 100}
    final = {**first, "output_tokens": 40, "cache_creation_input_tokens": 7}
    path = _jsonl(
        tmp_path / "s.jsonl",
        [
            {"type": "user", "message": {"content": "hi"}},
            _claude_message("m1", "claude-a", first, "text"),
            _claude_message("m1", "claude-a", final, "tool_use"),  # same message, next block
            _claude_message("m2", "claude-b", {"input_tokens": 5, "output_tokens": 6}, "text"),
        ],
        tail='{"type": "assistant", "message": {"id": "m3", "usa',  # being written
    )
    assert claude_usage(path) == {
        "claude-a": Tokens(input=10, output=40, cache_read=100, cache_write=7),
        "claude-b": Tokens(input=5, output=6),
    }
    assert claude_usage(tmp_path / "missing.jsonl") == {}


def _codex_usage(inp: int, cached: int, written: int, out: int) -> dict[str, int]:
    return {
        "input_tokens": inp,
        "cached_input_tokens": cached,
        "cache_write_input_tokens": written,
        "output_tokens": out,
    }


def test_codex_counts_each_response_once_under_its_turns_model(tmp_path: Path) -> None:
    def record(response: str, usage: dict[str, int]) -> dict[str, Any]:
        return {"type": "token_usage_record", "payload": {"response_id": response, "usage": usage}}

    path = _jsonl(
        tmp_path / "rollout.jsonl",
        [
            {"type": "turn_context", "payload": {"model": "gpt-a"}},
            record("r1", _codex_usage(100, 30, 10, 5)),
            record("r1", _codex_usage(100, 30, 10, 5)),  # written twice: one response
            {"type": "turn_context", "payload": {"model": "gpt-b"}},
            record("r2", _codex_usage(50, 0, 0, 9)),
        ],
    )
    # input_tokens holds the cached ones: input is what neither read nor wrote the cache.
    assert codex_usage(path) == {
        "gpt-a": Tokens(input=60, output=5, cache_read=30, cache_write=10),
        "gpt-b": Tokens(input=50, output=9),
    }


def test_codex_without_per_response_records_takes_the_threads_running_total(
    tmp_path: Path,
) -> None:
    def count(total: dict[str, int]) -> dict[str, Any]:
        info = {"total_token_usage": total, "last_token_usage": total}
        return {"type": "event_msg", "payload": {"type": "token_count", "info": info}}

    path = _jsonl(
        tmp_path / "rollout.jsonl",
        [
            {"type": "turn_context", "payload": {"model": "gpt-a"}},
            count(_codex_usage(100, 30, 0, 5)),
            count(_codex_usage(300, 80, 0, 15)),
            {"type": "event_msg", "payload": {"type": "token_count", "info": None}},
        ],
    )
    assert codex_usage(path) == {"gpt-a": Tokens(input=220, output=15, cache_read=80)}


def test_config_prices_come_first_and_a_bad_table_is_named() -> None:
    builtin = price_for("claude-sonnet-4-5-20250929")
    assert builtin is not None and builtin.input == 3.0
    assert price_for("my-local-model") is None
    write_config('[prices."claude-sonnet-*"]\ninput = 1.0\noutput = 2.0\n')
    configured = price_for("claude-sonnet-4-5-20250929")
    assert configured is not None
    assert (configured.input, configured.output, configured.cache_read) == (1.0, 2.0, 1.0)
    write_config('[prices."x"]\ninput = 1.0\n')
    with pytest.raises(ConfigError, match=r"config.toml.*\[prices.x\] needs output"):
        price_for("x")
    write_config('[prices."x"]\ninput = 1.0\noutput = "cheap"\n')
    with pytest.raises(ConfigError, match=r"config.toml:3: .*output must be a number"):
        price_for("x")


def _agent(runs: RunStore, run_id: str, name: str, pane: str) -> str:
    token = f"tok-{name}"
    with _table(runs).store.transaction() as conn:
        conn.execute(
            "INSERT INTO run_agents (token, run_id, session, name, profile, pane_id, server_pid,"
            " server_started, socket_path, created_at) VALUES (?, ?, 's', ?, 'claude', ?, 1, 1,"
            " '/sock', 0)",
            (token, run_id, name, pane),
        )
    return token


def test_each_attempt_records_what_grew_since_the_others(tmp_path: Path) -> None:
    runs = RunStore()
    run = runs.create("feedback", {"steps": []}, ["ENG-1", "ENG-2"], {"repo": "/r"})
    _agent(runs, run.id, "main", "%1")
    transcript = tmp_path / "claude" / "s1.jsonl"
    # The agent's hook names its transcript (as Claude Code's do, in every payload).
    record_event(
        runs.store,
        agent="main",
        kind="session_start",
        payload={"transcript_path": str(transcript)},
        pane_id="%1",
        server="/sock,1",
    )
    messages = [_claude_message("m1", "claude-x", {"input_tokens": 10, "output_tokens": 2}, "t")]
    _jsonl(transcript, messages)
    record_usage(runs, run.id, 0, "implement", None)
    record_usage(runs, run.id, 0, "implement", None)  # read again: nothing counted twice
    messages.append(_claude_message("m2", "claude-x", {"input_tokens": 5, "output_tokens": 3}, "t"))
    _jsonl(transcript, messages)
    record_usage(runs, run.id, 1, "review", None)

    rows = usage_rows(runs.store, [run.id])
    steps = grouped(rows, "step_id")
    assert steps["implement"].tokens == Tokens(input=10, output=2)
    assert steps["review"].tokens == Tokens(input=5, output=3)
    usage = run_usage(runs.store, run.id)
    assert usage.tokens == Tokens(input=15, output=5)
    assert usage.cost is None and usage.unpriced == ["claude-x"]  # no price: unknown, not $0

    report = cost_report(runs.store, by="issue")
    assert [group["key"] for group in report["groups"]] == ["ENG-1,ENG-2"]
    assert report["total"]["cost_usd"] is None
    shown = format_cost(report)
    assert "ENG-1,ENG-2" in shown and "?" in shown and 'add [prices."MODEL"]' in shown
    by_step = cost_report(runs.store, by="step")["groups"]
    assert [(g["key"], g["input"]) for g in by_step] == [
        (f"{run.id} implement", 10),
        (f"{run.id} review", 5),
    ]
    assert [g["key"] for g in cost_report(runs.store, by="agent")["groups"]] == ["main"]
    write_config('[prices."claude-x"]\ninput = 1000000\noutput = 2000000\n')
    assert run_usage(runs.store, run.id).cost == pytest.approx(15 + 10)
