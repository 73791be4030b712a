"""sorting assignments: each sorting locker's compartments per department and the agent desk

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sorting_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("compartment_number", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["bank_id"], ["locker_banks.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bank_id", "compartment_number"),
        sa.UniqueConstraint("bank_id", "department_id"),
    )
    with op.batch_alter_table("sorting_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sorting_assignments_bank_id"), ["bank_id"])
    # The compartments' own department column becomes the assignment table.
    op.execute(
        "INSERT INTO sorting_assignments (bank_id, compartment_number, department_id) "
        "SELECT bank_id, number, department_id FROM compartments "
        "WHERE department_id IS NOT NULL"
    )
    with op.batch_alter_table("compartments", schema=None) as batch_op:
        batch_op.drop_column("department_id")


def downgrade() -> None:
    with op.batch_alter_table("compartments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_compartments_department_id_departments", "departments", ["department_id"], ["id"]
        )
    op.execute(
        "UPDATE compartments SET department_id = (SELECT department_id FROM sorting_assignments "
        "WHERE sorting_assignments.bank_id = compartments.bank_id "
        "AND sorting_assignments.compartment_number = compartments.number)"
    )
    with op.batch_alter_table("sorting_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sorting_assignments_bank_id"))
    op.drop_table("sorting_assignments")
