"""A small shell lexer for judging commands: simple commands, pipelines, substitutions.

``shlex`` cannot tell an operator ``;`` from a quoted one or see inside ``$(…)``; judging a
command needs both, so this lexer follows the POSIX quoting rules closely enough to split a
command line into pipelines of simple commands and to hand every command substitution,
backtick and process substitution body back for recursive judging. It never executes or
expands anything; unbalanced quotes raise :class:`ShellSyntaxError` (callers then refuse to
auto-approve).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SEPARATORS = frozenset({"&&", "||", ";", ";;", "&", "\n", "(", ")"})
PIPES = frozenset({"|", "|&"})
REDIRECTS = frozenset({">", ">>", "<", "<<", "<<<", "&>", "&>>", ">&", "<&", ">|", "<>"})
# Longest first so ">>" wins over ">".
OPERATORS = sorted(SEPARATORS | PIPES | REDIRECTS, key=len, reverse=True)
OPERATOR_CHARS = frozenset(";&|<>()\n")


class ShellSyntaxError(ValueError):
    """The command line is not balanced (open quote, open substitution)."""


@dataclass
class SimpleCommand:
    argv: list[str] = field(default_factory=list)
    redirects: list[tuple[str, str]] = field(default_factory=list)


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
    while index < len(text):
        char = text[index]
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


def tokenize(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Tokens as (kind, text) with kind "word" or "op", and the substitution bodies."""
    tokens: list[tuple[str, str]] = []
    substitutions: list[str] = []
    word: list[str] = []
    in_word = False
    index = 0

    def flush() -> None:
        nonlocal in_word
        if in_word:
            tokens.append(("word", "".join(word)))
            word.clear()
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
            tokens.append(("op", operator))
            index += len(operator)
        else:
            index = _read_word_part(text, index, word, substitutions)
            in_word = True
    flush()
    return tokens, substitutions


def _starts_process_substitution(text: str, index: int, in_word: bool) -> bool:
    return text[index] in "<>" and text[index + 1 : index + 2] == "(" and not in_word


def _read_word_part(text: str, index: int, word: list[str], subs: list[str]) -> int:
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
        return _read_double_quoted(text, index + 1, word, subs)
    if char == "`":
        return _read_backtick(text, index, word, subs)
    if text.startswith(("$(", "<(", ">("), index):
        body, end = _read_balanced(text, index + 2)
        subs.append(body)
        word.append(text[index:end])
        return end
    word.append(char)
    return index + 1


def _read_backtick(text: str, index: int, word: list[str], subs: list[str]) -> int:
    end = text.find("`", index + 1)
    if end < 0:
        raise ShellSyntaxError("unterminated backtick")
    subs.append(text[index + 1 : end])
    word.append(text[index : end + 1])
    return end + 1


def _read_double_quoted(text: str, index: int, word: list[str], subs: list[str]) -> int:
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
            word.append(char)
            index += 1
    raise ShellSyntaxError("unterminated double quote")


def parse(text: str) -> ParsedCommand:
    """Split a command line into pipelines of simple commands (argv + redirections)."""
    tokens, substitutions = tokenize(text)
    pipelines: list[list[SimpleCommand]] = [[SimpleCommand()]]
    heredoc = False
    pending_redirect = ""
    for kind, value in tokens:
        current = pipelines[-1][-1]
        if pending_redirect:
            current.redirects.append((pending_redirect, value if kind == "word" else ""))
            pending_redirect = ""
            if kind == "word":
                continue
        if kind == "word":
            current.argv.append(value)
        elif value in REDIRECTS:
            heredoc = heredoc or value == "<<"
            pending_redirect = value
        elif value in PIPES:
            pipelines[-1].append(SimpleCommand())
        else:  # a separator starts a new pipeline
            pipelines.append([SimpleCommand()])
    cleaned = [[cmd for cmd in pipe if cmd.argv or cmd.redirects] for pipe in pipelines]
    return ParsedCommand([pipe for pipe in cleaned if pipe], substitutions, heredoc)
