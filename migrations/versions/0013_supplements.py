"""supplements: a materials request's supplement envelope, linked to the original; why a
second request was made

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supplement_of_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_consignments_supplement_of_id"), ["supplement_of_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_consignments_supplement_of_id_consignments"),
            "consignments",
            ["supplement_of_id"],
            ["id"],
        )
    with op.batch_alter_table("materials_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("supplement_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_materials_requests_supplement_id_consignments"),
            "consignments",
            ["supplement_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("materials_requests", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_materials_requests_supplement_id_consignments"), type_="foreignkey"
        )
        batch_op.drop_column("supplement_id")
        batch_op.drop_column("reason")
    with op.batch_alter_table("consignments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_consignments_supplement_of_id_consignments"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_consignments_supplement_of_id"))
        batch_op.drop_column("supplement_of_id")
