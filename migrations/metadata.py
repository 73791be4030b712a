"""Every model module, imported so that ``Base.metadata`` knows all tables."""

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
    "lockers",
    "notifications",
    "routes",
    "target_metadata",
    "tickets",
]
