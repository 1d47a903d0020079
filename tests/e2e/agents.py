"""Launch the real Claude Code and Codex CLIs offline: isolated homes, pre-trust, jail.

``claude_launch`` / ``codex_launch`` return (argv, env) for a tmux pane: the agent runs inside
``unshare -n`` (tests/e2e/netjail.py) with a private HOME / CODEX_HOME whose onboarding is
done, the project folder trusted, telemetry and update checks off, and the model server of
the test as its only reachable endpoint. Binaries come from ``$AGENTTUI_NPM_BIN``.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import tomllib
from pathlib import Path

import pytest
import tomli_w

from tests.e2e.model_server import AnthropicServer, GeminiServer, OpenAIServer
from tests.e2e.netjail import jail_argv
from workflows.agents.profiles import BUILTIN_DIR
from workflows.base.paths import config_dir

JAIL_PORT_CLAUDE = 18080
JAIL_PORT_CODEX = 18081
JAIL_PORT_GEMINI = 18082


def npm_bin(name: str, *, release: str = "") -> str:
    """The npm-installed CLI the e2e suite drives, or of one ``release`` set ("current" or
    "pinned", tests/agent-clis.txt); skip (with the reason) when the environment lacks it."""
    variable = f"AGENTTUI_NPM_BIN_{release.upper()}" if release else "AGENTTUI_NPM_BIN"
    directory = os.environ.get(variable)
    if not directory and release == "current":  # a plain AGENTTUI_NPM_BIN is the current set
        variable, directory = "AGENTTUI_NPM_BIN", os.environ.get("AGENTTUI_NPM_BIN")
    if not directory:
        pytest.skip(f"{variable} is not set (tests/bootstrap.sh test sets it)")
    path = Path(directory) / name
    if not path.exists():
        pytest.skip(f"{path} is missing: run tests/bootstrap.sh test to install it")
    wanted, installed = listed_version(name, release), installed_version(path)
    if release and wanted != installed:
        pytest.skip(
            f"{variable} holds {name} {installed}, not the {release} {wanted} of "
            "tests/agent-clis.txt: run tests/bootstrap.sh test"
        )
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is required to keep the agent offline")
    return str(path)


PACKAGES = {
    "claude": "@anthropic-ai/claude-code",
    "codex": "@openai/codex",
    "gemini": "@google/gemini-cli",
}
CLI_SETS = Path(__file__).resolve().parent.parent / "agent-clis.txt"


def listed_version(name: str, release: str) -> str:
    """The version of ``name`` in a set of tests/agent-clis.txt ("" when not listed)."""
    for line in CLI_SETS.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words[:1] == [release]:
            for spec in words[1:]:
                package, _, version = spec.rpartition("@")
                if package == PACKAGES[name]:
                    return version
    return ""


def installed_version(binary: Path) -> str:
    """The version npm installed next to ``binary`` (node_modules/.bin/NAME)."""
    manifest = binary.parent.parent / PACKAGES[binary.name] / "package.json"
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return "?"


def base_env(home: Path) -> dict[str, str]:
    return {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "NO_PROXY": "*",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        # The hook verb writes to the test's store.
        "AGENTTUI_STATE_DIR": os.environ.get("AGENTTUI_STATE_DIR", ""),
        "AGENTTUI_CONFIG_DIR": os.environ.get("AGENTTUI_CONFIG_DIR", ""),
    }


def prepare_claude_home(home: Path, project: Path, api_key: str) -> None:
    """Onboarding done, the project trusted, the dummy API key approved."""
    home.mkdir(parents=True, exist_ok=True)
    (home / ".claude").mkdir(exist_ok=True)
    trusted = {"hasTrustDialogAccepted": True, "hasCompletedProjectOnboarding": True}
    state = {
        "hasCompletedOnboarding": True,
        "lastOnboardingVersion": "9.9.9",
        "numStartups": 5,
        "theme": "dark",
        "autoUpdates": False,
        "bypassPermissionsModeAccepted": False,
        "customApiKeyResponses": {"approved": [api_key[-20:]], "rejected": []},
        "projects": {str(project): trusted},
    }
    (home / ".claude.json").write_text(json.dumps(state), encoding="utf-8")


def claude_launch(
    server: AnthropicServer,
    home: Path,
    project: Path,
    *,
    extra: list[str] | None = None,
    trusted: bool = True,
    permission_mode: str | None = "default",
    binary: str | None = None,
) -> tuple[list[str], dict[str, str]]:
    """``permission_mode`` None: the release's own default (2.1.3xx: "auto")."""
    binary = binary or npm_bin("claude")
    prepare_claude_home(home, project if trusted else home / "elsewhere", server.api_key)
    env = {**base_env(home), **server.claude_env(JAIL_PORT_CLAUDE)}
    # Ask before running tools whatever a newer release's default mode is ("auto").
    mode = ["--permission-mode", permission_mode] if permission_mode else []
    claude = [binary, *mode, *(extra or [])]
    argv = jail_argv(JAIL_PORT_CLAUDE, str(server.unix_path), claude)
    return argv, env


