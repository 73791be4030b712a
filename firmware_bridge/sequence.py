"""Each controller's sequence: the contiguous mark over what is stored, events applied in order
once the gap before them closes, and a replay asked for while a gap stays open."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from firmware_bridge.apply import apply_event
from firmware_bridge.fast_path import PENDING, pending_of
from firmware_bridge.models import ControllerSequence, DeadLetter, DeviceEvent
from firmware_bridge.outbound import Outbound, replay_command
from lockers.models import LockerBank

REPLAY_EVERY = dt.timedelta(seconds=10)


def current_sequence(session: Session, controller: str) -> ControllerSequence:
    """The controller's sequence, up to date with the fast path's progress in this batch."""
    row = cached_sequence(session, controller)
    pending = session.info.get(PENDING)
    if pending is not None and controller in pending.upto:
        _row, upto = pending.upto.pop(controller)
        row.contiguous = row.highest = upto
    return row


def cached_sequence(session: Session, controller: str) -> ControllerSequence:
    # Looked up once per session (one batch), usually along with the bank (see ingest._BANK).
    cache = session.info.setdefault("sequences", {})
    row = cache.get(controller) or session.get(ControllerSequence, controller)
    if row is None:
        row = ControllerSequence(controller=controller, contiguous=0, highest=0)
        session.add(row)
        session.flush()
    cache[controller] = row
    return row


def received(
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
    _apply_stored(session, bank, sequence, label_key)
    pending_of(session).acks[bank.controller] = (bank, sequence)
    return replay_if_due(bank, sequence, received_at)


def replay_if_due(
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
    return [replay_command(bank, sequence.contiguous + 1)]


def _apply_stored(
    session: Session, bank: LockerBank, sequence: ControllerSequence, label_key: str
) -> None:
    waiting = session.scalars(
        select(DeviceEvent)
        .where(
            DeviceEvent.controller == bank.controller,
            DeviceEvent.applied.is_(False),
            DeviceEvent.seq <= sequence.contiguous,
        )
        .order_by(DeviceEvent.seq)
    )
    for event in waiting:
        event.result = apply_event(
            session, bank, event.type, event.data, event.seq, event.device_at, label_key
        )[:200]
        event.applied = True
