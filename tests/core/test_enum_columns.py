"""Enum columns hold the enum's values and give back its members, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import Enum, select, text
from sqlalchemy.exc import StatementError

from core.users import Role, UserRole
from migrations.metadata import target_metadata
from tests import factories


def test_a_role_is_stored_as_its_value_and_comes_back_as_the_member(session):
    user = factories.user(session, "li", Role.HALL_STAFF)
    session.flush()
    stored = session.execute(
        text("SELECT role FROM user_roles WHERE user_id = :id"), {"id": user.id}
    ).scalar_one()
    assert stored == "hall_staff"
    session.expire_all()
    assert session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)).one() is (
        Role.HALL_STAFF
    )
    assert session.get(UserRole, (user.id, Role.HALL_STAFF)).role is Role.HALL_STAFF


def test_a_query_compares_the_column_with_the_member(session):
    user = factories.user(session, "li", Role.CLERK)
    session.flush()
    found = session.scalars(select(UserRole.user_id).where(UserRole.role == Role.CLERK)).all()
    assert user.id in found


def test_a_string_that_is_no_value_is_refused_on_the_way_in(session):
    user = factories.user(session, "li")
    session.add(UserRole(user_id=user.id, role="janitor"))
    with pytest.raises(StatementError) as refused:
        session.flush()
    assert isinstance(refused.value.orig, LookupError)


def test_a_value_the_enum_does_not_know_is_refused_on_the_way_out(session):
    user = factories.user(session, "li")
    session.flush()
    session.execute(
        text("INSERT INTO user_roles (user_id, role) VALUES (:id, 'janitor')"), {"id": user.id}
    )
    with pytest.raises(LookupError):
        session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)).all()


def test_every_enum_column_stores_values_in_a_plain_varchar():
    # SQLAlchemy's own default would store member names in a native ENUM type.
    columns = [
        column
        for table in target_metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, Enum)
    ]
    assert len(columns) > 25
    for column in columns:
        enum_class = column.type.enum_class
        assert column.type.enums == [member.value for member in enum_class], column
        assert column.type.native_enum is False, column
        assert column.type.create_constraint is False, column
