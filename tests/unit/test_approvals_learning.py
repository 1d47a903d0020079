"""Learning from "always": the shown rule is exactly the saved rule; audit and stats."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from workflows.approvals import decide, learn, record_person, save_learned
from workflows.approvals.audit import entries, redact, stats
from workflows.approvals.policy import learned_policy_file
from workflows.approvals.rules import parse_rule
from workflows.base.store import Store

GENERALISATIONS: list[tuple[str, dict[str, Any], str]] = [
    ("Bash", {"command": 'git commit -m "x"'}, "Bash(git commit:*)"),
    ("Bash", {"command": "git status"}, "Bash(git status:*)"),
    ("Bash", {"command": "npm run test -- -k x"}, "Bash(npm run test:*)"),
    ("Bash", {"command": "python -m pytest -q tests"}, "Bash(python -m pytest:*)"),
    ("Bash", {"command": "uv run pytest -q"}, "Bash(uv run pytest:*)"),
    ("Bash", {"command": "ls -la"}, "Bash(ls:*)"),
    ("Bash", {"command": "make test"}, "Bash(make test:*)"),
    ("Bash", {"command": "npx prettier --write ."}, "Bash(npx prettier:*)"),
    # never a rule that could cover a deny-list case
    ("Bash", {"command": "rm build/x.o"}, "Bash(rm build/x.o)"),
    ("Bash", {"command": "rm -rf build"}, "Bash(rm -rf build)"),
    ("Bash", {"command": "git push origin feature"}, "Bash(git push origin feature)"),
    ("Bash", {"command": "git -C sub push"}, "Bash(git -C sub push)"),
    ("Bash", {"command": "sudo apt install jq"}, "Bash(sudo apt install jq)"),
    ("Bash", {"command": "bash scripts/setup.sh"}, "Bash(bash scripts/setup.sh:*)"),
    ("Bash", {"command": "curl -s https://example.com"}, "Bash(curl -s https://example.com)"),
    ("Bash", {"command": "xargs grep foo"}, "Bash(xargs grep foo)"),
    ("Bash", {"command": "cat README.md"}, "Bash(cat README.md)"),
    ("Bash", {"command": "python script.py"}, "Bash(python script.py:*)"),
    # interpreters never learn a bare prefix (it would cover -c/-e/-r/eval CODE)
    ("Bash", {"command": "node build.js"}, "Bash(node build.js:*)"),
    ("Bash", {"command": "ruby x.rb"}, "Bash(ruby x.rb:*)"),
    ("Bash", {"command": "php x.php"}, "Bash(php x.php:*)"),
    ("Bash", {"command": "deno run x.ts"}, "Bash(deno run:*)"),
    # runners of a command string (script -c, flock -c) are learned exactly
    ("Bash", {"command": "script -q log"}, "Bash(script -q log)"),
    ("Bash", {"command": "flock /tmp/l make"}, "Bash(flock /tmp/l make)"),
    ("Bash", {"command": "find . -name x"}, "Bash(find . -name x)"),
    ("Bash", {"command": "ls && make"}, "Bash(ls && make)"),
    ("Bash", {"command": "echo hi > out.txt"}, "Bash(echo hi > out.txt)"),
    # files, domains, tools
    ("Edit", {"file_path": "{wt}/src/pkg/mod.py"}, "Edit(src/**)"),
    ("Write", {"file_path": "{wt}/README.md"}, "Edit(/README.md)"),
    ("Edit", {"file_path": "{wt}/.github/workflows/ci.yml"}, "Edit(/.github/workflows/ci.yml)"),
    ("Read", {"file_path": "{wt}/docs/a/b.md"}, "Read(docs/**)"),
    ("Read", {"file_path": "/etc/hosts"}, "Read(//etc/hosts)"),
    ("WebFetch", {"url": "https://docs.python.org/3/"}, "WebFetch(domain:docs.python.org)"),
    ("WebSearch", {"query": "textual"}, "WebSearch"),
]


@pytest.fixture
def worktree(tmp_path: Path) -> Path:
    root = tmp_path / "wt"
    (root / "src").mkdir(parents=True)
    return root


def _fill(tool_input: dict[str, Any], worktree: Path) -> dict[str, Any]:
    return {k: v.replace("{wt}", str(worktree)) for k, v in tool_input.items()}


@pytest.mark.parametrize(
    ("tool", "tool_input", "rule"),
    GENERALISATIONS,
    ids=[f"{t}:{i}" for t, i, _r in GENERALISATIONS],
)
def test_generalisation(worktree: Path, tool: str, tool_input: dict[str, Any], rule: str) -> None:
    proposal = learn(tool, _fill(tool_input, worktree), worktree)
    assert proposal.rule == rule
    assert proposal.why


SAVED = GENERALISATIONS[:3] + GENERALISATIONS[21:24]


@pytest.mark.parametrize(("tool", "tool_input", "rule"), SAVED)
def test_learning_adds_exactly_the_shown_rule(
    worktree: Path, tool: str, tool_input: dict[str, Any], rule: str
) -> None:
    tool_input = _fill(tool_input, worktree)
    assert decide(tool, tool_input, worktree, "a", project=worktree).behavior == "ask"
    shown = learn(tool, tool_input, worktree, scope="global")
    before = learned_policy_file().read_text() if learned_policy_file().exists() else ""
    assert before == ""  # showing saves nothing
    save_learned(shown, agent="claude-1")
    saved = tomllib.loads(learned_policy_file().read_text())["rules"]
    assert [(entry["rule"], entry["behavior"], entry["project"]) for entry in saved] == [
        (shown.rule, "allow", "")
    ]
    assert saved[0]["agent"] == "claude-1"
    save_learned(shown)  # saving again adds nothing
    assert len(tomllib.loads(learned_policy_file().read_text())["rules"]) == 1
    decision = decide(tool, tool_input, worktree, "a", project=worktree)
    assert (decision.behavior, decision.decided_by) == ("allow", f"rule:{rule}")
    assert parse_rule(rule)


def test_project_scoped_learning_stays_in_its_project(worktree: Path, tmp_path: Path) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", str(worktree)], check=True)
    proposal = learn("Bash", {"command": "make lint"}, worktree)
    assert proposal.project == str(worktree.resolve())
    save_learned(proposal)
    assert decide("Bash", {"command": "make lint"}, worktree, "a").behavior == "allow"
    other = tmp_path / "other"
    other.mkdir()
    subprocess.run(["git", "init", "-q", str(other)], check=True)
    assert decide("Bash", {"command": "make lint"}, other, "a").behavior == "ask"


def test_learned_rules_never_override_a_hand_written_deny(worktree: Path) -> None:
    from workflows.base.paths import config_dir

    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "policy.toml").write_text('deny = ["Bash(git commit --no-verify:*)"]\n')
    save_learned(learn("Bash", {"command": "git commit -m x"}, worktree, scope="global"))
    decision = decide(
        "Bash", {"command": "git commit --no-verify -m x"}, worktree, "a", project=worktree
    )
    assert decision.behavior == "deny"


def test_audit_entries_are_complete_and_redacted(worktree: Path) -> None:
    store = Store()
    command = "curl -H 'Authorization: Bearer lin_api_SECRET123' https://api.linear.app"
    decide("Bash", {"command": command}, worktree, "claude-7", project=worktree, store=store)
    record_person("Bash", {"command": command}, worktree, "claude-7", "allow", store=store)
    first, second = reversed(entries(store))
    assert "SECRET123" not in first.summary and "[redacted]" in first.summary
    for entry in (first, second):
        assert entry.at > 0 and entry.agent == "claude-7" and entry.tool == "Bash"
        assert entry.cwd == str(worktree)
    assert (first.decision, first.decided_by) == ("ask", "default")
    assert (second.decision, second.decided_by) == ("allow", "person")


def test_redact_known_secret_shapes() -> None:
    for secret in ("lin_api_abcDEF123", "ghp_" + "a" * 36, "sk-ant-abcdefghijklmnop1234"):
        assert secret not in redact(f"tool --flag {secret} x")
    assert redact("LINEAR_API_KEY=abc123 make") == "LINEAR_API_KEY=[redacted] make"
    assert redact("git commit -m 'fix key handling'") == "git commit -m 'fix key handling'"


def test_stats_share_of_person_decisions(worktree: Path) -> None:
    from workflows.base.paths import config_dir

    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "policy.toml").write_text('allow = ["Bash(ls:*)"]\n')
    store = Store()
    for command in ("ls", "ls -la", "ls src"):
        decide("Bash", {"command": command}, worktree, "a", project=worktree, store=store)
    decide("Bash", {"command": "make"}, worktree, "a", project=worktree, store=store)
    record_person("Bash", {"command": "make"}, worktree, "a", "allow", store=store)
    [period] = stats(store)
    assert (period["by_rule"], period["by_person"], period["asked"]) == (3, 1, 1)
    assert period["person_share"] == 0.25
