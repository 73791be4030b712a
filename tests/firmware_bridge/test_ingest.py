"""The bridge's rules (docs/mqtt.md), applied to messages directly, without a broker."""

import datetime as dt
import json
import logging

import pytest
from sqlalchemy import func, select

from core import clock
from courier.states import State
from firmware_bridge import commands
from firmware_bridge.ingest import handle, handle_batch, mark_silent_controllers
from firmware_bridge.models import (
    Command,
    CommandStatus,
    ControllerSequence,
    DeadLetter,
    DeviceEvent,
)
from lockers.compartments import add_bank, compartment, place_for_pickup
from lockers.models import Alert, AlertKind, BankKind, CompartmentState, Presence, Size
from tests import factories
from tests.factories import LABEL_KEY

CTL = "NH-DB-01"


@pytest.fixture
def bank(session):
    place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
    return add_bank(session, CTL, "南湖投递柜", BankKind.DROP_BOX, place, [Size.M] * 4)


def topic(channel, ctl=CTL):
    return f"cc/v1/NH/{ctl}/{channel}"


def event(seq, kind="door_opened", data=None, ctl=CTL, boot=1, **extra):
    body = {"v": 1, "ctl": ctl, "boot": boot, "seq": seq, "type": kind,
            "ts": clock.now().isoformat(), "data": data or {"compartment": 1},
            **extra}  # fmt: skip
    return json.dumps(body).encode()


def send(session, seq, kind="door_opened", data=None, **extra):
    return handle(session, topic("evt"), event(seq, kind, data, **extra), LABEL_KEY)


def stored(session):
    return session.scalars(select(DeviceEvent.seq).order_by(DeviceEvent.seq)).all()


def acked(handled):
    return [m.payload["upto_seq"] for m in handled.outbound if m.topic.endswith("evt/ack")]


def replays(handled):
    return [
        m.payload["args"]["from_seq"] for m in handled.outbound if m.payload.get("op") == "replay"
    ]


def test_an_event_is_stored_applied_and_acknowledged(session, bank):
    handled = send(session, 1, "door_opened")
    assert acked(handled) == [1]
    assert compartment(session, bank, 1).state == CompartmentState.OPEN


def test_the_same_seq_twice_is_stored_and_applied_once(session, bank):
    send(session, 1)
    again = send(session, 1)
    assert stored(session) == [1]
    assert acked(again) == [1]


def test_a_gap_asks_for_a_replay_and_later_events_wait(session, bank):
    send(session, 1)
    handled = send(session, 3, "door_closed", {"compartment": 1, "occupied": False})
    assert replays(handled) == [2]
    assert acked(handled) == [1]
    assert session.scalar(select(DeviceEvent.applied).where(DeviceEvent.seq == 3)) is False


def test_filling_the_gap_applies_the_waiting_events_in_order(session, bank):
    send(session, 1, "door_opened")
    send(session, 3, "door_closed", {"compartment": 1, "occupied": False})
    handled = send(session, 2, "door_opened", {"compartment": 2})
    assert acked(handled) == [3]
    assert compartment(session, bank, 1).state == CompartmentState.FREE
    assert compartment(session, bank, 2).state == CompartmentState.OPEN
    assert session.scalar(select(func.count()).where(DeviceEvent.applied.is_(False))) == 0


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "not JSON"),
        (b'["a list"]', "not a JSON object"),
        (json.dumps({"v": 1, "ctl": CTL, "seq": 1}).encode(), "boot"),
        (event(1, data={"compartment": "one"}), "compartment"),
        (event(1, kind="explode"), "unknown event type"),
        (event(1, ts="yesterday"), "ts"),
        (event(1, data={"compartment": 99}), "unknown compartment 99"),
        (event(1, kind=["door_opened"]), "unknown event type"),
        (event(1, data={"compartment": True}), "compartment"),
        (event(1, "tamper", {"kind": "meteor"}), "unknown kind"),
    ],
)
def test_a_bad_payload_goes_to_the_dead_letters(session, bank, payload, reason):
    handle(session, topic("evt"), payload, LABEL_KEY)
    letter = session.scalar(select(DeadLetter))
    assert reason in letter.reason
    assert letter.payload == payload
    assert stored(session) == []


