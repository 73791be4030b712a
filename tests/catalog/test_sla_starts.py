"""Each service item says when its time limit starts: at 受理 by default, or at submission."""

from catalog.items import item_record, parse_item
from catalog.models import SlaStart
from tests import factories


def parsed(**overrides):
    return parse_item(factories.item_raw(**overrides), ["ACAD"], ["NH", "XL"])


def test_the_time_limit_starts_at_acceptance_unless_the_item_says_otherwise():
    data, problems = parsed()
    assert problems == []
    assert data.sla_starts is SlaStart.ACCEPTED


def test_an_item_may_start_its_time_limit_at_submission():
    data, _problems = parsed(sla_starts="submitted")
    assert data.sla_starts is SlaStart.SUBMITTED


def test_an_unknown_start_is_refused_by_field():
    _data, problems = parsed(sla_starts="tomorrow")
    assert [p.field for p in problems] == ["sla_starts"]


def test_the_start_survives_export_and_import(session):
    factories.department(session, "ACAD")
    item = factories.item(session, sla_starts="submitted")
    assert item_record(item)["sla_starts"] == "submitted"
