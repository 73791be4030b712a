"""partitioned events: device_events by hash of controller, custody_events by month of device_at,
with a key table keeping custody idempotency keys unique across months (PostgreSQL only);
indexes for the retention of device events and dead letters (both databases)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-02 03:00:00.000000

On PostgreSQL a partitioned table's unique constraints must contain its partition key, so:

- ``device_events``: 16 hash partitions of ``controller``; ``(controller, generation, seq)``
  stays a unique constraint as it is, the primary key becomes ``(id, controller)`` and ``id``
  an identity column the database alone fills (``GENERATED ALWAYS``: an insert naming an id is
  refused), so ids stay unique without a second index over every event of the bridge's hot path.
- ``custody_events``: a range partition per month of ``device_at`` and a DEFAULT one for times
  no month covers; the primary key becomes ``(id, device_at)``, ``id`` is ``GENERATED ALWAYS``
  and ``custody_event_keys`` (id, idempotency key), filled by a trigger in the inserting
  transaction, keeps both unique over all months. ``custody_events_add_month(date)`` creates a
  month (the scheduler's ``courier.custody_partitions`` keeps three ahead).

Both ids become 64-bit while the rows are copied anyway: at 2,000 lockers the device events
alone pass 2^31 within a few years.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEVICE_PARTITIONS = 16
#: Months made at the upgrade before the current one, at most (older events go to DEFAULT).
MONTHS_BACK = 60
MONTHS_AHEAD = 3


def upgrade() -> None:
    op.create_index("ix_device_events_received_at", "device_events", ["received_at"])
    op.create_index("ix_dead_letters_received_at", "dead_letters", ["received_at"])
    if op.get_bind().dialect.name != "postgresql":
        return
    _partition_device_events()
    _partition_custody_events()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _flatten_custody_events()
        _flatten_device_events()
    op.drop_index("ix_dead_letters_received_at", table_name="dead_letters")
    op.drop_index("ix_device_events_received_at", table_name="device_events")


def _set_aside(table: str, constraints: Sequence[str], indexes: Sequence[str]) -> None:
    """Rename ``table`` and the names its successor takes over (index and sequence names are
    unique in the schema, not per table)."""
    op.execute(f"ALTER TABLE {table} RENAME TO {table}_old")
    for name in constraints:
        op.execute(f"ALTER TABLE {table}_old RENAME CONSTRAINT {name} TO {name}_old")
    for name in indexes:
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_old")
    op.execute(
        f"DO $$ DECLARE s text := pg_get_serial_sequence('{table}_old', 'id'); BEGIN "
        f"EXECUTE format('ALTER SEQUENCE %s RENAME TO {table}_old_id_seq', s); END $$"
    )


def _copy_foreign_keys(source: str, target: str) -> None:
    """Give ``target`` the foreign keys ``source`` has, under the same names (whatever later
    migrations added, without listing them here)."""
    rows = op.get_bind().exec_driver_sql(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        f"WHERE conrelid = '{source}'::regclass AND contype = 'f' ORDER BY conname"
    )
    for name, definition in rows.all():
        op.execute(f"ALTER TABLE {target} ADD CONSTRAINT {name} {definition}")


def _identity_id(table: str) -> None:
    """``id`` 64-bit and filled by the database only; the copied rows keep theirs."""
    op.execute(f"ALTER TABLE {table} ALTER COLUMN id DROP DEFAULT")
    op.execute(f"ALTER TABLE {table} ALTER COLUMN id TYPE bigint")
    op.execute(f"ALTER TABLE {table} ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY")


def _restart_ids(table: str) -> None:
    op.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
        f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
    )


def _partition_device_events() -> None:
    _set_aside(
        "device_events",
        ["pk_device_events", "uq_device_events_controller_generation_seq"],
        ["ix_device_events_received_at"],
    )
    op.execute(
        "CREATE TABLE device_events (LIKE device_events_old INCLUDING DEFAULTS) "
        "PARTITION BY HASH (controller)"
    )
    _identity_id("device_events")
    for remainder in range(DEVICE_PARTITIONS):
        op.execute(
            f"CREATE TABLE device_events_p{remainder:02d} PARTITION OF device_events "
            f"FOR VALUES WITH (MODULUS {DEVICE_PARTITIONS}, REMAINDER {remainder})"
        )
    _move_device_events("id, controller")


def _move_device_events(primary_key: str) -> None:
    """Copy the set-aside device events into the new table, which then gets its keys (the
    primary key on ``primary_key``) and index, and drop the old one."""
    op.execute("INSERT INTO device_events OVERRIDING SYSTEM VALUE SELECT * FROM device_events_old")
    op.execute(
        f"ALTER TABLE device_events ADD CONSTRAINT pk_device_events PRIMARY KEY ({primary_key})"
    )
    op.execute(
        "ALTER TABLE device_events ADD CONSTRAINT uq_device_events_controller_generation_seq "
        "UNIQUE (controller, generation, seq)"
    )
    op.execute("CREATE INDEX ix_device_events_received_at ON device_events (received_at)")
    op.execute("DROP TABLE device_events_old")
    _restart_ids("device_events")


def _partition_custody_events() -> None:
    _set_aside(
        "custody_events",
        ["pk_custody_events", "uq_custody_events_idempotency_key"],
        ["ix_custody_events_consignment_id", "ix_custody_events_kind_device_at"],
    )
    op.execute(
        "CREATE TABLE custody_events (LIKE custody_events_old INCLUDING DEFAULTS) "
        "PARTITION BY RANGE (device_at)"
    )
    _identity_id("custody_events")
    op.execute("CREATE TABLE custody_events_default PARTITION OF custody_events DEFAULT")
    op.execute(
        "ALTER TABLE custody_events ADD CONSTRAINT pk_custody_events PRIMARY KEY (id, device_at)"
    )
    op.execute(
        "CREATE INDEX ix_custody_events_consignment_id "
        "ON custody_events (consignment_id, device_at, id)"
    )
    op.execute("CREATE INDEX ix_custody_events_kind_device_at ON custody_events (kind, device_at)")
    # Not unique here (custody_event_keys is): find_event's lookup by key, in every month.
    op.execute("CREATE INDEX ix_custody_events_idempotency_key ON custody_events (idempotency_key)")
    _create_add_month()
    op.execute(
        f"""
        SELECT custody_events_add_month(month::date)
        FROM generate_series(
            greatest(
                date_trunc(
                    'month',
                    coalesce(
                        (SELECT min(device_at) FROM custody_events_old), now() AT TIME ZONE 'UTC'
                    )
                ),
                date_trunc('month', now() AT TIME ZONE 'UTC') - interval '{MONTHS_BACK} months'
            ),
            date_trunc('month', now() AT TIME ZONE 'UTC') + interval '{MONTHS_AHEAD} months',
            interval '1 month'
        ) AS month
        """
    )
    op.execute(
        "INSERT INTO custody_events OVERRIDING SYSTEM VALUE SELECT * FROM custody_events_old"
    )
    _copy_foreign_keys("custody_events_old", "custody_events")
    op.execute(
        """
        CREATE TABLE custody_event_keys (
            id bigint CONSTRAINT pk_custody_event_keys PRIMARY KEY,
            idempotency_key varchar(120) NOT NULL
                CONSTRAINT uq_custody_event_keys_idempotency_key UNIQUE
        )
        """
    )
    op.execute(
        "INSERT INTO custody_event_keys (id, idempotency_key) "
        "SELECT id, idempotency_key FROM custody_events_old"
    )
    op.execute(
        """
        CREATE FUNCTION custody_events_keep_key() RETURNS trigger AS $$
        BEGIN
            INSERT INTO custody_event_keys (id, idempotency_key)
            VALUES (NEW.id, NEW.idempotency_key);
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    # Row triggers on the partitioned table are cloned onto every partition, later ones too.
    op.execute(
        "CREATE TRIGGER custody_events_keep_key BEFORE INSERT ON custody_events "
        "FOR EACH ROW EXECUTE FUNCTION custody_events_keep_key()"
    )
    op.execute(
        "CREATE TRIGGER custody_events_append_only BEFORE UPDATE OR DELETE ON custody_events "
        "FOR EACH ROW EXECUTE FUNCTION custody_events_append_only()"
    )
    op.execute("DROP TABLE custody_events_old")
    _restart_ids("custody_events")


