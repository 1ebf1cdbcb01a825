"""Webhooks move campaign recipients: receipts along the funnel, replies, opt-out keywords."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bus.payloads import ChatSend
from campaigns import tracking
from campaigns.models import Campaign, CampaignRecipient
from chat.models import Conversation, Message
from contacts.models import Contact, ContactEvent
from tests.whatsapp.webhooks import conftest as webhooks
from tests.whatsapp.webhooks import payloads as p
from whatsapp import inbound
from whatsapp.models import WhatsAppInstance

pytestmark = pytest.mark.django_db
# The webhook tests' fixtures: Acme's and Globex's instances, and a poster that signs.
acme_instance = webhooks.acme_instance
globex_instance = webhooks.globex_instance
evolution = webhooks.evolution
R = CampaignRecipient.Status
CUSTOMER_PHONE = "+5511987654321"  # p.CUSTOMER


def counters(campaign) -> dict:
    return {s: n for s, n in campaign.counts().items() if n and s != "total"}


def assert_counters_match_rows(campaign):
    rows = {}
    for status in campaign.recipients.values_list("status", flat=True):
        rows[status] = rows.get(status, 0) + 1
    assert counters(campaign) == rows


@pytest.fixture
def running(cast):
    return Campaign.objects.create(tenant=cast.acme, name="Black Friday", status="running")


@pytest.fixture
def customer(cast):
    return Contact.objects.create(tenant=cast.acme, phone=CUSTOMER_PHONE, name="Maria")


@pytest.fixture
def another(cast):
    return Contact.objects.create(tenant=cast.acme, phone="+5511987650002", name="João")


@pytest.fixture
def sent_to(acme_instance):
    """``sent_to(campaign, contact)``: a recipient the engine sent, and its chat message."""

    def make(campaign, contact, *, instance=acme_instance, ago=timedelta(hours=1), status=R.SENT):
        key_id = p.new_id()
        sent_at = timezone.now() - ago
        recipient = CampaignRecipient.objects.create(
            tenant=campaign.tenant,
            campaign=campaign,
            contact=contact,
            instance=instance,
            status=status,
            provider_id=key_id,
            sent_at=sent_at,
        )
        Campaign.objects.filter(pk=campaign.pk).update(
            **{f"folded_{status}": F(f"folded_{status}") + 1}
        )
        conversation, _created = Conversation.objects.get_or_create(
            tenant=campaign.tenant,
            instance=instance,
            remote_jid=f"{contact.phone[1:]}@s.whatsapp.net",
            defaults={"contact": contact},
        )
        Message.objects.create(
            tenant=campaign.tenant,
            conversation=conversation,
            direction=Message.Direction.OUTBOUND,
            body="Oferta!",
            provider_id=key_id,
            status=Message.Status.SENT,
            sent_at=sent_at,
            timestamp=sent_at,
            campaign_recipient=recipient,
        )
        return recipient

    return make


def time_now() -> float:
    return timezone.now().timestamp()


def receipts(evolution, instance, recipient, *values):
    for value in values:
        evolution.send(instance, p.status(instance.evolution_name, recipient.provider_id, value))
    recipient.refresh_from_db()
    return recipient.status


# --- Receipts ------------------------------------------------------------------------------


def test_receipts_move_the_recipient_along_the_funnel(
    evolution,
    acme_instance,
    running,
    customer,
    sent_to,
):
    recipient = sent_to(running, customer)
    assert receipts(evolution, acme_instance, recipient, "SERVER_ACK") == R.SENT
    assert counters(running) == {"sent": 1}
    assert receipts(evolution, acme_instance, recipient, "DELIVERY_ACK") == R.DELIVERED
    assert counters(running) == {"delivered": 1}
    assert receipts(evolution, acme_instance, recipient, "READ") == R.READ
    assert counters(running) == {"read": 1}
    assert recipient.delivered_at and recipient.read_at


def test_out_of_order_and_repeated_receipts_never_move_back_or_count_twice(
    evolution,
    acme_instance,
    running,
    customer,
    another,
    sent_to,
):
    first = sent_to(running, customer)
    second = sent_to(running, another)
    assert receipts(evolution, acme_instance, first, "READ", "DELIVERY_ACK", "READ") == R.READ
    assert first.delivered_at is not None  # read implies delivered
    status = receipts(
        evolution, acme_instance, second, "DELIVERY_ACK", "DELIVERY_ACK", "SERVER_ACK"
    )
    assert status == R.DELIVERED
    assert counters(running) == {"read": 1, "delivered": 1}
    assert_counters_match_rows(running)


def test_played_counts_as_read(evolution, acme_instance, running, customer, sent_to):
    recipient = sent_to(running, customer)
    assert receipts(evolution, acme_instance, recipient, "PLAYED", "READ") == R.READ
    assert counters(running) == {"read": 1}


def test_an_error_fails_a_recipient_only_while_it_is_sent(
    evolution,
    acme_instance,
    running,
    customer,
    another,
    sent_to,
):
    failed = sent_to(running, customer)
    delivered = sent_to(running, another)
    assert receipts(evolution, acme_instance, failed, "ERROR") == R.FAILED
    assert failed.failed_at and failed.last_error
    assert receipts(evolution, acme_instance, delivered, "DELIVERY_ACK", "ERROR") == R.DELIVERED
    assert counters(running) == {"failed": 1, "delivered": 1}


def test_a_replied_recipient_stays_replied_after_a_late_read(
    evolution,
    acme_instance,
    running,
    customer,
    sent_to,
):
    recipient = sent_to(running, customer)
    evolution.send(acme_instance, p.text("acme-main", "Quero!", timestamp=int(time_now())))
    assert receipts(evolution, acme_instance, recipient, "READ") == R.REPLIED
    assert counters(running) == {"replied": 1}
    assert recipient.read_at is not None  # the funnel step is still stamped


def test_a_receipt_that_overtook_the_send_is_applied_when_the_message_is_stored(
    evolution,
    acme_instance,
    running,
    customer,
    sent_to,
):
    recipient = sent_to(running, customer)
    message = recipient.messages.get()
    Message.objects.filter(pk=message.pk).update(provider_id="")  # not answered yet
    body = p.status("acme-main", recipient.provider_id, "DELIVERY_ACK")
    assert evolution.send(acme_instance, body) == "deferred"

    Message.objects.filter(pk=message.pk).update(provider_id=recipient.provider_id)
    message.refresh_from_db()
    inbound.apply_waiting(message)  # what the engine does once Evolution answered
    recipient.refresh_from_db()
    assert recipient.status == R.DELIVERED
    assert counters(running) == {"delivered": 1}


def test_a_receipt_settles_a_recipient_whose_send_was_not_recorded(
    evolution,
    acme_instance,
    running,
    customer,
    sent_to,
):
    recipient = sent_to(running, customer, status=R.SENDING)
    assert receipts(evolution, acme_instance, recipient, "DELIVERY_ACK") == R.DELIVERED
    assert counters(running) == {"delivered": 1}


# --- Replies -------------------------------------------------------------------------------


def customer_writes(evolution, instance, text="Tenho interesse", *, remote_jid=p.CUSTOMER):
    body = p.text(instance.evolution_name, text, remote_jid=remote_jid, timestamp=int(time_now()))
    assert evolution.send(instance, body) == "processed"


def test_a_message_from_the_contact_marks_the_latest_campaign_replied(
    evolution,
    acme_instance,
    cast,
    customer,
    sent_to,
):
    older = Campaign.objects.create(tenant=cast.acme, name="Old", status="completed")
    newer = Campaign.objects.create(tenant=cast.acme, name="New", status="running")
    old_one = sent_to(older, customer, ago=timedelta(days=2))
    new_one = sent_to(newer, customer, status=R.READ)

    customer_writes(evolution, acme_instance)
    customer_writes(evolution, acme_instance, "Outra pergunta")

    old_one.refresh_from_db()
    new_one.refresh_from_db()
    assert (old_one.status, new_one.status) == (R.SENT, R.REPLIED)
    assert new_one.replied_at is not None
    assert counters(newer) == {"replied": 1}
    assert counters(older) == {"sent": 1}


@pytest.mark.parametrize("case", ["older than 7 days", "another number", "failed"])
def test_what_is_not_a_reply(evolution, acme_instance, cast, running, customer, sent_to, case):
    if case == "older than 7 days":
        recipient = sent_to(running, customer, ago=timedelta(days=8))
    elif case == "another number":
        other = WhatsAppInstance.objects.create(
            tenant=cast.acme, name="Acme 2", evolution_name="acme-2", state="open"
        )
        recipient = sent_to(running, customer, instance=other)
    else:
        recipient = sent_to(running, customer, status=R.FAILED)
    before = counters(running)
    customer_writes(evolution, acme_instance)
    recipient.refresh_from_db()
    assert recipient.status != R.REPLIED
    assert counters(running) == before


def test_a_contact_without_campaigns_costs_one_indexed_query(
    evolution,
    acme_instance,
    customer,
    django_assert_num_queries,
):
    customer_writes(evolution, acme_instance)  # the conversation exists from here on
    message = Message.objects.select_related("conversation").get()
    conversation = message.conversation
    with CaptureQueriesContext(connection) as captured, django_assert_num_queries(1):
        tracking.on_inbound(acme_instance, conversation, message)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + captured.captured_queries[0]["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "recipient_contact_sent" in plan


# --- Opt-out keywords ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["SAIR", "sair.", " Stop ", "Parar!", "cancelár", "CANCELAR 🛑", "\tstop\n", "Sáir"]
)
def test_keywords(text):
    assert tracking.is_opt_out(text)


@pytest.mark.parametrize(
    "text", ["sair daqui", "quero sair", "STOPS", "s a i r", "", "sair" + " " * 40 + "!"]
)
def test_not_keywords(text):
    assert not tracking.is_opt_out(text)


def queued_sends(callbacks) -> list[ChatSend]:
    envelopes = [cb.args[0] for cb in callbacks if getattr(cb, "args", None)]
    return [e.payload for e in envelopes if isinstance(e.payload, ChatSend)]


def test_a_keyword_opts_the_contact_out_and_queues_the_reply_once(
    evolution,
    acme_instance,
    cast,
    customer,
    django_capture_on_commit_callbacks,
):
    cast.acme.opt_out_reply = "Pronto, você não receberá mais mensagens."
    cast.acme.save(update_fields=["opt_out_reply"])
    with django_capture_on_commit_callbacks() as callbacks:
        customer_writes(evolution, acme_instance, "Sair.")
        customer_writes(evolution, acme_instance, "STOP")

    customer.refresh_from_db()
    assert customer.opted_out and customer.opted_out_at
    assert "Sair." in customer.opt_out_reason
    events = ContactEvent.objects.filter(contact=customer, kind=ContactEvent.Kind.OPTED_OUT)
    assert events.count() == 1
    reply = Message.objects.get(direction=Message.Direction.OUTBOUND)
    assert (reply.body, reply.status) == (cast.acme.opt_out_reply, Message.Status.PENDING)
    assert reply.conversation.contact == customer
    assert reply.conversation.last_message_preview == reply.body
    assert [s.message_id for s in queued_sends(callbacks)] == [str(reply.pk)]


def test_no_reply_when_the_company_has_none(evolution, acme_instance, cast, customer):
    cast.acme.opt_out_reply = ""
    cast.acme.save(update_fields=["opt_out_reply"])
    customer_writes(evolution, acme_instance, "PARAR")
    customer.refresh_from_db()
    assert customer.opted_out
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()


def test_an_already_opted_out_contact_gets_no_confirmation(evolution, acme_instance, customer):
    Contact.objects.filter(pk=customer.pk).update(opted_out=True, opt_out_reason="by phone")
    customer_writes(evolution, acme_instance, "cancelar")
    customer.refresh_from_db()
    assert customer.opt_out_reason == "by phone"
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()


@pytest.mark.parametrize("where", ["a sentence", "a group", "our own phone"])
def test_what_does_not_opt_out(evolution, acme_instance, customer, where):
    if where == "a sentence":
        body = p.text("acme-main", "sair daqui")
    elif where == "a group":
        body = p.text(
            "acme-main", "SAIR", remote_jid=p.GROUP, key_extra={"participant": p.CUSTOMER}
        )
    else:
        body = p.text("acme-main", "SAIR", from_me=True, push_name="")
    assert evolution.send(acme_instance, body) == "processed"
    customer.refresh_from_db()
    assert not customer.opted_out


def test_a_globex_keyword_never_touches_acme(
    evolution,
    globex_instance,
    cast,
    customer,
    running,
    sent_to,
):
    recipient = sent_to(running, customer)
    globex_customer = Contact.objects.create(tenant=cast.globex, phone=CUSTOMER_PHONE)
    customer_writes(evolution, globex_instance, "STOP")

    globex_customer.refresh_from_db()
    customer.refresh_from_db()
    recipient.refresh_from_db()
    assert globex_customer.opted_out
    assert not customer.opted_out
    assert recipient.status == R.SENT  # a Globex message is no reply to an Acme campaign
    assert not ContactEvent.objects.filter(tenant=cast.acme, kind="opted_out").exists()
    reply = Message.objects.get(direction=Message.Direction.OUTBOUND, campaign_recipient=None)
    assert reply.tenant_id == cast.globex.pk
