"""Run processes: start a run's runner in its own tmux window, resume it, cancel it.

``launch_run`` records the run, then starts ``agenttui run-worker RUN`` in a window named
``run-<id>``; the runner holds ``runs/<id>.lock`` (flock) for its whole life, so a dead
runner is told apart from a live one without trusting pids. Secrets the runner needs
(``LINEAR_API_KEY``, ``GITHUB_TOKEN``) go in its env (``childenv.agenttui_env``): the
driver launches every pane through a 0600 file (``workflows.tmux.launch``), so they are
never on a tmux or process command line, and the runner alone holds them: its agents and
shell steps get none (``workflows.base.childenv``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflows.base.config import table
from workflows.base.errors import AgentTuiError, UsageError
from workflows.base.paths import agenttui_argv, state_dir
from workflows.base.target import TmuxTarget
from workflows.definitions.loader import load_workflow
from workflows.definitions.model import Workflow
from workflows.forge import git
from workflows.runs.agent_choice import Choice, choose_agents
from workflows.runs.budget import refuse_new_run
from workflows.runs.host_cleanup import clean_on_hosts, note_pending, run_hosts, work_on_host
from workflows.runs.issue_states import restore_states
from workflows.runs.queue import admit
from workflows.runs.recording.files import remove_run as remove_recordings
from workflows.runs.records import RunSummary
from workflows.runs.run_env import forget_run_env, runner_env, save_run_env
from workflows.runs.run_store import FINAL, RunRecord, RunStore, worker_alive

if TYPE_CHECKING:
    pass

SERVER_EXIT_WAIT_S = 2.0  # a hangup from tmux: how long its server may take to exit
INTERRUPT_GRACE_S = 1.0  # an interrupted agent's moment to stop before its pane closes


def runner_name(run_id: str) -> str:
    return f"{run_id}-runner"


def effective_status(record: RunRecord) -> RunSummary:
    """The run's summary, telling a dead runner apart (see RunRecord.summary)."""
    return record.summary()


def launch_run(
    workflow_name: str,
    issue_ids: list[str],
    *,
    target: TmuxTarget,
    repo: str | None = None,
    source: str | None = None,
    agents: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    github_repo: str | None = None,
    branch: str | None = None,
    base: str | None = None,
    test_command: str | None = None,
    extra: dict[str, str] | None = None,
    host: str | None = None,
) -> str:
    """Record a run and start its runner; ``extra`` params travel with the run (a
    follow-up's ``request`` and the run it follows). ``host``: a host or pool its agent and
    shell steps work on unless they name their own (``steps.on_host``); the runner stays
    here, on ``target``'s server."""
    ids = [issue.strip() for issue in issue_ids if issue.strip()]
    if not ids:
        raise UsageError("give at least one issue id (--issues ENG-1,ENG-2)")
    if target.host is not None:  # the runner runs here; its steps work on the host
        host, target = host or target.host.name, TmuxTarget(target.socket, target.session)
    workflow = load_workflow(workflow_name)  # a bad definition fails here, before any run
    if needs_request(workflow) and not (extra or {}).get("request"):
        raise UsageError(
            f"workflow {workflow.name!r} acts on what a person wrote ({{request}}, "
            f"{workflow.path}): it starts from a follow-up on a run's Linear session"
        )
    chosen = check_agents(workflow, agents)
    refuse_new_run()  # today's budget spent: nothing new starts
    configured = table("workflows").get_str("repo")
    repo_path = str(Path(repo or configured or os.getcwd()).expanduser().absolute())
    params = {
        "repo": repo_path,
        "source": source,
        "agents": {step: choice.agent for step, choice in chosen.items()},
        "env": sorted(env or {}),  # the names; the values go to a 0600 file (run_env)
        "github_repo": github_repo,
        "branch": branch,
        "base": base,
        "test_command": test_command,
        "tmux": {"socket": target.socket, "session": target.session},  # where it starts
        "host": host or "",
        **(extra or {}),
    }
    try:
        git.repo_root(repo_path)  # refused before any run exists: nothing to clean up
    except AgentTuiError as error:
        raise UsageError(f"no run started: {error} (--repo or [workflows] repo)") from error
    runs = RunStore()
    record = runs.create(workflow.name, workflow.to_json(), ids, params, status="queued")
    save_run_env(record.id, env or {})
    told = ", ".join(f"{step}: {choice.agent} ({choice.why})" for step, choice in chosen.items())
    runs.event(record.id, "agents", f"agents: {told}")
    _start_or_fail(runs, record.id, target=target)
    return record.id


