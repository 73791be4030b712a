import time

import pytest
from sqlalchemy import select

from catalog.models import ServiceItem
from catalog.transfer import export_csv, import_catalog, neutralise_cell
from core.errors import ValidationFailed
from tests import factories

ALIAS_BOMB = """
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_a_yaml_alias_bomb_is_refused_at_once(session):
    started = time.monotonic()
    with pytest.raises(ValidationFailed) as refused:
        import_catalog(session, ALIAS_BOMB, "yaml")
    assert time.monotonic() - started < 1
    assert refused.value.problems[0].message == "YAML aliases (*name) are not accepted."
    assert refused.value.problems[0].line == 3


def test_an_import_over_the_size_limit_is_refused_before_parsing(session):
    with pytest.raises(ValidationFailed) as refused:
        import_catalog(session, "items: []\n" + "#" * 2000, "yaml", max_bytes=1024)
    assert refused.value.problems[0].params == {"kb": 1}


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@"])
def test_the_csv_export_quotes_cells_a_spreadsheet_would_run(session, prefix):
    factories.item(session, code="X-1", name=f'{prefix}HYPERLINK("http://evil.example")')
    exported = export_csv(session)
    assert f"'{prefix}HYPERLINK" in exported


@pytest.mark.parametrize("cell", ["\tcmd", "\r=1"])
def test_cells_starting_with_a_tab_or_carriage_return_are_quoted_too(cell):
    assert neutralise_cell(cell) == "'" + cell


def test_quoted_formula_cells_import_back_as_they_were(session):
    factories.item(session, code="X-1", name="=1+1")
    exported = export_csv(session)
    import_catalog(session, exported, "csv")
    session.expire_all()
    assert (
        session.scalars(select(ServiceItem).where(ServiceItem.code == "X-1")).one().name == "=1+1"
    )
