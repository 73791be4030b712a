import json

import pytest
from sqlalchemy import select

from core import clock
from core.audit import AuditEntry
from core.users import Role
from firmware_bridge.ingest import handle
from lockers.compartments import add_bank
from lockers.models import BankKind, Size
from services.controller_sequences import ACTION
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


def send_event(session, seq, compartment=1):
    """One event, handled as the bridge would in a batch of its own: nothing it remembered of
    an earlier batch (the requests change the sequence in their own sessions)."""
    for cache in ("banks", "sequences", "compartments"):
        session.info.pop(cache, None)
    session.expire_all()
    body = {"v": 1, "ctl": "NH-DB-01", "boot": 1, "seq": seq, "type": "door_opened",
            "ts": clock.now().isoformat(), "data": {"compartment": compartment}}  # fmt: skip
    handle(session, "cc/v1/NH/NH-DB-01/evt", json.dumps(body).encode(), LABEL_KEY)
    session.flush()


AFRESH = "/api/lockers/NH-DB-01/sequence-afresh"


def test_an_administrator_starts_a_controllers_sequence_afresh_with_a_reason(
    client, session, admin
):
    send_event(session, 1)
    answer = client.post(AFRESH, json={"reason": "主板更换"}, headers=admin)
    assert answer.status_code == 200
    assert answer.get_json() == {"controller": "NH-DB-01", "generation": 2, "contiguous": 0}


def test_starting_a_sequence_afresh_is_in_the_audit_log(client, session, admin):
    send_event(session, 1)
    client.post(AFRESH, json={"reason": "主板更换"}, headers=admin)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == ACTION))
    assert (entry.actor, entry.target) == ("root", "NH-DB-01")
    assert entry.details == {
        "reason": "主板更换",
        "ended_at_seq": 1,
        "highest_seen": 1,
        "generation": 2,
    }


def test_starting_a_sequence_afresh_needs_a_reason(client, session, admin):
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        assert client.post(AFRESH, json=body, headers=admin).status_code == 422
    assert session.scalar(select(AuditEntry)) is None


def test_only_administrators_start_a_sequence_afresh(client, session, admin):
    for role in (Role.COURIER, Role.CLERK, Role.TEACHER):
        other = bearer(client, session, f"not_admin_{role}", role)
        assert client.post(AFRESH, json={"reason": "x"}, headers=other).status_code == 403
    assert client.post(AFRESH, json={"reason": "x"}).status_code == 401
    assert session.scalar(select(AuditEntry)) is None


def test_the_events_answer_the_current_generation_unless_another_is_named(client, session, admin):
    send_event(session, 1, compartment=1)
    client.post(AFRESH, json={"reason": "主板更换"}, headers=admin)
    send_event(session, 1, compartment=2)
    url = "/api/lockers/NH-DB-01/events"
    current = client.get(url, headers=admin).get_json()
    old = client.get(f"{url}?generation=1", headers=admin).get_json()
    assert [(e["generation"], e["seq"], e["data"]) for e in current["events"]] == [
        (2, 1, {"compartment": 2})
    ]
    assert [(e["generation"], e["seq"], e["data"]) for e in old["events"]] == [
        (1, 1, {"compartment": 1})
    ]
