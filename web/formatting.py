"""Template helpers: local times, names in the page's language, channel and status labels."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from flask import Flask
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup, escape

from catalog.models import Channel, ItemStatus, LocationKind, MaterialForm
from core import clock
from core.clock import SHANGHAI
from core.satisfaction import LEVELS
from core.users import Role
from courier.agents import ResultKind
from courier.models import Priority
from courier.sla import Colour, Level
from courier.states import Kind, State
from courier.timeline import StepStatus
from feedback.models import Decision, Source
from feedback.models import State as FollowUpState
from firmware_bridge.models import CommandStatus
from lockers.models import BankKind, CompartmentState, Presence
from web.i18n import LANGUAGE_NAMES, current_language

#: Display labels by enum type: State and Kind share values ("picked_up"), so keep them apart.
LABELS: dict[type, dict[str, Any]] = {
    Channel: {
        Channel.ONLINE: lazy_gettext("Online"),
        Channel.WINDOW: lazy_gettext("At a window"),
        Channel.SELF_SERVICE: lazy_gettext("Self-service"),
        Channel.COURIER_PROXY: lazy_gettext("Courier proxy"),
    },
    ItemStatus: {
        ItemStatus.DRAFT: lazy_gettext("Draft"),
        ItemStatus.PUBLISHED: lazy_gettext("Published"),
        ItemStatus.RETIRED: lazy_gettext("Retired"),
    },
    MaterialForm: {
        MaterialForm.ORIGINAL: lazy_gettext("Original"),
        MaterialForm.COPY: lazy_gettext("Copy"),
    },
    LocationKind: {
        LocationKind.HALL: lazy_gettext("Service hall"),
        LocationKind.OFFICE: lazy_gettext("Office"),
        LocationKind.SHUTTLE_STOP: lazy_gettext("Shuttle stop"),
        LocationKind.LOCKER_SITE: lazy_gettext("Locker site"),
    },
    State: {
        State.CREATED: lazy_gettext("created"),
        State.DEPOSITED: lazy_gettext("deposited"),
        State.COLLECTED: lazy_gettext("collected"),
        State.IN_TRANSIT: lazy_gettext("in transit"),
        State.AT_HUB: lazy_gettext("changing bus at the hub"),
        State.ARRIVED: lazy_gettext("arrived"),
        State.SORTED: lazy_gettext("sorted"),
        State.WITH_AGENT: lazy_gettext("with the agent"),
        State.AT_DEPARTMENT: lazy_gettext("at the department"),
        State.AWAITING_SIGNATURE: lazy_gettext("awaiting signature or stamp"),
        State.AWAITING_MATERIALS: lazy_gettext("waiting for missing materials"),
        State.APPROVED: lazy_gettext("approved"),
        State.REJECTED: lazy_gettext("rejected"),
        State.RESULT_READY: lazy_gettext("result ready"),
        State.RETURN_IN_TRANSIT: lazy_gettext("on its way back"),
        State.RETURN_ARRIVED: lazy_gettext("back on the pickup campus"),
        State.AWAITING_PICKUP: lazy_gettext("awaiting pickup"),
        State.AT_DESK: lazy_gettext("waiting at the service desk"),
        State.PICKED_UP: lazy_gettext("picked up"),
        State.MISROUTED: lazy_gettext("misrouted"),
        State.MISSING: lazy_gettext("missing"),
        State.RETURNED_TO_SENDER: lazy_gettext("returned to sender"),
        State.CANCELLED: lazy_gettext("cancelled"),
    },
    Kind: {
        Kind.CREATED: lazy_gettext("Submitted"),
        Kind.DEPOSITED: lazy_gettext("Deposited"),
        Kind.COLLECTED: lazy_gettext("Collected"),
        Kind.LOADED: lazy_gettext("Loaded on the shuttle"),
        Kind.UNLOADED: lazy_gettext("Unloaded"),
        Kind.TRANSFERRED: lazy_gettext("Changed bus at the hub"),
        Kind.SORTED: lazy_gettext("Sorted"),
        Kind.AGENT_ACCEPTED: lazy_gettext("Taken by the agent"),
        Kind.REASSIGNED: lazy_gettext("Reassigned to another agent"),
        Kind.HANDED_TO_DEPARTMENT: lazy_gettext("Handed to the department"),
        Kind.RETURNED_BY_DEPARTMENT: lazy_gettext("Given back by the department"),
        Kind.AWAITING_SIGNATURE: lazy_gettext("Waiting for signature or stamp"),
        Kind.MATERIALS_REQUESTED: lazy_gettext("Missing materials requested (clock paused)"),
        Kind.MATERIALS_RECEIVED: lazy_gettext("Materials received (clock runs again)"),
        Kind.APPROVED: lazy_gettext("Approved"),
        Kind.REJECTED: lazy_gettext("Rejected"),
        Kind.RESULT_READY: lazy_gettext("Result ready"),
        Kind.PLACED_FOR_PICKUP: lazy_gettext("Placed for pickup"),
        Kind.PLACED_AT_DESK: lazy_gettext("Kept at the service desk"),
        Kind.PICKED_UP: lazy_gettext("Picked up"),
        Kind.HANDED_TO_COLLEAGUE: lazy_gettext("Handed to a colleague to collect"),
        Kind.MISSED: lazy_gettext("Missed the shuttle"),
        Kind.DAMAGED: lazy_gettext("Damaged"),
        Kind.MISSING: lazy_gettext("Missing"),
        Kind.MISROUTED: lazy_gettext("Misrouted"),
        Kind.RETURNED_TO_SENDER: lazy_gettext("Returned to sender"),
        Kind.CANCELLED: lazy_gettext("Cancelled"),
    },
    StepStatus: {
        StepStatus.RETURNED: lazy_gettext("done, given back"),
        StepStatus.AT_DEPARTMENT: lazy_gettext("with this department now"),
        StepStatus.NEXT: lazy_gettext("next"),
        StepStatus.LATER: lazy_gettext("later"),
    },
    Presence: {
        Presence.UNKNOWN: lazy_gettext("not yet heard from"),
        Presence.ONLINE: lazy_gettext("online"),
        Presence.OFFLINE: lazy_gettext("offline"),
        Presence.LOST: lazy_gettext("lost"),
    },
    CompartmentState: {
        CompartmentState.FREE: lazy_gettext("free"),
        CompartmentState.RESERVED: lazy_gettext("reserved"),
        CompartmentState.OCCUPIED: lazy_gettext("occupied"),
        CompartmentState.OPEN: lazy_gettext("door open"),
        CompartmentState.FAULT: lazy_gettext("fault"),
        CompartmentState.DISABLED: lazy_gettext("disabled"),
    },
    Colour: {
        Colour.GREEN: lazy_gettext("on time"),
        Colour.AMBER: lazy_gettext("80% of the time used"),
        Colour.RED: lazy_gettext("overdue"),
        Colour.PAUSED: lazy_gettext("clock paused"),
        Colour.DONE: lazy_gettext("handled"),
        Colour.WAITING: lazy_gettext("clock starts at acceptance"),
    },
    Level: {
        Level.WARNING: lazy_gettext("warning"),
        Level.BREACH: lazy_gettext("time limit passed"),
    },
    ResultKind: {
        ResultKind.SIGNED_FORM: lazy_gettext("Signed form"),
        ResultKind.STAMPED_COPY: lazy_gettext("Stamped copy"),
        ResultKind.CERTIFICATE: lazy_gettext("Certificate"),
        ResultKind.RETURNED_ORIGINAL: lazy_gettext("Returned original"),
    },
    BankKind: {
        BankKind.DROP_BOX: lazy_gettext("Drop box"),
        BankKind.SORTING: lazy_gettext("Sorting locker"),
        BankKind.PICKUP: lazy_gettext("Pickup locker"),
        BankKind.BUS_BOX: lazy_gettext("Bus box"),
    },
    Priority: {
        Priority.NORMAL: lazy_gettext("Normal"),
        Priority.URGENT: lazy_gettext("Urgent"),
    },
    CommandStatus: {
        CommandStatus.PENDING: lazy_gettext("waiting to be sent"),
        CommandStatus.SENT: lazy_gettext("sent, no answer yet"),
        CommandStatus.RECEIVED: lazy_gettext("received by the controller"),
        CommandStatus.DONE: lazy_gettext("done"),
        CommandStatus.REJECTED: lazy_gettext("refused by the controller"),
        CommandStatus.EXPIRED: lazy_gettext("expired"),
        CommandStatus.UNANSWERED: lazy_gettext("never answered"),
    },
    Role: {
        Role.TEACHER: lazy_gettext("Teacher"),
        Role.STUDENT: lazy_gettext("Student"),
        Role.COURIER: lazy_gettext("Courier"),
        Role.CLERK: lazy_gettext("Agent clerk"),
        Role.HALL_STAFF: lazy_gettext("Hall staff"),
        Role.ADMIN: lazy_gettext("Administrator"),
    },
    FollowUpState: {
        FollowUpState.OPEN: lazy_gettext("Awaiting rectification"),
        FollowUpState.RECTIFIED: lazy_gettext("Rectified"),
        FollowUpState.APPEALED: lazy_gettext("Appealed"),
        FollowUpState.CLOSED: lazy_gettext("Closed"),
    },
    Source: {
        Source.WINDOW: lazy_gettext("Window service"),
        Source.AGENT: lazy_gettext("Agent handling (代办)"),
    },
    Decision: {
        Decision.ACCEPTED: lazy_gettext("Rectification accepted"),
        Decision.REJECTED: lazy_gettext("Sent back for rectification"),
    },
}


def label(value: Any, enum_type: type | None = None) -> str:
    """The display label of an enum value in the page's language.

    A plain string is looked up in ``enum_type``, or in every labelled type in turn.
    """
    if type(value) in LABELS:
        return str(LABELS[type(value)][value])
    for candidate in (enum_type,) if enum_type else LABELS:
        if value in LABELS[candidate]:
            return str(LABELS[candidate][value])
    return str(value)


def localized(record: Any, attribute: str = "name") -> str:
    """``record.name_en`` on English pages when it has one, else ``record.name``."""
    if current_language() == "en":
        english = getattr(record, f"{attribute}_en", "")
        if english:
            return str(english)
    return str(getattr(record, attribute))


def _field(record: Any, attribute: str) -> str:
    if isinstance(record, dict):
        return str(record.get(attribute) or "")
    return str(getattr(record, attribute, "") or "")


def bilingual(record: Any, attribute: str = "name") -> Markup:
    """A catalog text in the page's language: on English pages its ``_en`` field, or, where
    the catalog has no English, the Chinese marked "(Chinese only)" so nobody takes it for a
    missing translation of the page."""
    chinese = _field(record, attribute)
    if current_language() != "en" or not chinese:
        return escape(chinese)
    english = _field(record, f"{attribute}_en")
    if english:
        return escape(english)
    marker = '<small class="chinese-only" data-test="chinese-only">{}</small>'
    return Markup('<span lang="zh-CN">{}</span> ' + marker).format(
        chinese, gettext("(Chinese only)")
    )


#: What each controller command does, as its row on the locker pages says it.
COMMAND_OPS = {
    "open": lazy_gettext("Open the door"),
    "set_code": lazy_gettext("Set a pickup code"),
    "clear_code": lazy_gettext("Clear a pickup code"),
    "lockout": lazy_gettext("Lock the keypad"),
    "show": lazy_gettext("Show a message"),
    "replay": lazy_gettext("Resend events"),
    "snapshot": lazy_gettext("Report every door"),
}
_PURPOSES = {"deposit": lazy_gettext("a deposit"), "pickup": lazy_gettext("a pickup")}


def command_text(op: str, args: dict[str, Any]) -> str:
    """A controller command as people read it: what it does, and to which compartment."""
    text = str(COMMAND_OPS.get(op, op))
    if "compartment" in args:
        text += " · " + gettext("compartment %(number)s", number=args["compartment"])
    if args.get("for"):
        text += " · " + gettext("for %(purpose)s", purpose=_PURPOSES.get(args["for"], args["for"]))
    return text


def local_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(SHANGHAI).strftime(fmt)


def day_time(value: dt.datetime | None) -> str:
    """``14:05`` for a time today, ``12-02 07:30`` for one on another day (local)."""
    if value is None:
        return ""
    local = value.astimezone(SHANGHAI)
    return local.strftime("%H:%M" if local.date() == clock.local_now().date() else "%m-%d %H:%M")


def translate(message: str, params: dict[str, Any] | None = None) -> str:
    """Translate a domain message id (see :mod:`core.errors`) and fill in its parameters.

    Parameters are shown as people read them: states and event kinds by their labels, times
    (objects or ISO strings) as local ``11-21 14:02``.
    """
    shown: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if key == "kind":
            value = label(value, Kind)
        elif key == "state":
            value = label(value, State)
        elif key == "when" and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = dt.datetime.fromisoformat(value)
        if isinstance(value, dt.datetime):
            value = local_time(value, "%m-%d %H:%M")
        shown[key] = value
    return gettext(message, **shown)


def init_formatting(app: Flask) -> None:
    app.jinja_env.filters.update(
        label=label,
        localized=localized,
        local_time=local_time,
        day_time=day_time,
        bilingual=bilingual,
        command_text=lambda command: command_text(command.op, command.args),
    )
    app.jinja_env.globals.update(
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        translate=translate,
        current_locale=current_language,
        Channel=Channel,
        State=State,
        Kind=Kind,
        Presence=Presence,
        CompartmentState=CompartmentState,
        Colour=Colour,
        Level=Level,
        ResultKind=ResultKind,
        StepStatus=StepStatus,
        Priority=Priority,
        FollowUpState=FollowUpState,
        LEVELS=LEVELS,
    )
