import json

import pytest

from core.users import Role
from firmware_bridge.ingest import handle
from lockers.compartments import add_bank
from lockers.models import BankKind, Size
from tests import factories
from tests.factories import LABEL_KEY
from tests.web.test_courier_api import bearer


@pytest.fixture
def admin(client, session):
    place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
    add_bank(session, "NH-DB-01", "南湖投递柜", BankKind.DROP_BOX, place, [Size.M, Size.L])
    return bearer(client, session, "root", Role.ADMIN)


def test_lockers_are_listed_with_their_compartments(client, admin):
    [bank] = client.get("/api/lockers", headers=admin).get_json()["banks"]
    assert (bank["controller"], bank["campus"], bank["presence"]) == ("NH-DB-01", "NH", "unknown")
    assert [c["size"] for c in bank["compartments"]] == ["M", "L"]


def test_a_controllers_events_come_in_seq_order(client, session, admin):
    for seq in (2, 1):
        body = {"v": 1, "ctl": "NH-DB-01", "boot": 1, "seq": seq, "type": "door_opened",
                "ts": "2026-11-17T09:40:00+08:00", "data": {"compartment": 1}}  # fmt: skip
        handle(session, "cc/v1/NH/NH-DB-01/evt", json.dumps(body).encode(), LABEL_KEY)
    session.flush()
    events = client.get("/api/lockers/NH-DB-01/events", headers=admin).get_json()["events"]
    assert [e["seq"] for e in events] == [1, 2]


def test_dead_letters_are_listed(client, session, admin):
    handle(session, "cc/v1/NH/NH-DB-01/evt", b"{oops", LABEL_KEY)
    session.flush()
    [letter] = client.get("/api/dead-letters", headers=admin).get_json()["dead_letters"]
    assert "not JSON" in letter["reason"]
    assert letter["payload"] == "{oops"


def test_lockers_are_for_administrators_only(client, session, admin):
    courier = bearer(client, session, "zhao", Role.COURIER)
    assert client.get("/api/lockers", headers=courier).status_code == 403
    assert client.get("/api/dead-letters", headers=courier).status_code == 403


def test_an_unknown_controller_is_a_404(client, admin):
    assert client.get("/api/lockers/NOPE/events", headers=admin).status_code == 404
