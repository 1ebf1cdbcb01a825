"""Cell text to the value stored on a contact. Each cleaner returns the value or raises
``Invalid`` with the reason the user reads next to the row."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

from contacts.importing.mapping import simplify
from contacts.models import UF, Contact, Tag

NAME_MAX = Contact._meta.get_field("name").max_length
CITY_MAX = Contact._meta.get_field("city").max_length
EMAIL_MAX = Contact._meta.get_field("email").max_length
TAG_MAX = Tag._meta.get_field("name").max_length
FORMULA_STARTS = ("=", "+", "-", "@")


class Invalid(Exception):
    """A cell that cannot be stored; its message is the reason shown to the user."""


def unescape(text: str) -> str:
    """Undo the apostrophe our rejected-rows file (and exports) put before formula-like cells."""
    if text[:1] == "'" and text[1:2] in FORMULA_STARTS:
        return text[1:]
    return text


def one_line(text: str) -> str:
    return " ".join(text.split())


def name(text: str) -> str:
    value = one_line(text)
    if len(value) > NAME_MAX:
        raise Invalid(_("the name has more than %(max)s characters") % {"max": NAME_MAX})
    return value


_NOT_DIGITS = re.compile(r"\D")


def remembered(clean):
    """Cells like states, cities and tags repeat on many rows: clean each distinct text once."""
    seen: dict = {}

    def cached(text: str):
        found = seen.get(text)
        if found is None:
            found = clean(text)  # Invalid propagates and is not remembered
            if len(seen) < 10_000:
                seen[text] = found
        return found

    cached.__doc__ = clean.__doc__
    return cached


@remembered
def city(text: str) -> str:
    value = one_line(text)
    if len(value) > CITY_MAX:
        raise Invalid(_("the city has more than %(max)s characters") % {"max": CITY_MAX})
    return value


def notes(text: str) -> str:
    return text.strip()


_email_validator = EmailValidator()
# Addresses of the everyday shape, all of which Django's EmailValidator accepts too (a stricter
# subset of its user and domain patterns). Anything else goes to the validator itself, which
# costs about 10 µs an address.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9_+\-]+(?:\.[a-z0-9_+\-]+)*@(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}"
)


def email(text: str) -> str:
    value = text.strip().lower()
    if value.startswith("mailto:"):
        value = value[len("mailto:") :]
    if len(value) <= EMAIL_MAX and _PLAIN_EMAIL.fullmatch(value) and value.index("@") <= 64:
        return value
    try:
        if len(value) > EMAIL_MAX:
            raise ValidationError("too long")
        _email_validator(value)
    except ValidationError:
        raise Invalid(_("“%(value)s” is not a valid e-mail address") % {"value": text}) from None
    return value


# --- dates ----------------------------------------------------------------------------------
_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_dates: dict[str, datetime.date] = {}


def birth_date(text: str, today: datetime.date | None = None) -> datetime.date:
    """dd/mm/yyyy, dd/mm/yy (also with - or .), yyyy-mm-dd; a time after the date is ignored
    (Excel adds 00:00). Two-digit years are the most recent past one: 05 is 2005, 87 is 1987."""
    value = text.strip()
    found = _dates.get(value) if today is None else None
    if found is not None:
        return found
    remember = today is None
    today = today or datetime.date.today()
    match = _DMY.fullmatch(value)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            if len(match.group(3)) == 2:
                year += 2000 if year <= today.year % 100 else 1900
        else:
            match = _YMD.fullmatch(value)
            if not match:
                raise ValueError
            year, month, day = (int(part) for part in match.groups())
        date = datetime.date(year, month, day)
    except ValueError:
        raise Invalid(
            _("“%(value)s” is not a date (write it as dd/mm/yyyy)") % {"value": text}
        ) from None
    if date > today or date.year < 1900:
        raise Invalid(_("%(value)s is not a possible birth date") % {"value": text})
    if remember and len(_dates) < 50_000:
        _dates[value] = date
    return date


# --- coded values ---------------------------------------------------------------------------
_UFS = {code.lower(): code.value for code in UF} | {simplify(code.label): code.value for code in UF}


@remembered
def state(text: str) -> str:
    value = _UFS.get(simplify(text))
    if value is None:
        raise Invalid(
            _("“%(value)s” is not a Brazilian state (use the UF, e.g. SP)") % {"value": text}
        )
    return value


_GENDERS = {
    **dict.fromkeys(
        ["f", "fem", "feminino", "female", "mulher", "woman", "w"], Contact.Gender.FEMALE.value
    ),
    **dict.fromkeys(
        ["m", "masc", "masculino", "male", "homem", "man", "h"], Contact.Gender.MALE.value
    ),
    **dict.fromkeys(
        ["o", "outro", "outra", "other", "nao binario", "non binary", "nb", "x"],
        Contact.Gender.OTHER.value,
    ),
}


@remembered
def gender(text: str) -> str:
    value = _GENDERS.get(simplify(text))
    if value is None:
        raise Invalid(
            _("“%(value)s” is not a gender this import knows (F, M or O)") % {"value": text}
        )
    return value


_COUNTRIES = {
    "brasil": "BR",
    "brazil": "BR",
    "portugal": "PT",
    "argentina": "AR",
    "estados unidos": "US",
    "eua": "US",
    "usa": "US",
    "united states": "US",
    "paraguai": "PY",
    "paraguay": "PY",
    "uruguai": "UY",
    "uruguay": "UY",
    "chile": "CL",
    "espanha": "ES",
    "spain": "ES",
}


@remembered
def country(text: str) -> str:
    words = simplify(text)
    if len(words) == 2 and words.isalpha():
        return words.upper()
    value = _COUNTRIES.get(words)
    if value is None:
        raise Invalid(
            _("“%(value)s” is not a country code (use two letters, e.g. BR)") % {"value": text}
        )
    return value


def zip_code(text: str, country_code: str) -> str:
    """Brazilian CEPs as 00000-000 (Excel drops a leading zero: 7 digits get it back)."""
    value = text.strip()
    if country_code == "BR":
        digits = _NOT_DIGITS.sub("", value)
        if len(digits) == 7:
            digits = "0" + digits
        if len(digits) != 8 or len(value) > 12:
            raise Invalid(_("“%(value)s” is not a CEP (8 digits)") % {"value": text})
        return f"{digits[:5]}-{digits[5:]}"
    if len(value) > 9:
        raise Invalid(_("the ZIP code “%(value)s” is too long") % {"value": text})
    return value


_TAG_SPLIT = re.compile(r"[;,]")


@remembered
def tag_names(text: str) -> tuple[str, ...]:
    """Tag names in a cell: "vip; cliente,  Black Friday" → ("vip", "cliente", "Black Friday")."""
    names = []
    for part in _TAG_SPLIT.split(text):
        tag = one_line(part)
        if not tag or tag in names:
            continue
        if len(tag) > TAG_MAX:
            raise Invalid(
                _("the tag “%(value)s” has more than %(max)s characters")
                % {"value": tag, "max": TAG_MAX}
            )
        names.append(tag)
    return tuple(names)


def join_ddd(ddd: str, phone: str) -> str:
    """A separate DDD column goes in front of numbers written without one (8 or 9 digits)."""
    digits = _NOT_DIGITS.sub("", phone)
    area = _NOT_DIGITS.sub("", ddd).lstrip("0")
    if area and 8 <= len(digits) <= 9 and not phone.lstrip().startswith("+"):
        return f"{area}{digits}"
    return phone
