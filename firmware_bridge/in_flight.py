"""What a bridge knows is on its way: events received from the broker and not yet handed to a
transaction, and heartbeats' claims waiting out a grace period.

A heartbeat is QoS 0 and the broker sends it at once, past the QoS 1 events it holds back for
the bridge's in-flight window; inside the bridge it may also wait in the queue ahead of events
that arrived just after it. Its ``seq`` is therefore a claim about events that may well be on
their way: it opens a gap only when none of the controller's events wait in the bridge, and only
a claim that is at least :data:`CLAIM_GRACE` old (the next heartbeat compares the previous one's).
"""

from __future__ import annotations

import datetime as dt
import threading

#: Where a bridge's :class:`InFlight` sits in a session's ``info`` while it handles a batch.
IN_FLIGHT = "firmware_bridge_in_flight"
#: How long a heartbeat's claim waits before its missing events count as a gap.
CLAIM_GRACE = dt.timedelta(seconds=10)


def evt_controller(topic: str) -> str | None:
    """The controller of an ``evt`` topic (``cc/v1/NH/NH-DB-01/evt``), else ``None``."""
    if not topic.endswith("/evt"):
        return None
    parts = topic.split("/")
    return parts[3] if len(parts) == 5 else None


class InFlight:
    """Counts per controller of events queued in the bridge, and the heartbeats' claims."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: dict[str, int] = {}
        self._claims: dict[str, tuple[int, dt.datetime]] = {}

    def arrived(self, topic: str) -> None:
        """A message came from the broker (paho's network thread)."""
        controller = evt_controller(topic)
        if controller is not None:
            with self._lock:
                self._queued[controller] = self._queued.get(controller, 0) + 1

    def taken(self, topic: str) -> None:
        """A message left the queue for a batch (the worker)."""
        controller = evt_controller(topic)
        if controller is not None:
            with self._lock:
                left = self._queued.get(controller, 0) - 1
                if left > 0:
                    self._queued[controller] = left
                else:
                    self._queued.pop(controller, None)

    def queued(self, controller: str) -> bool:
        """Whether events of ``controller`` wait in the bridge, behind the batch in hand."""
        with self._lock:
            return controller in self._queued

    def due_claim(self, controller: str, seq: int, now: dt.datetime) -> int | None:
        """The ``seq`` a heartbeat claimed at least :data:`CLAIM_GRACE` ago, to be compared
        with what is stored now; ``seq``, claimed now, waits its turn."""
        with self._lock:
            earlier = self._claims.get(controller)
            if earlier is not None and now - earlier[1] < CLAIM_GRACE:
                return None
            self._claims[controller] = (seq, now)
            return earlier[0] if earlier is not None else None
