"""CLI verbs of the runs group: run, runs, resume, cancel, log, workflows (and run-worker).

``agenttui run`` records a run and starts its runner in its own tmux window, so the run
survives this command, the TUI and the terminal; ``--wait`` follows it to the end.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from tui.output import say, say_json
from workflows.base.errors import EXIT_ERROR, AgentTuiError, WaitTimeout


def _ids(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _wait(run_id: str, timeout: float) -> dict[str, Any]:
    from workflows.runs.run_store import FINAL, RunStore
    from workflows.runs.runner import effective_status

    runs = RunStore()
    deadline = time.monotonic() + timeout
    while True:
        summary = effective_status(runs.get(run_id))
        if summary.status in FINAL:
            return summary.as_json()
        if time.monotonic() > deadline:
            raise WaitTimeout(f"run {run_id} still {summary.status} after {timeout:.0f}s")
        time.sleep(0.5)


def _finish(args: argparse.Namespace, run_id: str) -> Any:
    if not args.wait:
        from workflows.runs.run_store import RunStore

        record = RunStore().get(run_id)
        if record.status == "queued":  # max_running reached: it starts when a slot frees
            return {"run": run_id, "status": "queued", "waits": record.context.get("queued_for")}
        return {"run": run_id, "status": "started", "window": f"run-{run_id}"}
    summary = _wait(run_id, args.timeout)
    if summary["status"] != "succeeded":
        raise AgentTuiError(f"run {run_id} {summary['status']}: {summary.get('error') or ''}")
    return summary


def _run(args: argparse.Namespace) -> Any:
    from tui.commands.spawn import env_pairs
    from workflows.runs.runner import launch_run

    run_id = launch_run(
        args.workflow,
        _ids(args.issues),
        target=args.tmux,
        repo=args.repo,
        source=args.source,
        agents=args.agent,
        env=env_pairs(args.env),
        github_repo=args.github_repo,
        branch=args.branch,
        base=args.base,
        test_command=args.test_command,
        host=args.run_host,
    )
    return _finish(args, run_id)


def _runs(args: argparse.Namespace) -> list[dict[str, Any]]:
    from workflows.base.store import Store
    from workflows.runs.run_store import list_runs
    from workflows.runs.runner import effective_status, start_admitted
    from workflows.runs.usage import run_usage

    start_admitted(target=args.tmux)  # a runner that died freed its slot: the queue moves on
    store = Store()
    return [
        {**effective_status(record).as_json(), "usage": run_usage(store, record.id).as_json()}
        for record in list_runs(store)
    ]


def _format_runs(result: list[dict[str, Any]]) -> str:
    if not result:
        return "no runs"
    width = max(10, *(len(_status_text(run)) for run in result))  # "paused until 14:05"
    rows = [f"{'RUN':8} {'WORKFLOW':10} {'STATUS':{width}} {'STEP':10} ISSUES / PR / ERROR"]
    for run in result:
        tail = ", ".join(run["issues"])
        tail += f"  {run['pr_url']}" if run.get("pr_url") else ""
        tail += f"  ({run['error']})" if run.get("error") else ""
        tail += f"  [waiting: {run['attention']}]" if run.get("attention") else ""
        tail += f"  [{run['paused_reason']}]" if run.get("paused_reason") else ""
        tail += f"  {_cost_text(run['usage'])}" if run.get("usage", {}).get("models") else ""
        rows.append(
            f"{run['id']:8} {run['workflow']:10} {_status_text(run):{width}} "
            f"{run['current_step'] or '-':10} {tail}"
        )
    return "\n".join(rows)


def _status_text(run: dict[str, Any]) -> str:
    if run.get("paused_until") is None:
        return str(run["status"])
    return "paused until " + time.strftime("%H:%M", time.localtime(run["paused_until"]))


def _cost_text(usage: dict[str, Any]) -> str:
    total = sum(usage[name] for name in ("input", "output", "cache_read", "cache_write"))
    cost = usage["cost_usd"]
    return f"{total:,} tokens " + ("$?" if cost is None else f"${cost:.2f}")


def _resume(args: argparse.Namespace) -> Any:
    from workflows.runs.runner import resume_run

    return _finish(args, resume_run(args.run, target=args.tmux))


def _cancel(args: argparse.Namespace) -> dict[str, str]:
    from workflows.base.errors import UsageError
    from workflows.runs.run_store import RunStore
    from workflows.runs.runner import cancel_run

    record = RunStore().get(args.run)
    if record.status in ("succeeded", "cancelled"):
        raise UsageError(f"run {record.id} already {record.status}: nothing to cancel")
    return {
        "run": args.run,
        "status": cancel_run(args.run, target=args.tmux),
    }


def _log(args: argparse.Namespace) -> Any:
    from workflows.runs.run_store import FINAL, RunStore, run_log_path

    runs = RunStore()
    record = runs.get(args.run)
    if args.json:
        return runs.events(record.id)
    path = run_log_path(record.id)
    if not args.follow:
        return path.read_text(encoding="utf-8").rstrip("\n") if path.exists() else ""
    with path.open(encoding="utf-8") as log:  # like tail -f, until the run ends
        while True:
            line = log.readline()
            if line:
                say(line, end="", flush=True)
            elif runs.get(record.id).summary().status in FINAL:
                say(log.read(), end="", flush=True)
                return 0
            else:
                time.sleep(0.3)


def _clean(args: argparse.Namespace) -> Any:
    from workflows.base.errors import UsageError
    from workflows.runs.runner import clean_run

    if args.finished == bool(args.run):
        raise UsageError("give a run id, or --finished for every finished run")
    if args.run:
        return clean_run(args.run, target=args.tmux, force=args.force)
    from workflows.runs.cleanup import clean_finished

    results = clean_finished(target=args.tmux, force=args.force)
    refused = [result for result in results if "error" in result]
    if not refused:
        return results
    if args.json:
        say_json(results)
        return EXIT_ERROR
    say(_format_cleaned(results))
    for result in refused:
        say(f"agenttui: run {result['run']} not cleaned: {result['error']}", err=True)
    return EXIT_ERROR


def _format_cleaned(results: Any) -> str:
    if isinstance(results, dict):  # one run
        results = [results]
    if not results:
        return "no finished runs to clean"
    lines = []
    for result in results:
        if "error" in result:
            lines.append(f"{result['run']}: not cleaned ({result['error']})")
            continue
        parts = []
        if "worktree_removed" in result:  # (else only its files on hosts were left to do)
            removed = result["worktree_removed"]
            parts.append("cleaned" + (f", removed {removed}" if removed else ""))
            if result.get("recordings_removed"):
                parts.append(f"{len(result['recordings_removed'])} recording(s) removed")
        if result.get("hosts_cleaned"):
            parts.append(f"its files on host {', '.join(result['hosts_cleaned'])} removed")
        lines.append(f"{result['run']}: {', '.join(parts) or 'cleaned before'}")
        lines.extend(
            f"  on host {host!r} not removed yet: {why} (the next `agenttui clean` tries again)"
            for host, why in (result.get("hosts_pending") or {}).items()
        )
    return "\n".join(lines)


def _worker(args: argparse.Namespace) -> int:
    from workflows.runs.run_worker import run_worker

    return run_worker(args.run, target=args.tmux)


def _workflows(args: argparse.Namespace) -> Any:
    from workflows.definitions.loader import list_workflows, load_workflow

    if args.check:
        workflow = load_workflow(args.check)  # raises with every file:line problem
        return {
            "workflow": workflow.name,
            "path": workflow.path,
            "ok": True,
            "steps": [step.id for step in workflow.steps],
        }
    return [
        {"name": name, "description": load_workflow(name).description} for name in list_workflows()
    ]


def _format_workflows(result: Any) -> str:
    if isinstance(result, dict):  # --check
        return f"{result['path']}: ok, workflow {result['workflow']}: {' → '.join(result['steps'])}"
    width = max((len(item["name"]) for item in result), default=0)
    return "\n".join(f"{item['name']:<{width}}  {item['description']}" for item in result)


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add this group's verbs; each sets `handler` with set_defaults."""
    run = subparsers.add_parser(
        "run", parents=[common], help="start a workflow run on issues, in its own tmux window"
    )
    run.add_argument("workflow", help="workflow name (feedback, quick-fix, review…) or file")
    run.add_argument("--issues", required=True, help="issue ids, comma separated (one group)")
    run.add_argument(
        "--repo",
        help="git repository to work in (default: [workflows] repo in config.toml, "
        "else the current directory)",
    )
    run.add_argument("--source", choices=("linear", "local"), help="issue source")
    run.add_argument(
        "--agent",
        action="append",
        default=[],
        metavar="[STEP=]NAME",
        help="agent profile for every agent step (e.g. demo), or STEP=NAME for one step or "
        "session (repeatable)",
    )
    run.add_argument(
        "--env", action="append", default=[], metavar="K=V", help="env for the run's agents"
    )
    run.add_argument("--github-repo", help="OWNER/NAME (default: from the origin remote)")
    run.add_argument("--branch", help="branch name (default: Linear's branchName)")
    run.add_argument("--base", help="base branch (default: the remote's default branch)")
    run.add_argument("--test-command", help="command the test step runs")
    for parser in (run,):
        parser.add_argument("--wait", action="store_true", help="wait for the run to end")
        parser.add_argument("--timeout", type=float, default=3600.0, help="seconds --wait waits")
    run.set_defaults(handler=_run)

    runs = subparsers.add_parser("runs", parents=[common], help="list runs and their status")
    runs.set_defaults(handler=_runs, formatter=_format_runs)

    resume = subparsers.add_parser(
        "resume", parents=[common], help="continue a stopped run from its last completed step"
    )
    resume.add_argument("run")
    resume.add_argument("--wait", action="store_true", help="wait for the run to end")
    resume.add_argument("--timeout", type=float, default=3600.0, help="seconds --wait waits")
    resume.set_defaults(handler=_resume)

    cancel = subparsers.add_parser("cancel", parents=[common], help="cancel a run")
    cancel.add_argument("run")
    cancel.set_defaults(handler=_cancel)

    log = subparsers.add_parser("log", parents=[common], help="print a run's log")
    log.add_argument("run")
    log.add_argument("--follow", "-f", action="store_true", help="keep printing until it ends")
    log.set_defaults(handler=_log)

    clean = subparsers.add_parser(
        "clean", parents=[common], help="close a finished run's windows, remove its worktree"
    )
    clean.add_argument("run", nargs="?", help="the run (or --finished)")
    clean.add_argument("--finished", action="store_true", help="every finished run not cleaned yet")
    clean.add_argument("--force", action="store_true", help="even with uncommitted changes")
    clean.set_defaults(handler=_clean, formatter=_format_cleaned)

    worker = subparsers.add_parser(
        "run-worker", parents=[common], help="(internal) the process that drives one run"
    )
    worker.add_argument("run")
    worker.set_defaults(handler=_worker)

    workflows = subparsers.add_parser(
        "workflows", parents=[common], help="list workflows, or --check FILE"
    )
    workflows.add_argument("--check", metavar="FILE", help="validate a workflow file or name")
    workflows.set_defaults(handler=_workflows, formatter=_format_workflows)
