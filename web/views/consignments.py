"""Teachers' and students' pages: submit a consignment, print its label, follow its timeline."""

from __future__ import annotations

import uuid
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from sqlalchemy import select

from catalog.items import SearchQuery, search_items
from catalog.models import Affiliation, Campus, Channel, ItemChannel, ItemStatus, ServiceItem
from core.errors import DomainError
from core.users import Role
from courier import ratings as agent_ratings
from courier.agents import materials_requests
from courier.consignments import (
    NewConsignment,
    consignments_of,
)
from courier.custody import allowed_now, may_record, must
from courier.models import Consignment, Photo, Priority
from courier.photos import store_photo
from courier.states import Kind
from courier.timeline import timeline
from feedback import follow_ups
from feedback.models import Source as FollowUpSource
from routes.plans import history, plan_of
from services import consignments as use_cases
from web.auth import current_user, login_required, roles_required
from web.db import db
from web.errors import problem_list
from web.formatting import label
from web.labelling import label_response, route_text
from web.params import form_key, label_key, phone_regions

consignments = Blueprint("consignments", __name__, url_prefix="/consignments")
SUBMITTERS = (Role.TEACHER, Role.STUDENT)
#: Items the send form's picker lists for a search.
PICKER_LIMIT = 50
#: Events people record with a form on the consignment page, in the order the buttons appear.
#: The agent's steps are on the agent desk's page (web/views/agents.py).
PAGE_EVENTS = (
    Kind.PLACED_FOR_PICKUP,
    Kind.PICKED_UP,
    Kind.MISSING,
    Kind.MISROUTED,
    Kind.RETURNED_TO_SENDER,
    Kind.DAMAGED,
    Kind.CANCELLED,
)


def proxy_items(text: str = "") -> list[ServiceItem]:
    """Published items the courier can carry papers for, by department; with ``text``, those
    it finds by name, full pinyin or initials ("zzzm" finds 在职证明), best matches first."""
    if text.strip():
        found, _total = search_items(
            db(), SearchQuery(text=text, channel=Channel.COURIER_PROXY, limit=PICKER_LIMIT)
        )
        return found
    return list(
        db().scalars(
            select(ServiceItem)
            .where(
                ServiceItem.status == ItemStatus.PUBLISHED,
                ServiceItem.id.in_(
                    select(ItemChannel.item_id).where(ItemChannel.channel == Channel.COURIER_PROXY)
                ),
            )
            .order_by(ServiceItem.department_id, ServiceItem.code)
        )
    )


def _form_page(
    form: dict[str, Any],
    problems: list[dict[str, Any]],
    status: int = 200,
    offer_later: bool = False,
) -> Any:
    items = proxy_items(form.get("item_q", ""))
    chosen = next((i for i in proxy_items() if i.code == form.get("service_item")), None)
    if chosen is not None and chosen not in items:
        items.insert(0, chosen)
    return (
        render_template(
            "consignments/new.html",
            items=items,
            chosen=chosen,
            campuses=db().scalars(select(Campus).order_by(Campus.code)).all(),
            form=form,
            problems=problems,
            offer_later=offer_later,
        ),
        status,
    )


@consignments.route("/new", methods=["GET", "POST"])
@roles_required(*SUBMITTERS)
def new() -> Any:
    user = current_user()
    if request.method == "GET" or request.form.get("choose"):
        affiliation = db().get(Affiliation, user.id)
        home = affiliation.campus.code if affiliation else ""
        form = {
            "service_item": request.values.get("item") or request.form.get("service_item", ""),
            "item_q": request.form.get("item_q", "").strip()[:100],
            "origin_campus": request.form.get("origin_campus") or home,
            "pickup_campus": request.form.get("pickup_campus") or home,
            "recipient": "self",
            "pages": 1,
            "documents": 1,
        }
        return _form_page(form, [])
    form = request.form.to_dict()
    to_self = form.get("recipient", "self") == "self"
    try:
        consignment = use_cases.submit(
            db(),
            user,
            NewConsignment(
                service_item=form.get("service_item", ""),
                origin_campus=form.get("origin_campus") or None,
                pickup_campus=form.get("pickup_campus") or None,
                recipient_name="" if to_self else form.get("recipient_name", ""),
                recipient_phone="" if to_self else form.get("recipient_phone", ""),
                pages=request.form.get("pages", 1, type=int) or 0,
                documents=request.form.get("documents", 1, type=int) or 0,
                contains_originals=bool(form.get("contains_originals")),
                materials_checked=request.form.getlist("materials"),
                priority=Priority.URGENT if form.get("urgent") else Priority.NORMAL,
            ),
            label_key(),
            accept_later=bool(form.get("accept_later")),
            phone_regions=phone_regions(),
            key=form_key(),
        ).consignment
    except DomainError as error:
        offer = error.code == "unreachable" and "earliest" in error.params
        return _form_page(form, problem_list(error), 422, offer_later=offer)
    flash(gettext("Submitted. Print the label and stick it on the envelope."), "success")
    return redirect(url_for("consignments.detail", code=consignment.tracking_code))


