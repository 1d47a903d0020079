"""A small shell lexer for judging commands: simple commands, pipelines, substitutions.

``shlex`` cannot tell an operator ``;`` from a quoted one or see inside ``$(…)``; judging a
command needs both, so this lexer follows the POSIX quoting rules closely enough to split a
command line into pipelines of simple commands and to hand every command substitution,
backtick and process substitution body back for recursive judging. Here-documents are
read as bash does: the body is the command's input, not commands; a quoted delimiter
(``<<'EOF'``) makes it literal text, otherwise its ``$X`` and ``$(…)`` are expanded. It never
executes or expands anything; unbalanced quotes raise :class:`ShellSyntaxError` (callers
then refuse to auto-approve).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

SEPARATORS = frozenset({"&&", "||", ";", ";;", "&", "\n", "(", ")"})
PIPES = frozenset({"|", "|&"})
HEREDOCS = frozenset({"<<", "<<-"})
REDIRECTS = HEREDOCS | {">", ">>", "<", "<<<", "&>", "&>>", ">&", "<&", ">|", "<>"}
# Longest first so ">>" wins over ">".
OPERATORS = sorted(SEPARATORS | PIPES | REDIRECTS, key=len, reverse=True)
OPERATOR_CHARS = frozenset(";&|<>()\n")
# A parameter expansion the shell performs: $NAME, ${NAME…}, ${#NAME}, ${!NAME…}.
EXPANSION = re.compile(r"\$(?:\{[#!]?)?([A-Za-z_][A-Za-z0-9_]*)")


class ShellSyntaxError(ValueError):
    """The command line is not balanced (open quote, open substitution)."""


class Token(NamedTuple):
    kind: str  # "word", "op" or "heredoc" (a here-document's body)
    text: str  # quotes removed
    expands: tuple[str, ...] = ()  # parameters the shell expands in it (not quoted away)


class Heredoc(NamedTuple):
    delimiter: str
    quoted: bool  # <<'EOF', <<"EOF", <<\EOF: the body is literal
    strip_tabs: bool  # <<-


@dataclass
class SimpleCommand:
    argv: list[str] = field(default_factory=list)
    redirects: list[tuple[str, str]] = field(default_factory=list)
    # Names of the parameters expanded in its words: ``'$X'`` and ``\$X`` are literal text.
    expansions: list[str] = field(default_factory=list)
    heredocs: list[str] = field(default_factory=list)  # bodies of its here-documents


@dataclass
class ParsedCommand:
    pipelines: list[list[SimpleCommand]]
    substitutions: list[str]  # bodies of $(…), `…`, <(…), >(…): judged as commands too
    heredoc: bool

    @property
    def commands(self) -> list[SimpleCommand]:
        return [command for pipeline in self.pipelines for command in pipeline]


def _read_balanced(text: str, start: int) -> tuple[str, int]:
    """Body of a ``(…)`` group whose ``(`` is at ``start - 1``; returns (body, index after)."""
    depth, index, quote = 1, start, ""
    pending: list[Heredoc] = []
    while index < len(text):
        char = text[index]
        if not quote and text.startswith("<<", index) and not text.startswith("<<<", index):
            heredoc, index = _read_delimiter(text, index)
            pending.append(heredoc)
            continue
        if char == "\n" and pending and not quote:
            for heredoc in pending:
                _body, index = _heredoc_body(text, index + 1, heredoc)
            pending.clear()
            continue
        if quote:
            if char == "\\" and quote == '"':
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "\\":
            index += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return text[start:index], index + 1
        index += 1
    raise ShellSyntaxError("unbalanced '(' in command")


def tokenize(text: str) -> tuple[list[Token], list[str]]:
    """The tokens of a command line, and the substitution bodies found in it."""
    tokens: list[Token] = []
    substitutions: list[str] = []
    word: list[str] = []
    names: list[str] = []
    pending: list[Heredoc] = []  # here-documents whose bodies start after this line
    in_word = False
    index = 0

    def flush() -> None:
        nonlocal in_word
        if in_word:
            tokens.append(Token("word", "".join(word), tuple(names)))
            word.clear()
            names.clear()
            in_word = False

    while index < len(text):
        char = text[index]
        if text.startswith("\\\n", index):  # line continuation
            index += 2
        elif char in " \t\r":
            flush()
            index += 1
        elif char in OPERATOR_CHARS and not _starts_process_substitution(text, index, in_word):
            flush()
            operator = next(op for op in OPERATORS if text.startswith(op, index))
            if operator in HEREDOCS:
                heredoc, index = _read_delimiter(text, index)
                tokens += [Token("op", operator), Token("word", heredoc.delimiter)]
                pending.append(heredoc)
                continue
            if operator == "\n":
                for heredoc in pending:
                    body, index = _heredoc_body(text, index + 1, heredoc)
                    tokens.append(_heredoc_token(body, heredoc, substitutions))
                    index -= 1  # the newline ending the body: consumed below
                pending.clear()
            tokens.append(Token("op", operator))
            index += len(operator)
        else:
            index = _read_word_part(text, index, word, substitutions, names)
            in_word = True
    flush()
    return tokens, substitutions


def _read_delimiter(text: str, index: int) -> tuple[Heredoc, int]:
    """The ``<<``/``<<-`` operator at ``index`` and its delimiter word; returns the index after."""
    strip_tabs = text.startswith("<<-", index)
    index += 3 if strip_tabs else 2
    while index < len(text) and text[index] in " \t":
        index += 1
    start, word = index, []
    while index < len(text) and text[index] not in " \t\r" and text[index] not in OPERATOR_CHARS:
        char = text[index]
        if char in "'\"":
            end = text.find(char, index + 1)
            if end < 0:
                raise ShellSyntaxError("unterminated quote in a here-document delimiter")
            word.append(text[index + 1 : end])
            index = end + 1
        elif char == "\\":
            word.append(text[index + 1 : index + 2])
            index += 2
        else:
            word.append(char)
            index += 1
    quoted = any(mark in text[start:index] for mark in "'\"\\")
    return Heredoc("".join(word), quoted, strip_tabs), index


def _heredoc_body(text: str, index: int, heredoc: Heredoc) -> tuple[str, int]:
    """The body starting at ``index`` up to its delimiter line; returns the index after that
    line (an unterminated body runs to the end, as in bash)."""
    lines: list[str] = []
    while index < len(text):
        end = text.find("\n", index)
        end = len(text) if end < 0 else end
        line = text[index:end]
        index = end + 1
        if (line.lstrip("\t") if heredoc.strip_tabs else line) == heredoc.delimiter:
            return "\n".join(lines), min(index, len(text))
        lines.append(line)
    return "\n".join(lines), len(text)


def _heredoc_token(body: str, heredoc: Heredoc, subs: list[str]) -> Token:
    """A body as a token: literal when quoted, else with its expansions and substitutions."""
    if heredoc.quoted:
        return Token("heredoc", body)
    names: list[str] = []
    index = 0
    while index < len(body):
        if body[index] == "\\":
            index += 2
        elif body.startswith("$(", index) or body[index] == "`":
            index = _read_word_part(body, index, [], subs, names)
        else:
            if body[index] == "$" and (expansion := EXPANSION.match(body, index)):
                names.append(expansion[1])
            index += 1
    return Token("heredoc", body, tuple(names))


def _starts_process_substitution(text: str, index: int, in_word: bool) -> bool:
    return text[index] in "<>" and text[index + 1 : index + 2] == "(" and not in_word


def _read_word_part(
    text: str, index: int, word: list[str], subs: list[str], names: list[str]
) -> int:
    """Append one quoted section, escape, substitution or character to ``word``."""
    char = text[index]
    if char == "\\":
        word.append(text[index + 1 : index + 2])
        return index + 2
    if char == "'":
        end = text.find("'", index + 1)
        if end < 0:
            raise ShellSyntaxError("unterminated single quote")
        word.append(text[index + 1 : end])
        return end + 1
    if char == '"':
        return _read_double_quoted(text, index + 1, word, subs, names)
    if char == "`":
        return _read_backtick(text, index, word, subs)
    if text.startswith(("$(", "<(", ">("), index):
        body, end = _read_balanced(text, index + 2)
        subs.append(body)
        word.append(text[index:end])
        return end
    if char == "$" and (expansion := EXPANSION.match(text, index)):
        names.append(expansion[1])
    word.append(char)
    return index + 1


def _read_backtick(text: str, index: int, word: list[str], subs: list[str]) -> int:
    end = text.find("`", index + 1)
    if end < 0:
        raise ShellSyntaxError("unterminated backtick")
    subs.append(text[index + 1 : end])
    word.append(text[index : end + 1])
    return end + 1


def _read_double_quoted(
    text: str, index: int, word: list[str], subs: list[str], names: list[str]
) -> int:
    while index < len(text):
        char = text[index]
        if char == '"':
            return index + 1
        if char == "\\" and text[index + 1 : index + 2] in ('"', "\\", "$", "`", "\n"):
            word.append(text[index + 1])
            index += 2
        elif text.startswith("$(", index):
            body, end = _read_balanced(text, index + 2)
            subs.append(body)
            word.append(text[index:end])
            index = end
        elif char == "`":
            index = _read_backtick(text, index, word, subs)
        else:
            if char == "$" and (expansion := EXPANSION.match(text, index)):
                names.append(expansion[1])
            word.append(char)
            index += 1
    raise ShellSyntaxError("unterminated double quote")


def parse(text: str) -> ParsedCommand:
    """Split a command line into pipelines of simple commands (argv + redirections)."""
    tokens, substitutions = tokenize(text)
    pipelines: list[list[SimpleCommand]] = [[SimpleCommand()]]
    heredoc = False
    pending_redirect = ""
    for kind, value, expands in tokens:
        current = pipelines[-1][-1]
        current.expansions += expands
        if pending_redirect:
            current.redirects.append((pending_redirect, value if kind == "word" else ""))
            pending_redirect = ""
            if kind == "word":
                continue
        if kind == "heredoc":
            current.heredocs.append(value)
        elif kind == "word":
            current.argv.append(value)
        elif value in REDIRECTS:
            heredoc = heredoc or value in HEREDOCS
            pending_redirect = value
        elif value in PIPES:
            pipelines[-1].append(SimpleCommand())
        else:  # a separator starts a new pipeline
            pipelines.append([SimpleCommand()])
    cleaned = [[cmd for cmd in pipe if cmd.argv or cmd.redirects] for pipe in pipelines]
    return ParsedCommand([pipe for pipe in cleaned if pipe], substitutions, heredoc)
