from dataclasses import dataclass

import pytest

from core.users import Role
from tests import factories
from tickets.models import Category, Window
from tickets.models import Hall as HallRow
from tickets.queue import sign_in


@dataclass
class Hall:
    row: HallRow
    a: Category
    b: Category
    one: Window
    two: Window
    staff: object


def make_hall(session) -> Hall:
    dept = factories.department(session, "ACAD", "教务处")
    row = factories.hall(session, "NH")
    a = Category(hall=row, prefix="A", name="教务", department=dept)
    b = Category(hall=row, prefix="B", name="财务")
    one = Window(hall=row, number=1, name="1 号窗口", categories=[a, b])
    two = Window(hall=row, number=2, name="2 号窗口", categories=[a])
    session.add_all([a, b, one, two])
    session.flush()
    staff = factories.user(session, "zhou", Role.HALL_STAFF, phone="13800000007")
    sign_in(session, one, staff)
    return Hall(row, a, b, one, two, staff)


@pytest.fixture
def hall(session, frozen_clock):
    return make_hall(session)
