"""The import: rows to contacts, upserted by (tenant, normalised phone).

Three steps, so that a preview and an import are the same code up to the writes:

1. **Read** every row, clean its cells and keep the last row of each phone (``_read_rows``).
   No database access; progress is reported here, outside any transaction.
2. **Classify** each kept row against the tenant's contacts with that phone, read in batches:
   new, updated, unchanged or skipped; and which tag links and list memberships are missing
   (``_classify``). Reads only.
3. **Write**, only when it is not a dry run: new contacts, changed contacts, timeline events,
   tag links, list memberships and their counters (``_PostgresWriter`` with COPY,
   ``_DjangoWriter`` elsewhere).

Steps 2 and 3 run in one transaction that first locks the tenant's row, so two imports into one
tenant run one after the other, the plan limit is checked against what is really there, and any
error rolls everything back. A dry run runs step 2 in a read-only transaction (on PostgreSQL the
database itself refuses any write) and rolls it back. Contacts are written with COPY and raw
SQL, so no model signals are sent (nothing listens to them today).
"""

import gc
import json
import logging
import os
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.importing import values
from contacts.importing.errors import SpreadsheetError
from contacts.importing.mapping import CUSTOM_PREFIX, label, validate_mapping
from contacts.importing.phones import PhoneNormaliser
from contacts.importing.reading import Table
from contacts.models import Contact, ContactEvent, ContactList, ContactTag, ListMembership, Tag
from contacts.services import announce_written, move_count
from tenancy import limits

logger = logging.getLogger(__name__)

STATUSES = ("new", "updated", "unchanged", "skipped", "invalid", "duplicate")
PREVIEW_PER_STATUS = 50
PROGRESS_EVERY = 2000
READ_BATCH = 5000
GIN_BATCH_ROWS = 10_000  # from this many contacts written, larger GIN merges (_gin_batches)
GIN_BATCH_MEMORY = "32MB"
# Contact fields an import sets, in the order of the tuples read from the database.
FIELDS = (
    "name",
    "email",
    "birth_date",
    "gender",
    "city",
    "state",
    "country",
    "zip_code",
    "notes",
)
_CLEANERS = {
    "name": values.name,
    "email": values.email,
    "birth_date": values.birth_date,
    "gender": values.gender,
    "city": values.city,
    "state": values.state,
    "country": values.country,
    "notes": values.notes,
}
FIELD_AT = {name: at for at, name in enumerate(FIELDS)}
Kind = ContactEvent.Kind


@dataclass
class ImportOptions:
    update_existing: bool = True  # False: contacts whose phone exists already are skipped
    tag_names: list[str] = field(default_factory=list)  # added to every imported contact
    contact_list_id: UUID | None = None  # every imported contact joins this list
    source: str = Contact.Source.IMPORT  # the source new contacts record (the API's is "api")


@dataclass
class RowOutcome:
    """What happens (or would happen) to one row.

    ``row_number`` is 1 for the first row under the header (the spreadsheet's line 2).
    ``values`` holds the cleaned values (JSON-safe: dates as yyyy-mm-dd), ``raw`` the cells as
    read.
    """

    row_number: int
    status: str
    reason: str = ""
    values: dict = field(default_factory=dict)
    raw: list[str] = field(default_factory=list)
    contact_id: str = ""  # the contact written (or kept); empty for rejected rows, dry runs


