"""A subscription whose deliveries keep being given up is disabled, and its admins are told."""

import pytest

from api import outbound
from api.models import WebhookDelivery
from notifications.models import Notification
from tests.api import conftest as api_fixtures
from tests.webhooks.test_delivery import consume, time_passes

pytestmark = pytest.mark.django_db
S = WebhookDelivery.Status
acme_api, api, make_key = api_fixtures.acme_api, api_fixtures.api, api_fixtures.make_key


def give_up(delivery) -> WebhookDelivery:
    """Fail every attempt of ``delivery`` (the receiver answers 500 throughout)."""
    for _attempt in range(outbound.MAX_ATTEMPTS):
        time_passes(delivery)
        delivery = consume(delivery)
    assert delivery.status == S.GIVEN_UP
    return delivery


def test_consecutive_given_up_deliveries_disable_the_subscription_and_tell_admins(
    subscribe, webhook_capture, cast
):
    subscription = subscribe("contact.created")
    webhook_capture.fail_next(outbound.MAX_ATTEMPTS * outbound.DISABLE_AFTER_GIVEN_UP, status=500)
    outbound.emit(cast.acme, "contact.created", lambda: [{"n": n} for n in range(4)])
    *failing, waiting = WebhookDelivery.objects.order_by("payload__data__n")

    for delivery in failing[:-1]:
        give_up(delivery)
    subscription.refresh_from_db()
    assert subscription.is_active  # not yet: one more in a row
    assert not Notification.objects.filter(kind=Notification.Kind.WEBHOOK_DISABLED).exists()

    give_up(failing[-1])
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert "in a row" in subscription.disabled_reason
    notices = Notification.objects.filter(kind=Notification.Kind.WEBHOOK_DISABLED)
    assert [n.user for n in notices] == [cast.ana]  # admins only: not marcos, not alice
    assert subscription.url in notices[0].title
    # What was still waiting is given up, not sent to a receiver we stopped calling.
    waiting.refresh_from_db()
    assert (waiting.status, waiting.next_attempt_at) == (S.GIVEN_UP, None)
    sent = len(webhook_capture.requests)
    time_passes(waiting)
    consume(waiting)
    assert len(webhook_capture.requests) == sent


def test_the_api_shows_why_a_subscription_was_disabled(subscribe, acme_api):
    subscription = subscribe("contact.created", is_active=False, disabled_reason="Kept failing")
    shown = acme_api.get(f"/api/v1/webhooks/{subscription.pk}/").json()
    assert (shown["is_active"], shown["disabled_reason"]) == (False, "Kept failing")


def test_a_delivered_one_between_failures_keeps_the_subscription(subscribe, webhook_capture, cast):
    subscription = subscribe("contact.created")
    outbound.emit(cast.acme, "contact.created", lambda: [{"n": n} for n in range(3)])
    first, second, third = WebhookDelivery.objects.order_by("payload__data__n")
    webhook_capture.fail_next(outbound.MAX_ATTEMPTS, status=500)
    give_up(first)
    assert consume(second).status == S.DELIVERED
    webhook_capture.fail_next(outbound.MAX_ATTEMPTS, status=500)
    give_up(third)
    subscription.refresh_from_db()
    assert subscription.is_active


def test_emit_skips_inactive_subscriptions_other_events_and_other_tenants(subscribe, cast):
    wanted = subscribe("contact.created", "contact.updated")
    subscribe("contact.created", is_active=False)
    subscribe("message.received")
    subscribe("contact.created", tenant=cast.globex)

    assert outbound.emit(cast.acme, "contact.created", {"id": "c1"}) == 1
    [delivery] = WebhookDelivery.objects.all()
    assert (delivery.subscription, delivery.tenant, delivery.event) == (
        wanted,
        cast.acme,
        "contact.created",
    )


def test_emit_without_subscriptions_is_one_query_and_builds_nothing(
    cast, django_assert_num_queries
):
    def build():
        raise AssertionError("built for nobody")

    with django_assert_num_queries(1):
        assert outbound.emit(cast.acme, "contact.created", build) == 0


def test_a_suspended_company_emits_nothing(subscribe, cast):
    subscribe("contact.created")
    cast.acme.status = "suspended"
    cast.acme.save()
    assert outbound.emit(cast.acme, "contact.created", {"id": "c1"}) == 0
