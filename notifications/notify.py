"""The public entry point: tell a person something, through the channels they chose."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.db import after_commit
from core.outbox import OutboxMessage, enqueue
from core.users import Role, User, UserRole
from notifications.dispatcher import wake_local_dispatchers
from notifications.models import Channel, ChannelChoice, Preference
from notifications.templates import TEMPLATES, render

#: The language of notices to people who chose none: the settings' ``language``, which
#: ``services.bootstrap()`` hands to :func:`set_default_language`. A module value rather than an
#: argument because notices are queued by event handlers, which get only a session and an event.
_default_language = "zh_CN"
#: Reminders wait out the night (Asia/Shanghai); notices that something is ready do not.
QUIET_FROM = dt.time(22, 0)
QUIET_UNTIL = dt.time(7, 30)


def e164(phone: str) -> str:
    """A mainland mobile number as providers want it (``+86...``); others pass unchanged."""
    digits = re.sub(r"[\s-]", "", phone)
    if re.fullmatch(r"1\d{10}", digits):
        return f"+86{digits}"
    return digits


def quiet_until(at: dt.datetime) -> dt.datetime | None:
    """The end of the quiet hours ``at`` falls in, or None if it falls outside them."""
    local = at.astimezone(clock.SHANGHAI)
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return None
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, QUIET_UNTIL, tzinfo=clock.SHANGHAI).astimezone(dt.UTC)


def set_default_language(language: str) -> None:
    """Tell people who chose no language in ``language`` (``zh_CN`` or ``en``) from now on."""
    global _default_language
    _default_language = language


#: ``session.info`` key: users this session found without stored preferences. A batch of scans
#: tells one submitter about fifty deposits; a miss would otherwise be looked up fifty times.
NO_PREFERENCE_KEY = "notifications.no_preference"


def preference_of(session: Session, user: User) -> Preference:
    """The user's stored preferences, or the defaults (SMS, their language or the site's)."""
    missing: set[int] = session.info.setdefault(NO_PREFERENCE_KEY, set())
    if user.id not in missing or _added(session, user.id):
        stored = session.get(Preference, user.id)
        if stored is not None:
            return stored
        missing.add(user.id)
    return Preference(
        user_id=user.id, channel=ChannelChoice.SMS, language=user.language or _default_language
    )


def _added(session: Session, user_id: int) -> bool:
    """Whether this session has added preferences for the user since it found none."""
    return any(isinstance(row, Preference) and row.user_id == user_id for row in session.new) or (
        session.identity_map.get(session.identity_key(Preference, user_id)) is not None
    )


def notify(
    session: Session,
    template: str,
    *,
    params: Mapping[str, Any],
    dedupe_key: str,
    user: User | None = None,
    phone: str | None = None,
    reminder: bool = False,
    hold_until: dt.datetime | None = None,
    flush: bool = True,
) -> list[OutboxMessage]:
    """Queue ``template`` for ``user`` (by their preferences) or for a bare ``phone`` number.

    One outbox row per channel, keyed ``<dedupe_key>:<channel>`` so that telling the same thing
    twice queues it once. A ``reminder`` falling in the quiet hours waits until they end;
    ``hold_until`` holds any notice until then (a summary of the alarms of a window).
    Returns the rows (none when the person can be reached on no channel); ``flush=False``
    leaves them pending in the session until its next flush.
    """
    if template not in TEMPLATES:
        raise ValueError(f"no notice template {template!r}")
    params = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in params.items()}
    if isinstance(params.get("items"), tuple):
        params["items"] = list(params["items"])
    language, targets = _default_language, []
    if user is not None:
        preference = preference_of(session, user)
        language = preference.language
        for channel in preference.channel.channels:
            address = e164(user.phone or "") if channel is Channel.SMS else preference.wechat_id
            if address:
                targets.append((channel, address))
        if not targets and user.phone:
            targets.append((Channel.SMS, e164(user.phone)))
        if not targets and preference.wechat_id:
            targets.append((Channel.WECHAT, preference.wechat_id))
    elif phone:
        targets.append((Channel.SMS, e164(phone)))
    available_at = hold_until or (quiet_until(clock.now()) if reminder else None)
    if targets and available_at is None:
        after_commit(session, wake_local_dispatchers)
    rows = []
    for channel, address in targets:
        text = render(template, language, params, sms=channel is Channel.SMS)
        payload = {"template": template, "language": language, "params": params, "text": text}
        rows.append(
            enqueue(
                session,
                channel.value,
                address,
                payload,
                f"{dedupe_key}:{channel.value}",
                available_at=available_at,
                flush=flush,
            )
        )
    return rows


def staff_with(session: Session, *roles: Role) -> list[User]:
    """Active users holding any of ``roles`` (administrators for alarms, say)."""
    return list(
        session.scalars(
            select(User)
            .join(UserRole)
            .where(UserRole.role.in_(list(roles)), User.active.is_(True))
            .distinct()
            .order_by(User.id)
        )
    )