@dataclass
class ImportReport:
    counts: dict[str, int]
    # (row_number, raw cells, reason) of invalid and duplicate rows, in row order
    rejected: list[tuple[int, list[str], str]]
    # up to PREVIEW_PER_STATUS outcomes of each status, in row order
    preview: list[RowOutcome]
    total_rows: int  # data rows with at least one filled cell
    dry_run: bool = True
    # Set when the new contacts do not fit the plan (a dry run reports it, an import raises it)
    limit_error: str = ""
    new_tags: list[str] = field(default_factory=list)  # tags created (or to be created)
    tag_links: int = 0  # contact-tag links added (or to be added)
    list_additions: int = 0  # contacts added (or to be added) to the chosen list
    seconds: dict[str, float] = field(default_factory=dict)  # time spent in each step

    @property
    def imported(self) -> int:
        return self.counts["new"] + self.counts["updated"] + self.counts["unchanged"]

    def as_dict(self) -> dict:
        """JSON-safe, for a JSONField; ``from_dict`` reads it back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ImportReport":
        data = dict(data)
        data["preview"] = [RowOutcome(**outcome) for outcome in data.get("preview", [])]
        data["rejected"] = [tuple(item) for item in data.get("rejected", [])]
        return cls(**data)


# --- step 1: read -------------------------------------------------------------------------------
class _Row:
    __slots__ = ("custom", "fields", "number", "phone", "raw", "tags")

    def __init__(self, number, raw, phone, fields, custom, tags):
        self.number, self.raw, self.phone = number, raw, phone
        self.fields, self.custom, self.tags = fields, custom, tags

    def preview_values(self) -> dict:
        shown = {name: _json_safe(value) for name, value in self.fields.items()}
        shown["phone"] = self.phone
        if self.custom:
            shown["custom_fields"] = self.custom
        if self.tags:
            shown["tags"] = self.tags
        return shown


def _json_safe(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


class _RowCleaner:
    """Cleans one raw row into a _Row, or raises _RowInvalid with every reason found."""

    def __init__(self, tenant, header: list[str], mapping: dict[int, str]):
        self.normalise_phone = PhoneNormaliser(tenant.country or "BR")
        self.country = tenant.country or "BR"
        self.header = header
        self.columns: list[tuple[int, str, Callable]] = []
        self.custom: list[tuple[int, str]] = []
        self.phone = self.ddd = self.tags = self.zip = None
        for column, target in sorted(mapping.items()):
            if target == "phone":
                self.phone = column
            elif target == "ddd":
                self.ddd = column
            elif target == "tags":
                self.tags = column
            elif target == "zip_code":
                self.zip = column
            elif target.startswith(CUSTOM_PREFIX):
                self.custom.append((column, target[len(CUSTOM_PREFIX) :].strip()))
            elif target in _CLEANERS:
                self.columns.append((column, target, _CLEANERS[target]))

    def _problem(self, problems, column, target, message) -> list[str]:
        problems = problems or []
        title = self.header[column].strip() if column < len(self.header) else ""
        problems.append(f"{title or label(target)}: {message}")
        return problems

    def __call__(self, number: int, raw: list[str]) -> _Row:
        # The hot loop of an import (100,000 times): plain local operations, no helpers.
        problems = None
        size = len(raw)
        fields = {}
        for column, target, clean in self.columns:
            if column < size:
                text = raw[column]
                if text and not text.isspace():
                    if text[0] == "'":
                        text = values.unescape(text)
                    try:
                        fields[target] = clean(text)
                    except values.Invalid as problem:
                        problems = self._problem(problems, column, target, problem)
        column = self.zip
        if column is not None and column < size:
            text = raw[column]
            if text and not text.isspace():
                try:
                    fields["zip_code"] = values.zip_code(text, fields.get("country", self.country))
                except values.Invalid as problem:
                    problems = self._problem(problems, column, "zip_code", problem)
        custom = {}
        for column, key in self.custom:
            if column < size:
                text = raw[column]
                if text and not text.isspace():
                    text = text.strip()
                    custom[key] = values.unescape(text) if text[0] == "'" else text
        tags = ()
        column = self.tags
        if column is not None and column < size:
            text = raw[column]
            if text and not text.isspace():
                try:
                    tags = values.tag_names(text)
                except values.Invalid as problem:
                    problems = self._problem(problems, column, "tags", problem)
        phone = raw[self.phone] if self.phone < size else ""
        if phone[:1] == "'":
            phone = values.unescape(phone)
        column = self.ddd
        if column is not None and column < size:
            ddd = raw[column]
            if ddd and not ddd.isspace():
                phone = values.join_ddd(ddd, phone)
        try:
            phone = self.normalise_phone(phone)
        except ValidationError as error:
            problems = self._problem(problems, self.phone, "phone", error.messages[0].rstrip("."))
            phone = None
        if problems:
            raise _RowInvalid("; ".join(problems), _Row(number, raw, phone, fields, custom, tags))
        return _Row(number, raw, phone, fields, custom, tags)


class _RowInvalid(Exception):
    def __init__(self, reason, row):
        super().__init__(reason)
        self.reason, self.row = reason, row


@dataclass
class _Read:
    winners: dict[str, _Row]  # phone → the last valid row with it
    invalid: list[tuple[_Row, str]]
    duplicates: list[tuple[_Row, int]]  # (replaced row, number of the row imported instead)
    total: int


def _read_rows(cleaner: _RowCleaner, table: Table, progress) -> _Read:
    winners: dict[str, _Row] = {}
    invalid, duplicates = [], []
    total = 0
    for number, raw in enumerate(table.rows, start=1):
        if not "".join(raw).strip():
            continue  # a blank line: not a row
        total += 1
        if progress is not None and total % PROGRESS_EVERY == 0:
            progress(total, table.total_rows)
        try:
            row = cleaner(number, raw)
        except _RowInvalid as problem:
            invalid.append((problem.row, problem.reason))
            continue
        replaced = winners.get(row.phone)
        if replaced is not None:
            duplicates.append(replaced)
            del winners[row.phone]  # re-inserted below, so winners stay in row order
        winners[row.phone] = row
    # Last wins: each replaced row names the row finally imported for its phone.
    replaced_by = [(row, winners[row.phone].number) for row in duplicates]
    return _Read(winners, invalid, replaced_by, total)


# --- step 2: classify ---------------------------------------------------------------------------
@dataclass
class _Plan:
    new: list[tuple[UUID, _Row]] = field(default_factory=list)
    updated: list[tuple[UUID, _Row, dict]] = field(default_factory=list)  # (id, row, changes)
    unchanged: list[tuple[UUID, _Row]] = field(default_factory=list)
    skipped: list[_Row] = field(default_factory=list)
    changed: list[tuple[UUID, dict]] = field(default_factory=list)  # (id, full merged values)
    # tag key (casefolded name) → tag id, None for tags to create
    tags: dict[str, UUID | None] = field(default_factory=dict)
    tag_names: dict[str, str] = field(default_factory=dict)  # key → name as written first
    stored_names: dict[UUID, str] = field(default_factory=dict)  # tag id → the tag's name
    links_new: list[tuple[UUID, str]] = field(default_factory=list)  # new contacts' (id, key)
    links_existing: list[tuple[UUID, str]] = field(default_factory=list)  # missing ones
    listed_new: list[UUID] = field(default_factory=list)
    listed_existing: list[UUID] = field(default_factory=list)
    contact_list: ContactList | None = None


def _option_tags(options: ImportOptions) -> list[str]:
    names = []
    for text in options.tag_names:
        try:
            names.extend(values.tag_names(text))
        except values.Invalid as problem:
            raise SpreadsheetError(
                _("The tag for every imported contact cannot be used: %(problem)s.")
                % {"problem": problem}
            ) from None
    return names


def _tag_key(name: str) -> str:
    return name.casefold()


def _classify(tenant, read: _Read, options: ImportOptions, *, new_ids) -> _Plan:
    plan = _Plan()
    option_tags = []
    for tag_name in _option_tags(options):
        plan.tag_names.setdefault(_tag_key(tag_name), tag_name)
        option_tags.append(_tag_key(tag_name))
    for row in read.winners.values():
        for tag_name in row.tags:
            plan.tag_names.setdefault(_tag_key(tag_name), tag_name)
    plan.tags = _resolve_tags(tenant, plan.tag_names, plan.stored_names)
    if options.contact_list_id is not None:
        plan.contact_list = (
            ContactList.objects.for_tenant(tenant).filter(pk=options.contact_list_id).first()
        )
        if plan.contact_list is None:
            raise SpreadsheetError(_("The list chosen for this import no longer exists."))

    existing = _existing_contacts(tenant, list(read.winners))
    ids = iter(new_ids)
    kept: list[tuple[UUID, _Row, dict]] = []
    for phone, row in read.winners.items():
        found = existing.get(phone)
        keys = _row_tag_keys(row, option_tags)
        if found is None:
            contact_id = next(ids)
            plan.new.append((contact_id, row))
            for key in keys:
                plan.links_new.append((contact_id, key))
            if plan.contact_list is not None:
                plan.listed_new.append(contact_id)
            continue
        if not options.update_existing:
            plan.skipped.append(row)
            continue
        contact_id, stored, custom = found
        changes = {
            name: value for name, value in row.fields.items() if stored[FIELD_AT[name]] != value
        }
        if row.custom and any(custom.get(key) != value for key, value in row.custom.items()):
            changes["custom_fields"] = {**custom, **row.custom}
        if changes:
            merged = dict(zip(FIELDS, stored, strict=True))
            merged["custom_fields"] = custom
            merged.update(changes)
            plan.changed.append((contact_id, merged))
        kept.append((contact_id, row, changes))
        plan.links_existing.extend((contact_id, key) for key in keys)
    _drop_present_links(plan, [contact_id for contact_id, _row, _changes in kept])
    gained = {contact_id for contact_id, _key in plan.links_existing}
    gained.update(plan.listed_existing)
    for contact_id, row, changes in kept:
        if changes or contact_id in gained:
            plan.updated.append((contact_id, row, changes))
        else:
            plan.unchanged.append((contact_id, row))
    return plan


def _row_tag_keys(row: _Row, option_tags: list[str]) -> list[str]:
    """The row's tags and the import's, each once ("VIP;vip" is one tag)."""
    return list(dict.fromkeys([*(_tag_key(name) for name in row.tags), *option_tags]))


def _resolve_tags(tenant, names: dict[str, str], stored: dict) -> dict[str, UUID | None]:
    """Existing tags by name, ignoring case (an exact match wins); None for the missing.
    ``stored`` receives the found tags' names."""
    if not names:
        return {}
    found: dict[str, UUID | None] = dict.fromkeys(names)
    exact: set[str] = set()
    for tag_id, tag_name in Tag.objects.for_tenant(tenant).values_list("id", "name"):
        key = _tag_key(tag_name)
        if key in found and (key not in exact):
            found[key] = tag_id
            stored[tag_id] = tag_name
            if tag_name == names[key]:
                exact.add(key)
    return found


