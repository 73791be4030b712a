from pathlib import Path

from core.users import Role
from tests import factories
from tests.conftest import login

STATIC = Path(__file__).resolve().parents[2] / "web" / "static"


def _teacher_with(session, count):
    teacher = factories.user(session, "wang", Role.TEACHER)
    return [factories.consignment(session, submitter=teacher) for _ in range(count)]


def test_the_label_print_view_shows_the_thermal_label_at_60_by_40_mm(client, session):
    (consignment,) = _teacher_with(session, 1)
    login(client, "wang")
    page = client.get(f"/consignments/{consignment.tracking_code}/print").get_data(as_text=True)
    assert f"/consignments/{consignment.tracking_code}/label?format=thermal" in page
    assert "print-label.css" in page
    css = (STATIC / "print-label.css").read_text()
    assert "size: 60mm 40mm" in css
    assert "width: 60mm; height: 40mm" in css


def test_the_batch_sheet_holds_the_chosen_labels_on_a4(client, session):
    first, second, third = _teacher_with(session, 3)
    login(client, "wang")
    page = client.get(
        f"/consignments/sheet?code={first.tracking_code}&code={third.tracking_code}"
    ).get_data(as_text=True)
    assert page.count('format=thermal"') == 2
    assert second.tracking_code not in page
    assert "size: A4" in (STATIC / "print-sheet.css").read_text()


def test_my_consignments_offers_a_checkbox_per_consignment_for_the_sheet(client, session):
    (consignment,) = _teacher_with(session, 1)
    login(client, "wang")
    page = client.get("/consignments/").get_data(as_text=True)
    assert f'data-test="pick-{consignment.tracking_code}"' in page
    assert 'action="/consignments/sheet"' in page


def test_the_sheet_refuses_someone_elses_consignment(client, session):
    (consignment,) = _teacher_with(session, 1)
    factories.user(session, "li", Role.TEACHER)
    login(client, "li")
    assert client.get(f"/consignments/sheet?code={consignment.tracking_code}").status_code == 403


def test_an_empty_choice_goes_back_to_the_list(client, session):
    _teacher_with(session, 1)
    login(client, "wang")
    assert client.get("/consignments/sheet").headers["Location"].endswith("/consignments/")
