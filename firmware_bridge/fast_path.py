"""The batch fast path: in-order events cost no ORM work while a batch is handled.

An event that comes next in its controller's sequence is applied at once, and its row waits in
the session's :class:`Pending` with the sequence it moves, the bank whose ``last_seen`` it moves
and the controller whose ``evt/ack`` it makes due. :func:`finish` then writes them all with one
``executemany`` of driver-level SQL and one statement per table, so the ORM has nothing to flush.
Anything else that reads a sequence first settles the progress kept here
(:func:`firmware_bridge.sequence.current_sequence`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import bindparam, insert, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from firmware_bridge.contract import Envelope
from firmware_bridge.models import ControllerSequence, DeviceEvent
from firmware_bridge.outbound import Outbound, evt_ack
from lockers.models import LockerBank


@dataclass
class Pending:
    """What a transaction still owes once its messages are handled: the in-order events' rows,
    how far they moved each controller's sequence, the banks whose ``last_seen`` they move, the
    controllers whose ``evt/ack`` is due and the heartbeats' claims."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    upto: dict[str, tuple[ControllerSequence, int]] = field(default_factory=dict)
    seen: dict[str, LockerBank] = field(default_factory=dict)
    acks: dict[str, tuple[LockerBank, ControllerSequence]] = field(default_factory=dict)
    #: The highest ``seq`` each controller's heartbeats in the batch claimed, compared at its end.
    claims: dict[str, tuple[LockerBank, int]] = field(default_factory=dict)


PENDING = "firmware_bridge_pending"
#: The columns of an in-order event's row, in the order :func:`hold` builds it.
EVENT_COLUMNS = (
    "controller", "generation", "seq", "boot", "type", "device_at", "received_at", "data",
    "applied", "result",
)  # fmt: skip
#: ``data`` goes in as JSON text made in C (what the ORM's JSON type would make with json.dumps,
#: give or take whitespace and escaping: both read back the same).
_JSON = msgspec.json.Encoder()


def pending_of(session: Session) -> Pending:
    pending = session.info.get(PENDING)
    if pending is None:
        pending = session.info[PENDING] = Pending()
    return pending  # type: ignore[no-any-return]


def hold(
    pending: Pending,
    sequence: ControllerSequence,
    envelope: Envelope,
    received_at: dt.datetime,
    result: str,
) -> None:
    """Count an in-order event that was just applied; its row goes in with the batch's."""
    pending.upto[envelope.controller] = (sequence, envelope.seq)
    pending.rows.append(
        (envelope.controller, sequence.generation, envelope.seq, envelope.boot, envelope.type,
         envelope.ts, received_at, _JSON.encode(envelope.data).decode(), True, result[:200])
    )  # fmt: skip


def write_pending_rows(session: Session) -> None:
    """Insert the batch's in-order events in one ``executemany``: the hot path of the bridge."""
    pending = session.info.get(PENDING)
    if pending is None or not pending.rows:
        return
    connection = session.connection()
    insert_event = _event_insert(connection.dialect)
    times: dict[dt.datetime, Any] = {}
    rows = []
    for held in pending.rows:
        at, received = held[5], held[6]  # device_at and received_at (EVENT_COLUMNS)
        if received not in times:
            times[received] = insert_event.bind_time(received)
        row = (*held[:5], insert_event.bind_time(at), times[received], *held[7:])
        rows.append(
            row if insert_event.order is None else tuple(row[i] for i in insert_event.order)
        )
    pending.rows = []
    if insert_event.order is None:
        connection.exec_driver_sql(
            insert_event.sql, [dict(zip(EVENT_COLUMNS, row, strict=True)) for row in rows]
        )
    else:
        connection.exec_driver_sql(insert_event.sql, rows)


@dataclass(frozen=True)
class _EventInsert:
    """The driver-level INSERT of :data:`EVENT_COLUMNS`: SQL, the row positions its positional
    parameters take (``None`` for named ones) and the datetime columns' bind processing."""

    sql: str
    order: tuple[int, ...] | None
    bind_time: Callable[[dt.datetime], Any]


_EVENT_INSERTS: dict[tuple[str, str, str], _EventInsert] = {}


def _event_insert(dialect: Dialect) -> _EventInsert:
    """Made once per kind of database: the rows then skip SQLAlchemy's per-row work."""
    key = (dialect.name, dialect.driver, dialect.paramstyle)
    made = _EVENT_INSERTS.get(key)
    if made is None:
        table = DeviceEvent.__table__
        compiled = insert(table).compile(dialect=dialect, column_keys=list(EVENT_COLUMNS))
        order = (
            tuple(EVENT_COLUMNS.index(name) for name in compiled.positiontup or ())
            if compiled.positional
            else None
        )
        process = table.c.device_at.type.dialect_impl(dialect).bind_processor(dialect)
        made = _EVENT_INSERTS[key] = _EventInsert(compiled.string, order, process or _same)
    return made


def _same(value: dt.datetime) -> dt.datetime:
    return value


_SEQUENCE_UPTO = (
    update(ControllerSequence)
    .where(ControllerSequence.controller == bindparam("of"))
    .values(contiguous=bindparam("upto"), highest=bindparam("upto"))
)
_LAST_SEEN = (
    update(LockerBank).where(LockerBank.id == bindparam("of")).values(last_seen=bindparam("at"))
)


def finish(session: Session, received_at: dt.datetime) -> list[Outbound]:
    """Write what the batch left pending; returns the ``evt/ack`` each controller is due."""
    pending = session.info.get(PENDING)
    if pending is None:
        return []
    write_pending_rows(session)
    connection = session.connection()
    if pending.upto:
        connection.execute(
            _SEQUENCE_UPTO,
            [{"of": controller, "upto": upto} for controller, (_s, upto) in pending.upto.items()],
        )
        for sequence, upto in pending.upto.values():
            # What the statement wrote, as if loaded: the ORM keeps no stale change to flush.
            set_committed_value(sequence, "contiguous", upto)
            set_committed_value(sequence, "highest", upto)
    if pending.seen:
        connection.execute(
            _LAST_SEEN, [{"of": bank.id, "at": received_at} for bank in pending.seen.values()]
        )
        for bank in pending.seen.values():
            set_committed_value(bank, "last_seen", received_at)
    acks = [evt_ack(bank, sequence) for bank, sequence in pending.acks.values()]
    session.info.pop(PENDING, None)
    return acks
