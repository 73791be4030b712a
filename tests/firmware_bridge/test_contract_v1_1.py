"""Contract v1.1 (docs/mqtt.md): bounds, clocks, campuses, reused seqs and gaps given up on."""

import datetime as dt
import json

import pytest
from sqlalchemy import select

from core import clock
from firmware_bridge.ingest import handle
from firmware_bridge.models import ControllerSequence, DeadLetter, DeviceEvent
from firmware_bridge.sequence import lost_ranges
from lockers.compartments import compartment
from lockers.models import Alert, AlertKind, CompartmentState
from tests.factories import LABEL_KEY
from tests.firmware_bridge.test_ingest import CTL, bank, event, replays, send, stored, topic

__all__ = ["bank"]


def letters(session):
    return session.scalars(select(DeadLetter.reason).order_by(DeadLetter.id)).all()


def sequence(session):
    return session.get(ControllerSequence, CTL)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (event(2**63), "seq is missing or not an integer in 1..9007199254740991"),
        (event(2**53), "seq is missing or not an integer in 1..9007199254740991"),
        (event(1, boot=2**31), "boot is missing or not an integer in 1..2147483647"),
        (event(1, boot=0), "boot is missing or not an integer in 1..2147483647"),
        (event(1, "fault", {"component": "lock", "detail": "a\0b"}), "NUL character"),
        (event(1, ts="2026-11-21T09:14:03"), "ts has no UTC offset"),
    ],
    ids=["seq-2^63", "seq-2^53", "boot-2^31", "boot-0", "nul", "no-offset"],
)
def test_an_event_outside_the_v1_1_bounds_is_dead_lettered_with_its_reason(
    session, bank, payload, reason
):
    handle(session, topic("evt"), payload, LABEL_KEY)
    assert reason in letters(session)[0]
    assert stored(session) == []


def test_a_ts_in_year_9999_is_dead_lettered_and_its_seq_counts_as_received(session, bank):
    handle(session, topic("evt"), event(1, ts="9999-12-31T23:59:59-14:00"), LABEL_KEY)
    assert "implausible" in letters(session)[0]
    assert sequence(session).contiguous == 1


def test_a_ts_older_than_thirty_days_is_dead_lettered(session, bank):
    old = (clock.now() - dt.timedelta(days=31)).isoformat()
    handle(session, topic("evt"), event(1, ts=old), LABEL_KEY)
    assert "implausible" in letters(session)[0]


def test_a_ts_a_few_minutes_ahead_of_the_server_is_accepted(session, bank):
    soon = (clock.now() + dt.timedelta(minutes=9)).isoformat()
    handle(session, topic("evt"), event(1, ts=soon), LABEL_KEY)
    assert stored(session) == [1]


def test_a_float_seq_is_dead_lettered_but_leaves_no_gap(session, bank):
    send(session, 1)
    handle(session, topic("evt"), event(2.0), LABEL_KEY)
    send(session, 3)
    assert "JSON integer" in letters(session)[0]
    assert sequence(session).contiguous == 3


@pytest.mark.parametrize(
    ("channel", "body", "reason"),
    [
        ("hb", {"boot": 1, "seq": 2**63, "uptime": 5}, "hb: boot"),
        ("status", {"state": "online", "boot": 2**31}, "status: boot"),
        ("status", {"state": "online", "boot": 1, "fw": "1.\u00004"}, "NUL character"),
        ("cmd/ack", {"cmd_id": "x\u0000", "status": "done"}, "NUL character"),
    ],
    ids=["hb-seq-2^63", "status-boot-2^31", "status-nul", "ack-nul"],
)
def test_other_messages_outside_the_bounds_are_dead_lettered(session, bank, channel, body, reason):
    handle(session, topic(channel), json.dumps(body).encode(), LABEL_KEY)
    assert reason in letters(session)[0]


def test_a_payload_over_64_kib_is_dead_lettered_keeping_its_first_4_kib(session, bank):
    huge = event(1, "fault", {"component": "log", "detail": "x" * 70_000})
    handle(session, topic("evt"), huge, LABEL_KEY)
    letter = session.scalar(select(DeadLetter))
    assert "over 65536" in letter.reason
    assert letter.payload == huge[:4096]


def test_a_topic_naming_another_campus_than_the_banks_is_dead_lettered(session, bank):
    handle(session, f"cc/v1/XL/{CTL}/evt", event(1), LABEL_KEY)
    assert letters(session) == [f"topic names campus XL, {CTL} is on NH"]
    assert stored(session) == []
    assert session.get(ControllerSequence, CTL) is None


def test_a_reused_seq_with_other_content_is_dead_lettered_and_alerted_once(session, bank):
    send(session, 1, data={"compartment": 1})
    send(session, 1, data={"compartment": 2})
    send(session, 1, data={"compartment": 3})
    assert letters(session) == ["seq 1 reused with different content (board swapped?)"] * 2
    alerts = session.scalars(select(Alert.kind)).all()
    assert alerts == [AlertKind.SEQUENCE_REUSED]


def test_a_redelivered_event_is_a_plain_duplicate_not_a_reuse(session, bank):
    again = event(1)
    handle(session, topic("evt"), again, LABEL_KEY)
    handle(session, topic("evt"), again, LABEL_KEY)
    assert letters(session) == []
    assert session.scalar(select(Alert)) is None