def _existing_contacts(tenant, phones: list[str]) -> dict[str, tuple]:
    """phone → (id, stored values in FIELDS order, custom fields) for the tenant's contacts with
    these phones; never another tenant's (every query is limited to the tenant)."""
    found = {}
    if not Contact.objects.for_tenant(tenant).exists():
        return found  # a first import: nothing to look up
    columns = ("phone", "id", *FIELDS, "custom_fields")
    for batch in _batches(phones):
        if connection.vendor == "postgresql":
            # = ANY(array): one parameter per batch. The ORM's IN (...) builds and binds one
            # placeholder per phone, which cost more than the query itself (0.3 s per 20,000).
            rows = _fetch(
                f"SELECT {', '.join(columns)} FROM {Contact._meta.db_table} "
                "WHERE tenant_id = %s AND phone = ANY(%s)",
                [tenant.pk, batch],
            )
        else:
            rows = Contact.objects.for_tenant(tenant).filter(phone__in=batch).values_list(*columns)
        for phone, contact_id, *stored, custom in rows:
            if isinstance(custom, str):
                custom = json.loads(custom)
            found[phone] = (contact_id, tuple(stored), custom or {})
    return found


def _batches(items: list):
    for start in range(0, len(items), READ_BATCH):
        yield items[start : start + READ_BATCH]


