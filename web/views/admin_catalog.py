"""Administrators edit the catalog: create, edit, publish, retire, import and export items."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from sqlalchemy import select

from catalog.items import (
    create_item,
    get_item,
    publish_item,
    retire_item,
    save_item,
    validate_item,
)
from catalog.models import (
    Campus,
    Channel,
    Department,
    ItemStatus,
    MaterialForm,
    ServiceCategory,
    ServiceItem,
)
from catalog.transfer import export_csv, export_yaml, import_catalog, item_record
from core.errors import DomainError, ValidationFailed
from core.users import Role
from services import audit
from web.auth import current_user, roles_required
from web.db import db
from web.errors import problem_list
from web.params import import_limit
from web.throttling import client_address
from web.views.catalog import query_from_args, search_page

admin_catalog = Blueprint("admin_catalog", __name__, url_prefix="/admin/catalog")
EXTRA_MATERIAL_ROWS = 3


def _form_choices() -> dict[str, Any]:
    return {
        "departments": db().scalars(select(Department).order_by(Department.code)).all(),
        "categories": db()
        .scalars(select(ServiceCategory).order_by(ServiceCategory.position, ServiceCategory.code))
        .all(),
        "campuses": db().scalars(select(Campus).order_by(Campus.code)).all(),
        "channels": list(Channel),
        "forms": list(MaterialForm),
    }


def _nth(values: list[str], index: int) -> str:
    """The ``index``-th of a repeated field, or empty (a form from before the field existed)."""
    return values[index] if index < len(values) else ""


def _raw_from_form(form: Any) -> dict[str, Any]:
    """The submitted form as the raw mapping :func:`catalog.items.parse_item` checks."""
    materials = []
    for index, name in enumerate(form.getlist("material_name")):
        if not name.strip():
            continue
        materials.append(
            {
                "name": name,
                "name_en": form.getlist("material_name_en")[index],
                "form": form.getlist("material_form")[index],
                "copies": form.getlist("material_copies")[index],
                "notes": form.getlist("material_notes")[index],
                "notes_en": _nth(form.getlist("material_notes_en"), index),
            }
        )
    questions, answers = form.getlist("faq_q"), form.getlist("faq_a")
    english_q, english_a = form.getlist("faq_q_en"), form.getlist("faq_a_en")
    faq = [
        {"q": q, "a": a, "q_en": _nth(english_q, index), "a_en": _nth(english_a, index)}
        for index, (q, a) in enumerate(zip(questions, answers, strict=False))
        if q.strip() or a.strip()
    ]
    return {
        "code": form.get("code", ""),
        "name": form.get("name", ""),
        "name_en": form.get("name_en", ""),
        "department": form.get("department", ""),
        "category": form.get("category", ""),
        "joint_departments": [code for code in form.getlist("joint_department") if code.strip()],
        "campuses": form.getlist("campuses"),
        "channels": form.getlist("channels"),
        "time_limit_days": form.get("time_limit_days", ""),
        "sla_starts": form.get("sla_starts", ""),
        "fee": "free" if form.get("fee_free") else form.get("fee", ""),
        "fee_en": form.get("fee_en", ""),
        "legal_basis": form.get("legal_basis", ""),
        "legal_basis_en": form.get("legal_basis_en", ""),
        "contact": form.get("contact", ""),
        "contact_en": form.get("contact_en", ""),
        "description": form.get("description", ""),
        "description_en": form.get("description_en", ""),
        "materials": materials,
        "faq": faq,
    }


@admin_catalog.get("/")
@roles_required(Role.ADMIN)
def index() -> str:
    status = request.args.get("status")
    statuses = (
        (ItemStatus(status),) if status in ItemStatus.__members__.values() else tuple(ItemStatus)
    )
    return render_template(
        "admin/catalog_list.html",
        **search_page(query_from_args(request.args, statuses=statuses)),
        statuses=list(ItemStatus),
        args=request.args,
    )


def _render_form(raw: dict[str, Any], item: ServiceItem | None, problems: Any = None) -> Any:
    rows = len(raw.get("materials", [])) + EXTRA_MATERIAL_ROWS
    status = 422 if problems else 200
    return (
        render_template(
            "admin/item_form.html",
            raw=raw,
            item=item,
            problems=problems or [],
            material_rows=rows,
            **_form_choices(),
        ),
        status,
    )


@admin_catalog.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new() -> Any:
    if request.method == "GET":
        return _render_form({"fee": "free", "time_limit_days": 3, "materials": [], "faq": []}, None)
    raw = _raw_from_form(request.form)
    raw["status"] = ItemStatus.DRAFT.value
    try:
        item = create_item(db(), validate_item(db(), raw))
    except DomainError as error:
        return _render_form(raw, None, problem_list(error))
    flash(gettext("Saved %(code)s as a draft.", code=item.code), "success")
    return redirect(url_for("admin_catalog.edit", code=item.code))


@admin_catalog.route("/<code>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(code: str) -> Any:
    item = get_item(db(), code, published_only=False)
    if request.method == "GET":
        return _render_form(item_record(item), item)
    raw = _raw_from_form(request.form)
    raw["status"] = str(item.status)
    try:
        item = save_item(db(), validate_item(db(), raw), expected_code=item.code)
    except DomainError as error:
        return _render_form(raw, item, problem_list(error))
    if item.status == ItemStatus.PUBLISHED:
        message = gettext(
            "Saved and republished %(code)s as version %(version)s.",
            code=item.code,
            version=item.version,
        )
    else:
        message = gettext("Saved %(code)s.", code=item.code)
    flash(message, "success")
    return redirect(url_for("admin_catalog.edit", code=item.code))


@admin_catalog.post("/<code>/publish")
@roles_required(Role.ADMIN)
def publish(code: str) -> Any:
    item = publish_item(db(), code)
    audit.record(
        db(),
        current_user(),
        "catalog.publish",
        item.code,
        {"version": item.version},
        client_address(),
    )
    flash(
        gettext("Published %(code)s, version %(version)s.", code=item.code, version=item.version),
        "success",
    )
    return redirect(url_for("admin_catalog.edit", code=item.code))


@admin_catalog.post("/<code>/retire")
@roles_required(Role.ADMIN)
def retire(code: str) -> Any:
    item = retire_item(db(), code)
    audit.record(db(), current_user(), "catalog.retire", item.code, address=client_address())
    flash(
        gettext("Retired %(code)s; it no longer appears in the public catalog.", code=item.code),
        "success",
    )
    return redirect(url_for("admin_catalog.edit", code=item.code))


def upload_format(filename: str) -> str | None:
    """``yaml`` or ``csv`` from a file name, or ``None`` for anything else."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return {"yaml": "yaml", "yml": "yaml", "csv": "csv"}.get(suffix)