@consignments.get("/")
@login_required
def mine() -> str:
    return render_template(
        "consignments/mine.html", consignments=consignments_of(db(), current_user())
    )


def _visible(code: str) -> Consignment:
    return use_cases.visible(db(), current_user(), code, label_key())


def possible_events(consignment: Consignment) -> list[Kind]:
    """The page's events this user may record now, with the state machine's consent."""
    user = current_user()
    return allowed_now(
        consignment, (kind for kind in PAGE_EVENTS if may_record(user, consignment, kind))
    )


@consignments.get("/<code>")
@login_required
def detail(code: str) -> str:
    consignment = _visible(code)
    return render_template(
        "consignments/detail.html",
        consignment=consignment,
        view=timeline(db(), consignment),
        route=route_text(consignment),
        plan=plan_of(db(), consignment.id),
        eta_changes=history(db(), consignment.id),
        actions=possible_events(consignment),
        event_id=uuid.uuid4(),
        requests=materials_requests(db(), consignment),
        rating=agent_ratings.rating_of(db(), consignment),
        may_rate=agent_ratings.may_rate(db(), consignment, current_user()),
        follow_up=follow_ups.of_subject(db(), FollowUpSource.AGENT, consignment.id),
    )


@consignments.post("/<code>/events")
@login_required
def add_event(code: str) -> Any:
    consignment = _visible(code)
    kind_text = request.form.get("kind", "")
    if kind_text not in Kind.__members__.values():
        abort(400)
    photo = None
    upload = request.files.get("photo")
    try:
        if upload is not None and upload.filename:
            photo = store_photo(db(), upload.read(), current_user())
        must(
            use_cases.record(
                db(),
                current_user(),
                consignment,
                Kind(kind_text),
                f"web:{request.form.get('event_id') or uuid.uuid4()}",
                notes=request.form.get("notes", "")[:2000],
                photo=photo,
            )
        )
    except DomainError as error:
        # The request commits nothing, not even the photo that came with the refusal.
        flash(problem_list(error)[0]["message"], "error")
    else:
        flash(gettext("Recorded: %(kind)s.", kind=label(kind_text, Kind)), "success")
    return redirect(url_for("consignments.detail", code=consignment.tracking_code))


@consignments.get("/<code>/label")
@login_required
def label_file(code: str) -> Any:
    return label_response(_visible(code), request.args.get("format", "thermal"))


@consignments.get("/<code>/print")
@login_required
def print_label(code: str) -> str:
    """The 60x40 mm label at its real size, for printing from the browser."""
    return render_template("consignments/print_label.html", consignment=_visible(code))


#: Labels one batch sheet takes at most (five A4 pages of 18).
MAX_BATCH = 90


@consignments.get("/sheet")
@login_required
def print_sheet() -> Any:
    """An A4 sheet of the chosen consignments' labels (``?code=...`` repeated)."""
    codes = list(dict.fromkeys(request.args.getlist("code")))[:MAX_BATCH]
    if not codes:
        flash(gettext("Choose the consignments whose labels to print."), "error")
        return redirect(url_for("consignments.mine"))
    return render_template(
        "consignments/print_sheet.html", consignments=[_visible(code) for code in codes]
    )


@consignments.get("/<code>/photos/<int:photo_id>")
@login_required
def photo(code: str, photo_id: int) -> Any:
    consignment = _visible(code)
    stored = db().get(Photo, photo_id)
    if stored is None or photo_id not in {e.photo_id for e in consignment.events}:
        abort(404)
    return Response(stored.data, mimetype=stored.content_type)
