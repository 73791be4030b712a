"""firmware bridge

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 02:04:14.226394
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "controller_sequences",
        sa.Column("controller", sa.String(length=32), nullable=False),
        sa.Column("contiguous", sa.BigInteger(), nullable=False),
        sa.Column("highest", sa.BigInteger(), nullable=False),
        sa.Column("replay_requested_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("controller", name=op.f("pk_controller_sequences")),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("controller", sa.String(length=32), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
    )
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dead_letters_controller"), ["controller"], unique=False
        )

    op.create_table(
        "device_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("controller", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("boot", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("device_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("result", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_events")),
        sa.UniqueConstraint("controller", "seq", name=op.f("uq_device_events_controller_seq")),
    )
    op.create_table(
        "device_commands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cmd_id", sa.String(length=40), nullable=False),
        sa.Column("controller", sa.String(length=32), nullable=False),
        sa.Column("op", sa.String(length=16), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_device_commands_requested_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_commands")),
        sa.UniqueConstraint("cmd_id", name=op.f("uq_device_commands_cmd_id")),
    )
    with op.batch_alter_table("device_commands", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_device_commands_controller"), ["controller"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_device_commands_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("device_commands", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_commands_status"))
        batch_op.drop_index(batch_op.f("ix_device_commands_controller"))

    op.drop_table("device_commands")
    op.drop_table("device_events")
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dead_letters_controller"))

    op.drop_table("dead_letters")
    op.drop_table("controller_sequences")
