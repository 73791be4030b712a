"""Which domain events become which notices; :func:`services.bootstrap.build_bus` subscribes them.

Every handler runs in the transaction of the event, so a notice is queued exactly when the
change it tells of commits. Dedupe keys name the fact told (the code issued, the request made),
so a replayed event queues nothing new.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import Affiliation, Campus, Location
from core import clock
from core.outbox import OutboxMessage, OutboxStatus
from core.users import Role, User, UserRole
from courier.events import HopRecorded, MaterialsRequested, ResultAtDesk, SlaAlerted
from courier.models import Consignment, CustodyEvent, Level
from courier.states import Kind
from feedback.events import FollowUpOpened, FollowUpOverdue, FollowUpRectified, FollowUpReviewed
from feedback.models import FollowUp
from lockers.compartments import bank_by_controller
from lockers.events import AlertRaised, MovedToDesk, PickupCodeIssued, PickupReminderDue
from lockers.models import Alert, AlertKind, LockerBank, PickupCode
from lockers.pickup_links import link_token
from notifications.models import Channel
from notifications.notify import notify, staff_with
from notifications.templates import render
from tickets.booking_links import link_token as booking_token
from tickets.events import AppointmentBooked, AppointmentReminderDue, TurnNear
from tickets.models import Booking, Category, Ticket

#: Alarms of one kind at one bank are told once per window of this many minutes.
ALARM_WINDOW_MINUTES = 15

#: Where a session finds the site's public address (set by ``services.bootstrap``).
PUBLIC_URL = "courier.public_url"


def pickup_link(session: Session, code: PickupCode) -> str:
    """The signed link to the recipient's pickup page, for the notice."""
    return f"{session.info.get(PUBLIC_URL, '')}/p/{link_token(session, code)}"


def _place(bank: LockerBank) -> str:
    return bank.location.name if bank.location else bank.campus.name


def _tell_recipient(
    session: Session,
    consignment: Consignment,
    template: str,
    params: dict[str, object],
    key: str,
    *,
    reminder: bool = False,
    flush: bool = True,
) -> None:
    """The consignment's recipient: a user (by their preferences) or a name and a number."""
    notify(
        session,
        template,
        user=consignment.recipient_user,
        phone=None if consignment.recipient_user else consignment.recipient_phone,
        params=params,
        dedupe_key=key,
        reminder=reminder,
        flush=flush,
    )


def pickup_ready(session: Session, event: PickupCodeIssued) -> None:
    """The recipient gets the code, the locker, its place and the deadline; when the recipient
    let a colleague collect, the colleague's phone gets them instead."""
    consignment = session.get(Consignment, event.consignment_id)
    bank = bank_by_controller(session, event.controller)
    code = session.get(PickupCode, event.pickup_code_id)
    if consignment is None or bank is None or code is None:
        return
    params = {
        "tracking_code": consignment.tracking_code,
        "code": event.digits,
        "link": pickup_link(session, code),
        "locker": bank.name,
        "compartment": event.compartment,
        "place": _place(bank),
        "until": event.valid_until,
    }
    key = f"ready:{event.pickup_code_id}"
    if event.collector_phone:
        notify(
            session, "pickup_for_colleague", phone=event.collector_phone, params=params,
            dedupe_key=key,
        )  # fmt: skip
        return
    _tell_recipient(session, consignment, "pickup_ready", params, key)


def desk_ready(session: Session, event: ResultAtDesk) -> None:
    """The recipient gets the desk's handover code and where the desk is."""
    consignment = session.get(Consignment, event.consignment_id)
    campus = session.get(Campus, event.campus_id)
    if consignment is None or campus is None:
        return
    params = {
        "tracking_code": consignment.tracking_code,
        "code": event.digits,
        "place": campus.name,
    }
    _tell_recipient(session, consignment, "desk_ready", params, f"desk:{consignment.id}")


