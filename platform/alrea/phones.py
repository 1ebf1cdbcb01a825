"""Phone numbers: stored in E.164, shown the local (Brazilian) way."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def normalize_phone(raw: str, region: str | None = None) -> str:
    """E.164 form of ``raw``; raises ValidationError with a readable reason when invalid."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter a phone number."), code="empty")
    try:
        number = phonenumbers.parse(text, region or settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("%(value)s is not a phone number."), code="invalid", params={"value": text}
        ) from None
    number = _with_ninth_digit(number)
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("%(value)s is not a valid phone number."), code="invalid", params={"value": text}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str, region: str | None = None) -> str:
    """``+5511987654321`` as ``(11) 98765-4321`` at home, international form abroad."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    home = region or settings.DEFAULT_PHONE_REGION
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if phonenumbers.region_code_for_number(number) == home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def _with_ninth_digit(number: phonenumbers.PhoneNumber) -> phonenumbers.PhoneNumber:
    """Brazilian mobiles gained a leading 9 in 2012-2016; old spreadsheets still hold the
    8-digit form (DDD + 8 digits starting with 6-9). Both must become one number."""
    national = phonenumbers.national_significant_number(number)
    if number.country_code == 55 and len(national) == 10 and national[2] in "6789":
        return phonenumbers.parse(f"+55{national[:2]}9{national[2:]}", None)
    return number
