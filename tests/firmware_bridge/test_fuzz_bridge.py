"""A Hypothesis state machine against a private Mosquitto and the real bridge.

Several controllers send a mix of valid, duplicate, out-of-order, gapped, malformed, oversized,
out-of-range, wrong-campus, wrong-controller and NUL-bearing messages while the bridge is
restarted now and then. After each run: every valid (ctl, seq) is stored exactly once, every bad
message is dead-lettered with a reason, and every controller's next event is acknowledged within
a second. ``COURIER_FUZZ_EXAMPLES`` raises the budget (default: a few runs, for CI).
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
import uuid

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from core import clock
from firmware_bridge.bridge import Bridge
from firmware_bridge.contract import MAX_PAYLOAD
from firmware_bridge.models import ControllerSequence, DeadLetter, DeviceEvent
from lockers.compartments import add_bank
from lockers.models import BankKind, Size
from tests import factories
from tests.factories import LABEL_KEY
from tests.firmware_bridge.conftest import eventually
from tests.firmware_bridge.test_bridge_with_mosquitto import raw_publisher

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("COURIER_FUZZ_EXAMPLES", "10"))
STEPS = 40
CONTROLLERS = 3
CAMPUSES = ("NH", "XL")
ACK_WITHIN = 1.0
runs = itertools.count(1)


class Acks:
    """The highest ``upto_seq`` each controller was told, as a subscriber sees them."""

    def __init__(self, mosquitto) -> None:
        self.client = raw_publisher(mosquitto)
        self.upto: dict[str, int] = {}
        self.changed = threading.Condition()
        self.client.on_message = self._on_ack
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.subscribe("cc/v1/+/+/evt/ack", qos=1)
        assert subscribed.wait(5)

    def _on_ack(self, _client, _userdata, message) -> None:
        controller = message.topic.split("/")[3]
        with self.changed:
            upto = json.loads(message.payload)["upto_seq"]
            self.upto[controller] = max(self.upto.get(controller, 0), upto)
            self.changed.notify_all()

    def wait(self, controller: str, seq: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.upto.get(controller, 0) >= seq, timeout)


def test_no_mix_of_messages_and_restarts_breaks_the_bridge(
    mosquitto, sessions, write, read, tmp_path
):
    publisher = raw_publisher(mosquitto)
    acks = Acks(mosquitto)
    bridges: list[Bridge] = []

    def start_bridge() -> None:
        running = Bridge(mosquitto.address, sessions, LABEL_KEY, client_id="fuzz-bridge")
        running.start()
        assert running.subscribed.wait(10)
        bridges.append(running)

    start_bridge()

    def contiguous(controller: str) -> int:
        sequence = read(lambda s: s.get(ControllerSequence, controller))
        return sequence.contiguous if sequence is not None else 0

    class BridgeUnderFuzz(RuleBasedStateMachine):
        @initialize()
        def controllers(self) -> None:
            run = next(runs)
            self.campus = {f"F{run}-C{i}": CAMPUSES[i % 2] for i in range(CONTROLLERS)}
            self.next_seq = dict.fromkeys(self.campus, 1)
            self.valid: dict[str, set[int]] = {ctl: set() for ctl in self.campus}
            self.sent: dict[tuple[str, int], bytes] = {}
            self.held: list[tuple[str, bytes]] = []
            self.bad: list[str] = []

            def setup(session):
                for index, (ctl, campus) in enumerate(self.campus.items()):
                    place = factories.location(session, f"{ctl}-SITE", campus, "locker_site")
                    # The last one is a bus box, which also reports envelopes taken out.
                    kind = BankKind.BUS_BOX if index == CONTROLLERS - 1 else BankKind.DROP_BOX
                    add_bank(session, ctl, ctl, kind, place, [Size.M] * 2)

            write(setup)

        def publish(self, ctl: str, payload: bytes, campus: str | None = None) -> None:
            topic = f"cc/v1/{campus or self.campus[ctl]}/{ctl}/evt"
            publisher.publish(topic, payload, qos=1)

        def event(self, ctl: str, seq: int, **fields) -> bytes:
            # The marker goes first: a dead letter keeps only the payload's first 4 KiB.
            marker = {"fuzz": fields.pop("fuzz")} if "fuzz" in fields else {}
            body = {**marker, "v": 1, "ctl": ctl, "boot": 1, "seq": seq, "type": "door_opened",
                    "ts": clock.now().isoformat(), "data": {"compartment": 1}}  # fmt: skip
            body.update(fields)
            return json.dumps(body).encode()

        def take_seq(self, ctl: str) -> int:
            seq = self.next_seq[ctl]
            self.next_seq[ctl] += 1
            return seq

        def valid_event(self, ctl: str) -> bytes:
            seq = self.take_seq(ctl)
            payload = self.sent[(ctl, seq)] = self.event(ctl, seq)
            self.valid[ctl].add(seq)
            return payload

        def marker(self) -> str:
            self.bad.append(uuid.uuid4().hex)
            return self.bad[-1]

        controller = st.integers(0, CONTROLLERS - 1)

        def name(self, index: int) -> str:
            return list(self.campus)[index]

        @rule(index=controller)
        def send_valid(self, index):
            ctl = self.name(index)
            self.publish(ctl, self.valid_event(ctl))

        @rule(index=controller, data=st.data())
        def send_duplicate(self, index, data):
            ctl = self.name(index)
            known = [key for key in self.sent if key[0] == ctl]
            if known:
                self.publish(ctl, self.sent[data.draw(st.sampled_from(known))])

        @rule(index=controller)
        def send_out_of_order(self, index):
            ctl = self.name(index)
            first, second = self.valid_event(ctl), self.valid_event(ctl)
            self.publish(ctl, second)
            self.publish(ctl, first)

        @rule(index=controller)
        def hold_back_one(self, index):
            ctl = self.name(index)
            self.held.append((ctl, self.valid_event(ctl)))

        @rule()
        def fill_gaps(self):
            for ctl, payload in self.held:
                self.publish(ctl, payload)
            self.held.clear()

        @rule(index=controller)
        def send_malformed(self, index):
            self.publish(self.name(index), b"{broken " + self.marker().encode())

        @rule(index=controller)
        def send_oversized(self, index):
            ctl = self.name(index)
            detail = "x" * (MAX_PAYLOAD + 100)
            payload = self.event(ctl, self.next_seq[ctl], type="fault", fuzz=self.marker(),
                                 data={"component": "log", "detail": detail})  # fmt: skip
            self.publish(ctl, payload)

        @rule(index=controller, field=st.sampled_from(["seq", "boot"]))
        def send_out_of_range(self, index, field):
            ctl = self.name(index)
            huge = {"seq": 2**63, "boot": 2**31}[field]
            fields = {field: huge, "fuzz": self.marker()}
            if field == "boot":
                # A readable seq still counts as received: it is used up.
                fields["seq"] = self.take_seq(ctl)
            self.publish(ctl, self.event(ctl, fields.pop("seq", 0), **fields))

        @rule(index=controller)
        def send_wrong_campus(self, index):
            ctl = self.name(index)
            other = "XL" if self.campus[ctl] == "NH" else "NH"
            payload = self.event(ctl, self.next_seq[ctl], fuzz=self.marker())
            self.publish(ctl, payload, campus=other)

        @rule(index=controller)
        def send_wrong_ctl(self, index):
            ctl = self.name(index)
            payload = self.event("SOMEONE-ELSE", self.next_seq[ctl], fuzz=self.marker())
            self.publish(ctl, payload)

        @rule(index=controller)
        def send_nul(self, index):
            ctl = self.name(index)
            payload = self.event(ctl, self.take_seq(ctl), type="fault", fuzz=self.marker(),
                                 data={"component": "lock", "detail": "jam\0med"})  # fmt: skip
            self.publish(ctl, payload)

        @rule()
        def restart_bridge(self):
            bridges.pop().stop()
            start_bridge()

        @invariant()
        def bridge_alive(self):
            assert all(thread.is_alive() for thread in bridges[-1]._threads)

        def teardown(self):
            if not hasattr(self, "campus"):
                return
            self.fill_gaps()
            for ctl in self.campus:
                last = self.next_seq[ctl] - 1
                eventually(lambda c=ctl, n=last: contiguous(c) >= n, timeout=30)
                # The bridge flushes its evt/acks before it stops: none is lost in a restart.
                assert acks.wait(ctl, last, 5), f"{ctl} not acknowledged up to {last}"
            for ctl in self.campus:
                # No controller blocked: a new event is acknowledged within a second.
                started = time.monotonic()
                self.publish(ctl, self.valid_event(ctl))
                assert acks.wait(ctl, self.next_seq[ctl] - 1, 10)
                assert time.monotonic() - started < ACK_WITHIN
            for ctl, seqs in self.valid.items():
                stored = read(lambda s, c=ctl: s.execute(
                    select(DeviceEvent.seq, func.count()).where(DeviceEvent.controller == c)
                    .group_by(DeviceEvent.seq)).all())  # fmt: skip
                assert dict(stored) == dict.fromkeys(seqs, 1)
            letters = read(lambda s: s.execute(select(DeadLetter.payload, DeadLetter.reason)).all())
            for marker in self.bad:
                reasons = [reason for payload, reason in letters if marker.encode() in payload]
                assert reasons, f"bad message {marker} not dead-lettered"
                assert all(reasons)

    BridgeUnderFuzz.TestCase.settings = settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    try:
        BridgeUnderFuzz.TestCase().runTest()
    finally:
        bridges.pop().stop()
        publisher.loop_stop()
        acks.client.loop_stop()
