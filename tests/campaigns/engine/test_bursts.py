"""Campaigns without pacing send in bursts: several recipients per handler call, each once."""

import threading
import time

import pytest
from django.db import connection, transaction

from campaigns import bursts, dispatch, services, transitions
from campaigns.models import Campaign, CampaignRecipient
from chat.models import Conversation, ConversationEvent, Message
from contacts.models import Contact
from whatsapp.models import InstanceDailyStats, WhatsAppInstance

pytestmark = pytest.mark.django_db
S = CampaignRecipient.Status


def queued(campaign) -> list:
    dispatch.refill(campaign.pk)
    return list(campaign.recipients.filter(status=S.QUEUED).values_list("pk", flat=True))


def sent_to(simulator, instance=None) -> list[str]:
    sent = simulator.control.sent(instance.evolution_name if instance else None)
    return [message["key"]["remoteJid"].split("@")[0] for message in sent]


def rows_by_status(campaign) -> dict:
    rows = {}
    for status in campaign.recipients.values_list("status", flat=True):
        rows[status] = rows.get(status, 0) + 1
    return rows


def counted(campaign) -> dict:
    return {status: n for status, n in campaign.counts().items() if n and status != "total"}


def test_refill_puts_several_recipients_in_each_message_without_pacing(
    settings, number, audience, campaign
):
    settings.CAMPAIGN_BURST = 4
    clientes = audience(20)
    promo = campaign([number("A", "5511900001111")], clientes)
    assert dispatch.capacity(promo) == settings.CAMPAIGN_IN_FLIGHT_PER_NUMBER * 4
    paced = campaign([number("B", "5511900002222")], clientes, interval_max=5)
    assert dispatch.capacity(paced) == settings.CAMPAIGN_IN_FLIGHT_PER_NUMBER
    assert (dispatch.burst(promo), dispatch.burst(paced)) == (4, 1)


def test_a_burst_sends_each_recipient_once_and_records_them_together(
    settings, number, audience, campaign, simulator
):
    settings.CAMPAIGN_BURST = 6
    vendas = number("Vendas", "5511900001111")
    promo = campaign([vendas], audience(6), "Oi {{primeiro_nome}}!")
    ids = queued(promo)
    assert len(ids) == 6

    bursts.handle(promo.tenant_id, promo.pk, ids)

    assert sorted(sent_to(simulator)) == sorted(
        c.phone.lstrip("+") for c in Contact.objects.filter(campaign_recipients__campaign=promo)
    )
    assert rows_by_status(promo) == {"sent": 6} and counted(promo) == {"sent": 6}
    for recipient in promo.recipients.select_related("contact"):
        message = Message.objects.get(campaign_recipient=recipient)
        assert (message.provider_id, message.body) == (recipient.provider_id, "Oi Cliente!")
        conversation = message.conversation
        assert conversation.contact == recipient.contact
        assert conversation.last_message_preview == "Oi Cliente!"
        assert ConversationEvent.objects.filter(conversation=conversation, kind="opened").count()
    assert InstanceDailyStats.objects.get(instance=vendas).sent == 6
    assert promo.variations.get().times_used == 6


def test_a_redelivered_burst_sends_nothing_again(settings, number, audience, campaign, simulator):
    settings.CAMPAIGN_BURST = 5
    vendas = number("Vendas", "5511900001111")
    promo = campaign([vendas], audience(5))
    ids = queued(promo)
    bursts.handle(promo.tenant_id, promo.pk, ids)
    bursts.handle(promo.tenant_id, promo.pk, ids)
    assert len(sent_to(simulator)) == 5
    assert counted(promo) == {"sent": 5}
    assert InstanceDailyStats.objects.get(instance=vendas).sent == 5


