"""Approval policy: rule matching table, evaluation order, files, errors naming file:line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workflows.approvals import decide
from workflows.approvals.rules import RuleError, parse_rule
from workflows.base.errors import AgentTuiError
from workflows.base.paths import config_dir
from workflows.base.store import Store

POLICY = """
allow = [
    "Bash(git commit:*)",
    "Bash(npm run test)",
    "Bash(npm run lint *)",
    "Bash(ls:*)",
    "Bash(git status)",
    "Bash(echo:*)",
    "Edit(src/**)",
    "Edit(/README.md)",
    "Read",
    "WebFetch(domain:docs.python.org)",
    "WebFetch(domain:*.example.com)",
    "mcp__linear",
    "Glob",
]
ask = ["Bash(git commit --amend:*)", "Edit(src/secrets/**)"]
deny = ["Bash(npm publish:*)", "WebFetch(domain:evil.example.com)", "Edit(**/*.lock)"]
"""


@pytest.fixture
def worktree(tmp_path: Path) -> Path:
    root = tmp_path / "wt"
    (root / "src").mkdir(parents=True)
    (config_dir()).mkdir(parents=True, exist_ok=True)
    (config_dir() / "policy.toml").write_text(POLICY)
    return root


def bash(command: str) -> tuple[str, dict[str, Any]]:
    return "Bash", {"command": command}


CASES = [
    # Bash prefix rules: word boundary, any arguments.
    (bash("git commit -m 'fix: x'"), "allow", "rule:Bash(git commit:*)"),
    (bash('git commit -m "x"'), "allow", "rule:Bash(git commit:*)"),
    (bash("git commit"), "allow", "rule:Bash(git commit:*)"),
    (bash("git commitx"), "ask", "default"),
    (bash("git  commit   -a"), "allow", "rule:Bash(git commit:*)"),
    # ask beats allow.
    (bash("git commit --amend --no-edit"), "ask", "rule:Bash(git commit --amend:*)"),
    # Exact rules.
    (bash("npm run test"), "allow", "rule:Bash(npm run test)"),
    (bash("npm run test -- --watch"), "ask", "default"),
    (bash("git status"), "allow", "rule:Bash(git status)"),
    (bash("git status --short"), "ask", "default"),
    # Wildcard rules.
    (bash("npm run lint src"), "allow", "rule:Bash(npm run lint *)"),
    (bash("npm run linter"), "ask", "default"),
    # deny rules, also through wrappers and chains.
    (bash("npm publish"), "deny", "rule:Bash(npm publish:*)"),
    (bash("ls && npm publish --tag x"), "deny", "rule:Bash(npm publish:*)"),
    (bash("sudo npm publish"), "deny", "rule:Bash(npm publish:*)"),
    (bash("bash -c 'npm publish'"), "deny", "rule:Bash(npm publish:*)"),
    (bash("echo $(npm publish)"), "deny", "rule:Bash(npm publish:*)"),
    # Compound commands need every part allowed.
    (bash("ls -la && git status"), "allow", "rule:Bash(ls:*), Bash(git status)"),
    (bash("ls | wc -l"), "ask", "default"),
    (bash("ls; make"), "ask", "default"),
    (bash("git commit -m x && git push"), "ask", "default"),
    # Substitutions and redirections outside the worktree are never auto-allowed.
    (bash("echo $(whoami)"), "ask", "default"),
    (bash("echo `whoami`"), "ask", "default"),
    (bash("echo hi > /tmp/elsewhere"), "ask", "default"),
    (bash("echo hi > notes.txt"), "allow", "rule:Bash(echo:*)"),
    (bash("ls 2>/dev/null"), "allow", "rule:Bash(ls:*)"),
    (bash("echo 'unterminated"), "ask", "default"),
    (bash("sudo ls"), "ask", "default"),
    (bash("FOO=1 ls"), "ask", "default"),
    # Path rules relative to the worktree.
    (("Edit", {"file_path": "{wt}/src/app/main.py"}), "allow", "rule:Edit(src/**)"),
    (("Write", {"file_path": "{wt}/src/new.py"}), "allow", "rule:Edit(src/**)"),
    (("MultiEdit", {"file_path": "src/x.py"}), "allow", "rule:Edit(src/**)"),
    (("Edit", {"file_path": "{wt}/tests/test_x.py"}), "ask", "default"),
    (("Edit", {"file_path": "{wt}/README.md"}), "allow", "rule:Edit(/README.md)"),
    (("Edit", {"file_path": "{wt}/docs/README.md"}), "ask", "default"),
    (("Edit", {"file_path": "{wt}/src/secrets/k.py"}), "ask", "rule:Edit(src/secrets/**)"),
    (("Edit", {"file_path": "{wt}/src/deps/uv.lock"}), "deny", "rule:Edit(**/*.lock)"),
    (("Edit", {"file_path": "{wt}/../other/src/x.py"}), "ask", "default"),
    (("Edit", {"file_path": "/elsewhere/src/x.py"}), "ask", "default"),
    # Whole-tool rules and families.
    (("Read", {"file_path": "/etc/hosts"}), "allow", "rule:Read"),
    (("Grep", {"pattern": "x", "path": "{wt}"}), "allow", "rule:Read"),
    (("Glob", {"pattern": "**/*.py"}), "allow", "rule:Read"),  # first matching rule
    (("WebSearch", {"query": "x"}), "ask", "default"),
    (("mcp__linear__get_issue", {"id": "ENG-1"}), "allow", "rule:mcp__linear"),
    (("mcp__linearx__get", {}), "ask", "default"),
    # Domains.
    (
        ("WebFetch", {"url": "https://docs.python.org/3/x"}),
        "allow",
        "rule:WebFetch(domain:docs.python.org)",
    ),
    (("WebFetch", {"url": "https://python.org/"}), "ask", "default"),
    (
        ("WebFetch", {"url": "https://a.example.com/"}),
        "allow",
        "rule:WebFetch(domain:*.example.com)",
    ),
    (
        ("WebFetch", {"url": "https://evil.example.com/"}),
        "deny",
        "rule:WebFetch(domain:evil.example.com)",
    ),
    (("WebFetch", {"url": "https://example.com.evil.net/"}), "ask", "default"),
    # The deny-list comes before every rule, even a bare allow.
    (("Read", {"file_path": "~/.ssh/id_rsa"}), "deny", "deny-list:credentials"),
    (bash("ls ~/.ssh"), "deny", "deny-list:credentials"),
    (bash("echo $GITHUB_TOKEN"), "deny", "deny-list:environment-dump"),
]


@pytest.mark.parametrize(
    ("request_", "behavior", "decided_by"), CASES, ids=[f"{c[0][0]}:{c[0][1]}" for c in CASES]
)
def test_rule_matching_table(
    worktree: Path, request_: tuple[str, dict[str, Any]], behavior: str, decided_by: str
) -> None:
    tool, raw_input = request_
    tool_input = {
        key: value.replace("{wt}", str(worktree)) if isinstance(value, str) else value
        for key, value in raw_input.items()
    }
    decision = decide(tool, tool_input, worktree, "agent-1", project=worktree)
    assert (decision.behavior, decision.decided_by) == (behavior, decided_by)


def test_project_policy_applies_to_its_repository_only(worktree: Path, tmp_path: Path) -> None:
    project = tmp_path / "repo"
    (project / ".agenttui").mkdir(parents=True)
    (project / ".agenttui" / "policy.toml").write_text('[permissions]\nallow = ["Bash(make:*)"]\n')
    assert decide(*bash("make all"), worktree, "a", project=project).behavior == "allow"
    assert decide(*bash("make all"), worktree, "a", project=tmp_path).behavior == "ask"


def test_project_found_from_a_git_worktree(tmp_path: Path) -> None:
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-q", "--allow-empty", "-m", "i"], check=True)
    subprocess.run(
        [*git, "-C", str(repo), "worktree", "add", "-q", str(tmp_path / "wt")], check=True
    )
    (repo / ".agenttui").mkdir()
    (repo / ".agenttui" / "policy.toml").write_text('allow = ["Bash(make:*)"]\n')
    # The agent's own worktree copy is not consulted: only the main checkout's file.
    (tmp_path / "wt" / ".agenttui").mkdir()
    (tmp_path / "wt" / ".agenttui" / "policy.toml").write_text('allow = ["Bash"]\n')
    assert decide(*bash("make x"), tmp_path / "wt", "a").decided_by == "rule:Bash(make:*)"
    assert decide(*bash("rm x"), tmp_path / "wt", "a").behavior == "ask"


@pytest.mark.parametrize(
    "text", ["Bash(", "Bash()", "Bash(a:*b:*)", "WebFetch(example.com)", "9x", "Bash(x) y"]
)
def test_bad_rules_are_refused(text: str) -> None:
    with pytest.raises(RuleError, match="bad rule"):
        parse_rule(text)


def test_bad_rule_in_file_names_file_and_line(worktree: Path) -> None:
    (config_dir() / "policy.toml").write_text('allow = [\n  "Read",\n  "WebFetch(x.org)",\n]\n')
    with pytest.raises(AgentTuiError, match=r"policy\.toml:3: bad rule 'WebFetch\(x\.org\)'"):
        decide("Read", {"file_path": "x"}, worktree, "a", project=worktree)


def test_every_decision_is_audited(worktree: Path) -> None:
    store = Store()
    decide(*bash("git commit -m x"), worktree, "claude-1", project=worktree, store=store)
    decide(*bash("npm publish"), worktree, "claude-2", project=worktree, store=store)
    decide(*bash("rm -rf /"), worktree, "codex-1", project=worktree, store=store)
    decide(*bash("make"), worktree, "claude-1", project=worktree, store=store)
    rows = (
        store.connection()
        .execute(
            "SELECT agent, tool, summary, decision, decided_by FROM approval_audit ORDER BY id"
        )
        .fetchall()
    )
    assert [tuple(row) for row in rows] == [
        ("claude-1", "Bash", "git commit -m x", "allow", "rule:Bash(git commit:*)"),
        ("claude-2", "Bash", "npm publish", "deny", "rule:Bash(npm publish:*)"),
        ("codex-1", "Bash", "rm -rf /", "deny", "deny-list:recursive-delete"),
        ("claude-1", "Bash", "make", "ask", "default"),
    ]
