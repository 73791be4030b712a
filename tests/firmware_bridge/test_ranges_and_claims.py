"""A replay asks for the missing ranges only; a heartbeat opens no gap for events in flight."""

import datetime as dt
import json

import pytest
from sqlalchemy import select

from firmware_bridge.in_flight import IN_FLIGHT, InFlight
from firmware_bridge.ingest import handle, handle_batch
from firmware_bridge.models import ControllerSequence
from firmware_bridge.sequence import missing_ranges
from tests.factories import LABEL_KEY
from tests.firmware_bridge.test_ingest import CTL, bank, event, send, topic

__all__ = ["bank"]


def ranges(outbound):
    return [
        (m.payload["args"]["from_seq"], m.payload["args"]["to_seq"])
        for m in outbound
        if m.payload.get("op") == "replay"
    ]


def heartbeat(seq):
    return topic("hb"), json.dumps({"boot": 1, "seq": seq, "uptime": 60}).encode()


def marks(session):
    row = session.scalar(select(ControllerSequence).where(ControllerSequence.controller == CTL))
    return row.contiguous, row.highest


@pytest.fixture
def in_flight(session):
    """The bridge's view of what is on its way, as a running bridge hands it to each batch."""
    view = InFlight()
    session.info[IN_FLIGHT] = view
    yield view
    session.info.pop(IN_FLIGHT, None)


def test_missing_ranges_are_the_holes_between_the_stored_seqs():
    assert missing_ranges(1, [4, 5, 9], 12) == [(2, 3), (6, 8), (10, 12)]


def test_a_gap_asks_for_the_missing_range_only_not_the_events_stored_after_it(session, bank):
    send(session, 1)
    assert ranges(send(session, 5).outbound) == [(2, 4)]


def test_two_holes_are_asked_for_as_two_ranges_at_the_next_round(session, bank, frozen_clock):
    handle_batch(session, [(topic("evt"), event(seq)) for seq in (1, 3, 6)], LABEL_KEY)
    frozen_clock.advance(dt.timedelta(seconds=11))
    assert ranges(handle(session, *heartbeat(6), LABEL_KEY).outbound) == [(2, 2), (4, 5)]


def test_a_heartbeat_ahead_of_the_events_after_it_in_its_batch_opens_no_gap(session, bank):
    batch = [heartbeat(3), *((topic("evt"), event(seq)) for seq in (1, 2, 3))]
    outbound = handle_batch(session, batch, LABEL_KEY)
    assert ranges(outbound) == []
    assert marks(session) == (3, 3)


def test_a_heartbeat_opens_no_gap_while_the_controllers_events_wait_in_the_bridge(
    session, bank, in_flight
):
    send(session, 1)
    in_flight.arrived(topic("evt"))
    assert ranges(handle(session, *heartbeat(4), LABEL_KEY).outbound) == []
    assert marks(session) == (1, 1)


def test_a_heartbeats_claim_opens_a_gap_only_once_it_is_older_than_the_grace(
    session, bank, in_flight, frozen_clock
):
    send(session, 1)
    assert ranges(handle(session, *heartbeat(4), LABEL_KEY).outbound) == []
    frozen_clock.advance(dt.timedelta(seconds=11))
    assert ranges(handle(session, *heartbeat(6), LABEL_KEY).outbound) == [(2, 4)]


def test_a_claim_met_by_the_events_within_the_grace_asks_for_nothing(
    session, bank, in_flight, frozen_clock
):
    send(session, 1)
    handle(session, *heartbeat(3), LABEL_KEY)
    send(session, 2)
    send(session, 3)
    frozen_clock.advance(dt.timedelta(seconds=11))
    assert ranges(handle(session, *heartbeat(3), LABEL_KEY).outbound) == []
    assert marks(session) == (3, 3)
