"""What the screens may ask of the application, typed: :func:`host` instead of ``self.app``.

Textual types ``Screen.app`` as any App, and the screens cannot import ``tui.app`` (it imports
them), so this protocol names what ``AgentTuiApp`` offers them; ``tui/app.py`` checks that it
conforms. Tile states reach the screens as the app's ``tile_infos`` reactive (screens
``watch`` it) and repaints as ``panes_changed`` (a Signal they subscribe to).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

from textual.signal import Signal

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from tui.services import Services
    from widgets.pane_tile import TileInfo
    from workflows.tmux.mirror_set import MirrorSet


class Host(Protocol):
    services: Services
    clock: Callable[[], float]
    mirrors: MirrorSet
    """The mirror of each tmux target (here, and each host with agents)."""
    panes_changed: Signal[set[str]]
    """Published with the keys (``TileInfo.key``) of the panes a mirror updated (tile
    screens repaint them)."""

    @property
    def tile_infos(self) -> list[TileInfo]:
        """Every agent's tile state, as last polled (a reactive: screens watch it)."""

    def load_tiles(self) -> Any:
        """Poll agent states now (workers; the result arrives as ``tile_infos``)."""

    def count_runs(self) -> Any:
        """Count runs now for the glance bar (a worker)."""

    def freeze_heap(self) -> None: ...

    def run_external(self, argv: Sequence[str]) -> int: ...

    def open_run_log(self, run_id: str) -> None: ...

    def open_run_detail(self, run_id: str) -> None: ...


def host(node: MessagePump) -> Host:
    """The application ``node`` runs in, as the screens may use it."""
    return cast("Host", node.app)
