import pytest

from core.errors import ValidationFailed
from core.passwords import check_new_password


@pytest.mark.parametrize("password", ["12345678", "password123", "qwertyuiop1", "short"])
def test_short_and_common_passwords_are_refused(password):
    with pytest.raises(ValidationFailed):
        check_new_password(password)


def test_a_password_made_of_the_users_own_facts_is_refused():
    with pytest.raises(ValidationFailed):
        check_new_password("wangfang13800138000", "wangfang", "13800138000")


def test_a_few_unrelated_words_are_accepted():
    check_new_password("amber-kettle-violin-42")
