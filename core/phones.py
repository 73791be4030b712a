"""Mobile numbers people type, parsed and checked with ``phonenumbers``.

Notices go by SMS, so only mobile numbers of the regions the site serves are accepted (mainland
China unless ``COURIER_PHONE_REGIONS`` says more); they are stored in E.164 (+8613800138000).
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from core.errors import N_, Problem, ValidationFailed

MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
DEFAULT_REGIONS = ("CN",)


def mobile_number(
    text: str, regions: tuple[str, ...] = DEFAULT_REGIONS, field: str = "phone"
) -> str:
    """``text`` as a mobile number of one of ``regions`` (the first is assumed when no ``+``
    country code is given). Raises :class:`ValidationFailed` on ``field`` otherwise."""
    try:
        number = phonenumbers.parse(text.strip()[:32], regions[0] if regions else "CN")
    except NumberParseException:
        number = None
    if (
        number is None
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.region_code_for_number(number) not in regions
        or phonenumbers.number_type(number) not in MOBILE_TYPES
    ):
        raise ValidationFailed(
            [Problem(field, N_("Enter a mobile number we can text, such as 138 0013 8000."))]
        )
    if phonenumbers.region_code_for_number(number) == "CN":
        return phonenumbers.national_significant_number(number)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def masked(number: str) -> str:
    """``number`` as logs and pages may show it: ``138****8000`` (the middle digits hidden)."""
    return f"{number[:3]}****{number[-4:]}" if len(number) > 7 else "****"
