"""``POST /api/auth/token``: a login and password for a bearer token."""

from __future__ import annotations

import msgspec

from core.users import User
from web.api.schemas.common import column_text, text


class TokenRequest(msgspec.Struct):
    login: column_text(User.login, min_length=1)  # type: ignore[valid-type]
    password: text(200)  # type: ignore[valid-type]


class TokenUser(msgspec.Struct):
    login: str
    roles: list[str]


class Token(msgspec.Struct):
    token: str
    user: TokenUser
