"""Message variables: ``{{nome}}``, ``{{saudacao}}``, every custom field as ``{{key}}``.

A text is compiled once (cached by text) into literals and variable names, so rendering one
message is a join. An unknown variable is an error, at save time (``validate``) and at send time
(``render``): a customer never receives ``{{...}}``.
"""

import re
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.exporting import custom_field_keys
from contacts.models import Contact

VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# The names and values are Portuguese content of the message, not interface text: no gettext.
WEEKDAYS = (
    "segunda-feira",
    "terça-feira",
    "quarta-feira",
    "quinta-feira",
    "sexta-feira",
    "sábado",
    "domingo",
)


def _name(contact, _local):
    return contact.name.strip() or contact.whatsapp_name.strip()


def _greeting(_contact, local: datetime) -> str:
    if local.hour < 12:
        return "Bom dia"
    return "Boa tarde" if local.hour < 18 else "Boa noite"


BUILTINS = {
    "nome": _name,
    "primeiro_nome": lambda contact, local: (_name(contact, local).split() or [""])[0],
    "email": lambda contact, _local: contact.email,
    "cidade": lambda contact, _local: contact.city,
    "estado": lambda contact, _local: contact.state,
    "saudacao": _greeting,
    "dia_semana": lambda _contact, local: WEEKDAYS[local.weekday()],
}

# Marks where a variable rendered empty, so the spaces around it can be tidied. PostgreSQL text
# and jsonb cannot hold NUL, so neither the template nor a value ever contains it.
EMPTY = "\x00"
GAP = re.compile(rf"[ \t]*{EMPTY}(?:[ \t]*{EMPTY})*[ \t]*")
PUNCTUATION = ",.;:!?)"


class UnknownVariable(ValidationError):
    """The text uses variables the tenant has no value for; ``names`` lists them."""

    def __init__(self, names):
        self.names = sorted(names)
        super().__init__(
            _("Unknown variables: %(names)s.")
            % {"names": ", ".join(f"{{{{{name}}}}}" for name in self.names)},
            code="unknown_variable",
        )


@lru_cache(maxsize=512)
def _compile(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(literals, names): literals[i] comes before names[i]; one more literal than names."""
    parts = VARIABLE.split(text)
    literals, names = tuple(parts[0::2]), tuple(parts[1::2])
    if any("{{" in literal or "}}" in literal for literal in literals):
        raise ValidationError(
            _("A variable is not closed: write it as {{nome}}."), code="unclosed_variable"
        )
    return literals, names


def variables_in(text: str) -> set[str]:
    return set(_compile(text)[1])


def validate(text: str, tenant) -> None:
    """Raise UnknownVariable naming every variable that is neither built in nor a custom field
    of some contact of ``tenant``."""
    unknown = variables_in(text) - BUILTINS.keys()
    if unknown:
        unknown -= set(custom_field_keys(Contact.objects.for_tenant(tenant)))
    if unknown:
        raise UnknownVariable(unknown)


# (tenant id, key) pairs seen on some contact. Only positives are kept: a key only becomes
# unknown if every contact loses it, and then a render that raises is the right outcome anyway.
_known_keys: set[tuple[object, str]] = set()


def _tenant_has_key(tenant_id, key: str) -> bool:
    if (tenant_id, key) in _known_keys:
        return True
    # jsonb ? key: served by the GIN index on custom_fields.
    found = Contact.objects.filter(tenant_id=tenant_id, custom_fields__has_key=key).exists()
    if found:
        _known_keys.add((tenant_id, key))
    return found


def _value(name: str, contact, local: datetime) -> str:
    if builtin := BUILTINS.get(name):
        return builtin(contact, local) or ""
    fields = contact.custom_fields or {}
    if name in fields:
        value = fields[name]
        return "" if value is None else str(value)
    if _tenant_has_key(contact.tenant_id, name):
        return ""
    raise UnknownVariable([name])


def _tidy_gap(match: re.Match) -> str:
    """An empty variable leaves one space between words, and none before punctuation, at the
    start or end of a line, or where it touched no space."""
    text, start, end = match.string, match.start(), match.end()
    touched_space = bool(match.group().replace(EMPTY, ""))
    at_line_start = start == 0 or text[start - 1] == "\n"
    at_line_end = end == len(text) or text[end] in "\r\n"
    before_punctuation = end < len(text) and text[end] in PUNCTUATION
    if not touched_space or at_line_start or at_line_end or before_punctuation:
        return ""
    return " "


def render(text: str, contact, *, now: datetime, tenant_tz) -> str:
    """The text for ``contact``, as sent at ``now`` in the tenant's time zone (a name or
    ZoneInfo). Raises UnknownVariable rather than send a variable literally."""
    literals, names = _compile(text)
    if not names:
        return text
    zone = ZoneInfo(tenant_tz) if isinstance(tenant_tz, str) else tenant_tz
    local = timezone.localtime(now, zone)
    pieces = [literals[0]]
    for name, literal in zip(names, literals[1:], strict=True):
        pieces.append(_value(name, contact, local) or EMPTY)
        pieces.append(literal)
    rendered = "".join(pieces)
    return GAP.sub(_tidy_gap, rendered) if EMPTY in rendered else rendered


def preview(text: str, contact: Contact) -> str:
    """The text as ``contact`` would receive it now (the admin's live preview)."""
    return render(text, contact, now=timezone.now(), tenant_tz=contact.tenant.timezone)
