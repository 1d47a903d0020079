"""The ``demo`` verb: an offline tour. A feedback run works on a group of sample issues in a
sample git project (``workflows.demo.project``) up to a pull request on the offline forge
(``workflows.forge.offline``, in the session's ``forge`` window), a few stand-alone demo agents work
on other sample issues, and the app opens in a window of the agenttui tmux session with the
demo config (no Linear key, no model, no network, no tmux config needed). Run it again to get
back to the same session: everything is reused."""

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
    parser.add_argument(
        "--agents", type=int, default=2, help="stand-alone demo agents to start (default 2)"
    )
    parser.add_argument(
        "--no-attach", action="store_true", help="set everything up but do not open the app"
    )
    parser.add_argument(
        "--qa",
        action="store_true",
        help="also two feedback-qa runs sharing one staging slot, with a scripted QA person",
    )
    parser.set_defaults(handler=run_demo)
    qa = subparsers.add_parser(
        "demo-qa", parents=[common], help="the QA demo's scripted QA person (demo --qa)"
    )
    qa.set_defaults(handler=run_qa)
    deploy = subparsers.add_parser(
        "demo-deploy", parents=[common], help="the QA demo's deploy to its staging folder"
    )
    deploy.add_argument("--into", required=True, help="the staging folder")
    deploy.add_argument("--branch", required=True)
    deploy.add_argument("--commit", required=True)
    deploy.set_defaults(handler=run_deploy)
    forge = subparsers.add_parser(
        "demo-forge", parents=[common], help="the demo's offline GitHub (pull requests) server"
    )
    forge.add_argument("--port-file", required=True, help="where to write the port it listens on")
    forge.add_argument("--state-file", help="JSON file keeping its pull requests across restarts")
    forge.add_argument("--remote", help="bare git repository standing in for GitHub's side")
    forge.add_argument("--port", type=int, default=0, help="port to try first (default: any)")
    forge.add_argument(
        "--review", action="store_true", help="approve each PR and pass a check on each head"
    )
    forge.set_defaults(handler=run_forge)


def run_forge(args: argparse.Namespace) -> int:
    from pathlib import Path

    from workflows.demo.qa import demo_reviewer
    from workflows.forge.offline import serve

    serve(
        Path(args.port_file),
        state_file=Path(args.state_file) if args.state_file else None,
        remote=Path(args.remote) if args.remote else None,
        port=args.port,
        helper=demo_reviewer if args.review else None,
    )
    return 0


def run_qa(args: argparse.Namespace) -> int:
    from workflows.demo.project import demo_folder
    from workflows.demo.qa import qa_stand_in

    qa_stand_in(demo_folder())
    return 0