def beat(session, seq):
    body = json.dumps({"boot": 1, "seq": seq, "uptime": 60}).encode()
    return handle(session, topic("hb"), body, LABEL_KEY)


def test_a_gap_is_given_up_after_three_replays_with_an_alert_naming_the_range(
    session, bank, frozen_clock
):
    send(session, 1)
    send(session, 4)
    asked = []
    for _ in range(4):
        frozen_clock.advance(dt.timedelta(seconds=11))
        asked += replays(beat(session, 4))
    assert asked == [2, 2]  # the first replay went out with seq 4, three in all
    alert = session.scalar(select(Alert).where(Alert.kind == AlertKind.EVENTS_LOST))
    assert "events 2..3 lost" in alert.message
    assert sequence(session).contiguous == 4
    assert session.scalar(select(DeviceEvent.applied).where(DeviceEvent.seq == 4))


def test_a_gap_is_given_up_after_ten_minutes(session, bank, frozen_clock):
    send(session, 1)
    send(session, 3)
    frozen_clock.advance(dt.timedelta(minutes=10))
    beat(session, 3)
    assert sequence(session).contiguous == 3


def test_a_heartbeat_claiming_seq_10_12_closes_at_the_last_stored_event(
    session, bank, frozen_clock
):
    send(session, 1)
    for _ in range(4):
        frozen_clock.advance(dt.timedelta(seconds=11))
        beat(session, 10**12)
    alert = session.scalar(select(Alert).where(Alert.kind == AlertKind.EVENTS_LOST))
    assert f"events 2..{10**12} lost" in alert.message
    assert (sequence(session).contiguous, sequence(session).highest) == (1, 1)
    send(session, 2)
    assert stored(session) == [1, 2]


def events_lost(session):
    return session.scalars(
        select(Alert.message).where(Alert.kind == AlertKind.EVENTS_LOST).order_by(Alert.id)
    ).all()


def test_a_controller_claiming_the_same_lost_range_again_raises_no_second_alert(
    session, bank, frozen_clock
):
    send(session, 1)
    for _ in range(8):  # given up on twice: after the first three replays and the next three
        frozen_clock.advance(dt.timedelta(seconds=11))
        beat(session, 10**12)
    assert events_lost(session) == [
        f"{CTL}: events 2..{10**12} lost after 3 replays; later events applied"
    ]


def test_another_lost_range_of_the_same_controller_is_a_new_alert(session, bank, frozen_clock):
    send(session, 1)
    for claimed in (5, 5, 5, 5, 9, 9, 9, 9):
        frozen_clock.advance(dt.timedelta(seconds=11))
        beat(session, claimed)
    assert [message.split(" lost")[0] for message in events_lost(session)] == [
        f"{CTL}: events 2..5",
        f"{CTL}: events 2..9",
    ]


def test_an_event_from_a_closed_gap_is_dead_lettered_not_applied(session, bank, frozen_clock):
    send(session, 1)
    send(session, 3)
    frozen_clock.advance(dt.timedelta(minutes=10))
    beat(session, 3)
    send(session, 2)
    assert letters(session) == ["seq 2 arrived after its gap was closed"]


def test_lost_ranges_are_named_compactly():
    assert lost_ranges(4, [7, 8, 12], 20) == "5..6, 9..11, 13..20"


def snapshot(session, seq, *compartments):
    reports = [
        {"number": n, "door": door, "occupied": occupied, "fault": None}
        for n, door, occupied in compartments
    ]
    body = json.dumps({"seq": seq, "compartments": reports}).encode()
    return handle(session, topic("state"), body, LABEL_KEY)


def mismatches(session):
    return session.scalars(
        select(Alert.message).where(Alert.kind == AlertKind.STATE_MISMATCH)
    ).all()


def test_a_state_snapshot_that_agrees_raises_nothing(session, bank):
    send(session, 1, "door_opened", {"compartment": 1})
    snapshot(session, 1, (1, "open", False), (2, "closed", False))
    assert mismatches(session) == []


def test_each_difference_in_a_state_snapshot_is_an_alert_and_custody_is_untouched(session, bank):
    send(session, 1, "door_opened", {"compartment": 1})
    snapshot(session, 1, (1, "closed", True), (2, "closed", True))
    assert mismatches(session) == [
        f"{CTL} compartment 1: controller reports occupied, server has open",
        f"{CTL} compartment 2: controller reports occupied, server has free",
    ]
    assert compartment(session, bank, 2).state == CompartmentState.FREE


def test_the_same_difference_in_the_next_snapshot_is_not_alerted_again(session, bank):
    for _ in range(2):
        snapshot(session, 0, (2, "closed", True))
    assert len(mismatches(session)) == 1


def test_a_snapshot_ahead_of_the_applied_events_is_not_compared(session, bank):
    send(session, 1)
    snapshot(session, 5, (2, "closed", True))
    assert mismatches(session) == []


def test_a_malformed_state_snapshot_is_dead_lettered(session, bank):
    handle(session, topic("state"), b'{"seq": 1, "compartments": [{"number": 1}]}', LABEL_KEY)
    assert "state: each compartment" in letters(session)[0]
