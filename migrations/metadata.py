"""Every model module, imported so that ``Base.metadata`` knows all tables."""

import re

import catalog.models
import core.audit
import core.idempotency
import core.outbox
import core.password_links
import core.users
import core.workdays
import courier.models
import dashboard.models
import feedback.models
import firmware_bridge.models
import lockers.models
import notifications.models
import routes.models
import tickets.models
from core.db import Base

target_metadata = Base.metadata

__all__ = [
    "catalog",
    "core",
    "courier",
    "dashboard",
    "feedback",
    "firmware_bridge",
    "include_object",
    "lockers",
    "notifications",
    "routes",
    "target_metadata",
    "tickets",
]


#: What PostgreSQL keeps beside the models' tables (migration 0029): the partitions of
#: device_events and custody_events, and the key table over custody_events' partitions.
_POSTGRESQL_TABLES = re.compile(
    r"device_events_p\d+|custody_events_(\d{4}_\d{2}|default)|custody_event_keys"
)
#: A unique constraint of the models that PostgreSQL enforces through custody_event_keys, and
#: the plain index its partitions have for the same lookups instead.
_KEPT_BY_KEY_TABLE = {"uq_custody_events_idempotency_key", "ix_custody_events_idempotency_key"}


def include_object(
    _object: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Whether comparing the models with a database looks at this object: not at PostgreSQL's
    partitions and key table, nor at the idempotency key's constraint where they replace it."""
    if type_ == "table" and reflected and _POSTGRESQL_TABLES.fullmatch(name or ""):
        return False
    return not (name in _KEPT_BY_KEY_TABLE and compare_to is None)