def test_a_burst_into_existing_conversations_appends_to_them(
    settings, number, audience, campaign, simulator
):
    settings.CAMPAIGN_BURST = 3
    vendas = number("Vendas", "5511900001111")
    clientes = audience(3)
    first = campaign([vendas], clientes, "Primeira")
    bursts.handle(first.tenant_id, first.pk, queued(first))
    second = campaign([vendas], clientes, "Segunda")
    bursts.handle(second.tenant_id, second.pk, queued(second))
    conversations = Conversation.objects.filter(instance=vendas)
    assert conversations.count() == 3
    for conversation in conversations:
        bodies = sorted(conversation.messages.values_list("body", flat=True))
        assert bodies == ["Primeira", "Segunda"]
        assert conversation.last_message_preview == "Segunda"


@pytest.mark.parametrize(
    ("rotation", "expected"),
    [
        (Campaign.Rotation.ROUND_ROBIN, {"A": 3, "B": 3}),
        (Campaign.Rotation.BALANCED, {"A": 1, "B": 5}),
        (Campaign.Rotation.HEALTH, {"A": 6}),
    ],
)
def test_rotation_shares_a_burst_between_numbers(
    settings, number, audience, campaign, simulator, rotation, expected
):
    settings.CAMPAIGN_BURST = 6
    a = number("A", "5511900001111", health_score=100)
    b = number("B", "5511900002222", health_score=80)
    InstanceDailyStats.objects.create(tenant=a.tenant, instance=a, day=_today(a), sent=10)
    InstanceDailyStats.objects.create(tenant=b.tenant, instance=b, day=_today(b), sent=6)
    promo = campaign([a, b], audience(6), rotation=rotation)
    bursts.handle(promo.tenant_id, promo.pk, queued(promo))
    used = {}
    for name in promo.recipients.values_list("instance__name", flat=True):
        used[name] = used.get(name, 0) + 1
    assert used == expected
    assert counted(promo) == {"sent": 6}


def _today(instance):
    from whatsapp import health

    return health.today(instance)


def test_a_number_reaching_its_daily_limit_mid_burst_leaves_the_rest_to_another(
    settings, number, audience, campaign, simulator
):
    settings.CAMPAIGN_BURST = 6
    limited = number("Limited", "5511900001111", daily_send_limit=2, health_score=100)
    other = number("Other", "5511900002222", health_score=50)
    promo = campaign([limited, other], audience(6), rotation=Campaign.Rotation.HEALTH)
    bursts.handle(promo.tenant_id, promo.pk, queued(promo))
    used = list(promo.recipients.values_list("instance__name", flat=True))
    assert (used.count("Limited"), used.count("Other")) == (2, 4)
    assert InstanceDailyStats.objects.get(instance=limited).sent == 2
    assert InstanceDailyStats.objects.get(instance=other).sent == 4
    assert counted(promo) == {"sent": 6}


def test_an_opted_out_contact_in_a_burst_is_skipped(
    settings, number, audience, campaign, simulator
):
    settings.CAMPAIGN_BURST = 4
    promo = campaign([number("Vendas", "5511900001111")], audience(4))
    ids = queued(promo)
    leaving = promo.recipients.order_by("pk").first()
    Contact.objects.filter(pk=leaving.contact_id).update(opted_out=True)
    bursts.handle(promo.tenant_id, promo.pk, ids)
    leaving.refresh_from_db()
    assert (leaving.status, leaving.skip_reason) == ("skipped", "opted_out")
    assert len(sent_to(simulator)) == 3
    assert counted(promo) == {"sent": 3, "skipped": 1}


def test_a_number_found_disconnected_mid_burst_hands_its_share_to_another(
    settings, number, audience, campaign, simulator
):
    settings.CAMPAIGN_BURST = 4
    first = number("A", "5511900001111", health_score=100)
    second = number("B", "5511900002222", health_score=90)
    promo = campaign([first, second], audience(4), rotation=Campaign.Rotation.HEALTH)
    simulator.control.disconnect(first.evolution_name, status_reason=401)  # our row still "open"
    bursts.handle(promo.tenant_id, promo.pk, queued(promo))
    assert list(promo.recipients.values_list("instance__name", flat=True)) == ["B"] * 4
    assert len(sent_to(simulator, second)) == 4 and counted(promo) == {"sent": 4}
    first.refresh_from_db()
    assert first.state == "close"
    assert InstanceDailyStats.objects.get(instance=first).sent == 0


