"""Grouping on 40 issues whose right groups are known: precision and recall over pairs,
hard links always together, and every group explains itself."""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path

import pytest

from workflows.base.errors import UsageError
from workflows.issues.grouping import GroupingConfig, suggest_groups
from workflows.issues.local_files import issue_from_fields, link_both_ways
from workflows.issues.model import Issue, Relation

FIXTURE = Path(__file__).parent.parent / "fixtures" / "grouping" / "issues.toml"


def load_fixture() -> tuple[list[Issue], dict[str, str]]:
    entries = tomllib.loads(FIXTURE.read_text())["issues"]
    issues = [issue_from_fields(entry, FIXTURE) for entry in entries]
    link_both_ways(issues)
    truth = {entry["id"]: entry.get("group", entry["id"]) for entry in entries}
    return issues, truth


def same_group_pairs(assignment: dict[str, str]) -> set[frozenset[str]]:
    return {
        frozenset(pair)
        for pair in itertools.combinations(sorted(assignment), 2)
        if assignment[pair[0]] == assignment[pair[1]]
    }


def precision_recall(predicted: dict[str, str], truth: dict[str, str]) -> tuple[float, float]:
    predicted_pairs, true_pairs = same_group_pairs(predicted), same_group_pairs(truth)
    hits = len(predicted_pairs & true_pairs)
    precision = hits / len(predicted_pairs) if predicted_pairs else 1.0
    recall = hits / len(true_pairs) if true_pairs else 1.0
    return precision, recall


def test_precision_and_recall_on_known_groups(capsys: pytest.CaptureFixture[str]) -> None:
    issues, truth = load_fixture()
    assert len(issues) == 43
    groups = suggest_groups(issues, GroupingConfig())
    predicted = {
        identifier: str(number)
        for number, group in enumerate(groups)
        for identifier in group.issues
    }
    assert sorted(predicted) == sorted(truth)  # every issue lands in exactly one group
    precision, recall = precision_recall(predicted, truth)
    with capsys.disabled():
        print(
            f"\ngrouping on {FIXTURE.name}: precision {precision:.3f} recall {recall:.3f} "
            f"({len([g for g in groups if len(g.issues) > 1])} groups)"
        )
    assert precision >= 0.8
    assert recall >= 0.8


def test_hard_linked_issues_are_always_together_even_with_no_shared_words() -> None:
    issues, _ = load_fixture()
    strict = GroupingConfig(merge_threshold=99.0)  # no soft merging at all
    for config in (strict, GroupingConfig(), GroupingConfig(max_group_size=2)):
        by_member = {i: group for group in suggest_groups(issues, config) for i in group.issues}
        for issue in issues:
            for other in issue.linked_identifiers():
                assert by_member[issue.identifier] is by_member[other], (issue.identifier, other)
    groups = {i: group for group in suggest_groups(issues, strict) for i in group.issues}
    assert groups["INK-8"].issues == ["INK-8", "INK-9"]
    assert groups["INK-8"].reasons == ["INK-8 blocks INK-9"]
    assert groups["INK-8"].linked


def test_every_group_says_why() -> None:
    issues, _ = load_fixture()
    for group in suggest_groups(issues, GroupingConfig()):
        if len(group.issues) > 1:
            assert len(group.reasons) >= len(group.issues) - 1, group
            mentioned = {word.strip(":,") for reason in group.reasons for word in reason.split()}
            assert set(group.issues) <= mentioned, group
        else:
            assert group.reasons == []


def test_soft_reason_names_project_labels_and_terms() -> None:
    issues, _ = load_fixture()
    [group] = [g for g in suggest_groups(issues, GroupingConfig()) if "INK-25" in g.issues]
    text = " ".join(group.reasons)
    assert "same project Attachments" in text and "shared labels" in text
    assert "attachment" in text and "cosine" in text


def test_shared_generic_label_alone_does_not_group() -> None:
    bugs = [
        Issue(id=str(n), identifier=f"X-{n}", title=title, labels=["bug", "frontend"])
        for n, title in enumerate(["Tooltip clipped", "Wrong currency", "Logout hangs"])
    ]
    groups = suggest_groups(bugs, GroupingConfig(), singletons=False)
    assert groups == []


def test_soft_merges_respect_the_group_size_cap() -> None:
    many = [
        Issue(
            id=str(n),
            identifier=f"X-{n}",
            title=f"Printer queue stalls variant {n}",
            description="printer queue stalls offline",
            project="Printing",
            labels=["printing"],
        )
        for n in range(10)
    ]
    groups = suggest_groups(many, GroupingConfig(max_group_size=4), singletons=False)
    assert groups and all(len(group.issues) <= 4 for group in groups)


def test_links_to_issues_outside_the_list_are_ignored() -> None:
    lone = Issue(
        id="1",
        identifier="X-1",
        title="Alone",
        parent="X-99",
        relations=[Relation("blocks", "X-98")],
    )
    assert [group.issues for group in suggest_groups([lone], GroupingConfig())] == [["X-1"]]


def test_unknown_config_key_is_a_clear_error() -> None:
    with pytest.raises(UsageError, match="merge_treshold"):
        GroupingConfig.from_config({"merge_treshold": 0.5})