def _fetch(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _drop_present_links(plan: _Plan, contact_ids: list[UUID]) -> None:
    """Keep in ``links_existing`` (and ``listed_existing``) only what the database lacks.

    ``contact_ids`` are the tenant's (read through ``_existing_contacts``), and so are the tags
    and the list; the link tables have no tenant column of their own."""
    known_tags = {tag_id: key for key, tag_id in plan.tags.items() if tag_id is not None}
    postgres = connection.vendor == "postgresql"
    if plan.links_existing and known_tags:
        present = set()
        for batch in _batches(contact_ids):
            if postgres:
                links = _fetch(
                    f"SELECT contact_id, tag_id FROM {ContactTag._meta.db_table} "
                    "WHERE tag_id = ANY(%s) AND contact_id = ANY(%s)",
                    [list(known_tags), batch],
                )
            else:
                links = ContactTag.objects.filter(
                    tag_id__in=list(known_tags), contact_id__in=batch
                ).values_list("contact_id", "tag_id")
            present.update((contact_id, known_tags[tag_id]) for contact_id, tag_id in links)
        plan.links_existing = [link for link in plan.links_existing if link not in present]
    if plan.contact_list is not None and contact_ids:
        members = set()
        for batch in _batches(contact_ids):
            if postgres:
                rows = _fetch(
                    f"SELECT contact_id FROM {ListMembership._meta.db_table} "
                    "WHERE contact_list_id = %s AND contact_id = ANY(%s)",
                    [plan.contact_list.pk, batch],
                )
            else:
                rows = ListMembership.objects.filter(
                    contact_list=plan.contact_list, contact_id__in=batch
                ).values_list("contact_id")
            members.update(row[0] for row in rows)
        plan.listed_existing = [pk for pk in contact_ids if pk not in members]


# --- step 3: write ------------------------------------------------------------------------------
def _new_contact_values(tenant, contact_id, row: _Row, now, source) -> dict:
    fields = row.fields
    return {
        "id": contact_id,
        "tenant_id": tenant.pk,
        "name": fields.get("name", ""),
        "phone": row.phone,
        "email": fields.get("email", ""),
        "birth_date": fields.get("birth_date"),
        "gender": fields.get("gender", ""),
        "city": fields.get("city", ""),
        "state": fields.get("state", ""),
        "country": fields.get("country", tenant.country or "BR"),
        "zip_code": fields.get("zip_code", ""),
        "notes": fields.get("notes", ""),
        "custom_fields": row.custom,
        "source": source,
        "created_at": now,
        "updated_at": now,
    }


class _DjangoWriter:
    """Any database: bulk_create and bulk_update (the embedded SQLite default)."""

    batch = 500

    def __init__(self, tenant, now, source):
        self.tenant, self.now, self.source = tenant, now, source

    def insert_contacts(self, plan: _Plan):
        Contact.objects.bulk_create(
            [
                Contact(**_new_contact_values(self.tenant, contact_id, row, self.now, self.source))
                for contact_id, row in plan.new
            ],
            batch_size=self.batch,
        )

    def update_contacts(self, changed: list[tuple[UUID, dict]]):
        contacts = []
        for contact_id, merged in changed:
            contact = Contact(pk=contact_id, tenant_id=self.tenant.pk, updated_at=self.now)
            for name, value in merged.items():
                setattr(contact, name, value)
            contacts.append(contact)
        Contact.objects.bulk_update(
            contacts, [*FIELDS, "custom_fields", "updated_at"], batch_size=self.batch
        )

    def insert_events(self, events):
        ContactEvent.objects.bulk_create(
            [
                ContactEvent(
                    tenant_id=self.tenant.pk,
                    contact_id=contact_id,
                    kind=kind,
                    detail=detail,
                    actor_id=actor_id,
                    created_at=self.now,
                )
                for contact_id, kind, detail, actor_id in events
            ],
            batch_size=self.batch,
        )

    def insert_links(self, links, *, existing: bool) -> list[tuple[UUID, UUID]]:
        # The missing links were read in this transaction; ignore_conflicts covers a race.
        ContactTag.objects.bulk_create(
            [ContactTag(contact_id=c, tag_id=t) for c, t in links],
            batch_size=self.batch,
            ignore_conflicts=existing,
        )
        return links

    def insert_memberships(self, contact_list, contact_ids, *, existing: bool) -> list[UUID]:
        ListMembership.objects.bulk_create(
            [
                ListMembership(contact_id=c, contact_list=contact_list, added_at=self.now)
                for c in contact_ids
            ],
            batch_size=self.batch,
            ignore_conflicts=existing,
        )
        return contact_ids


class _PostgresWriter(_DjangoWriter):
    """COPY for new rows, a temporary table for changed ones, and INSERT ... ON CONFLICT DO
    NOTHING RETURNING for links of contacts that existed, so counters move by what was really
    added even if someone tagged the same contact meanwhile."""

    def _copy(self, model, columns: list[str], rows):
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(column) for column in columns)
        with (
            connection.wrap_database_errors,  # psycopg's errors as Django's, like the ORM's
            connection.connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    @contextmanager
    def _gin_batches(self, rows: int):
        """Bigger batches for the GIN (trigram and JSON) indexes during a large write.

        PostgreSQL first appends new GIN entries to a pending list and merges it into the index
        when it passes ``gin_pending_list_limit`` (4 MB), sorting at most ``work_mem`` (4 MB) at a
        time; trigrams of names and e-mails repeat a lot, so larger merges are cheaper per row
        (0.7 s of 2.8 s for 100,000 contacts, measured). The pending lists are merged before this
        returns, so searches never scan a long pending list. The settings are local to the
        transaction and restored right after.
        """
        if rows < GIN_BATCH_ROWS:
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('gin_pending_list_limit'), current_setting('work_mem')"
            )
            saved = cursor.fetchone()
            cursor.execute(
                "SELECT set_config('gin_pending_list_limit', %s, true), "
                "set_config('work_mem', %s, true)",
                [GIN_BATCH_MEMORY, GIN_BATCH_MEMORY],
            )
        yield
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT index.indexrelid::regclass::text FROM pg_index AS index "
                "JOIN pg_class AS class ON class.oid = index.indexrelid "
                "JOIN pg_am AS method ON method.oid = class.relam "
                "WHERE index.indrelid = %s::regclass AND method.amname = 'gin'",
                [Contact._meta.db_table],
            )
            for (index,) in cursor.fetchall():
                try:
                    with transaction.atomic():  # only the index's owner may merge it now
                        cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
                except DatabaseError:
                    logger.warning("could not merge the pending list of %s", index)
            cursor.execute(
                "SELECT set_config('gin_pending_list_limit', %s, true), "
                "set_config('work_mem', %s, true)",
                list(saved),
            )

    def insert_contacts(self, plan: _Plan):
        with self._gin_batches(len(plan.new)):
            self._insert_contacts(plan)

    def _insert_contacts(self, plan: _Plan):
        fields = Contact._meta.concrete_fields
        # Every column: what the row says, else what a new contact gets (the model's defaults).
        template = _new_contact_values(
            self.tenant, None, _Row(0, [], "", {}, {}, []), self.now, self.source
        )
        template = [
            template[f.attname] if f.attname in template else f.get_default() for f in fields
        ]
        at = {f.attname: index for index, f in enumerate(fields)}
        at_id, at_phone, at_custom = at["id"], at["phone"], at["custom_fields"]
        at_fields = [(at[name], name) for name in FIELDS]

        def rows():
            for contact_id, row in plan.new:
                line = template.copy()
                line[at_id], line[at_phone] = contact_id, row.phone
                values = row.fields
                if values:
                    for index, name in at_fields:
                        if name in values:
                            line[index] = values[name]
                line[at_custom] = json.dumps(row.custom, ensure_ascii=False) if row.custom else "{}"
                yield line

        self._copy(Contact, [f.column for f in fields], rows())

    def update_contacts(self, changed):
        if not changed:
            return
        with self._gin_batches(len(changed)):
            self._update_contacts(changed)

    def _update_contacts(self, changed):
        meta = Contact._meta
        names = [*FIELDS, "custom_fields"]
        columns = [meta.get_field(name).column for name in names]
        types = {"birth_date": "date", "custom_fields": "jsonb"}
        suffix = uuid.uuid4().hex[:12]
        temp = f"contact_import_{suffix}"
        definition = ", ".join(
            f"{column} {types.get(name, 'text')}"
            for name, column in zip(names, columns, strict=True)
        )
        with connection.wrap_database_errors, connection.connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE {temp} (id uuid, {definition}) ON COMMIT DROP")
            with cursor.copy(f"COPY {temp} (id, {', '.join(columns)}) FROM STDIN") as copy:
                for contact_id, merged in changed:
                    copy.write_row(
                        (
                            contact_id,
                            *(merged[name] for name in FIELDS),
                            json.dumps(merged["custom_fields"], ensure_ascii=False),
                        )
                    )
            assignments = ", ".join(f"{column} = changed.{column}" for column in columns)
            cursor.execute(
                f"UPDATE {meta.db_table} AS contact SET {assignments}, updated_at = %s "
                f"FROM {temp} AS changed "
                f"WHERE contact.id = changed.id AND contact.tenant_id = %s",
                (self.now, self.tenant.pk),
            )
            cursor.execute(f"DROP TABLE {temp}")

    def insert_events(self, events):
        tenant_id, now = self.tenant.pk, self.now
        self._copy(
            ContactEvent,
            ["id", "tenant_id", "contact_id", "kind", "detail", "actor_id", "created_at"],
            (
                (pk, tenant_id, contact_id, kind, detail, actor_id, now)
                for pk, (contact_id, kind, detail, actor_id) in zip(
                    _uuids(len(events), text=True), events, strict=True
                )
            ),
        )

    def insert_links(self, links, *, existing: bool):
        if not existing:
            self._copy(ContactTag, ["contact_id", "tag_id"], links)
            return links
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {ContactTag._meta.db_table} (contact_id, tag_id) "
                "SELECT * FROM unnest(%s::uuid[], %s::uuid[]) "
                "ON CONFLICT DO NOTHING RETURNING contact_id, tag_id",
                ([c for c, _t in links], [t for _c, t in links]),
            )
            return cursor.fetchall()

    def insert_memberships(self, contact_list, contact_ids, *, existing: bool):
        if not existing:
            self._copy(
                ListMembership,
                ["contact_id", "contact_list_id", "added_at"],
                ((pk, contact_list.pk, self.now) for pk in contact_ids),
            )
            return contact_ids
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {ListMembership._meta.db_table} "
                "(contact_id, contact_list_id, added_at) "
                "SELECT pk, %s, %s FROM unnest(%s::uuid[]) AS pk "
                "ON CONFLICT DO NOTHING RETURNING contact_id",
                (contact_list.pk, self.now, contact_ids),
            )
            return [row[0] for row in cursor.fetchall()]


