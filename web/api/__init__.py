"""The JSON API under ``/api``, documented at ``/api/openapi.json``."""

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api")

from web.api import auth, catalog, consignments, lockers, notifications, openapi, scans  # noqa: E402, F401  (routes register on import)
