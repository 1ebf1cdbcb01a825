"""Who a campaign goes to: contacts in any of its tags or lists or matching its saved filter,
materialised into pending recipients when it starts (so later imports do not leak in), plus
contacts added by hand."""

import uuid
from zoneinfo import ZoneInfo

from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns import dispatch, transitions
from campaigns.models import Campaign, CampaignEvent, CampaignRecipient
from contacts.jobs import changelist_contacts
from contacts.models import Contact, ContactTag, ListMembership

CLOSED = (Campaign.Status.COMPLETED, Campaign.Status.CANCELLED)
# A fresh primary key per inserted row, computed by the database.
NEW_UUID = {"postgresql": "gen_random_uuid()", "sqlite": "lower(hex(randomblob(16)))"}


def _reachable(tenant_id):
    # Contacts have no "inactive" flag today: opting out is the only way to leave campaigns.
    return Contact.objects.for_tenant(tenant_id).filter(opted_out=False)


def _filtered(campaign: Campaign):
    """The saved filter replayed on the contacts changelist as the campaign's creator sees it."""
    if campaign.created_by is None:
        raise ValidationError(
            _("The contacts filter cannot be applied: its author no longer exists."),
            code="filter_without_author",
        )
    try:
        return changelist_contacts(campaign.created_by, campaign.audience_filter)
    except (IncorrectLookupParameters, DisallowedModelAdminLookup):
        raise ValidationError(
            _("The contacts filter is not valid."), code="invalid_filter"
        ) from None


def audience_queryset(campaign: Campaign):
    """The campaign's audience, each contact once; empty when no tag, list or filter is set."""
    tenant_id = campaign.tenant_id
    # Scoped to the tenant twice: a foreign tag or list id in the campaign matches nothing.
    tags = campaign.audience_tags.filter(tenant_id=tenant_id).values("pk")
    lists = campaign.audience_lists.filter(tenant_id=tenant_id).values("pk")
    wanted = Q(pk__in=[])
    if tags.exists():
        wanted |= Exists(ContactTag.objects.filter(contact=OuterRef("pk"), tag__in=tags))
    if lists.exists():
        wanted |= Exists(
            ListMembership.objects.filter(contact=OuterRef("pk"), contact_list__in=lists)
        )
    if campaign.audience_filter:
        wanted |= Q(pk__in=_filtered(campaign).order_by().values("pk"))
    return _reachable(tenant_id).filter(wanted)


def _insert_pending(campaign: Campaign, contacts) -> int:
    """INSERT … SELECT one pending recipient per contact of ``contacts`` not already in the
    campaign; the counter moves by exactly the rows inserted, in the same transaction."""
    try:
        select_sql, select_params = (
            contacts.order_by().values(contact_pk=F("pk")).query.sql_with_params()
        )
    except EmptyResultSet:  # no tag, list or filter: nobody to insert
        return 0
    values = {
        "tenant": campaign.tenant_id,
        "campaign": campaign.pk,
        "status": CampaignRecipient.Status.PENDING,
    }
    columns, params = ["id", "contact_id"], []
    for field in CampaignRecipient._meta.concrete_fields:
        if field.primary_key or field.name == "contact" or field.null:
            continue
        value = values[field.name] if field.name in values else field.get_default()
        columns.append(field.column)
        params.append(field.get_db_prep_save(value, connection))
    quote = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(params))
    sql = (
        f"INSERT INTO {quote(CampaignRecipient._meta.db_table)} "
        f"({', '.join(quote(column) for column in columns)}) "
        f"SELECT {NEW_UUID[connection.vendor]}, audience.contact_pk, {placeholders} "
        f"FROM ({select_sql}) AS audience "
        # WHERE true: SQLite needs it to read ON CONFLICT as part of the INSERT.
        f"WHERE true ON CONFLICT (campaign_id, contact_id) DO NOTHING"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [*params, *select_params])
        created = cursor.rowcount
        transitions.added_pending(campaign.pk, created)
    return created


def materialise(campaign: Campaign) -> int:
    """Add the audience as pending recipients; returns how many are new. Idempotent: contacts
    already in the campaign (materialised before, or added by hand) are left alone."""
    return _insert_pending(campaign, audience_queryset(campaign))


def contacts_for_selection(tenant, ids):
    """The contacts of ``tenant`` among ``ids`` (an iterable or a ``values("pk")`` queryset).
    Raises ValidationError if any id belongs to another tenant."""
    if not isinstance(ids, QuerySet):
        try:
            ids = [uuid.UUID(str(pk)) for pk in ids]
        except ValueError:
            raise ValidationError(_("Unknown contacts."), code="unknown_contacts") from None
    if Contact.objects.filter(pk__in=ids).exclude(tenant=tenant).exists():
        raise ValidationError(_("Unknown contacts."), code="unknown_contacts")
    return Contact.objects.for_tenant(tenant).filter(pk__in=ids)


def add_contacts(campaign: Campaign, contact_ids, *, by=None) -> int:
    """Add contacts (ids of the campaign's tenant) as pending recipients; returns how many are
    new. Opted-out contacts are left out. A running campaign sends to them next (a paused one
    when it resumes)."""
    with transaction.atomic():
        # Row lock: a cancel or the completion cannot slip between the check and the insert.
        locked = Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)
        if locked.status in CLOSED:
            raise ValidationError(
                _("A finished or cancelled campaign cannot get new recipients."),
                code="campaign_closed",
            )
        contacts = contacts_for_selection(locked.tenant_id, contact_ids)
        created = _insert_pending(locked, contacts.filter(opted_out=False))
        if created:
            CampaignEvent.objects.create(
                tenant_id=locked.tenant_id,
                campaign=locked,
                kind=CampaignEvent.Kind.RECIPIENTS_ADDED,
                detail=ngettext("%(count)s contact", "%(count)s contacts", created)
                % {"count": created},
                actor=by,
            )
            if locked.status == Campaign.Status.RUNNING:
                transaction.on_commit(lambda: dispatch.refill(locked.pk))
    return created


def draft_for_contacts(tenant, contact_ids, *, by) -> Campaign:
    """A draft campaign owned by ``by`` whose audience is these contacts (recipients now, so
    the start adds nothing unless tags, lists or a filter are set later)."""
    with transaction.atomic():
        local = timezone.localtime(timezone.now(), ZoneInfo(tenant.timezone))
        campaign = Campaign.objects.create(
            tenant=tenant,
            name=_("Selected contacts, %(when)s") % {"when": local.strftime("%d/%m/%Y %H:%M")},
            created_by=by,
        )
        add_contacts(campaign, contact_ids, by=by)
    return campaign
