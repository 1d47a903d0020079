"""See through command wrappers to the command that really runs.

``sudo -u x env A=1 nice -n 5 timeout 10 rm -rf /`` runs ``rm -rf /``; ``bash -c "…"``,
``sh -lc "…"``, ``eval …`` and ``su -c "…"`` run their text as a new command line, which is
returned in ``nested`` to be judged in full.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "fish", "su"})
KEYWORDS = frozenset(
    {"!", "{", "}", "then", "do", "else", "elif", "if", "while", "until", "time", "coproc"}
)
# Programs whose trailing words are a command line run by a shell (here or on a host).
REMOTE_RUNNERS: dict[str, frozenset[str]] = {
    "ssh": frozenset(
        {
            "-b",
            "-c",
            "-D",
            "-E",
            "-e",
            "-F",
            "-I",
            "-i",
            "-J",
            "-L",
            "-l",
            "-m",
            "-O",
            "-o",
            "-p",
            "-Q",
            "-R",
            "-S",
            "-W",
            "-w",
        }
    ),
    "watch": frozenset({"-n", "--interval", "-q", "--equexit"}),
}
# Options whose value is a command line run by a shell (``script -qc "…"``, ``env -S "…"``).
COMMAND_OPTIONS: dict[str, frozenset[str]] = {
    "script": frozenset({"-c", "--command"}),
    "flock": frozenset({"-c", "--command"}),
    "runuser": frozenset({"-c", "--command"}),
    "git": frozenset({"-x", "--exec"}),
}
ENV_SPLIT = frozenset({"-S", "--split-string"})
PLAIN_WRAPPERS = frozenset({"nohup", "command", "exec", "builtin", "setsid", "chronic"})
# Options that take a value, per wrapper (short forms whose value is the next word).
WRAPPER_OPTIONS: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "-R"}),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "-C", "--unset", "--chdir", "-S", "--split-string"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "ionice": frozenset({"-c", "-n", "-p"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "xargs": frozenset({"-n", "-I", "-P", "-d", "-L", "-s", "-E", "-a", "--max-args"}),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
}


@dataclass
class Unwrapped:
    argv: list[str]
    nested: list[str] = field(default_factory=list)  # command lines run by sh -c / eval
    stdin_arguments: bool = False  # xargs: the command also gets arguments from input
    wrappers: list[str] = field(default_factory=list)


def basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def _skip_options(argv: list[str], index: int, with_value: frozenset[str]) -> int:
    while index < len(argv) and argv[index].startswith("-"):
        option = argv[index]
        index += 1
        if option == "--":
            break
        if option in with_value and "=" not in option:
            index += 1
    return index


def unwrap(argv: list[str]) -> Unwrapped:
    """The effective argv after assignments, keywords and wrappers are peeled off."""
    result = Unwrapped(argv=[])
    index = 0
    while index < len(argv):
        word = argv[index]
        name = basename(word)
        if ASSIGNMENT.match(word) or word in KEYWORDS:
            index += 1
        elif name in WRAPPER_OPTIONS or name in PLAIN_WRAPPERS:
            result.wrappers.append(name)
            result.stdin_arguments |= name == "xargs"
            start = index
            index = _skip_options(argv, index + 1, WRAPPER_OPTIONS.get(name, frozenset()))
            if name == "env":
                result.nested += _option_values(argv[start + 1 : index], ENV_SPLIT)
                while index < len(argv) and ASSIGNMENT.match(argv[index]):
                    index += 1
                if index >= len(argv):  # bare env: prints the environment
                    result.argv = argv[start:]
                    return result
            if name == "timeout" and index < len(argv):
                index += 1  # the duration
        elif name in SHELLS or name == "eval":
            command = (
                " ".join(argv[index + 1 :]) if name == "eval" else _shell_command(argv[index:])
            )
            if command is not None:
                result.nested.append(command)
            result.argv = argv[index:]
            return result
        else:
            break
    result.argv = argv[index:]
    result.nested += embedded_commands(result.argv)
    return result


def embedded_commands(argv: list[str]) -> list[str]:
    """Command lines a program runs from its arguments: ``ssh host CMD…``, ``watch CMD…``,
    ``find … -exec CMD… ;`` and any ``sh -c TEXT`` among the words (``docker exec c sh -c``,
    ``xargs … bash -c``, ``kubectl exec p -- sh -c``)."""
    if not argv:
        return []
    found = []
    name = basename(argv[0])
    if name in REMOTE_RUNNERS:
        index = _skip_options(argv, 1, REMOTE_RUNNERS[name]) + (name == "ssh")
        if index < len(argv):
            found.append(" ".join(argv[index:]))
    found += _option_values(argv[1:], COMMAND_OPTIONS.get(name, frozenset()))
    if name == "find":
        for index, word in enumerate(argv):
            if word in ("-exec", "-execdir", "-ok", "-okdir"):
                end = next(
                    (i for i in range(index + 1, len(argv)) if argv[i] in (";", "+")), len(argv)
                )
                found.append(shlex.join(argv[index + 1 : end]))
    for index in range(1, len(argv)):
        if basename(argv[index]) in SHELLS:
            command = _shell_command(argv[index:])
            if command is not None:
                found.append(command)
    return found


def _shell_command(argv: list[str]) -> str | None:
    """The text a shell runs with ``-c`` (also clustered: ``-lc``, ``-ec``), else None."""
    for position, word in enumerate(argv[1:], start=1):
        if not word.startswith("-") or word.startswith("--"):
            if word.startswith("--"):
                continue
            return None
        if "c" in word[1:] and position + 1 < len(argv):
            return argv[position + 1]
    return None


def _option_values(args: list[str], options: frozenset[str]) -> list[str]:
    """Values of the given options: ``-c TEXT``, ``--command=TEXT``, clustered ``-qc TEXT``."""
    values = []
    for index, arg in enumerate(args):
        option, equals, value = arg.partition("=")
        if equals and option in options:
            values.append(value)
        elif index + 1 < len(args) and (
            arg in options
            or (arg[:1] == "-" and arg[1:2] != "-" and any(f"-{arg[-1]}" == o for o in options))
        ):
            values.append(args[index + 1])
    return values
