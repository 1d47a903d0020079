"""The workflows-and-runs part of the app's door to the core (``tui.services.Services``):
the workflows offered, launching, the runs, their slots, detail, diff, clean-up and log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workflows.base.target import TmuxTarget
from workflows.runs.records import RunSummary


@dataclass
class WorkflowChoice:
    name: str
    description: str
    source: str  # "built-in" or "user"


class RunServices:
    """Mixed into ``Services``, whose dataclass field ``target`` is."""

    target: TmuxTarget

    def runs_by_issue(self) -> dict[str, list[RunSummary]]:
        from tui.launching import runs_by_issue

        return runs_by_issue(self.runs())

    def launch_warnings(self, issue_ids: list[str]) -> list[str]:
        from tui.launching import launch_warnings, runs_by_issue

        return launch_warnings(runs_by_issue(self.runs()), issue_ids)

    def workflows(self) -> list[WorkflowChoice]:
        from workflows.definitions import loader
        from workflows.runs.runner import needs_request

        choices = []
        user_dir = loader.user_workflow_dir()
        for name in loader.list_workflows():
            path = loader.find_definition(name)
            try:
                workflow = loader.load_workflow(name)
            except Exception as error:
                description = f"(invalid: {error})"
            else:
                if needs_request(workflow):
                    continue  # only a follow-up on Linear starts it
                description = workflow.description
            source = "user" if user_dir in path.parents else "built-in"
            choices.append(WorkflowChoice(name, description, source))
        return choices

    def launch(self, workflow: str, issue_ids: list[str]) -> str:
        from workflows.runs import runner

        return str(runner.launch_run(workflow, issue_ids, target=self.target))

    def runs(self) -> list[RunSummary]:
        from workflows.runs import run_store as runs
        from workflows.runs.runner import start_admitted

        start_admitted(target=self.target)  # a runner that died freed its slot
        return [record.summary() for record in runs.list_runs()]

    def resume_run(self, run_id: str) -> None:
        from workflows.runs import runner

        runner.resume_run(run_id, target=self.target)

    def cancel_run(self, run_id: str) -> None:
        from workflows.runs import runner

        runner.cancel_run(run_id, target=self.target)

    def slots(self) -> list[dict[str, Any]]:
        """Each configured shared environment: holders, queue, ETAs (``agenttui slots``)."""
        from workflows.runs.slots.overview import overview

        return overview()

    def release_slot(self, slot: str, run_id: str) -> list[str]:
        from workflows.runs.slots.overview import release_by_hand

        return release_by_hand(slot, run_id)

    def hand_over_slot(self, slot: str, run_id: str) -> list[str]:
        from workflows.runs.slots.overview import hand_over

        return hand_over(slot, run_id)

    def qa_verdict(self, run_id: str, passed: bool, words: str = "") -> list[str]:
        """QA's verdict posted on the run's issues, as a person would (screens.qa_verdict)."""
        from workflows.runs.slots.overview import give_verdict

        return give_verdict(run_id, passed, words)

    def run_detail(self, run_id: str) -> Any:
        from workflows.runs.detail import load_run_detail

        return load_run_detail(run_id)

    def run_diff(self, worktree: str, base: str) -> str:
        """The run's worktree against its base (git runs here, in a worker thread)."""
        from pathlib import Path

        from workflows.forge.git import diff_from_base

        if not worktree or not Path(worktree).is_dir():
            return ""
        return diff_from_base(Path(worktree), base)

    def clean_run(self, run_id: str) -> dict[str, Any]:
        from workflows.runs.runner import clean_run

        return clean_run(run_id, target=self.target)

    def run_log(self, run_id: str) -> str:
        from workflows.runs.run_store import run_log_path

        return str(run_log_path(run_id))
