import pytest

from catalog.items import SearchQuery, search_items
from catalog.models import Channel, ItemStatus
from tests import factories


@pytest.fixture
def catalog(session):
    factories.campus(session, "XL", "西岭校区")
    factories.department(session, "GRAD", "研究生院", name_en="Graduate School")
    return {
        "transcript": factories.item(
            session, code="ACAD-001", name="中文成绩单开具", name_en="Chinese academic transcript"
        ),
        "english": factories.item(
            session,
            code="ACAD-002",
            name="英文成绩单开具",
            name_en="English transcript",
            campuses=["XL"],
            channels=["online"],
        ),
        "thesis": factories.item(
            session,
            code="GRAD-001",
            name="学位论文提交",
            name_en="Thesis submission",
            department="GRAD",
            materials=[{"name": "论文纸质版", "form": "original", "copies": 2}],
        ),
        "draft": factories.item(session, code="ACAD-009", name="成绩单草稿事项", status="draft"),
    }


def codes(session, **query):
    items, total = search_items(session, SearchQuery(**query))
    assert total == len(items)
    return [item.code for item in items]


def test_a_chinese_substring_finds_items(session, catalog):
    assert codes(session, text="成绩单") == ["ACAD-001", "ACAD-002"]


def test_a_chinese_substring_in_the_middle_of_a_name_matches(session, catalog):
    assert codes(session, text="论文") == ["GRAD-001"]


def test_english_words_match_case_insensitively(session, catalog):
    assert codes(session, text="TRANSCRIPT") == ["ACAD-001", "ACAD-002"]


def test_pinyin_initials_match(session, catalog):
    assert codes(session, text="xwlw") == ["GRAD-001"]


def test_full_pinyin_matches(session, catalog):
    assert codes(session, text="chengjidan") == ["ACAD-001", "ACAD-002"]


def test_every_word_must_match(session, catalog):
    assert codes(session, text="成绩单 english") == ["ACAD-002"]


def test_a_material_name_matches(session, catalog):
    assert codes(session, text="纸质版") == ["GRAD-001"]


def test_the_department_name_matches(session, catalog):
    assert codes(session, text="研究生院") == ["GRAD-001"]


def test_an_exact_code_comes_first(session, catalog):
    assert codes(session, text="ACAD-002")[0] == "ACAD-002"


def test_like_wildcards_are_taken_literally(session, catalog):
    assert codes(session, text="%") == []
    assert codes(session, text="_") == []


def test_filters_by_department_campus_and_channel(session, catalog):
    assert codes(session, department="GRAD") == ["GRAD-001"]
    assert codes(session, campus="XL") == ["ACAD-002"]
    assert codes(session, channel=Channel.ONLINE) == ["ACAD-002"]


def test_drafts_are_found_only_when_asked(session, catalog):
    assert "ACAD-009" not in codes(session, text="成绩单")
    assert codes(session, text="成绩单", statuses=(ItemStatus.DRAFT,)) == ["ACAD-009"]


def test_results_are_paged_with_the_total(session, catalog):
    items, total = search_items(session, SearchQuery(limit=2, offset=2))
    assert total == 3
    assert [i.code for i in items] == ["GRAD-001"]
