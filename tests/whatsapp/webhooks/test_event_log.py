"""The raw event log: one row per event however often it comes, failures kept, replay, purge."""

import json
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import Conversation, Message
from tests.whatsapp.webhooks import payloads as p
from whatsapp import inbound
from whatsapp.models import WebhookEvent

pytestmark = pytest.mark.django_db


def test_a_redelivery_is_applied_once_and_counted(evolution, acme_instance):
    body = p.text("acme-main")
    assert evolution.send(acme_instance, body) == "processed"
    assert evolution.send(acme_instance, body) == "duplicate"
    # The same event from the global webhook: another destination, same message id.
    assert evolution.send(acme_instance, {**body, "destination": "http://global/x"}) == "duplicate"
    assert Message.objects.count() == 1
    assert WebhookEvent.objects.get().deliveries == 3


def test_every_event_twice_and_shuffled_loses_and_duplicates_nothing(evolution, acme_instance):
    bodies = []
    for n in range(20):
        text = p.text("acme-main", f"mensagem {n}", from_me=n % 2 == 0, timestamp=p.BASE_TS + n)
        bodies.append(text)
        if n % 2 == 0:
            key_id = text["data"]["key"]["id"]
            bodies += [p.status("acme-main", key_id, v) for v in ("DELIVERY_ACK", "READ")]
    deliveries = bodies * 2
    random.Random(4).shuffle(deliveries)
    for body in deliveries:
        evolution.send(acme_instance, body)
    assert Message.objects.count() == 20
    assert sorted(m.body for m in Message.objects.all()) == sorted(
        f"mensagem {n}" for n in range(20)
    )
    ours = Message.objects.filter(direction=Message.Direction.OUTBOUND)
    assert {m.status for m in ours} == {Message.Status.READ}
    assert not WebhookEvent.objects.filter(status="deferred").exists()


def test_a_repeated_state_later_is_not_mistaken_for_a_redelivery(evolution, acme_instance):
    open_ = {"instance": "acme-main", "state": "open", "statusReason": 200}
    close = {"instance": "acme-main", "state": "close", "statusReason": 401}
    for data, when in ((open_, "12:00"), (close, "12:05"), (open_, "12:10")):
        body = p.envelope("connection.update", "acme-main", data, date_time=f"2025-12-10T{when}Z")
        assert evolution.send(acme_instance, body) == "processed"
    acme_instance.refresh_from_db()
    assert acme_instance.state == "open"


def test_malformed_bodies_get_400_with_a_reason_and_never_500(evolution, acme_instance):
    cases = {
        "not json": (None, "{not json"),
        "no event": ({"instance": "acme-main", "data": {}}, None),
        "no data": ({"event": "messages.upsert", "instance": "acme-main"}, None),
        "timestamp text": (p.text("acme-main", timestamp="soon"), None),
        "key not object": (
            {**p.text("acme-main"), "data": {**p.text("x")["data"], "key": 3}},
            None,
        ),
        "no content": (p.message("acme-main", {"messageContextInfo": {}}), None),
        "bad status": (p.status("acme-main", "X", "SEEN"), None),
        "bad state": (p.envelope("connection.update", "acme-main", {"state": "up"}), None),
        "reason text": (
            p.envelope("connection.update", "acme-main", {"state": "open", "statusReason": "x"}),
            None,
        ),
    }
    for name, (body, raw) in cases.items():
        response = evolution.post(body, raw=raw, instance=acme_instance)
        assert response.status_code == 400, name
        assert response.json()["error"], name
    assert not Message.objects.exists()
    # Authenticated but broken bodies are kept for inspection (the unparseable one cannot be).
    assert WebhookEvent.objects.filter(status="failed").count() == len(cases) - 1


