"""A replaced controller's sequence started afresh (docs/mqtt.md, contract v1.1): before the
restart a reused seq is a dead letter, after it the same seq is a new event, and the old
generation's events stay as they were."""

import pytest
from sqlalchemy import select

from courier.states import State
from firmware_bridge.ingest import handle
from firmware_bridge.models import ControllerSequence, DeadLetter, DeviceEvent
from firmware_bridge.sequence import start_afresh
from lockers.models import Alert, AlertKind
from tests import factories
from tests.factories import LABEL_KEY
from tests.firmware_bridge.test_ingest import CTL, acked, bank, event, send, topic

__all__ = ["bank"]


def events(session):
    rows = session.execute(
        select(DeviceEvent.generation, DeviceEvent.seq, DeviceEvent.data).order_by(
            DeviceEvent.generation, DeviceEvent.seq
        )
    )
    return [tuple(row) for row in rows]


def letters(session):
    return session.scalars(select(DeadLetter.reason)).all()


@pytest.fixture
def old_board(session, bank):
    """Two events of the first board, stored and applied."""
    send(session, 1, data={"compartment": 1})
    send(session, 2, data={"compartment": 2})
    return bank


def test_before_the_restart_a_reused_seq_is_dead_lettered(session, old_board):
    send(session, 1, data={"compartment": 3})
    assert letters(session) == ["seq 1 reused with different content (board swapped?)"]
    assert len(events(session)) == 2


def test_after_the_restart_the_same_seq_is_stored_once_as_new(session, old_board):
    start_afresh(session, old_board, LABEL_KEY)
    new = event(1, data={"compartment": 3})
    first = handle(session, topic("evt"), new, LABEL_KEY)
    handle(session, topic("evt"), new, LABEL_KEY)
    assert acked(first) == [1]
    assert letters(session) == []
    assert events(session)[2:] == [(2, 1, {"compartment": 3})]


def test_the_old_generations_events_are_kept_as_they_were(session, old_board):
    start_afresh(session, old_board, LABEL_KEY)
    send(session, 1, data={"compartment": 3})
    send(session, 2, data={"compartment": 4})
    assert events(session) == [
        (1, 1, {"compartment": 1}),
        (1, 2, {"compartment": 2}),
        (2, 1, {"compartment": 3}),
        (2, 2, {"compartment": 4}),
    ]


def test_the_restart_resets_the_contiguous_mark_and_the_replay_state(session, old_board):
    send(session, 5)
    start_afresh(session, old_board, LABEL_KEY)
    sequence = session.get(ControllerSequence, CTL)
    assert (sequence.generation, sequence.contiguous, sequence.highest) == (2, 0, 0)
    assert (sequence.replays, sequence.gap_opened_at, sequence.replay_requested_at) == (
        0,
        None,
        None,
    )


def test_a_gap_open_at_the_restart_is_closed_as_lost_and_the_waiting_event_applied(
    session, old_board
):
    send(session, 5)
    start_afresh(session, old_board, LABEL_KEY)
    assert session.scalars(select(Alert.message)).all() == [
        f"{CTL}: events 3..4 lost when the sequence was started afresh; later events applied"
    ]
    assert session.scalar(select(DeviceEvent.applied).where(DeviceEvent.seq == 5))


def test_an_old_generations_dead_letter_leaves_no_mark_on_the_new_one(session, old_board):
    send(session, 3, ts="2026-11-21T09:14:03")  # no offset: dead-lettered, seq 3 received
    start_afresh(session, old_board, LABEL_KEY)
    send(session, 1)
    handled = send(session, 4)
    assert acked(handled) == [1]
    assert session.get(ControllerSequence, CTL).contiguous == 1


def test_a_reused_seq_in_the_new_generation_raises_a_new_alert(session, old_board):
    send(session, 1, data={"compartment": 3})
    start_afresh(session, old_board, LABEL_KEY)
    send(session, 1, data={"compartment": 4})
    send(session, 1, data={"compartment": 2})
    reused = select(Alert.cause).where(Alert.kind == AlertKind.SEQUENCE_REUSED)
    assert session.scalars(reused).all() == [
        f"sequence_reused:{CTL}:1",
        f"sequence_reused:{CTL}:2",
    ]


def test_a_deposit_of_the_new_generation_is_recorded_though_its_seq_was_used(session, bank):
    first = factories.consignment(session, origin="NH", department_campus="XL")
    second = factories.consignment(session, origin="NH", department_campus="XL")
    send(session, 1, "deposit", {"compartment": 2, "label": first.tracking_code})
    start_afresh(session, bank, LABEL_KEY)
    send(session, 1, "deposit", {"compartment": 3, "label": second.tracking_code})
    assert (first.state, second.state) == (State.DEPOSITED, State.DEPOSITED)
