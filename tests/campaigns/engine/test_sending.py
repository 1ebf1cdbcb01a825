"""A started campaign sends each recipient once, through the number rotation chooses."""

import datetime
import itertools

import pytest
from django.utils import timezone

from campaigns import dispatch, engine, services
from campaigns.models import Campaign, CampaignRecipient
from chat.models import Message
from contacts.models import Contact
from tests.campaigns.engine.conftest import run
from whatsapp import health

pytestmark = pytest.mark.django_db
S = CampaignRecipient.Status


def sent_on_simulator(simulator, instance=None) -> list[dict]:
    return simulator.control.sent(instance.evolution_name if instance else None)


def test_every_recipient_gets_its_rendered_message_once(number, audience, campaign, simulator):
    vendas = number("Vendas", "5511900001111")
    promo = campaign([vendas], audience(3), "Oi {{primeiro_nome}}, temos novidades!")
    assert promo.counts()["pending"] == 3

    run(promo)

    promo.refresh_from_db()
    assert (promo.counts()["sent"], promo.counts()["pending"], promo.status) == (3, 0, "completed")
    texts = sorted(m["message"]["conversation"] for m in sent_on_simulator(simulator, vendas))
    assert texts == ["Oi Cliente, temos novidades!"] * 3
    for recipient in promo.recipients.all():
        assert recipient.status == S.SENT and recipient.provider_id
        message = Message.objects.get(campaign_recipient=recipient)
        assert (message.provider_id, message.direction) == (recipient.provider_id, "out")
        assert message.conversation.contact == recipient.contact


def test_handling_a_recipient_twice_sends_once(number, audience, campaign, simulator):
    vendas = number("Vendas", "5511900001111")
    promo = campaign([vendas], audience(1))
    dispatch.refill(promo.pk)
    recipient = promo.recipients.get()
    engine.handle(promo.tenant_id, promo.pk, recipient.pk)
    engine.handle(promo.tenant_id, promo.pk, recipient.pk)  # a redelivery, or a second consumer
    assert len(sent_on_simulator(simulator, vendas)) == 1
    promo.refresh_from_db()
    assert promo.counts()["sent"] == 1


def test_round_robin_alternates_numbers(number, audience, campaign, simulator):
    first, second = number("A", "5511900001111"), number("B", "5511900002222")
    promo = campaign([first, second], audience(6), rotation=Campaign.Rotation.ROUND_ROBIN)
    run(promo)
    used = list(promo.recipients.order_by("sent_at").values_list("instance__name", flat=True))
    assert sorted(used) == ["A", "A", "A", "B", "B", "B"]
    assert all(a != b for a, b in itertools.pairwise(used))


def test_balanced_prefers_the_number_least_used_today(number, audience, campaign, simulator):
    busy, quiet = number("Busy", "5511900001111"), number("Quiet", "5511900002222")
    health.count(busy, sent=5)
    promo = campaign([busy, quiet], audience(4), rotation=Campaign.Rotation.BALANCED)
    run(promo)
    assert set(promo.recipients.values_list("instance__name", flat=True)) == {"Quiet"}


def test_health_rotation_prefers_the_healthiest(number, audience, campaign, simulator):
    weak = number("Weak", "5511900001111", health_score=60)
    strong = number("Strong", "5511900002222", health_score=95)
    promo = campaign([weak, strong], audience(3), rotation=Campaign.Rotation.HEALTH)
    run(promo)
    assert set(promo.recipients.values_list("instance__name", flat=True)) == {"Strong"}
    assert strong.pk  # both stay eligible: only the choice differs
    assert weak.pk


def test_variations_rotate_evenly(number, audience, campaign, simulator):
    vendas = number("Vendas", "5511900001111")
    promo = campaign([vendas], audience(6), "Oferta A", "Oferta B", "Oferta C")
    run(promo)
    used = sorted(promo.variations.values_list("times_used", flat=True))
    assert used == [2, 2, 2]
    texts = sorted(m["message"]["conversation"] for m in sent_on_simulator(simulator, vendas))
    assert texts == ["Oferta A"] * 2 + ["Oferta B"] * 2 + ["Oferta C"] * 2


def test_a_number_at_its_daily_limit_is_skipped_for_another(number, audience, campaign, simulator):
    limited = number("Limited", "5511900001111", daily_send_limit=2)
    other = number("Other", "5511900002222")
    promo = campaign([limited, other], audience(6))
    run(promo)
    by_number = list(promo.recipients.values_list("instance__name", flat=True))
    assert by_number.count("Limited") == 2
    assert by_number.count("Other") == 4


def test_without_any_number_left_the_campaign_pauses_itself_and_resumes(
    number, audience, campaign, simulator
):
    only = number("Only", "5511900001111")
    promo = campaign([only], audience(2))
    only.state = "close"
    only.save()
    run(promo)
    promo.refresh_from_db()
    assert promo.status == "paused" and promo.auto_paused
    assert "Only: disconnected" in promo.status_reason
    assert promo.counts()["pending"] == 2 and not sent_on_simulator(simulator)

    only.state = "open"
    only.save()
    dispatch.tick()
    promo.refresh_from_db()
    assert promo.status == "running"
    run(promo)
    promo.refresh_from_db()
    assert promo.counts()["sent"] == 2


