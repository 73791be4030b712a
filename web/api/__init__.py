"""The JSON API under ``/api``, documented at ``/api/openapi.json``."""

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api")

from web.api import (  # noqa: E402, F401  (routes register on import)
    auth,
    catalog,
    consignments,
    lockers,
    notifications,
    openapi,
    pickups,
    scans,
    tickets,
)
