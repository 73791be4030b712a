from core.users import Role
from tests import factories
from tests.conftest import login


def _consignment(session):
    submitter = factories.user(session, "wang", Role.TEACHER)
    consignment = factories.consignment(session, submitter=submitter)
    session.flush()
    return consignment


def test_the_public_tracking_page_does_not_name_the_service_item(client, session):
    consignment = _consignment(session)
    page = client.get(f"/t/{consignment.tracking_code}").get_data(as_text=True)
    assert consignment.service_item.name not in page
    assert 'data-test="timeline"' in page


def test_another_logged_in_user_does_not_see_the_service_item(client, session):
    consignment = _consignment(session)
    factories.user(session, "li", Role.STUDENT)
    login(client, "li")
    page = client.get(f"/t/{consignment.tracking_code}").get_data(as_text=True)
    assert consignment.service_item.name not in page


def test_the_submitter_sees_the_service_item(client, session):
    consignment = _consignment(session)
    login(client, "wang")
    page = client.get(f"/t/{consignment.tracking_code}").get_data(as_text=True)
    assert consignment.service_item.name in page
