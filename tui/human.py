"""Readable text for people from the JSON-able results verbs return (``--json`` prints those
as they are). Nothing here prints Python reprs or JSON: nested values become short phrases.
"""

from __future__ import annotations

from typing import Any


def inline(value: Any) -> str:
    """One value on one line: lists joined by commas, mappings as ``key value`` pairs."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{key} {inline(item)}" for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(inline(item) for item in value)
    return str(value)


def plain(result: Any) -> str:
    """A verb's result for a person: ``key: value`` lines, one line per listed item."""
    if isinstance(result, str):
        return result
    if isinstance(result, dict):
        return "\n".join(f"{key}: {inline(value)}" for key, value in result.items())
    if isinstance(result, (list, tuple)):
        return "\n".join(
            "  ".join(f"{key}: {inline(value)}" for key, value in item.items())
            if isinstance(item, dict)
            else inline(item)
            for item in result
        )
    return inline(result)


def detail_text(detail: dict[str, Any]) -> str:
    """What an agent's state is about: ``Bash: make test``, ``exit status 5``…"""
    if not detail:
        return ""
    rest = dict(detail)
    tool = rest.pop("tool", None)
    kind = "command" if "command" in rest else "file" if "file" in rest else ""
    subject = rest.pop(kind, None) if kind else None
    words = [f"{tool or kind}: {subject}" if subject else str(tool or "")]
    if "status" in rest or "signal" in rest:
        status, signal = rest.pop("status", None), rest.pop("signal", None)
        words.append(f"exit status {status}" if status is not None else f"signal {signal}")
    words += [f"{key} {inline(value)}" for key, value in rest.items()]
    return "; ".join(word for word in words if word)


def agent_line(reading: dict[str, Any]) -> str:
    """``worker (%3, claude): awaiting_approval — Bash: make test``."""
    about = ", ".join(part for part in (reading.get("pane"), reading.get("agent")) if part)
    line = f"{reading.get('name') or reading.get('pane')} ({about}): {reading['state']}"
    detail = detail_text(reading.get("detail") or {})
    return f"{line} — {detail}" if detail else line
