"""What the words of a command are: file names, plain text, secret variables, code.

The deny-list judges a word as a file only where a program would open it: a whole shell word
(or an option's value after ``=``, ``@`` or ``host:``), never a fragment of a sentence, and
never the text that ``echo``/``printf`` print or a commit message. A variable is a secret when
one of the words its name is made of says so (``LINEAR_API_KEY``, ``githubToken``), not when
some letters of it do (``MONKEY``, ``TOKENIZERS_PARALLELISM``).
"""

from __future__ import annotations

import re

from workflows.approvals.unwrap import basename

SECRET_WORDS = frozenset(
    {
        "KEY",
        "KEYS",
        "TOKEN",
        "TOKENS",
        "SECRET",
        "SECRETS",
        "PASSWORD",
        "PASSWORDS",
        "PASSWD",
        "PASS",
        "PASSPHRASE",
        "CREDENTIAL",
        "CREDENTIALS",
        "CREDS",
        "PAT",
    }
)
# Secret words glued to a qualifier, as in APIKEY or ACCESSTOKEN.
SECRET_QUALIFIERS = frozenset(
    {"API", "ACCESS", "SECRET", "PRIVATE", "AUTH", "CLIENT", "SESSION", "MASTER", "SIGNING",
     "ENCRYPTION", "BEARER", "REFRESH", "APP", "DEPLOY", "SSH", "GPG", "LICENSE", "DB"}
)  # fmt: skip
NAME_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# Programs that only print their operands, and options whose value is a message.
TEXT_COMMANDS = frozenset({"echo", "printf"})
MESSAGE_OPTIONS = frozenset({"--message", "--title", "--body", "--subject", "--description"})
VCS = frozenset({"git", "hg", "svn", "jj"})
MESSAGE_TOOLS = VCS | {"gh", "glab", "tea"}  # where the options above take a message
# Inline programs: ``python -c CODE``, ``node -e CODE``…; their string literals name files.
CODE_OPTIONS = {
    "python": ("-c",),
    "node": ("-e", "-p", "--eval", "--print"),
    "deno": ("eval",),
    "bun": ("-e", "--eval"),
    "perl": ("-e", "-E"),
    "ruby": ("-e",),
    "php": ("-r",),
}
# Calls that hand a string to a shell: their literals are command lines too.
SHELL_OUT = re.compile(
    r"\b(system|popen|Popen|subprocess|check_output|check_call|spawnSync|spawn|execSync|exec"
    r"|shell_exec|passthru)\s*[.(]|`|%x"
)
STRING_LITERAL = re.compile(r"""(['"`])((?:\\.|(?!\1).)*)\1""", re.DOTALL)


def is_secret_name(name: str) -> bool:
    """Does a variable's name say it holds a secret (by its words, not its letters)?"""
    for part in NAME_PARTS.findall(name):
        upper = part.upper()
        if upper in SECRET_WORDS:
            return True
        if any(upper.endswith(word) and upper[: -len(word)] in SECRET_QUALIFIERS
               for word in ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD")):  # fmt: skip
            return True
    return False


def file_words(argv: list[str]) -> list[str]:
    """The words of an (unwrapped) command that can name files: all but the text that
    ``echo``/``printf`` print and messages given to version control and forges
    (``git commit -m TEXT``, ``gh pr create --title TEXT --body TEXT``)."""
    if not argv:
        return []
    name = basename(argv[0])
    if name in TEXT_COMMANDS:
        return argv[:1]
    if name not in MESSAGE_TOOLS:
        return argv
    words, skip = [], False
    for word in argv:
        if skip:
            skip = False
        elif word in MESSAGE_OPTIONS or (name in VCS and word == "-m"):
            skip = True
        elif not word.startswith(tuple(option + "=" for option in MESSAGE_OPTIONS)):
            words.append(word)
    return words


def inline_code(argv: list[str]) -> str:
    """The program text given on the command line to an interpreter, else ""."""
    if not argv:
        return ""
    name = re.sub(r"[0-9.]+$", "", basename(argv[0]))
    options = CODE_OPTIONS.get(name, ())
    for index, arg in enumerate(argv[1:-1], start=1):
        if arg in options:
            return argv[index + 1]
        if not arg.startswith("-"):  # a script or subcommand: the rest is its business
            break
    return ""


def code_literals(code: str) -> list[str]:
    """The string literals of a program text: the only places it names files."""
    return [match[2] for match in STRING_LITERAL.finditer(code)]


def shell_out_literals(code: str) -> list[str]:
    """The string literals of inline code that may run them through a shell
    (``os.system('…')``, ``subprocess.run('…', shell=True)``, ``execSync('…')``)."""
    return code_literals(code) if SHELL_OUT.search(code) else []
