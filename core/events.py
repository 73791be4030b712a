"""Domain events and the bus that carries them.

Domain code announces what happened with :func:`publish`; the handlers run at once, inside the
caller's transaction, so whatever they write (outbox rows, say) commits or rolls back together
with the change that caused it.

There is no process-wide bus. ``services.bootstrap()`` builds one per entry point and every
session that entry point opens carries it in ``Session.info``; a test builds its own. So which
handlers run depends only on how the session was made, never on what ran earlier in the process.

Some reactions are cheaper once per transaction than once per event (re-planning the routes of a
batch of scanned envelopes): a handler notes the event in the session and a *settle step*
registered on the bus finishes the work. :func:`settle` runs the steps; the unit of work calls it
before it commits (:func:`core.db.commit`), and readers that need the settled state call it first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

#: Where a session keeps its bus (see :func:`attach`).
BUS_KEY = "core.events.bus"


@dataclass(frozen=True)
class DomainEvent:
    """Base of every event; subclasses are frozen dataclasses named in the past tense."""


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Session, Any], None]
SettleStep = Callable[[Session], None]


class EventBus:
    """Maps event types to handlers; an event reaches the handlers of its class and its bases."""

    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)
        self._settle_steps: list[SettleStep] = []

    def subscribe(self, event_type: type[E], handler: Callable[[Session, E], None]) -> None:
        """Run ``handler`` for every ``event_type`` (and subclass) published on this bus."""
        if handler not in self._handlers[event_type]:
            self._handlers[event_type].append(handler)

    def unsubscribe(self, event_type: type[E], handler: Callable[[Session, E], None]) -> None:
        """Stop running ``handler`` for ``event_type``."""
        if handler in self._handlers.get(event_type, []):
            self._handlers[event_type].remove(handler)

    def on_settle(self, step: SettleStep) -> None:
        """Run ``step`` whenever a session of this bus settles (before every commit)."""
        if step not in self._settle_steps:
            self._settle_steps.append(step)

    def publish(self, session: Session, event: DomainEvent) -> None:
        """Hand ``event`` to its handlers, in the order they subscribed."""
        for cls in type(event).__mro__:
            for handler in self._handlers.get(cls, ()):  # type: ignore[call-overload]
                handler(session, event)

    def settle(self, session: Session) -> None:
        """Run every settle step on ``session``."""
        for step in self._settle_steps:
            step(session)


class NoBus(RuntimeError):
    """A session that was not made by an entry point (or a test) with a bus published an event."""


def attach(session: Session, bus: EventBus) -> Session:
    """Give ``session`` the bus its events go to; returns the session."""
    session.info[BUS_KEY] = bus
    return session


def bus_of(session: Session) -> EventBus:
    """The bus ``session`` publishes on; refusing to drop an event silently when it has none."""
    bus = session.info.get(BUS_KEY)
    if bus is None:
        raise NoBus(
            "this session has no event bus: open sessions through services.bootstrap() "
            "(or attach a bus in tests) so that no domain event is lost"
        )
    return bus  # type: ignore[no-any-return]


def publish(session: Session, event: DomainEvent) -> None:
    """Announce ``event`` to the handlers of the session's bus."""
    bus_of(session).publish(session, event)


def settle(session: Session) -> None:
    """Finish the work the session's handlers deferred to the end of the unit of work."""
    bus = session.info.get(BUS_KEY)
    if bus is not None:
        bus.settle(session)
