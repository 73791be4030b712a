"""``POST /api/auth/token``: trade a login and password for a bearer token."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request

from core.users import issue_token
from web.api import api
from web.auth import check_password, public
from web.db import db


@api.post("/auth/token")
@public
def token() -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("login"), str):
        abort(400)
    # A used-up throttle raises TooManyAttempts: web.errors answers 429 with Retry-After.
    user = check_password(body["login"], str(body.get("password", "")))
    if user is None:
        abort(401)
    return jsonify(
        token=issue_token(db(), user), user={"login": user.login, "roles": sorted(user.roles)}
    )
