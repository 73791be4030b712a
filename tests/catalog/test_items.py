import pytest

from catalog.items import (
    create_item,
    get_item,
    parse_item,
    publish_item,
    retire_item,
    save_item,
    validate_item,
)
from catalog.models import Channel, ItemStatus
from core.errors import Conflict, NotFound, ValidationFailed
from tests import factories


def problems_of(raw):
    data, problems = parse_item(raw, ["ACAD"], ["NH", "XL"], line=7)
    assert data is None
    return {p.field: p for p in problems}


def test_a_valid_item_is_accepted_and_normalised():
    data, problems = parse_item(
        factories.item_raw(code="acad-100", campuses="NH|XL"), ["ACAD"], ["NH", "XL"]
    )
    assert problems == []
    assert data.code == "ACAD-100"
    assert data.campuses == ["NH", "XL"]


def test_free_must_be_written_out():
    problem = problems_of(factories.item_raw(fee=""))["fee"]
    assert "free" in problem.message


def test_the_word_free_in_chinese_also_means_free():
    data, _ = parse_item(factories.item_raw(fee="免费"), ["ACAD"], ["NH"])
    assert data.fee is None


def test_a_fee_text_is_kept():
    data, _ = parse_item(factories.item_raw(fee="每份 2 元"), ["ACAD"], ["NH"])
    assert data.fee == "每份 2 元"


def test_problems_carry_the_line_they_come_from():
    assert problems_of(factories.item_raw(department="NOPE"))["department"].line == 7


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", "x"),
        ("name", ""),
        ("department", "NOPE"),
        ("campuses", []),
        ("campuses", ["ZZ"]),
        ("channels", ["fax"]),
        ("channels", []),
        ("time_limit_days", -1),
        ("time_limit_days", "three"),
        ("status", "archived"),
        ("materials", [{"name": "", "form": "original"}]),
        ("materials", [{"name": "学生证", "form": "scan"}]),
        ("materials", [{"name": "学生证", "copies": 0}]),
        ("faq", [{"q": "可以代办吗？"}]),
    ],
)
def test_invalid_fields_are_named(field, value):
    assert field in problems_of(factories.item_raw(**{field: value}))


def test_proxy_allowed_must_agree_with_the_courier_proxy_channel():
    raw = factories.item_raw(channels=["online"], proxy_allowed=True)
    assert "proxy_allowed" in problems_of(raw)


def test_proxy_is_allowed_exactly_when_the_courier_may_carry_the_papers(session):
    item = factories.item(session, channels=["window", "courier_proxy"])
    assert item.proxy_allowed
    assert not factories.item(session, channels=["online"]).proxy_allowed


def test_a_new_published_item_is_version_one(session):
    item = factories.item(session, status="published")
    assert item.status == ItemStatus.PUBLISHED
    assert item.version == 1
    assert item.published_at is not None


def test_a_draft_is_not_visible_to_the_public(session):
    item = factories.item(session, status="draft")
    with pytest.raises(NotFound):
        get_item(session, item.code)
    assert get_item(session, item.code, published_only=False).version == 0


def test_each_publish_grows_the_version(session):
    item = factories.item(session, status="draft")
    publish_item(session, item.code)
    retire_item(session, item.code)
    assert publish_item(session, item.code).version == 2


def test_saving_a_changed_published_item_publishes_the_next_version(session):
    item = factories.item(session)
    raw = factories.item_raw(code=item.code, name="中文成绩单开具（新）")
    assert save_item(session, validate_item(session, raw)).version == 2


def test_saving_an_unchanged_published_item_keeps_its_version(session):
    raw = factories.item_raw()
    item = factories.item(session, **raw)
    assert save_item(session, validate_item(session, raw)).version == item.version == 1


def test_a_retired_item_leaves_the_public_catalog(session):
    item = factories.item(session)
    retire_item(session, item.code)
    with pytest.raises(NotFound):
        get_item(session, item.code)


def test_creating_an_item_with_a_taken_code_is_refused(session):
    item = factories.item(session)
    with pytest.raises(Conflict):
        create_item(session, validate_item(session, factories.item_raw(code=item.code)))


def test_renaming_onto_another_items_code_is_refused(session):
    first, second = factories.item(session), factories.item(session)
    raw = factories.item_raw(code=second.code)
    with pytest.raises(Conflict):
        save_item(session, validate_item(session, raw), expected_code=first.code)


def test_materials_keep_their_order(session):
    materials = [{"name": n, "form": "copy"} for n in ("身份证", "学生证", "申请表")]
    item = factories.item(session, materials=materials)
    assert [m.name for m in item.materials] == ["身份证", "学生证", "申请表"]


def test_channels_keep_the_catalog_order(session):
    item = factories.item(session, channels=["courier_proxy", "online", "window"])
    assert item.channels == [Channel.ONLINE, Channel.WINDOW, Channel.COURIER_PROXY]


def test_validate_item_raises_with_every_problem(session):
    factories.department(session)
    with pytest.raises(ValidationFailed) as caught:
        validate_item(session, factories.item_raw(name="", fee=""))
    assert {p.field for p in caught.value.problems} == {"name", "fee"}
