"""The QA demo (``agenttui demo --qa``): two runs of ``feedback-qa`` queue for one staging
slot. Staging is a folder the demo's deploy fills from the deployed commit; the QA person
is a scripted stand-in in the session's ``qa`` window that answers each QA link on the local
issues, through the issue source like a person on Linear: it fails the first deploy once
("QA fail: …"), so that run gets a fix round and re-deploys, and passes every later one.
"""

from __future__ import annotations

import html
import io
import json
import shlex
import shutil
import subprocess
import tarfile
import time
from pathlib import Path
from typing import Any

from workflows.base.paths import agenttui_argv
from workflows.forge.offline import Forge
from workflows.issues.local import LocalSource
from workflows.runs.steps.slot import qa_heading

QA_ISSUES = ("PCL-110", "PCL-111")  # one run each
QA_FAIL = (
    "QA fail: on staging the label preview prints the tracking number twice; "
    "it should appear once, under the barcode."
)
QA_PASS = "QA pass: checked on staging, looks right."


def staging_dir(folder: Path) -> Path:
    return folder / "staging"


def slot_table(folder: Path) -> dict[str, Any]:
    """The demo config's ``[slots.staging]``: deploy into the staging folder, QA on it."""
    deploy = [*agenttui_argv(), "demo-deploy", "--into", str(staging_dir(folder))]
    return {
        "deploy": shlex.join(deploy) + " --branch {branch} --commit {commit}",
        "url": (staging_dir(folder) / "index.html").as_uri(),
        "lease": 60,
        "poll": 1,
        "qa_state": "In Review",
    }


def deploy(into: Path, branch: str, commit: str, repo: Path) -> str:
    """Put ``commit``'s tree in the staging folder (swapped in whole) with a page saying what
    runs there; returns the page's URL."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=repo, capture_output=True, check=True
    ).stdout
    scratch = into.with_name(into.name + ".new")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(scratch, filter="data")
    changes = scratch / "DEMO_CHANGES.md"
    shown = changes.read_text(encoding="utf-8") if changes.exists() else "(no changes yet)"
    page = (
        "<!doctype html><title>demo staging</title><h1>demo staging</h1>"
        f"<p>branch {html.escape(branch)} at {html.escape(commit)}</p>"
        f"<pre>{html.escape(shown)}</pre>"
    )
    (scratch / "index.html").write_text(page, encoding="utf-8")
    shutil.rmtree(into, ignore_errors=True)
    scratch.rename(into)
    return (into / "index.html").as_uri()


def qa_stand_in(folder: Path, issues: tuple[str, ...] = QA_ISSUES, poll: float = 1.0) -> None:
    """Answer each new QA link on ``issues``: fail the first one once, pass the rest. What
    it answered is kept in ``folder/qa.json`` so a restarted stand-in answers nothing twice."""
    record = folder / "qa.json"
    saved: dict[str, Any] = (
        json.loads(record.read_text(encoding="utf-8"))
        if record.exists()
        else {"answered": {}, "failed_once": False}
    )
    source = LocalSource()
    heading = qa_heading("staging")
    print(f"demo QA: watching {', '.join(issues)} for QA links", flush=True)
    while True:
        for issue in issues:
            links = [c for c in source.get_issue(issue).comments if heading in c.body]
            if len(links) <= saved["answered"].get(issue, 0):
                continue
            answer = QA_PASS if saved["failed_once"] else QA_FAIL
            time.sleep(2.0)  # a person opens the link first
            source.comment(issue, answer)
            saved["answered"][issue] = len(links)
            saved["failed_once"] = True
            temporary = record.with_suffix(".tmp")
            temporary.write_text(json.dumps(saved), encoding="utf-8")
            temporary.replace(record)
            print(f"demo QA on {issue}: {answer}", flush=True)
        time.sleep(poll)


def demo_reviewer(forge: Forge, poll: float = 0.5) -> None:
    """The demo's reviewer and CI, in the demo forge's process: each open pull request gets
    one approving review and each new head commit a green ``demo-ci`` check, so the
    feedback-qa runs' review/CI step and merge gates can pass offline."""
    while True:
        for pull in [p for p in list(forge.pulls) if p["state"] == "open"]:
            with forge.changing() as feedback:
                head = feedback.head_sha(pull)
                if not any(r["state"] == "APPROVED" for r in pull.get("reviews", [])):
                    feedback.review(pull["number"], "APPROVED", "Looks good.", user="demo-reviewer")
                if not any(c["head_sha"] == head for c in pull.get("check_runs", [])):
                    feedback.check(pull["number"], "demo-ci", "success", log="Ran 2 tests: OK")
        time.sleep(poll)
