"""Applying controller messages: store first, apply once and in order, say what to publish.

:func:`handle_batch` (and :func:`handle` for one message) works on a session and returns the
messages to publish once the transaction that stored the input has committed (one ``evt/ack``
per controller up to its highest contiguous seq, ``replay`` when a gap opened). It never raises
for bad input: that goes to the dead-letter table.

Here each message is routed to what it means; the in-order event takes the batch fast path
(:mod:`firmware_bridge.fast_path`), any other event goes through its controller's sequence
(:mod:`firmware_bridge.sequence`), and both reach the domain through
:mod:`firmware_bridge.apply`.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from core import clock
from firmware_bridge import contract, snapshot
from firmware_bridge.apply import apply_event, numbered
from firmware_bridge.contract import ContractError
from firmware_bridge.fast_path import PENDING, finish, hold, pending_of, write_pending_rows
from firmware_bridge.in_flight import IN_FLIGHT, InFlight
from firmware_bridge.models import (
    Command,
    CommandStatus,
    ControllerSequence,
    DeadLetter,
    DeviceEvent,
)
from firmware_bridge.outbound import Outbound, topic_text
from firmware_bridge.sequence import (
    cached_sequence,
    current_sequence,
    generation_of,
    received,
    replay_if_due,
)
from lockers.alerts import raise_alert
from lockers.compartments import controllers_on
from lockers.models import AlertKind, LockerBank, Presence

log = logging.getLogger(__name__)
HEARTBEAT = dt.timedelta(seconds=30)
MISSED_HEARTBEATS = 3
#: A dead letter keeps this much of the payload: enough to see what was wrong, never megabytes.
KEPT_PAYLOAD = 4096


@dataclass
class Handled:
    """What one message led to: messages to publish after commit, and a word for the debug log."""

    outbound: list[Outbound] = field(default_factory=list)
    note: str = ""


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
        outbound += _settle_claims(session, received_at, label_key)
        outbound += finish(session, received_at)
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
        claims = _settle_claims(session, received_at, label_key)
        return Handled(handled.outbound + claims + finish(session, received_at), handled.note)
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
    if parsed.campus != bank.campus.code:
        # Touches no sequence: a controller publishing under another campus is misconfigured.
        error = ContractError(
            f"topic names campus {parsed.campus}, {bank.controller} is on {bank.campus.code}"
        )
        return _dead(session, topic, payload, error, received_at)
    try:
        if parsed.channel == "evt":
            return _event(session, bank, parsed, payload, label_key, received_at)
        if parsed.channel == "status":
            return _status(bank, contract.parse_status(payload), received_at)
        if parsed.channel == "hb":
            beat = contract.parse_heartbeat(payload)
            return _heartbeat(session, bank, beat, received_at, label_key)
        if parsed.channel == "cmd/ack":
            return _command_ack(session, bank, contract.parse_command_ack(payload), received_at)
        return Handled(note=snapshot.compare(session, bank, contract.parse_state(payload)))
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
            payload=payload[:KEPT_PAYLOAD],
            reason=error.reason.replace("\0", "\\0")[:300],
            controller=error.controller,
            # The seq counts in the generation its controller is at (see sequence.received).
            generation=generation_of(session, error.controller) if error.controller else 1,
            seq=error.seq,
            received_at=received_at,
        )
    )
    log.warning("dead letter on %s: %s", topic, error.reason)
    return Handled(note=f"dead letter: {error.reason}")


def _event(
    session: Session,
    bank: LockerBank,
    topic: contract.Topic,
    payload: bytes,
    label_key: str,
    received_at: dt.datetime,
) -> Handled:
    controller = bank.controller
    pending = pending_of(session)
    try:
        envelope = contract.parse_event(topic, payload)
        contract.check_clock(envelope, received_at)
        number = envelope.data.get("compartment")
        if _int(number) and number not in numbered(session, bank):
            raise ContractError(f"unknown compartment {number}", envelope.controller, envelope.seq)
    except ContractError as error:
        handled = _dead(session, topic_text(bank, "evt"), payload, error, received_at)
        if error.controller == controller and error.seq is not None:
            # Asking for it again would only bring the same bad event back: count it as received.
            sequence = current_sequence(session, controller)
            handled.outbound += received(session, bank, sequence, error.seq, label_key, received_at)
        return handled
    pending.seen[controller] = bank
    seq = envelope.seq
    progress = pending.upto.get(controller)
    if progress is None:
        sequence = cached_sequence(session, controller)
        next_in_order = seq == sequence.contiguous + 1 and sequence.highest <= sequence.contiguous
    else:
        sequence = progress[0]
        next_in_order = seq == progress[1] + 1
    pending.acks[controller] = (bank, sequence)
    if next_in_order:
        # The fast path: applied now, stored and counted with the rest of the batch (finish).
        result = apply_event(
            session, bank, envelope.type, envelope.data, seq, envelope.ts, label_key,
            sequence.generation,
        )  # fmt: skip
        hold(pending, sequence, envelope, received_at, result)
        return Handled()
    sequence = current_sequence(session, controller)
    # In-order events cost no query: nothing above ``highest`` can be stored.
    if seq <= sequence.highest:
        write_pending_rows(session)
        stored = session.execute(
            select(DeviceEvent.type, DeviceEvent.data, DeviceEvent.device_at).where(
                DeviceEvent.controller == controller,
                DeviceEvent.generation == sequence.generation,
                DeviceEvent.seq == seq,
            )
        ).first()
        if stored is not None:
            if tuple(stored) == (envelope.type, envelope.data, envelope.ts):
                return Handled(note=f"duplicate seq {seq}")
            return _reused(session, bank, sequence, payload, envelope, received_at)
        if seq <= sequence.contiguous:
            if session.scalar(
                select(DeadLetter.id)
                .where(
                    DeadLetter.controller == controller,
                    DeadLetter.generation == sequence.generation,
                    DeadLetter.seq == seq,
                )
                .limit(1)
            ):
                return Handled(note=f"dead-lettered seq {seq} again")
            return _after_closed_gap(session, bank, payload, envelope, received_at)
    write_pending_rows(session)
    session.add(
        DeviceEvent(
            controller=controller, generation=sequence.generation, seq=seq,
            boot=envelope.boot, type=envelope.type,
            device_at=envelope.ts, received_at=received_at, data=envelope.data,
        )
    )  # fmt: skip
    session.flush()
    return Handled(received(session, bank, sequence, seq, label_key, received_at))


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _reused(
    session: Session,
    bank: LockerBank,
    sequence: ControllerSequence,
    payload: bytes,
    envelope: contract.Envelope,
    received_at: dt.datetime,
) -> Handled:
    """A stored ``seq`` came again with other content: most likely a swapped board counting
    from 1 again. Dead-lettered, and one open alert per controller and generation (its cause)
    asks an administrator to start the controller's sequence afresh (lockers page): a new
    board resending, or sending seq after seq, raises no second one."""
    error = ContractError(
        f"seq {envelope.seq} reused with different content (board swapped?)",
        envelope.controller,
        envelope.seq,
    )
    handled = _dead(session, topic_text(bank, "evt"), payload, error, received_at)
    raise_alert(
        session,
        AlertKind.SEQUENCE_REUSED,
        f"{bank.controller}: seq {envelope.seq} came again with different content; if the "
        "controller was replaced, start its sequence afresh",
        bank=bank,
        cause=f"sequence_reused:{bank.controller}:{sequence.generation}",
    )
    return handled


def _after_closed_gap(
    session: Session,
    bank: LockerBank,
    payload: bytes,
    envelope: contract.Envelope,
    received_at: dt.datetime,
) -> Handled:
    """An event from a gap that was given up on (an alert named it lost): kept, not applied,
    since later events were applied without it."""
    error = ContractError(
        f"seq {envelope.seq} arrived after its gap was closed",
        envelope.controller,
        envelope.seq,
    )
    return _dead(session, topic_text(bank, "evt"), payload, error, received_at)


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
    session: Session,
    bank: LockerBank,
    beat: contract.Heartbeat,
    received_at: dt.datetime,
    label_key: str,
) -> Handled:
    if beat.boot < bank.boot:
        return Handled(note="stale heartbeat")
    bank.boot = beat.boot
    bank.last_seen = received_at
    bank.presence = Presence.ONLINE
    # Compared at the end of the batch (_settle_claims): events after it in the batch count.
    claims = pending_of(session).claims
    claimed = claims.get(bank.controller, (bank, 0))[1]
    claims[bank.controller] = (bank, max(claimed, beat.seq))
    return Handled(note="heartbeat")


def _settle_claims(session: Session, received_at: dt.datetime, label_key: str) -> list[Outbound]:
    """Compare the batch's heartbeats with what is stored: a ``seq`` beyond it tells of events
    never seen, unless they are on their way (see :mod:`firmware_bridge.in_flight`); a replay
    is asked for while a gap is open."""
    pending = session.info.get(PENDING)
    if pending is None or not pending.claims:
        return []
    in_flight: InFlight | None = session.info.get(IN_FLIGHT)
    outbound: list[Outbound] = []
    for controller, (bank, claimed) in pending.claims.items():
        sequence = current_sequence(session, controller)
        if in_flight is not None:
            if in_flight.queued(controller):
                continue
            due = in_flight.due_claim(controller, claimed, received_at)
            if due is None:
                continue
            claimed = due
        # Events we never saw: the heartbeat tells how far the controller got.
        sequence.highest = max(sequence.highest, claimed)
        outbound += replay_if_due(session, bank, sequence, received_at, label_key)
    pending.claims.clear()
    return outbound


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


def mark_silent_controllers(
    session: Session, now: dt.datetime | None = None, campuses: Sequence[str] = ()
) -> list[str]:
    """Controllers online but silent for three heartbeats are lost; returns their ids.
    ``campuses``: only the controllers on these campuses (a bridge's partition); empty: all."""
    now = now or clock.now()
    query = select(LockerBank).where(
        LockerBank.presence == Presence.ONLINE,
        LockerBank.last_seen < now - HEARTBEAT * MISSED_HEARTBEATS,
    )
    if campuses:
        query = query.where(LockerBank.controller.in_(controllers_on(campuses)))
    silent = session.scalars(query).all()
    for bank in silent:
        bank.presence = Presence.LOST
        raise_alert(
            session,
            AlertKind.CONTROLLER_LOST,
            f"{bank.controller}: no heartbeat since {bank.last_seen:%H:%M:%S}",
            bank=bank,
        )
    return [bank.controller for bank in silent]


def dead_letter_unstorable(
    session: Session, topic: str, payload: bytes, reason: str, label_key: str
) -> list[Outbound]:
    """Dead-letter a message whose storing failed (a database error, a bug) with the error as
    its reason. An event that names its topic's controller and a readable ``seq`` still counts
    as received, so its controller's later events go on (the counting runs in a savepoint: if
    it fails too, the dead letter alone is kept)."""
    controller, seq = _readable_origin(topic, payload)
    received_at = clock.now()
    _dead(session, topic, payload, ContractError(reason, controller, seq), received_at)
    session.flush()
    if controller is None or seq is None:
        return []
    bank = _bank(session, controller)
    if bank is None:
        return []
    try:
        with session.begin_nested():
            sequence = current_sequence(session, controller)
            outbound = received(session, bank, sequence, seq, label_key, received_at)
            return outbound + finish(session, received_at)
    except Exception:
        log.exception("could not count seq %s of %s as received", seq, controller)
        return []
    finally:
        session.info.pop(PENDING, None)


def _readable_origin(topic: str, payload: bytes) -> tuple[str | None, int | None]:
    """The controller and ``seq`` of an ``evt`` message, when both can be read and agree."""
    try:
        parsed = _parse_topic(topic)
        body = msgspec.json.decode(payload[: contract.MAX_PAYLOAD + 1])
    except (ContractError, msgspec.DecodeError):
        return None, None
    if parsed.channel != "evt" or not isinstance(body, dict):
        return None, None
    seq = body.get("seq")
    if body.get("ctl") != parsed.controller or not _int(seq) or not 0 < seq <= contract.SEQ_MAX:
        return parsed.controller, None
    return parsed.controller, seq