def test_a_paused_campaign_sends_nothing_and_resumes_where_it_stopped(
    number, audience, campaign, simulator, cast
):
    vendas = number("Vendas", "5511900001111")
    promo = campaign([vendas], audience(3))
    dispatch.refill(promo.pk)
    services.pause(promo, by=cast.ana)
    for pk in promo.recipients.filter(status="queued").values_list("pk", flat=True):
        engine.handle(promo.tenant_id, promo.pk, pk)
    promo.refresh_from_db()
    assert (promo.counts()["pending"], promo.counts()["queued"]) == (3, 0)
    assert not sent_on_simulator(simulator)

    services.resume(promo, by=cast.ana)
    run(promo)
    promo.refresh_from_db()
    assert promo.counts()["sent"] == 3


def test_a_contact_who_opted_out_after_the_start_is_skipped(number, audience, campaign, simulator):
    vendas = number("Vendas", "5511900001111")
    promo = campaign([vendas], audience(2))
    Contact.objects.filter(pk=promo.recipients.first().contact_id).update(opted_out=True)
    run(promo)
    promo.refresh_from_db()
    assert (promo.counts()["sent"], promo.counts()["skipped"]) == (1, 1)
    skipped = promo.recipients.get(status=S.SKIPPED)
    assert skipped.skip_reason == "opted_out"
    assert len(sent_on_simulator(simulator)) == 1


def test_a_number_not_on_whatsapp_is_skipped_with_the_reason(
    number, audience, campaign, simulator, cast
):
    vendas = number("Vendas", "5511900001111")
    tag = audience(1)
    ghost = Contact.objects.create(tenant=cast.acme, name="Ghost", phone="+5511987650000")
    ghost.tags.add(tag)  # the simulator's rule: numbers ending in 0000 are not on WhatsApp
    promo = campaign([vendas], tag)
    run(promo)
    skipped = promo.recipients.get(contact=ghost)
    assert (skipped.status, skipped.skip_reason) == ("skipped", "not_on_whatsapp")
    promo.refresh_from_db()
    assert (promo.counts()["sent"], promo.counts()["skipped"]) == (1, 1)


def test_server_errors_retry_later_with_backoff_then_fail(
    number, audience, campaign, simulator, settings
):
    settings.CAMPAIGN_MAX_ATTEMPTS = 2
    settings.CAMPAIGN_RETRY_SECONDS = 30
    vendas = number("Vendas", "5511900001111")
    promo = campaign([vendas], audience(1))
    simulator.control.configure(error_rate=1.0)
    dispatch.refill(promo.pk)
    recipient = promo.recipients.get()
    engine.handle(promo.tenant_id, promo.pk, recipient.pk)
    recipient.refresh_from_db()
    assert (recipient.status, recipient.attempts) == ("pending", 1)
    wait = (recipient.retry_at - timezone.now()).total_seconds()
    assert 25 < wait <= 30
    assert dispatch.refill(promo.pk) == 0  # not before its time

    CampaignRecipient.objects.filter(pk=recipient.pk).update(retry_at=timezone.now())
    assert dispatch.refill(promo.pk) == 1
    engine.handle(promo.tenant_id, promo.pk, recipient.pk)
    recipient.refresh_from_db()
    assert recipient.status == "failed" and "Timed Out" in recipient.last_error
    promo.refresh_from_db()
    assert (promo.counts()["failed"], promo.counts()["pending"]) == (1, 0)
    vendas.refresh_from_db()
    assert vendas.consecutive_errors == 2


def test_a_disconnected_number_hands_the_recipient_to_another(
    number, audience, campaign, simulator
):
    first = number("A", "5511900001111", health_score=100)
    second = number("B", "5511900002222", health_score=90)
    promo = campaign([first, second], audience(1), rotation=Campaign.Rotation.HEALTH)
    simulator.control.disconnect(first.evolution_name, status_reason=401)  # our row still "open"
    run(promo)
    recipient = promo.recipients.get()
    assert (recipient.status, recipient.instance.name) == ("sent", "B")
    first.refresh_from_db()
    assert first.state == "close"


def test_the_sending_window_holds_recipients_back(number, audience, campaign, simulator):
    vendas = number("Vendas", "5511900001111")
    closed = datetime.time(0, 0), datetime.time(0, 1)
    promo = campaign([vendas], audience(2), window_start=closed[0], window_end=closed[1])
    assert dispatch.refill(promo.pk) == 0
    promo.refresh_from_db()
    assert promo.status == "running" and "window" in promo.status_reason
    assert promo.counts()["pending"] == 2
    dispatch.refill(promo.pk)  # still closed: logged once, not every minute
    assert promo.events.filter(kind="window_closed").count() == 1


def test_a_scheduled_campaign_starts_when_its_time_comes(
    number, audience, campaign, simulator, cast
):
    vendas = number("Vendas", "5511900001111")
    promo = campaign([vendas], audience(1), start=False)
    soon = timezone.now() + datetime.timedelta(minutes=5)
    services.schedule(promo, soon, by=cast.ana)
    dispatch.tick(now=soon - datetime.timedelta(minutes=1))
    promo.refresh_from_db()
    assert promo.status == "scheduled"
    dispatch.tick(now=soon)
    promo.refresh_from_db()
    assert promo.status == "running" and promo.counts()["total"] == 1


def test_a_contact_deleted_before_its_turn_is_skipped_and_figures_stay_exact(
    number, audience, campaign, simulator
):
    vendas = number("Vendas", "5511900001111")
    promo = campaign([vendas], audience(2))
    gone = promo.recipients.first()
    Contact.objects.filter(pk=gone.contact_id).delete()
    run(promo)
    gone.refresh_from_db()
    assert (gone.status, gone.skip_reason, gone.contact) == ("skipped", "contact_deleted", None)
    promo.refresh_from_db()
    assert (promo.counts()["sent"], promo.counts()["skipped"], promo.counts()["total"]) == (1, 1, 2)