def _uuids(count: int, *, text: bool = False):
    """``count`` new ids, in increasing order: UUID version 7 (RFC 9562), the current time in
    milliseconds then a counter then random bits, all drawn from one os.urandom call.

    Ordered ids go to the right-hand end of every index that leads with them (the primary keys,
    the timeline's and the tag links' contact columns) instead of a random page each, which makes
    the bulk insert and the foreign-key checks at commit cheaper. With ``text``, 32 hex digits,
    which COPY takes as they are.
    """
    stamp = (int(time.time() * 1000) & (1 << 48) - 1) << 80 | 7 << 76 | 2 << 62
    random = os.urandom(6 * count)
    for n in range(count):
        # counter: 12 bits after the version, 14 bits after the variant; then 48 random bits
        tail = int.from_bytes(random[6 * n : 6 * n + 6])
        value = stamp | (n >> 14 & 0xFFF) << 64 | (n & 0x3FFF) << 48 | tail
        yield f"{value:032x}" if text else UUID(int=value)


class _Stopwatch(dict):
    """Seconds per step, for the report and the log line."""

    def __init__(self):
        super().__init__()
        self.last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self[step] = round(self.get(step, 0) + now - self.last, 3)
        self.last = now


def _write(
    tenant, plan: _Plan, *, by, detail: str, now, source: str, clock: _Stopwatch
) -> tuple[list[str], int, int]:
    """All the writes of an import; returns (new tag names, tag links added, list additions)."""
    postgres = connection.vendor == "postgresql"
    writer = (_PostgresWriter if postgres else _DjangoWriter)(tenant, now, str(source))
    actor_id = by.pk if by is not None else None
    created = [plan.tag_names[key] for key, tag_id in plan.tags.items() if tag_id is None]
    if created:
        Tag.objects.bulk_create(
            [Tag(tenant=tenant, name=name) for name in created], ignore_conflicts=True
        )
        plan.tags.update(_resolve_tags(tenant, plan.tag_names, plan.stored_names))
    tag_ids = plan.tags
    if plan.new:
        try:
            writer.insert_contacts(plan)
        except IntegrityError:
            raise SpreadsheetError(
                _(
                    "Contacts with some of these phones were added while the import ran, so "
                    "nothing was imported. Run the import again."
                )
            ) from None
    clock.lap("write_contacts")
    writer.update_contacts(plan.changed)
    clock.lap("write_updates")

    events = [(contact_id, Kind.IMPORTED.value, detail, actor_id) for contact_id, _row in plan.new]
    events.extend(
        (contact_id, Kind.UPDATED.value, detail, actor_id)
        for contact_id, _row, changes in plan.updated
        if changes
    )
    per_tag: Counter = Counter()
    if plan.links_new:
        links = [(contact_id, tag_ids[key]) for contact_id, key in plan.links_new]
        per_tag.update(tag_id for _c, tag_id in writer.insert_links(links, existing=False))
    if plan.links_existing:
        links = [(contact_id, tag_ids[key]) for contact_id, key in plan.links_existing]
        added = writer.insert_links(links, existing=True)
        per_tag.update(tag_id for _c, tag_id in added)
        events.extend(
            (contact_id, Kind.TAGGED.value, plan.stored_names[tag_id], actor_id)
            for contact_id, tag_id in added
        )
    for tag_id, count in per_tag.items():
        move_count(Tag, tag_id, count)
    clock.lap("write_tags")
    listed = 0
    if plan.contact_list is not None:
        contact_list = plan.contact_list
        listed = len(writer.insert_memberships(contact_list, plan.listed_new, existing=False))
        if plan.listed_existing:
            added = writer.insert_memberships(contact_list, plan.listed_existing, existing=True)
            listed += len(added)
            events.extend(
                (contact_id, Kind.LISTED.value, contact_list.name[:255], actor_id)
                for contact_id in added
            )
        move_count(ContactList, contact_list.pk, listed)
    clock.lap("write_list")
    if events:
        writer.insert_events(events)
    clock.lap("write_events")
    announce_written(
        tenant,
        [contact_id for contact_id, _row in plan.new],
        [contact_id for contact_id, _row, changes in plan.updated if changes],
    )
    clock.lap("write_webhooks")
    return created, sum(per_tag.values()), listed


