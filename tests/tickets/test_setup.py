from tests import factories
from tickets.setup import add_window, categories_from_catalog


def test_window_departments_of_the_catalog_become_lettered_queues(session):
    factories.department(session, "ACAD", "教务处")
    factories.department(session, "FIN", "财务处", name_en="Finance")
    factories.department(session, "LIB", "图书馆")
    factories.item(session, department="ACAD", channels=["window"])
    factories.item(session, department="FIN", channels=["window", "online"])
    factories.item(session, department="LIB", channels=["online"])
    queues = categories_from_catalog(session)
    assert [(c.prefix, c.name) for c in queues] == [("A", "教务处"), ("B", "财务处")]
    assert categories_from_catalog(session) == queues


def test_a_window_serves_the_queues_it_is_given(session):
    factories.department(session, "ACAD", "教务处")
    factories.item(session, department="ACAD", channels=["window"])
    window = add_window(session, 5, categories_from_catalog(session), "5 号窗口")
    assert [c.prefix for c in window.categories] == ["A"]
