"""The guide's service categories, and items several departments handle in turn (联审联办)."""

import pytest
import yaml
from sqlalchemy import select

from catalog.items import SearchQuery, categories_with_counts, search_items, validate_item
from catalog.models import ServiceCategory, ServiceItem
from catalog.transfer import export_csv, export_yaml, import_catalog
from core.errors import ValidationFailed
from tests import factories
from web.demo import CATALOG

SEED_CATEGORIES = [
    "综合办公", "科研事务", "人事事务", "本科生服务", "研究生服务", "信息化服务",
    "后勤安保", "资源服务", "校园活动", "财务资产", "实验室与设备", "国际交流",
]  # fmt: skip


def _two_offices(session, second_campus="NH"):
    factories.department(session, "SCI", name="科学技术处", campus=factories.campus(session, "NH"))
    factories.department(
        session, "ARCH", name="档案馆", campus=factories.campus(session, second_campus)
    )


def _problem_fields(refused):
    return [problem.field for problem in refused.value.problems]


def test_the_guide_filtered_by_a_category_lists_only_its_items(session):
    research = factories.item(session, category="RESEARCH")
    factories.item(session, category="FINANCE")
    items, total = search_items(session, SearchQuery(category="RESEARCH"))
    assert ([i.code for i in items], total) == ([research.code], 1)


def test_each_category_counts_its_published_items(session):
    factories.item(session, category="RESEARCH")
    factories.item(session, category="RESEARCH", status="draft")
    counts = {c.category.code: c.items for c in categories_with_counts(session)}
    assert counts == {"RESEARCH": 1}


def test_an_unknown_category_is_refused(session):
    factories.department(session, "ACAD")
    with pytest.raises(ValidationFailed) as refused:
        validate_item(session, factories.item_raw(category="NOPE"))
    assert _problem_fields(refused) == ["category"]


def test_a_joint_item_keeps_its_departments_in_order(session):
    _two_offices(session)
    item = factories.item(session, department="SCI", joint_departments=["SCI", "ARCH"])
    assert [d.code for d in item.joint_departments] == ["SCI", "ARCH"]


def test_joint_handling_with_a_single_department_is_refused(session):
    _two_offices(session)
    with pytest.raises(ValidationFailed) as refused:
        validate_item(session, factories.item_raw(department="SCI", joint_departments=["SCI"]))
    assert _problem_fields(refused) == ["joint_departments"]


def test_a_department_twice_in_the_order_is_refused(session):
    _two_offices(session)
    with pytest.raises(ValidationFailed) as refused:
        validate_item(
            session,
            factories.item_raw(department="SCI", joint_departments=["SCI", "ARCH", "SCI"]),
        )
    assert _problem_fields(refused) == ["joint_departments"]


def test_joint_departments_on_two_campuses_are_refused(session):
    _two_offices(session, second_campus="XL")
    with pytest.raises(ValidationFailed) as refused:
        validate_item(
            session, factories.item_raw(department="SCI", joint_departments=["SCI", "ARCH"])
        )
    assert _problem_fields(refused) == ["joint_departments"]


def test_reordering_the_departments_of_a_saved_item_keeps_the_new_order(session):
    _two_offices(session)
    item = factories.item(
        session, code="SCI-007", department="SCI", joint_departments=["SCI", "ARCH"]
    )
    factories.item(session, code="SCI-007", department="SCI", joint_departments=["ARCH", "SCI"])
    session.refresh(item)
    assert [d.code for d in item.joint_departments] == ["ARCH", "SCI"]


def test_a_csv_export_carries_the_category_and_the_departments_in_turn(session):
    _two_offices(session)
    factories.item(
        session, department="SCI", category="RESEARCH", joint_departments=["SCI", "ARCH"]
    )
    row = export_csv(session).splitlines()[1]
    assert ",RESEARCH,SCI|ARCH," in row


def test_a_yaml_import_brings_categories_and_joint_items(session):
    import_catalog(session, CATALOG.read_text(encoding="utf-8"), "yaml")
    document = yaml.safe_load(export_yaml(session))
    joint = {i["code"]: i["joint_departments"] for i in document["items"] if i["joint_departments"]}
    assert joint == {"SCI-007": ["SCI", "ARCH"]}


def test_the_demo_catalog_has_the_seed_s_twelve_categories_in_order(session):
    import_catalog(session, CATALOG.read_text(encoding="utf-8"), "yaml")
    names = session.scalars(select(ServiceCategory.name).order_by(ServiceCategory.position))
    assert list(names) == SEED_CATEGORIES


def test_every_demo_item_has_a_category(session):
    import_catalog(session, CATALOG.read_text(encoding="utf-8"), "yaml")
    items = session.scalars(select(ServiceItem)).all()
    assert [i.code for i in items if i.category is None] == []
