"""Start an agent from the app: where (this machine or a configured host), a profile, a
folder (or a new worktree of the configured repository), an optional name and first prompt.
The agent starts like ``agenttui spawn`` (``--host NAME``).

Each host is asked whether it answers once the form is open (a host that does not answer
costs ssh's connect timeout, not the form): it says ``checking…`` until then, and a host
that cannot be reached says so with ssh's reason and cannot be started on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from tui.services import HostChoice, StartChoices, StartRequest
from widgets.key_bar import KeyBar


class StartAgentScreen(ModalScreen[StartRequest | None]):
    """Enter in a field (or the Start button) starts; Escape starts nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="start.cancel"),
    ]

    def __init__(self, choices: StartChoices, reach: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self.choices = choices
        self.reach = reach
        """``reach(host)``: why the host cannot be reached now, "" when it can."""
        self.unreachable: dict[str, str | None] = {host.name: None for host in choices.hosts}
        """Host → ssh's reason it cannot be reached ("" when it can; None: still asked)."""
        self.where = ""

    def compose(self) -> ComposeResult:
        choices = self.choices
        options = [(f"{name} — {about}", name) for name, about in choices.profiles]
        names = [name for name, _ in choices.profiles]
        default = choices.default_profile if choices.default_profile in names else None
        with VerticalScroll(id="start"):
            yield Static(Text("Start an agent", style="bold"))
            if choices.hosts:
                yield Label("Where")
                yield Select(self._places(), value="", allow_blank=False, id="start-where",
                             compact=True)  # fmt: skip
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
        self.query_one("#start-profile", Select).focus()
        if self.reach is not None:
            for host in self.choices.hosts:
                self.ask_host(host.name)

    # -- where: this machine (or the app's own host) or a configured host ---------------
    def _places(self) -> list[tuple[str, str]]:
        own = self.choices.own_host
        places = [(f"{own} (the app's host)" if own else "this machine", "")]
        for host in self.choices.hosts:
            reason = self.unreachable[host.name]
            if reason is None:
                state = "checking…" if self.reach is not None else f"repo {host.repo or '?'}"
            elif reason:
                state = f"unreachable: {reason.splitlines()[0]}"
            else:
                state = f"repo {host.repo}" if host.repo else "no repo: give a folder"
            places.append((f"{host.name} ({host.ssh}) — {state}", host.name))
        return places

    def _host(self, name: str) -> HostChoice | None:
        return next((host for host in self.choices.hosts if host.name == name), None)

    class HostAsked(Message):
        """A host's answer came (``StartAgentScreen.unreachable`` holds it)."""

        def __init__(self, host: str) -> None:
            super().__init__()
            self.host = host

    @work(thread=True, group="start-reach")
    def ask_host(self, name: str) -> None:
        assert self.reach is not None
        try:
            reason = self.reach(name)
        except Exception as error:  # a broken [hosts] table, the app closing: said, not raised
            reason = str(error) or type(error).__name__
        self.unreachable[name] = reason
        # A message, not call_from_thread: the form may be closed by now (then it is dropped).
        self.post_message(self.HostAsked(name))

    def on_start_agent_screen_host_asked(self, message: HostAsked) -> None:
        where = self.query_one("#start-where", Select)
        chosen = where.value
        with where.prevent(Select.Changed):
            where.set_options(self._places())
            where.value = chosen
        if chosen == message.host:
            self._say_place(message.host)

    @on(Select.Changed, "#start-where")
    def where_changed(self, event: Select.Changed) -> None:
        where = event.value if isinstance(event.value, str) else ""
        if where == self.where:
            return
        self.where = where
        host = self._host(where)
        folder = self.query_one("#start-folder", Input)
        folder.value = (host.repo if host is not None else self.choices.folder) or ""
        if self.choices.repo:  # a new worktree is made on this machine only
            worktree = self.query_one("#start-worktree", Checkbox)
            worktree.disabled = host is not None
            if host is not None:
                worktree.value = False
        self._say_place(where)

    def _say_place(self, where: str) -> None:
        reason = self.unreachable.get(where)
        error = self.query_one("#start-error", Static)
        error.update(Text(f"host {where} is unreachable: {reason}", style="bold red")
                     if reason else "")  # fmt: skip

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
        profile = self.query_one("#start-profile", Select).value
        if not isinstance(profile, str):
            return None, "pick a profile"
        host = self._host(self.where)
        reason = self.unreachable.get(self.where)
        if reason:
            return None, f"host {self.where} is unreachable: {reason}"
        worktree = (
            host is None
            and bool(self.choices.repo)
            and self.query_one("#start-worktree", Checkbox).value
        )
        folder = self.query_one("#start-folder", Input).value.strip()
        if not worktree:
            if not folder:
                return None, "give a folder"
            here = host is None and not self.choices.own_host  # else checked where it starts
            if here:
                folder = str(Path(folder).expanduser())
                if not Path(folder).is_dir():
                    return None, f"{folder} is not a folder"
        return StartRequest(
            profile=profile,
            folder="" if worktree else folder,
            new_worktree=worktree,
            name=self.query_one("#start-name", Input).value.strip(),
            prompt=self.query_one("#start-prompt", Input).value,
            host=self.where,
        ), ""
