"""Agent profiles: how to launch, feed, read and steer one kind of agent — kept as data.

Built-in profiles are the TOML files beside this module; a user's
``<config_dir>/profiles/<name>.toml`` overrides a built-in of the same name or adds a new
agent. When an agent release changes its screens, editing the file is the whole fix.
``[agents.NAME]`` in config.toml layers env, env_from, args and permission_mode over either
(:mod:`workflows.agents.settings`), leaving the screen rules to the file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflows.agents.state import AgentState
from workflows.base.errors import AgentTuiError
from workflows.base.paths import agenttui_argv, config_dir

BUILTIN_DIR = Path(__file__).parent / "profiles"
PROMPT_MODES = ("argv", "send")
HOOK_KINDS = ("none", "claude-settings", "codex-notify")
KEY_ACTIONS = ("approve", "approve_always", "deny", "interrupt")


@dataclass(frozen=True)
class StateRule:
    """A screen rule: when ``screen`` (and ``title``, if given) match, the agent is in ``state``.

    ``screen`` is searched in the last ``last_lines`` non-empty lines of the screen (all
    when 0). ``detail`` maps a detail key to a regex whose first group that took part is the
    value; ``reason`` is a fixed detail (why a ``blocked`` agent is blocked: ``usage_limit``…).
    """

    state: str
    screen: re.Pattern[str] | None = None
    title: re.Pattern[str] | None = None
    last_lines: int = 0
    detail: dict[str, re.Pattern[str]] = field(default_factory=dict)
    reason: str = ""


@dataclass(frozen=True)
class TrustAnswer:
    """How to accept a trust dialog: move the selection onto the trusting option, then confirm.

    Never a blind key: Claude Code 2.1.3xx starts the cursor on "No, exit", where Enter quits.
    """

    option: re.Pattern[str]
    """Matches the line of the option that trusts the folder."""
    selected: re.Pattern[str]
    """Matches the line of the option the cursor is on (its marker: ``❯``, ``›``, ``●``)."""
    next_key: str = "Down"
    previous_key: str = "Up"
    confirm: tuple[str, ...] = ("Enter",)
    restart: re.Pattern[str] | None = None
    """Shown once the answer is taken when the agent restarts to apply it (Gemini): until it
    is, a screen without the dialog is the old process's, not the ready agent."""
    settle_ms: int = 400
    """The dialog must have been on screen, unchanged, this long before a key is sent
    (Claude Code drops keys in the first ~0.4 s after drawing it)."""


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    command: list[str]
    env: dict[str, str]
    prompt: str
    """How a first prompt is given: ``argv`` (appended to the command) or ``send``."""
    ready: re.Pattern[str] | None
    """Seen on screen once the agent accepts input."""
    input_empty: re.Pattern[str] | None
    """Matches a screen line when the input box is empty (pre-flight and submit confirm)."""
    paste_placeholder: re.Pattern[str] | None
    """What the agent shows instead of a long paste, e.g. ``[Pasted text #1 +3 lines]``."""
    settle_ms: int
    hooks: str
    keys: dict[str, list[str]]
    trust: re.Pattern[str] | None
    """A trust/onboarding dialog on screen; ``trust_answer`` says how to accept it."""
    trust_answer: TrustAnswer | None
    """None: a person answers the dialog (``trust_unanswered`` says why)."""
    quiescence_s: float
    """No output for this long while no rule matches means idle."""
    rules: list[StateRule]
    source: Path
    input_last_lines: int = 0
    """Search ``input_empty`` only in the last N non-empty screen lines (0: everywhere)."""
    start_settle_ms: int = 0
    """Launch readiness: the agent must read ready on an unchanged screen this long (an
    agent that draws its input box before it takes every key)."""
    trust_unanswered: str = ""
    """Why agenttui leaves this profile's trust dialog to a person (no answer configured)."""
    trust_last_lines: int = 0
    """Search ``trust`` only in the last N non-empty lines (0: everywhere): an answered dialog
    can stay on screen above what the agent draws next (Gemini restarts below it)."""
    env_from: list[str] = field(default_factory=list)
    """Variables passed through from agenttui's environment (keys that never sit in a file)."""
    args: list[str] = field(default_factory=list)
    """Arguments after ``command`` (and the permission mode's), e.g. ``["--model", "x"]``."""
    permission_mode: str = ""
    """The agent's own permission mode, passed as ``permission_args`` ('' : its default)."""
    permission_args: list[str] = field(default_factory=list)
    """How the mode is passed; ``{mode}`` is replaced, e.g. ``["--permission-mode", "{mode}"]``."""
    permission_modes: list[str] = field(default_factory=list)
    """The modes the agent accepts (empty: not checked)."""
    clear_keys: list[str] = field(default_factory=list)
    """Keys that delete one row of the input box (e.g. ``C-u`` then ``BSpace``), sent once per
    row a failed send's text can take so it leaves nothing behind; on an empty box they must
    do nothing. Empty: the agent cannot be cleared (a failed send reports that)."""
    input_box: StateRule | None = None
    """Matches while the agent's input box is on screen, empty or not (``screen`` and
    ``last_lines`` as in a rule). A quiet screen that shows neither it nor any rule's state
    for ``blocked_after_s`` is ``blocked``: a dialog nobody recognised. None: never judged."""
    blocked_after_s: float = 5.0
    animated: re.Pattern[str] | None = None
    end_of_options: str = "--"
    """Written before an ``argv`` prompt, so that a prompt starting with ``-`` (text from an
    issue, or ``--dangerously-skip-permissions``) is text and never one of the agent's
    options; '' for a CLI that has no such marker."""
    """What changes on a screen that is otherwise still (Claude Code blinks the dot before a
    waiting tool call): blanked before the screen's quiet time is measured."""

    @property
    def permission_hook(self) -> bool:
        """The agent asks agenttui's policy through a hook before a person (Claude Code)."""
        return self.hooks == "claude-settings"

    def still_text(self, lines: list[str]) -> str:
        """The screen as far as quiet time goes: ``animated`` parts blanked."""
        text = "\n".join(lines)
        return self.animated.sub("", text) if self.animated is not None else text

    def shows_trust(self, lines: list[str]) -> bool:
        """Is the trust dialog on this screen (the latest thing drawn, with ``last_lines``)?"""
        if self.trust is None:
            return False
        visible = [line for line in lines if line.strip()]
        if self.trust_last_lines:
            visible = visible[-self.trust_last_lines :]
        return bool(self.trust.search("\n".join(visible)))

    def command_sets_mode(self) -> bool:
        """Does ``command`` pass a permission mode itself (an older profile copy)?"""
        return bool(self.permission_args) and self.permission_args[0] in self.command

    def launch_argv(self, prompt: str | None = None, extra: list[str] | None = None) -> list[str]:
        """command, the permission mode's arguments, ``args``, ``extra`` (hooks…), prompt."""
        argv: list[str] = []
        for part in self.command:
            argv.extend(agenttui_argv() if part == "{agenttui}" else [part])
        if self.permission_mode and not self.command_sets_mode():
            mode = self.permission_mode
            argv.extend(word.replace("{mode}", mode) for word in self.permission_args)
        argv.extend(self.args)
        argv.extend(extra or [])
        if prompt is not None and self.prompt == "argv":
            argv.extend([self.end_of_options, prompt] if self.end_of_options else [prompt])
        return argv