def pickup_reminder(session: Session, event: PickupReminderDue) -> None:
    """24 h, 48 h and the last notice before the service desk; they wait out the night."""
    consignment = session.get(Consignment, event.consignment_id)
    bank = bank_by_controller(session, event.controller)
    if consignment is None or bank is None:
        return
    template = "pickup_final" if event.stage == "final" else f"pickup_reminder_{event.stage}"
    params = {
        "tracking_code": consignment.tracking_code,
        "locker": bank.name,
        "compartment": event.compartment,
        "place": _place(bank),
        "until": event.valid_until,
    }
    key = f"{template}:{event.pickup_code_id}"
    _tell_recipient(session, consignment, template, params, key, reminder=True)


def moved_to_desk(session: Session, event: MovedToDesk) -> None:
    """Recipient and submitter hear that the uncollected result is now at the service desk of
    its pickup campus, with its tracking page (the pickup link died with the code)."""
    consignment = session.get(Consignment, event.consignment_id)
    if consignment is None:
        return
    public = session.info.get(PUBLIC_URL, "")
    params = {
        "tracking_code": consignment.tracking_code,
        "place": consignment.pickup_campus.name,
        "until": event.valid_until,
        "link": f"{public}/t/{consignment.tracking_code}",
    }
    key = f"moved_to_desk:{event.pickup_code_id}"
    _tell_recipient(session, consignment, "moved_to_desk", params, key)
    if consignment.recipient_user_id != consignment.submitter_id:
        notify(
            session, "moved_to_desk", user=consignment.submitter, params=params,
            dedupe_key=f"{key}:submitter",
        )  # fmt: skip


def deposit_receipt(session: Session, event: HopRecorded) -> None:
    """The submitter hears that the envelope is in the network."""
    if event.kind is not Kind.DEPOSITED or event.late:
        return
    consignment = session.get(Consignment, event.consignment_id)
    if consignment is None:
        return
    place = session.get(Location, event.location_id) if event.location_id else None
    # A batch of scans writes its rows together: queueing the receipt must not flush them.
    with session.no_autoflush:
        notify(
            session,
            "deposit_receipt",
            user=consignment.submitter,
            params={
                "tracking_code": event.tracking_code,
                "place": place.name if place else "",
                "at": event.at,
            },
            dedupe_key=f"deposit:{consignment.id}",
            flush=False,
        )


def materials_missing(session: Session, event: MaterialsRequested) -> None:
    """The submitter gets the whole list at once."""
    consignment = session.get(Consignment, event.consignment_id)
    submitter = session.get(User, event.submitter_id)
    if consignment is None or submitter is None:
        return
    notify(
        session,
        "materials_missing",
        user=submitter,
        params={
            "tracking_code": consignment.tracking_code,
            "items": list(event.items),
            "note": event.note,
            "supplement_code": event.supplement_code,
            "supplement_url": event.supplement_url,
        },
        dedupe_key=f"materials:{event.request_id}",
    )


def sla_alert(session: Session, event: SlaAlerted) -> None:
    """The owner clerk and the department's clerks hear of a warning or a breach."""
    consignment = session.get(Consignment, event.consignment_id)
    if consignment is None or event.level not in (Level.WARNING, Level.BREACH):
        return
    staff = session.scalars(
        select(User)
        .join(Affiliation, Affiliation.user_id == User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            Affiliation.department_id == event.department_id,
            UserRole.role == Role.CLERK,
            User.active.is_(True),
        )
    ).all()
    owner = session.get(User, event.clerk_id) if event.clerk_id else None
    told = {u.id: u for u in [*([owner] if owner else []), *staff]}
    for user in told.values():
        notify(
            session,
            f"sla_{event.level}",
            user=user,
            params={"tracking_code": consignment.tracking_code, "due": event.due_at},
            dedupe_key=f"sla:{event.consignment_id}:{event.level}:{user.id}",
        )


