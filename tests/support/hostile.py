"""Prompts that break naive senders (FIELD-NOTES §3), shared by tests and bench/send.py."""

from __future__ import annotations

HOSTILE_PROMPTS: list[str] = [
    "ends with a semicolon;",
    "Enter",
    "-leading dash -t %0",
    "$(rm -rf x) and ${HOME}",
    "#{pane_id} #(echo hi) ##",
    "`echo backticks` 'single' \"double\" \\backslash",
    "中文提示 日本語 한국어 emoji 🎉🚀 ✅",
    "line one\nline two\nline three",
    "long " + "0123456789abcdef" * 640,  # 10 KB
]

INJECTION = (
    "Fix the login page.\x1b[201~echo injected\r\x15\x03\x1b"
    "\x1b[200~still the issue text\x1b]2;pwned\x07 \x9b2J end"
)
