"""lockers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 02:02:02.834220
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "locker_banks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("controller", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("campus_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("presence", sa.String(length=8), nullable=False),
        sa.Column("boot", sa.Integer(), nullable=False),
        sa.Column("firmware", sa.String(length=32), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campus_id"], ["campuses.id"], name=op.f("fk_locker_banks_campus_id_campuses")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_locker_banks_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locker_banks")),
        sa.UniqueConstraint("controller", name=op.f("uq_locker_banks_controller")),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=True),
        sa.Column("compartment_number", sa.Integer(), nullable=True),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["locker_banks.id"], name=op.f("fk_alerts_bank_id_locker_banks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_bank_id"), ["bank_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_kind"), ["kind"], unique=False)

    op.create_table(
        "compartments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("size", sa.String(length=1), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("consignment_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("reserved_until", sa.DateTime(), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["locker_banks.id"],
            name=op.f("fk_compartments_bank_id_locker_banks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consignment_id"],
            ["consignments.id"],
            name=op.f("fk_compartments_consignment_id_consignments"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_compartments_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compartments")),
        sa.UniqueConstraint("bank_id", "number", name=op.f("uq_compartments_bank_id_number")),
    )
    with op.batch_alter_table("compartments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compartments_consignment_id"), ["consignment_id"], unique=False
        )

    op.create_table(
        "pickup_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compartment_id", sa.Integer(), nullable=False),
        sa.Column("consignment_id", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("valid_until", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compartment_id"],
            ["compartments.id"],
            name=op.f("fk_pickup_codes_compartment_id_compartments"),
        ),
        sa.ForeignKeyConstraint(
            ["consignment_id"],
            ["consignments.id"],
            name=op.f("fk_pickup_codes_consignment_id_consignments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pickup_codes")),
    )
    with op.batch_alter_table("pickup_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pickup_codes_compartment_id"), ["compartment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pickup_codes_consignment_id"), ["consignment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pickup_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pickup_codes_consignment_id"))
        batch_op.drop_index(batch_op.f("ix_pickup_codes_compartment_id"))

    op.drop_table("pickup_codes")
    with op.batch_alter_table("compartments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compartments_consignment_id"))

    op.drop_table("compartments")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_kind"))
        batch_op.drop_index(batch_op.f("ix_alerts_bank_id"))

    op.drop_table("alerts")
    op.drop_table("locker_banks")
