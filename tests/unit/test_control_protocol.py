"""Pure parts of the tmux control protocol: quoting, output decoding, notifications."""

from __future__ import annotations

import pytest

from workflows.tmux.protocol import (
    Block,
    BlockReader,
    block_numbers,
    command_line,
    parse_notification,
    parse_output,
    quote,
    unescape_output,
)


@pytest.mark.parametrize(
    ("word", "quoted"),
    [
        ("list-panes", "list-panes"),
        ("%3", "'%3'"),
        ("%3:continue", "'%3:continue'"),
        ("", "''"),
        ("a b;", "'a b;'"),
        ("#{pane_id}", "'#{pane_id}'"),
        ("it's $HOME", '"it\'s \\$HOME"'),
        ("~x", "'~x'"),
        ("tab\there", '"tab\\011here"'),
    ],
)
def test_quote(word: str, quoted: str) -> None:
    assert quote(word) == quoted


def test_quote_refuses_newlines() -> None:
    with pytest.raises(ValueError, match="newline"):
        quote("two\nlines")


def test_command_line_is_one_line() -> None:
    assert command_line(["send-keys", "-t", "%1", "--", "a b"]) == b"send-keys -t '%1' -- 'a b'\n"


def test_unescape_output() -> None:
    assert unescape_output(b"a\\033[1mb\\015\\012\\134") == b"a\x1b[1mb\r\n\\"
    assert unescape_output("é".encode()) == "é".encode()  # bytes >= 0x80 arrive raw


def test_parse_output_plain_and_extended() -> None:
    plain = parse_output(b"%output %3 hi\\015\\012")
    assert plain is not None and (plain.pane_id, plain.data) == ("%3", b"hi\r\n")
    extended = parse_output(b"%extended-output %12 1500 : a : b")
    assert extended is not None and (extended.pane_id, extended.data) == ("%12", b"a : b")
    assert parse_output(b"%window-add @1") is None


def test_parse_notification_keeps_free_text_whole() -> None:
    assert parse_notification("%window-add @3") == ("window-add", ["@3"])
    assert parse_notification("%window-renamed @3 my window") == (
        "window-renamed",
        ["@3", "my window"],
    )
    assert parse_notification("%session-changed $1 a b") == ("session-changed", ["$1", "a b"])
    assert parse_notification("%exit") == ("exit", [])
    assert parse_notification("%exit server exited") == ("exit", ["server exited"])


def test_block_numbers() -> None:
    assert block_numbers(b"%begin 1 22 1") == (b"1", b"22", b"1")
    assert block_numbers(b"%end 1 22") is None


def test_block_reader_matches_all_three_numbers() -> None:
    reader = BlockReader()
    stream = [
        b"%begin 100 7 0",  # the attach: not ours
        b"%end 100 7 0",
        b"%window-add @1",
        b"%begin 101 8 1",
        b"%end 101 8 0",  # wrong flags: captured text
        b"%end 101 9 1",  # wrong number
        b"%error 102 8 1",  # wrong time
        b"caf\xc3\xa9",
        b"%end 101 8 1",
        b"%begin 103 9 1",
        b"parse error: unknown command: x",
        b"%error 103 9 1",
    ]
    out = [item for item in (reader.feed(line) for line in stream) if item is not None]
    assert out == [
        Block([], False, False),
        b"%window-add @1",
        Block(["%end 101 8 0", "%end 101 9 1", "%error 102 8 1", "café"], False, True),
        Block(["parse error: unknown command: x"], True, True),
    ]


def test_block_reader_fed_data_in_any_pieces_gives_what_it_gives_line_by_line() -> None:
    stream = [
        b"%begin 100 7 0",
        b"%end 100 7 0",
        b"%output %1 hi\\015\\012",
        b"%begin 101 8 1",
        b"%end 101 8 0",  # wrong flags: captured text
        b"%begin 101 9 1",  # a captured line that looks like a begin
        b"",
        b"caf\xc3\xa9",
        b"%end 101 8 1",
        b"%begin 102 9 1",  # an empty body
        b"%end 102 9 1",
        b"%begin 103 10 1",
        b"parse error: unknown command: x",
        b"%error 103 10 1",
        b"%begin 104 11 1",
        b"%end 104 11 1x",  # not the end line: one byte more
        b"%end 104 11 1",
        b"%exit",
    ]
    by_line = BlockReader()
    expected = [item for item in map(by_line.feed, stream) if item is not None]
    assert len(expected) == 7
    data = b"".join(line + b"\n" for line in stream)
    for size in [*range(1, 24), len(data)]:
        reader = BlockReader()
        out = []
        for at in range(0, len(data), size):
            out += reader.feed_data(data[at : at + size])
        assert out == expected, size
    reader = BlockReader()  # a line without its newline yet is kept for later
    assert reader.feed_data(b"%begin 1 2 1\nrow\n%end 1 2") == []
    assert reader.feed_data(b" 1\n%window-add @1") == [Block(["row"], False, True)]
    assert reader.feed_data(b"\n") == [b"%window-add @1"]
