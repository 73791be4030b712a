"""From a consignment to the data its label prints, in Chinese as the couriers read it."""

from __future__ import annotations

from flask import Response, current_app

from core.clock import SHANGHAI
from core.codes import grouped
from core.errors import N_, Problem, ValidationFailed
from courier.models import Consignment, Priority
from labels.render import LabelData, a6_png, sheet_pdf, thermal_png


def _short(campus_name: str) -> str:
    return campus_name.removesuffix("校区")


def public_url(consignment: Consignment) -> str:
    """The address the label's QR code carries: the public tracking page."""
    settings = current_app.config["COURIER_SETTINGS"]
    return f"{settings.base_url}/t/{consignment.tracking_code}"


def route_text(consignment: Consignment) -> str:
    """``南湖 → 西岭 → 南湖``: origin, the department's campus, the pickup campus."""
    names = [
        consignment.origin_campus.name,
        consignment.department.campus.name,
        consignment.pickup_campus.name,
    ]
    stops = [name for index, name in enumerate(names) if index == 0 or name != names[index - 1]]
    if len(stops) == 1:
        return f"{_short(stops[0])}校区内"
    return " → ".join(_short(stop) for stop in stops)


def label_data(consignment: Consignment) -> LabelData:
    route = route_text(consignment)
    due = consignment.due_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M")
    return LabelData(
        tracking_code=consignment.tracking_code,
        qr_text=public_url(consignment),
        grouped_code=grouped(consignment.tracking_code),
        department=consignment.department.name,
        route=route,
        due=f"限 {due} 前办结" + ("（暂定）" if consignment.due_provisional else ""),
        item=consignment.service_item.name,
        urgent=consignment.priority == Priority.URGENT,
    )


LABEL_FORMATS = ("thermal", "a6", "sheet")


def label_response(consignment: Consignment, fmt: str) -> Response:
    """The consignment's label as a download: PNG for thermal and A6, PDF for an A4 sheet."""
    data = label_data(consignment)
    font_file = current_app.config["COURIER_SETTINGS"].label_font
    if fmt == "sheet":
        body, mimetype, suffix = sheet_pdf([data], font_file), "application/pdf", "pdf"
    elif fmt == "a6":
        body, mimetype, suffix = a6_png(data, font_file), "image/png", "png"
    elif fmt == "thermal":
        body, mimetype, suffix = thermal_png(data, font_file), "image/png", "png"
    else:
        raise ValidationFailed([Problem("format", N_("Format is thermal, a6 or sheet."))])
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'inline; filename="{consignment.tracking_code}-{fmt}.{suffix}"',
            "Cache-Control": "private, max-age=300",
        },
    )
