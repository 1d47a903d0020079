"""Start an agent from the app: a profile, a folder (or a new worktree of the configured
repository), an optional name and first prompt. The agent starts like ``agenttui spawn``."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from tui.services import StartChoices, StartRequest
from widgets.key_bar import KeyBar


class StartAgentScreen(ModalScreen[StartRequest | None]):
    """Enter in a field (or the Start button) starts; Escape starts nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="start.cancel"),
    ]

    def __init__(self, choices: StartChoices) -> None:
        super().__init__()
        self.choices = choices

    def compose(self) -> ComposeResult:
        choices = self.choices
        options = [(f"{name} — {about}", name) for name, about in choices.profiles]
        names = [name for name, _ in choices.profiles]
        default = choices.default_profile if choices.default_profile in names else None
        with VerticalScroll(id="start"):
            yield Static(Text("Start an agent", style="bold"))
            yield Label("Profile")
            yield Select(options, value=default or Select.BLANK, id="start-profile",
                         prompt="pick an agent profile", compact=True)  # fmt: skip
            yield Label("Folder")
            yield Input(choices.folder, id="start-folder", compact=True)
            if choices.repo:
                label = f"or in a new worktree of {choices.repo}"
                yield Checkbox(label, id="start-worktree", compact=True)
            yield Label("Name (optional)")
            yield Input(placeholder="PROFILE-N", id="start-name", compact=True)
            yield Label("First prompt (optional)")
            prompt = "what the agent should do first"
            yield Input(placeholder=prompt, id="start-prompt", compact=True)
            yield Static("", id="start-error")
            with Horizontal(id="start-buttons"):
                yield Button("Start", variant="primary", id="start-go", compact=True)
                yield Button("Cancel", id="start-cancel", compact=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(Select).focus()

    @on(Checkbox.Changed, "#start-worktree")
    def worktree_toggled(self, event: Checkbox.Changed) -> None:
        self.query_one("#start-folder", Input).disabled = event.value

    @on(Input.Submitted)
    @on(Button.Pressed, "#start-go")
    def start(self) -> None:
        request, problem = self.request()
        if request is None:
            self.query_one("#start-error", Static).update(Text(problem, style="bold red"))
            return
        self.dismiss(request)

    @on(Button.Pressed, "#start-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def request(self) -> tuple[StartRequest | None, str]:
        """The request the form describes, or None and what is missing."""
        profile = self.query_one(Select).value
        if not isinstance(profile, str):
            return None, "pick a profile"
        worktree = bool(self.choices.repo) and self.query_one("#start-worktree", Checkbox).value
        folder = self.query_one("#start-folder", Input).value.strip()
        if not worktree:
            if not folder:
                return None, "give a folder"
            if not Path(folder).expanduser().is_dir():
                return None, f"{folder} is not a folder"
        return StartRequest(
            profile=profile,
            folder="" if worktree else str(Path(folder).expanduser()),
            new_worktree=worktree,
            name=self.query_one("#start-name", Input).value.strip(),
            prompt=self.query_one("#start-prompt", Input).value,
        ), ""
