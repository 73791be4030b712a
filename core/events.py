"""A small domain-event bus.

Domain code announces what happened with :func:`publish`; handlers registered with
:func:`subscribe` run at once, inside the caller's transaction, so whatever they write (outbox
rows, say) commits or rolls back together with the change that caused it. Entry points wire the
handlers in one place at start-up, never by import side effects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class DomainEvent:
    """Base of every event; subclasses are frozen dataclasses named in the past tense."""


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Session, Any], None]


class EventBus:
    """Maps event types to handlers; an event reaches the handlers of its class and its bases."""

    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[Session, E], None]) -> None:
        if handler not in self._handlers[event_type]:
            self._handlers[event_type].append(handler)

    def unsubscribe(self, event_type: type[E], handler: Callable[[Session, E], None]) -> None:
        if handler in self._handlers.get(event_type, []):
            self._handlers[event_type].remove(handler)

    def publish(self, session: Session, event: DomainEvent) -> None:
        for cls in type(event).__mro__:
            for handler in self._handlers.get(cls, ()):  # type: ignore[call-overload]
                handler(session, event)

    def clear(self) -> None:
        self._handlers.clear()


bus = EventBus()


def publish(session: Session, event: DomainEvent) -> None:
    """Announce ``event`` to the handlers subscribed on the process-wide bus."""
    bus.publish(session, event)


def subscribe(event_type: type[E], handler: Callable[[Session, E], None]) -> None:
    """Register ``handler`` for ``event_type`` (and its subclasses) on the process-wide bus."""
    bus.subscribe(event_type, handler)
