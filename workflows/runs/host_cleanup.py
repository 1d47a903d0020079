"""Cleaning a run on the hosts it worked on: what it left there goes with it.

A run with a step on a host leaves files there (and, when it ended while the host was
down, its agents' panes in the host's tmux): its worktree (``~/.cache/agenttui/
worktrees/RUN``, a git worktree of the host's ``repo``, with the refs the work travelled by,
``refs/agenttui/RUN`` and ``RUN-back``) and the recordings of its panes there that were never
fetched (``~/.cache/agenttui/recordings/RUN``: the host was down until the run ended). The
branch stays, as here.

Cleaning a run first notes its hosts as pending in the run's context (``hosts_pending``:
host → why), then removes its files here, then asks each host, one ssh command over its
shared connection for every run cleaned at once (run ids and paths quoted: nothing in them
is read by the shell there). A host that cannot be reached keeps its entry with ssh's
reason; the next ``agenttui clean`` (a run's, or ``--finished``) tries it again, so nothing
is forgotten here before it is removed there.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence

from workflows.base.errors import AgentTuiError
from workflows.base.hosts import host_named
from workflows.base.target import TmuxTarget
from workflows.runs.recording.files import run_folder
from workflows.runs.run_store import RunRecord, RunStore
from workflows.tmux.server import layout_lock, server_lock_key
from workflows.tmux.ssh import REMOTE_DIR, run_remote

PENDING = "hosts_pending"
NOT_YET = "not cleaned yet"
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]+")  # a run id as agenttui makes them: no path in it


def run_hosts(runs: RunStore, record: RunRecord) -> set[str]:
    """The hosts the run worked on (its steps' events and context, its host recordings'
    states here) and those still pending from an earlier clean, by name."""
    context = record.context
    names = set(context.get(PENDING) or {})
    names.add(str(context.get("worked_on") or ""))
    names.add(str((context.get("on_host") or {}).get("host") or ""))
    names.update(str(name) for name in (context.get("pool_choice") or {}).values())
    for event in runs.events(record.id):
        data = event.get("data") or {}
        names.add(str(data.get("host") or "") if isinstance(data, dict) else "")
    folder = run_folder(record.id)
    if folder.is_dir():  # a host recording's state names its host in its first field
        for state in folder.glob(".*.host.json"):
            found = re.search(r'"host": "([^"]*)"', state.read_text(encoding="utf-8"))
            names.add(found.group(1) if found else "")
    names.discard("")
    return names


def work_on_host(record: RunRecord) -> str | None:
    """Why cleaning the run without ``force`` would lose work: its latest work is on a host
    and never came back here (the run ended during a step there); None otherwise."""
    placed = record.context.get("on_host") or {}
    if not placed.get("host"):
        return None
    return (
        f"its latest work is on host {placed['host']!r} ({placed.get('path')}) and never came "
        "back here; resume the run to bring it back, or clean with --force"
    )


def note_pending(runs: RunStore, run_id: str, hosts: Iterable[str]) -> None:
    """Before anything is removed here: the hosts still to clean, with their reasons."""
    pending = dict(runs.get(run_id).context.get(PENDING) or {})
    runs.update_context(run_id, **{PENDING: {h: pending.get(h, NOT_YET) for h in sorted(hosts)}})


def pending_runs(runs: RunStore) -> list[str]:
    """Cleaned runs whose files on some host are still to be removed."""
    return [r.id for r in runs.all_runs() if r.context.get("cleaned") and r.context.get(PENDING)]


def host_script(repo: str, run_ids: Sequence[str], socket: str | None = None) -> str:
    """The shell script that closes these runs' panes on a host's tmux server ``socket``
    and removes their files there (``repo``: the host's clone, "" for none); it fails
    naming what it could not remove."""
    for run_id in run_ids:
        if not _SAFE_ID.fullmatch(run_id):
            raise AgentTuiError(f"not a run id: {run_id!r}")
    tmux = shlex.join(["tmux", "-L", socket] if socket else ["tmux"])
    ours = "|".join(run_ids)  # (run ids: letters, digits, - and _ only)
    lines = [
        f"{tmux} list-panes -a -F '#{{pane_id}} #{{@agenttui_run}}' 2>/dev/null | "
        f'while read -r pane run; do case "$run" in {ours}) '
        f'{tmux} kill-pane -t "$pane" 2>/dev/null;; esac; done',
        f"cd {REMOTE_DIR} 2>/dev/null || exit 0",
    ]
    git = f"git -C {shlex.quote(repo)}" if repo else ""
    paths: list[str] = []
    for run_id in run_ids:
        tree, recordings = shlex.quote(f"worktrees/{run_id}"), shlex.quote(f"recordings/{run_id}")
        if git:
            lines.append(
                f'if [ -e {tree} ]; then {git} worktree remove --force "$PWD"/{tree} '
                "2>/dev/null; fi"
            )
            for ref in (f"refs/agenttui/{run_id}", f"refs/agenttui/{run_id}-back"):
                lines.append(f"{git} update-ref -d {shlex.quote(ref)} 2>/dev/null")
        lines.append(f"rm -rf -- {tree} {recordings}")
        paths += [tree, recordings]
    if git:
        lines.append(f"{git} worktree prune 2>/dev/null")
    lines.append(
        f'left=""; for p in {" ".join(paths)}; do [ -e "$p" ] && left="$left $p"; done; '
        '[ -z "$left" ] || { echo "could not remove:$left" >&2; exit 1; }'
    )
    return "\n".join(lines) + "\n"


def clean_on_hosts(
    runs: RunStore, run_ids: Sequence[str], socket: str | None
) -> dict[str, dict[str, object]]:
    """Close the panes of these (cleaned) runs on their hosts' tmux server ``socket`` and
    remove their pending files there, one ssh command per host (under that server's layout
    lock, as any pane killed); per run, the hosts done (``hosts_cleaned``) and those still
    pending with why (``hosts_pending``), each also in the run's log."""
    by_host: dict[str, list[str]] = {}
    for run_id in run_ids:
        for host in runs.get(run_id).context.get(PENDING) or {}:
            by_host.setdefault(str(host), []).append(run_id)
    failed: dict[str, str] = {}
    for name, ids in sorted(by_host.items()):
        try:
            host = host_named(name)
            with layout_lock(server_lock_key(TmuxTarget(socket, "", host))):
                run_remote(host, host_script(host.repo, ids, socket), timeout=120.0)
        except AgentTuiError as error:
            failed[name] = str(error)
    results: dict[str, dict[str, object]] = {}
    for run_id in run_ids:
        hosts = sorted(runs.get(run_id).context.get(PENDING) or {})
        if not hosts:
            continue
        left = {host: failed[host] for host in hosts if host in failed}
        done = [host for host in hosts if host not in left]
        runs.update_context(run_id, **{PENDING: left or None})
        for host in done:
            runs.event(
                run_id, "cleaned", f"its files on host {host!r} removed", data={"host": host}
            )
        for host, why in left.items():
            runs.event(run_id, "cleaned", f"its files on host {host!r} not removed yet: {why} "
                       "(the next clean tries again)", data={"host": host})  # fmt: skip
        results[run_id] = {"hosts_cleaned": done, "hosts_pending": left}
    return results
