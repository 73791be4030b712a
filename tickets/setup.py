"""Setting a hall up: the hall on its campus, queues derived from the catalog's departments,
windows."""

from __future__ import annotations

import string

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Campus, Channel, Department, ItemChannel, ItemStatus, ServiceItem
from core.errors import N_, DomainError
from tickets.models import Category, Hall, Window


def add_hall(
    session: Session, code: str, name: str, campus: Campus, *, name_en: str = "", address: str = ""
) -> Hall:
    """The hall with ``code`` on ``campus`` (an existing one is updated)."""
    hall = session.scalar(select(Hall).where(Hall.code == code.upper()))
    if hall is None:
        hall = Hall(code=code.upper())
        session.add(hall)
    hall.name, hall.name_en, hall.address, hall.campus = name, name_en, address, campus
    session.flush()
    return hall


def categories_from_catalog(session: Session, hall: Hall) -> list[Category]:
    """One queue per department that serves published items at a window on the hall's campus,
    lettered A, B, ... in department-code order. Departments that already have a queue in the
    hall keep theirs."""
    departments = session.scalars(
        select(Department)
        .where(
            Department.id.in_(
                select(ServiceItem.department_id)
                .join(ItemChannel)
                .where(
                    ServiceItem.status == ItemStatus.PUBLISHED,
                    ItemChannel.channel == Channel.WINDOW,
                    ServiceItem.campuses.any(Campus.id == hall.campus_id),
                )
            )
        )
        .order_by(Department.code)
    ).all()
    existing = {
        c.department_id: c
        for c in session.scalars(select(Category).where(Category.hall_id == hall.id))
    }
    used = {c.prefix for c in existing.values()}
    free = (letter for letter in string.ascii_uppercase if letter not in used)
    result = []
    for department in departments:
        category = existing.get(department.id)
        if category is None:
            prefix = next(free, None)
            if prefix is None:
                break
            category = Category(
                hall=hall,
                prefix=prefix,
                name=department.name,
                name_en=department.name_en,
                department=department,
            )
            session.add(category)
        result.append(category)
    session.flush()
    return result


def add_window(
    session: Session, hall: Hall, number: int, categories: list[Category], name: str = ""
) -> Window:
    """A window of ``hall`` serving ``categories`` of that hall (the hall's existing window with
    that number is updated)."""
    if any(category.hall_id != hall.id for category in categories):
        raise DomainError(
            "other_hall", N_("A window serves only the queues of its own hall."), field="categories"
        )
    window = session.scalar(
        select(Window).where(Window.hall_id == hall.id, Window.number == number)
    )
    if window is None:
        window = Window(hall=hall, number=number)
        session.add(window)
    window.name = name
    window.categories = list(categories)
    session.flush()
    return window
