"""One row per tenant (or one platform row) for every model in the admin registry.

The admin walk (``walk.build``) asks this table for rows of every registered model, so a model
registered by a later issue is walked automatically, and a model without a factory fails the
suite with "add a factory for <label>". Tenant-owned factories get the tenant and a marker string
that only that tenant's row carries, so a page that shows the other tenant's row is easy to spot.

A tenant's row is made visible to every role of that tenant where the model allows it (Acme's
rows sit in Sales, the department of marcos and alice), so the walk exercises the role views too.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone
from django_q.models import Failure, OrmQ, Schedule, Success

from accounts.models import Department, Role, User
from api import services as api_services
from api.models import WebhookDelivery, WebhookSubscription
from campaigns import transitions
from campaigns.models import Campaign, CampaignMessage, CampaignRecipient
from chat.models import Conversation, Message, QuickReply
from contacts import services as contact_services
from contacts.models import ContactExport, ContactImport, ContactList, Tag
from notifications.models import Notification
from tenancy.models import AddOn, Plan, Product
from tests.scoping_app.models import Ticket
from whatsapp.models import (
    ConnectionLogEntry,
    EvolutionServer,
    InstanceDailyStats,
    WebhookEvent,
    WhatsAppInstance,
)

# The department each tenant's rows belong to (marcos and alice work in Acme's Sales).
HOME_DEPARTMENT = {"acme": "Sales", "globex": "Support"}


@dataclass(frozen=True)
class Factory:
    make: Callable
    per_tenant: bool


FACTORIES: dict[str, Factory] = {}


def tenant_factory(label):
    def register(make):
        FACTORIES[label] = Factory(make, per_tenant=True)
        return make

    return register


def platform_factory(label):
    def register(make):
        FACTORIES[label] = Factory(make, per_tenant=False)
        return make

    return register


def home_department(cast, tenant) -> Department:
    return cast.departments[(tenant.slug, HOME_DEPARTMENT[tenant.slug])]


# --- tenant-owned (make(cast, tenant, marker)) ------------------------------------------------
@tenant_factory("tenancy.Tenant")
def _tenant(cast, tenant, marker):
    return tenant


@tenant_factory("tenancy.AddOn")
def _addon(cast, tenant, marker):
    return AddOn.objects.create(tenant=tenant, note=marker)


@tenant_factory("accounts.Department")
def _department(cast, tenant, marker):
    department = Department.objects.create(tenant=tenant, name=marker, colour="#123456")
    # Managers and agents see only their own departments: the home department's people join.
    department.members.add(*home_department(cast, tenant).members.all())
    return department


@tenant_factory("accounts.User")
def _user(cast, tenant, marker):
    user = User.objects.create_user(
        f"{tenant.slug}-walk@{tenant.slug}.test",
        "walk-password-1",
        display_name=marker,
        tenant=tenant,
        role=Role.AGENT,
    )
    user.departments.set([home_department(cast, tenant)])
    return user


@tenant_factory("scoping_app.Ticket")
def _ticket(cast, tenant, marker):
    ticket = Ticket.objects.create(
        tenant=tenant, title=marker, department=home_department(cast, tenant)
    )
    ticket.watchers.set([home_department(cast, tenant)])
    return ticket


@tenant_factory("contacts.Tag")
def _tag(cast, tenant, marker):
    return Tag.objects.create(tenant=tenant, name=marker)


@tenant_factory("contacts.ContactList")
def _contact_list(cast, tenant, marker):
    return ContactList.objects.create(tenant=tenant, name=marker)


@tenant_factory("contacts.Contact")
def _contact(cast, tenant, marker):
    # Each tenant's walk contact gets its own number, so a leak shows as a foreign phone too.
    number = {"acme": "(11) 98888-0001", "globex": "(21) 97777-0002"}[tenant.slug]
    return contact_services.create_contact(tenant, name=marker, phone=number)


@tenant_factory("contacts.ContactImport")
def _contact_import(cast, tenant, marker):
    return ContactImport.objects.create(
        tenant=tenant,
        file=ContentFile(b"nome;telefone\nAna;11987654321\n", name=f"{marker}.csv"),
        filename=f"{marker}.csv",
        mapping={"0": "name", "1": "phone"},
        total_rows=1,
    )


@tenant_factory("contacts.ContactExport")
def _contact_export(cast, tenant, marker):
    return ContactExport.objects.create(
        tenant=tenant, format="csv", query=f"q={marker}", status=ContactExport.Status.DONE
    )


def walk_instance(tenant) -> WhatsAppInstance:
    """The one WhatsApp line the walk's chat and webhook rows of a tenant hang on."""
    instance, _created = WhatsAppInstance.objects.get_or_create(
        evolution_name=f"walk-{tenant.slug}",
        defaults={"tenant": tenant, "name": f"{tenant.slug} walk line"},
    )
    return instance


def walk_conversation(cast, tenant, marker, number) -> Conversation:
    return Conversation.objects.create(
        tenant=tenant,
        instance=walk_instance(tenant),
        remote_jid=f"{number}@s.whatsapp.net",
        name=marker,
        department=home_department(cast, tenant),
    )


@tenant_factory("chat.Conversation")
def _conversation(cast, tenant, marker):
    number = {"acme": "5511900000001", "globex": "5521900000002"}[tenant.slug]
    return walk_conversation(cast, tenant, marker, number)


@tenant_factory("chat.Message")
def _message(cast, tenant, marker):
    number = {"acme": "5511900000003", "globex": "5521900000004"}[tenant.slug]
    return Message.objects.create(
        tenant=tenant,
        conversation=walk_conversation(cast, tenant, f"{marker} chat", number),
        direction=Message.Direction.INBOUND,
        body=marker,
        provider_id=f"{marker}-id",
        timestamp=timezone.now(),
    )