def run_deploy(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tui.output import say
    from workflows.demo.qa import deploy

    url = deploy(Path(args.into), args.branch, args.commit, Path.cwd())
    say(f"deployed {args.branch} at {args.commit} to {url}")
    return 0


def spawn_demo_agents(driver: Any, count: int) -> list[str]:
    """Start ``count`` stand-alone demo agents on sample issues (skipping ones running)."""
    from workflows.agents.settings import load_profile
    from workflows.agents.startup import start_agent, wait_until_ready
    from workflows.base.paths import state_dir
    from workflows.demo.project import DEMO_ISSUES
    from workflows.issues.local import SAMPLE_FOLDER, LocalSource

    profile = load_profile("demo")
    running = {pane.name for pane in driver.panes() if not pane.dead}
    # A stable choice away from the demo run's issues (whose updates reorder the list).
    issues = sorted(
        (issue for issue in LocalSource(SAMPLE_FOLDER).list_issues()
         if issue.identifier not in DEMO_ISSUES),
        key=lambda issue: issue.identifier, reverse=True,
    )[:count]  # fmt: skip
    names, started = [], []
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
        # The demo agent takes its first prompt as an argument.
        started.append(
            start_agent(driver, profile, name=name, cwd=str(workdir), extra_args=[prompt])
        )
    for pane in started:
        wait_until_ready(driver, pane, profile=profile, timeout=60)
    return names


def _app_argv(args: argparse.Namespace) -> list[str]:
    from workflows.base.paths import agenttui_argv

    argv = [*agenttui_argv(), "--session", args.session]
    if args.socket:
        argv += ["--socket", args.socket]
    return [*argv, "app"]


def open_app_window(driver: Any, args: argparse.Namespace, env: dict[str, str]) -> str:
    """The app's window in the session (created once); returns its target."""
    from workflows.tmux.launch import launch_argv

    target = f"={args.session}:{APP_WINDOW}"
    windows = driver.command("list-windows", "-t", f"={args.session}", "-F", "#{window_name}")
    if APP_WINDOW not in windows:
        # Through a launch file: the env (the demo config, the forge) is on no command line.
        with driver.layout():  # every window change under the lock (tmux/server.py)
            driver.command(
                "new-window", "-d", "-t", f"={args.session}:", "-n", APP_WINDOW,
                "--", *launch_argv(_app_argv(args), env=env),
            )  # fmt: skip
    return target


def _inside_same_server(driver: Any) -> bool:
    tmux_env = os.environ.get("TMUX", "")
    if not tmux_env:
        return False
    lines = driver.command("display-message", "-p", "#{socket_path}")
    return bool(lines) and tmux_env.split(",")[0] == lines[0]


def _person_client(driver: Any) -> str:
    """The terminal the person ran the demo from (the client showing their pane, else one on
    its session): switch-client without ``-c`` may pick one of agenttui's control
    connections, the demo's app's own, and nobody would see the demo."""
    from tui.attach import CLIENT_ROWS, person_client
    from workflows.base.errors import AgentTuiError

    pane = os.environ.get("TMUX_PANE", "")
    try:
        session = driver.command("display-message", "-p", "-t", pane, "#{session_name}")
    except AgentTuiError:  # (no such pane here)
        session = []
    listed = driver.command("list-clients", "-F", CLIENT_ROWS)
    return person_client(listed, pane, session[0] if session else "")


def run_demo(args: argparse.Namespace) -> Any:
    from tui.leave import RETURN_DETACH, RETURN_OPTION
    from workflows.demo.project import demo_env, prepare_demo
    from workflows.demo.session import (
        ensure_demo_run,
        ensure_forge,
        ensure_qa_runs,
        ensure_qa_window,
    )
    from workflows.tmux.driver import TmuxDriver
    from workflows.tmux.protocol import tmux_base_argv

    project = prepare_demo()
    driver = TmuxDriver(args.tmux)
    try:
        driver.ensure_session()
        forge = ensure_forge(driver, args.session, project)
        env = demo_env(project, forge)
        run_id = ensure_demo_run(project, env, driver)
        qa_runs = ensure_qa_runs(project, env, driver) if args.qa else []
        if args.qa:
            ensure_qa_window(driver, args.session, project, env)
        names = spawn_demo_agents(driver, args.agents)
        target = open_app_window(driver, args, env)
        inside = _inside_same_server(driver)
        person = _person_client(driver) if inside else ""
    finally:
        driver.close()
    if args.no_attach:
        return {
            "session": args.session,
            "agents": names,
            "app_window": target,
            "run": run_id,
            "qa_runs": qa_runs,
            "forge": forge,
            "config": str(project.config),
            "repo": str(project.repo),
        }
    tmux = tmux_base_argv(args.socket)
    # Where `q` in the app takes the person back: the pane they ran the demo from, or
    # (attached from a plain terminal) back out of tmux.
    back = os.environ.get("TMUX_PANE", "") if inside else RETURN_DETACH
    subprocess.run([*tmux, "set-option", "-w", "-t", target, RETURN_OPTION, back], check=False)
    if inside:
        why = "no terminal is attached to this tmux server"
        if person:
            switch = [*tmux, "switch-client", "-c", person, "-t", target]
            shown = subprocess.run(switch, capture_output=True, text=True, check=False)
            if shown.returncode == 0:
                return 0
            why = shown.stderr.strip() or "switch-client failed"
        attach = " ".join(["tmux", *tmux[1:], "attach-session", "-t", target])
        return (
            f"The demo runs in tmux session {args.session!r}, but no tmux client could show "
            f"it ({why}).\nSee it with: {attach}"
        )
    env = {key: value for key, value in os.environ.items() if key != "TMUX"}
    subprocess.call([*tmux, "select-window", "-t", target])
    return subprocess.call([*tmux, "attach-session", "-t", f"={args.session}"], env=env)