def prepare_codex_home(
    codex_home: Path, project: Path, *, trusted: bool = True, features: tuple[str, ...] = ()
) -> None:
    codex_home.mkdir(parents=True, exist_ok=True)
    enabled = "".join(f"{feature} = true\n" for feature in features)
    project_section = f'[projects."{project}"]\ntrust_level = "trusted"\n' if trusted else ""
    # Codex asks "Trust this folder?" only when no approval policy is configured.
    policy = 'approval_policy = "on-request"\nsandbox_mode = "workspace-write"\n' if trusted else ""
    (codex_home / "config.toml").write_text(
        f"""model = "gpt-e2e"
model_provider = "e2e"
{policy}check_for_update_on_startup = false
hide_agent_reasoning = true

[model_providers.e2e]
name = "e2e"
base_url = "http://127.0.0.1:{JAIL_PORT_CODEX}/v1"
wire_api = "responses"
env_key = "E2E_OPENAI_KEY"
request_max_retries = 0
stream_max_retries = 0

[analytics]
enabled = false

[feedback]
enabled = false

[notice]
hide_full_access_warning = true

[features]
{enabled}
{project_section}""",
        encoding="utf-8",
    )


def codex_launch(
    server: OpenAIServer,
    home: Path,
    project: Path,
    *,
    extra: list[str] | None = None,
    trusted: bool = True,
    features: tuple[str, ...] = (),
) -> tuple[list[str], dict[str, str]]:
    """``features``: Codex ``[features]`` flags to turn on (e.g. its question tool)."""
    binary = npm_bin("codex")
    codex_home = home / ".codex"
    prepare_codex_home(codex_home, project, trusted=trusted, features=features)
    tmp = home / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env = {
        **base_env(home),
        "CODEX_HOME": str(codex_home),
        "TMPDIR": str(tmp),
        "E2E_OPENAI_KEY": server.api_key,
    }
    argv = jail_argv(
        JAIL_PORT_CODEX, str(server.unix_path), [binary, "--no-daemon", *(extra or [])]
    )
    return argv, env


def prepare_gemini_home(home: Path, project: Path, *, trusted: bool = True) -> None:
    """API-key auth chosen (no sign-in dialog), telemetry and updates off, folder trusted."""
    gemini = home / ".gemini"
    gemini.mkdir(parents=True, exist_ok=True)
    settings = {
        "security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": True}},
        "general": {"disableAutoUpdate": True, "disableUpdateNag": True},
        "privacy": {"usageStatisticsEnabled": False},
        "telemetry": {"enabled": False},
    }
    (gemini / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
    folders = {str(project): "TRUST_FOLDER"} if trusted else {}
    (gemini / "trustedFolders.json").write_text(json.dumps(folders), encoding="utf-8")


def gemini_launch(
    server: GeminiServer,
    home: Path,
    project: Path,
    *,
    extra: list[str] | None = None,
    trusted: bool = True,
) -> tuple[list[str], dict[str, str]]:
    binary = npm_bin("gemini")
    prepare_gemini_home(home, project, trusted=trusted)
    env = {
        **base_env(home),
        "GOOGLE_GEMINI_BASE_URL": f"http://127.0.0.1:{JAIL_PORT_GEMINI}",
        "GEMINI_API_KEY": server.api_key,
    }
    argv = jail_argv(JAIL_PORT_GEMINI, str(server.unix_path), [binary, *(extra or [])])
    return argv, env


def claude_on_path(bin_dir: Path, server: AnthropicServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """``claude`` first on PATH runs the real CLI inside ``unshare -n`` (only the model server
    is reachable), so the built-in profile's plain ``claude`` command is what runs."""
    bin_dir.mkdir(parents=True)
    jailed = jail_argv(JAIL_PORT_CLAUDE, str(server.unix_path), [npm_bin("claude")])
    (bin_dir / "claude").write_text(f'#!/bin/sh\nexec {shlex.join(jailed)} "$@"\n')
    (bin_dir / "claude").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")


def jailed_claude_profile(server: AnthropicServer, home: Path, worktree: Path) -> str:
    """The built-in claude profile, launched jailed and offline, edits accepted in its cwd."""
    argv, env = claude_launch(server, home, worktree)
    data = tomllib.loads((BUILTIN_DIR / "claude.toml").read_text())
    data.update(name="e2eclaude", command=[*argv, "--permission-mode", "acceptEdits"], env=env)
    (config_dir() / "profiles").mkdir(parents=True, exist_ok=True)
    (config_dir() / "profiles" / "e2eclaude.toml").write_text(tomli_w.dumps(data))
    return "e2eclaude"


CLAUDE_IMPLEMENTS_CODEX_REVIEWS = """
name = "claude-codex"

[[steps]]
id = "implement"
agent = "e2eclaude"
prompt_file = "prompts/implement-direct.md"
output = ".agenttui/implement.md"

[[steps]]
id = "review"
agent = "e2ecodex"
session = "reviewer"
prompt_file = "prompts/review.md"
output = ".agenttui/review.md"
until = "VERDICT: PASS"
on_fail = "implement"

[[steps]]
id = "pr"
kind = "pull_request"
body = "{steps.review.output}"
"""
"""A workflow of the jailed profiles below (the review sends the implement step back)."""


def jailed_codex_profile(server: OpenAIServer, home: Path, worktree: Path) -> str:
    """The built-in codex profile, launched jailed and offline."""
    argv, env = codex_launch(server, home, worktree)
    data = tomllib.loads((BUILTIN_DIR / "codex.toml").read_text())
    data.update(name="e2ecodex", command=argv, env=env)
    (config_dir() / "profiles").mkdir(parents=True, exist_ok=True)
    (config_dir() / "profiles" / "e2ecodex.toml").write_text(tomli_w.dumps(data))
    return "e2ecodex"
