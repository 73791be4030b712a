"""Each controller's sequence: the contiguous mark over what is stored, events applied in order
once the gap before them closes, a replay asked for while a gap stays open, and the gap given up
on (an alert naming the lost range) after :data:`GIVE_UP_AFTER_REPLAYS` replays or
:data:`GIVE_UP_AFTER`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from firmware_bridge.apply import apply_event
from firmware_bridge.fast_path import PENDING, pending_of
from firmware_bridge.models import ControllerSequence, DeadLetter, DeviceEvent
from firmware_bridge.outbound import Outbound, replay_command
from lockers.alerts import raise_alert
from lockers.models import AlertKind, LockerBank

REPLAY_EVERY = dt.timedelta(seconds=10)
GIVE_UP_AFTER_REPLAYS = 3
GIVE_UP_AFTER = dt.timedelta(minutes=10)
#: Missing ranges asked for in one round (one ``replay`` each); the rest in the next round.
REPLAY_RANGES = 8


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
        stored = _stored_after(session, bank.controller, sequence)
    else:
        stored = {seq}
    while sequence.contiguous + 1 in stored:
        sequence.contiguous += 1
    _apply_stored(session, bank, sequence, label_key)
    pending_of(session).acks[bank.controller] = (bank, sequence)
    return replay_if_due(session, bank, sequence, received_at, label_key)


def replay_if_due(
    session: Session,
    bank: LockerBank,
    sequence: ControllerSequence,
    received_at: dt.datetime,
    label_key: str = "",
) -> list[Outbound]:
    """Ask for the missing events while a gap is open, at most every :data:`REPLAY_EVERY`;
    give up on the gap once it has been asked for often or long enough."""
    if sequence.highest <= sequence.contiguous:
        sequence.replay_requested_at = None
        sequence.gap_opened_at = None
        sequence.replays = 0
        return []
    if sequence.gap_opened_at is None:
        sequence.gap_opened_at = received_at
    if (
        sequence.replay_requested_at is not None
        and received_at - sequence.replay_requested_at < REPLAY_EVERY
    ):
        return []
    if (
        sequence.replays >= GIVE_UP_AFTER_REPLAYS
        or received_at - sequence.gap_opened_at >= GIVE_UP_AFTER
    ):
        _give_up(session, bank, sequence, label_key)
        pending_of(session).acks[bank.controller] = (bank, sequence)
        return []
    sequence.replay_requested_at = received_at
    sequence.replays += 1
    # Only what is missing: a controller asked from the gap on would resend every event it still
    # holds unacknowledged, the ones stored above the gap too.
    stored = sorted(_stored_after(session, bank.controller, sequence))
    missing = missing_ranges(sequence.contiguous, stored, sequence.highest)
    return [replay_command(bank, first, last) for first, last in missing[:REPLAY_RANGES]]


def _stored_after(session: Session, controller: str, sequence: ControllerSequence) -> set[int]:
    """The seqs of this generation above the contiguous mark that are stored or dead-lettered."""
    stored = set(
        session.scalars(
            select(DeviceEvent.seq).where(
                DeviceEvent.controller == controller,
                DeviceEvent.generation == sequence.generation,
                DeviceEvent.seq > sequence.contiguous,
            )
        )
    )
    return stored | set(
        session.scalars(
            select(DeadLetter.seq).where(
                DeadLetter.controller == controller,
                DeadLetter.generation == sequence.generation,
                DeadLetter.seq > sequence.contiguous,
            )
        )
    )


def _give_up(
    session: Session,
    bank: LockerBank,
    sequence: ControllerSequence,
    label_key: str,
    why: str = "",
) -> None:
    """Close the gap up to the highest event actually stored (a heartbeat's claim beyond it is
    dropped), raise an alert naming the lost range and apply the events that waited.

    The alert's cause is the controller, generation and range: a controller that claims the
    same events again (a heartbeat, a resend) finds the alert still open and raises none."""
    stored = sorted(_stored_after(session, bank.controller, sequence))
    reached = stored[-1] if stored else sequence.contiguous
    why = why or f"after {sequence.replays} replays"
    raise_alert(
        session,
        AlertKind.EVENTS_LOST,
        f"{bank.controller}: events {lost_ranges(sequence.contiguous, stored, sequence.highest)} "
        f"lost {why}; later events applied",
        bank=bank,
        cause=f"events_lost:{bank.controller}:{sequence.generation}:"
        f"{sequence.contiguous + 1}-{sequence.highest}",
    )
    sequence.contiguous = sequence.highest = reached
    sequence.replay_requested_at = None
    sequence.gap_opened_at = None
    sequence.replays = 0
    _apply_stored(session, bank, sequence, label_key)


def missing_ranges(contiguous: int, stored: list[int], highest: int) -> list[tuple[int, int]]:
    """``[(5, 9), (12, 12)]``: the seqs after ``contiguous`` up to ``highest`` missing from the
    sorted ``stored``, as inclusive ranges in order."""
    ranges: list[tuple[int, int]] = []
    start = contiguous + 1
    for seq in [*stored, highest + 1]:
        if seq > start:
            ranges.append((start, seq - 1))
        start = max(start, seq + 1)
    return ranges


def lost_ranges(contiguous: int, stored: list[int], highest: int, shown: int = 4) -> str:
    """``"5..9, 12"``: the seqs after ``contiguous`` up to ``highest`` missing from the sorted
    ``stored``; at most ``shown`` ranges, then how many more."""
    ranges = [
        f"{first}" if first == last else f"{first}..{last}"
        for first, last in missing_ranges(contiguous, stored, highest)
    ]
    more = len(ranges) - shown
    return ", ".join(ranges[:shown]) + (f" and {more} more ranges" if more > 0 else "")


def _apply_stored(
    session: Session, bank: LockerBank, sequence: ControllerSequence, label_key: str
) -> None:
    waiting = session.scalars(
        select(DeviceEvent)
        .where(
            DeviceEvent.controller == bank.controller,
            DeviceEvent.generation == sequence.generation,
            DeviceEvent.applied.is_(False),
            DeviceEvent.seq <= sequence.contiguous,
        )
        .order_by(DeviceEvent.seq)
    )
    for event in waiting:
        event.result = apply_event(
            session, bank, event.type, event.data, event.seq, event.device_at, label_key,
            sequence.generation,
        )[:200]  # fmt: skip
        event.applied = True


def generation_of(session: Session, controller: str) -> int:
    """The generation a controller's seqs count in now (1 before any restart)."""
    row = session.info.get("sequences", {}).get(controller) or session.get(
        ControllerSequence, controller
    )
    return row.generation if row is not None else 1


def start_afresh(session: Session, bank: LockerBank, label_key: str) -> ControllerSequence:
    """Start the controller's sequence again from seq 1, as a new generation (a replaced board
    counts from 1). The old generation's events and dead letters stay as they are; a gap still
    open in it is closed as lost (the old board will never replay it) and the events that
    waited behind it are applied, as when a gap is given up on."""
    sequence = current_sequence(session, bank.controller)
    if sequence.highest > sequence.contiguous:
        _give_up(session, bank, sequence, label_key, why="when the sequence was started afresh")
    sequence.generation += 1
    sequence.contiguous = sequence.highest = 0
    sequence.replays = 0
    sequence.replay_requested_at = None
    sequence.gap_opened_at = None
    session.flush()
    return sequence
