"""Factories: each makes one valid record with defaults; pass only what the test is about."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.items import parse_item, save_item
from catalog.models import Campus, Department, ServiceCategory, ServiceItem
from core.users import Role, User, create_user

_numbers = itertools.count(1)
PASSWORD = "password123"


def campus(session: Session, code: str = "NH", name: str = "南湖校区", **fields: Any) -> Campus:
    existing = session.scalar(select(Campus).where(Campus.code == code))
    if existing is not None:
        return existing
    row = Campus(code=code, name=name, name_en=fields.pop("name_en", f"{code} Campus"), **fields)
    session.add(row)
    session.flush()
    return row


def department(
    session: Session, code: str = "ACAD", name: str = "教务处", **fields: Any
) -> Department:
    existing = session.scalar(select(Department).where(Department.code == code))
    if existing is not None:
        return existing
    home = fields.pop("campus", None) or campus(session)
    row = Department(
        code=code,
        name=name,
        name_en=fields.pop("name_en", "Office of Academic Affairs"),
        campus=home,
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def category(
    session: Session, code: str = "RESEARCH", name: str = "科研事务", **fields: Any
) -> ServiceCategory:
    existing = session.scalar(select(ServiceCategory).where(ServiceCategory.code == code))
    if existing is not None:
        return existing
    row = ServiceCategory(
        code=code, name=name, name_en=fields.pop("name_en", "Research affairs"), **fields
    )
    session.add(row)
    session.flush()
    return row


def item_raw(**overrides: Any) -> dict[str, Any]:
    """A valid raw item, as a form or import row would give it."""
    raw: dict[str, Any] = {
        "code": f"ACAD-{next(_numbers):03d}",
        "name": "中文成绩单开具",
        "name_en": "Chinese academic transcript",
        "department": "ACAD",
        "campuses": ["NH"],
        "channels": ["window", "courier_proxy"],
        "time_limit_days": 3,
        "fee": "free",
        "materials": [{"name": "学生证", "name_en": "Student ID card", "form": "original"}],
        "status": "published",
    }
    raw.update(overrides)
    return raw


def item(session: Session, **overrides: Any) -> ServiceItem:
    """A saved service item (published unless told otherwise) with its department and campuses."""
    raw = item_raw(**overrides)
    for code in raw["campuses"]:
        campus(session, code)
    department(session, raw["department"])
    if raw.get("category"):
        category(session, raw["category"])
    data, problems = parse_item(
        raw,
        session.scalars(select(Department.code)).all(),
        session.scalars(select(Campus.code)).all(),
        categories=session.scalars(select(ServiceCategory.code)).all(),
    )
    assert data is not None, problems
    return save_item(session, data)


def user(session: Session, login: str | None = None, *roles: Role, **fields: Any) -> User:
    return create_user(
        session,
        login or f"user{next(_numbers)}",
        fields.pop("password", PASSWORD),
        fields.pop("name", "测试用户"),
        set(roles) or {Role.TEACHER},
        **fields,
    )


LABEL_KEY = "test-label-key"


def location(session: Session, code: str, campus_code: str, kind: str = "shuttle_stop"):
    from catalog.models import Location, LocationKind

    existing = session.scalar(select(Location).where(Location.code == code))
    if existing is not None:
        return existing
    row = Location(
        code=code, name=f"{code} 站点", campus=campus(session, campus_code), kind=LocationKind(kind)
    )
    session.add(row)
    session.flush()
    return row


def consignment(
    session: Session,
    *,
    origin: str = "NH",
    department_campus: str = "XL",
    pickup: str | None = None,
    submitter: User | None = None,
    time_limit_days: int = 3,
    materials: list[dict[str, str]] | None = None,
    sla_starts: str = "accepted",
    joint: tuple[str, ...] = (),
    **request: Any,
):
    """A consignment from ``origin`` to a department on ``department_campus``, just created;
    ``joint`` names departments (made on that campus) that handle it in turn (联审联办)."""
    from courier.consignments import NewConsignment, create_consignment

    campus(session, origin)
    home = campus(session, department_campus)
    dept_code = f"D{department_campus}"
    department(session, dept_code, name=f"{department_campus}部门", campus=home)
    for code in joint:
        department(session, code, name=f"{code}处", name_en=f"{code} Office", campus=home)
    service = item(
        session,
        department=dept_code,
        campuses=[department_campus],
        channels=["window", "courier_proxy"],
        time_limit_days=time_limit_days,
        sla_starts=sla_starts,
        joint_departments=list(joint),
        **({"materials": materials} if materials else {}),
    )
    if pickup:
        campus(session, pickup)
    return create_consignment(
        session,
        submitter or user(session),
        NewConsignment(
            service_item=service.code, origin_campus=origin, pickup_campus=pickup, **request
        ),
        LABEL_KEY,
    )


def hall(session: Session, code: str = "NH", name: str | None = None, **fields: Any):
    """A service hall on the campus with the same code (made when missing)."""
    from tickets.models import Hall

    existing = session.scalar(select(Hall).where(Hall.code == code))
    if existing is not None:
        return existing
    home = fields.pop("campus", None) or campus(session, code)
    row = Hall(
        code=code,
        name=name or f"{home.name}师生服务中心",
        name_en=fields.pop("name_en", f"{code} Service Centre"),
        campus=home,
        **fields,
    )
    session.add(row)
    session.flush()
    return row