@pytest.mark.django_db(transaction=True)
def test_a_pause_stops_a_burst_before_its_next_message(
    settings, number, audience, campaign, simulator, cast
):
    settings.CAMPAIGN_BURST = 6
    vendas = number("Vendas", "5511900001111")
    promo = campaign([vendas], audience(6))
    ids = queued(promo)
    simulator.control.configure(latency_ms=300)
    sender = threading.Thread(
        target=_in_thread, args=(bursts.handle, promo.tenant_id, promo.pk, ids)
    )
    sender.start()
    deadline = time.monotonic() + 10
    while not sent_to(simulator) and time.monotonic() < deadline:
        time.sleep(0.01)
    services.pause(promo, by=cast.ana)
    paused_after = len(sent_to(simulator))
    sender.join(20)

    sent = len(sent_to(simulator))
    assert 1 <= sent <= paused_after + 1  # the call under way when it paused, at most
    assert rows_by_status(promo) == {"sent": sent, "pending": 6 - sent}
    assert counted(promo) == rows_by_status(promo)
    assert set(promo.recipients.filter(status=S.PENDING).values_list("attempts", flat=True)) == {0}
    assert InstanceDailyStats.objects.get(instance=vendas).sent == sent


@pytest.mark.django_db(transaction=True)
def test_two_consumers_handling_one_burst_at_once_send_each_recipient_once(
    settings, number, audience, campaign, simulator
):
    settings.CAMPAIGN_BURST = 10
    a, b = number("A", "5511900001111"), number("B", "5511900002222")
    promo = campaign([a, b], audience(10))
    ids = queued(promo)
    simulator.control.configure(latency_ms=20)
    threads = [
        threading.Thread(target=_in_thread, args=(bursts.handle, promo.tenant_id, promo.pk, ids))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    numbers = sent_to(simulator)
    assert len(numbers) == len(set(numbers)) == 10
    assert rows_by_status(promo) == {"sent": 10} and counted(promo) == {"sent": 10}
    stats = InstanceDailyStats.objects.filter(instance__in=[a, b])
    assert sum(stats.values_list("sent", flat=True)) == 10


def _in_thread(function, *args):
    try:
        function(*args)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_burst_claims_while_another_sender_holds_the_numbers_row(
    settings, number, audience, campaign, simulator
):
    """Senders without pacing share a number: a burst's claim neither waits for nor skips a
    number whose row another sender has locked (a paced campaign reserving it, another claim),
    so its recipients do not fall back to the one-by-one path."""
    settings.CAMPAIGN_BURST = 3
    vendas = number("Vendas", "5511900001111")
    promo = campaign([vendas], audience(3))
    queued(promo)
    holding, release = threading.Event(), threading.Event()

    def hold_the_number():
        try:
            with transaction.atomic():
                WhatsAppInstance.objects.select_for_update(no_key=True).get(pk=vendas.pk)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_number)
    holder.start()
    holding.wait(10)
    try:
        recipients = list(promo.recipients.select_related("contact"))
        claimed, numbers = bursts._claim(promo, recipients)
    finally:
        release.set()
        holder.join(10)
    assert (len(claimed), numbers) == (3, 1)
    assert rows_by_status(promo) == {"sending": 3}


def test_claiming_nothing_moves_nothing(audience, campaign, number):
    promo = campaign([number("Vendas", "5511900001111")], audience(1))
    assert transitions.claim_many(promo.pk, []) == {}
    assert transitions.sent_many(promo.pk, {}) == set()
    assert counted(promo) == {"pending": 1}
