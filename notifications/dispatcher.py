"""The outbox dispatcher: claims committed notices, sends each once, retries, gives up, tidies.

Several dispatchers may run against one database. A notice is claimed by a conditional UPDATE
(``status = 'pending'`` and due; one row changed means it is ours), on PostgreSQL after a
``SELECT ... FOR UPDATE SKIP LOCKED`` so that dispatchers do not queue behind each other. The
claim (``sending`` with a lease) is committed before the provider is called; the result is
written afterwards. A notice still ``sending`` after its lease has run out belongs to a
dispatcher that died mid-way: the provider is asked whether it has it (Twilio can say), and if
nobody can tell the notice is set aside as ``unknown`` for an administrator rather than sent a
second time.

Once a notice is sent or dead, secret parameters (a pickup code) are blanked in its payload and
in the console's record: the code lives only as long as it has to.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from core import clock
from core.db import for_writing
from core.errors import N_, NotFound
from core.outbox import OutboxMessage, OutboxStatus
from notifications.models import Channel, ConsoleMessage
from notifications.senders import (
    CannotTell,
    Notice,
    PermanentFailure,
    Sender,
    TemporaryFailure,
)
from notifications.templates import redact

log = logging.getLogger(__name__)

CHANNELS = tuple(c.value for c in Channel)
DEFAULT_MAX_TRIES = 5
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=1)
LEASE = dt.timedelta(minutes=2)


#: Dispatchers looping in this process: a commit that queued notices wakes them at once.
_running: weakref.WeakSet[Dispatcher] = weakref.WeakSet()


def wake_local_dispatchers() -> None:
    """Wake the dispatchers running in this process (``courier run`` has one)."""
    for dispatcher in list(_running):
        dispatcher.wake()


def backoff(attempts: int) -> dt.timedelta:
    """The wait before try ``attempts + 1``: 30 s, 1 min, 2 min ... at most an hour."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


@dataclass
class Tally:
    """What one pass did."""

    sent: int = 0
    retrying: int = 0
    dead: int = 0
    unknown: int = 0
    reconciled: int = 0
    errors: list[str] = field(default_factory=list)


