"""Benchmark: parse 2,000 local issue files, group them, filter them per keystroke.

Goal (issue 4): grouping 2,000 issues in ≤ 1 s; TUI filtering ≤ 30 ms per keystroke.
Prints figures; the last line is one JSON object.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workflows.issues.grouping import GroupingConfig, suggest_groups
from workflows.issues.local_files import load_folder
from workflows.issues.search import matches

COUNT = 2000
_COMMON_TEXT = (
    "page users customer report error slow broken request response value list view screen "
    "button settings account data update create delete open close save load show table form "
    "field default option server client mobile desktop web api email file image text link "
    "time date week order cart search filter sort export import team admin role access"
)
COMMON = _COMMON_TEXT.split()
LABELS = [
    "bug",
    "feature",
    "chore",
    "frontend",
    "backend",
    "mobile",
    "api",
    "security",
    "performance",
    "billing",
    "search",
    "infra",
    "design",
    "docs",
    "tests",
]


def topic_words(rng: random.Random, count: int) -> list[list[str]]:
    syllables = ["ka", "lo", "mi", "ra", "ven", "tor", "qui", "sel", "dan", "por", "ex", "ul"]
    topics = []
    for _ in range(count):
        words = {"".join(rng.choice(syllables) for _ in range(3)) for _ in range(7)}
        topics.append(sorted(words))
    return topics


def write_issues(folder: Path, rng: random.Random) -> None:
    topics = topic_words(rng, 220)
    projects = [f"Project {n}" for n in range(40)]
    for number in range(1, COUNT + 1):
        topic = rng.randrange(len(topics))
        words = topics[topic]
        title = " ".join(rng.sample(words, 2) + rng.sample(COMMON, 3)).capitalize()
        body = " ".join(rng.sample(words, 4) + rng.sample(COMMON, 12)) + "."
        labels = rng.sample(LABELS, rng.randint(1, 3))
        lines = [
            "+++",
            f'id = "BEN-{number}"',
            f'title = "{title}"',
            f'state = "{rng.choice(["Todo", "Backlog", "In Progress", "Done"])}"',
            f"labels = {json.dumps(labels)}",
            f"updated = 2026-11-{rng.randint(1, 24):02d}T{rng.randint(0, 23):02d}:00:00Z",
        ]
        if rng.random() < 0.5:
            lines.append(f'project = "{projects[topic % len(projects)]}"')
        if number > 10 and rng.random() < 0.1:
            lines.append(f'parent = "BEN-{rng.randint(1, number - 1)}"')
        if number > 10 and rng.random() < 0.05:
            lines.append(f'blocks = ["BEN-{rng.randint(1, number - 1)}"]')
        lines.append("+++")
        (folder / f"BEN-{number}.md").write_text("\n".join(lines) + f"\n\n{body}\n")


def timed(function, repeats: int) -> tuple[list[float], object]:  # type: ignore[no-untyped-def]
    samples, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, result


def main() -> None:
    rng = random.Random(4)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_issues(folder, rng)
        parse_ms, issues = timed(lambda: load_folder(folder), 3)
    config = GroupingConfig()
    group_ms, groups = timed(lambda: suggest_groups(issues, config), 5)  # type: ignore[arg-type]
    sizes = [len(group.issues) for group in groups]  # type: ignore[union-attr]
    queries = ["k", "ka", "kal", "kalo", "bug", "bug ex", "project 1", "todo sel"]
    keystroke_ms: list[float] = []
    for query in queries * 5:
        samples, _ = timed(lambda q=query: [i for i in issues if matches(i, q)], 1)  # type: ignore[union-attr]
        keystroke_ms.extend(samples)
    figures = {
        "issues": len(issues),  # type: ignore[arg-type]
        "parse_ms_median": round(statistics.median(parse_ms), 1),
        "group_ms_median": round(statistics.median(group_ms), 1),
        "group_ms_max": round(max(group_ms), 1),
        "groups_multi": sum(1 for size in sizes if size > 1),
        "largest_group": max(sizes),
        "filter_ms_p50": round(statistics.median(keystroke_ms), 2),
        "filter_ms_p95": round(sorted(keystroke_ms)[int(len(keystroke_ms) * 0.95) - 1], 2),
        "goal_group_ms": 1000,
        "goal_filter_ms": 30,
    }
    print(f"parse {COUNT} issue files: median {figures['parse_ms_median']} ms")
    print(
        f"group {COUNT} issues: median {figures['group_ms_median']} ms "
        f"(max {figures['group_ms_max']} ms; goal ≤ 1000 ms)"
    )
    print(f"groups with ≥2 issues: {figures['groups_multi']}, largest {figures['largest_group']}")
    print(
        f"filter per keystroke: p50 {figures['filter_ms_p50']} ms, "
        f"p95 {figures['filter_ms_p95']} ms (goal ≤ 30 ms)"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
