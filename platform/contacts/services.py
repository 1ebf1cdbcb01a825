"""State changes of contacts: creation within the plan limit, tags, lists, opt-out, timeline.

Bulk changes run as one set-based statement whatever the selection's size (a "select all" over a
million contacts must not load them into Python), and the tag and list counters move by the
number of rows each statement really changed (DESIGN rule 6).
"""

from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from alrea.phones import normalize_phone
from api import event_data, outbound
from contacts.models import (
    Contact,
    ContactEvent,
    ContactList,
    ContactTag,
    ListMembership,
    Tag,
)
from tenancy import limits

Kind = ContactEvent.Kind


def normalize_for(tenant, raw_phone: str) -> str:
    """E.164 form of a phone written the way people of ``tenant``'s country write it."""
    return normalize_phone(raw_phone, region=tenant.country)


def create_contact(tenant, *, by=None, source=Contact.Source.MANUAL, **fields) -> Contact:
    with transaction.atomic():
        limits.require_capacity(limits.lock_tenant(tenant), limits.Resource.CONTACTS)
        contact = Contact(tenant=tenant, source=source, **fields)
        contact.phone = normalize_for(tenant, contact.phone)
        contact.full_clean()
        contact.save()
        announce_saved(tenant, contact, created=True, by=by)
    return contact


def update_contact(tenant, contact: Contact, *, by=None, **fields) -> Contact:
    """Change ``fields`` of a contact (the phone is normalised first) and put the names of the
    fields that really changed on its timeline."""
    _check_same_tenant(tenant, contact)
    if "phone" in fields:
        fields["phone"] = normalize_for(tenant, fields["phone"])
    changed = [name for name, value in fields.items() if getattr(contact, name) != value]
    if not changed:
        return contact
    for name in changed:
        setattr(contact, name, fields[name])
    contact.full_clean()
    with transaction.atomic():
        contact.save(update_fields=[*changed, "updated_at"])
        announce_saved(tenant, contact, changed=changed, by=by)
    return contact


def announce_saved(tenant, contact: Contact, *, created=False, changed=(), by=None) -> None:
    """A contact just saved (created, or with ``changed`` fields): its timeline entry and the
    integrators' webhook. The admin's form saves the model itself, then calls this."""
    if created:
        record(tenant, [contact.pk], Kind.CREATED, by=by)
        outbound.emit(tenant, "contact.created", lambda: event_data.contact(contact))
    elif changed:
        record(tenant, [contact.pk], Kind.UPDATED, detail=", ".join(changed), by=by)
        outbound.emit(tenant, "contact.updated", lambda: event_data.contact(contact))


# Rows whose webhook events are built and stored together: bounds the memory of a large import.
EVENT_BATCH = 1000


def announce_written(tenant, created_ids, updated_ids) -> None:
    """Contacts written in bulk (an import, the API's bulk upsert): one ``contact.created`` or
    ``contact.updated`` event per contact, like single saves, stored a batch at a time. Their
    timeline entries are the import's own."""
    for event, ids in (("contact.created", created_ids), ("contact.updated", updated_ids)):
        for start in range(0, len(ids), EVENT_BATCH):
            batch = ids[start : start + EVENT_BATCH]
            if not outbound.emit(tenant, event, lambda batch=batch: event_data.contacts(batch)):
                break  # nobody subscribed to this event: the next batches would find no one


def tags_named(tenant, names) -> list[Tag]:
    """The tenant's tags with these names, matched ignoring case as the import does; missing
    ones are created."""
    tags = []
    for name in dict.fromkeys(" ".join(name.split()) for name in names):
        if not name:
            continue
        tag = Tag.objects.for_tenant(tenant).filter(name__iexact=name).order_by("name").first()
        if tag is None:
            Tag.objects.bulk_create([Tag(tenant=tenant, name=name)], ignore_conflicts=True)
            tag = Tag.objects.for_tenant(tenant).get(name=name)
        if tag not in tags:
            tags.append(tag)
    return tags


def record(tenant, contact_ids, kind, *, detail: str = "", by=None) -> None:
    """Add one timeline event per contact."""
    ContactEvent.objects.bulk_create(
        [
            ContactEvent(tenant=tenant, contact_id=pk, kind=kind, detail=detail, actor=by)
            for pk in contact_ids
        ],
        batch_size=2000,
    )


