"""Applying controller messages: store first, apply once and in order, say what to publish.

:func:`handle_batch` (and :func:`handle` for one message) works on a session and returns the
messages to publish once the transaction that stored the input has committed (one ``evt/ack``
per controller up to its highest contiguous seq, ``replay`` when a gap opened). It never raises
for bad input: that goes to the dead-letter table.

The in-order event is the bridge's hot path and is kept lean: its row waits in the batch and all
of them go in with one ``executemany``, the bank's ``last_seen`` and the ``evt/ack`` are settled
once per batch, and the batch shares one receive time.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from core import clock
from core.errors import DomainError
from courier.models import Source
from firmware_bridge import contract
from firmware_bridge.contract import ContractError
from firmware_bridge.models import (
    Command,
    CommandStatus,
    ControllerSequence,
    DeadLetter,
    DeviceEvent,
)
from lockers import pickup_codes
from lockers.alerts import raise_alert
from lockers.compartments import empty
from lockers.models import AlertKind, Compartment, CompartmentState, LockerBank, Presence
from lockers.pickups import deposit, pickup

log = logging.getLogger(__name__)
HEARTBEAT = dt.timedelta(seconds=30)
MISSED_HEARTBEATS = 3
REPLAY_EVERY = dt.timedelta(seconds=10)
COMMAND_TTL = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Outbound:
    topic: str
    payload: dict[str, Any]
    qos: int = 1


@dataclass
class Handled:
    """What one message led to: messages to publish after commit, and a word for the debug log."""

    outbound: list[Outbound] = field(default_factory=list)
    note: str = ""


@dataclass
class _Pending:
    """What a transaction still owes once its messages are handled: the in-order events' rows,
    how far they moved each controller's sequence, the banks whose ``last_seen`` they move and
    the controllers whose ``evt/ack`` is due.

    The hot path only writes here; :func:`_finish` writes it all with one statement per table,
    so the ORM has nothing to flush for a batch of in-order events. Anything else that reads a
    sequence goes through :func:`_sequence`, which first settles the progress kept here.
    """

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    upto: dict[str, tuple[ControllerSequence, int]] = field(default_factory=dict)
    seen: dict[str, LockerBank] = field(default_factory=dict)
    acks: dict[str, tuple[LockerBank, ControllerSequence]] = field(default_factory=dict)


PENDING = "firmware_bridge_pending"
#: The columns of an in-order event's row, in the order :func:`_event` builds it.
EVENT_COLUMNS = (
    "controller", "seq", "boot", "type", "device_at", "received_at", "data", "applied", "result"
)  # fmt: skip


def _pending(session: Session) -> _Pending:
    pending = session.info.get(PENDING)
    if pending is None:
        pending = session.info[PENDING] = _Pending()
    return pending  # type: ignore[no-any-return]


def write_pending_rows(session: Session) -> None:
    """Insert the batch's in-order events in one ``executemany``: the hot path of the bridge."""
    pending = session.info.get(PENDING)
    if pending is None or not pending.rows:
        return
    connection = session.connection()
    insert_event = _event_insert(connection.dialect)
    times: dict[dt.datetime, Any] = {}
    rows = []
    for controller, seq, boot, kind, at, received, data, applied, result in pending.rows:
        if received not in times:
            times[received] = insert_event.bind_time(received)
        row = (controller, seq, boot, kind, insert_event.bind_time(at), times[received], data,
               applied, result)  # fmt: skip
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


def _finish(session: Session, received_at: dt.datetime) -> list[Outbound]:
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
    acks = [_ack(bank, sequence) for bank, sequence in pending.acks.values()]
    session.info.pop(PENDING, None)
    return acks


def handle_batch(
    session: Session, messages: Iterable[tuple[str, bytes]], label_key: str
) -> list[Outbound]:
    """Store and apply messages in order; returns what to publish after the commit."""
    received_at = clock.now()
    outbound: list[Outbound] = []
    try:
        for topic, payload in messages:
            handled = _handle(session, topic, payload, label_key, received_at)
            if handled.note:
                log.debug("%s: %s", topic, handled.note)
            outbound += handled.outbound
        outbound += _finish(session, received_at)
    finally:
        session.info.pop(PENDING, None)
    return outbound


def handle(
    session: Session,
    topic: str,
    payload: bytes,
    label_key: str,
    received_at: dt.datetime | None = None,
) -> Handled:
    """Store and apply one message from a controller."""
    received_at = received_at or clock.now()
    try:
        handled = _handle(session, topic, payload, label_key, received_at)
        return Handled(handled.outbound + _finish(session, received_at), handled.note)
    finally:
        session.info.pop(PENDING, None)


_parse_topic = functools.lru_cache(maxsize=4096)(contract.parse_topic)