def _regex(value: Any, where: str) -> re.Pattern[str] | None:
    if value is None:
        return None
    try:
        return re.compile(str(value), re.MULTILINE)
    except re.error as error:
        raise AgentTuiError(f"{where}: bad regex {value!r}: {error}") from error


def _rule(raw: dict[str, Any], where: str) -> StateRule:
    known = {"state", "screen", "title", "last_lines", "detail", "reason"}
    unknown = set(raw) - known
    if unknown:
        raise AgentTuiError(f"{where}: unknown keys {sorted(unknown)}")
    if "state" not in raw:
        raise AgentTuiError(f"{where}: a rule needs a state")
    if str(raw["state"]) not in {state.value for state in AgentState}:
        known_states = ", ".join(state.value for state in AgentState)
        raise AgentTuiError(f"{where}: unknown state {raw['state']!r}; known: {known_states}")
    detail = {
        key: _regex(pattern, f"{where}.detail.{key}")
        for key, pattern in raw.get("detail", {}).items()
    }
    return StateRule(
        state=str(raw["state"]),
        screen=_regex(raw.get("screen"), f"{where}.screen"),
        title=_regex(raw.get("title"), f"{where}.title"),
        last_lines=int(raw.get("last_lines", 0)),
        detail={key: value for key, value in detail.items() if value is not None},
        reason=str(raw.get("reason", "")),
    )


def _words(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(word, str) for word in value):
        raise AgentTuiError(f"{where} must be a list of strings")
    return list(value)


def check_mode(mode: str, modes: list[str], where: str) -> None:
    if mode and modes and mode not in modes:
        raise AgentTuiError(f"{where}: {mode!r} is not one of {', '.join(modes)}")


TRUST_KEYS = {
    "screen", "last_lines", "option", "selected", "next", "previous", "confirm", "settle_ms",
    "restart", "keys",
}  # fmt: skip