def _link(through, target_field: str, target, contacts) -> list:
    """Insert (contact, target) rows for every contact not linked yet; return their ids.

    One INSERT ... SELECT, whatever the number of contacts; ON CONFLICT skips existing links.
    """
    field = through._meta.get_field(target_field)
    columns, values = ["contact_id", field.column], ["%s"]
    params = [field.get_db_prep_value(target.pk, connection)]
    if through is ListMembership:
        columns.append("added_at")
        values.append("%s")
        params.append(
            through._meta.get_field("added_at").get_db_prep_value(timezone.now(), connection)
        )
    ids_sql, ids_params = contacts.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(through._meta.db_table)} "
            f"({', '.join(columns)}) "
            f"SELECT selected.pk, {', '.join(values)} FROM ({ids_sql}) AS selected "
            # WHERE true: SQLite needs it to tell ON CONFLICT from a join constraint.
            f"WHERE true ON CONFLICT DO NOTHING RETURNING contact_id",
            (*params, *ids_params),
        )
        return [row[0] for row in cursor.fetchall()]


def _unlink(through, target_field: str, target, contacts) -> list:
    deleted = list(
        through.objects.filter(
            **{target_field: target}, contact__in=contacts.values("pk")
        ).values_list("contact_id", flat=True)
    )
    through.objects.filter(**{target_field: target}, contact_id__in=deleted).delete()
    return deleted


def move_count(model, pk, delta: int) -> None:
    """Move a tag's or list's contact counter by the rows a statement really changed."""
    if delta:
        model.objects.filter(pk=pk).update(contact_count=F("contact_count") + delta)


def _check_same_tenant(tenant, *objects):
    for obj in objects:
        if obj.tenant_id != tenant.pk:
            raise ValueError(f"{obj!r} belongs to another company")


@transaction.atomic
def add_tag(tenant, contacts, tag: Tag, *, by=None) -> int:
    _check_same_tenant(tenant, tag)
    added = _link(ContactTag, "tag", tag, contacts.for_tenant(tenant))
    move_count(Tag, tag.pk, len(added))
    record(tenant, added, Kind.TAGGED, detail=tag.name, by=by)
    return len(added)


@transaction.atomic
def remove_tag(tenant, contacts, tag: Tag, *, by=None) -> int:
    _check_same_tenant(tenant, tag)
    removed = _unlink(ContactTag, "tag", tag, contacts.for_tenant(tenant))
    move_count(Tag, tag.pk, -len(removed))
    record(tenant, removed, Kind.UNTAGGED, detail=tag.name, by=by)
    return len(removed)


@transaction.atomic
def add_to_list(tenant, contacts, contact_list: ContactList, *, by=None) -> int:
    _check_same_tenant(tenant, contact_list)
    added = _link(ListMembership, "contact_list", contact_list, contacts.for_tenant(tenant))
    move_count(ContactList, contact_list.pk, len(added))
    record(tenant, added, Kind.LISTED, detail=contact_list.name, by=by)
    return len(added)


@transaction.atomic
def remove_from_list(tenant, contacts, contact_list: ContactList, *, by=None) -> int:
    _check_same_tenant(tenant, contact_list)
    removed = _unlink(ListMembership, "contact_list", contact_list, contacts.for_tenant(tenant))
    move_count(ContactList, contact_list.pk, -len(removed))
    return len(removed)


@transaction.atomic
def opt_out(tenant, contacts, *, reason: str = "", by=None) -> int:
    """Stop every campaign message to these contacts. Already opted-out ones keep their date."""
    changed = list(contacts.for_tenant(tenant).filter(opted_out=False).values_list("pk", flat=True))
    Contact.objects.filter(pk__in=changed).update(
        opted_out=True, opted_out_at=timezone.now(), opt_out_reason=reason
    )
    record(tenant, changed, Kind.OPTED_OUT, detail=reason, by=by)
    outbound.emit(tenant, "contact.opted_out", lambda: event_data.contacts(changed))
    return len(changed)


@transaction.atomic
def opt_in(tenant, contacts, *, by=None) -> int:
    changed = list(contacts.for_tenant(tenant).filter(opted_out=True).values_list("pk", flat=True))
    Contact.objects.filter(pk__in=changed).update(
        opted_out=False, opted_out_at=None, opt_out_reason=""
    )
    record(tenant, changed, Kind.OPTED_IN, by=by)
    return len(changed)


@transaction.atomic
def delete_contacts(tenant, contacts) -> int:
    """Delete contacts and take them off their tags' and lists' counters."""
    selected = contacts.for_tenant(tenant).values("pk")
    for through, target_field, model in (
        (ContactTag, "tag", Tag),
        (ListMembership, "contact_list", ContactList),
    ):
        per_target = (
            through.objects.filter(contact__in=selected)
            .values_list(f"{target_field}_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for target_id, n in per_target:
            move_count(model, target_id, -n)
    deleted, _by_model = Contact.objects.filter(pk__in=selected).delete()
    return deleted
