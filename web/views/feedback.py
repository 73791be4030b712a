"""好差评 pages: the teacher's rating of a 代办 (一事一评), and a poor rating's follow-up (整改)
for the staff responsible, the rater (appeal) and administrators (list, review)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from core.errors import DomainError
from core.satisfaction import LEVELS
from core.users import Role, User
from courier import ratings as agent_ratings
from feedback import follow_ups
from feedback.models import Decision, FollowUp, Source, State
from services import ratings as rating_use_cases
from services.consignments import visible
from tickets.ratings import REASONS as WINDOW_REASONS
from web.auth import current_user, login_required, roles_required
from web.db import db
from web.errors import problem_list
from web.params import label_key

feedback = Blueprint("feedback", __name__)


def _user() -> User:
    user = current_user()
    assert user is not None  # the views below need a login
    return user


def _refuse(error: DomainError) -> None:
    for problem in problem_list(error):
        flash(problem["message"], "error")


def reasons_of(follow_up: FollowUp) -> dict[str, str]:
    """The reason labels (msgids) of the service the follow-up's rating was about."""
    return agent_ratings.REASONS if follow_up.source is Source.AGENT else WINDOW_REASONS


@feedback.get("/consignments/<code>/rate")
@login_required
def rate_page(code: str) -> str:
    consignment = visible(db(), current_user(), code, label_key())
    rating = agent_ratings.rating_of(db(), consignment)
    if rating is None and not agent_ratings.may_rate(db(), consignment, _user()):
        abort(404)
    return render_template(
        "feedback/rate.html",
        consignment=consignment,
        rating=rating,
        follow_up=follow_ups.of_subject(db(), Source.AGENT, consignment.id),
        levels=LEVELS,
        reasons=agent_ratings.REASONS,
    )


@feedback.post("/consignments/<code>/rate")
@login_required
def rate(code: str) -> Any:
    consignment = visible(db(), current_user(), code, label_key())
    try:
        _rating, follow_up = rating_use_cases.rate_consignment(
            db(),
            consignment,
            _user(),
            request.form.get("level", 0, type=int),
            request.form.getlist("reasons"),
            request.form.get("comment", ""),
        )
    except DomainError as error:
        _refuse(error)
        return redirect(url_for("feedback.rate_page", code=code))
    if follow_up is not None:
        flash(gettext("Thank you. We are sorry: the staff will follow this up."), "success")
    else:
        flash(gettext("Thank you for your rating."), "success")
    return redirect(url_for("feedback.rate_page", code=code))


@feedback.get("/follow-ups/")
@login_required
def mine() -> str:
    return render_template(
        "feedback/list.html",
        follow_ups=follow_ups.find(db(), user=_user()),
        levels=LEVELS,
        admin_view=False,
    )


@feedback.get("/admin/follow-ups")
@roles_required(Role.ADMIN)
def admin_list() -> str:
    state = request.args.get("state", "")
    source = request.args.get("source", "")
    overdue = request.args.get("overdue") == "1"
    return render_template(
        "feedback/list.html",
        follow_ups=follow_ups.find(
            db(),
            state=State(state) if state in State.__members__.values() else None,
            source=Source(source) if source in Source.__members__.values() else None,
            overdue=overdue,
        ),
        levels=LEVELS,
        admin_view=True,
        filters={"state": state, "source": source, "overdue": overdue},
        states=list(State),
        sources=list(Source),
    )


@feedback.get("/follow-ups/<int:follow_up_id>")
@login_required
def detail(follow_up_id: int) -> str:
    user = _user()
    follow_up = follow_ups.get(db(), follow_up_id, user)
    return render_template(
        "feedback/detail.html",
        follow_up=follow_up,
        levels=LEVELS,
        reasons=reasons_of(follow_up),
        may_rectify=follow_up.state is State.OPEN
        and (user.id == follow_up.assignee_id or user.has_role(Role.ADMIN)),
        may_appeal=follow_up.state is State.RECTIFIED and user.id == follow_up.rater_id,
        may_review=follow_up.state in (State.RECTIFIED, State.APPEALED)
        and user.has_role(Role.ADMIN),
    )


def _act(follow_up_id: int, done: str, act: Any) -> Any:
    follow_up = follow_ups.get(db(), follow_up_id, _user())
    try:
        act(follow_up)
    except DomainError as error:
        _refuse(error)
    else:
        flash(done, "success")
    return redirect(url_for("feedback.detail", follow_up_id=follow_up_id))


@feedback.post("/follow-ups/<int:follow_up_id>/rectify")
@roles_required(Role.CLERK, Role.HALL_STAFF)
def rectify(follow_up_id: int) -> Any:
    note = request.form.get("note", "")
    return _act(
        follow_up_id,
        gettext("Rectification recorded; the rater has been told."),
        lambda f: follow_ups.rectify(db(), f, _user(), note),
    )


@feedback.post("/follow-ups/<int:follow_up_id>/appeal")
@login_required
def appeal(follow_up_id: int) -> Any:
    reason = request.form.get("reason", "")
    return _act(
        follow_up_id,
        gettext("Appeal sent; an administrator will review it."),
        lambda f: follow_ups.appeal(db(), f, _user(), reason),
    )


@feedback.post("/follow-ups/<int:follow_up_id>/review")
@roles_required(Role.ADMIN)
def review(follow_up_id: int) -> Any:
    decision = request.form.get("decision", "")
    if decision not in Decision.__members__.values():
        abort(400)
    note = request.form.get("note", "")
    return _act(
        follow_up_id,
        gettext("Review recorded."),
        lambda f: follow_ups.review(db(), f, _user(), Decision(decision), note),
    )