def needs_request(workflow: Workflow) -> bool:
    """A follow-up workflow: its prompts hold a person's ``{request}``, so only a message on a
    run's session starts it, never a launch by hand (the picker leaves it out)."""
    from workflows.definitions.validate import uses_placeholder

    return uses_placeholder(workflow, "request")


def check_agents(workflow: Workflow, agents: Sequence[str]) -> dict[str, Choice]:
    """Each agent step's agent (workflows.runs.agent_choice), every profile loadable and its
    ``env_from`` names set here, where the runner will take them from."""
    from workflows.agents.settings import load_profile
    from workflows.agents.startup import require_env_from

    chosen = choose_agents(workflow, list(agents))
    for name in {choice.agent for choice in chosen.values()}:
        require_env_from(load_profile(name))
    missing = [name for name in workflow.env_from if name not in os.environ]
    if missing:
        raise UsageError(
            f"workflow {workflow.name!r} gives its shell steps {', '.join(missing)} from "
            f"agenttui's environment (env_from, {workflow.path}), but it is not set"
        )
    return chosen


def _start_or_fail(runs: RunStore, run_id: str, *, target: TmuxTarget) -> None:
    """Start the queued run ``run_id`` if a slot is free (it waits in the queue otherwise),
    with any older queued run that fits; its runner failing to start is an error."""
    failed = start_admitted(target=target, runs=runs)
    if run_id in failed:
        raise AgentTuiError(f"run {run_id} failed: could not start the runner: {failed[run_id]}")


def start_admitted(*, target: TmuxTarget, runs: RunStore | None = None) -> dict[str, str]:
    """Start the runner of every queued run that now has a slot (``queue.admit``), each in
    the tmux target it was launched for (``target`` for runs from before that was stored).
    A runner that cannot start fails its run, saying why, and frees its slot for the next;
    returns those runs and why."""
    runs = runs or RunStore()
    failed: dict[str, str] = {}
    while admitted := admit(runs):
        for admission in admitted:
            where = TmuxTarget(**admission.target) if admission.target else target
            try:
                start_worker(admission.run_id, target=where)
            except AgentTuiError as error:
                runs.finish(admission.run_id, "failed", f"could not start the runner: {error}")
                failed[admission.run_id] = str(error)
    return failed


def start_worker(run_id: str, *, target: TmuxTarget) -> str:
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(target)
    try:
        for pane in driver.panes():
            if pane.name == runner_name(run_id) and pane.dead:
                driver.kill(pane.pane_id)  # the window of a previous, finished runner
        argv = [
            *agenttui_argv(),
            "run-worker",
            run_id,
            *(["--socket", target.socket] if target.socket else []),
            "--session",
            target.session,
        ]
        pane = driver.spawn(
            argv,
            name=runner_name(run_id),
            window=f"run-{run_id}",
            run_id=run_id,
            cwd=str(state_dir()),
            env=_runner_env(RunStore().get(run_id)),
        )
    finally:
        driver.close()
    RunStore().event(run_id, "runner", f"runner started in tmux pane {pane.pane_id}")
    return pane.pane_id


def _runner_env(record: RunRecord) -> dict[str, str]:
    workflow_env_from = record.definition.get("env_from", [])
    return runner_env(record.params.get("agents", {}).values(), workflow_env_from)


def resume_run(run_id: str, *, target: TmuxTarget) -> str:
    runs = RunStore()
    record = runs.get(run_id)
    if record.status in ("succeeded", "cancelled"):
        raise UsageError(f"run {record.id} already {record.status}; nothing to resume")
    # (a run stopped for its issues resumes too: by hand, or by the watcher once they are back)
    if worker_alive(record.id):
        raise UsageError(f"run {record.id} is still running (its runner holds the lock)")
    if record.status == "queued":
        raise UsageError(f"run {record.id} is queued: it starts when a slot is free")
    from workflows.agents.settings import load_profile
    from workflows.agents.startup import require_env_from

    for name in set(record.params.get("agents", {}).values()):
        require_env_from(load_profile(name))  # the new runner takes them from here
    runs.enqueue(record.id)
    runs.event(record.id, "resume", f"resuming at step {record.current_step or 'the start'}")
    _start_or_fail(runs, record.id, target=target)
    return record.id


