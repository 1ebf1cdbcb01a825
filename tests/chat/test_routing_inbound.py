"""Routing driven by WhatsApp: a new chat opens in its first queue, a customer writing to a closed
conversation reopens it, and a transfer sends the department's message to the customer."""

from functools import partial

import pytest

from bus.payloads import ChatSend
from chat import routing
from chat.models import Conversation, ConversationEvent, Message
from tests.chat.conftest import make_agent
from tests.chat.test_sending import chat_with, deliver
from tests.whatsapp.webhooks import conftest as webhooks
from tests.whatsapp.webhooks import payloads as p

pytestmark = pytest.mark.django_db
S = Conversation.Status
Kind = ConversationEvent.Kind

# Fixtures of the webhook tests (a signed poster, Acme's instance) and of the sending tests
# (Acme's number on the Evolution simulator).
evolution, acme_instance = webhooks.evolution, webhooks.acme_instance


def test_a_new_chat_starts_its_timeline_in_the_inbox(evolution, acme_instance):
    evolution.send(acme_instance, p.text("acme-main", "oi"))
    conversation = Conversation.objects.get()
    assert (conversation.status, conversation.department) == (S.PENDING, None)
    [opened] = conversation.events.all()
    assert (opened.kind, opened.actor, opened.to_department) == (Kind.OPENED, None, None)


def test_a_new_chat_opens_in_the_default_department(evolution, acme_instance, cast):
    sales = cast.departments[("acme", "Sales")]
    acme_instance.default_department = sales
    acme_instance.save()
    evolution.send(acme_instance, p.text("acme-main", "oi"))
    conversation = Conversation.objects.get()
    assert (conversation.status, conversation.department) == (S.OPEN, sales)
    assert conversation.events.get().to_department == sales


def test_the_customer_writing_again_reopens_through_the_service(evolution, acme_instance, cast):
    sales = cast.departments[("acme", "Sales")]
    evolution.send(acme_instance, p.text("acme-main", "oi"))
    conversation = routing.claim(Conversation.objects.get(), by=cast.ana)
    routing.close(conversation, by=cast.ana)
    acme_instance.default_department = sales
    acme_instance.save()

    evolution.send(acme_instance, p.text("acme-main", "voltei", timestamp=p.BASE_TS + 99))

    conversation.refresh_from_db()
    assert (conversation.status, conversation.department) == (S.OPEN, sales)
    assert (conversation.assigned_to, conversation.closed_at) == (None, None)
    assert conversation.unread_count == 2
    reopened = conversation.events.get(kind=Kind.REOPENED)
    assert (reopened.actor, reopened.from_agent, reopened.to_department) == (None, cast.ana, sales)


def test_more_messages_to_an_open_conversation_do_not_reopen_it(evolution, acme_instance, cast):
    evolution.send(acme_instance, p.text("acme-main", "oi"))
    routing.claim(Conversation.objects.get(), by=cast.ana)
    evolution.send(acme_instance, p.text("acme-main", "de novo", timestamp=p.BASE_TS + 9))
    conversation = Conversation.objects.get()
    assert conversation.assigned_to == cast.ana
    assert not conversation.events.filter(kind=Kind.REOPENED).exists()


def test_our_own_message_in_a_closed_conversation_leaves_it_closed(evolution, acme_instance, cast):
    evolution.send(acme_instance, p.text("acme-main", "oi"))
    routing.close(Conversation.objects.get(), by=cast.ana)
    evolution.send(
        acme_instance, p.text("acme-main", "obrigado!", from_me=True, timestamp=p.BASE_TS + 5)
    )
    assert Conversation.objects.get().status == S.CLOSED


def test_a_transfer_sends_the_departments_message_to_the_customer(
    line, simulator, cast, django_capture_on_commit_callbacks
):
    support = cast.departments[("acme", "Support")]
    conversation = chat_with(line, "+5511987654321")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        routing.transfer(conversation, department=support, reason="Defeito", by=cast.ana)
    queued = Message.objects.get(conversation=conversation)
    assert (queued.direction, queued.status) == (Message.Direction.OUTBOUND, Message.Status.PENDING)
    assert (queued.body, queued.sent_by) == ("Vou te transferir para o Suporte.", cast.ana)
    # chat.send is published once the transfer commits (bus.publish's on-commit callback).
    published = [c.args[0].payload for c in callbacks if isinstance(c, partial)]
    assert published == [ChatSend(tenant_id=line.tenant_id, message_id=queued.pk)]

    deliver(queued)

    [sent] = simulator.control.sent(line.evolution_name)
    assert sent["message"]["conversation"] == "Vou te transferir para o Suporte."
    assert queued.status == Message.Status.SENT


def test_no_message_without_one_configured_or_when_only_the_agent_changes(line, cast):
    support = cast.departments[("acme", "Support")]
    support.transfer_message = ""
    support.save()
    conversation = chat_with(line, "+5511987654321")
    routing.transfer(conversation, department=support, by=cast.ana)
    routing.transfer(
        conversation, agent=make_agent(cast.acme, "sofia@acme.example", support), by=cast.ana
    )
    assert not Message.objects.filter(conversation=conversation).exists()