def _create_add_month() -> None:
    """``custody_events_add_month(month)``: the partition of the month starting at ``month``,
    unless it exists; true if it was made. Rows the DEFAULT partition caught for that month move
    into it (DEFAULT would otherwise refuse the new bounds). The partition is made apart and
    attached, which locks the parent less than ``CREATE TABLE … PARTITION OF`` would; attaching
    gives it the parent's indexes, constraints and triggers."""
    op.execute(
        """
        CREATE FUNCTION custody_events_add_month(month date) RETURNS boolean AS $$
        DECLARE
            first timestamp := date_trunc('month', month);
            after timestamp := date_trunc('month', month) + interval '1 month';
            name text := format('custody_events_%s', to_char(first, 'YYYY_MM'));
        BEGIN
            IF to_regclass(name) IS NOT NULL THEN
                RETURN false;
            END IF;
            EXECUTE format('CREATE TABLE %I (LIKE custody_events INCLUDING DEFAULTS)', name);
            EXECUTE format(
                'ALTER TABLE %I ADD CONSTRAINT %I CHECK (device_at >= %L AND device_at < %L)',
                name, name || '_bounds', first, after);
            IF EXISTS (SELECT 1 FROM custody_events_default
                       WHERE device_at >= first AND device_at < after) THEN
                EXECUTE format(
                    'INSERT INTO %I OVERRIDING SYSTEM VALUE SELECT * FROM custody_events_default '
                    'WHERE device_at >= %L AND device_at < %L', name, first, after);
                -- Moved, not removed: the guard stands down for this transaction's own delete.
                ALTER TABLE custody_events_default DISABLE TRIGGER custody_events_append_only;
                DELETE FROM custody_events_default WHERE device_at >= first AND device_at < after;
                ALTER TABLE custody_events_default ENABLE TRIGGER custody_events_append_only;
            END IF;
            EXECUTE format(
                'ALTER TABLE custody_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                name, first, after);
            EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', name, name || '_bounds');
            RETURN true;
        END;
        $$ LANGUAGE plpgsql
        """
    )


