"""Tokens and cost of a run with the real Claude Code and Codex CLIs (jailed, offline) against
the scripted model servers: what agenttui reads from the agents' own transcripts equals what
the servers reported, summed per run, per model and per step (figures differ per response,
so a response missed or counted twice shows)."""

from __future__ import annotations

import json
import threading

import pytest

from tests.e2e.agents import (
    CLAUDE_IMPLEMENTS_CODEX_REVIEWS,
    jailed_claude_profile,
    jailed_codex_profile,
)
from tests.e2e.model_server import AnthropicServer, OpenAIServer, Reply, write
from tests.support.cli import agenttui, agenttui_result
from tests.support.environment import write_config
from tests.support.git_repos import Project, issue_worktree
from tests.support.github_server import GitHubServer
from tests.support.linear_server import LinearServer
from tests.support.runs import start_run, wait_for_end
from workflows.agents.transcripts import Tokens
from workflows.base.store import Store
from workflows.runs.usage import grouped, usage_rows

pytestmark = pytest.mark.e2e


PRICES = """
[prices."claude-*"]
input = 3.0
output = 15.0
cache_read = 0.3
cache_write = 3.75

[prices."gpt-e2e"]
input = 1.25
output = 10.0
cache_read = 0.125

[cost]
pull_request = true
linear_comment = true
"""
REPORT = """
[[steps]]
id = "report"
kind = "linear"
comment = "Pull request: {pr_url}"
"""


@pytest.mark.usefixtures("tmux_server")
def test_token_figures_of_a_claude_and_codex_run_equal_what_the_model_servers_reported(
    linear_server: LinearServer,
    github: GitHubServer,
    project: Project,
    anthropic: AnthropicServer,
    openai: OpenAIServer,
) -> None:
    tmp_path = project.repo.parent
    worktree = issue_worktree(project, linear_server.workspace.find_issue("ENG-3")["branchName"])
    notes = worktree / ".agenttui"
    review = notes / "review.md"
    anthropic.script(
        write(worktree / "feature.txt", "fix\n"),
        Reply.tool("Write", {"file_path": str(notes / "implement.md"), "content": "Added.\n"},
                   text="Writing the summary."),  # text + tool in one message: counted once
        Reply.text("Implemented."),
        write(notes / "implement.md", "Added the test.\n"),
        Reply.text("Fixed."),
    )  # fmt: skip
    openai.script(
        Reply.exec(f"printf 'No test.\\nVERDICT: FAIL\\n' > {review}", escalated=False),
        Reply.text("Review written."),
        Reply.exec(f"printf 'Good.\\nVERDICT: PASS\\n' > {review}", escalated=False),
        Reply.text("Review written again."),
    )
    jailed_claude_profile(anthropic, tmp_path / "claude-home", worktree)
    jailed_codex_profile(openai, tmp_path / "codex-home", worktree)
    write_config(PRICES)
    definition = tmp_path / "usage.toml"
    definition.write_text(CLAUDE_IMPLEMENTS_CODEX_REVIEWS + REPORT)
    run_id = start_run(
        str(definition), "--issues", "ENG-3", "--repo", str(project.repo), "--source", "linear",
        "--github-repo", "acme/widgets",
    )  # fmt: skip
    summary = wait_for_end(run_id, timeout=280)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    assert len(anthropic.turns()) == 5 and len(openai.turns()) == 4

    claude, codex = anthropic.usage(turn=True), openai.usage(turn=True)
    assert anthropic.usage(turn=False) == Tokens()  # Claude made no side request
    # Codex titles the thread with one request in a throwaway thread: no session file holds
    # it, so it is not in the run's figures (it was reported, and is told apart here).
    assert openai.usage(turn=False) != Tokens()

    rows = usage_rows(Store(), [run_id])
    models = {row.model for row in rows}
    (claude_model,) = models - {"gpt-e2e"}
    by_model = grouped(rows, "model")
    assert by_model[claude_model].tokens == claude
    assert by_model["gpt-e2e"].tokens == codex
    # Per step: Claude's tokens in the implement attempts, Codex's in the reviews.
    by_step = grouped(rows, "step_id")
    assert by_step["implement"].tokens == claude
    assert by_step["review"].tokens == codex
    assert {row.seq for row in rows if row.step_id == "implement"} == {0, 2}  # two rounds

    # The run's line in `agenttui runs --json`: the sum, and its cost from the config's table.
    usage = summary["usage"]
    both = claude + codex
    assert {k: usage[k] for k in both.as_json()} == both.as_json()
    cost = (
        claude.input * 3.0 + claude.output * 15.0 + claude.cache_read * 0.3
        + claude.cache_write * 3.75
        + codex.input * 1.25 + codex.output * 10.0 + codex.cache_read * 0.125
        + codex.cache_write * 1.25
    ) / 1_000_000  # fmt: skip
    assert usage["cost_usd"] == pytest.approx(cost, abs=1e-6)  # cost_usd: whole micro-dollars

    # Config asked for the figures in the pull request and the Linear comment.
    note = (
        f"agenttui: this run used {both.total:,} tokens so far (input {both.input:,}, output "
        f"{both.output:,}, cache read {both.cache_read:,}, cache write {both.cache_write:,}), "
        f"cost ${cost:.2f}."
    )
    (pull,) = github.pulls
    assert note in pull["body"]
    (comment,) = linear_server.workspace.comments_on("ENG-3")
    assert comment.startswith(f"Pull request: {pull['html_url']}") and note in comment

    report = json.loads(agenttui("cost", "--by", "issue", "--json").stdout)
    (group,) = report["groups"]
    assert group["key"] == "ENG-3" and group["runs"] == [run_id]
    assert group["cost_usd"] == pytest.approx(cost, abs=1e-6)  # cost_usd: whole micro-dollars
    shown = agenttui("cost").stdout
    assert run_id in shown and f"${cost:,.4f}" in shown
    print(f"\n$ agenttui cost\n{shown}\n$ agenttui cost --by workflow")
    print(agenttui("cost", "--by", "workflow").stdout)
    print(f"model servers reported: claude {claude}, codex {codex}")


