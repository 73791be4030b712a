"""desk codes keyed like locker codes; a pickup code names the colleague it was sent to;
the compartments' unused lockout columns go

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 19:20:00

Desk handover codes were a salt and SHA-256 of six digits, which a copy of the database turns
back into the digits in a second. They are now HMAC-SHA256 under a key derived from the
server's code key (``core.codes.desk_key``). The old hashes cannot be re-hashed (the digits
are not stored), and keeping their verifier would keep the weak hash readable: they are
retired. A result whose code is retired is still handed over at the desk after an ID check,
which the desk page already offers; the clerk is told so when a retired code is typed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE consignments SET desk_code_hash = NULL")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+ has it): a batch copy of these tables
    # would drop them, which their referencing rows forbid while foreign keys are enforced.
    op.drop_column("consignments", "desk_code_salt")
    # Per-compartment lockouts gave way to the bank's keypad lock (0017): nothing writes them.
    op.drop_column("compartments", "failed_attempts")
    op.drop_column("compartments", "locked_until")
    op.add_column("pickup_codes", sa.Column("collector", sa.String(length=100), nullable=True))


def downgrade() -> None:
    op.drop_column("pickup_codes", "collector")
    op.add_column("compartments", sa.Column("locked_until", sa.DateTime(), nullable=True))
    op.add_column(
        "compartments",
        sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0"),
    )
    # Keyed hashes mean nothing to the salted check they go back to: those codes are retired too.
    op.execute("UPDATE consignments SET desk_code_hash = NULL")
    op.add_column("consignments", sa.Column("desk_code_salt", sa.String(length=32), nullable=True))
