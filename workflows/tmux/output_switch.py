"""Which panes' output tmux sends to the mirror's output client.

The mirror only needs a pane's first ``%output`` after it was captured: that marks the pane
dirty, and what it prints until the capture is read by the capture itself. So a pane that
printed is paused for the output client (``refresh-client -t CLIENT -A %N:pause``: tmux
then skips its output for that client, escaping and writing nothing) and continued
(``%N:continue``) in the same batch of commands as, and before, its next capture: what it
prints from then on is announced again, so no update is ever missed. The switches ride in
the capture batches the mirror sends anyway (one ``refresh-client`` per batch).

Pause, not ``%N:off``/``%N:on``: in tmux 3.3a ``off`` keeps the output blocks already
queued for the client while moving the client's offset past new output, and writing those
blocks then kills the server (control.c ``control_append_data``: "not enough data";
seen here within seconds with 32 busy panes). ``pause`` discards the queued blocks first.
tmux announces each switch (``%pause``/``%continue``); the output connection leaves the
panes paused here alone (``keep_paused``) and continues any other pause at once.

tmux applies one client's commands in order, so every switch travels over the command
connection and :attr:`OutputSwitch.lock` is held from building a switch until it is
written: tmux switches in the order this bookkeeping assumes. The invariant is that
:attr:`OutputSwitch.paused` holds every pane tmux has paused for us (holding more only
costs an extra ``continue``); a command that may not have reached tmux counts its panes as
still paused.

Never a stall: tmux keeps reading a pane that a control client paused (server-client.c
``server_client_check_pane_buffer``: a paused pane has no offset to wait for), as it does
for ``pause-after``. A new output client (after a reconnect) starts with every pane
running: the bookkeeping starts over when the client's name changes.
"""

from __future__ import annotations

import threading
from collections.abc import Collection


class OutputSwitch:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        """Held from :meth:`command` until the command is written (or :meth:`failed`)."""
        self.paused: set[str] = set()
        self.pauses = 0  # panes paused so far (figures, tests)
        self._printed: set[str] = set()  # printed since the last command, maybe running
        self._client: str | None = None  # the output client ``paused`` is about

    @property
    def pending(self) -> bool:
        """Panes printed that may be paused."""
        return bool(self._printed)

    def printing(self, pane_id: str) -> bool:
        """Whether the pane printed since it was last continued or captured (with
        :attr:`lock` held): paused, or waiting to be."""
        return pane_id in self.paused or pane_id in self._printed

    def printed(self, pane_id: str) -> bool:
        """A pane printed (on the reader, under the lock that guards the caller's dirty
        flags, set in the same breath). Whether it is new to pause."""
        if pane_id in self.paused or pane_id in self._printed:
            return False
        self._printed.add(pane_id)
        return True

    def take_printed(self, dirty: Collection[str]) -> set[str]:
        """The panes to pause: those that printed since the last call and are still
        ``dirty`` (call under the lock that guards both). A pane whose print a capture
        already took must keep running, or its next print would go unseen."""
        printed, self._printed = self._printed, set()
        return printed.intersection(dirty)

    def sync(self, client: str | None) -> None:
        """With :attr:`lock` held: the output client is ``client``; if it replaced the
        one :attr:`paused` is about, every pane runs for it."""
        if client != self._client:
            self.paused.clear()
            self._client = client

    def command(
        self, client: str | None, pause: Collection[str], resume: Collection[str] = ()
    ) -> list[str]:
        """With :attr:`lock` held: the ``refresh-client`` pausing ``pause`` (dirty panes:
        each will be captured, and so continued, later) and continuing those of
        ``resume`` that are paused, or ``[]``. The bookkeeping is already updated: write
        the command before releasing the lock."""
        self.sync(client)
        if client is None:
            return []
        pausing = sorted(set(pause) - self.paused - set(resume))
        resuming = [pane_id for pane_id in resume if pane_id in self.paused]
        self.paused.update(pausing)
        self.pauses += len(pausing)
        self.paused.difference_update(resuming)
        words = [word for pane_id in pausing for word in ("-A", f"{pane_id}:pause")]
        words += [word for pane_id in resuming for word in ("-A", f"{pane_id}:continue")]
        return ["refresh-client", "-t", client, *words] if words else []

    def failed(self, command: list[str]) -> None:
        """With :attr:`lock` held: ``command`` may not have reached tmux, so the panes it
        continued count as paused again (their next capture continues them again)."""
        if command and command[2] == self._client:
            resumed = [word for word in command[4::2] if word.endswith(":continue")]
            self.paused.update(word.removesuffix(":continue") for word in resumed)
