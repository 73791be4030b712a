import pytest

from core.errors import DomainError
from tests import factories
from tickets.setup import add_window, categories_from_catalog


def test_window_departments_of_the_catalog_become_lettered_queues_of_the_hall(session):
    factories.department(session, "ACAD", "教务处")
    factories.department(session, "FIN", "财务处", name_en="Finance")
    factories.department(session, "LIB", "图书馆")
    factories.item(session, department="ACAD", channels=["window"])
    factories.item(session, department="FIN", channels=["window", "online"])
    factories.item(session, department="LIB", channels=["online"])
    hall = factories.hall(session, "NH")
    queues = categories_from_catalog(session, hall)
    assert [(c.prefix, c.name, c.hall_id) for c in queues] == [
        ("A", "教务处", hall.id),
        ("B", "财务处", hall.id),
    ]
    assert categories_from_catalog(session, hall) == queues


def test_a_hall_gets_queues_only_for_the_items_served_on_its_campus(session):
    factories.department(session, "ACAD", "教务处")
    factories.department(session, "FIN", "财务处", name_en="Finance")
    factories.campus(session, "XL", "西岭校区")
    factories.item(session, department="ACAD", channels=["window"], campuses=["NH", "XL"])
    factories.item(session, department="FIN", channels=["window"], campuses=["NH"])
    xiling = factories.hall(session, "XL")
    assert [c.name for c in categories_from_catalog(session, xiling)] == ["教务处"]


def test_each_hall_letters_its_own_queues(session):
    factories.department(session, "ACAD", "教务处")
    factories.campus(session, "XL", "西岭校区")
    factories.item(session, department="ACAD", channels=["window"], campuses=["NH", "XL"])
    nanhu, xiling = factories.hall(session, "NH"), factories.hall(session, "XL")
    here, there = categories_from_catalog(session, nanhu), categories_from_catalog(session, xiling)
    assert [c.prefix for c in here] == [c.prefix for c in there] == ["A"]
    assert here[0].id != there[0].id


def test_a_window_serves_the_queues_it_is_given(session):
    factories.department(session, "ACAD", "教务处")
    factories.item(session, department="ACAD", channels=["window"])
    hall = factories.hall(session, "NH")
    window = add_window(session, hall, 5, categories_from_catalog(session, hall), "5 号窗口")
    assert [c.prefix for c in window.categories] == ["A"]


def test_a_window_cannot_serve_another_halls_queue(session):
    factories.department(session, "ACAD", "教务处")
    factories.campus(session, "XL", "西岭校区")
    factories.item(session, department="ACAD", channels=["window"], campuses=["NH", "XL"])
    nanhu, xiling = factories.hall(session, "NH"), factories.hall(session, "XL")
    with pytest.raises(DomainError):
        add_window(session, xiling, 1, categories_from_catalog(session, nanhu))
