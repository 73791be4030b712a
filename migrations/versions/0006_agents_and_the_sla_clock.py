"""agents and the SLA clock

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 03:37:57.622453
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "materials_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consignment_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=True),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consignment_id"],
            ["consignments.id"],
            name=op.f("fk_materials_requests_consignment_id_consignments"),
        ),
        sa.ForeignKeyConstraint(
            ["received_by_id"],
            ["users.id"],
            name=op.f("fk_materials_requests_received_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_materials_requests_requested_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_materials_requests")),
    )
    with op.batch_alter_table("materials_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_materials_requests_consignment_id"), ["consignment_id"], unique=False
        )

    op.create_table(
        "sla_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consignment_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("clerk_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["clerk_id"], ["users.id"], name=op.f("fk_sla_alerts_clerk_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["consignment_id"],
            ["consignments.id"],
            name=op.f("fk_sla_alerts_consignment_id_consignments"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_sla_alerts_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_alerts")),
        sa.UniqueConstraint(
            "consignment_id", "level", name=op.f("uq_sla_alerts_consignment_id_level")
        ),
    )
    with op.batch_alter_table("sla_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sla_alerts_clerk_id"), ["clerk_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sla_alerts_department_id"), ["department_id"], unique=False
        )

    with op.batch_alter_table("consignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agent_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("accepted_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("sla_warn_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("sla_phase", sa.String(length=8), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("sla_paused_since", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("sla_paused_seconds", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("result_kind", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("result_ready_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("collected_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("desk_code_salt", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("desk_code_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_consignments_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index("ix_consignments_sla_due", ["sla_phase", "due_at"], unique=False)
        batch_op.create_index(
            "ix_consignments_sla_warn", ["sla_phase", "sla_warn_at"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_consignments_agent_id_users"), "users", ["agent_id"], ["id"]
        )

    # Consignments past their agent already have a stopped clock.
    op.execute(
        "UPDATE consignments SET sla_phase = 'done' WHERE state NOT IN "
        "('created', 'deposited', 'collected', 'in_transit', 'arrived', 'sorted', 'with_agent', "
        "'misrouted', 'missing')"
    )


def downgrade() -> None:
    with op.batch_alter_table("consignments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_consignments_agent_id_users"), type_="foreignkey")
        batch_op.drop_index("ix_consignments_sla_warn")
        batch_op.drop_index("ix_consignments_sla_due")
        batch_op.drop_index(batch_op.f("ix_consignments_agent_id"))
        batch_op.drop_column("desk_code_hash")
        batch_op.drop_column("desk_code_salt")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("collected_by")
        batch_op.drop_column("result_ready_at")
        batch_op.drop_column("result_kind")
        batch_op.drop_column("sla_paused_seconds")
        batch_op.drop_column("sla_paused_since")
        batch_op.drop_column("sla_phase")
        batch_op.drop_column("sla_warn_at")
        batch_op.drop_column("accepted_at")
        batch_op.drop_column("agent_id")

    with op.batch_alter_table("sla_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sla_alerts_department_id"))
        batch_op.drop_index(batch_op.f("ix_sla_alerts_clerk_id"))

    op.drop_table("sla_alerts")
    with op.batch_alter_table("materials_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_materials_requests_consignment_id"))

    op.drop_table("materials_requests")
