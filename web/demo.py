"""Demo data: the catalog of 江城大学 and one user per role, all with the password ``demo1234``.

Loading is idempotent: existing users are left alone and the catalog is upserted by code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

import catalog
from catalog.transfer import ImportReport, import_catalog
from core.users import Role, User, create_user

CATALOG = Path(catalog.__file__).parent / "demo_data" / "catalog.yaml"
DEMO_PASSWORD = "demo1234"


@dataclass(frozen=True)
class DemoUser:
    login: str
    name: str
    roles: frozenset[Role]
    phone: str


DEMO_USERS = (
    DemoUser("admin", "系统管理员 Admin", frozenset({Role.ADMIN}), "13800000001"),
    DemoUser("teacher", "王老师 Wang Li", frozenset({Role.TEACHER}), "13800000002"),
    DemoUser("teacher2", "陈老师 Chen Jing", frozenset({Role.TEACHER}), "13800000003"),
    DemoUser("student", "李同学 Li Ming", frozenset({Role.STUDENT}), "13800000004"),
    DemoUser("courier", "赵师傅 Zhao Qiang", frozenset({Role.COURIER}), "13800000005"),
    DemoUser("clerk", "孙代办 Sun Yue", frozenset({Role.CLERK}), "13800000006"),
    DemoUser("hall", "周窗口 Zhou Fang", frozenset({Role.HALL_STAFF}), "13800000007"),
)


def seed_demo(session: Session) -> tuple[ImportReport, int]:
    """Load the demo catalog and users; returns the import report and how many users were added."""
    report = import_catalog(session, CATALOG.read_text(encoding="utf-8"), "yaml")
    existing = set(session.scalars(select(User.login)))
    added = 0
    for demo in DEMO_USERS:
        if demo.login in existing:
            continue
        create_user(session, demo.login, DEMO_PASSWORD, demo.name, demo.roles, phone=demo.phone)
        added += 1
    return report, added


def has_users(session: Session) -> bool:
    return session.scalar(select(User.id).limit(1)) is not None
