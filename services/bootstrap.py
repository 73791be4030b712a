"""The composition root: the one place where domain events meet their handlers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.codes import CODE_KEY
from core.config import RetentionSettings, Settings
from core.db import make_engine, make_session_factory
from core.events import EventBus, attach
from courier import agents
from courier.events import HopRecorded, MaterialsRequested, ResultAtDesk, SlaAlerted
from feedback.events import FollowUpOpened, FollowUpOverdue, FollowUpRectified, FollowUpReviewed
from feedback.follow_ups import DAYS_KEY, DEFAULT_DAYS
from firmware_bridge.retention import RETENTION_KEY
from lockers.events import (
    AlertRaised,
    BusBoxReported,
    CompartmentReleaseRequested,
    KeypadLocked,
    MovedToDesk,
    PickupCodeIssued,
    PickupReminderDue,
)
from notifications.notify import set_default_language
from routes import reactions as routes
from routes.events import LoadNotSeenInBox
from services import bus_box, locker_commands, notices
from services.notices import PUBLIC_URL
from tickets.events import AppointmentBooked, AppointmentReminderDue, TurnNear

SessionFactory = Callable[[], Session]


def build_bus() -> EventBus:
    """A bus with every cross-package reaction subscribed, in the order they must run."""
    bus = EventBus()
    # Routes first: a hop notes the consignment for re-planning before anyone reads its plan.
    bus.subscribe(HopRecorded, routes.on_hop)
    bus.on_settle(routes.settle)

    bus.subscribe(PickupCodeIssued, locker_commands.send_code_to_controller)
    bus.subscribe(CompartmentReleaseRequested, locker_commands.open_released_compartment)
    bus.subscribe(KeypadLocked, locker_commands.lock_keypad)
    bus.subscribe(HopRecorded, locker_commands.move_to_desk)
    bus.subscribe(HopRecorded, agents.supplement_arrived)
    bus.subscribe(BusBoxReported, bus_box.on_box_report)
    bus.subscribe(LoadNotSeenInBox, bus_box.on_load_not_seen)

    bus.subscribe(PickupCodeIssued, notices.pickup_ready)
    bus.subscribe(PickupReminderDue, notices.pickup_reminder)
    bus.subscribe(MovedToDesk, notices.moved_to_desk)
    bus.subscribe(HopRecorded, notices.deposit_receipt)
    bus.subscribe(MaterialsRequested, notices.materials_missing)
    bus.subscribe(SlaAlerted, notices.sla_alert)
    bus.subscribe(SlaAlerted, notices.due_slipping)
    bus.subscribe(HopRecorded, notices.outcome)
    bus.subscribe(AlertRaised, notices.locker_alarm)
    bus.subscribe(ResultAtDesk, notices.desk_ready)
    bus.subscribe(TurnNear, notices.ticket_turn_near)
    bus.subscribe(HopRecorded, notices.rating_invite)
    bus.subscribe(FollowUpOpened, notices.follow_up_assigned)
    bus.subscribe(FollowUpRectified, notices.follow_up_rectified)
    bus.subscribe(FollowUpReviewed, notices.follow_up_reviewed)
    bus.subscribe(FollowUpOverdue, notices.follow_up_overdue)
    bus.subscribe(AppointmentBooked, notices.appointment_booked)
    bus.subscribe(AppointmentReminderDue, notices.appointment_reminder)
    return bus


def with_code_key(
    session: Session,
    code_key: str,
    public_url: str = "",
    follow_up_days: int = DEFAULT_DAYS,
    retention: RetentionSettings | None = None,
) -> Session:
    """Give ``session`` the server's pickup-code key (never stored in the database), the
    site's public address, which the links in notices start with, the working days a poor
    rating's follow-up is given and how long the bridge's logs are kept."""
    session.info[CODE_KEY] = code_key
    session.info[PUBLIC_URL] = public_url
    session.info[DAYS_KEY] = follow_up_days
    session.info[RETENTION_KEY] = retention or RetentionSettings()
    return session


class LazySessions:
    """Builds the engine on the first session, so that bootstrapping stays side-effect free."""

    def __init__(
        self,
        url: str,
        bus: EventBus,
        code_key: str,
        public_url: str,
        follow_up_days: int,
        retention: RetentionSettings,
    ) -> None:
        self.url = url
        self._follow_up_days = follow_up_days
        self._retention = retention
        self._bus = bus
        self._code_key = code_key
        self._public_url = public_url
        self._engine: Engine | None = None
        self._factory: SessionFactory | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Session:
        if self._factory is None:
            with self._lock:
                if self._factory is None:
                    self._engine = make_engine(self.url)
                    self._factory = make_session_factory(self._engine, self._bus)
        return with_code_key(
            self._factory(),
            self._code_key,
            self._public_url,
            self._follow_up_days,
            self._retention,
        )

    def dispose(self) -> None:
        """Close the engine's pooled connections (at shutdown)."""
        if self._engine is not None:
            self._engine.dispose()


@dataclass
class Services:
    """What an entry point needs: its settings, its bus and sessions that publish on it."""

    settings: Settings
    bus: EventBus
    sessions: SessionFactory

    def dispose(self) -> None:
        """Close the engine's pooled connections (at shutdown)."""
        if isinstance(self.sessions, LazySessions):
            self.sessions.dispose()


def bootstrap(settings: Settings, sessions: SessionFactory | None = None) -> Services:
    """Build the bus and the session factory of one entry point.

    ``sessions`` replaces the factory (tests pass one bound to their own connection); every
    session it makes gets this entry point's bus.
    """
    set_default_language(settings.language)
    bus = build_bus()
    if sessions is None:
        lazy = LazySessions(
            settings.database_url,
            bus,
            settings.code_key,
            settings.base_url,
            settings.follow_up_days,
            settings.retention,
        )
        return Services(settings, bus, lazy)

    def opened() -> Session:
        return with_code_key(
            attach(sessions(), bus),
            settings.code_key,
            settings.base_url,
            settings.follow_up_days,
            settings.retention,
        )

    return Services(settings, bus, opened)