# --- the whole import ---------------------------------------------------------------------------
def run_import(
    tenant,
    table: Table,
    mapping: dict[int, str],
    options: ImportOptions,
    *,
    dry_run: bool,
    by=None,
    progress: Callable[[int, int | None], None] | None = None,
    preview_per_status: int = PREVIEW_PER_STATUS,
) -> ImportReport:
    """Import ``table`` into ``tenant``'s contacts, or with ``dry_run`` say what it would do
    without writing anything.

    Raises SpreadsheetError for a mapping or file that cannot be imported, and
    ``tenancy.limits.PlanLimitError`` (before any write) when the new contacts do not fit the
    plan; a dry run reports that in ``limit_error`` instead. ``progress(done, total)`` is called
    every ~2000 rows while reading, outside the import's transaction, and once at the end.
    ``preview_per_status`` bounds the outcomes kept per status (the API asks for all of them).
    """
    mapping = {int(column): target for column, target in mapping.items()}
    validate_mapping(mapping, table.header)
    _option_tags(options)  # a bad option fails before the file is read
    # The cyclic garbage collector would walk the ever larger set of rows kept in memory
    # again and again (half of the reading time at 100,000 rows); nothing here makes cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(
            tenant,
            table,
            mapping,
            options,
            dry_run=dry_run,
            by=by,
            progress=progress,
            preview_per_status=preview_per_status,
        )
    finally:
        if collecting:
            gc.enable()


