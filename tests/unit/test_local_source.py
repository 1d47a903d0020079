"""The local issue source: file formats, filters, write-back in the store, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.base.errors import UsageError
from workflows.issues import open_source
from workflows.issues.local import SAMPLE_FOLDER, LocalSource
from workflows.issues.local_files import IssueFileError, load_folder
from workflows.issues.model import IssueFilters, IssueSource, Relation
from workflows.issues.search import matches


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    issues = tmp_path / "issues"
    write(
        issues,
        "APP-1.md",
        '+++\nid = "APP-1"\nstate = "In Progress"\nlabels = ["bug"]\n'
        'project = "Core"\nassignee = "me"\nupdated = 2026-11-20T10:00:00Z\n+++\n\n'
        "# Crash on start\n\nThe app crashes when `$HOME` is unset; run $(whoami).\n",
    )
    write(
        issues,
        "APP-2.md",
        '---\nid: APP-2\ntitle: "Startup: slow"\nstate: Todo\nlabels:\n'
        '  - perf\n  - bug\nparent: APP-1\nupdated: "2026-11-01T00:00:00Z"\n'
        "blocked_by: [APP-3]\n---\n\nStartup takes 9 s.\n",
    )
    write(
        issues,
        "APP-3.toml",
        'id = "APP-3"\ntitle = "Cache config"\nstate = "Backlog"\n'
        'labels = ["perf"]\nproject = "Core"\nduplicate_of = ["APP-2"]\n'
        'updated = 2026-10-01T00:00:00Z\nbody = """\nRead config once.\n"""\n',
    )
    return issues


def test_reads_every_format_and_links_both_ways(folder: Path) -> None:
    issues = {issue.identifier: issue for issue in load_folder(folder)}
    crash, slow, cache = issues["APP-1"], issues["APP-2"], issues["APP-3"]
    assert crash.title == "Crash on start"  # from the heading
    assert crash.description == "The app crashes when `$HOME` is unset; run $(whoami)."
    assert crash.state_type == "started" and crash.children == ["APP-2"]
    assert slow.title == "Startup: slow" and slow.labels == ["perf", "bug"]
    assert slow.parent == "APP-1" and slow.state_type == "unstarted"
    assert Relation("blocks", "APP-3", "incoming") in slow.relations
    assert Relation("duplicate", "APP-3", "incoming") in slow.relations
    assert Relation("blocks", "APP-2", "outgoing") in cache.relations
    assert cache.description == "Read config once." and cache.state_type == "backlog"


def test_filters(folder: Path) -> None:
    source = LocalSource(folder)

    def listed(**filters: object) -> list[str]:
        return [i.identifier for i in source.list_issues(IssueFilters(**filters))]  # type: ignore[arg-type]

    assert listed() == ["APP-1", "APP-2", "APP-3"]  # newest first
    assert listed(assignee_me=True) == ["APP-1"]
    assert listed(state_types=["backlog", "unstarted"]) == ["APP-2", "APP-3"]
    assert listed(labels=["perf"]) == ["APP-2", "APP-3"]
    assert listed(project="core") == ["APP-1", "APP-3"]
    assert listed(updated_since="2026-10-15T00:00:00Z") == ["APP-1", "APP-2"]
    assert listed(text="CONFIG ONCE") == ["APP-3"]
    assert listed(team="APP", limit=1) == ["APP-1"]
    with pytest.raises(UsageError, match="not a time or duration"):
        listed(updated_since="yesterday")


def test_write_back_goes_to_the_store_not_the_files(folder: Path) -> None:
    before = (folder / "APP-2.md").read_text()
    source = LocalSource(folder)
    source.comment("app-2", "Plan: cache it.\n$(rm -rf /) stays text")
    source.set_state("APP-2", "In Review")
    source.link_url("APP-2", "https://github.com/acme/app/pull/3", "PR #3")
    again = LocalSource(folder).get_issue("APP-2")  # a new process sees it too
    assert [c.body for c in again.comments] == [
        "Plan: cache it.\n$(rm -rf /) stays text",
        "Linked: PR #3 https://github.com/acme/app/pull/3",
    ]
    assert again.state == "In Review" and again.state_type == "started"
    assert (folder / "APP-2.md").read_text() == before
    assert LocalSource(folder).list_issues()[0].identifier == "APP-2"  # updated now
    with pytest.raises(UsageError, match="unknown state 'Shipped'"):
        source.set_state("APP-2", "Shipped")
    with pytest.raises(UsageError, match="no issue APP-9"):
        source.comment("APP-9", "x")


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("BAD-1.toml", 'id = "BAD-1"\ntitle = "x"\nlabels = [\n', "BAD-1.toml:"),
        ("BAD-2.md", '+++\nid = "BAD-2"\ntitle = "x"\n', "BAD-2.md:1: front matter"),
        ("BAD-3.md", "---\nid: BAD-3\n", "BAD-3.md:1"),
        ("BAD-4.md", "+++\nid = 'BAD-4'\nstate = 'Todo'\n+++\n\nno heading\n", "has no title"),
        ("BAD-5.md", "---\nid: BAD-5\ntitle: x\n  not yaml\n---\n", "BAD-5.md:4: cannot read"),
    ],
)
def test_bad_files_name_file_and_line(tmp_path: Path, name: str, text: str, where: str) -> None:
    write(tmp_path / "bad", name, text)
    with pytest.raises(IssueFileError, match=where.replace(".", r"\.")):
        load_folder(tmp_path / "bad")


def test_sample_set_is_realistic_and_used_without_a_key() -> None:
    source = open_source()
    assert isinstance(source, IssueSource) and source.name == "local"
    issues = source.list_issues()
    assert len(issues) >= 30
    assert any(issue.children for issue in issues)
    kinds = {rel.type for issue in issues for rel in issue.relations}
    assert {"blocks", "duplicate", "related", "similar"} <= kinds
    assert isinstance(source, LocalSource) and source.folder == SAMPLE_FOLDER.resolve()


def test_config_path_selects_another_folder(folder: Path, isolated_env: Path) -> None:
    import os

    from workflows.base.config import load_config

    Path(os.environ["AGENTTUI_CONFIG"]).parent.mkdir(parents=True, exist_ok=True)
    Path(os.environ["AGENTTUI_CONFIG"]).write_text(f'[local]\npath = "{folder}"\n')
    load_config.cache_clear()
    assert [i.identifier for i in open_source().list_issues()] == ["APP-1", "APP-2", "APP-3"]


def test_matches_is_word_based_and_case_insensitive(folder: Path) -> None:
    issues = LocalSource(folder).list_issues()
    assert [i.identifier for i in issues if matches(i, "core CRASH")] == ["APP-1"]
    assert [i.identifier for i in issues if matches(i, "perf")] == ["APP-2", "APP-3"]
    assert [i.identifier for i in issues if matches(i, "")] == ["APP-1", "APP-2", "APP-3"]


def test_get_issues_returns_the_chosen_ones_or_names_the_missing(folder: Path) -> None:
    source = LocalSource(folder)
    assert [i.identifier for i in source.get_issues(["app-3", "APP-1"])] == ["APP-1", "APP-3"]
    with pytest.raises(UsageError, match="no issue APP-7"):
        source.get_issues(["APP-1", "APP-7"])
