import pytest

from core.errors import ValidationFailed
from core.phones import mobile_number


@pytest.mark.parametrize("typed", ["13800138000", "+86 138 0013 8000", "138-0013-8000"])
def test_a_mainland_mobile_is_kept_as_its_eleven_digits(typed):
    assert mobile_number(typed) == "13800138000"


@pytest.mark.parametrize(
    "typed", ["12345", "138000000", "+882 1234 5679", "010-12345678", "+85291234567", "abc"]
)
def test_anything_but_a_mainland_mobile_is_refused_by_default(typed):
    with pytest.raises(ValidationFailed):
        mobile_number(typed)


def test_another_region_is_accepted_when_configured():
    assert mobile_number("+852 9123 4567", ("CN", "HK")) == "+85291234567"