def test_a_dead_letter_is_logged_as_a_warning_with_its_reason_but_not_its_payload(
    session, bank, caplog
):
    label = "https://courier.example.edu/t/8KQ2M9XR7H2PQ"
    deposit = event(1, "deposit", {"compartment": 9, "label": label})
    handle(session, topic("evt"), deposit, LABEL_KEY)
    (record,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "unknown compartment 9" in record.getMessage()
    assert "8KQ2M9XR7H2PQ" not in record.getMessage()


def test_a_status_with_a_list_for_its_state_is_dead_lettered(session, bank):
    handle(session, topic("status"), b'{"state": ["online"], "boot": 1}', LABEL_KEY)
    assert "state must be" in session.scalar(select(DeadLetter.reason))


def batch(session, *messages):
    """Handle messages the way the bridge's worker does: in one batch."""
    return handle_batch(session, list(messages), LABEL_KEY)


def evt(seq, kind="door_opened", data=None):
    return topic("evt"), event(seq, kind, data)


def sequence_row(session):
    return session.execute(select(ControllerSequence.contiguous, ControllerSequence.highest)).one()


def test_a_batch_of_in_order_events_is_stored_once_and_acknowledged_once(session, bank):
    outbound = batch(session, *(evt(seq, data={"compartment": 1 + seq % 4}) for seq in (1, 2, 3)))
    assert stored(session) == [1, 2, 3]
    assert [m.payload for m in outbound] == [{"upto_seq": 3}]
    assert sequence_row(session) == (3, 3)
    assert bank.last_seen is not None


def test_a_batch_with_a_duplicate_and_a_gap_applies_in_order_and_asks_for_the_gap(session, bank):
    outbound = batch(session, evt(1), evt(2), evt(2), evt(4), evt(5))
    assert stored(session) == [1, 2, 4, 5]
    assert [m.payload["upto_seq"] for m in outbound if "upto_seq" in m.payload] == [2]
    assert [m.payload["args"]["from_seq"] for m in outbound if "args" in m.payload] == [3]
    assert sequence_row(session) == (2, 5)


def test_filling_a_gap_within_a_batch_catches_the_sequence_up(session, bank):
    batch(session, evt(1), evt(3))
    outbound = batch(session, evt(2), evt(4), evt(5))
    assert [m.payload for m in outbound] == [{"upto_seq": 5}]
    assert sequence_row(session) == (5, 5)
    assert session.scalar(select(func.count()).where(DeviceEvent.applied.is_(False))) == 0


def test_a_heartbeat_after_in_order_events_of_its_batch_asks_from_the_right_seq(session, bank):
    beat = json.dumps({"boot": 1, "seq": 6, "uptime": 60}).encode()
    outbound = batch(session, evt(1), evt(2), (topic("hb"), beat))
    assert [m.payload["args"]["from_seq"] for m in outbound if "args" in m.payload] == [3]
    assert sequence_row(session) == (2, 6)


def test_a_dead_letter_amid_a_batch_counts_as_received_and_the_stream_goes_on(session, bank):
    outbound = batch(session, evt(1), evt(2, data={"compartment": 99}), evt(3))
    assert stored(session) == [1, 3]
    assert [m.payload for m in outbound] == [{"upto_seq": 3}]
    assert session.scalar(select(DeadLetter.seq)) == 2


def test_a_dead_lettered_event_with_a_valid_seq_still_counts_as_received(session, bank):
    send(session, 1)
    handled = send(session, 2, data={"compartment": 99})
    assert acked(handled) == [2]
    assert replays(handled) == []


def test_a_payload_naming_another_controller_touches_no_sequence(session, bank):
    handle(session, topic("evt"), event(5, ctl="XL-DB-09"), LABEL_KEY)
    assert "names controller" in session.scalar(select(DeadLetter.reason))
    assert (
        session.get(ControllerSequence, CTL) is None
        or session.get(ControllerSequence, CTL).highest == 0
    )


def test_an_unknown_controller_is_dead_lettered(session, bank):
    handle(session, topic("evt", "ZZ-99"), event(1, ctl="ZZ-99"), LABEL_KEY)
    assert "unknown controller" in session.scalar(select(DeadLetter.reason))


def test_a_deposit_with_a_scanned_label_records_the_consignment(session, bank):
    consignment = factories.consignment(session, origin="NH", department_campus="XL")
    send(
        session,
        1,
        "deposit",
        {"compartment": 2, "label": f"http://x/t/{consignment.tracking_code}"},
    )
    assert consignment.state == State.DEPOSITED
    assert compartment(session, bank, 2).consignment_id == consignment.id


def test_a_deposit_with_a_forged_label_changes_no_consignment(session, bank):
    send(session, 1, "deposit", {"compartment": 2, "label": "FORGED0000000"})
    assert session.scalar(select(DeviceEvent.result)) == "deposit refused: unknown_code"


def test_a_forced_door_raises_an_alert(session, bank):
    send(session, 1, "tamper", {"kind": "door_forced"})
    assert session.scalar(select(Alert.kind)) == AlertKind.TAMPER


def test_a_pickup_verified_by_the_controller_records_it_and_frees_the_compartment(session):
    place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
    pickup_bank = add_bank(session, "NH-PU-01", "取件柜", BankKind.PICKUP, place, [Size.S] * 2)
    consignment = factories.consignment(session, origin="NH", department_campus="NH")
    consignment.state, consignment.leg = State.RESULT_READY, "return"
    placement = place_for_pickup(session, consignment, pickup_bank, actor=None, key="p")
    body = event(1, "pickup", {"compartment": placement.compartment.number, "code_ok": True,
                               "attempt": 1}, ctl="NH-PU-01")  # fmt: skip
    handle(session, topic("evt", "NH-PU-01"), body, LABEL_KEY)
    assert consignment.state == State.PICKED_UP
    assert placement.compartment.state == CompartmentState.FREE


def status(session, state, boot):
    body = json.dumps({"state": state, "boot": boot, "fw": "1.4.2", "compartments": 4}).encode()
    return handle(session, topic("status"), body, LABEL_KEY)


def test_birth_marks_the_controller_online(session, bank):
    status(session, "online", 7)
    assert (bank.presence, bank.firmware, bank.boot) == (Presence.ONLINE, "1.4.2", 7)


def test_the_last_will_marks_it_lost(session, bank):
    status(session, "online", 7)
    status(session, "lost", 7)
    assert bank.presence == Presence.LOST


def test_a_will_from_an_older_boot_is_ignored(session, bank):
    status(session, "online", 8)
    status(session, "lost", 7)
    assert bank.presence == Presence.ONLINE


def test_three_missed_heartbeats_mark_it_lost(session, bank, frozen_clock):
    status(session, "online", 7)
    frozen_clock.advance(dt.timedelta(seconds=91))
    assert mark_silent_controllers(session) == [CTL]
    assert bank.presence == Presence.LOST


def test_a_heartbeat_ahead_of_the_stored_events_asks_for_a_replay(session, bank):
    send(session, 1)
    beat = json.dumps({"boot": 1, "seq": 4, "uptime": 60}).encode()
    assert replays(handle(session, topic("hb"), beat, LABEL_KEY)) == [2]


def test_a_command_is_retried_three_times_then_alerted(session, bank, frozen_clock):
    command = commands.queue_command(session, bank, "open", {"compartment": 1}, reason="test")
    sends = []
    for _ in range(4):
        sends += commands.due(session)
        frozen_clock.advance(dt.timedelta(seconds=6))
    assert len(sends) == 3
    assert command.status == CommandStatus.UNANSWERED
    assert session.scalar(select(Alert.kind)) == AlertKind.COMMAND_UNANSWERED


def test_an_acknowledged_command_is_not_sent_again(session, bank, frozen_clock):
    command = commands.queue_command(session, bank, "open", {"compartment": 1})
    commands.due(session)
    ack = json.dumps({"cmd_id": command.cmd_id, "status": "done"}).encode()
    handle(session, topic("cmd/ack"), ack, LABEL_KEY)
    frozen_clock.advance(dt.timedelta(seconds=6))
    assert commands.due(session) == []
    assert command.status == CommandStatus.DONE


def test_a_command_past_its_expiry_is_not_sent(session, bank, frozen_clock):
    command = commands.queue_command(session, bank, "show", {"text": "hi", "seconds": 5})
    frozen_clock.advance(dt.timedelta(minutes=2))
    assert commands.due(session) == []
    assert command.status == CommandStatus.EXPIRED


def test_an_unknown_command_op_is_refused(session, bank):
    with pytest.raises(ValueError, match="unknown command"):
        commands.queue_command(session, bank, "self_destruct")


def test_a_topic_outside_the_contract_is_dead_lettered(session, bank):
    handle(session, "cc/v2/NH/x/evt", b"{}", LABEL_KEY)
    assert session.scalar(select(func.count()).select_from(DeadLetter)) == 1


def test_a_bad_status_is_dead_lettered(session, bank):
    handle(session, topic("status"), b'{"state": "sleepy"}', LABEL_KEY)
    assert "state must be" in session.scalar(select(DeadLetter.reason))


def test_command_ids_are_unique(session, bank):
    first = commands.queue_command(session, bank, "snapshot")
    second = commands.queue_command(session, bank, "snapshot")
    assert first.cmd_id != second.cmd_id
    assert session.scalar(select(func.count()).select_from(Command)) == 2