def _handle(
    session: Session, topic: str, payload: bytes, label_key: str, received_at: dt.datetime
) -> Handled:
    try:
        parsed = _parse_topic(topic)
    except ContractError as error:
        return _dead(session, topic, payload, error, received_at)
    banks = session.info.setdefault("banks", {})
    bank = banks.get(parsed.controller)
    if bank is None:
        bank = banks[parsed.controller] = _bank(session, parsed.controller)
    if bank is None:
        return _dead(
            session,
            topic,
            payload,
            ContractError(f"unknown controller {parsed.controller}"),
            received_at,
        )
    try:
        if parsed.channel == "evt":
            return _event(session, bank, parsed, payload, label_key, received_at)
        if parsed.channel == "status":
            return _status(bank, contract.parse_status(payload), received_at)
        if parsed.channel == "hb":
            return _heartbeat(session, bank, contract.parse_heartbeat(payload), received_at)
        if parsed.channel == "cmd/ack":
            return _command_ack(session, bank, contract.parse_command_ack(payload), received_at)
        return Handled(note="state snapshot")
    except ContractError as error:
        return _dead(session, topic, payload, error, received_at)


#: A bank with all that a batch needs of it in one statement: its campus (the evt/ack topic names
#: it), its compartments and its controller's sequence. Built once: only the parameter changes.
_BANK = (
    select(LockerBank, ControllerSequence)
    .outerjoin(ControllerSequence, ControllerSequence.controller == LockerBank.controller)
    .where(LockerBank.controller == bindparam("controller"))
    .options(joinedload(LockerBank.campus), joinedload(LockerBank.compartments))
)


def _bank(session: Session, controller: str) -> LockerBank | None:
    found = session.execute(_BANK, {"controller": controller}).unique().first()
    if found is None:
        return None
    bank, sequence = found
    if sequence is not None:
        session.info.setdefault("sequences", {})[controller] = sequence
    return bank  # type: ignore[no-any-return]


def _dead(
    session: Session, topic: str, payload: bytes, error: ContractError, received_at: dt.datetime
) -> Handled:
    session.add(
        DeadLetter(
            topic=topic[:200],
            payload=payload,
            reason=error.reason[:300],
            controller=error.controller,
            seq=error.seq,
            received_at=received_at,
        )
    )
    log.warning("dead letter on %s: %s", topic, error.reason)
    return Handled(note=f"dead letter: {error.reason}")


def _sequence(session: Session, controller: str) -> ControllerSequence:
    """The controller's sequence, up to date with the hot path's progress in this batch."""
    row = _cached_sequence(session, controller)
    pending = session.info.get(PENDING)
    if pending is not None and controller in pending.upto:
        _row, upto = pending.upto.pop(controller)
        row.contiguous = row.highest = upto
    return row


def _cached_sequence(session: Session, controller: str) -> ControllerSequence:
    # Looked up once per session (one batch), usually along with the bank (see _BANK).
    cache = session.info.setdefault("sequences", {})
    row = cache.get(controller) or session.get(ControllerSequence, controller)
    if row is None:
        row = ControllerSequence(controller=controller, contiguous=0, highest=0)
        session.add(row)
        session.flush()
    cache[controller] = row
    return row


def _event(
    session: Session,
    bank: LockerBank,
    topic: contract.Topic,
    payload: bytes,
    label_key: str,
    received_at: dt.datetime,
) -> Handled:
    controller = bank.controller
    pending = _pending(session)
    try:
        envelope = contract.parse_event(topic, payload)
        number = envelope.data.get("compartment")
        if _int(number) and number not in _numbered(session, bank):
            raise ContractError(f"unknown compartment {number}", envelope.controller, envelope.seq)
    except ContractError as error:
        handled = _dead(session, topic_text(bank, "evt"), payload, error, received_at)
        if error.controller == controller and error.seq is not None:
            # Asking for it again would only bring the same bad event back: count it as received.
            sequence = _sequence(session, controller)
            handled.outbound += _received(
                session, bank, sequence, error.seq, label_key, received_at
            )
        return handled
    pending.seen[controller] = bank
    seq = envelope.seq
    progress = pending.upto.get(controller)
    if progress is None:
        sequence = _cached_sequence(session, controller)
        next_in_order = seq == sequence.contiguous + 1 and sequence.highest <= sequence.contiguous
    else:
        sequence = progress[0]
        next_in_order = seq == progress[1] + 1
    pending.acks[controller] = (bank, sequence)
    if next_in_order:
        # The hot path: applied now, stored and counted with the rest of the batch (_finish).
        result = _apply(session, bank, envelope.type, envelope.data, seq, envelope.ts, label_key)
        pending.upto[controller] = (sequence, seq)
        pending.rows.append(
            (controller, seq, envelope.boot, envelope.type, envelope.ts, received_at,
             _JSON.encode(envelope.data).decode(), True, result[:200])
        )  # fmt: skip
        return Handled()
    sequence = _sequence(session, controller)
    # In-order events cost no query: nothing above ``highest`` can be stored.
    if seq <= sequence.contiguous or (
        seq <= sequence.highest
        and session.scalar(
            select(DeviceEvent.id).where(
                DeviceEvent.controller == controller, DeviceEvent.seq == seq
            )
        )
    ):
        return Handled(note=f"duplicate seq {seq}")
    write_pending_rows(session)
    session.add(
        DeviceEvent(
            controller=controller, seq=seq, boot=envelope.boot, type=envelope.type,
            device_at=envelope.ts, received_at=received_at, data=envelope.data,
        )
    )  # fmt: skip
    session.flush()
    return Handled(_received(session, bank, sequence, seq, label_key, received_at))


