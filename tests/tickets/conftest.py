from dataclasses import dataclass

import pytest

from core.users import Role
from tests import factories
from tickets.models import Category, Window
from tickets.queue import sign_in


@dataclass
class Hall:
    a: Category
    b: Category
    one: Window
    two: Window
    staff: object


def make_hall(session) -> Hall:
    dept = factories.department(session, "ACAD", "教务处")
    a = Category(prefix="A", name="教务", department=dept)
    b = Category(prefix="B", name="财务")
    one = Window(number=1, name="1 号窗口", categories=[a, b])
    two = Window(number=2, name="2 号窗口", categories=[a])
    session.add_all([a, b, one, two])
    session.flush()
    staff = factories.user(session, "zhou", Role.HALL_STAFF, phone="13800000007")
    sign_in(session, one, staff)
    return Hall(a, b, one, two, staff)


@pytest.fixture
def hall(session, frozen_clock):
    return make_hall(session)