@tenant_factory("chat.QuickReply")
def _quick_reply(cast, tenant, marker):
    return QuickReply.objects.create(
        tenant=tenant,
        shortcut=f"walk-{tenant.slug}",
        text=marker,
        department=home_department(cast, tenant),
    )


@tenant_factory("whatsapp.WebhookEvent")
def _webhook_event(cast, tenant, marker):
    return WebhookEvent.objects.create(
        tenant=tenant,
        instance=walk_instance(tenant),
        event="MESSAGES_UPSERT",
        dedup_key=marker,
        payload={"event": "messages.upsert", "note": marker},
    )


@tenant_factory("whatsapp.WhatsAppInstance")
def _instance(cast, tenant, marker):
    instance = WhatsAppInstance.objects.create(
        tenant=tenant,
        name=marker,
        evolution_name=f"walk-instance-{tenant.slug}",
        default_department=home_department(cast, tenant),
        phone_number={"acme": "+5511900001111", "globex": "+5521900002222"}[tenant.slug],
    )
    ConnectionLogEntry.objects.create(
        tenant=tenant, instance=instance, state="close", detail=f"{marker} log"
    )
    InstanceDailyStats.objects.create(
        tenant=tenant, instance=instance, day=timezone.localdate(), sent=3, delivered=2
    )
    return instance


def walk_campaign(cast, tenant, marker) -> Campaign:
    """A draft in the home department, ready to start: a number and a message."""
    campaign = Campaign.objects.create(
        tenant=tenant, name=marker, department=home_department(cast, tenant)
    )
    campaign.instances.set([walk_instance(tenant)])
    CampaignMessage.objects.create(
        tenant=tenant, campaign=campaign, body="{{saudacao}}, {{primeiro_nome}}!"
    )
    return campaign


@tenant_factory("campaigns.Campaign")
def _campaign(cast, tenant, marker):
    return walk_campaign(cast, tenant, marker)


@tenant_factory("campaigns.CampaignRecipient")
def _campaign_recipient(cast, tenant, marker):
    campaign = walk_campaign(cast, tenant, f"{marker} campaign")
    number = {"acme": "(11) 98888-0005", "globex": "(21) 97777-0006"}[tenant.slug]
    contact = contact_services.create_contact(tenant, name=marker, phone=number)
    recipient = CampaignRecipient.objects.create(tenant=tenant, campaign=campaign, contact=contact)
    transitions.added_pending(campaign.pk, 1)
    return recipient


# --- platform-wide (make(cast)) ---------------------------------------------------------------
@tenant_factory("api.ApiKey")
def _api_key(cast, tenant, marker):
    key, _secret = api_services.create_key(tenant, name=f"{marker} key", scopes=["contacts:read"])
    return key


@tenant_factory("api.WebhookSubscription")
def _webhook_subscription(cast, tenant, marker):
    return WebhookSubscription.objects.create(
        tenant=tenant,
        url=f"https://{tenant.slug}.example.com/hooks",
        events=["contact.created"],
        description=f"{marker} webhook",
    )


@tenant_factory("api.WebhookDelivery")
def _webhook_delivery(cast, tenant, marker):
    subscription = WebhookSubscription.objects.create(
        tenant=tenant, url=f"https://{tenant.slug}.example.com/log", events=["contact.created"]
    )
    return WebhookDelivery.objects.create(
        tenant=tenant,
        subscription=subscription,
        event="contact.created",
        payload={"id": marker, "event": "contact.created", "data": {"name": marker}},
        status=WebhookDelivery.Status.FAILED,
        response_excerpt=f"{marker} answer",
    )


@platform_factory("whatsapp.EvolutionServer")
def _evolution_server(cast):
    return EvolutionServer.objects.create(
        name="Walk server", base_url="https://evo.walk.example.com", api_key="walk-server-key"
    )


@platform_factory("tenancy.Plan")
def _plan(cast):
    return Plan.objects.create(name="Walk plan", slug="walk-plan", max_users=9)


@platform_factory("tenancy.Product")
def _product(cast):
    return Product.objects.get(code=Product.Code.SENSE)  # created by a data migration


@platform_factory("auth.Group")
def _group(cast):
    return Group.objects.create(name="Walk group")


@platform_factory("django_q.Schedule")
def _schedule(cast):
    return Schedule.objects.create(
        name="walk-schedule", func="math.floor", args="1.5", schedule_type=Schedule.DAILY
    )


@tenant_factory("notifications.Notification")
def _notification(cast, tenant, marker):
    # The tenant admin's own: the walk checks that the tenant's other roles do not see it.
    admin = {"acme": cast.ana, "globex": cast.gabriel}[tenant.slug]
    return Notification.objects.create(
        tenant=tenant, user=admin, kind=Notification.Kind.IMPORT_FINISHED, title=marker
    )


def _task(model, name):
    now = timezone.now()
    return model.objects.create(
        id=f"{name:x<32}"[:32],
        name=name,
        func="math.floor",
        args=(1.5,),
        kwargs={},
        started=now,
        stopped=now,
        success=model is Success,
    )


@platform_factory("django_q.Success")
def _success(cast):
    return _task(Success, "walk-success")


@platform_factory("django_q.Failure")
def _failure(cast):
    return _task(Failure, "walk-failure")


@platform_factory("django_q.OrmQ")
def _ormq(cast):
    return OrmQ.objects.create(key="walk-cluster", payload="walk-payload")
