"""Setting a hall up: queues derived from the catalog's departments, windows, slots."""

from __future__ import annotations

import string

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Channel, Department, ItemChannel, ItemStatus, ServiceItem
from tickets.models import Category, Window


def categories_from_catalog(session: Session) -> list[Category]:
    """One queue per department that serves published items at a window, lettered A, B, ...
    in department-code order. Departments that already have a queue keep theirs."""
    departments = session.scalars(
        select(Department)
        .where(
            Department.id.in_(
                select(ServiceItem.department_id)
                .join(ItemChannel)
                .where(
                    ServiceItem.status == ItemStatus.PUBLISHED,
                    ItemChannel.channel == Channel.WINDOW,
                )
            )
        )
        .order_by(Department.code)
    ).all()
    existing = {c.department_id: c for c in session.scalars(select(Category))}
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
                prefix=prefix,
                name=department.name,
                name_en=department.name_en,
                department=department,
            )
            session.add(category)
        result.append(category)
    session.flush()
    return result


def add_window(session: Session, number: int, categories: list[Category], name: str = "") -> Window:
    """A window serving ``categories`` (the existing window with that number is updated)."""
    window = session.scalar(select(Window).where(Window.number == number))
    if window is None:
        window = Window(number=number)
        session.add(window)
    window.name = name
    window.categories = list(categories)
    session.flush()
    return window