def _alarm_window(at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    start = at - dt.timedelta(
        minutes=at.minute % ALARM_WINDOW_MINUTES, seconds=at.second, microseconds=at.microsecond
    )
    return start, start + dt.timedelta(minutes=ALARM_WINDOW_MINUTES)


def locker_alarm(session: Session, event: AlertRaised) -> None:
    """Administrators hear of alarms (clerks also of results to take to the desk), coalesced:
    one notice per kind per bank per 15-minute window, carrying the count.

    The first alarm of a window is told at once; the later ones make one summary, held until
    the window ends and counting every alarm of it. The alert list keeps each one.
    """
    bank = bank_by_controller(session, event.controller) if event.controller else None
    alert = session.get(Alert, event.alert_id)
    start, end = _alarm_window(alert.created_at if alert else clock.now())
    count = (
        session.scalar(
            select(func.count(Alert.id)).where(
                Alert.kind == event.kind,
                Alert.bank_id == bank.id if bank else Alert.bank_id.is_(None),
                Alert.created_at >= start,
                Alert.created_at < end,
            )
        )
        or 1
    )
    window = f"alarm:{event.kind}:{event.controller or '-'}:{start:%Y%m%d%H%M}"
    params = {
        "locker": bank.name if bank else (event.controller or ""),
        "compartment": event.compartment,
        "message": event.message,
        "count": count,
    }
    roles = (Role.ADMIN, Role.CLERK) if event.kind == AlertKind.UNCOLLECTED else (Role.ADMIN,)
    for user in staff_with(session, *roles):
        if count == 1:
            notify(
                session, "locker_alarm", user=user, params=params, dedupe_key=f"{window}:{user.id}"
            )
            continue
        for row in notify(
            session,
            "locker_alarm",
            user=user,
            params=params,
            dedupe_key=f"{window}:summary:{user.id}",
            hold_until=end,
        ):
            _recount(row, params)


def _recount(row: OutboxMessage, params: dict[str, Any]) -> None:
    """Bring a held summary up to the latest count (it is not sent before its window ends)."""
    if row.status != OutboxStatus.PENDING or row.payload["params"].get("count") == params["count"]:
        return
    language = row.payload["language"]
    text = render("locker_alarm", language, params, sms=row.channel == Channel.SMS.value)
    row.payload = {**row.payload, "params": params, "text": text}


def turn_near(
    session: Session,
    *,
    ticket_id: int,
    ticket_number: str,
    ahead: int,
    area: str,
    user: User | None = None,
    phone: str | None = None,
) -> None:
    """Tell a hall visitor their turn is near (the tickets package's event calls this)."""
    notify(
        session,
        "turn_near",
        user=user,
        phone=phone,
        params={"ticket": ticket_number, "ahead": ahead, "area": area},
        dedupe_key=f"turn_near:{ticket_id}",
    )


def ticket_turn_near(session: Session, event: TurnNear) -> None:
    """The hall's "your turn is near" for a ticket taken with a phone or by a user."""
    ticket = session.get(Ticket, event.ticket_id)
    category = session.get(Category, ticket.category_id) if ticket else None
    turn_near(
        session,
        ticket_id=event.ticket_id,
        ticket_number=event.number,
        ahead=event.people_ahead,
        area=category.name if category else "",
        user=session.get(User, event.user_id) if event.user_id else None,
        phone=event.phone,
    )


def _reason(session: Session, consignment: Consignment, kind: Kind) -> str:
    return (
        session.scalar(
            select(CustodyEvent.notes)
            .where(CustodyEvent.consignment_id == consignment.id, CustodyEvent.kind == kind)
            .order_by(CustodyEvent.id.desc())
            .limit(1)
        )
        or ""
    )


def _tell_submitter(
    session: Session, consignment: Consignment, template: str, params: dict[str, object]
) -> None:
    notify(
        session,
        template,
        user=consignment.submitter,
        params=params,
        dedupe_key=f"{template}:{consignment.id}",
        flush=False,
    )


def outcome(session: Session, event: HopRecorded) -> None:
    """How it ended: rejected (with the reason, to submitter and recipient), done, damaged
    (with the page that shows the photo), missing, and collected (the submitter hears who took
    it, when and where, when that was someone else)."""
    if event.late or event.kind not in OUTCOMES:
        return
    consignment = session.get(Consignment, event.consignment_id)
    if consignment is None:
        return
    params: dict[str, object] = {"tracking_code": consignment.tracking_code}
    template = OUTCOMES[event.kind]
    if event.kind is Kind.REJECTED:
        # Rejections come one at a time from a clerk, never in a scan batch: flushing is fine.
        params["note"] = _reason(session, consignment, Kind.REJECTED)
    # A batch of scans writes its rows together: queueing the notice must not flush them.
    with session.no_autoflush:
        if event.kind is Kind.PICKED_UP:
            colleague = _colleague(session, consignment)
            if colleague is None and consignment.recipient_user_id == consignment.submitter_id:
                return
            place = session.get(Location, event.location_id) if event.location_id else None
            params |= {"who": colleague or consignment.recipient_name, "at": event.at,
                       "place": place.name if place else ""}  # fmt: skip
        if event.kind is Kind.DAMAGED:
            public = session.info.get(PUBLIC_URL, "")
            params["link"] = f"{public}/consignments/{consignment.tracking_code}"
        _tell_submitter(session, consignment, template, params)
        if event.kind in TOLD_TO_RECIPIENT and consignment.recipient_user_id != (
            consignment.submitter_id
        ):
            key = f"{template}:{consignment.id}:recipient"
            _tell_recipient(session, consignment, template, params, key, flush=False)


def _colleague(session: Session, consignment: Consignment) -> str | None:
    """Whom the recipient let collect with the code that opened the locker, if anyone: the
    newest code not revoked (the pickup marks it used only after this notice is queued)."""
    return session.scalar(
        select(PickupCode.collector)
        .where(PickupCode.consignment_id == consignment.id, PickupCode.revoked_at.is_(None))
        .order_by(PickupCode.id.desc())
        .limit(1)
    )


#: Custody events that end a request one way or another, and the notice each one gets.
OUTCOMES = {
    Kind.REJECTED: "outcome_rejected",
    Kind.RESULT_READY: "outcome_done",
    Kind.DAMAGED: "outcome_damaged",
    Kind.MISSING: "outcome_missing",
    Kind.PICKED_UP: "outcome_collected",
}
TOLD_TO_RECIPIENT = frozenset({Kind.REJECTED, Kind.DAMAGED, Kind.MISSING})


def due_slipping(session: Session, event: SlaAlerted) -> None:
    """The submitter hears when the due time passed (the clerks are told by :func:`sla_alert`)."""
    if event.level != Level.BREACH:
        return
    consignment = session.get(Consignment, event.consignment_id)
    if consignment is None:
        return
    params = {"tracking_code": consignment.tracking_code, "due": event.due_at}
    _tell_submitter(session, consignment, "outcome_late", params)


def rating_invite(session: Session, event: HopRecorded) -> None:
    """一事一评: once a consignment an agent handled is collected, its submitter is invited to
    rate the 代办 (the link opens the rating form)."""
    if event.kind is not Kind.PICKED_UP or event.late:
        return
    consignment = session.get(Consignment, event.consignment_id)
    if consignment is None or consignment.agent_id is None:
        return
    public = session.info.get(PUBLIC_URL, "")
    # A batch of scans writes its rows together: queueing the notice must not flush them.
    with session.no_autoflush:
        notify(
            session,
            "rating_invite",
            user=consignment.submitter,
            params={
                "tracking_code": consignment.tracking_code,
                "url": f"{public}/consignments/{consignment.tracking_code}/rate",
            },
            dedupe_key=f"rating_invite:{consignment.id}",
            flush=False,
        )


def _follow_up_params(session: Session, follow_up: FollowUp) -> dict[str, object]:
    public = session.info.get(PUBLIC_URL, "")
    return {
        "label": follow_up.label,
        "due": follow_up.due_at,
        "url": f"{public}/follow-ups/{follow_up.id}",
    }


def follow_up_assigned(session: Session, event: FollowUpOpened) -> None:
    """The staff responsible hear of the poor rating and the deadline; with nobody named (a
    window no one was signed in at), the administrators do."""
    follow_up = session.get(FollowUp, event.follow_up_id)
    if follow_up is None:
        return
    people = [follow_up.assignee] if follow_up.assignee else staff_with(session, Role.ADMIN)
    for person in people:
        notify(
            session,
            "follow_up_assigned",
            user=person,
            params=_follow_up_params(session, follow_up),
            dedupe_key=f"follow_up_assigned:{follow_up.id}:{person.id}",
        )


def _tell_rater(session: Session, follow_up: FollowUp, template: str, key: str,
                params: dict[str, object]) -> None:  # fmt: skip
    if follow_up.rater is None and not follow_up.rater_phone:
        return
    if follow_up.rater is None:
        params = {**params, "url": ""}  # an anonymous visitor cannot log in to appeal
    notify(
        session,
        template,
        user=follow_up.rater,
        phone=follow_up.rater_phone if follow_up.rater is None else None,
        params=params,
        dedupe_key=key,
    )


def follow_up_rectified(session: Session, event: FollowUpRectified) -> None:
    """The rater is told what was done and may appeal from the link."""
    follow_up = session.get(FollowUp, event.follow_up_id)
    if follow_up is None:
        return
    key = f"follow_up_rectified:{follow_up.id}:{follow_up.reopened}"
    _tell_rater(session, follow_up, "follow_up_rectified", key,
                _follow_up_params(session, follow_up))  # fmt: skip


def follow_up_reviewed(session: Session, event: FollowUpReviewed) -> None:
    """The staff responsible and the rater hear the administrator's decision."""
    follow_up = session.get(FollowUp, event.follow_up_id)
    if follow_up is None or follow_up.decision is None:
        return
    params = _follow_up_params(session, follow_up) | {"decision": follow_up.decision.value}
    # ``reopened`` counts the rejections: each review is told once.
    round_ = f"{follow_up.id}:{follow_up.reopened}:{follow_up.decision.value}"
    if follow_up.assignee is not None:
        notify(
            session,
            "follow_up_reviewed",
            user=follow_up.assignee,
            params=params,
            dedupe_key=f"follow_up_reviewed:{round_}:staff",
        )
    _tell_rater(session, follow_up, "follow_up_reviewed", f"follow_up_reviewed:{round_}:rater",
                params)  # fmt: skip


def follow_up_overdue(session: Session, event: FollowUpOverdue) -> None:
    """The staff responsible and the administrators hear that the deadline passed."""
    follow_up = session.get(FollowUp, event.follow_up_id)
    if follow_up is None:
        return
    people = {person.id: person for person in staff_with(session, Role.ADMIN)}
    if follow_up.assignee is not None:
        people[follow_up.assignee.id] = follow_up.assignee
    for person in people.values():
        notify(
            session,
            "follow_up_overdue",
            user=person,
            params=_follow_up_params(session, follow_up),
            dedupe_key=f"follow_up_overdue:{follow_up.id}:{follow_up.reopened}:{person.id}",
        )


def booking_link(session: Session, booking: Booking) -> str:
    """The signed link to the appointment's page (cancel, rebook, calendar file)."""
    return f"{session.info.get(PUBLIC_URL, '')}/hall/booking/{booking_token(session, booking)}"


def _appointment_params(session: Session, booking: Booking) -> dict[str, Any]:
    hall = booking.slot.category.hall
    item = booking.service_item
    materials = item.materials if item else []
    return {
        "item": item.name if item else booking.slot.category.name,
        "hall": hall.name,
        "place": hall.address or hall.campus.name,
        "at": booking.slot.starts_at,
        "code": booking.code,
        "items": [m.name if m.copies <= 1 else f"{m.name}×{m.copies}" for m in materials],
        "link": booking_link(session, booking),
    }


def appointment_booked(session: Session, event: AppointmentBooked) -> None:
    """The visitor gets the time, the hall, the check-in code, the materials to bring and the
    link to the appointment's page, where the calendar file, cancel and rebook are."""
    booking = session.get(Booking, event.booking_id)
    if booking is None:
        return
    notify(
        session,
        "appointment_booked",
        user=booking.user,
        params=_appointment_params(session, booking),
        dedupe_key=f"appointment:{booking.id}:{booking.created_at.isoformat()}",
    )


def appointment_reminder(session: Session, event: AppointmentReminderDue) -> None:
    """The day before: the same facts again, once."""
    booking = session.get(Booking, event.booking_id)
    if booking is None:
        return
    notify(
        session,
        "appointment_reminder",
        user=booking.user,
        params=_appointment_params(session, booking),
        dedupe_key=f"appointment_reminder:{booking.id}",
        reminder=True,
    )
