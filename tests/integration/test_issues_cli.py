"""The issues verbs as people and agents call them: a real `python -m tui` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.linear_server import LinearServer
from workflows.base.paths import agenttui_argv


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*agenttui_argv(), *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        env=os.environ.copy(),
        check=False,
    )


def test_local_issues_groups_issue_comment() -> None:
    listed = run("issues", "--json", "--label", "billing")
    assert listed.returncode == 0, listed.stderr
    assert {i["identifier"] for i in json.loads(listed.stdout)} == {
        "PCL-130",
        "PCL-131",
        "PCL-132",
        "PCL-133",
    }

    groups = json.loads(run("groups", "--json").stdout)
    [billing] = [g for g in groups if "PCL-130" in g["issues"]]
    assert set(billing["issues"]) == {"PCL-130", "PCL-131", "PCL-132", "PCL-133"}
    assert "PCL-131 is a sub-issue of PCL-130" in billing["reasons"] and billing["linked"]
    assert all(len(g["issues"]) > 1 for g in groups)  # lone issues only with --all
    assert len(json.loads(run("groups", "--all", "--json").stdout)) > len(groups)

    text = "Plan:\n1. $(touch /tmp/never) stays text\n2. `backticks` too"
    assert run("comment", "PCL-131", "-", stdin=text).returncode == 0
    issue = json.loads(run("issue", "PCL-131", "--json").stdout)
    assert issue["comments"][-1]["body"] == text
    human = run("issue", "PCL-131").stdout
    assert human.startswith("PCL-131: Backfill historical invoices into Stripe")
    assert "blocks <- PCL-132" in human


def test_unknown_issue_and_bad_filters_are_usage_errors() -> None:
    result = run("issue", "NOPE-1", "--json")
    assert result.returncode == 2
    assert "no issue NOPE-1" in json.loads(result.stdout)["error"]
    since = run("issues", "--since", "last tuesday")
    assert since.returncode == 2 and "not a time or duration: 'last tuesday'" in since.stderr
    state = run("issues", "--state-type", "inprogress")
    assert state.returncode == 2 and "invalid choice: 'inprogress'" in state.stderr


def test_linear_source_through_the_cli(linear_server: LinearServer) -> None:
    listed = run("issues", "--team", "OPS", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [i["identifier"] for i in json.loads(listed.stdout)] == ["OPS-2", "OPS-1"]
    assert run("comment", "OPS-1", "from the CLI").returncode == 0
    assert linear_server.workspace.comments_on("OPS-1") == ["from the CLI"]
    [sent] = linear_server.mutations("commentCreate")
    assert sent.variables["input"]["body"] == "from the CLI"
    assert run("issue-state", "OPS-1", "done").returncode == 0
    assert linear_server.workspace.issue_state("OPS-1") == "Done"
    url = "https://github.com/acme/ops/pull/9"
    assert run("issue-link", "OPS-1", url, "--title", "PR #9").returncode == 0
    assert [(a["url"], a["title"]) for a in linear_server.workspace.attachments_on("OPS-1")] == [
        (url, "PR #9")
    ]
    bad = run("issue-state", "OPS-1", "Shipped")
    assert bad.returncode == 2 and "no state 'Shipped'" in bad.stderr


def test_rejected_key_exits_1_without_showing_it(linear_server: LinearServer) -> None:
    secret = "lin_api_cli_WRONG_secret_123456"
    env = {**os.environ, "LINEAR_API_KEY": secret}
    result = subprocess.run(
        [sys.executable, "-m", "tui", "issues"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Linear rejected the API key (HTTP 401" in result.stderr
    assert secret not in result.stderr + result.stdout


def identifiers(*args: str) -> list[str]:
    result = run("issues", "--json", *args)
    assert result.returncode == 0, result.stderr
    return [issue["identifier"] for issue in json.loads(result.stdout)]


def test_filters_hold_whatever_the_cache_holds() -> None:
    every = identifiers()  # a plain listing first: the cache now holds all 32
    assert len(every) == 32
    bugs = identifiers("--label", "bug")
    assert len(bugs) == 12 and len(identifiers()) == 32  # and filling it again changes nothing
    assert len(identifiers("--state-type", "started")) == 5
    assert identifiers("--search", "safari") == identifiers("--search", "Safari")
    assert 0 < len(identifiers("--search", "safari")) < 32
    assert len(identifiers("--project", "Label printing")) == 5
    assert identifiers("--team", "NOPE") == []
    assert identifiers("--limit", "3") == every[:3]
    grouped = json.loads(run("groups", "--json", "--label", "billing").stdout)
    assert {i for group in grouped for i in group["issues"]} <= {
        "PCL-130",
        "PCL-131",
        "PCL-132",
        "PCL-133",
    }


def test_the_readme_example_parses_values_that_start_with_a_dash() -> None:
    readme = run("issues", "--mine", "--state-type", "started", "--label", "bug", "--since", "-P7D")
    assert readme.returncode == 0, readme.stderr
    assert run("issues", "--since", "-PT1H", "--json").returncode == 0
    assert run("groups", "--since=-P2D", "--json").returncode == 0
    typo = run("issues", "--lable", "bug")  # a mistyped option is still an error
    assert typo.returncode == 2 and "unrecognized arguments: --lable" in typo.stderr


def test_a_closed_pipe_ends_quietly() -> None:
    """`| head -1`: the reader goes away before the output is written (``| true`` closes
    at once, so the write always meets a closed pipe)."""
    agenttui = " ".join(agenttui_argv())
    for verb in ("issues", "issue PCL-101", "groups", "runs", "ls", "workflows"):
        done = subprocess.run(
            ["bash", "-c", f"{agenttui} {verb} | true; echo ${{PIPESTATUS[0]}}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.stderr == "", (verb, done.stderr)
        assert done.stdout.strip() in ("0", "141"), (verb, done.stdout)
