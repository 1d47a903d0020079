"""Fuzz hostile issue texts through the CLI and demo runs; print counts (issue 18).

    python bench/fuzz_hostile.py [--seeds 5] [--issues 60] [--huge 4000000] [--runs 2]

Per seed: a folder of hostile local issue files (tests/support/hostile_issues.py: random bytes,
terminal control sequences, surrogates, shell/tmux syntax aimed at a canary file, one huge
body), then ``issues``/``issues --json``/``groups --all``/``issue ID`` (human and JSON) for
every listed issue. ``--runs N``: N quick-fix runs with the demo agent on hostile issues, in
a private tmux server, with the offline forge as GitHub. Everything lives under a temporary
HOME. Counted: verbs run, exit codes, tracebacks, control characters that reached the
terminal, JSON that did not parse, files skipped (each named), prompts delivered, canary
files created. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.git_repos import make_project  # noqa: E402
from tests.support.hostile_issues import (  # noqa: E402
    check_terminal_text,
    hostile_issues,
    hostile_text,
    toml_string,
    write_issue_folder,
)
from workflows.forge.offline import Forge  # noqa: E402


def agenttui(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )


def verb(counts: Counter[str], *args: str) -> subprocess.CompletedProcess[str]:
    result = agenttui(*args)
    counts["verbs"] += 1
    counts[f"exit {result.returncode}"] += 1
    counts["tracebacks"] += "Traceback" in result.stderr
    counts["terminal escapes"] += bool(check_terminal_text(result.stdout + result.stderr))
    if "--json" in args and result.stdout.strip():
        try:
            json.loads(result.stdout.splitlines()[-1])
        except ValueError:
            counts["bad json"] += 1
    return result


def cli_round(counts: Counter[str], tmp: Path, seed: int, issues: int, huge: int) -> None:
    canary = tmp / f"CANARY-{seed}"
    folder = tmp / f"issues-{seed}"
    hostile = hostile_issues(seed, issues, canary, huge_bytes=huge)
    write_issue_folder(folder, hostile)
    counts["issue files"] += len(hostile)
    (tmp / "config" / "config.toml").write_text(f"[local]\npath = {json.dumps(str(folder))}\n")
    listed = verb(counts, "issues", "--json")
    counts["skipped files named"] += listed.stderr.count("agenttui: skipped ")
    identifiers = [issue["identifier"] for issue in json.loads(listed.stdout or "[]")]
    counts["issues listed"] += len(identifiers)
    verb(counts, "issues")
    verb(counts, "groups", "--all")
    verb(counts, "groups", "--all", "--json")
    for identifier in identifiers:
        verb(counts, "issue", identifier)
        verb(counts, "issue", identifier, "--json")
    counts["canary created"] += canary.exists()


def demo_runs(counts: Counter[str], tmp: Path, runs: int, seed: int) -> list[float]:
    socket = f"agenttui-fuzz-{uuid.uuid4().hex[:8]}"
    os.environ["AGENTTUI_TMUX_SOCKET"] = socket
    (tmp / "project").mkdir()
    project = make_project(tmp / "project")
    forge = Forge(remote=project.remote).start()
    os.environ.update(GITHUB_API_URL=forge.url, GITHUB_TOKEN=forge.token)
    canary = tmp / "CANARY-run"
    rng = random.Random(seed)
    folder = tmp / "run-issues"
    folder.mkdir()
    for number in range(1, runs + 1):
        title = toml_string(hostile_text(rng, canary, 60).replace("\n", " "))
        body = toml_string(hostile_text(rng, canary, 4000))
        text = f'id = "RUN-{number}"\ntitle = {title}\ndescription = {body}\n'
        (folder / f"RUN-{number}.toml").write_text(text, encoding="utf-8")
    (tmp / "config" / "config.toml").write_text(f"[local]\npath = {json.dumps(str(folder))}\n")
    durations = []
    try:
        for number in range(1, runs + 1):
            started = time.monotonic()
            result = verb(
                counts, "run", "quick-fix", "--issues", f"RUN-{number}", "--repo",
                str(project.repo), "--source", "local", "--agent", "demo", "--github-repo",
                "acme/fuzz", "--test-command", "sh run_tests.sh", "--wait", "--timeout", "600",
                "--json",
            )  # fmt: skip
            durations.append(time.monotonic() - started)
            summary = json.loads(result.stdout.splitlines()[-1]) if result.stdout else {}
            counts[f"run {summary.get('status', 'error')}"] += 1
            if summary.get("status") != "succeeded":
                print(f"run RUN-{number}: {result.stderr.strip()[-500:]}", file=sys.stderr)
            worktree = Path(str(summary.get("worktree", "")))
            log = worktree / ".demo-agent" / "prompts.jsonl"
            prompts = log.read_text(encoding="utf-8").splitlines() if log.is_file() else []
            counts["prompts delivered"] += len(prompts)
            counts["prompts with control characters"] += sum(
                bool(check_terminal_text(json.loads(line)["text"])) for line in prompts
            )
            verb(counts, "log", str(summary.get("id") or summary.get("run") or "?"))
        counts["canary created"] += canary.exists()
    finally:
        forge.stop()
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, check=False)
    return durations


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--issues", type=int, default=60, help="issue files per seed")
    parser.add_argument("--huge", type=int, default=4_000_000, help="bytes of the huge body")
    parser.add_argument("--runs", type=int, default=2, help="demo runs on hostile issues")
    args = parser.parse_args()
    counts: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="agenttui-fuzz-") as name:
        tmp = Path(name)
        for folder in ("home", "state", "config"):
            (tmp / folder).mkdir()
        os.environ.update(
            HOME=str(tmp / "home"),
            AGENTTUI_STATE_DIR=str(tmp / "state"),
            AGENTTUI_CONFIG_DIR=str(tmp / "config"),
            AGENTTUI_CONFIG=str(tmp / "config" / "config.toml"),
            AGENTTUI_SESSION="fuzz",
        )
        for var in ("TMUX", "TMUX_PANE", "LINEAR_API_KEY", "GITHUB_TOKEN"):
            os.environ.pop(var, None)
        started = time.monotonic()
        for seed in range(args.seeds):
            cli_round(counts, tmp, seed, args.issues, args.huge)
        cli_seconds = time.monotonic() - started
        durations = demo_runs(counts, tmp, args.runs, args.seeds) if args.runs else []
    width = max(len(key) for key in counts)
    for key in sorted(counts):
        print(f"{key:<{width}}  {counts[key]}")
    print(f"CLI part: {cli_seconds:.1f} s; demo runs: {', '.join(f'{d:.1f} s' for d in durations)}")
    print(json.dumps({**counts, "cli_seconds": round(cli_seconds, 1), "run_seconds": durations}))
    clean = not (
        counts["tracebacks"]
        or counts["terminal escapes"]
        or counts["bad json"]
        or counts["canary created"]
        or counts["prompts with control characters"]
        or counts["run succeeded"] != args.runs
    )
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
