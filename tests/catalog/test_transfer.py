import pytest
from sqlalchemy import func, select

from catalog.models import ServiceItem
from catalog.transfer import export_csv, export_yaml, import_catalog
from core.errors import ValidationFailed
from tests import factories
from web.demo import CATALOG

DOCUMENT = """\
version: 1
campuses:
  - {code: NH, name: 南湖校区, name_en: Nanhu Campus, address: 南湖大道 88 号}
departments:
  - {code: ACAD, name: 教务处, name_en: Academic Affairs, campus: NH, phone: "027-1"}
locations:
  - {code: NH-HALL, name: 服务中心, campus: NH, kind: hall, department: null}
items:
  - code: ACAD-001
    name: 中文成绩单开具
    department: ACAD
    campuses: [NH]
    channels: [window, courier_proxy]
    time_limit_days: 2
    fee: free
    status: published
  - code: ACAD-002
    name: 在读证明
    department: ACAD
    campuses: [NH]
    channels: [online]
    time_limit_days: 0
    fee: 每份 2 元
    status: draft
"""


def count_items(session):
    return session.scalar(select(func.count()).select_from(ServiceItem))


def test_a_yaml_document_imports_places_and_items(session):
    report = import_catalog(session, DOCUMENT, "yaml")
    assert (report.created, report.updated, report.campuses, report.locations) == (2, 0, 1, 1)
    assert (
        session.scalar(select(ServiceItem.fee).where(ServiceItem.code == "ACAD-002")) == "每份 2 元"
    )


def test_importing_the_same_file_again_updates_instead_of_duplicating(session):
    import_catalog(session, DOCUMENT, "yaml")
    report = import_catalog(session, DOCUMENT, "yaml")
    assert (report.created, report.updated) == (0, 2)
    assert count_items(session) == 2


@pytest.mark.slow
def test_the_demo_catalog_round_trips_through_yaml_without_loss(session):
    import_catalog(session, CATALOG.read_text(encoding="utf-8"), "yaml")
    exported = export_yaml(session)
    import_catalog(session, exported, "yaml")
    assert export_yaml(session) == exported


@pytest.mark.slow
def test_the_demo_catalog_round_trips_through_csv_without_loss(session):
    import_catalog(session, CATALOG.read_text(encoding="utf-8"), "yaml")
    exported = export_csv(session)
    import_catalog(session, exported, "csv")
    assert export_csv(session) == exported


def test_a_csv_export_imports_into_an_empty_catalog_with_the_same_places(session):
    factories.item(
        session, code="ACAD-001", fee="每份 2 元", faq=[{"q": "能代办吗？", "a": "能。"}]
    )
    exported = export_csv(session)
    session.query(ServiceItem).delete()
    session.expunge_all()
    import_catalog(session, exported, "csv")
    assert export_csv(session) == exported


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(session):
    broken = DOCUMENT.replace("fee: free", "fee: ''").replace(
        "campuses: [NH]\n    channels: [online]", "campuses: [ZZ]\n    channels: [online]"
    )
    with pytest.raises(ValidationFailed) as caught:
        import_catalog(session, broken, "yaml")
    assert [(p.line, p.field) for p in caught.value.problems] == [(9, "fee"), (17, "campuses")]
    assert count_items(session) == 0


def test_a_csv_with_a_bad_row_names_its_line(session):
    factories.department(session)
    text = (
        "code,name,department,campuses,channels,time_limit_days,fee\n"
        "ACAD-001,成绩单,ACAD,NH,window,1,free\n"
        "ACAD-002,证明,ACAD,NH,window,many,free\n"
    )
    with pytest.raises(ValidationFailed) as caught:
        import_catalog(session, text, "csv")
    assert [(p.line, p.field) for p in caught.value.problems] == [(3, "time_limit_days")]
    assert count_items(session) == 0


def test_a_csv_without_required_columns_is_refused(session):
    with pytest.raises(ValidationFailed) as caught:
        import_catalog(session, "code,name\nA-1,x\n", "csv")
    assert caught.value.problems[0].line == 1


def test_invalid_json_in_a_materials_cell_is_reported(session):
    factories.department(session)
    text = (
        "code,name,department,campuses,channels,time_limit_days,fee,materials\n"
        'ACAD-001,成绩单,ACAD,NH,window,1,free,"[{broken"\n'
    )
    with pytest.raises(ValidationFailed) as caught:
        import_catalog(session, text, "csv")
    assert caught.value.problems[0].field == "materials"


def test_a_duplicate_code_in_one_file_is_refused(session):
    doubled = DOCUMENT.replace("ACAD-002", "ACAD-001")
    with pytest.raises(ValidationFailed) as caught:
        import_catalog(session, doubled, "yaml")
    assert caught.value.problems[0].field == "code"


def test_malformed_yaml_is_reported_with_its_line(session):
    with pytest.raises(ValidationFailed) as caught:
        import_catalog(session, "items:\n  - code: [unclosed\n", "yaml")
    [problem] = caught.value.problems
    # The parser notices the unclosed list where the document ends, on the line after it.
    assert (problem.message, problem.line) == ("Not valid YAML.", 3)


def test_a_yaml_document_that_is_not_a_mapping_is_refused(session):
    with pytest.raises(ValidationFailed):
        import_catalog(session, "- just\n- a list\n", "yaml")


def test_the_demo_catalog_is_large_and_published(session):
    import_catalog(session, CATALOG.read_text(encoding="utf-8"), "yaml")
    assert count_items(session) >= 60
    assert session.scalar(select(func.count(func.distinct(ServiceItem.department_id)))) >= 12


def test_english_fees_notes_and_questions_survive_a_csv_round_trip(session):
    factories.item(
        session,
        code="ACAD-301",
        fee="每份 2 元",
        fee_en="2 yuan a copy",
        materials=[
            {"name": "申请表", "form": "original", "notes": "需盖章", "notes_en": "Stamped"}
        ],
        faq=[{"q": "多久？", "a": "三天", "q_en": "How long?", "a_en": "Three days"}],
    )
    exported = export_csv(session)
    assert "2 yuan a copy" in exported
    import_catalog(session, exported, "csv")
    assert export_csv(session) == exported
