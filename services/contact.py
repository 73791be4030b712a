"""Where a user's notices go: their mobile number and WeCom member id.

The one rule for every path that sets them (the preferences page, any API to come): the number
is a mobile of the site's regions, checked with ``phonenumbers``, and the WeCom id is one member
as the provider spells it (never ``@all``, never a ``|`` list). Both are checked before either
is stored, so a form shows every problem at once.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from core.errors import Problem, ValidationFailed
from core.phones import DEFAULT_REGIONS, mobile_number
from core.users import User
from notifications.models import Preference
from notifications.notify import preference_of
from notifications.wecom_ids import wecom_user_id


def _checked(
    text: str | None, current: str | None, check: Callable[[str], str], problems: list[Problem]
) -> str | None:
    """``text`` as ``check`` spells it: None keeps ``current``, blank removes it."""
    if text is None:
        return current
    if not text.strip():
        return None
    try:
        return check(text)
    except ValidationFailed as refused:
        problems.extend(refused.problems)
        return current


def set_contact(
    session: Session,
    user: User,
    phone: str | None,
    wechat_id: str | None,
    phone_regions: tuple[str, ...] = DEFAULT_REGIONS,
) -> Preference:
    """Store ``user``'s mobile number and WeCom id (blank text removes one, None keeps it).

    Raises :class:`ValidationFailed` with a problem on ``phone`` and/or ``wechat_id``; nothing
    is stored then. Returns the user's preference row.
    """
    problems: list[Problem] = []
    preference = preference_of(session, user)
    number = _checked(
        phone, user.phone, lambda text: mobile_number(text, phone_regions, "phone"), problems
    )
    wecom = _checked(wechat_id, preference.wechat_id, wecom_user_id, problems)
    if problems:
        raise ValidationFailed(problems)
    user.phone = number
    preference.wechat_id = wecom
    session.add(preference)
    session.flush()
    return preference
