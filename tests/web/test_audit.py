import pytest
from sqlalchemy.exc import DatabaseError

from core.audit import AuditEntry, AuditLogIsAppendOnly
from core.users import Role
from services import audit
from tests import factories
from tests.conftest import login


@pytest.fixture
def admin_client(client, session):
    factories.user(session, "root", Role.ADMIN)
    login(client, "root")
    return client


def test_a_recorded_act_keeps_who_what_and_from_where(session):
    admin = factories.user(session, "root", Role.ADMIN)
    entry = audit.record(
        session, admin, "locker.remote_open", "NH-1 / 3", {"reason": "stuck"}, "10.0.0.7"
    )
    assert (entry.actor, entry.action, entry.target, entry.address) == (
        "root",
        "locker.remote_open",
        "NH-1 / 3",
        "10.0.0.7",
    )
    assert entry.at is not None


def test_an_audit_entry_cannot_be_changed(session):
    entry = audit.record(session, None, "user.add", "wang")
    entry.target = "li"
    with pytest.raises(AuditLogIsAppendOnly):
        session.flush()


def test_the_database_refuses_to_delete_audit_entries(session):
    audit.record(session, None, "user.add", "wang")
    with pytest.raises(DatabaseError):
        session.execute(AuditEntry.__table__.delete())


def test_publishing_an_item_is_recorded_with_the_admin_and_address(admin_client, session):
    factories.item(session, code="ACAD-9", status="draft")
    session.flush()
    admin_client.post("/admin/catalog/ACAD-9/publish")
    entry = session.query(AuditEntry).filter_by(action="catalog.publish").one()
    assert (entry.actor, entry.target, entry.address) == ("root", "ACAD-9", "127.0.0.1")


def test_the_audit_page_lists_entries_for_administrators(admin_client, session):
    audit.record(session, None, "holidays.import", "2027.csv", {"years": [2027]})
    session.flush()
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "holidays.import" in page
    assert "2027.csv" in page


def test_the_audit_page_is_for_administrators_only(client, session):
    factories.user(session, "clerk", Role.CLERK)
    login(client, "clerk")
    assert client.get("/admin/audit").status_code == 403