TWO_STEPS = """
name = "two-steps"
agent = "e2eclaude"

[[steps]]
id = "first"
prompt = "First step."
output = ".agenttui/first.md"

[[steps]]
id = "second"
prompt = "Second step."
output = ".agenttui/second.md"
"""
EXPENSIVE = """
[prices."claude-*"]
input = 1000.0
output = 1000.0
cache_read = 1000.0
cache_write = 1000.0
"""


@pytest.mark.usefixtures("tmux_server", "github")
def test_a_run_stops_at_its_budget_and_nothing_starts_once_the_days_is_spent(
    linear_server: LinearServer, project: Project, anthropic: AnthropicServer
) -> None:
    tmp_path = project.repo.parent
    worktree = issue_worktree(project, linear_server.workspace.find_issue("ENG-1")["branchName"])
    anthropic.script(write(worktree / ".agenttui" / "first.md", "done\n"), Reply.text("ok"))
    jailed_claude_profile(anthropic, tmp_path / "claude-home", worktree)
    write_config(EXPENSIVE + "\n[budget]\nmax_cost_per_run = 0.5\n")
    definition = tmp_path / "two.toml"
    definition.write_text(TWO_STEPS)
    args = (str(definition), "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear")
    run_id = start_run(*args)
    summary = wait_for_end(run_id, timeout=200)
    # The first step's two responses: 213 + 646 tokens at $1000 per million.
    spent = anthropic.usage(turn=True).total / 1000
    assert spent == pytest.approx(0.859)
    assert summary["status"] == "failed"
    assert summary["error"] == (
        f"step 'first': budget reached: run {run_id} cost ${spent:.2f}, reaching [budget] "
        "max_cost_per_run $0.50"
    )
    (prompt,) = anthropic.prompts()  # the second step never started
    assert "First step." in prompt
    assert f"stopped: run {run_id} cost ${spent:.2f}" in agenttui("log", run_id).stdout

    write_config(EXPENSIVE + "\n[budget]\nmax_cost_per_day = 0.5\n")
    refused = agenttui_result("run", *args)
    assert refused.returncode == 2, refused.stderr
    assert (
        f"no run started: today's spending ${spent:.2f} reached [budget] max_cost_per_day "
        "$0.50; new runs start again tomorrow"
    ) in refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.mark.usefixtures("tmux_server", "github")
def test_a_budget_reached_mid_turn_interrupts_the_working_agent(
    linear_server: LinearServer, project: Project, anthropic: AnthropicServer
) -> None:
    tmp_path = project.repo.parent
    worktree = issue_worktree(project, linear_server.workspace.find_issue("ENG-1")["branchName"])
    hold = threading.Event()
    anthropic.script(
        write(worktree / "notes.txt", "first part\n"),  # 213 tokens: $0.21 at these prices
        Reply.streaming("Still thinking, marker-b7", hold),  # the turn goes on...
    )
    jailed_claude_profile(anthropic, tmp_path / "claude-home", worktree)
    write_config(EXPENSIVE + "\n[budget]\nmax_cost_per_run = 0.1\ncheck_every_s = 2\n")
    definition = tmp_path / "two.toml"
    definition.write_text(TWO_STEPS)
    try:
        run_id = start_run(
            str(definition), "--issues", "ENG-1", "--repo", str(project.repo), "--source",
            "linear",
        )  # fmt: skip
        summary = wait_for_end(run_id, timeout=200)
        assert not hold.is_set()  # ...and was cut short: the budget stopped it mid-turn
    finally:
        hold.set()
    assert summary["status"] == "failed"
    assert summary["error"] == (
        f"step 'first': budget reached: run {run_id} cost $0.21, reaching [budget] "
        "max_cost_per_run $0.10"
    )
    # Interrupted (by the budget, before or while its held reply streamed): not working, and
    # spending, any more; without the interrupt it would stream until the hold was released.
    agent = json.loads(agenttui("read", f"{run_id}-main", "--json").stdout)
    assert agent["state"] == "idle", agent
    assert "budget" in agenttui("log", run_id).stdout