def test_a_huge_body_is_refused_before_it_is_read(evolution, acme_instance, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 2048
    body = p.text("acme-main", "x" * 4096)
    response = evolution.post(body, instance=acme_instance)
    assert response.status_code == 413
    assert not WebhookEvent.objects.exists()


def test_unknown_events_are_answered_200_and_logged_as_ignored(evolution, acme_instance):
    body = p.envelope("labels.edit", "acme-main", {"id": "1", "name": "VIP"})
    assert evolution.send(acme_instance, body) == "ignored"
    assert WebhookEvent.objects.get().error == "labels.edit is not handled"


def test_a_failed_event_keeps_its_error_and_the_rest_goes_on(evolution, acme_instance):
    # A message id longer than any WhatsApp id does not fit the column: the insert fails.
    body = p.text("acme-main", "estranha", key_id="X" * 200)
    good = p.text("acme-main", "normal")
    assert evolution.post(body, instance=acme_instance).json()["status"] == "received"
    evolution.post(good, instance=acme_instance)
    inbound.process_pending()
    assert Message.objects.get().body == "normal"  # the batch goes on past the bad one
    event = WebhookEvent.objects.get(status="failed")
    assert event.status == "failed" and "DataError" in event.error
    assert Conversation.objects.count() == 1  # nothing half-applied by the bad one


def test_an_unreadable_instance_number_does_not_stop_the_state_change(evolution, acme_instance):
    data = {
        "instance": "acme-main",
        "state": "close",
        "statusReason": 401,
        "wuid": "1@s.whatsapp.net",
    }
    evolution.send(acme_instance, p.envelope("connection.update", "acme-main", data))
    acme_instance.refresh_from_db()
    assert acme_instance.state == "close"


def test_replay_applies_a_failed_event_once_fixed_and_is_idempotent(evolution, acme_instance):
    body = p.text("acme-main", "perdida")
    evolution.send(acme_instance, body)
    Message.objects.all().delete()
    WebhookEvent.objects.update(status="failed", error="simulated outage")

    result = inbound.replay(WebhookEvent.objects.select_related("instance__tenant"))
    assert (result.processed, result.failed) == (1, 0)
    assert Message.objects.get().body == "perdida"
    result = inbound.replay(WebhookEvent.objects.select_related("instance__tenant"))
    assert Message.objects.count() == 1
    assert WebhookEvent.objects.get().status == "processed"


def test_a_suspended_company_events_are_kept_not_applied(evolution, acme_instance):
    from tenancy.services import suspend

    suspend(acme_instance.tenant, reason="unpaid")
    assert evolution.send(acme_instance, p.text("acme-main")) == "ignored"
    assert not Message.objects.exists()
    assert WebhookEvent.objects.get().error == "company suspended"


def test_events_still_waiting_are_settled_after_a_while(evolution, acme_instance):
    echo = p.restamp(p.sample("send_message_text"), "acme-main")
    evolution.send(acme_instance, echo)  # sent by another client of the instance
    evolution.send(acme_instance, p.status("acme-main", "NEVER-ARRIVES", "READ"))
    assert inbound.settle_waiting() == 0  # not yet
    later = timezone.now() + inbound.DEFERRED_PATIENCE + timedelta(seconds=1)
    assert inbound.settle_waiting(now=later) == 2
    assert Message.objects.get().body == "Sim! Abrimos das 9h às 13h."
    receipt = WebhookEvent.objects.get(event="messages.update")
    assert (receipt.status, receipt.error) == ("ignored", "its message never arrived")


def test_old_events_are_purged_after_the_retention(evolution, acme_instance, settings):
    settings.WEBHOOK_EVENT_RETENTION_DAYS = 30
    evolution.send(acme_instance, p.text("acme-main", "velha"))
    evolution.send(acme_instance, p.text("acme-main", "nova"))
    old = WebhookEvent.objects.order_by("received_at").first()
    WebhookEvent.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=31))
    assert inbound.purge_old_events() == 1
    assert WebhookEvent.objects.count() == 1
    assert Message.objects.count() == 2  # the messages themselves stay


def test_the_raw_payload_is_kept_as_received(evolution, acme_instance):
    body = p.restamp(p.sample("messages_upsert_image"), "acme-main")
    evolution.send(acme_instance, body)
    assert json.dumps(WebhookEvent.objects.get().payload, sort_keys=True) == json.dumps(
        body, sort_keys=True
    )


def test_a_body_nested_beyond_reason_is_refused_with_400(evolution, acme_instance):
    deep = "[" * 100_000 + "]" * 100_000
    response = evolution.post(None, raw=deep, instance=acme_instance)
    assert response.status_code == 400
    assert response.json()["error"] == "body is nested too deeply"


def test_wrappers_within_wrappers_are_unwrapped(evolution, acme_instance):
    content = {"conversation": "oi"}
    for _ in range(300):
        content = {"ephemeralMessage": {"message": content}}
    evolution.send(acme_instance, p.message("acme-main", content))
    assert Message.objects.get().body == "oi"
