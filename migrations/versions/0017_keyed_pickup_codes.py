"""keyed pickup codes: a nonce instead of a salt, wrong tries counted per bank and address

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Codes hashed the old way cannot be shown or checked any more: revoke them (a clerk resends).
    op.execute(
        "UPDATE pickup_codes SET revoked_at = CURRENT_TIMESTAMP "
        "WHERE used_at IS NULL AND revoked_at IS NULL"
    )
    with op.batch_alter_table("pickup_codes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("nonce", sa.String(length=32), nullable=False, server_default="")
        )
        batch_op.drop_column("salt")
    with op.batch_alter_table("pickup_codes", schema=None) as batch_op:
        batch_op.alter_column("nonce", server_default=None)
    with op.batch_alter_table("locker_banks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("keypad_locked_until", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("keypad_lockouts", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("locker_banks", schema=None) as batch_op:
        batch_op.alter_column("keypad_lockouts", server_default=None)
    op.create_table(
        "code_tries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["locker_banks.id"],
            name=op.f("fk_code_tries_bank_id_locker_banks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_tries")),
    )
    with op.batch_alter_table("code_tries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_code_tries_bank_id"), ["bank_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_code_tries_address"), ["address"], unique=False)
        batch_op.create_index(batch_op.f("ix_code_tries_at"), ["at"], unique=False)


def downgrade() -> None:
    op.drop_table("code_tries")
    with op.batch_alter_table("locker_banks", schema=None) as batch_op:
        batch_op.drop_column("keypad_lockouts")
        batch_op.drop_column("keypad_locked_until")
    with op.batch_alter_table("pickup_codes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("salt", sa.String(length=32), nullable=False, server_default="")
        )
        batch_op.drop_column("nonce")
