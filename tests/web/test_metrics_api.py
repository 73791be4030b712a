"""GET /api/metrics: what a monitor alerts on; GET /api/dead-letters stays bounded."""

import datetime as dt
import json

import pytest

from core import clock
from core.outbox import enqueue
from core.users import Role
from firmware_bridge.ingest import handle
from firmware_bridge.models import DeadLetter
from lockers.compartments import add_bank
from lockers.models import BankKind, Size
from services.metrics import reason_kind
from tests import factories
from tests.factories import LABEL_KEY
from tests.web.test_courier_api import bearer

TOPIC = "cc/v1/NH/NH-DB-01/evt"


@pytest.fixture
def admin(client, session):
    place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
    add_bank(session, "NH-DB-01", "南湖投递柜", BankKind.DROP_BOX, place, [Size.M, Size.L])
    return bearer(client, session, "root", Role.ADMIN)


def event(seq):
    body = {"v": 1, "ctl": "NH-DB-01", "boot": 1, "seq": seq, "type": "door_opened",
            "ts": clock.now().isoformat(), "data": {"compartment": 1}}  # fmt: skip
    return json.dumps(body).encode()


def metrics(client, admin):
    answer = client.get("/api/metrics", headers=admin)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return answer.get_json()


def test_dead_letters_are_counted_by_the_kind_of_reason(client, session, admin):
    for payload in (b"{oops", b"[1", event(2**63)):
        handle(session, TOPIC, payload, LABEL_KEY)
    session.flush()
    by_reason = metrics(client, admin)["dead_letters_by_reason"]
    assert sum(by_reason.values()) == 3
    assert by_reason[reason_kind("seq is missing or not an integer in 1..9007199254740991")] == 1


def test_an_open_gap_and_the_age_of_the_event_waiting_behind_it_are_reported(
    client, session, admin, frozen_clock
):
    handle(session, TOPIC, event(1), LABEL_KEY)
    handle(session, TOPIC, event(3), LABEL_KEY)
    session.flush()
    frozen_clock.advance(dt.timedelta(seconds=42))
    body = metrics(client, admin)
    assert body["open_gaps"] == 1
    assert body["oldest_unacked_event_age_seconds"] == 42


def test_notices_are_counted_by_status(client, session, admin):
    enqueue(session, "sms", "+8613800000000", {"text": "hi"}, "k1")
    assert metrics(client, admin)["notices_by_status"] == {"pending": 1}


def test_the_reason_kind_drops_numbers_and_quoted_values():
    assert reason_kind("seq 7 reused, controller 'X-1'") == "seq N reused, controller N"


def test_dead_letters_come_a_page_at_a_time(client, session, admin):
    for n in range(5):
        handle(session, TOPIC, b"{oops %d" % n, LABEL_KEY)
    session.flush()
    first = client.get("/api/dead-letters?limit=3", headers=admin).get_json()
    rest = client.get(
        f"/api/dead-letters?limit=3&before={first['next_before']}", headers=admin
    ).get_json()
    assert [len(first["dead_letters"]), len(rest["dead_letters"])] == [3, 2]
    assert rest["next_before"] is None


def test_a_dead_letters_payload_is_cut_to_4_kib_in_the_answer(client, session, admin):
    session.add(DeadLetter(topic=TOPIC, payload=b"x" * 100_000, reason="from before v1.1"))
    session.flush()
    [letter] = client.get("/api/dead-letters", headers=admin).get_json()["dead_letters"]
    assert len(letter["payload"]) == 4096
