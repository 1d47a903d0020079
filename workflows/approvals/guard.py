"""The policy for agents without a permission hook: answer their dialogs with keys.

Claude Code asks agenttui through its PermissionRequest hook (:mod:`.hook`). Other agents
(Codex, Gemini CLI, Aider, the demo agent) show a dialog on screen; the guard watches every
agent pane, and when one is ``awaiting_approval`` with a command in its state detail it
judges that command with the same policy and presses the profile's approve or deny keys.
A request the policy leaves to a person is left alone (once per dialog), so the person sees
it in the TUI as before. Keys are only sent while the state reads ``awaiting_approval``.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workflows.agents.actions import _answer as answer
from workflows.agents.hooks import record_event
from workflows.agents.observe import profile_for, read_state, server_for
from workflows.agents.state import AgentState
from workflows.approvals import decide
from workflows.approvals.worktree import RunWorktree, worktree_for
from workflows.base.errors import AgentTuiError
from workflows.base.store import Store

if TYPE_CHECKING:
    from workflows.tmux.driver import PaneInfo, TmuxDriver

HOOKED = frozenset({"claude-settings"})  # profiles whose dialogs the hook already answered
SWEEP_S = 0.5


@dataclass(frozen=True)
class GuardAction:
    pane: str
    name: str
    command: str
    behavior: str
    decided_by: str


class Guard:
    def __init__(
        self, driver: TmuxDriver, run_worktree: RunWorktree, store: Store | None = None
    ) -> None:
        self.driver = driver
        self.run_worktree = run_worktree
        self.store = store or Store()
        self.stop = threading.Event()
        self._judged: dict[str, str] = {}  # pane id → the dialog's command already judged

    def sweep(self) -> list[GuardAction]:
        """Judge every pending dialog once; returns what was answered."""
        done = []
        for pane in self.driver.panes():
            if pane.dead or not pane.agent:
                continue
            action = self._judge(pane)
            if action is not None:
                done.append(action)
        return done

    def _judge(self, pane: PaneInfo) -> GuardAction | None:
        profile = profile_for(pane)
        if profile.hooks in HOOKED:
            return None
        reading = read_state(self.driver, pane, store=self.store, profile=profile)
        command = str(reading.detail.get("command") or "")
        if reading.state is not AgentState.AWAITING_APPROVAL or not command:
            self._judged.pop(pane.pane_id, None)
            return None
        if self._judged.get(pane.pane_id) == command:
            return None  # already answered, or left to a person
        self._judged[pane.pane_id] = command
        tool = str(reading.detail.get("tool") or "Bash")
        cwd = pane.cwd or "/"
        worktree = worktree_for(cwd, pane.run_id, self.run_worktree)
        name = pane.name or pane.pane_id
        decision = decide(
            tool, {"command": command}, cwd, name, worktree=worktree, store=self.store
        )
        if decision.behavior == "ask":
            return None
        action = "approve" if decision.behavior == "allow" else "deny"
        keys = profile.keys.get(action) or []
        if not keys:
            raise AgentTuiError(f"profile {profile.name!r} has no keys for {action}")
        # A's answering protocol: wait for a still dialog, re-send only if the keys dropped.
        answer(self.driver, pane.pane_id, keys, profile.settle_ms / 1000)
        record_event(
            self.store, agent=pane.name, kind="answered",
            payload={"action": action, "detail": reading.detail, "by": decision.decided_by},
            pane_id=pane.pane_id, server=server_for(self.driver, pane.pane_id),
        )  # fmt: skip
        return GuardAction(pane.pane_id, pane.name, command, decision.behavior, decision.decided_by)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.sweep()
            except AgentTuiError:
                pass  # tmux restarting, a pane vanishing mid-sweep: the next sweep retries
            except Exception as error:  # a guard that dies silently would leave agents stuck
                print(f"agenttui guard: sweep failed, retrying: {error!r}", file=sys.stderr)
            self.stop.wait(SWEEP_S)