def _trust_answer(raw: Any, where: str) -> tuple[TrustAnswer | None, str]:
    """The ``[trust]`` table's answer, or None with the reason a person must answer."""
    if not isinstance(raw, dict):
        raise AgentTuiError(f"{where}: [trust] must be a table")
    unknown = set(raw) - TRUST_KEYS
    if unknown:
        raise AgentTuiError(f"{where}: unknown keys {sorted(unknown)}")
    option = _regex(raw.get("option"), f"{where}.option")
    selected = _regex(raw.get("selected"), f"{where}.selected")
    if option is None or selected is None:
        legacy = " (trust.keys is no longer used: a blind key can pick 'No, exit')"
        return None, (
            "the profile's [trust] names no option and selected pattern, so agenttui does "
            "not answer this dialog" + (legacy if "keys" in raw else "")
        )
    confirm = raw.get("confirm", ["Enter"])
    if not isinstance(confirm, list) or not confirm:
        raise AgentTuiError(f"{where}.confirm: a non-empty list of keys")
    answer = TrustAnswer(
        option=option,
        selected=selected,
        next_key=str(raw.get("next", "Down")),
        previous_key=str(raw.get("previous", "Up")),
        confirm=tuple(str(key) for key in confirm),
        restart=_regex(raw.get("restart"), f"{where}.restart"),
        settle_ms=int(raw.get("settle_ms", 400)),
    )
    return answer, ""


def _input_box(raw: Any, where: str) -> StateRule | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or "screen" not in raw or set(raw) - {"screen", "last_lines"}:
        raise AgentTuiError(f"{where}: input_box wants a table with screen (and last_lines)")
    return _rule({"state": AgentState.IDLE.value, **raw}, f"{where}: input_box")


def parse_profile(data: dict[str, Any], source: Path) -> Profile:
    where = str(source)
    name = str(data.get("name", source.stem))
    prompt = str(data.get("prompt", "send"))
    if prompt not in PROMPT_MODES:
        raise AgentTuiError(f"{where}: prompt must be one of {PROMPT_MODES}, not {prompt!r}")
    hooks = str(data.get("hooks", "none"))
    if hooks not in HOOK_KINDS:
        raise AgentTuiError(f"{where}: hooks must be one of {HOOK_KINDS}, not {hooks!r}")
    command = data.get("command")
    if not isinstance(command, list) or not command:
        raise AgentTuiError(f"{where}: command must be a non-empty list of strings")
    keys = {action: list(data.get("keys", {}).get(action, [])) for action in KEY_ACTIONS}
    modes = _words(data.get("permission_modes", []), f"{where}: permission_modes")
    mode = str(data.get("permission_mode", ""))
    check_mode(mode, modes, f"{where}: permission_mode")
    trust = data.get("trust", {})
    answer, unanswered = _trust_answer(trust, f"{where}: trust")
    return Profile(
        name=name,
        description=str(data.get("description", name)),
        command=[str(part) for part in command],
        env={str(k): str(v) for k, v in data.get("env", {}).items()},
        prompt=prompt,
        ready=_regex(data.get("ready"), f"{where}: ready"),
        input_empty=_regex(data.get("input_empty"), f"{where}: input_empty"),
        paste_placeholder=_regex(data.get("paste_placeholder"), f"{where}: paste_placeholder"),
        settle_ms=int(data.get("settle_ms", 150)),
        hooks=hooks,
        keys=keys,
        trust=_regex(trust.get("screen"), f"{where}: trust.screen"),
        trust_answer=answer,
        trust_unanswered=unanswered,
        trust_last_lines=int(trust.get("last_lines", 0)),
        quiescence_s=float(data.get("quiescence_s", 2.0)),
        rules=[_rule(raw, f"{where}: rules[{i}]") for i, raw in enumerate(data.get("rules", []))],
        source=source,
        input_last_lines=int(data.get("input_last_lines", 0)),
        start_settle_ms=int(data.get("start_settle_ms", 0)),
        clear_keys=[str(key) for key in data.get("clear_keys", [])],
        end_of_options=str(data.get("end_of_options", "--")),
        env_from=_words(data.get("env_from", []), f"{where}: env_from"),
        args=_words(data.get("args", []), f"{where}: args"),
        permission_mode=mode,
        permission_args=_words(data.get("permission_args", []), f"{where}: permission_args"),
        permission_modes=modes,
        input_box=_input_box(data.get("input_box"), where),
        blocked_after_s=float(data.get("blocked_after_s", 5.0)),
        animated=_regex(data.get("animated"), f"{where}: animated"),
    )


def _profile_files() -> dict[str, Path]:
    files = {path.stem: path for path in sorted(BUILTIN_DIR.glob("*.toml"))}
    user_dir = config_dir() / "profiles"
    if user_dir.is_dir():
        files.update({path.stem: path for path in sorted(user_dir.glob("*.toml"))})
    return files


def list_profiles() -> list[str]:
    return sorted(_profile_files())


def profile_file(name: str) -> Path:
    """Where profile ``name`` is read from: a user file in the config dir, else the built-in."""
    path = _profile_files().get(name)
    if path is None:
        raise AgentTuiError(f"unknown agent profile {name!r}; known: {', '.join(list_profiles())}")
    return path


def load_profile_file(name: str) -> Profile:
    """The profile's file alone: a user file in the config dir, else the built-in one."""
    path = profile_file(name)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise AgentTuiError(f"{path}: {error}") from error
    return parse_profile(data, path)