@admin_catalog.route("/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def import_file() -> Any:
    if request.method == "GET":
        return render_template("admin/import.html", problems=[], report=None)
    upload = request.files.get("file")
    fmt = upload_format(upload.filename or "") if upload else None
    if upload is None or fmt is None:
        message = gettext("Choose a .yaml, .yml or .csv file.")
        return render_template(
            "admin/import.html",
            problems=[{"field": "file", "line": None, "message": message}],
            report=None,
        ), 422
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        message = gettext("The file is not UTF-8 text.")
        return render_template(
            "admin/import.html",
            problems=[{"field": "file", "line": None, "message": message}],
            report=None,
        ), 422
    try:
        report = import_catalog(db(), text, fmt, import_limit())
    except ValidationFailed as error:
        return render_template(
            "admin/import.html", problems=problem_list(error), report=None, filename=upload.filename
        ), 422
    audit.record(
        db(),
        current_user(),
        "catalog.import",
        upload.filename or fmt,
        {"format": fmt},
        client_address(),
    )
    return render_template(
        "admin/import.html", problems=[], report=report, filename=upload.filename
    )


@admin_catalog.get("/export.<fmt>")
@roles_required(Role.ADMIN)
def export(fmt: str) -> Any:
    if fmt == "yaml":
        body, mimetype = export_yaml(db()), "application/yaml"
    elif fmt == "csv":
        body, mimetype = "\ufeff" + export_csv(db()), "text/csv"
    else:
        return redirect(url_for("admin_catalog.index"))
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename=catalog.{fmt}"},
    )
