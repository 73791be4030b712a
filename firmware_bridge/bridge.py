"""The bridge process: MQTT in, database transactions, MQTT out.

paho's network thread only queues messages. One worker drains the queue in batches, stores and
applies them in one transaction, and only after the commit acknowledges them to the broker and
publishes ``evt/ack``: the broker redelivers anything not acknowledged, so a crash loses nothing
and the (controller, seq) constraint keeps redeliveries from being applied twice. A batch is
committed as soon as nothing more is waiting (never on a timer alone: the broker hands out only
as many unacknowledged messages as its in-flight limit allows).
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import queue as stdlib_queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from core.db import for_writing, unit_of_work
from firmware_bridge import commands
from firmware_bridge.connection import BrokerAddress, connect, new_client
from firmware_bridge.in_flight import IN_FLIGHT, InFlight
from firmware_bridge.ingest import (
    Outbound,
    dead_letter_unstorable,
    handle_batch,
    mark_silent_controllers,
)
from firmware_bridge.partition import EVERY_CAMPUS, Partition

log = logging.getLogger(__name__)
#: How long a batch waits for one more message before it commits (see Bridge._drain).
LINGER = 0.002
#: A message as the worker gets it: topic, payload, packet id, QoS.
Received = tuple[str, bytes, int, int]


class Bridge:
    """Run with :meth:`start`; :meth:`stop` finishes the current batch and disconnects."""

    def __init__(
        self,
        address: BrokerAddress,
        sessions: Callable[[], Session],
        label_key: str,
        *,
        partition: Partition = EVERY_CAMPUS,
        client_id: str | None = None,
        batch_size: int = 500,
    ) -> None:
        """Serves the controllers of ``partition``'s campuses, connected as ``client_id``
        (by default the partition's own, whose persistent session it resumes)."""
        self.address = address
        self.sessions = sessions
        self.label_key = label_key
        self.partition = partition
        self.batch_size = batch_size
        self.in_flight = InFlight()
        # paho's network thread shares the GIL with the worker: handing a message over costs it
        # one tuple and a C-level put. Plain tuples of str, bytes and int also keep the garbage
        # collector out of the queue; paho's message objects (a lock, properties) would be
        # promoted while they wait, and the full collections they bring cost more than the rest.
        self.inbox: stdlib_queue.SimpleQueue[Received] = stdlib_queue.SimpleQueue()
        self.stopping = threading.Event()
        #: Set once the broker confirmed the subscriptions: messages flow from then on.
        self.subscribed = threading.Event()
        self.stored = 0
        self.client = new_client(address, client_id or partition.client_id, persistent=True)
        self.client.manual_ack_set(True)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self._threads: list[threading.Thread] = []
        #: The latest evt/acks published: :meth:`stop` lets them reach the broker first.
        self._last_acks: collections.deque[mqtt.MQTTMessageInfo] = collections.deque(maxlen=500)

    def _on_connect(
        self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any = None
    ) -> None:
        if reason.is_failure:
            log.error("bridge: broker refused the connection: %s", reason)
            return
        client.subscribe([(topic, 1) for topic in self.partition.topics()])
        log.info(
            "bridge: partition %s connected to %s:%s",
            self.partition.name,
            self.address.host,
            self.address.port,
        )

    def _on_message(self, _client: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        topic = message.topic
        self.in_flight.arrived(topic)
        self.inbox.put((topic, message.payload, message.mid, message.qos))

    def start(self) -> None:
        connect(self.client, self.address, persistent=True)
        self.client.loop_start()
        for target, name in ((self._work, "bridge-worker"), (self._tick, "bridge-commands")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self.stopping.set()
        for thread in self._threads:
            thread.join(timeout=10)
        # paho forgets unsent messages at disconnect; an evt/ack lost there would leave its
        # controller waiting until it resends.
        deadline = time.monotonic() + 2
        for info in self._last_acks:
            with contextlib.suppress(ValueError, RuntimeError):  # not queued: nothing to wait for
                info.wait_for_publish(max(deadline - time.monotonic(), 0.01))
        self.client.disconnect()
        self.client.loop_stop()

    def _batch(self) -> list[Received]:
        try:
            message = self.inbox.get(timeout=0.5)
        except stdlib_queue.Empty:
            return []
        self.in_flight.taken(message[0])
        return [message]

    def _drain(self, batch: list[Received]) -> Iterator[tuple[str, bytes]]:
        """The batch's messages, then whatever arrives while they are handled, until the batch
        is full or nothing more is waiting: the transaction commits only then."""
        handed = 0
        while True:
            while handed < len(batch):
                topic, payload, _mid, _qos = batch[handed]
                handed += 1
                yield topic, payload
            if len(batch) >= self.batch_size:
                return
            try:
                # Lingering a moment for the next message saves a commit per few messages; it
                # is no timer: a full batch commits at once, and a quiet one LINGER after its
                # last message, so the broker's in-flight window never stalls.
                message = self.inbox.get(timeout=LINGER)
            except stdlib_queue.Empty:
                return
            self.in_flight.taken(message[0])
            batch.append(message)

    def _work(self) -> None:
        while not self.stopping.is_set():
            batch = self._batch()
            while batch and not self.stopping.is_set():
                try:
                    self._settle(batch)
                    break
                except Exception:
                    # The database is busy or away (a lock timeout, a lost connection), or not
                    # even a dead letter could be written. Nothing was acknowledged, so waiting
                    # and trying again loses nothing.
                    log.exception("bridge: the database is unavailable; waiting")
                    time.sleep(1)

    def _settle(self, batch: list[Received]) -> None:
        """Store a batch, acknowledge it, publish what it asked for. A batch that fails twice
        is stored message by message: one message can never hold up the others."""
        started = time.perf_counter()
        try:
            outbound = self._store(batch)
        except Exception:
            log.exception("bridge: storing a batch of %s failed; retrying once", len(batch))
            try:
                outbound = self._store(batch)
            except Exception as error:
                if transient(error):
                    raise
                log.exception("bridge: the batch failed again; storing message by message")
                outbound = [out for message in batch for out in self._store_alone(message)]
        ack = self.client.ack
        for _topic, _payload, mid, qos in batch:
            if qos:
                ack(mid, qos)
        self.stored += len(batch)
        log.info(
            "bridge: stored %s messages from %s in %.1f ms",
            len(batch),
            _controllers(batch),
            (time.perf_counter() - started) * 1000,
        )
        self._publish(outbound)

    def _store(self, batch: list[Received]) -> list[Outbound]:
        with unit_of_work(self.sessions) as session:  # type: ignore[arg-type]
            for_writing(session)
            session.info[IN_FLIGHT] = self.in_flight
            return handle_batch(session, self._drain(batch), self.label_key)

    def _store_alone(self, message: Received) -> list[Outbound]:
        """One message in its own transaction; if storing it fails, it is dead-lettered with
        the error in another."""
        topic, payload, _mid, _qos = message
        try:
            with unit_of_work(self.sessions) as session:  # type: ignore[arg-type]
                for_writing(session)
                return handle_batch(session, [(topic, payload)], self.label_key)
        except Exception as error:
            if transient(error):
                raise
            log.exception("bridge: a message on %s could not be stored", topic[:200])
            reason = f"could not be stored: {type(error).__name__}: {error}"
        with unit_of_work(self.sessions) as session:  # type: ignore[arg-type]
            for_writing(session)
            return dead_letter_unstorable(session, topic, payload, reason, self.label_key)

    def _publish(self, outbound: list[Outbound]) -> None:
        # Only the newest evt/ack per controller matters; commands each go out.
        latest: dict[str, Outbound] = {}
        for message in outbound:
            if message.topic.endswith("/evt/ack"):
                latest[message.topic] = message
            else:
                self.client.publish(message.topic, json.dumps(message.payload), qos=message.qos)
        for message in latest.values():
            info = self.client.publish(message.topic, json.dumps(message.payload), qos=message.qos)
            self._last_acks.append(info)

    def _tick(self) -> None:
        last_presence_check = 0.0
        while not self.stopping.wait(1.0):
            try:
                with unit_of_work(self.sessions) as session:  # type: ignore[arg-type]
                    for_writing(session)
                    campuses = self.partition.campuses
                    due = commands.due(session, campuses=campuses)
                    if time.monotonic() - last_presence_check > 10:
                        mark_silent_controllers(session, campuses=campuses)
                        last_presence_check = time.monotonic()
                self._publish(due)
            except Exception:
                log.exception("bridge: command round failed")


#: Words of a database error that passes: the same message will be stored once it is over.
_TRANSIENT = ("locked", "deadlock", "could not serialize", "timeout", "connection")


def transient(error: Exception) -> bool:
    """A database error about the database, not the message (a lock timeout, a lost
    connection): dead-lettering would lose a valid event, so the batch waits instead."""
    if not isinstance(error, DBAPIError):
        return False
    text = str(error.orig).lower()
    return error.connection_invalidated or any(word in text for word in _TRANSIENT)


#: Controllers named in a batch's log line; a busy campus sends from dozens at once.
NAMED_CONTROLLERS = 5


def _controllers(batch: list[Received]) -> str:
    """``NH-DB-01, XL-PU-02``: where a batch came from, for its log line (topics only: payloads
    carry labels and code hashes, which stay out of the log)."""
    names = sorted({topic.split("/")[3] for topic, _payload, _mid, _qos in batch})
    shown = ", ".join(names[:NAMED_CONTROLLERS])
    more = len(names) - NAMED_CONTROLLERS
    return f"{shown} and {more} more" if more > 0 else shown


class Runnable(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


def run_forever(bridge: Runnable) -> None:
    """Run until SIGTERM or SIGINT, then finish the batch in hand and leave."""
    import signal

    done = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: done.set())
    bridge.start()
    done.wait()
    bridge.stop()
