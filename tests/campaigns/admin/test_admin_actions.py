"""The campaign page's buttons and list actions call the services, and what the services refuse
is shown as a message; the form checks variables on the text and stores weekdays as numbers.

Starting publishes the first sends on commit (RabbitMQ); these tests run in a transaction that is
rolled back, so nothing is published: the engine's own tests cover sending.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignEvent, CampaignRecipient
from tests.admin.walk import form_data, read_form
from tests.campaigns.admin.pages import shown_messages, url

S = Campaign.Status


def test_start_materialises_the_audience_and_runs(cast, login, ready):
    response = login(cast.ana).post(url("start", ready), follow=True)
    ready.refresh_from_db()
    assert ready.status == S.RUNNING
    assert CampaignRecipient.objects.filter(campaign=ready).count() == 3
    assert ready.counts()["pending"] == 3 and ready.counts()["total"] == 3
    assert "The campaign started." in shown_messages(response)
    assert ready.events.get().kind == CampaignEvent.Kind.STARTED
    assert ready.events.get().actor == cast.ana


def test_start_refusal_is_shown_and_changes_nothing(cast, login, make_campaign):
    empty = make_campaign("No number, no text", body="")
    response = login(cast.ana).post(url("start", empty), follow=True)
    empty.refresh_from_db()
    assert empty.status == S.DRAFT
    shown = shown_messages(response)
    assert "Write at least one message." in shown
    assert "Choose at least one WhatsApp number." in shown


def test_pause_resume_and_cancel(cast, login, ready):
    client = login(cast.ana)
    client.post(url("start", ready))
    client.post(url("pause", ready))
    ready.refresh_from_db()
    assert ready.status == S.PAUSED
    client.post(url("resume", ready))
    ready.refresh_from_db()
    assert ready.status == S.RUNNING
    client.post(url("cancel", ready))
    ready.refresh_from_db()
    assert ready.status == S.CANCELLED and ready.finished_at is not None
    kinds = list(ready.events.order_by("at").values_list("kind", flat=True))
    assert kinds == ["started", "paused", "resumed", "cancelled"]


def test_state_error_is_a_message(cast, login, ready):
    response = login(cast.ana).post(url("resume", ready), follow=True)
    assert "A draft campaign cannot be resumed." in shown_messages(response)
    ready.refresh_from_db()
    assert ready.status == S.DRAFT


def test_buttons_answer_post_only(cast, login, ready):
    assert login(cast.ana).get(url("start", ready)).status_code == 405
    ready.refresh_from_db()
    assert ready.status == S.DRAFT


def test_schedule_takes_a_future_moment(cast, login, ready):
    client = login(cast.ana)
    past = client.post(url("schedule", ready), {"when": "2020-01-01T10:00"}, follow=True)
    assert "Choose a moment in the future." in shown_messages(past)
    ready.refresh_from_db()
    assert ready.status == S.DRAFT
    when = timezone.localtime(timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    client.post(url("schedule", ready), {"when": when.strftime("%Y-%m-%dT%H:%M")})
    ready.refresh_from_db()
    assert ready.status == S.SCHEDULED
    assert ready.scheduled_at == when


def test_duplicate_opens_the_copy(cast, login, ready):
    response = login(cast.marcos).post(url("duplicate", ready))
    copy = Campaign.objects.exclude(pk=ready.pk).get(tenant=cast.acme)
    assert response.status_code == 302 and response["Location"] == url("change", copy)
    assert copy.status == S.DRAFT and copy.created_by == cast.marcos
    assert list(copy.variations.values_list("body", flat=True)) == [
        "{{saudacao}}, {{primeiro_nome}}!"
    ]


def test_test_send_goes_to_the_number_through_the_simulator(cast, login, ready, simulator):
    response = login(cast.ana).post(
        url("test_send", ready), {"phone": "(11) 98765-4321"}, follow=True
    )
    assert "The test message was sent." in shown_messages(response)
    [sent] = simulator.control.sent(ready.instances.get().evolution_name)
    assert sent["key"]["remoteJid"] == "5511987654321@s.whatsapp.net"
    text = sent["message"]["conversation"]
    assert text.startswith(("Bom dia", "Boa tarde", "Boa noite")) and "{{" not in text
    assert not CampaignRecipient.objects.filter(campaign=ready).exists()
    event = ready.events.get()
    assert event.kind == CampaignEvent.Kind.TEST_SENT and "+5511987654321" in event.detail


def test_test_send_errors_are_messages(cast, login, ready, simulator):
    client = login(cast.ana)
    invalid = client.post(url("test_send", ready), {"phone": "12"}, follow=True)
    assert "12 is not a valid phone number." in shown_messages(invalid)
    simulator.control.set_not_on_whatsapp(["5511987654321"])
    missing = client.post(url("test_send", ready), {"phone": "11987654321"}, follow=True)
    assert "5511987654321 is not on WhatsApp." in shown_messages(missing)
    assert not ready.events.exists()


def test_list_actions_run_each_campaign(cast, login, ready, make_campaign):
    draft = make_campaign("Not ready")
    response = login(cast.ana).post(
        url("changelist"),
        {"action": "start_selected", "_selected_action": [str(ready.pk), str(draft.pk)]},
        follow=True,
    )
    ready.refresh_from_db()
    draft.refresh_from_db()
    assert (ready.status, draft.status) == (S.RUNNING, S.DRAFT)
    shown = shown_messages(response)
    assert "1 campaign started." in shown
    assert any(m.startswith("Not ready: ") for m in shown)


def _new_campaign_form(client, connected, **changes):
    form = read_form(client.get(url("add")))
    fields = {
        "name": "Natal",
        "instances": [connected.pk],
        "interval_min": 5,
        "interval_max": 10,
        "window_days": [0, 4],
        "variations-0-body": "Oi {{primeiro_nome}}",
        "variations-0-order": 0,
    }
    return form_data(form, **{**fields, **changes})


def test_admin_creates_a_campaign_with_weekdays_and_a_variation(cast, login, connected):
    client = login(cast.ana)
    response = client.post(url("add"), _new_campaign_form(client, connected))
    assert response.status_code == 302, response.context and response.context["errors"]
    campaign = Campaign.objects.get(name="Natal")
    assert campaign.window_days == [0, 4]
    assert campaign.created_by == cast.ana and campaign.tenant == cast.acme
    variation = campaign.variations.get()
    assert variation.body == "Oi {{primeiro_nome}}" and variation.tenant == cast.acme


def test_unknown_variable_is_an_error_on_the_text(cast, login, connected):
    client = login(cast.ana)
    data = _new_campaign_form(client, connected, **{"variations-0-body": "Oi {{apelido}}"})
    response = client.post(url("add"), data)
    assert response.status_code == 200
    [inline] = response.context["inline_admin_formsets"]
    assert inline.formset.forms[0].errors["body"] == ["Unknown variables: {{apelido}}."]
    assert not Campaign.objects.filter(name="Natal").exists()


def test_form_offers_only_the_companys_numbers(cast, login, connected):
    from whatsapp import services as instance_services

    globex = instance_services.create_instance(cast.globex, "Globex line")
    page = login(cast.ana).get(url("add")).content.decode()
    assert str(connected.pk) in page and str(globex.pk) not in page


@pytest.mark.parametrize(
    "text,expected,error",
    [
        ("Olá {{primeiro_nome}}, tudo bem?", "Olá Maria, tudo bem?", ""),
        ("Oi {{apelido}}", "", "Unknown variables: {{apelido}}."),
    ],
)
def test_preview_renders_for_a_sample_contact(cast, login, ready, text, expected, error):
    answer = login(cast.ana).get(url("preview"), {"text": text}).json()
    assert answer == {
        "text": expected,
        "contact": "Maria Oliveira" if expected else answer["contact"],
        "error": error,
    }