#: ``data`` goes in as JSON text made in C (what the ORM's JSON type would make with json.dumps,
#: give or take whitespace and escaping: both read back the same).
_JSON = msgspec.json.Encoder()


def topic_text(bank: LockerBank, channel: str) -> str:
    return contract.topic_for(bank.campus.code, bank.controller, channel)


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _received(
    session: Session,
    bank: LockerBank,
    sequence: ControllerSequence,
    seq: int,
    label_key: str,
    received_at: dt.datetime,
) -> list[Outbound]:
    """Advance the contiguous mark over what is stored, apply in order, ask for what is missing;
    the ``evt/ack`` it makes due goes out at the end of the batch."""
    sequence.highest = max(sequence.highest, seq)
    if seq > sequence.contiguous + 1 or sequence.highest > sequence.contiguous + 1:
        stored = set(
            session.scalars(
                select(DeviceEvent.seq).where(
                    DeviceEvent.controller == bank.controller,
                    DeviceEvent.seq > sequence.contiguous,
                )
            )
        ) | set(
            session.scalars(
                select(DeadLetter.seq).where(
                    DeadLetter.controller == bank.controller,
                    DeadLetter.seq > sequence.contiguous,
                )
            )
        )
    else:
        stored = {seq}
    while sequence.contiguous + 1 in stored:
        sequence.contiguous += 1
    _apply_pending(session, bank, sequence, label_key)
    _pending(session).acks[bank.controller] = (bank, sequence)
    return _replay_if_due(bank, sequence, received_at)


def _replay_if_due(
    bank: LockerBank, sequence: ControllerSequence, received_at: dt.datetime
) -> list[Outbound]:
    """Ask for the missing events while a gap is open, at most every :data:`REPLAY_EVERY`."""
    if sequence.highest <= sequence.contiguous:
        sequence.replay_requested_at = None
        return []
    if (
        sequence.replay_requested_at is not None
        and received_at - sequence.replay_requested_at < REPLAY_EVERY
    ):
        return []
    sequence.replay_requested_at = received_at
    return [_replay(bank, sequence.contiguous + 1)]


def _ack(bank: LockerBank, sequence: ControllerSequence) -> Outbound:
    return Outbound(topic_text(bank, "evt/ack"), {"upto_seq": sequence.contiguous})


def _replay(bank: LockerBank, from_seq: int) -> Outbound:
    now = clock.now()
    return Outbound(
        topic_text(bank, "cmd"),
        {
            "cmd_id": f"replay-{uuid.uuid4()}",
            "op": "replay",
            "args": {"from_seq": from_seq},
            "issued_at": now.isoformat(),
            "expires_at": (now + COMMAND_TTL).isoformat(),
        },
    )


def _apply_pending(
    session: Session, bank: LockerBank, sequence: ControllerSequence, label_key: str
) -> None:
    pending = session.scalars(
        select(DeviceEvent)
        .where(
            DeviceEvent.controller == bank.controller,
            DeviceEvent.applied.is_(False),
            DeviceEvent.seq <= sequence.contiguous,
        )
        .order_by(DeviceEvent.seq)
    )
    for event in pending:
        event.result = _apply(
            session, bank, event.type, event.data, event.seq, event.device_at, label_key
        )[:200]
        event.applied = True


def _numbered(session: Session, bank: LockerBank) -> dict[int, Compartment]:
    """The bank's compartments by number, built once per session."""
    cache = session.info.setdefault("compartments", {})
    numbered = cache.get(bank.controller)
    if numbered is None:
        numbered = cache[bank.controller] = {c.number: c for c in bank.compartments}
    return numbered  # type: ignore[no-any-return]


