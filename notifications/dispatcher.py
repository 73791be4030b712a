"""The outbox dispatcher: claims committed notices, sends each once, retries, gives up, tidies.

Several dispatchers may run against one database. A pass claims up to ``batch`` due notices in
one UPDATE whose candidates come from a materialised CTE (``SELECT ... LIMIT n FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so the limit holds however stale the planner's statistics and
dispatchers pass each other's rows by), and stamps them with a fresh claim token. Each notice has
its own lease: it is renewed just before that notice's provider call, so a slow batch does not
lose its later notices to another dispatcher, and a result is written only under the claim token
(a dispatcher whose claim was taken over records nothing).

A notice whose outcome is unknown (a time-out, a connection dropped after the request went out,
a dispatcher that died mid-call) is never sent blind a second time: it stays ``sending`` until
its lease runs out, then the provider is asked whether it has it (Twilio can say, paging through
every message since the attempt), and it is sent again only if the provider has none; where the
provider cannot tell (WeCom) the notice is set aside as ``unknown`` for an administrator.

Once a notice is sent or dead, secret parameters (a pickup code) are blanked in its payload and
in the console's record: the code lives only as long as it has to.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import CTE, ColumnElement, Select, select, update
from sqlalchemy.orm import Session

from core import clock
from core.db import for_writing
from core.errors import N_, NotFound
from core.outbox import OutboxMessage, OutboxStatus
from notifications.models import Channel, ConsoleMessage
from notifications.senders import (
    CannotTell,
    Notice,
    OutcomeUnknown,
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
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.available_at <= now,
            OutboxMessage.channel.in_(CHANNELS),
        )
        if not self._any(select(OutboxMessage.id).where(*due)):
            return []
        token = uuid.uuid4().hex
        with self.sessions() as session, session.begin():
            for_writing(session)
            candidates = _candidates(due, self.batch, "due")
            claimed = session.scalars(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(select(candidates.c.id)), *due)
                .values(
                    status=OutboxStatus.SENDING,
                    claim_token=token,
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
        """Tidy up after dead dispatchers and unknown outcomes, then send every due notice."""
        tally = self.reconcile()
        for notice in self.claim():
            if self._renew(notice):
                self._send(notice, tally)
        return tally

    def _renew(self, notice: Notice) -> bool:
        """Start this notice's own lease now, just before its provider call; False when the
        claim is no longer ours (its lease ran out while the batch was slow, and another
        dispatcher took it over). While at least half the claim's lease is left (a provider
        call takes less: the lease is at least twice its time-out) nobody can take the notice
        over, and the commit is saved."""
        if clock.now() < notice.attempted_at + self.lease / 2:
            return True
        with self.sessions() as session, session.begin():
            for_writing(session)
            renewed = session.execute(
                update(OutboxMessage)
                .where(*_held(notice))
                .values(claimed_until=clock.now() + self.lease)
                .execution_options(synchronize_session=False)
            )
            return bool(renewed.rowcount == 1)  # type: ignore[attr-defined]

    def _send(self, notice: Notice, tally: Tally) -> None:
        sender = self.senders[notice.channel]
        try:
            provider_id = sender.send(notice)
        except OutcomeUnknown as error:
            self._ask_later(notice, f"outcome unknown ({error}); the provider is asked first")
            tally.unknown += 1
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

    def _ask_later(self, notice: Notice, error: str) -> None:
        """Keep the notice ``sending`` under our claim for another lease; then whoever
        reconciles asks the provider. Not asking at once leaves a provider still busy
        with a timed-out request the time to file it."""
        self._finish(
            notice,
            status=OutboxStatus.SENDING,
            claimed_until=clock.now() + self.lease,
            last_error=error[:500],
            provider=self.senders[notice.channel].name,
        )

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
        """Record how the claimed attempt ended, only if the claim is still ours; a sent or
        dead notice loses its secrets. The UPDATE comes first (see :meth:`claim`)."""
        settled = values["status"] != OutboxStatus.SENDING
        if settled:
            values = {"claimed_until": None, "claim_token": None, **values}
        with self.sessions() as session, session.begin():
            for_writing(session)
            won = session.execute(
                update(OutboxMessage)
                .where(*_held(notice))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if won.rowcount != 1:  # type: ignore[attr-defined]
                log.info("outbox row %s: claim taken over, result not recorded", notice.outbox_id)
                return False
            if values["status"] in (OutboxStatus.SENT, OutboxStatus.DEAD):
                row = session.get(OutboxMessage, notice.outbox_id)
                if row is not None:
                    _redact(session, row)
            return True

    # after a crash ---------------------------------------------------------------------------

    def reconcile(self) -> Tally:
        """Settle notices whose outcome is unknown: their dispatcher died between claiming and
        recording the result, or the provider call ended without an answer."""
        tally = Tally()
        now = clock.now()
        stale = (
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_until < now,
            OutboxMessage.channel.in_(CHANNELS),
        )
        if not self._any(select(OutboxMessage.id).where(*stale)):
            return tally
        token = uuid.uuid4().hex
        with self.sessions() as session, session.begin():
            for_writing(session)
            # Take the stale claims over, so that two dispatchers do not settle the same row.
            candidates = _candidates(stale, self.batch, "stale")
            mine = session.scalars(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(select(candidates.c.id)), *stale)
                .values(claimed_until=now + self.lease, claim_token=token)
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            ).all()
            notices = [_notice(r) for r in session.scalars(_by_ids(list(mine)))]
        for notice in notices:
            self._settle(notice, tally)
        return tally

    def _settle(self, notice: Notice, tally: Tally) -> None:
        """Ask the provider about a notice whose attempt has no known outcome and act on it."""
        sender = self.senders[notice.channel]
        try:
            found = sender.find(notice)
        except CannotTell as error:
            self._finish(
                notice, status=OutboxStatus.UNKNOWN, provider=sender.name, last_error=str(error)
            )
            tally.unknown += 1
            return
        except (TemporaryFailure, PermanentFailure) as error:
            self._ask_later(notice, f"the provider could not be asked: {error}")
            tally.errors.append(str(error))
            return
        if found is None and notice.attempts >= self.max_tries:
            self._finish(
                notice,
                status=OutboxStatus.DEAD,
                provider=sender.name,
                last_error=f"the provider never had it after {notice.attempts} tries",
            )
            tally.dead += 1
        elif found is None:
            # The provider surely never had it: sending it now is its first time. The lease
            # that ran out was the wait before this retry.
            self._finish(
                notice,
                status=OutboxStatus.PENDING,
                provider=sender.name,
                last_error="the provider never had it; sent again",
                available_at=clock.now(),
            )
        else:
            self._finish(
                notice,
                status=OutboxStatus.SENT,
                provider=sender.name,
                provider_message_id=found,
                sent_at=clock.now(),
                last_error=None,
            )
        tally.reconciled += 1

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


def _candidates(conditions: tuple[ColumnElement[bool], ...], limit: int, name: str) -> CTE:
    """The ids of at most ``limit`` rows meeting ``conditions``, oldest due first, locked for
    this transaction and skipping rows another dispatcher has locked. MATERIALIZED makes
    PostgreSQL evaluate the CTE once, so the LIMIT bounds the claim (as a plain ``IN
    (subquery)`` it may be re-run per row and claim everything)."""
    return (
        select(OutboxMessage.id)
        .where(*conditions)
        .order_by(OutboxMessage.available_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte(name)
        .prefix_with("MATERIALIZED")
    )


def _held(notice: Notice) -> tuple[ColumnElement[bool], ...]:
    """The notice is still ``sending`` under the claim this dispatcher made."""
    return (
        OutboxMessage.id == notice.outbox_id,
        OutboxMessage.status == OutboxStatus.SENDING,
        OutboxMessage.claim_token == notice.claim_token,
    )


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
        claim_token=row.claim_token or "",
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
