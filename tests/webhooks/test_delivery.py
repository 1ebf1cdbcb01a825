"""The webhook.outbound consumer: signed POSTs, backoff retries, giving up, SSRF at send time."""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from api import outbound, webhooks
from api.models import WebhookDelivery
from bus.handlers import DeliveryContext, autodiscover, get_handler
from bus.payloads import WebhookOutbound
from bus.queues import Queue

pytestmark = pytest.mark.django_db
S = WebhookDelivery.Status
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def consume(delivery, attempt=1) -> WebhookDelivery:
    """What the webhook.outbound consumer does with the message emit published."""
    autodiscover()  # as the consumer process does: consumers.HANDLER_MODULES
    handler = get_handler(Queue.WEBHOOK_OUTBOUND)
    payload = WebhookOutbound(tenant_id=delivery.tenant_id, delivery_id=delivery.pk)
    context = DeliveryContext(str(uuid.uuid4()), Queue.WEBHOOK_OUTBOUND, attempt, datetime.now(UTC))
    handler(payload, context)
    delivery.refresh_from_db()
    return delivery


def time_passes(delivery) -> None:
    """The wait before the next attempt is over."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def documented_verify():
    """The verification snippet of docs/api.md, run as an integrator would paste it."""
    snippet = re.search(r"```python\n(.*?def verify.*?)```", DOCS.read_text(), re.S).group(1)
    namespace = {}
    exec(snippet, namespace)  # our own documentation
    return namespace["verify"]


def emit_one(subscription, data=None) -> WebhookDelivery:
    outbound.emit(subscription.tenant, subscription.events[0], data or {"id": "c1"})
    return WebhookDelivery.objects.get(subscription=subscription)


def test_a_delivery_is_signed_as_the_docs_say(subscribe, webhook_capture):
    subscription = subscribe("contact.created")
    delivery = consume(emit_one(subscription, {"id": "c1", "name": "Maria Silva"}))

    assert (delivery.status, delivery.attempts, delivery.response_code) == (S.DELIVERED, 1, 200)
    assert delivery.completed_at and delivery.next_attempt_at is None
    [request] = webhook_capture.requests
    assert request.body == delivery.payload
    assert request.body["event"] == "contact.created"
    assert request.body["data"] == {"id": "c1", "name": "Maria Silva"}
    raw = json.dumps(request.body, separators=(",", ":")).encode()
    verify = documented_verify()
    header = request.headers[webhooks.SIGNATURE_HEADER.lower()]
    assert verify(subscription.secret, header, raw)
    assert not verify("whsec_another", header, raw)
    assert not verify(subscription.secret, header, raw.replace(b"Maria", b"Mario"))


def test_a_delivered_row_is_never_sent_again(subscribe, webhook_capture):
    delivery = consume(emit_one(subscribe("contact.created")))
    time_passes(delivery)  # even if it looked due
    assert consume(delivery, attempt=2).attempts == 1
    assert len(webhook_capture.requests) == 1


def test_an_error_answer_is_retried_after_a_wait(subscribe, webhook_capture):
    webhook_capture.fail_next(1, status=500)
    delivery = consume(emit_one(subscribe("contact.created")))

    assert (delivery.status, delivery.attempts, delivery.response_code) == (S.FAILED, 1, 500)
    wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert timedelta(minutes=1) <= wait < timedelta(minutes=1, seconds=5)  # from its end
    assert consume(delivery).attempts == 1  # not due yet: nothing sent
    assert len(webhook_capture.requests) == 1

    time_passes(delivery)
    delivery = consume(delivery)
    assert (delivery.status, delivery.attempts) == (S.DELIVERED, 2)
    assert [r.body["id"] for r in webhook_capture.requests] == [delivery.payload["id"]] * 2


def test_backoff_covers_more_than_a_day_then_gives_up(subscribe, webhook_capture):
    webhook_capture.fail_next(outbound.MAX_ATTEMPTS, status=503)
    delivery = emit_one(subscribe("contact.created"))
    waits = []
    for _attempt in range(outbound.MAX_ATTEMPTS - 1):
        delivery = consume(delivery)
        assert delivery.status == S.FAILED
        waits.append(round((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()))
        time_passes(delivery)
    delivery = consume(delivery)

    minutes = 60
    assert waits == [m * minutes for m in (1, 5, 30, 120, 360, 720, 1440)]
    assert sum(waits) > 24 * 60 * minutes
    assert (delivery.status, delivery.attempts) == (S.GIVEN_UP, outbound.MAX_ATTEMPTS)
    assert delivery.next_attempt_at is None and delivery.completed_at is not None
    assert len(webhook_capture.requests) == outbound.MAX_ATTEMPTS


def test_a_receiver_that_does_not_answer_in_time_is_a_failure(subscribe, receiver, monkeypatch):
    monkeypatch.setattr(webhooks, "TIMEOUT_SECONDS", 0.3)
    slow = receiver(delay=2)
    delivery = consume(emit_one(subscribe("contact.created", url=slow.url)))
    assert (delivery.status, delivery.response_code) == (S.FAILED, None)
    assert "Timeout" in delivery.error
    assert delivery.duration_ms < 2000


def test_a_receiver_dripping_its_answer_cannot_hold_the_consumer(subscribe, receiver, monkeypatch):
    monkeypatch.setattr(webhooks, "TIMEOUT_SECONDS", 0.5)
    dripping = receiver(body=b"x" * 1000, drip=0.05)  # 50 s for the whole answer
    delivery = consume(emit_one(subscribe("contact.created", url=dripping.url)))
    assert delivery.status == S.DELIVERED  # the 200 came in time
    assert delivery.duration_ms < 1500
    assert 0 < len(delivery.response_excerpt) < 1000


def test_the_answer_kept_in_the_log_is_bounded(subscribe, receiver):
    chatty = receiver(body=b"ok " + b"x" * 200_000)
    delivery = consume(emit_one(subscribe("contact.created", url=chatty.url)))
    assert delivery.status == S.DELIVERED
    assert delivery.response_excerpt.startswith("ok x")
    assert len(delivery.response_excerpt) == outbound.EXCERPT_CHARS


def test_a_url_now_resolving_to_a_private_address_is_not_called(
    subscribe, webhook_capture, settings
):
    delivery = emit_one(subscribe("contact.created"))
    settings.API_WEBHOOK_ALLOW_PRIVATE_URLS = False  # production: 127.0.0.1 is refused
    delivery = consume(delivery)
    assert webhook_capture.requests == []
    assert delivery.status == S.FAILED
    assert "private or local address" in delivery.error


def test_the_sweep_publishes_due_deliveries_only(subscribe, django_capture_on_commit_callbacks):
    subscription = subscribe("contact.created")
    outbound.emit(subscription.tenant, "contact.created", lambda: [{"id": "1"}, {"id": "2"}])
    due, later = WebhookDelivery.objects.order_by("payload__data__id")
    WebhookDelivery.objects.filter(pk=later.pk).update(
        status=S.FAILED, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    with django_capture_on_commit_callbacks() as sent:
        assert outbound.republish_due() == 1
    [message] = sent
    assert message.args[0].payload.delivery_id == str(due.pk)


def test_the_sweep_runs_every_minute():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(func="api.outbound.republish_due")
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == ("I", 1, -1)


def test_finished_deliveries_older_than_the_retention_are_purged_daily(subscribe, settings):
    from django_q.models import Schedule

    settings.API_WEBHOOK_LOG_RETENTION_DAYS = 30
    subscription = subscribe("contact.created")
    outbound.emit(subscription.tenant, "contact.created", lambda: [{"n": n} for n in range(3)])
    old, recent, unfinished = WebhookDelivery.objects.order_by("payload__data__n")
    long_ago = timezone.now() - timedelta(days=31)
    WebhookDelivery.objects.filter(pk=old.pk).update(status=S.DELIVERED, completed_at=long_ago)
    WebhookDelivery.objects.filter(pk=recent.pk).update(
        status=S.GIVEN_UP, completed_at=timezone.now() - timedelta(days=29)
    )
    WebhookDelivery.objects.filter(pk=unfinished.pk).update(created_at=long_ago)

    assert outbound.purge_log() == 1
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {recent.pk, unfinished.pk}
    assert Schedule.objects.get(func="api.outbound.purge_log").minutes == 24 * 60
