"""Workflow definitions: built-ins load, bad files fail with file:line, placeholders are safe."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.tmux import private_target
from workflows.definitions.loader import WorkflowError, list_workflows, load_workflow
from workflows.definitions.model import Workflow
from workflows.definitions.placeholders import render, shell_command


def write(tmp_path: Path, text: str, name: str = "wf.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(WorkflowError) as caught:
        load_workflow(str(path))
    return caught.value.problems


def test_builtins_load_and_survive_a_json_round_trip() -> None:
    assert {"feedback", "quick-fix", "review"} <= set(list_workflows())
    feedback = load_workflow("feedback")
    ids = [step.id for step in feedback.steps]
    assert ids == [
        "claim",
        "refine-1",
        "refine-2",
        "refine-3",
        "plan",
        "implement",
        "review",
        "test",
        "pr",
        "report",
    ]
    review = feedback.steps[ids.index("review")]
    assert (review.session, review.until, review.on_fail) == (
        "reviewer",
        "VERDICT: PASS",
        "implement",
    )
    assert "{issues}" in feedback.steps[1].prompt  # type: ignore[operator]
    assert Workflow.from_json(feedback.to_json()) == feedback


def test_user_prompt_and_workflow_override_builtins(tmp_path: Path) -> None:
    from workflows.base.paths import config_dir

    (config_dir() / "prompts").mkdir(parents=True)
    (config_dir() / "prompts" / "refine-1.md").write_text("MY OWN REFINE {issues}\n")
    assert load_workflow("feedback").steps[1].prompt == "MY OWN REFINE {issues}\n"
    (config_dir() / "workflows").mkdir()
    (config_dir() / "workflows" / "feedback.toml").write_text(
        'name = "feedback"\n[[steps]]\nid = "only"\nrun = "true"\n'
    )
    assert [s.id for s in load_workflow("feedback").steps] == ["only"]


def test_unknown_keys_and_kinds_name_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """name = "x"
colour = "blue"

[[steps]]
id = "a"
prompt = "hi"
output = "o.md"
promt = "typo"

[[steps]]
id = "b"
kind = "telepathy"
""",
    )
    problems = problems_of(path)
    assert f"{path}:2: unknown top-level key 'colour'" in problems
    assert f"{path}:8: step 'a': unknown key 'promt' for a agent step" in problems
    assert any(p.startswith(f"{path}:12: step 'b': unknown kind 'telepathy'") for p in problems)


def test_bad_references_and_placeholders(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '''[[steps]]
id = "a"
prompt = """
Look at {issues}
and {steps.b.output} and {nonsense}
"""
output = "a.md"
on_fail = "ghost"

[[steps]]
id = "b"
run = "echo {pr_url}"

[[steps]]
id = "c"
kind = "linear"
comment = "{steps.a.exit_code}"
''',
    )
    problems = problems_of(path)
    assert (
        f"{path}:5: step 'a' prompt: {{steps.b.output}} refers to step 'b', which runs later"
        in problems
    )
    assert f"{path}:5: step 'a' prompt: unknown placeholder {{nonsense}}" in problems
    assert f"{path}:1: step 'a': on_fail refers to unknown step 'ghost'" in problems
    assert f"{path}:12: step 'b' run: {{pr_url}} is used before any pull_request step" in problems
    assert any(
        p.startswith(f"{path}:17: step 'c' comment: {{steps.a.exit_code}}: a agent step")
        for p in problems
    )


def test_on_fail_cycles_and_forward_targets(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """[[steps]]
id = "a"
run = "true"
on_fail = "b"

[[steps]]
id = "b"
run = "true"
on_fail = "a"

[[steps]]
id = "c"
run = "true"
on_fail = "c"
""",
    )
    problems = problems_of(path)
    assert f"{path}:1: step 'a': cycle in on_fail references: a → b → a" in problems
    assert f"{path}:11: step 'c': cycle in on_fail references: c → c" in problems


def test_missing_prompt_file_and_toml_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path, '[[steps]]\nid = "a"\nprompt_file = "prompts/nope.md"\n')
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:3: prompt_file 'prompts/nope.md' not found")
    broken = write(tmp_path, 'name = "x"\n[[steps]\n', "broken.toml")
    (problem,) = problems_of(broken)
    assert problem.startswith(f"{broken}:") and "line 2" in problem


def test_placeholder_in_prompt_file_is_reported_in_that_file(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "p.md").write_text("line one\nline two {bogus}\n")
    path = write(tmp_path, '[[steps]]\nid = "a"\nprompt_file = "prompts/p.md"\n')
    assert problems_of(path) == [
        f"{tmp_path / 'prompts' / 'p.md'}:2: step 'a' prompt: unknown placeholder {{bogus}}"
    ]


def test_render_inserts_untrusted_text_verbatim_once() -> None:
    hostile = "{pr_url} $(rm -rf /) `x` ; Enter {{"
    out = render("Issue: {issues} / {{literal}} / {pr_url}", {"issues": hostile, "pr_url": "U"})
    assert out == f"Issue: {hostile} / {{literal}} / U"


def test_shell_steps_get_values_through_the_environment(tmp_path: Path) -> None:
    hostile = "a'b\"c $(touch pwned) `touch pwned2`; echo"
    script, env = shell_command(
        "printf '%s' {issue_ids} && {test_command}",
        {"issue_ids": hostile, "test_command": "printf ' ok'"},
    )
    result = subprocess.run(
        ["sh", "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout == hostile + " ok"
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()


def test_the_readme_example_workflow_is_valid(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    start = readme.index('```toml\nname = "my-flow"') + len("```toml\n")
    example = readme[start : readme.index("```", start)]
    workflow = load_workflow(str(write(tmp_path, example)))
    assert [s.kind for s in workflow.steps] == [
        "agent",
        "agent",
        "shell",
        "preview",
        "pull_request",
        "linear",
    ]


def test_the_follow_up_workflow_is_started_by_a_person_s_message_only(tmp_path: Path) -> None:
    """Launched by hand it would give the agent an empty request: refused before any run
    exists, and left out of the app's workflow picker (the CLI's list still names it)."""
    from tui.services import Services
    from workflows.base.errors import UsageError
    from workflows.runs.run_store import RunStore
    from workflows.runs.runner import launch_run

    with pytest.raises(UsageError, match=r"'follow-up' acts on what a person wrote"):
        launch_run("follow-up", ["ENG-1"], target=private_target(), repo=str(tmp_path))
    assert RunStore().all_runs() == []
    picked = [choice.name for choice in Services(private_target()).workflows()]
    assert "quick-fix" in picked and "follow-up" not in picked
    assert "follow-up" in list_workflows()
