"""Wrong pickup codes, counted per bank and per client address, and the bank's keypad lockout.

Five wrong codes on one bank within a quarter of an hour, typed on its kiosk screen or its
keypad, lock the bank's keypad; each lockout in a row lasts twice as long as the one before
(15 min, 30 min, 1 h, … at most a day), and one alert is raised for it. Five wrong codes from
one client address within the window stop that address on every bank. The tries live in the
database, so every web and bridge process counts the same ones.

A guesser therefore gets at most five tries per bank every 15 minutes even if no lockout grew:
480 a day. One code among 10**6 takes 500,000 tries on average, over 1,000 days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import clock
from core.events import publish
from lockers.alerts import raise_alert
from lockers.events import KeypadLocked
from lockers.models import AlertKind, CodeTry, LockerBank

MAX_WRONG_TRIES = 5
WINDOW = dt.timedelta(minutes=15)
FIRST_LOCKOUT = dt.timedelta(minutes=15)
LONGEST_LOCKOUT = dt.timedelta(days=1)
#: A bank with no lockout for this long starts again from the first, shortest one.
FORGIVEN_AFTER = dt.timedelta(days=1)


@dataclass(frozen=True)
class Verdict:
    """What a wrong try left: ``tries_left`` before a lockout, or the end of the lockout."""

    tries_left: int
    locked_until: dt.datetime | None = None


def locked_until(session: Session, bank: LockerBank, address: str = "") -> dt.datetime | None:
    """Until when ``bank`` (or anyone at ``address``) may not try a code, if they may not now."""
    now = clock.now()
    if bank.keypad_locked_until is not None and bank.keypad_locked_until > now:
        return bank.keypad_locked_until
    if not address:
        return None
    recent = session.scalars(
        select(CodeTry.at)
        .where(CodeTry.address == address, CodeTry.at > now - WINDOW)
        .order_by(CodeTry.at.desc())
        .limit(MAX_WRONG_TRIES)
    ).all()
    if len(recent) < MAX_WRONG_TRIES:
        return None
    return recent[-1] + WINDOW


def _tries_since(session: Session, bank: LockerBank, since: dt.datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(CodeTry)
            .where(CodeTry.bank_id == bank.id, CodeTry.at > since)
        )
        or 0
    )


def count_wrong(session: Session, bank: LockerBank, address: str = "") -> Verdict:
    """Count one wrong code on ``bank`` from ``address`` (empty: the controller's keypad)."""
    now = clock.now()
    session.add(CodeTry(bank_id=bank.id, address=address[:64], at=now))
    session.flush()
    since = now - WINDOW
    if bank.keypad_locked_until is not None:
        # Tries before the last lockout ended were paid for by it.
        since = max(since, bank.keypad_locked_until)
    wrong = _tries_since(session, bank, since)
    if wrong < MAX_WRONG_TRIES:
        by_address = locked_until(session, bank, address)
        return Verdict(MAX_WRONG_TRIES - wrong, by_address)
    return Verdict(0, _lock(session, bank, now))


def _lock(session: Session, bank: LockerBank, now: dt.datetime) -> dt.datetime:
    last = bank.keypad_locked_until
    if last is None or now - last > FORGIVEN_AFTER:
        bank.keypad_lockouts = 0
    bank.keypad_lockouts += 1
    doublings = min(bank.keypad_lockouts - 1, 10)  # far past a day: no overflow
    length = min(FIRST_LOCKOUT * 2**doublings, LONGEST_LOCKOUT)
    bank.keypad_locked_until = now + length
    raise_alert(
        session,
        AlertKind.LOCKOUT,
        f"{MAX_WRONG_TRIES} wrong pickup codes: {bank.name} keypad locked until "
        f"{bank.keypad_locked_until.isoformat(timespec='minutes')}",
        bank=bank,
    )
    publish(session, KeypadLocked(controller=bank.controller, until=bank.keypad_locked_until))
    return bank.keypad_locked_until
