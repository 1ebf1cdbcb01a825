"""Pacing of each number, and recipients left behind by a consumer that died."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns import dispatch, engine
from campaigns.models import CampaignRecipient
from tests.campaigns.engine.conftest import run
from tests.whatsapp.webhooks import payloads
from tests.whatsapp.webhooks.conftest import Evolution
from whatsapp.models import WebhookEvent, WhatsAppInstance

pytestmark = pytest.mark.django_db
S = CampaignRecipient.Status


def test_a_number_is_busy_until_its_interval_after_the_last_send(
    number, audience, campaign, simulator
):
    vendas = number("Vendas", "5511900001111")
    promo = campaign([vendas], audience(2), interval_min=30, interval_max=40)
    dispatch.refill(promo.pk)
    first, second = promo.recipients.filter(status="queued").order_by("pk")
    engine.handle(promo.tenant_id, promo.pk, first.pk)
    vendas.refresh_from_db()
    wait = (vendas.next_send_at - timezone.now()).total_seconds()
    assert 29 <= wait <= 40

    outcome = engine.take(promo, second)
    assert isinstance(outcome, engine.Busy) and 29 <= outcome.wait <= 40
    second.refresh_from_db()
    assert second.status == S.QUEUED


def test_while_one_number_waits_another_sends(number, audience, campaign, simulator):
    slow, free = number("Slow", "5511900001111"), number("Free", "5511900002222")
    WhatsAppInstance.objects.filter(pk=slow.pk).update(
        next_send_at=timezone.now() + timedelta(minutes=5)
    )
    promo = campaign([slow, free], audience(1))
    dispatch.refill(promo.pk)
    outcome = engine.take(promo, promo.recipients.get())
    assert isinstance(outcome, engine.Taken) and outcome.instance == free


def _claim_and_die(promo, instance):
    """What a consumer killed after claiming leaves: the recipient in "sending"."""
    dispatch.refill(promo.pk)
    recipient = promo.recipients.get(status="queued")
    assert engine.take(promo, recipient).instance == instance
    CampaignRecipient.objects.filter(pk=recipient.pk).update(
        claimed_at=timezone.now() - timedelta(minutes=10)
    )
    return recipient


def test_a_send_that_never_happened_is_queued_again(number, audience, campaign, simulator):
    vendas = number("Vendas", "5511900001111")
    promo = campaign([vendas], audience(1))
    recipient = _claim_and_die(promo, vendas)

    assert engine.reconcile() == 1
    recipient.refresh_from_db()
    assert recipient.status == S.PENDING
    run(promo)
    recipient.refresh_from_db()
    assert recipient.status == S.SENT
    assert len(simulator.control.sent(vendas.evolution_name)) == 1


def test_a_send_that_happened_before_the_crash_is_recorded_from_its_echo(
    number, audience, campaign, simulator
):
    vendas = number("Vendas", "5511900001111")
    promo = campaign([vendas], audience(1))
    recipient = _claim_and_die(promo, vendas)
    # The consumer died after Evolution sent it: only the send.message echo tells.
    phone_digits = recipient.contact.phone.lstrip("+")
    echo = payloads.text(
        vendas.evolution_name,
        "Oi Cliente!",
        from_me=True,
        event="send.message",
        remote_jid=f"{phone_digits}@s.whatsapp.net",
        timestamp=int(timezone.now().timestamp()),
    )
    assert Evolution().send(vendas, echo) == "deferred"  # no message has that id yet

    assert engine.reconcile() == 1
    recipient.refresh_from_db()
    assert (recipient.status, recipient.provider_id) == (S.SENT, echo["data"]["key"]["id"])
    promo.refresh_from_db()
    assert (promo.counts()["sent"], promo.counts()["sending"]) == (1, 0)
    run(promo)
    assert not simulator.control.sent(vendas.evolution_name)  # never sent a second time
    assert WebhookEvent.objects.get(event="send.message").status == "processed"
