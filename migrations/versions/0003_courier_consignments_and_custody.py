"""courier consignments and custody

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 01:39:51.943772
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_photos_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
    )
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photos_sha256"), ["sha256"], unique=False)

    op.create_table(
        "affiliations",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("campus_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campus_id"], ["campuses.id"], name=op.f("fk_affiliations_campus_id_campuses")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_affiliations_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_affiliations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_affiliations")),
    )
    op.create_table(
        "consignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_code", sa.String(length=16), nullable=False),
        sa.Column("submitter_id", sa.Integer(), nullable=False),
        sa.Column("recipient_user_id", sa.Integer(), nullable=True),
        sa.Column("recipient_name", sa.String(length=100), nullable=False),
        sa.Column("recipient_phone", sa.String(length=32), nullable=True),
        sa.Column("service_item_id", sa.Integer(), nullable=False),
        sa.Column("origin_campus_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("pickup_campus_id", sa.Integer(), nullable=False),
        sa.Column("current_campus_id", sa.Integer(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("contains_originals", sa.Boolean(), nullable=False),
        sa.Column("materials_checked", sa.JSON(), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("state_since", sa.DateTime(), nullable=False),
        sa.Column("leg", sa.String(length=8), nullable=False),
        sa.Column("damaged", sa.Boolean(), nullable=False),
        sa.Column("last_event_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["current_campus_id"],
            ["campuses.id"],
            name=op.f("fk_consignments_current_campus_id_campuses"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_consignments_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["origin_campus_id"],
            ["campuses.id"],
            name=op.f("fk_consignments_origin_campus_id_campuses"),
        ),
        sa.ForeignKeyConstraint(
            ["pickup_campus_id"],
            ["campuses.id"],
            name=op.f("fk_consignments_pickup_campus_id_campuses"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_user_id"],
            ["users.id"],
            name=op.f("fk_consignments_recipient_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["service_item_id"],
            ["service_items.id"],
            name=op.f("fk_consignments_service_item_id_service_items"),
        ),
        sa.ForeignKeyConstraint(
            ["submitter_id"], ["users.id"], name=op.f("fk_consignments_submitter_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consignments")),
        sa.UniqueConstraint("tracking_code", name=op.f("uq_consignments_tracking_code")),
    )
    with op.batch_alter_table("consignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consignments_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consignments_recipient_user_id"), ["recipient_user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_consignments_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_consignments_submitter_id"), ["submitter_id"], unique=False
        )

    op.create_table(
        "custody_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consignment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("device_at", sa.DateTime(), nullable=False),
        sa.Column("server_at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("campus_id", sa.Integer(), nullable=True),
        sa.Column("device", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=True),
        sa.Column("state_after", sa.String(length=24), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_custody_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["campus_id"], ["campuses.id"], name=op.f("fk_custody_events_campus_id_campuses")
        ),
        sa.ForeignKeyConstraint(
            ["consignment_id"],
            ["consignments.id"],
            name=op.f("fk_custody_events_consignment_id_consignments"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_custody_events_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"], ["photos.id"], name=op.f("fk_custody_events_photo_id_photos")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_events")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_custody_events_idempotency_key")),
    )
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_custody_events_consignment_id"),
            ["consignment_id", "device_at", "id"],
            unique=False,
        )

    op.create_table(
        "scan_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_text", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("location_code", sa.String(length=24), nullable=True),
        sa.Column("scanned_at", sa.DateTime(), nullable=False),
        sa.Column("consignment_id", sa.Integer(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=True),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("reason_params", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consignment_id"],
            ["consignments.id"],
            name=op.f("fk_scan_records_consignment_id_consignments"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_scan_records_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_records")),
        sa.UniqueConstraint("scan_id", name=op.f("uq_scan_records_scan_id")),
    )
    with op.batch_alter_table("scan_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scan_records_consignment_id"), ["consignment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_scan_records_user_id"), ["user_id"], unique=False)
    _protect_custody_log()


def _protect_custody_log() -> None:
    """The custody log is append-only in the database too, whatever client writes to it."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION custody_events_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'custody events are append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER custody_events_append_only BEFORE UPDATE OR DELETE ON custody_events "
            "FOR EACH ROW EXECUTE FUNCTION custody_events_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER custody_events_no_{action.lower()} BEFORE {action} "
                "ON custody_events BEGIN SELECT RAISE(ABORT, 'custody events are append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER custody_events_append_only ON custody_events")
        op.execute("DROP FUNCTION custody_events_append_only()")
    else:
        op.execute("DROP TRIGGER custody_events_no_update")
        op.execute("DROP TRIGGER custody_events_no_delete")
    with op.batch_alter_table("scan_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scan_records_user_id"))
        batch_op.drop_index(batch_op.f("ix_scan_records_consignment_id"))

    op.drop_table("scan_records")
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custody_events_consignment_id"))

    op.drop_table("custody_events")
    with op.batch_alter_table("consignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consignments_submitter_id"))
        batch_op.drop_index(batch_op.f("ix_consignments_state"))
        batch_op.drop_index(batch_op.f("ix_consignments_recipient_user_id"))
        batch_op.drop_index(batch_op.f("ix_consignments_department_id"))

    op.drop_table("consignments")
    op.drop_table("affiliations")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photos_sha256"))

    op.drop_table("photos")
