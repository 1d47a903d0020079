"""Suggest groups of related issues, each with the reasons its members belong together.

1. Hard links always group: parent/children and the relations blocks, duplicate, related,
   similar (configurable: ``[grouping] link_types``).
2. Then soft merges: a pair of issues whose score reaches ``merge_threshold`` joins, where
   score = TF-IDF cosine of title+description
         + ``project_weight`` if they share a project
         + ``label_weight`` × IDF-weighted overlap of their labels.
   A soft merge never grows a group past ``max_group_size``.
Union-find does the merging; only pairs found through the inverted index (or sharing a small
project) are scored, so 2,000 issues group in well under a second.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from workflows.base.config import table
from workflows.base.errors import UsageError
from workflows.issues.model import Issue
from workflows.issues.textsim import (
    cosine,
    shared_terms,
    similar_pairs,
    term_counts,
    tfidf_vectors,
)

LINK_PHRASES = {
    "blocks": "{a} blocks {b}",
    "duplicate": "{a} duplicates {b}",
    "related": "{a} is related to {b}",
    "similar": "{a} is similar to {b}",
}


@dataclass
class GroupingConfig:
    """Thresholds of ``[grouping]`` in config.toml."""

    link_types: list[str] = field(
        default_factory=lambda: ["parent", "blocks", "duplicate", "related", "similar"]
    )
    merge_threshold: float = 0.42  # minimum combined score for a soft merge
    min_text_similarity: float = 0.12  # pairs below this cosine are not scored at all
    project_weight: float = 0.15  # added when two issues share a project
    label_weight: float = 0.25  # × weighted label overlap (0..1)
    max_group_size: int = 12  # soft merges stop here (hard links do not)
    max_project_pairs: int = 60  # projects up to this size are scored pair by pair

    @classmethod
    def from_config(cls, values: dict[str, Any] | None = None) -> GroupingConfig:
        if values is None:
            return cls(**table("grouping").fill(cls))
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise UsageError(f"[grouping] has unknown keys {unknown}; known: {sorted(known)}")
        return cls(**values)


@dataclass
class Group:
    issues: list[str]  # identifiers, in the order of the input list
    reasons: list[str]  # why these belong together; empty for a lone issue
    linked: bool = False  # True when hard links hold (some of) it together

    def to_dict(self) -> dict[str, Any]:
        return {"issues": self.issues, "reasons": self.reasons, "linked": self.linked}


class UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))
        self.size = [1] * size

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, left: int, right: int) -> None:
        left, right = self.find(left), self.find(right)
        if left != right:
            if self.size[left] < self.size[right]:
                left, right = right, left
            self.parent[right] = left
            self.size[left] += self.size[right]


def _hard_links(issues: Sequence[Issue], config: GroupingConfig) -> list[tuple[str, str, str]]:
    """(a, b, reason) for every link between two listed issues, each described once."""
    present = {issue.identifier for issue in issues}
    links: dict[frozenset[str], tuple[str, str, str]] = {}
    for issue in issues:
        me = issue.identifier
        if "parent" in config.link_types:
            for child in issue.children:
                links.setdefault(
                    frozenset((me, child)), (me, child, f"{child} is a sub-issue of {me}")
                )
            if issue.parent:
                pair = frozenset((me, issue.parent))
                links.setdefault(pair, (me, issue.parent, f"{me} is a sub-issue of {issue.parent}"))
        for rel in issue.relations:
            if rel.type not in config.link_types:
                continue
            a, b = (me, rel.issue) if rel.direction == "outgoing" else (rel.issue, me)
            phrase = LINK_PHRASES.get(rel.type, "{a} " + rel.type + " {b}")
            links.setdefault(frozenset((a, b)), (a, b, phrase.format(a=a, b=b)))
    return [link for link in links.values() if link[0] in present and link[1] in present]


def _label_overlap(
    left: Issue, right: Issue, label_idf: dict[str, float]
) -> tuple[float, list[str]]:
    shared = set(left.labels) & set(right.labels)
    if not shared:
        return 0.0, []
    union = set(left.labels) | set(right.labels)
    score = sum(label_idf[label] for label in shared) / sum(label_idf[label] for label in union)
    return score, sorted(shared)


def suggest_groups(
    issues: Sequence[Issue], config: GroupingConfig | None = None, *, singletons: bool = True
) -> list[Group]:
    """Groups covering ``issues`` (lone issues as one-issue groups unless ``singletons`` is
    False), biggest first, each with human-readable reasons."""
    config = config or GroupingConfig.from_config()
    index = {issue.identifier: position for position, issue in enumerate(issues)}
    sets = UnionFind(len(issues))
    reasons: dict[int, list[str]] = defaultdict(list)  # keyed by a member, re-rooted at the end
    linked_members: set[int] = set()
    for a, b, reason in _hard_links(issues, config):
        sets.union(index[a], index[b])
        reasons[index[a]].append(reason)
        linked_members.update((index[a], index[b]))

    for left, right, _score, why in _soft_pairs(issues, config):
        root_left, root_right = sets.find(left), sets.find(right)
        if root_left == root_right:
            continue
        if sets.size[root_left] + sets.size[root_right] > config.max_group_size:
            continue
        sets.union(left, right)
        reasons[left].append(why)

    members: dict[int, list[int]] = defaultdict(list)
    for position in range(len(issues)):
        members[sets.find(position)].append(position)
    groups = []
    for positions in members.values():
        if len(positions) == 1 and not singletons:
            continue
        group_reasons = [reason for p in positions for reason in reasons.get(p, [])]
        group_reasons.sort(key=lambda reason: " ~ " in reason)  # hard links first, stable
        groups.append(
            Group(
                issues=[issues[p].identifier for p in positions],
                reasons=group_reasons,
                linked=any(p in linked_members for p in positions),
            )
        )
    groups.sort(key=lambda group: (-len(group.issues), index[group.issues[0]]))
    return groups


def _soft_pairs(
    issues: Sequence[Issue], config: GroupingConfig
) -> list[tuple[int, int, float, str]]:
    """Scored candidate pairs reaching the threshold, best first, with their explanation."""
    vectors, _ = tfidf_vectors([term_counts(issue.title, issue.description) for issue in issues])
    cosines = similar_pairs(vectors, min_cosine=config.min_text_similarity)
    by_project: dict[str, list[int]] = defaultdict(list)
    for position, issue in enumerate(issues):
        if issue.project:
            by_project[issue.project].append(position)
    for positions in by_project.values():
        if len(positions) <= config.max_project_pairs:
            for i, left in enumerate(positions):
                for right in positions[i + 1 :]:
                    if (left, right) not in cosines:
                        cosines[(left, right)] = cosine(vectors[left], vectors[right])
    label_df = Counter(label for issue in issues for label in set(issue.labels))
    label_idf = {
        label: math.log((1 + len(issues)) / (1 + df)) + 1.0 for label, df in label_df.items()
    }

    scored = []
    for (left, right), text_score in cosines.items():
        a, b = issues[left], issues[right]
        same_project = a.project is not None and a.project == b.project
        overlap, shared_labels = _label_overlap(a, b, label_idf)
        score = text_score + (config.project_weight if same_project else 0.0)
        score += config.label_weight * overlap
        if score < config.merge_threshold:
            continue
        parts = []
        if same_project:
            parts.append(f"same project {a.project}")
        if shared_labels:
            parts.append("shared labels " + ", ".join(shared_labels))
        if text_score > 0:
            terms = ", ".join(shared_terms(vectors[left], vectors[right]))
            parts.append(f"similar text ({terms}; cosine {text_score:.2f})")
        why = f"{a.identifier} ~ {b.identifier}: " + "; ".join(parts) + f" (score {score:.2f})"
        scored.append((left, right, score, why))
    scored.sort(key=lambda item: -item[2])
    return scored
