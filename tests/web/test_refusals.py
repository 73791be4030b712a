"""A request that meets a domain refusal commits nothing, whatever it answers."""

from __future__ import annotations

import io

import pytest
from flask import flash, jsonify, redirect, render_template_string
from sqlalchemy import func, select

from catalog.models import Campus
from core.errors import Conflict, DomainError
from tests import factories
from tests.conftest import login
from web.auth import public
from web.db import db


def _flush_a_campus_then_refuse() -> None:
    db().add(Campus(code="ZZ", name="半途校区", name_en="Halfway", address=""))
    db().flush()
    raise Conflict("taken", "Someone was quicker.")


def _error_answer():
    _flush_a_campus_then_refuse()


def _redirect_with_a_message():
    try:
        _flush_a_campus_then_refuse()
    except DomainError as error:
        flash(error.message, "error")
    return redirect("/")


def _the_form_again():
    try:
        _flush_a_campus_then_refuse()
    except DomainError as error:
        return render_template_string("<form><p>{{ message }}</p></form>", message=error.message)
    return "saved"


def _no_refusal():
    db().add(Campus(code="ZZ", name="半途校区", name_en="Halfway", address=""))
    return jsonify(ok=True)


@pytest.fixture
def client_with(app):
    def add(view) -> object:
        app.add_url_rule("/_test/act", view_func=public(view), methods=["POST"])
        return app.test_client()

    return add


def campuses_named_zz(session) -> int:
    return session.scalar(select(func.count()).select_from(Campus).where(Campus.code == "ZZ"))


def test_a_refusal_answered_with_an_error_commits_nothing(client_with, session):
    response = client_with(_error_answer).post("/_test/act")
    assert response.status_code == 409
    assert campuses_named_zz(session) == 0


def test_a_refusal_answered_with_a_redirect_and_a_message_commits_nothing(client_with, session):
    response = client_with(_redirect_with_a_message).post("/_test/act")
    assert response.status_code == 302
    assert campuses_named_zz(session) == 0


def test_a_refusal_answered_with_the_form_again_commits_nothing(client_with, session):
    response = client_with(_the_form_again).post("/_test/act")
    assert response.status_code == 200
    assert "Someone was quicker." in response.get_data(as_text=True)
    assert campuses_named_zz(session) == 0


def test_a_request_without_a_refusal_commits(client_with, session):
    response = client_with(_no_refusal).post("/_test/act")
    assert response.json == {"ok": True}
    assert campuses_named_zz(session) == 1


def test_a_refused_event_on_the_consignment_page_keeps_not_even_its_photo(
    app, client, session, jpeg
):
    from courier.models import Photo

    teacher = factories.user(session, "zhang", factories.Role.TEACHER)
    consignment = factories.consignment(session, submitter=teacher)
    session.flush()
    login(client, "zhang")
    response = client.post(
        f"/consignments/{consignment.tracking_code}/events",
        data={"kind": "picked_up", "photo": (io.BytesIO(jpeg), "envelope.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert session.scalar(select(func.count()).select_from(Photo)) == 0
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You may not record" in page or "无权" in page
