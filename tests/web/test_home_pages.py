from core.users import Role
from courier.states import State
from tests import factories
from tests.conftest import login
from tests.pages import visible_text


def test_a_teachers_home_shows_an_open_consignment_with_its_next_step(client, session):
    teacher = factories.user(session, "wang", Role.TEACHER)
    consignment = factories.consignment(session, submitter=teacher)
    login(client, "wang")
    page = client.get("/me").get_data(as_text=True)
    row = page.split(f'data-test="open-{consignment.tracking_code}"')[1].split("</li>")[0]
    assert "投递柜" in row
    assert 'data-test="send-papers"' in page


def test_a_closed_consignment_leaves_the_home(client, session):
    teacher = factories.user(session, "wang", Role.TEACHER)
    consignment = factories.consignment(session, submitter=teacher)
    consignment.state = State.PICKED_UP
    session.flush()
    login(client, "wang")
    assert consignment.tracking_code not in client.get("/me").get_data(as_text=True)


def test_a_couriers_home_has_the_scan_page_and_todays_runs(client, session):
    factories.user(session, "zhao", Role.COURIER)
    login(client, "zhao")
    page = client.get("/me").get_data(as_text=True)
    assert 'data-test="scan"' in page
    assert 'data-test="runs"' in page
    assert 'data-test="send-papers"' not in page


def test_an_administrators_home_links_to_the_administration(client, session):
    factories.user(session, "root", Role.ADMIN)
    login(client, "root")
    assert "/admin/catalog/" in client.get("/me").get_data(as_text=True)


def test_the_home_needs_a_login(client):
    assert client.get("/me").status_code == 302


def test_the_teachers_home_is_in_english_when_chosen(client, session):
    teacher = factories.user(session, "wang", Role.TEACHER)
    factories.consignment(session, submitter=teacher)
    login(client, "wang")
    client.post("/lang/en")
    assert "Print the label and drop the envelope" in visible_text(client.get("/me"))
