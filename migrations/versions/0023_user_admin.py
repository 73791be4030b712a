"""user management (staff numbers, one-time password links) and English catalog fields

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 18:57:42.158134
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "password_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_password_links_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_links")),
    )
    with op.batch_alter_table("password_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_links_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("service_item_materials", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notes_en", sa.String(length=500), server_default="", nullable=False)
        )

    with op.batch_alter_table("service_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("fee_en", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("legal_basis_en", sa.Text(), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("contact_en", sa.String(length=200), server_default="", nullable=False)
        )

    # Added in place with a unique index: rebuilding the users table would trip SQLite's
    # foreign keys from every table that points at it.
    op.add_column("users", sa.Column("staff_number", sa.String(length=32), nullable=True))
    op.create_index(op.f("ix_users_staff_number"), "users", ["staff_number"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_users_staff_number"), table_name="users")
    # In place (SQLite 3.35+ and PostgreSQL): rebuilt tables would trip foreign keys.
    op.execute("ALTER TABLE users DROP COLUMN staff_number")

    for table, column in (
        ("service_items", "contact_en"),
        ("service_items", "legal_basis_en"),
        ("service_items", "fee_en"),
        ("service_item_materials", "notes_en"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")

    with op.batch_alter_table("password_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_links_user_id"))

    op.drop_table("password_links")
