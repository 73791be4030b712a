"""A cap on how many display streams are open, per address and overall."""

from __future__ import annotations

import threading
from collections import Counter


class StreamGate:
    """Counts open streams per address and overall, refusing beyond the limits."""

    def __init__(self, per_address: int, overall: int) -> None:
        self.per_address = per_address
        self.overall = overall
        self._lock = threading.Lock()
        self._open: Counter[str] = Counter()

    def enter(self, address: str) -> str | None:
        """Admit one stream from ``address``: None, or why not (``address`` or ``full``)."""
        with self._lock:
            if self._open[address] >= self.per_address:
                return "address"
            if self._open.total() >= self.overall:
                return "full"
            self._open[address] += 1
            return None

    def leave(self, address: str) -> None:
        """Forget one stream of ``address`` (its answer was closed)."""
        with self._lock:
            self._open[address] -= 1
            if self._open[address] <= 0:
                del self._open[address]

    @property
    def open_streams(self) -> int:
        with self._lock:
            return self._open.total()
