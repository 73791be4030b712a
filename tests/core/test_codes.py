import pytest

from core import codes

KEY = "k"


def test_a_new_code_verifies():
    code = codes.new_code(KEY)
    assert codes.verify(code, KEY) == code
    assert len(code) == codes.CODE_LENGTH


def test_a_grouped_lower_case_code_verifies():
    code = codes.new_code(KEY)
    assert codes.verify(codes.grouped(code).lower(), KEY) == code


def test_the_qr_url_of_a_label_verifies():
    code = codes.new_code(KEY)
    assert codes.verify(f"https://courier.example.edu/t/{code}", KEY) == code


def test_look_alike_letters_are_read_as_digits():
    code = codes.new_code(KEY)
    typed = code.replace("0", "O").replace("1", "I")
    assert codes.verify(typed, KEY) == code


def test_a_mistyped_code_is_refused_and_counted():
    code = codes.new_code(KEY)
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    before = codes.forged_codes.value
    with pytest.raises(codes.ForgedCode):
        codes.verify(wrong, KEY)
    assert codes.forged_codes.value == before + 1


def test_a_code_signed_with_another_key_is_refused():
    with pytest.raises(codes.ForgedCode):
        codes.verify(codes.new_code("other"), KEY)


@pytest.mark.parametrize("text", ["", "hello", "x" * 300, "ABCDEFGH12345?", "DROP TABLE"])
def test_garbage_is_refused(text):
    with pytest.raises(codes.ForgedCode):
        codes.verify(text, KEY)
