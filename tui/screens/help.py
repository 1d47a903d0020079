"""The help screen, generated from the bindings in effect (user keymap included)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from widgets.issue_table import IssueTable
from widgets.key_bar import KeyBar
from widgets.tile_grid import TileGrid


def binding_rows(app: Any, screen: Screen[Any]) -> list[tuple[str, str, str, str]]:
    """(where, keys, what, id) for the app's, the screen's and its widgets' bindings."""
    screen_name = screen.__class__.__name__.removesuffix("Screen").lower() or "screen"
    nodes: list[tuple[str, Any]] = [("everywhere", app), (screen_name, screen)]
    nodes.extend(("tiles", grid) for grid in screen.query(TileGrid))
    nodes.extend(("issue list", table) for table in screen.query(IssueTable))
    sources: list[tuple[str, list[Binding]]] = []
    for where, node in nodes:
        bindings_map = node._bindings.copy()
        if app._keymap:
            bindings_map.apply_keymap(app._keymap)
        sources.append((where, [binding for _key, binding in bindings_map]))
    rows, seen = [], set()
    for where, bindings in sources:
        by_action: dict[str, list[Binding]] = {}
        for binding in bindings:
            by_action.setdefault(binding.action, []).append(binding)
        for action, group in by_action.items():
            first = next((binding for binding in group if binding.id), group[0])
            if (where, action) in seen or not first.description or not first.id:
                continue
            seen.add((where, action))
            keys = ", ".join(app.get_key_display(binding) for binding in group)
            rows.append((where, keys, first.description, first.id or ""))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
    ]

    def __init__(self, for_screen: Screen[Any]) -> None:
        super().__init__()
        self.for_screen = for_screen

    def compose(self) -> ComposeResult:
        yield Static(
            "Keys — override any of them in config.toml [tui.keys] by id",
            classes="title",
            markup=False,  # [tui.keys] is a TOML table, not a style
        )
        yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("where", "keys", "what", "id")
        for row in binding_rows(self.app, self.for_screen):
            table.add_row(*row)
        table.add_row("everywhere", "^p", "Command palette (every action)", "")
        table.add_row("attached agent", "prefix d", "Back to agenttui (tmux's detach)", "")

    def action_close(self) -> None:
        self.dismiss(None)