def _flatten_device_events() -> None:
    _set_aside(
        "device_events",
        ["pk_device_events", "uq_device_events_controller_generation_seq"],
        ["ix_device_events_received_at"],
    )
    op.execute("CREATE TABLE device_events (LIKE device_events_old INCLUDING DEFAULTS)")
    _serial_id("device_events")
    _move_device_events("id")


def _serial_id(table: str) -> None:
    """``id`` back to a 32-bit column filled from its own sequence, as before the partitions."""
    op.execute(f"ALTER TABLE {table} ALTER COLUMN id TYPE integer")
    op.execute(f"CREATE SEQUENCE {table}_id_seq AS integer OWNED BY {table}.id")
    op.execute(f"ALTER TABLE {table} ALTER COLUMN id SET DEFAULT nextval('{table}_id_seq')")


def _flatten_custody_events() -> None:
    _set_aside(
        "custody_events",
        ["pk_custody_events"],
        [
            "ix_custody_events_consignment_id",
            "ix_custody_events_kind_device_at",
            "ix_custody_events_idempotency_key",
        ],
    )
    op.execute("CREATE TABLE custody_events (LIKE custody_events_old INCLUDING DEFAULTS)")
    _serial_id("custody_events")
    op.execute("INSERT INTO custody_events SELECT * FROM custody_events_old")
    op.execute("ALTER TABLE custody_events ADD CONSTRAINT pk_custody_events PRIMARY KEY (id)")
    op.execute(
        "ALTER TABLE custody_events ADD CONSTRAINT uq_custody_events_idempotency_key "
        "UNIQUE (idempotency_key)"
    )
    op.execute(
        "CREATE INDEX ix_custody_events_consignment_id "
        "ON custody_events (consignment_id, device_at, id)"
    )
    op.execute("CREATE INDEX ix_custody_events_kind_device_at ON custody_events (kind, device_at)")
    _copy_foreign_keys("custody_events_old", "custody_events")
    op.execute(
        "CREATE TRIGGER custody_events_append_only BEFORE UPDATE OR DELETE ON custody_events "
        "FOR EACH ROW EXECUTE FUNCTION custody_events_append_only()"
    )
    op.execute("DROP TABLE custody_events_old")
    op.execute("DROP TABLE custody_event_keys")
    op.execute("DROP FUNCTION custody_events_keep_key()")
    op.execute("DROP FUNCTION custody_events_add_month(date)")
    _restart_ids("custody_events")
