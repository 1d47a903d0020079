"""Merging activities that wait for the budget: consecutive thoughts become one thought,
consecutive actions one action listing them. Elicitations, responses and errors stay whole."""

from __future__ import annotations

from typing import Any

MERGEABLE = ("thought", "action")


def merged(contents: list[dict[str, Any]]) -> dict[str, Any]:
    if len(contents) == 1:
        return contents[0]
    if contents[0]["type"] == "thought":
        return {"type": "thought", "body": "\n\n".join(str(c["body"]) for c in contents)}
    lines = [
        f"- {c['action']}: {c['parameter']}" + (f" → {c['result']}" if c.get("result") else "")
        for c in contents
    ]
    return {
        "type": "action",
        "action": f"{len(contents)} actions",
        "parameter": ", ".join(str(c["action"]) for c in contents)[:1000],
        "result": "\n".join(lines)[:4000],
    }


def batches(contents: list[dict[str, Any]], limit: int) -> list[list[int]]:
    """Indexes of ``contents`` grouped into at most ``limit`` batches when merging allows,
    in order; runs of the same mergeable type are merged, longest first."""
    groups = [[index] for index in range(len(contents))]
    while len(groups) > max(1, limit):
        best = None
        for index in range(len(groups) - 1):
            left, right = contents[groups[index][0]], contents[groups[index + 1][0]]
            if left["type"] == right["type"] and left["type"] in MERGEABLE:
                size = len(groups[index]) + len(groups[index + 1])
                if best is None or size < best[0]:
                    best = (size, index)
        if best is None:
            break
        index = best[1]
        groups[index : index + 2] = [groups[index] + groups[index + 1]]
    return groups
