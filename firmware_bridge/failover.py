"""One bridge process among several: it serves the partitions whose PostgreSQL advisory lock it
holds, and a standby takes a partition over within seconds when its holder dies.

The locks are session-level and held on a connection of their own (never a pooled one, never
through a transaction-pooling PgBouncer): when the process dies, PostgreSQL sees its connection
close and releases them. Every :data:`POLL` seconds each process counts the live bridge
processes of its database (their lock connections' ``application_name``), takes free partitions
up to its fair share and hands one back when it holds more than its share (a standby that
joined): started one after another, four processes end up with one partition each. A process
whose lock connection fails stops serving at once, since another may already hold its locks.

On SQLite (one machine) there are no locks and no other process: one bridge process serves
every partition.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import uuid
from collections.abc import Callable, Sequence

from sqlalchemy import Connection, Engine, create_engine, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from core.db import lock_key
from firmware_bridge.bridge import Bridge
from firmware_bridge.connection import BrokerAddress
from firmware_bridge.partition import Partition

log = logging.getLogger(__name__)
#: Seconds between looks for partitions to take (a dead holder's are taken within about this).
POLL = 1.0
#: The ``application_name`` prefix of the lock connections: how processes count each other.
APPLICATION = "courier-bridge"

_LIVE = text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND application_name LIKE :prefix"
)


class PartitionHost:
    """Serves partitions through one :class:`~firmware_bridge.bridge.Bridge` each; with a
    PostgreSQL ``lock_url``, only those whose advisory lock it holds."""

    def __init__(
        self,
        address: BrokerAddress,
        sessions: Callable[[], Session],
        label_key: str,
        partitions: Sequence[Partition],
        lock_url: str | None,
        *,
        poll: float = POLL,
    ) -> None:
        self.address = address
        self.sessions = sessions
        self.label_key = label_key
        self.partitions = list(partitions)
        self.poll = poll
        #: Also in ``pg_stat_activity``: which process holds which partition, for operators.
        self.application_name = f"{APPLICATION} {os.getpid()} {uuid.uuid4().hex[:8]}"
        self._engine: Engine | None = (
            create_engine(
                lock_url,
                poolclass=NullPool,
                isolation_level="AUTOCOMMIT",
                connect_args={
                    "application_name": self.application_name,
                    # A lock holder cut off by the network is noticed within seconds.
                    "keepalives": 1,
                    "keepalives_idle": 5,
                    "keepalives_interval": 2,
                    "keepalives_count": 3,
                },
            )
            if lock_url
            else None
        )
        self._connection: Connection | None = None
        #: The partitions served now, by name, in the order they were taken.
        self.serving: dict[str, Bridge] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # Processes started together try the partitions from different ends first.
        self._offset = int(uuid.uuid4().int % max(len(self.partitions), 1))

    def start(self) -> None:
        if self._engine is None:
            for partition in self.partitions:
                self._serve(partition)
            return
        self._thread = threading.Thread(target=self._watch, name="bridge-partitions", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop every bridge (each finishes its batch), then let go of the locks."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        for name in list(self.serving):
            self._release(name)
        self._close()
        if self._engine is not None:
            self._engine.dispose()

    def _watch(self) -> None:
        while not self._stopping.is_set():
            try:
                self._round()
            except Exception:
                log.exception("bridge: the connection holding the partition locks failed")
                # Another process may hold the locks already: serving on would be serving twice.
                for name in list(self.serving):
                    self.serving.pop(name).stop()
                self._close()
            self._stopping.wait(self.poll)

    def _round(self) -> None:
        """Take free partitions up to this process's share, or hand one back above it."""
        assert self._engine is not None
        if self._connection is None:
            self._connection = self._engine.connect()
        live = self._connection.execute(_LIVE, {"prefix": f"{APPLICATION} %"}).scalar_one()
        share = math.ceil(len(self.partitions) / max(live, 1))
        if len(self.serving) > share:
            self._release(next(reversed(self.serving)))
            return
        turn = self.partitions[self._offset :] + self.partitions[: self._offset]
        for partition in turn:
            if len(self.serving) >= share or self._stopping.is_set():
                return
            if partition.name not in self.serving and self._try_lock(partition):
                self._serve(partition)

    def _try_lock(self, partition: Partition) -> bool:
        assert self._connection is not None
        taken = select(func.pg_try_advisory_lock(lock_key(partition.lock_name)))
        return bool(self._connection.execute(taken).scalar_one())

    def _serve(self, partition: Partition) -> None:
        bridge = Bridge(self.address, self.sessions, self.label_key, partition=partition)
        bridge.start()
        self.serving[partition.name] = bridge
        log.info("bridge: serving partition %s as %s", partition.name, partition.client_id)

    def _release(self, name: str) -> None:
        """Stop serving ``name`` (its session stays with the broker), then unlock it."""
        self.serving.pop(name).stop()
        if self._connection is not None:
            partition = next(p for p in self.partitions if p.name == name)
            unlock = select(func.pg_advisory_unlock(lock_key(partition.lock_name)))
            try:
                self._connection.execute(unlock)
            except Exception:
                log.exception("bridge: could not unlock %s; closing its connection", name)
                self._close()
        log.info("bridge: handed partition %s back", name)

    def _close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:
                log.exception("bridge: closing the lock connection failed")
            self._connection = None
