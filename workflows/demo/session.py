"""The demo's moving parts in its tmux session: the offline forge window and the demo run.

Both are reused by the next ``agenttui demo``: a forge that still answers keeps serving, and a
demo run that is running or succeeded is left alone (a failed one is resumed).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from typing import TYPE_CHECKING, Any

import httpx

from workflows.base.errors import AgentTuiError
from workflows.base.paths import agenttui_argv
from workflows.demo.project import DEMO_ISSUES, DEMO_TOKEN, DemoProject
from workflows.demo.qa import QA_ISSUES

if TYPE_CHECKING:
    from workflows.tmux.driver import TmuxDriver

FORGE_WINDOW = "forge"
QA_WINDOW = "qa"
FORGE_START_S = 60.0


def forge_url(project: DemoProject) -> str | None:
    """The running forge's URL, None when none answers."""
    try:
        port = int((project.folder / "forge.port").read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    url = f"http://127.0.0.1:{port}"
    try:
        answered = httpx.get(f"{url}/", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return None
    return url if answered else None


def ensure_forge(driver: Any, session: str, project: DemoProject) -> str:
    """Start ``agenttui demo-forge`` in the session's ``forge`` window unless one answers."""
    from workflows.tmux.launch import launch_argv

    windows = driver.command("list-windows", "-t", f"={session}", "-F", "#{window_name}")
    url = forge_url(project)
    if url is not None and FORGE_WINDOW in windows:
        return url
    if FORGE_WINDOW in windows:
        with driver.layout():  # every window change under the lock (tmux/server.py)
            driver.command("kill-window", "-t", f"={session}:{FORGE_WINDOW}")
    port_file = project.folder / "forge.port"
    try:
        old_port = port_file.read_text(encoding="utf-8").strip()
        port_file.unlink()
    except OSError:
        old_port = "0"
    argv = [
        *agenttui_argv(), "demo-forge", "--port-file", str(port_file),
        "--state-file", str(project.folder / "forge-pulls.json"),
        "--remote", str(project.remote), "--port", old_port if old_port.isdigit() else "0",
        "--review",  # a reviewer and CI: the QA demo's runs watch their PRs for both
    ]  # fmt: skip
    env = {"GITHUB_TOKEN": DEMO_TOKEN, "PATH": os.environ.get("PATH", "")}
    with driver.layout():
        driver.command(
            "new-window", "-d", "-t", f"={session}:", "-n", FORGE_WINDOW,
            "--", *launch_argv(argv, env=env, cwd=str(project.folder)),
        )  # fmt: skip
    deadline = time.monotonic() + FORGE_START_S
    while (url := forge_url(project)) is None:
        if time.monotonic() > deadline:
            raise AgentTuiError(f"the demo forge did not start; see tmux window {FORGE_WINDOW!r}")
        time.sleep(0.2)
    return url


def ensure_demo_run(project: DemoProject, env: dict[str, str], driver: TmuxDriver) -> str:
    """The demo's feedback run on DEMO_ISSUES (see :func:`ensure_run`)."""
    return ensure_run(
        project, env, driver, "run.json", ["feedback", "--issues", ",".join(DEMO_ISSUES)]
    )


def ensure_qa_runs(project: DemoProject, env: dict[str, str], driver: TmuxDriver) -> list[str]:
    """The QA demo's two feedback-qa runs, one per issue, started together: the first to
    reach the staging slot holds it, the other waits in its queue."""
    return [
        ensure_run(project, env, driver, f"qa-run-{issue}.json", ["feedback-qa", "--issues", issue])
        for issue in QA_ISSUES
    ]


def ensure_qa_window(driver: Any, session: str, project: DemoProject, env: dict[str, str]) -> None:
    """The scripted QA person (``agenttui demo-qa``) in the session's ``qa`` window."""
    from workflows.tmux.launch import launch_argv

    windows = driver.command("list-windows", "-t", f"={session}", "-F", "#{window_name}")
    if QA_WINDOW in windows:
        return
    driver.command(
        "new-window", "-d", "-t", f"={session}:", "-n", QA_WINDOW,
        "--", *launch_argv([*agenttui_argv(), "demo-qa"], env=env, cwd=str(project.folder)),
    )  # fmt: skip


def ensure_run(
    project: DemoProject, env: dict[str, str], driver: TmuxDriver, record: str, new: list[str]
) -> str:
    """A demo run (``agenttui run NEW…``) recorded in ``record``: started once and left
    alone while it runs or when it succeeded in this tmux session; resumed when it failed;
    started again when it succeeded but its windows are gone (a new tmux server), to show
    it once more."""
    from workflows.runs.run_store import RunStore

    record_file = project.folder / record
    try:
        run_id = str(json.loads(record_file.read_text(encoding="utf-8"))["run"])
        status: str = RunStore().get(run_id).summary().status
    except (OSError, ValueError, KeyError, AgentTuiError):
        run_id, status = "", "unknown"
    shown = any(pane.run_id == run_id for pane in driver.panes()) if run_id else False
    if status in ("pending", "running") or (status == "succeeded" and shown):
        return run_id
    verb = ["resume", run_id] if status == "failed" else ["run", *new]
    target = driver.target
    argv = [*agenttui_argv(), *(["--socket", target.socket] if target.socket else [])]
    argv += ["--session", target.session]
    done = subprocess.run(
        [*argv, "--json", *verb], env={**os.environ, **env},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise AgentTuiError(f"the demo run did not start: {done.stderr.strip()[-500:]}")
    run_id = str(json.loads(done.stdout.strip().splitlines()[-1])["run"])
    record_file.write_text(json.dumps({"run": run_id}) + "\n", encoding="utf-8")
    return run_id