def cancel_run(run_id: str, *, target: TmuxTarget) -> str:
    runs = RunStore()
    record = runs.get(run_id)
    if record.status in FINAL and record.status != "failed":
        return record.status
    runs.update(record.id, cancel_requested=1)
    runs.event(record.id, "cancel", "cancel requested")
    if not worker_alive(record.id):  # queued, or its runner died: no runner to tell
        runs.finish(record.id, "cancelled")
        kill_agents(record.id, target=target)
        restore_states(runs, record.id)
        start_admitted(target=target, runs=runs)  # a dead runner's slot was free already
    return "cancelling" if worker_alive(record.id) else "cancelled"


def kill_agents(run_id: str, *, target: TmuxTarget, runner_too: bool = False) -> None:
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(target)
    try:
        for pane in driver.panes():
            if pane.run_id == run_id and (runner_too or pane.name != runner_name(run_id)):
                driver.kill(pane.pane_id)
    except AgentTuiError:
        pass  # no tmux server any more: nothing left to kill
    finally:
        driver.close()


def interrupt_agents(run_id: str, *, target: TmuxTarget) -> None:
    """Give each of the run's live agents its profile's interrupt keys and a moment to stop
    what it was doing (a run stopped for its issues, before its agents are closed)."""
    from workflows.agents.observe import profile_for
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(target)
    try:
        panes = [
            pane
            for pane in driver.panes()
            if pane.run_id == run_id and pane.name != runner_name(run_id) and not pane.dead
        ]
        for pane in panes:
            if pane.in_mode:
                driver.command("copy-mode", "-q", "-t", pane.pane_id)
            keys = profile_for(pane).keys.get("interrupt") or ["C-c"]
            driver.send_keys(pane.pane_id, *keys)
        if panes:
            time.sleep(INTERRUPT_GRACE_S)
    except AgentTuiError:
        pass  # no tmux server any more: nothing left to interrupt
    finally:
        driver.close()


def close_runner_window_on_exit(run_id: str, *, target: TmuxTarget) -> None:
    """A run that ended well leaves nothing to look at in its runner's window (the log has
    it all): let tmux close the window when the runner exits, instead of keeping the dead
    pane (every run used to leave one behind). A failed runner's window stays for a look."""
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(target)
    try:
        for pane in driver.panes():
            if pane.name == runner_name(run_id) and not pane.dead:
                driver.command("set-option", "-p", "-t", pane.pane_id, "remain-on-exit", "off")
    except AgentTuiError:
        pass  # no tmux server any more: no window to close
    finally:
        driver.close()


def clean_run(
    run_id: str, *, target: TmuxTarget, force: bool = False, on_hosts: bool = True
) -> dict[str, Any]:
    """Close a finished run's windows and remove the worktree it created (the branch stays),
    and its files on the hosts it worked on (``host_cleanup``; ``on_hosts=False``: only
    noted as pending, for a caller cleaning several runs with one command per host).

    All or nothing: a worktree with uncommitted changes (without ``force``) refuses the
    clean before any window is closed."""
    runs = RunStore()
    record = runs.get(run_id)
    summary = record.summary()
    if summary.status not in FINAL or worker_alive(record.id):
        raise UsageError(f"run {record.id} is {summary.status}; cancel it first")
    removed = None
    worktree = str(record.context.get("worktree") or "")
    own = bool(worktree and record.context.get("own_worktree"))
    if own and not force:
        git.refuse_dirty(Path(worktree))
    if not force and (left := work_on_host(record)):
        raise UsageError(f"run {record.id}: {left}")
    hosts = run_hosts(runs, record)
    if hosts:  # noted before anything goes here: never forgotten before removed there
        note_pending(runs, record.id, hosts)
    kill_agents(record.id, target=target, runner_too=True)
    if own:
        git.remove_worktree(Path(record.context["repo"]), Path(worktree), force=force)
        removed = worktree
    forget_run_env(record.id)
    recordings = remove_recordings(record.id)  # what the agents printed goes too
    runs.update_context(record.id, cleaned=True)
    runs.event(
        record.id,
        "cleaned",
        f"windows closed; worktree removed: {removed or 'none'}; recordings removed: "
        f"{len(recordings)}",
    )
    result: dict[str, Any] = {
        "run": record.id,
        "worktree_removed": removed,
        "recordings_removed": recordings,
    }
    if hosts and on_hosts:
        result.update(clean_on_hosts(runs, [record.id], target.socket).get(record.id, {}))
    return result