def _run(
    tenant, table, mapping, options, *, dry_run, by, progress, preview_per_status
) -> ImportReport:
    clock = _Stopwatch()
    cleaner = _RowCleaner(tenant, table.header, mapping)
    read = _read_rows(cleaner, table, progress)
    clock.lap("read")
    detail = (table.filename or _("spreadsheet import"))[:255]
    if dry_run:
        with transaction.atomic():
            _read_only()
            plan = _classify(tenant, read, options, new_ids=_placeholder_ids())
            limit_error = _limit_problem(tenant, len(plan.new))
            transaction.set_rollback(True)
        clock.lap("check")
        created = [plan.tag_names[key] for key, tag_id in plan.tags.items() if tag_id is None]
        linked = len(plan.links_new) + len(plan.links_existing)
        listed = len(plan.listed_new) + len(plan.listed_existing)
    else:
        limit_error = ""
        with transaction.atomic():
            locked = limits.lock_tenant(tenant)
            new_ids = _uuids(len(read.winners), text=connection.vendor == "postgresql")
            plan = _classify(tenant, read, options, new_ids=new_ids)
            if plan.new:
                limits.require_capacity(locked, limits.Resource.CONTACTS, adding=len(plan.new))
            clock.lap("check")
            created, linked, listed = _write(
                tenant,
                plan,
                by=by,
                detail=detail,
                now=timezone.now(),
                source=options.source,
                clock=clock,
            )
        clock.lap("commit")
        logger.info(
            "contacts imported",
            extra={
                "tenant_id": str(tenant.pk),
                "new": len(plan.new),
                "updated": len(plan.updated),
                "rows": read.total,
                "seconds": dict(clock),
            },
        )
    if progress is not None:
        progress(read.total, read.total)
    report = _report(read, plan, dry_run=dry_run, per_status=preview_per_status)
    report.limit_error = limit_error
    report.new_tags, report.tag_links, report.list_additions = created, linked, listed
    clock.lap("report")
    report.seconds = dict(clock)
    return report


