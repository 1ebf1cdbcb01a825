"""Receipts move forward only, and events that overtake their message are kept and applied."""

import pytest

from chat.models import Message
from tests.whatsapp.webhooks import payloads as p
from whatsapp import health, inbound
from whatsapp.models import WebhookEvent

pytestmark = pytest.mark.django_db
S = Message.Status


def _our_message(evolution, instance, **kwargs):
    body = p.text("acme-main", "Seu pedido saiu", from_me=True, push_name="", **kwargs)
    evolution.send(instance, body)
    return Message.objects.get(provider_id=body["data"]["key"]["id"])


def test_receipts_stamp_every_step(evolution, acme_instance):
    message = _our_message(evolution, acme_instance)
    for value in ("SERVER_ACK", "DELIVERY_ACK", "READ"):
        evolution.send(acme_instance, p.status("acme-main", message.provider_id, value))
    message.refresh_from_db()
    assert message.status == S.READ
    assert message.sent_at and message.delivered_at and message.read_at


def test_a_late_delivery_ack_never_moves_read_back(evolution, acme_instance):
    message = _our_message(evolution, acme_instance)
    evolution.send(acme_instance, p.status("acme-main", message.provider_id, "READ"))
    evolution.send(acme_instance, p.status("acme-main", message.provider_id, "DELIVERY_ACK"))
    message.refresh_from_db()
    assert message.status == S.READ
    # Read implies delivered: the step skipped is stamped, not left empty.
    assert message.delivered_at is not None


def test_played_comes_after_read(evolution, acme_instance):
    message = _our_message(evolution, acme_instance)
    evolution.send(acme_instance, p.status("acme-main", message.provider_id, "PLAYED"))
    evolution.send(acme_instance, p.status("acme-main", message.provider_id, "READ"))
    message.refresh_from_db()
    assert message.status == S.PLAYED


def test_error_fails_a_message_only_before_it_was_delivered(evolution, acme_instance):
    first = _our_message(evolution, acme_instance)
    evolution.send(acme_instance, p.status("acme-main", first.provider_id, "ERROR"))
    first.refresh_from_db()
    assert (first.status, first.failed_at is not None) == (S.FAILED, True)

    second = _our_message(evolution, acme_instance, timestamp=p.BASE_TS + 1)
    evolution.send(acme_instance, p.status("acme-main", second.provider_id, "DELIVERY_ACK"))
    evolution.send(acme_instance, p.status("acme-main", second.provider_id, "ERROR"))
    second.refresh_from_db()
    assert second.status == S.DELIVERED


def test_a_receipt_before_its_message_waits_and_is_applied_when_it_arrives(
    evolution, acme_instance
):
    body = p.text("acme-main", "oi", from_me=True, push_name="")
    key_id = body["data"]["key"]["id"]
    assert evolution.send(acme_instance, p.status("acme-main", key_id, "READ")) == "deferred"
    assert WebhookEvent.objects.get(event="messages.update").waits_for == key_id

    evolution.send(acme_instance, body)
    assert Message.objects.get(provider_id=key_id).status == S.READ
    assert WebhookEvent.objects.get(event="messages.update").status == "processed"


def test_receipts_count_towards_todays_health_once(evolution, acme_instance):
    message = _our_message(evolution, acme_instance)
    for value in ("DELIVERY_ACK", "READ", "READ", "DELIVERY_ACK"):
        evolution.send(acme_instance, p.status("acme-main", message.provider_id, value))
    stats = health.todays_stats(acme_instance)
    assert (stats.delivered, stats.read, stats.failed) == (1, 1, 0)


def test_inbound_read_receipts_do_not_count_as_our_sends(evolution, acme_instance):
    inbound = p.text("acme-main", "oi")
    evolution.send(acme_instance, inbound)
    key_id = inbound["data"]["key"]["id"]
    evolution.send(acme_instance, p.status("acme-main", key_id, "READ", from_me=False))
    assert Message.objects.get().status == S.READ
    assert health.todays_stats(acme_instance) is None


def test_an_edit_replaces_the_text_and_keeps_the_old_one(evolution, acme_instance):
    body = p.text("acme-main", "São 2 unidades")
    evolution.send(acme_instance, body)
    key_id = body["data"]["key"]["id"]
    edit = {"editedMessage": {"message": {"conversation": "Na verdade são 3 unidades"}}}
    evolution.send(
        acme_instance, p.status("acme-main", key_id, "SERVER_ACK", from_me=False, message=edit)
    )
    message = Message.objects.get()
    assert message.body == "Na verdade são 3 unidades"
    assert message.metadata["edits"] == [{"body": "São 2 unidades", "caption": ""}]


def test_deleted_for_everyone_keeps_the_text(evolution, acme_instance):
    body = p.text("acme-main", "ops")
    evolution.send(acme_instance, body)
    key = {**body["data"]["key"], "status": "DELETED"}
    evolution.send(acme_instance, p.envelope("messages.delete", "acme-main", key))
    message = Message.objects.get()
    assert message.deleted_at is not None and message.body == "ops"


def test_an_api_deletion_shape_is_read_too(evolution, acme_instance):
    body = p.text("acme-main", "ops")
    evolution.send(acme_instance, body)
    data = {
        "id": "cmj0db",
        "key": {k: body["data"]["key"][k] for k in ("remoteJid", "fromMe", "id")},
        "status": "DELETED",
        "messageType": "conversation",
    }
    evolution.send(acme_instance, p.envelope("messages.delete", "acme-main", data))
    assert Message.objects.get().deleted_at is not None


def test_the_echo_of_our_own_send_confirms_it_without_a_second_row(evolution, acme_instance, cast):
    evolution.send(acme_instance, p.text("acme-main", "oi"))
    conversation = Message.objects.get().conversation
    ours = Message.objects.create(
        tenant=cast.acme,
        conversation=conversation,
        direction=Message.Direction.OUTBOUND,
        body="Olá!",
        provider_id="3EB0C8F2A1D4E6B7C9A0F1",
        status=S.PENDING,
        timestamp=conversation.last_message_at,
    )
    echo = p.restamp(p.sample("send_message_text"), "acme-main")
    evolution.send(acme_instance, echo)
    assert Message.objects.filter(provider_id=ours.provider_id).count() == 1
    ours.refresh_from_db()
    assert ours.status == S.SENT


def test_an_echo_that_overtakes_our_send_waits_for_it(evolution, acme_instance):
    echo = p.restamp(p.sample("send_message_text"), "acme-main")
    assert evolution.send(acme_instance, echo) == "deferred"
    assert not Message.objects.exists()


def test_a_receipt_that_overtakes_our_send_is_applied_when_the_sender_records_the_id(
    evolution, acme_instance, cast
):
    evolution.send(acme_instance, p.text("acme-main", "oi"))
    conversation = Message.objects.get().conversation
    ours = Message.objects.create(
        tenant=cast.acme,
        conversation=conversation,
        direction=Message.Direction.OUTBOUND,
        body="Olá!",
        status=S.PENDING,
        timestamp=conversation.last_message_at,
    )
    # Evolution's receipt comes in before the send call has returned the id.
    assert evolution.send(acme_instance, p.status("acme-main", "3EB0AAAA", "DELIVERY_ACK")) == (
        "deferred"
    )
    Message.objects.filter(pk=ours.pk).update(provider_id="3EB0AAAA", status=S.SENT)
    ours.refresh_from_db()
    inbound.apply_waiting(ours)
    ours.refresh_from_db()
    assert ours.status == S.DELIVERED
