"""Administrators keep the holiday table: each year's official schedule, imported or edited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from core import clock
from core.errors import N_, DomainError, Problem, ValidationFailed
from core.users import Role
from core.workdays import (
    DayKind,
    import_schedule,
    known_years,
    parse_schedule,
    set_special_day,
    special_days,
)
from services import audit
from web.auth import current_user, roles_required
from web.db import db
from web.errors import problem_list
from web.throttling import client_address
from web.views.admin_catalog import upload_format

admin_holidays = Blueprint("admin_holidays", __name__, url_prefix="/admin/holidays")


def _page(year: int, problems: list[dict[str, Any]] | None = None, status: int = 200) -> Any:
    years = known_years(db())
    return (
        render_template(
            "admin/holidays.html",
            year=year,
            days=special_days(db(), year),
            years=years,
            known={y.year for y in years},
            problems=problems or [],
            kinds=list(DayKind),
        ),
        status,
    )


@admin_holidays.get("/")
@roles_required(Role.ADMIN)
def index() -> Any:
    year = request.args.get("year", type=int) or clock.local_now().year
    return _page(year)


@admin_holidays.post("/day")
@roles_required(Role.ADMIN)
def set_day() -> Any:
    try:
        day = dt.date.fromisoformat(request.form.get("date", ""))
    except ValueError:
        error = ValidationFailed([Problem("date", N_("Write the date as YYYY-MM-DD."))])
        return _page(clock.local_now().year, problem_list(error), 422)
    kind_text = request.form.get("kind", "")
    kind = DayKind(kind_text) if kind_text in DayKind.__members__.values() else None
    set_special_day(
        db(), day, kind, request.form.get("name", "").strip(), request.form.get("name_en", "")
    )
    audit.record(
        db(),
        current_user(),
        "holidays.set_day",
        day.isoformat(),
        {"kind": kind_text or "normal"},
        client_address(),
    )
    flash(gettext("Saved %(day)s.", day=day.isoformat()), "success")
    return redirect(url_for("admin_holidays.index", year=day.year))


@admin_holidays.post("/import")
@roles_required(Role.ADMIN)
def import_file() -> Any:
    upload = request.files.get("file")
    fmt = upload_format(upload.filename or "") if upload else None
    year = clock.local_now().year
    if upload is None or fmt is None:
        error = ValidationFailed([Problem("file", N_("Choose a .yaml, .yml or .csv file."))])
        return _page(year, problem_list(error), 422)
    try:
        rows = parse_schedule(upload.read().decode("utf-8-sig"), fmt)
        years = import_schedule(db(), rows, f"import {upload.filename}")
    except UnicodeDecodeError:
        error = ValidationFailed([Problem("file", N_("The file is not UTF-8 text."))])
        return _page(year, problem_list(error), 422)
    except DomainError as error:
        return _page(year, problem_list(error), 422)
    audit.record(
        db(),
        current_user(),
        "holidays.import",
        upload.filename or fmt,
        {"years": list(years)},
        client_address(),
    )
    flash(
        gettext("Imported the schedule of %(years)s.", years=", ".join(map(str, years))), "success"
    )
    return redirect(url_for("admin_holidays.index", year=years[-1]))