class Dispatcher:
    """Sends the notification channels' outbox rows through ``senders`` (one per channel)."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        senders: Mapping[str, Sender],
        *,
        max_tries: int = DEFAULT_MAX_TRIES,
        lease: dt.timedelta = LEASE,
        batch: int = 50,
    ) -> None:
        self.sessions = sessions
        self.senders = senders
        self.max_tries = max_tries
        self.lease = lease
        self.batch = batch
        self._wake = threading.Event()

    # claiming -------------------------------------------------------------------------------

    def claim(self) -> list[Notice]:
        """Claim up to ``batch`` due notices for this dispatcher; committed before returning.

        One conditional UPDATE ... RETURNING does it, so that on SQLite the transaction starts
        by writing (a read that later upgrades to a write fails under concurrency in WAL mode).
        """
        now = clock.now()
        due = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.available_at <= now,
                OutboxMessage.channel.in_(CHANNELS),
            )
            .order_by(OutboxMessage.available_at, OutboxMessage.id)
            .limit(self.batch)
        )
        if not self._any(due):
            return []
        with self.sessions() as session, session.begin():
            for_writing(session)
            claimed = session.scalars(
                update(OutboxMessage)
                .where(
                    # SKIP LOCKED: on PostgreSQL dispatchers pass each other's rows by.
                    OutboxMessage.id.in_(due.with_for_update(skip_locked=True).scalar_subquery()),
                    OutboxMessage.status == OutboxStatus.PENDING,
                )
                .values(
                    status=OutboxStatus.SENDING,
                    claimed_until=now + self.lease,
                    attempted_at=now,
                    attempts=OutboxMessage.attempts + 1,
                )
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            ).all()
            return [_notice(row) for row in session.scalars(_by_ids(list(claimed)))]

    def _any(self, query: Select[tuple[int]]) -> bool:
        """Whether ``query`` finds a row, asked in a read-only transaction first: on SQLite even
        an UPDATE that changes nothing takes the write lock, and a web request that read
        before it and writes after it would be refused ("database is locked")."""
        with self.sessions() as session:
            return session.scalar(query.limit(1)) is not None

    # sending --------------------------------------------------------------------------------

    def run_once(self) -> Tally:
        """Tidy up after dead dispatchers, then send every due notice once."""
        tally = self.reconcile()
        for notice in self.claim():
            self._send(notice, tally)
        return tally

    def _send(self, notice: Notice, tally: Tally) -> None:
        sender = self.senders[notice.channel]
        try:
            provider_id = sender.send(notice)
        except TemporaryFailure as error:
            self._failed(notice, str(error), permanent=False, tally=tally)
        except PermanentFailure as error:
            self._failed(notice, str(error), permanent=True, tally=tally)
        except Exception as error:  # a sender bug must not stop the loop; retry with backoff
            log.exception("sender %s failed on outbox row %s", sender.name, notice.outbox_id)
            self._failed(notice, f"{type(error).__name__}: {error}", permanent=False, tally=tally)
        else:
            self._mark_sent(notice, sender.name, provider_id)
            tally.sent += 1

    def _mark_sent(self, notice: Notice, provider: str, provider_id: str) -> None:
        self._finish(
            notice,
            status=OutboxStatus.SENT,
            sent_at=clock.now(),
            provider=provider,
            provider_message_id=provider_id or None,
            last_error=None,
        )

    def _failed(self, notice: Notice, error: str, *, permanent: bool, tally: Tally) -> None:
        tally.errors.append(error)
        dead = permanent or notice.attempts >= self.max_tries
        values: dict[str, object] = {
            "status": OutboxStatus.DEAD if dead else OutboxStatus.PENDING,
            "last_error": error[:500],
            "provider": self.senders[notice.channel].name,
        }
        if not dead:
            values["available_at"] = clock.now() + backoff(notice.attempts)
        if self._finish(notice, **values):
            if dead:
                tally.dead += 1
            else:
                tally.retrying += 1

    def _finish(self, notice: Notice, **values: object) -> bool:
        """Record how the claimed attempt ended, unless someone settled it meanwhile; a sent or
        dead notice loses its secrets. The UPDATE comes first (see :meth:`claim`)."""
        with self.sessions() as session, session.begin():
            for_writing(session)
            won = session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == notice.outbox_id,
                    OutboxMessage.status == OutboxStatus.SENDING,
                )
                .values(claimed_until=None, **values)
                .execution_options(synchronize_session=False)
            )
            if won.rowcount != 1:  # type: ignore[attr-defined]
                return False
            if values["status"] in (OutboxStatus.SENT, OutboxStatus.DEAD):
                row = session.get(OutboxMessage, notice.outbox_id)
                if row is not None:
                    _redact(session, row)
            return True

    # after a crash ---------------------------------------------------------------------------

    def reconcile(self) -> Tally:
        """Settle notices whose dispatcher died between claiming and recording the result."""
        tally = Tally()
        now = clock.now()
        stale = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == OutboxStatus.SENDING,
                OutboxMessage.claimed_until < now,
                OutboxMessage.channel.in_(CHANNELS),
            )
            .limit(self.batch)
        )
        if not self._any(stale):
            return tally
        with self.sessions() as session, session.begin():
            for_writing(session)
            # Take the stale claims over, so that two dispatchers do not settle the same row.
            mine = session.scalars(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_(stale.with_for_update(skip_locked=True).scalar_subquery()),
                    OutboxMessage.status == OutboxStatus.SENDING,
                    OutboxMessage.claimed_until < now,
                )
                .values(claimed_until=now + self.lease)
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            ).all()
            notices = [_notice(r) for r in session.scalars(_by_ids(list(mine)))]
        for notice in notices:
            sender = self.senders[notice.channel]
            try:
                found = sender.find(notice)
            except CannotTell as error:
                self._finish(
                    notice, status=OutboxStatus.UNKNOWN, provider=sender.name, last_error=str(error)
                )
                tally.unknown += 1
                continue
            if found is None:
                # The provider surely never had it: sending it now is its first time.
                self._finish(
                    notice,
                    status=OutboxStatus.PENDING,
                    provider=sender.name,
                    last_error="interrupted before the provider had it",
                    available_at=now,
                )
            else:
                self._finish(
                    notice,
                    status=OutboxStatus.SENT,
                    provider=sender.name,
                    provider_message_id=found,
                    sent_at=now,
                    last_error=None,
                )
            tally.reconciled += 1
        return tally

    # the loop -------------------------------------------------------------------------------

    def wake(self) -> None:
        """Ask a sleeping :meth:`run_forever` to look now (after a commit that queued notices)."""
        self._wake.set()

    def run_forever(self, stop: threading.Event, idle: float = 1.0) -> None:
        """Pass after pass until ``stop`` is set; sleeps ``idle`` seconds (or until woken)
        when a pass found nothing to do."""
        _running.add(self)
        while not stop.is_set():
            try:
                tally = self.run_once()
            except Exception:  # the database went away for a moment: keep the loop alive
                log.exception("dispatcher pass failed")
                tally = Tally()
            if not (tally.sent or tally.retrying or tally.dead):
                self._wake.wait(idle)
                self._wake.clear()
        _running.discard(self)

    def close(self) -> None:
        """Close the senders' connections."""
        for sender in {id(s): s for s in self.senders.values()}.values():
            sender.close()


def _by_ids(ids: list[int]) -> Select[tuple[OutboxMessage]]:
    return select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)


def _notice(row: OutboxMessage) -> Notice:
    return Notice(
        outbox_id=row.id,
        channel=row.channel,
        recipient=row.recipient,
        text=str(row.payload.get("text", "")),
        attempted_at=row.attempted_at or clock.now(),
        attempts=row.attempts,
    )


def _redact(session: Session, row: OutboxMessage) -> None:
    params = row.payload.get("params") or {}
    text, kept = redact(str(row.payload.get("text", "")), params)
    if kept == params:
        return
    row.payload = {**row.payload, "text": text, "params": kept, "redacted": True}
    for record in session.scalars(select(ConsoleMessage).where(ConsoleMessage.outbox_id == row.id)):
        record.text = redact(record.text, params)[0]


def resend(session: Session, outbox_id: int) -> OutboxMessage:
    """An administrator's decision: send a sent, dead or unknown notice again, from now.

    A redacted notice goes out as it now reads (without its code)."""
    row = session.get(OutboxMessage, outbox_id)
    if row is None:
        raise NotFound("notice_not_found", N_("There is no notice %(id)s."), id=outbox_id)
    if row.status in (OutboxStatus.SENT, OutboxStatus.DEAD, OutboxStatus.UNKNOWN):
        row.status = OutboxStatus.PENDING
        row.available_at = clock.now()
        row.attempts = 0
        row.last_error = None
        row.delivery_status = None
        session.flush()
    return row


def record_delivery(session: Session, provider_message_id: str, status: str) -> bool:
    """A provider's delivery report (Twilio's status callback); False if no notice has that id."""
    row = session.scalar(
        select(OutboxMessage).where(OutboxMessage.provider_message_id == provider_message_id)
    )
    if row is None:
        return False
    row.delivery_status = status[:32]
    session.flush()
    return True
