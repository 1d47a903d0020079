"""Untrusted text made inert: what is replaced with what, and JSON that stays exact."""

from __future__ import annotations

import json

import pytest

from workflows.base.untrusted import inert, is_inert, json_text

HOSTILE = "a\x1b[201~b\x03c\x15d\x1be\x9b31mf\ud800g\x7fh\x00i\x07j\x1b]52;c;aGk=\x07"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text, tabs\tand\nnewlines", "plain text, tabs\tand\nnewlines"),
        ("中文 🎉 ✅", "中文 🎉 ✅"),
        ("end paste\x1b[201~typed", "end paste␛[201~typed"),
        ("start\x1b[200~", "start␛[200~"),
        (
            "ctrl-c \x03 ctrl-u \x15 esc \x1b nul \x00 bell \x07 del \x7f",
            "ctrl-c ␃ ctrl-u ␕ esc ␛ nul ␀ bell ␇ del ␡",
        ),
        ("crlf\r\nlone cr\rend", "crlf\nlone cr\nend"),
        ("8-bit csi \x9b2J nel \x85", "8-bit csi \ufffd2J nel \ufffd"),
        ("surrogate \ud800 and \udfff", "surrogate \ufffd and \ufffd"),
        ("osc 52 \x1b]52;c;aGk=\x07", "osc 52 ␛]52;c;aGk=␇"),
    ],
)
def test_inert_replaces_controls_with_visible_pictures(raw: str, shown: str) -> None:
    assert inert(raw) == shown
    assert is_inert(shown)
    shown.encode("utf-8")  # always encodable (no surrogates)


def test_nothing_that_acts_as_a_key_survives() -> None:
    out = inert(HOSTILE)
    assert not any(ord(ch) < 0x20 and ch not in "\t\n" for ch in out)
    assert not any(0x7F <= ord(ch) <= 0x9F for ch in out)
    assert "\x1b" not in out and "[201~" in out  # the marker's text is still visible


def test_json_text_is_exact_and_terminal_safe() -> None:
    value = {"title": HOSTILE, "list": ["中文", "\x85"]}
    line = json_text(value)
    assert json.loads(line) == value
    assert line.isascii() is False  # CJK stays readable
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in line)
    assert "\\u009b" in line and "\\ud800" in line
    line.encode("utf-8")
