"""Contacts to CSV or XLSX: one row per contact, tags and lists joined, one column per custom
field. Rows stream from the database in chunks, so a million contacts never sit in memory."""

import csv
import io
from collections.abc import Callable, Iterable

from django.db import connection
from django.utils.translation import gettext as _
from openpyxl import Workbook

from alrea.phones import format_phone

CHUNK = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value) -> str:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP's advice
    against CSV injection); Excel and LibreOffice then show it as plain text."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _columns():
    return [
        ("name", _("Name")),
        ("phone", _("Phone")),
        ("email", _("E-mail")),
        ("birth_date", _("Birth date")),
        ("gender", _("Gender")),
        ("city", _("City")),
        ("state", _("State")),
        ("country", _("Country")),
        ("zip_code", _("ZIP code")),
        ("notes", _("Notes")),
        ("opted_out", _("Opted out")),
        ("source", _("Source")),
        ("created_at", _("Created at")),
        ("tags", _("Tags")),
        ("lists", _("Lists")),
    ]


def custom_field_keys(contacts) -> list[str]:
    if connection.vendor == "postgresql":
        sql, params = contacts.order_by().values("custom_fields").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT jsonb_object_keys(custom_fields) FROM ({sql}) AS rows", params
            )
            return sorted(row[0] for row in cursor.fetchall())
    keys = set()
    for fields in contacts.values_list("custom_fields", flat=True).iterator(chunk_size=CHUNK):
        keys.update(fields or {})
    return sorted(keys)


def _value(contact, attribute):
    if attribute == "tags":
        return ";".join(tag.name for tag in contact.tags.all())
    if attribute == "lists":
        return ";".join(item.name for item in contact.lists.all())
    if attribute == "phone":
        return format_phone(contact.phone)
    if attribute == "birth_date":
        return contact.birth_date.strftime("%d/%m/%Y") if contact.birth_date else ""
    if attribute == "created_at":
        return contact.created_at.strftime("%d/%m/%Y %H:%M")
    if attribute == "opted_out":
        return _("yes") if contact.opted_out else _("no")
    return getattr(contact, attribute)


def rows(contacts, progress: Callable[[int], None] | None = None) -> Iterable[list[str]]:
    """The header, then one escaped row per contact."""
    keys = custom_field_keys(contacts)
    columns = _columns()
    yield [label for _attr, label in columns] + keys
    contacts = contacts.prefetch_related("tags", "lists").order_by("created_at", "pk")
    for done, contact in enumerate(contacts.iterator(chunk_size=CHUNK), start=1):
        custom = contact.custom_fields or {}
        yield [escape_cell(_value(contact, attr)) for attr, _label in columns] + [
            escape_cell(custom.get(key, "")) for key in keys
        ]
        if progress and done % CHUNK == 0:
            progress(done)


def write_csv(table: Iterable[list[str]], binary_file) -> None:
    # UTF-8 with BOM and ';': what Excel in Brazil opens correctly with a double click.
    text = io.TextIOWrapper(binary_file, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, delimiter=";")
    writer.writerows(table)
    text.flush()
    text.detach()


def write_xlsx(table: Iterable[list[str]], binary_file) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Contacts"))
    for row in table:
        sheet.append(row)
    workbook.save(binary_file)


WRITERS = {"csv": write_csv, "xlsx": write_xlsx}
