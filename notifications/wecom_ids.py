"""WeCom member ids as the provider defines them.

A UserID is 1-64 characters of letters, digits and ``_-@.``, starting with a letter or digit.
Anything else is refused before it reaches the provider: ``@all`` would send a person's notices
to the whole organisation and ``|`` separates several recipients.
"""

from __future__ import annotations

import re

from core.errors import N_, Problem, ValidationFailed

USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")


def wecom_user_id(text: str) -> str:
    """``text`` stripped, if it is one WeCom UserID; raises :class:`ValidationFailed`."""
    value = text.strip()
    if not USER_ID.fullmatch(value):
        raise ValidationFailed(
            [
                Problem(
                    "wechat_id",
                    N_("Use one WeCom member ID: letters, digits and _-@., not @all."),
                )
            ]
        )
    return value
