"""Which panes the mirror captures blind: kept paused through their capture.

The mirror pauses a pane's output once it printed and continues it with its capture
(output_switch.py). For a pane that prints faster than it may be captured (an agent
streaming a reply while its tile is one of many at 10 Hz), every cycle then costs tmux a
``%output``, a ``%pause`` and a ``%continue``, and us a switch command and a reader wake-up,
only to learn what we could have presumed: it printed again long before it was due. Such a
pane is *busy*: it printed in the first half of the interval after its capture (its rate
held it back for at least half an interval) and the capture changed its model. A busy
pane that is still paused is captured blind at its next turn: not continued, and dirty
again at once, so it is captured at its rate for as long as each capture changes it. The
first blind capture that changes nothing ends that (the next one continues it first, as
always), so a pane that went quiet costs one or two captures more, and a pane printing
slower than its rate, or about as fast (the focused tile at 30 Hz, a frame late now and
then), stays event driven: it is captured when it prints, not on a clock, and keeps its
latency (a blind capture that finds nothing starts the pane's interval again, which would
hold its next frame back by up to an interval).

The mirror never captures the focused pane blind: an agent catching up (frames back to back
after a stall) would make it busy, and its latency is what the focused tile is for.

No output goes unseen: a blind pane is dirty from its capture on. Guarded by the
mirror's lock.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping


class BusyPanes:
    def __init__(self) -> None:
        self.busy: set[str] = set()
        self._printed_at: dict[str, float] = {}  # first output noticed since its capture

    def printed(self, pane_id: str, now: float) -> None:
        """The pane's output was noticed (``%output``) at ``now`` (monotonic)."""
        self._printed_at.setdefault(pane_id, now)

    def plan(
        self,
        due: Mapping[str, tuple[float, float]],
        printing: Collection[str],
        paused: Collection[str],
    ) -> tuple[set[str], set[str]]:
        """For the panes about to be captured (pane → when it became due, its interval):
        those to capture blind (busy and still paused), and those this capture may find
        busy (printing, and captured blind or held back by their rate for at least half
        an interval)."""
        blind = {p for p in due if p in self.busy and p in paused and p in printing}
        held = set()
        for pane_id, (due_at, interval) in due.items():
            printed_at = self._printed_at.pop(pane_id, None)
            if pane_id in printing and (
                pane_id in blind or (printed_at is not None and printed_at <= due_at - interval / 2)
            ):
                held.add(pane_id)
        return blind, held

    def captured(self, pane_id: str, changed: bool, held: bool) -> None:
        """The pane's capture is applied: busy if it was ``held`` and ``changed``."""
        if changed and held:
            self.busy.add(pane_id)
        else:
            self.busy.discard(pane_id)

    def forget(self, pane_ids: Iterable[str]) -> set[str]:
        """Panes no longer captured (hidden); those that were busy (their last output
        may have gone unseen: count them as active)."""
        panes = set(pane_ids)
        gone = self.busy & panes
        self.busy -= gone
        for pane_id in panes:
            self._printed_at.pop(pane_id, None)
        return gone
