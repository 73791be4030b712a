"""联审联办 (an item's departments in turn, each step's department in the custody log) and the
service guide's categories

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01 22:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=150), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_categories")),
        sa.UniqueConstraint("code", name=op.f("uq_service_categories_code")),
    )
    op.create_table(
        "service_item_joint_steps",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_service_item_joint_steps_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["service_items.id"],
            name=op.f("fk_service_item_joint_steps_item_id_service_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "position", name=op.f("pk_service_item_joint_steps")),
    )
    op.create_table(
        "service_item_categories",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["service_categories.id"],
            name=op.f("fk_service_item_categories_category_id_service_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["service_items.id"],
            name=op.f("fk_service_item_categories_item_id_service_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_service_item_categories")),
    )
    op.create_index(
        op.f("ix_service_item_categories_category_id"),
        "service_item_categories",
        ["category_id"],
        unique=False,
    )
    # Added in place: rebuilding consignments would trip the foreign keys pointing at it.
    op.add_column(
        "consignments",
        sa.Column("joint_departments", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
    )
    op.add_column(
        "consignments",
        sa.Column("joint_done", sa.Integer(), server_default="0", nullable=False),
    )
    # In place, not rebuilt: a rebuilt custody log would lose its append-only triggers.
    if op.get_bind().dialect.name == "postgresql":
        op.add_column("custody_events", sa.Column("department_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_custody_events_department_id_departments"),
            "custody_events",
            "departments",
            ["department_id"],
            ["id"],
        )
    else:
        op.execute(
            "ALTER TABLE custody_events ADD COLUMN department_id INTEGER "
            "CONSTRAINT fk_custody_events_department_id_departments REFERENCES departments (id)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(
            op.f("fk_custody_events_department_id_departments"), "custody_events", "foreignkey"
        )
        op.execute("ALTER TABLE custody_events DROP COLUMN department_id")
    else:
        # SQLite drops no column under a foreign key: the log is rebuilt (nothing points at
        # it), and its append-only triggers, lost with the old table, made again.
        with op.batch_alter_table("custody_events", recreate="always") as batch_op:
            batch_op.drop_column("department_id")
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER custody_events_no_{action.lower()} BEFORE {action} "
                "ON custody_events BEGIN SELECT RAISE(ABORT, 'custody events are append-only'); END"
            )
    # In place (SQLite 3.35+ and PostgreSQL): a rebuilt table would trip the foreign keys
    # pointing at it.
    for column in ("joint_done", "joint_departments"):
        op.execute(f"ALTER TABLE consignments DROP COLUMN {column}")
    op.drop_index(
        op.f("ix_service_item_categories_category_id"), table_name="service_item_categories"
    )
    op.drop_table("service_item_categories")
    op.drop_table("service_item_joint_steps")
    op.drop_table("service_categories")
