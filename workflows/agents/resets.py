"""When a usage limit lifts, from the words an agent shows (its profile's ``resets`` detail).

The wordings, as recorded or documented in the profiles: Claude Code "resets 10:30pm
(Europe/Berlin)" (or "4am", "4:35:12am (UTC)" from the demo agent), Codex "try again at Dec
5th, 2026 1:20 AM" or "try again in 2 hours 5 minutes", Gemini CLI "Access resets at 1:22 AM
UTC". A time of day without a date is its next occurrence (unless it passed within the hour:
then that one); without a zone, local time. None
when the text says no time this understands (the caller backs off instead).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
RELATIVE = re.compile(r"(\d+)\s*(day|hour|hr|minute|min|second|sec)s?\b", re.IGNORECASE)
UNITS = {"day": 86400, "hour": 3600, "hr": 3600, "minute": 60, "min": 60, "second": 1, "sec": 1}
CLOCK = re.compile(
    r"\b(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*([ap]\.?m\.?)?(?![\w:])", re.IGNORECASE
)
DATE = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?"
    r"(?:,?\s+(\d{4}))?",
    re.IGNORECASE,
)
JUST_PASSED_S = 3600.0
"""A time of day this recently past is the reset that just happened (a screen read late, or
again after a restart), not tomorrow's."""
ZONE = re.compile(r"\(([A-Za-z_]+(?:/[A-Za-z_+-]+)*)\)|\b(UTC|GMT)\b")


def _zone(text: str) -> tzinfo | None:
    match = ZONE.search(text)
    if match is None:
        return None
    name = match.group(1) or match.group(2)
    if name.upper() in ("UTC", "GMT"):
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def reset_at(text: str, now: float) -> float | None:
    """The epoch second ``text`` names, relative to ``now``; None if none is understood."""
    relative = RELATIVE.findall(text)
    if relative and " at " not in f" {text} ":
        return now + sum(int(count) * UNITS[unit.lower()] for count, unit in relative)
    without_date = DATE.sub(" ", text)
    clock = CLOCK.search(without_date)
    if clock is None:
        return None
    hour, minute, second = int(clock.group(1)), int(clock.group(2) or 0), int(clock.group(3) or 0)
    meridiem = (clock.group(4) or "").lower().replace(".", "")
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    zone = _zone(text)
    current = datetime.fromtimestamp(now, zone).astimezone(zone)
    moment = current.replace(hour=hour, minute=minute, second=second, microsecond=0)
    date = DATE.search(text)
    if date is not None:
        year = int(date.group(3)) if date.group(3) else current.year
        try:
            moment = moment.replace(
                year=year, month=MONTHS[date.group(1).lower()], day=int(date.group(2))
            )
        except ValueError:
            return None
    elif moment.timestamp() < now - JUST_PASSED_S:
        moment += timedelta(days=1)  # a time of day long past today: tomorrow's
    return moment.timestamp()
