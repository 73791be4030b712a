"""An appointment as an iCalendar file (RFC 5545), for the visitor's phone calendar."""

from __future__ import annotations

import datetime as dt

from icalendar import Alarm, Calendar, Event

from core import clock
from tickets.models import Booking


def booking_calendar(booking: Booking, *, url: str = "", domain: str = "campus-courier") -> bytes:
    """One event at the booked hall for the booked slot, with the materials to bring and an
    alarm an hour before; the same booking always gives the same ``UID``, so importing the file
    again updates the event instead of adding another."""
    hall = booking.slot.category.hall
    item = booking.service_item
    title = item.name if item else booking.slot.category.name
    lines = [f"签到码 Check-in code: {booking.code}"]
    if item is not None and item.materials:
        lines.append("请携带 Bring:")
        lines += [f"- {m.name}" + (f" ×{m.copies}" if m.copies > 1 else "") for m in item.materials]
    if url:
        lines.append(url)

    calendar = Calendar()
    calendar.add("prodid", "-//campus-courier//service hall//ZH")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"booking-{booking.id}@{domain}")
    event.add("dtstamp", clock.now())
    event.add("dtstart", booking.slot.starts_at.astimezone(dt.UTC))
    event.add("dtend", booking.slot.ends_at.astimezone(dt.UTC))
    event.add("summary", f"{title} · {hall.name}")
    event.add("location", " ".join(part for part in (hall.name, hall.address) if part))
    event.add("description", "\n".join(lines))
    if url:
        event.add("url", url)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"{title} · {hall.name}")
    alarm.add("trigger", dt.timedelta(hours=-1))
    event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical()
