import pytest

from tests import factories


@pytest.fixture
def courier_world(session):
    """Nanhu (NH) and Xiling (XL) campuses with shuttle stops, a department on XL and its
    courier-proxy service item ACAD-001 (a student ID card to enclose)."""
    factories.campus(session, "NH", "南湖校区")
    xl = factories.campus(session, "XL", "西岭校区")
    factories.department(session, "ACAD", "教务处", campus=xl)
    factories.location(session, "NH-STOP", "NH")
    factories.location(session, "XL-STOP", "XL")
    return factories.item(
        session,
        code="ACAD-001",
        campuses=["XL"],
        channels=["window", "courier_proxy"],
        materials=[{"name": "学生证", "form": "original"}],
    )
