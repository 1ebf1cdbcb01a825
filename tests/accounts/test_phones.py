import pytest
from django.core.exceptions import ValidationError

from alrea.phones import format_phone, normalize_phone


@pytest.mark.parametrize(
    "written",
    [
        "(11) 98765-4321",
        "11987654321",
        "+55 11 9 8765-4321",
        "5511987654321",
        "+5511987654321",
        "(11) 8765-4321",  # the old 8-digit mobile, before the ninth digit
        "55 11 87654321",
    ],
)
def test_brazilian_writings_become_one_e164_number(written):
    assert normalize_phone(written) == "+5511987654321"


def test_invalid_numbers_get_a_readable_error(english):
    with pytest.raises(ValidationError, match="not a valid phone number"):
        normalize_phone("123")
    with pytest.raises(ValidationError, match="not a phone number"):
        normalize_phone("call me")


def test_brazilian_numbers_are_shown_the_brazilian_way():
    assert format_phone("+5511987654321") == "(11) 98765-4321"


def test_foreign_numbers_are_shown_in_international_form():
    assert format_phone("+14155552671") == "+1 415-555-2671"


def test_landlines_keep_their_eight_digits():
    assert normalize_phone("(11) 3456-7890") == "+551134567890"
