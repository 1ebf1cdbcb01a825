"""Agents' messages left "sending" (no answer from Evolution in time) are settled by the
reconciler from Evolution's echo, and a failed message can be sent again."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat import outbox, sending
from chat.models import Message
from tests.chat.test_sending import chat_with, deliver
from tests.whatsapp.webhooks import payloads as p
from tests.whatsapp.webhooks.conftest import Evolution
from whatsapp.models import WebhookEvent

pytestmark = pytest.mark.django_db
S = Message.Status
PHONE = "+5511987654321"


def left_sending(line, body="Olá, tudo bem?", *, minutes_ago=5):
    """What a call that timed out leaves behind, a while ago."""
    message = outbox.queue_text(chat_with(line, PHONE), body)
    Message.objects.filter(pk=message.pk).update(
        status=S.SENDING, timestamp=timezone.now() - timedelta(minutes=minutes_ago)
    )
    message.refresh_from_db()
    return message


def echo_of(line, body, sent_ago=timedelta(minutes=4)):
    echo = p.text(
        line.evolution_name,
        body,
        from_me=True,
        event="send.message",
        remote_jid=f"{PHONE[1:]}@s.whatsapp.net",
        timestamp=int((timezone.now() - sent_ago).timestamp()),
    )
    assert Evolution().send(line, echo) == "deferred"  # no message has that id yet
    return echo["data"]["key"]["id"]


def test_a_message_that_went_out_is_recorded_sent_from_its_echo(line):
    message = left_sending(line)
    key_id = echo_of(line, message.body)

    assert sending.reconcile() == 1
    message.refresh_from_db()
    assert (message.status, message.provider_id) == (S.SENT, key_id)
    # The echo is applied to it, not stored as a second message.
    assert Message.objects.filter(conversation=message.conversation).count() == 1
    assert WebhookEvent.objects.get(event="send.message").status == "processed"


def test_a_message_without_an_echo_fails_with_a_reason(line, simulator):
    message = left_sending(line)
    echo_of(line, "Another text in the same chat")  # not this message's echo

    assert sending.reconcile() == 1
    message.refresh_from_db()
    assert message.status == S.FAILED
    assert "not sent" in message.error
    assert simulator.control.sent(line.evolution_name) == []  # never sent blindly


def test_a_recent_message_is_left_to_its_call(line):
    message = left_sending(line, minutes_ago=0)
    assert sending.reconcile() == 0
    message.refresh_from_db()
    assert message.status == S.SENDING


def test_a_failed_message_is_sent_again_once(line, simulator):
    simulator.control.disconnect(line.evolution_name)
    message = outbox.queue_text(chat_with(line, PHONE), "Olá")
    deliver(message)
    assert message.status == S.FAILED
    simulator.control.scan(line.evolution_name, number="5511900001111")

    assert sending.retry(message) is True
    assert sending.retry(message) is False  # already queued: a double click sends once
    deliver(message)
    assert (message.status, message.error) == (S.SENT, "")
    assert len(simulator.control.sent(line.evolution_name)) == 1


def test_only_failed_messages_of_ours_are_sent_again(line):
    message = outbox.queue_text(chat_with(line, PHONE), "Olá")
    assert sending.retry(message) is False  # pending: already on its way
    message.refresh_from_db()
    assert message.status == S.PENDING
