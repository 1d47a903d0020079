"""The demo agent's key decoder and screen: pastes, split input, wide characters."""

from __future__ import annotations

from workflows.agents.demo_screen import Keys, Screen, render, wrap


def events(*chunks: bytes, flush: bool = True) -> list[tuple[str, str]]:
    keys = Keys()
    out: list[tuple[str, str]] = []
    for chunk in chunks:
        out += list(keys.feed(chunk))
    out += list(keys.feed(b"", flush=flush))
    return out


def test_bracketed_paste_split_anywhere_is_one_event() -> None:
    data = "\x1b[200~a\rb 中🎉\x1b[201~".encode()
    for cut in range(1, len(data)):
        assert events(data[:cut], data[cut:]) == [("paste", "a\rb 中🎉")], cut


def test_keys_and_split_utf8() -> None:
    data = "x中\r".encode()
    assert events(data[:2], data[2:]) == [("key", "x"), ("key", "中"), ("key", Keys.ENTER)]


def test_lone_escape_only_on_flush() -> None:
    keys = Keys()
    assert list(keys.feed(b"\x1b")) == []
    assert keys.pending
    assert list(keys.feed(b"", flush=True)) == [("key", Keys.ESCAPE)]
    assert events(b"\x1b[A") == []  # arrow keys are ignored


def test_wrap_counts_wide_characters_twice() -> None:
    assert wrap("中中中", 4) == ["中中", "中"]
    assert wrap("ab\ncd", 10) == ["ab", "cd"]


def test_render_shows_approval_dialog() -> None:
    screen = Screen(mode="approval", approval_command="ls -la")
    frame = render(screen, 80, 24)
    assert " Run command `ls -la`?" in frame
    assert "\x1b]2;✋ demo needs approval\x07" in frame


def test_transcript_sits_above_the_input_box_and_wraps_indented() -> None:
    from workflows.agents.demo_agent import answer_path

    screen = Screen(transcript=["> " + "x" * 30 + " Run command `a`?", "⏺ On it"])
    rows = render(screen, 24, 12).split("\r\n")
    texts = [row.removeprefix("\x1b[H").removeprefix("\x1b[2K") for row in rows]
    assert texts[2] == ""  # blank rows above, transcript at the bottom of the body
    assert texts[3:7] == [
        "> " + "x" * 21,
        "   " + "x" * 9 + " Run comman",  # never " Run command …" at a row's start
        "   d `a`?",
        "⏺ On it",
    ]
    assert answer_path("`.agenttui/x.md`.") == ".agenttui/x.md"
    assert answer_path('"notes/x.md",') == "notes/x.md"
    assert answer_path("(x.md)") == "x.md"
