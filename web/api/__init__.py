"""The JSON API under ``/api``, documented at ``/api/openapi.json``."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from web.api.converters import CONVERTERS

api = Blueprint("api", __name__, url_prefix="/api")


@api.record_once
def _register_converters(state: BlueprintSetupState) -> None:
    state.app.url_map.converters.update({name: kind for name, (kind, _) in CONVERTERS.items()})


from web.api import (  # noqa: E402, F401  (routes register on import)
    auth,
    catalog,
    consignments,
    document,
    lockers,
    metrics,
    notifications,
    pickups,
    ratings,
    scans,
    tickets,
)