def _apply(
    session: Session,
    bank: LockerBank,
    kind: str,
    data: dict[str, Any],
    seq: int,
    device_at: dt.datetime,
    label_key: str,
) -> str:
    """One stored event's effect on the domain; returns what happened, for the log."""
    item = _numbered(session, bank).get(data.get("compartment"))
    key = f"mqtt:{bank.controller}:{seq}"
    try:
        if kind == "door_opened" and item is not None:
            if item.state != CompartmentState.OPEN:
                # Setting it again would still make the flush look at the compartment.
                item.state = CompartmentState.OPEN
            return "door open"
        if kind == "door_closed" and item is not None:
            if data["occupied"]:
                item.state = CompartmentState.OCCUPIED
            else:
                empty(item)
            return "door closed"
        if kind == "deposit" and item is not None:
            outcome = deposit(
                session, item, data.get("label"), key=key, label_key=label_key,
                device_at=device_at,
            )  # fmt: skip
            return _said("deposit", outcome.ok, outcome.reason_code, outcome.consignment)
        if kind == "pickup" and item is not None:
            if not data["code_ok"]:
                pickup_codes.count_wrong_try(session, item)
                return "wrong code"
            outcome = pickup(
                session, item, key=key, source=Source.MQTT, verified_by_controller=True,
                device_at=device_at,
            )  # fmt: skip
            return _said("pickup", outcome.ok, outcome.reason_code, outcome.consignment)
        if kind == "code_rejected":
            if item is not None:
                pickup_codes.count_wrong_try(session, item)
            return "code rejected"
        if kind in {"tamper", "fault"}:
            kind = AlertKind.TAMPER if kind == "tamper" else AlertKind.FAULT
            detail = data.get("kind") or f"{data.get('component')}: {data.get('detail')}"
            raise_alert(
                session,
                kind,
                f"{bank.controller}: {kind} {detail}",
                bank=bank,
                compartment_number=item.number if item else None,
            )
            return f"alert {detail}"
    except DomainError as error:
        # The device told the truth about the door; the domain refused what it implied.
        return f"{kind} refused: {error.code}"
    return kind


def _said(what: str, ok: bool, reason: str | None, consignment: Any) -> str:
    code = consignment.tracking_code if consignment is not None else "-"
    return f"{what} {code}" if ok else f"{what} {code} refused: {reason}"


def _status(bank: LockerBank, status: contract.Status, received_at: dt.datetime) -> Handled:
    if status.boot < bank.boot:
        # A Will (or a goodbye) from an earlier power-up must not mark the live session down.
        return Handled(note=f"stale status from boot {status.boot}")
    bank.boot = status.boot
    bank.last_seen = received_at
    if status.state == "online":
        bank.presence = Presence.ONLINE
        bank.firmware = status.firmware or bank.firmware
    else:
        bank.presence = Presence.LOST if status.state == "lost" else Presence.OFFLINE
    return Handled(note=f"status {status.state}")


def _heartbeat(
    session: Session, bank: LockerBank, beat: contract.Heartbeat, received_at: dt.datetime
) -> Handled:
    if beat.boot < bank.boot:
        return Handled(note="stale heartbeat")
    bank.boot = beat.boot
    bank.last_seen = received_at
    bank.presence = Presence.ONLINE
    sequence = _sequence(session, bank.controller)
    if beat.seq > sequence.highest:
        # Events we never saw: the heartbeat tells how far the controller got.
        sequence.highest = beat.seq
    return Handled(_replay_if_due(bank, sequence, received_at), note="heartbeat")


def _command_ack(
    session: Session, bank: LockerBank, ack: contract.CommandAck, received_at: dt.datetime
) -> Handled:
    command = session.scalar(select(Command).where(Command.cmd_id == ack.cmd_id))
    if command is None or command.controller != bank.controller:
        return Handled(note=f"ack for unknown command {ack.cmd_id}")
    command.answered_at = received_at
    final = {CommandStatus.DONE, CommandStatus.REJECTED, CommandStatus.EXPIRED}
    if command.status in final:
        return Handled(note="late command ack")
    command.status = CommandStatus(ack.status)
    command.error = ack.error
    return Handled(note=f"command {ack.status}")


def mark_silent_controllers(session: Session, now: dt.datetime | None = None) -> list[str]:
    """Controllers online but silent for three heartbeats are lost; returns their ids."""
    now = now or clock.now()
    silent = session.scalars(
        select(LockerBank).where(
            LockerBank.presence == Presence.ONLINE,
            LockerBank.last_seen < now - HEARTBEAT * MISSED_HEARTBEATS,
        )
    ).all()
    for bank in silent:
        bank.presence = Presence.LOST
        raise_alert(
            session,
            AlertKind.CONTROLLER_LOST,
            f"{bank.controller}: no heartbeat since {bank.last_seen:%H:%M:%S}",
            bank=bank,
        )
    return [bank.controller for bank in silent]
