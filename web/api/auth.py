"""``POST /api/auth/token``: trade a login and password for a bearer token."""

from __future__ import annotations

from typing import Any

from flask import abort

from core.users import issue_token
from web.api import api
from web.api.schemas.auth import Token, TokenRequest, TokenUser
from web.api.typed import answer, body_of, operation
from web.auth import check_password, public
from web.db import db


@api.post("/auth/token")
@public
@operation(
    "Trade a login and password for a bearer token",
    body=TokenRequest,
    answer=Token,
    errors=(401, 429),
)
def token() -> Any:
    body = body_of(TokenRequest)
    # A used-up throttle raises TooManyAttempts: web.errors answers 429 with Retry-After.
    user = check_password(body.login, body.password)
    if user is None:
        abort(401)
    return answer(
        Token(
            token=issue_token(db(), user),
            user=TokenUser(login=user.login, roles=sorted(user.roles)),
        )
    )
