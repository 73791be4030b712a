"""halls per campus, campus-card tickets, appointments by service item

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-01 22:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_halls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=150), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("campus_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campus_id"], ["campuses.id"], name=op.f("fk_ticket_halls_campus_id_campuses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_halls")),
        sa.UniqueConstraint("code", name=op.f("uq_ticket_halls_code")),
    )
    with op.batch_alter_table("ticket_halls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_halls_campus_id"), ["campus_id"])
    _one_hall_for_the_existing_queues()

    with op.batch_alter_table("ticket_categories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hall_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("ticket_windows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hall_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("ticket_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hall_id", sa.Integer(), nullable=True))
    hall = "(SELECT MIN(id) FROM ticket_halls)"
    op.execute(f"UPDATE ticket_categories SET hall_id = {hall}")
    op.execute(f"UPDATE ticket_windows SET hall_id = {hall}")
    op.execute(f"UPDATE ticket_calls SET hall_id = {hall}")

    with op.batch_alter_table("ticket_categories", schema=None) as batch_op:
        batch_op.alter_column("hall_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint("uq_ticket_categories_prefix", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_ticket_categories_hall_id_prefix"), ["hall_id", "prefix"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_ticket_categories_hall_id_ticket_halls"),
            "ticket_halls",
            ["hall_id"],
            ["id"],
        )
    with op.batch_alter_table("ticket_windows", schema=None) as batch_op:
        batch_op.alter_column("hall_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint("uq_ticket_windows_number", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_ticket_windows_hall_id_number"), ["hall_id", "number"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_ticket_windows_hall_id_ticket_halls"),
            "ticket_halls",
            ["hall_id"],
            ["id"],
        )
    with op.batch_alter_table("ticket_calls", schema=None) as batch_op:
        batch_op.alter_column("hall_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_ticket_calls_hall_id_ticket_halls"), "ticket_halls", ["hall_id"], ["id"]
        )

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card", sa.String(length=20), nullable=True))
        batch_op.create_index(
            "ux_tickets_active_card",
            ["category_id", "day", "card"],
            unique=True,
            sqlite_where=sa.text("status <> 'done'"),
            postgresql_where=sa.text("status <> 'done'"),
        )

    with op.batch_alter_table("ticket_bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_item_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("rebooked_from_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_ticket_bookings_service_item_id_service_items"),
            "service_items",
            ["service_item_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_ticket_bookings_rebooked_from_id_ticket_bookings"),
            "ticket_bookings",
            ["rebooked_from_id"],
            ["id"],
        )


def _one_hall_for_the_existing_queues() -> None:
    """Queues and windows made before halls belong to one hall, on the campus of the first
    hall the catalog names (else the first campus)."""
    bind = op.get_bind()
    used = bind.execute(
        sa.text(
            "SELECT (SELECT COUNT(*) FROM ticket_categories) "
            "+ (SELECT COUNT(*) FROM ticket_windows)"
        )
    ).scalar_one()
    if not used:
        return
    place = bind.execute(
        sa.text(
            "SELECT l.name, l.name_en, l.address, c.id, c.code FROM locations l "
            "JOIN campuses c ON c.id = l.campus_id WHERE l.kind = 'hall' ORDER BY l.id LIMIT 1"
        )
    ).first()
    if place is None:
        campus = bind.execute(
            sa.text("SELECT name, name_en, address, id, code FROM campuses ORDER BY id LIMIT 1")
        ).first()
        if campus is None:
            return
        place = campus
    bind.execute(
        sa.text(
            "INSERT INTO ticket_halls (code, name, name_en, address, campus_id) "
            "VALUES (:code, :name, :name_en, :address, :campus)"
        ),
        {
            "code": place[4],
            "name": place[0],
            "name_en": place[1] or "",
            "address": place[2] or "",
            "campus": place[3],
        },
    )


def downgrade() -> None:
    with op.batch_alter_table("ticket_bookings", schema=None) as batch_op:
        batch_op.drop_constraint(
            "fk_ticket_bookings_rebooked_from_id_ticket_bookings", type_="foreignkey"
        )
        batch_op.drop_constraint(
            "fk_ticket_bookings_service_item_id_service_items", type_="foreignkey"
        )
        batch_op.drop_column("rebooked_from_id")
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("service_item_id")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ux_tickets_active_card")
        batch_op.drop_column("card")
    with op.batch_alter_table("ticket_calls", schema=None) as batch_op:
        batch_op.drop_constraint("fk_ticket_calls_hall_id_ticket_halls", type_="foreignkey")
        batch_op.drop_column("hall_id")
    with op.batch_alter_table("ticket_windows", schema=None) as batch_op:
        batch_op.drop_constraint("fk_ticket_windows_hall_id_ticket_halls", type_="foreignkey")
        batch_op.drop_constraint("uq_ticket_windows_hall_id_number", type_="unique")
        batch_op.drop_column("hall_id")
        batch_op.create_unique_constraint("uq_ticket_windows_number", ["number"])
    with op.batch_alter_table("ticket_categories", schema=None) as batch_op:
        batch_op.drop_constraint("fk_ticket_categories_hall_id_ticket_halls", type_="foreignkey")
        batch_op.drop_constraint("uq_ticket_categories_hall_id_prefix", type_="unique")
        batch_op.drop_column("hall_id")
        batch_op.create_unique_constraint("uq_ticket_categories_prefix", ["prefix"])
    with op.batch_alter_table("ticket_halls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_halls_campus_id"))
    op.drop_table("ticket_halls")
