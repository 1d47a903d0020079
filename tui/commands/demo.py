"""The ``demo`` verb: an offline tour. Demo agents work on sample issues in the agenttui
tmux session, and the app opens in a window of that session (no Linear key, no model, no
tmux config needed). Run it again to get back to the same session."""

from __future__ import annotations

import argparse
import os
import subprocess
from typing import Any

DEMO_PROMPTS = (
    "Refine {id}: {title}. Write your answer to the file: notes/refine.md [work 25s]",
    "Plan {id}: {title}, then run command `ls -la` to look around [work 3s]",
    "Implement {id}: {title} [work 40s]",
    "Review {id}: {title}. Say VERDICT: PASS or FAIL [work 15s]",
)
APP_WINDOW = "agenttui"


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    parser = subparsers.add_parser(
        "demo", parents=[common], help="offline demo: demo agents on sample issues + the app"
    )
    parser.add_argument("--agents", type=int, default=4, help="demo agents to start (default 4)")
    parser.add_argument(
        "--no-attach", action="store_true", help="set everything up but do not open the app"
    )
    parser.set_defaults(handler=run_demo)


def spawn_demo_agents(driver: Any, count: int) -> list[str]:
    """Start ``count`` demo agents on sample issues (skipping ones already running)."""
    from workflows.agents.profiles import load_profile
    from workflows.issues import open_source
    from workflows.paths import state_dir

    profile = load_profile("demo")
    running = {pane.name for pane in driver.panes() if not pane.dead}
    issues = open_source("local").list_issues()[:count]
    names = []
    for number, issue in enumerate(issues):
        name = f"demo-{issue.identifier.lower()}"
        names.append(name)
        if name in running:
            continue
        workdir = state_dir() / "demo" / issue.identifier
        (workdir / "notes").mkdir(parents=True, exist_ok=True)
        prompt = DEMO_PROMPTS[number % len(DEMO_PROMPTS)].format(
            id=issue.identifier, title=issue.title
        )
        driver.spawn([*profile.launch_argv(), prompt], name=name, agent="demo", cwd=str(workdir))
    return names


def _app_argv(args: argparse.Namespace) -> list[str]:
    from workflows.paths import agenttui_argv

    argv = [*agenttui_argv(), "--session", args.session]
    if args.socket:
        argv += ["--socket", args.socket]
    return [*argv, "app"]


def open_app_window(driver: Any, args: argparse.Namespace) -> str:
    """The app's window in the session (created once); returns its target."""
    from workflows.runner import child_env
    from workflows.tmux.launch import launch_argv

    target = f"={args.session}:{APP_WINDOW}"
    windows = driver.command("list-windows", "-t", f"={args.session}", "-F", "#{window_name}")
    if APP_WINDOW not in windows:
        # Through a launch file: the Linear key stays off every command line.
        driver.command(
            "new-window", "-d", "-t", f"={args.session}:", "-n", APP_WINDOW,
            "--", *launch_argv(_app_argv(args), env=child_env()),
        )  # fmt: skip
    return target


def _inside_same_server(driver: Any) -> bool:
    tmux_env = os.environ.get("TMUX", "")
    if not tmux_env:
        return False
    lines = driver.command("display-message", "-p", "#{socket_path}")
    return bool(lines) and tmux_env.split(",")[0] == lines[0]


def run_demo(args: argparse.Namespace) -> Any:
    from workflows.tmux.driver import TmuxDriver
    from workflows.tmux.protocol import tmux_base_argv

    driver = TmuxDriver(socket=args.socket, session=args.session)
    try:
        driver.ensure_session()
        names = spawn_demo_agents(driver, args.agents)
        target = open_app_window(driver, args)
        inside = _inside_same_server(driver)
    finally:
        driver.close()
    if args.no_attach:
        return {"session": args.session, "agents": names, "app_window": target}
    tmux = tmux_base_argv(args.socket)
    if inside:
        return subprocess.call([*tmux, "switch-client", "-t", target])
    env = {key: value for key, value in os.environ.items() if key != "TMUX"}
    subprocess.call([*tmux, "select-window", "-t", target])
    return subprocess.call([*tmux, "attach-session", "-t", f"={args.session}"], env=env)
