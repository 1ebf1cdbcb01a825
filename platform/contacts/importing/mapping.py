"""Which column goes where: a guess from the header (Portuguese or English), that the user can
change, and the check that a chosen mapping can be imported."""

import re
import unicodedata

from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from contacts.importing.errors import SpreadsheetError

TARGETS = (
    "name",
    "phone",
    "ddd",
    "email",
    "birth_date",
    "gender",
    "city",
    "state",
    "country",
    "zip_code",
    "notes",
    "tags",
    "ignore",
)
CUSTOM_PREFIX = "custom:"

TARGET_LABELS = {
    "name": _("Name"),
    "phone": _("Phone"),
    "ddd": _("Area code (DDD)"),
    "email": _("E-mail"),
    "birth_date": _("Birth date"),
    "gender": _("Gender"),
    "city": _("City"),
    "state": _("State (UF)"),
    "country": _("Country"),
    "zip_code": _("ZIP code"),
    "notes": _("Notes"),
    "tags": _("Tags"),
    "ignore": _("Do not import"),
}

# Header words, without accents and in lower case, for each target. For the phone, the order
# is a preference: a sheet with both "Telefone" and "Celular" imports the mobile (WhatsApp
# reaches mobiles) and keeps the other column as a custom field.
ALIASES = {
    "name": [
        "nome",
        "name",
        "nome completo",
        "full name",
        "nome do cliente",
        "cliente",
        "contato",
        "nome do contato",
        "contact",
        "contact name",
        "customer",
        "first name",
        "primeiro nome",
    ],
    "phone": [
        "whatsapp",
        "whats",
        "zap",
        "numero do whatsapp",
        "celular",
        "cel",
        "telefone celular",
        "mobile",
        "mobile phone",
        "cell",
        "cell phone",
        "cellphone",
        "telefone",
        "tel",
        "fone",
        "phone",
        "phone number",
        "telephone",
        "numero",
        "numero de telefone",
        "contact number",
    ],
    "ddd": ["ddd", "area code", "codigo de area", "cod area"],
    "email": [
        "email",
        "e mail",
        "mail",
        "endereco de email",
        "email address",
        "correio eletronico",
    ],
    "birth_date": [
        "nascimento",
        "data de nascimento",
        "data nascimento",
        "dt nascimento",
        "dt nasc",
        "data nasc",
        "aniversario",
        "birth date",
        "birthdate",
        "birthday",
        "date of birth",
        "dob",
    ],
    "gender": ["sexo", "genero", "gender", "sex"],
    "city": ["cidade", "city", "municipio", "town"],
    "state": ["estado", "uf", "state", "estado uf", "province"],
    "country": ["pais", "country", "nacionalidade"],
    "zip_code": ["cep", "zip", "zip code", "zipcode", "postal code", "codigo postal"],
    "notes": [
        "observacoes",
        "observacao",
        "obs",
        "notas",
        "nota",
        "notes",
        "note",
        "comentarios",
        "comentario",
        "comments",
        "anotacoes",
    ],
    "tags": ["tags", "tag", "etiquetas", "etiqueta", "marcadores", "labels"],
    # The reason column of our own file of rejected rows, so fixing and re-importing it works.
    "ignore": ["motivo da rejeicao", "rejection reason", "motivo"],
}
_GUESS = {
    alias: (target, rank) for target, words in ALIASES.items() for rank, alias in enumerate(words)
}


def simplify(text: str) -> str:
    """Lower case, no accents, words separated by one space: "E-mail " → "e mail"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain.lower()).split())


def custom_key(header: str) -> str:
    return slugify(simplify(header)).replace("-", "_")


def guess_mapping(header: list[str]) -> dict[int, str]:
    """Column index → target for every column. Unknown headers become custom fields
    (``custom:<key>``), empty ones are ignored; when two columns fit one field, the better
    fit (or else the first) gets it and the other is kept as a custom field."""
    mapping: dict[int, str] = {}
    best: dict[str, tuple[int, int]] = {}  # target → (rank, column)
    for column, title in enumerate(header):
        words = simplify(title or "")
        if not words:
            mapping[column] = "ignore"
            continue
        target, rank = _GUESS.get(words, (None, 0))
        if target is None or target == "ignore":
            mapping[column] = target or ""
            continue
        if target not in best or rank < best[target][0]:
            best[target] = (rank, column)
    winners = {column: target for target, (_rank, column) in best.items()}
    used_keys: set[str] = set()
    for column, title in enumerate(header):
        if column in winners:
            mapping[column] = winners[column]
        elif mapping.get(column) in (None, ""):
            key = custom_key(title)
            if not key:
                mapping[column] = "ignore"
                continue
            unique, n = key, 2
            while unique in used_keys:
                unique, n = f"{key}_{n}", n + 1
            used_keys.add(unique)
            mapping[column] = CUSTOM_PREFIX + unique
    return dict(sorted(mapping.items()))


def validate_mapping(mapping: dict[int, str], header: list[str]) -> None:
    """Raise SpreadsheetError unless ``mapping`` can be imported: known targets, a phone column,
    no field (or custom key) chosen for two columns."""
    seen: dict[str, int] = {}
    for column, target in sorted(mapping.items()):
        if target == "ignore":
            continue
        if target.startswith(CUSTOM_PREFIX):
            if not target[len(CUSTOM_PREFIX) :].strip():
                raise SpreadsheetError(
                    _("Give a name to the custom field of column %(column)s.")
                    % {"column": _column_name(header, column)}
                )
        elif target not in TARGETS:
            raise SpreadsheetError(
                _("Column %(column)s goes to an unknown field (%(target)s).")
                % {"column": _column_name(header, column), "target": target}
            )
        if target in seen:
            raise SpreadsheetError(
                _("Columns %(first)s and %(second)s both go to %(field)s; choose one.")
                % {
                    "first": _column_name(header, seen[target]),
                    "second": _column_name(header, column),
                    "field": label(target),
                }
            )
        seen[target] = column
    if "phone" not in seen:
        raise SpreadsheetError(
            _("Choose the column with the phone numbers: contacts are matched by phone.")
        )


def label(target: str) -> str:
    if target.startswith(CUSTOM_PREFIX):
        return str(_("custom field “%(key)s”") % {"key": target[len(CUSTOM_PREFIX) :]})
    return str(TARGET_LABELS.get(target, target))


def _column_name(header: list[str], column: int) -> str:
    title = header[column].strip() if column < len(header) else ""
    return f"“{title}”" if title else str(_("number %(n)s") % {"n": column + 1})