def _placeholder_ids():
    while True:
        yield None


def _read_only():
    """Make the current transaction refuse writes. PostgreSQL allows switching to read-only at
    any point, also inside a savepoint; the caller rolls back, which undoes it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION READ ONLY")


def _limit_problem(tenant, new: int) -> str:
    if not new:
        return ""
    try:
        limits.require_capacity(tenant, limits.Resource.CONTACTS, adding=new)
    except limits.PlanLimitError as error:
        return " ".join(error.messages)
    return ""


def _report(read: _Read, plan: _Plan, *, dry_run: bool, per_status: int) -> ImportReport:
    rejected = [(row.number, list(row.raw), reason) for row, reason in read.invalid]
    rejected.extend(
        (row.number, list(row.raw), _duplicate_reason(by)) for row, by in read.duplicates
    )
    rejected.sort(key=lambda item: item[0])
    skipped_reason = _("a contact with this phone already exists (updating is off)")
    outcomes: dict[str, list] = defaultdict(list)

    def add(status, rows, reason=""):
        for item in rows:
            if len(outcomes[status]) >= per_status:
                return
            row, why = item if isinstance(item, tuple) else (item, reason)
            outcomes[status].append(
                RowOutcome(row.number, status, why, row.preview_values(), list(row.raw))
            )

    def add_written(status, written):
        for contact_id, row in written:
            if len(outcomes[status]) >= per_status:
                return
            outcomes[status].append(
                RowOutcome(
                    row.number,
                    status,
                    values=row.preview_values(),
                    raw=list(row.raw),
                    contact_id=str(UUID(str(contact_id))) if contact_id else "",
                )
            )

    add_written("new", plan.new)
    add_written("updated", ((pk, row) for pk, row, _changes in plan.updated))
    add_written("unchanged", plan.unchanged)
    add("skipped", plan.skipped, skipped_reason)
    add("invalid", read.invalid)
    add("duplicate", ((row, _duplicate_reason(by)) for row, by in read.duplicates))
    preview = sorted(
        (outcome for status in STATUSES for outcome in outcomes[status]),
        key=lambda outcome: outcome.row_number,
    )
    counts = {
        "new": len(plan.new),
        "updated": len(plan.updated),
        "unchanged": len(plan.unchanged),
        "skipped": len(plan.skipped),
        "invalid": len(read.invalid),
        "duplicate": len(read.duplicates),
    }
    return ImportReport(
        counts=counts, rejected=rejected, preview=preview, total_rows=read.total, dry_run=dry_run
    )


def _duplicate_reason(replaced_by: int) -> str:
    return _("the phone appears again in row %(row)s, which was imported instead") % {
        "row": replaced_by
    }
