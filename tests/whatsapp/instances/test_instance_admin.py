"""The instance admin as the cast uses it: ana creates, connects, logs out and deletes through
the pages (on the simulator); marcos only looks; gabriel gets 404 on all of Acme's pages."""

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from tests.whatsapp.instances.conftest import OWN_NUMBER
from whatsapp import services
from whatsapp.models import WhatsAppInstance

CHANGELIST = "admin:whatsapp_whatsappinstance_changelist"
ADD = "admin:whatsapp_whatsappinstance_add"


def url(name, instance):
    return reverse(f"admin:whatsapp_whatsappinstance_{name}", args=[instance.pk])


@pytest.fixture
def english_pages(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def acme_line(on_simulator, cast):
    return services.create_instance(cast.acme, "Vendas", by=cast.ana)


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_ana_walks_an_instance_from_creation_to_deletion(
    on_simulator, evo, login, cast, english_pages
):
    client = login(cast.ana)
    sales = cast.departments[("acme", "Sales")]

    response = client.post(
        reverse(ADD),
        {"name": "Vendas", "default_department": sales.pk, "daily_send_limit": 500},
        follow=True,
    )
    instance = WhatsAppInstance.objects.get(tenant=cast.acme, name="Vendas")
    assert response.redirect_chain[-1][0] == url("change", instance)  # where the QR is
    page = response.content.decode()
    assert instance.qr_code in page and "Connect / new QR code" in page
    assert instance.token not in page and instance.webhook_secret not in page
    assert (instance.default_department, instance.daily_send_limit) == (sales, 500)

    polled = client.get(url("connection", instance)).json()
    assert (polled["state"], polled["error"]) == ("connecting", "")
    assert polled["qr"].startswith("data:image/png;base64,")

    on_simulator.control.scan(instance.evolution_name, number=OWN_NUMBER)
    polled = client.get(url("connection", instance)).json()
    assert (polled["state"], polled["qr"]) == ("open", "")
    assert polled["phone"] == "(11) 90000-1111"
    listed = client.get(reverse(CHANGELIST)).content.decode()
    assert "(11) 90000-1111" in listed and "Connected" in listed

    response = client.post(url("logout", instance), follow=True)
    assert "The number was logged out." in _messages(response)
    assert evo.connection_state(instance.evolution_name).state == "close"

    response = client.post(url("connect", instance), follow=True)
    assert "Scan the QR code with WhatsApp on the phone." in _messages(response)
    instance.refresh_from_db()
    assert instance.state == "connecting" and instance.qr_code

    secret = instance.webhook_secret
    client.post(url("webhook", instance))
    instance.refresh_from_db()
    assert instance.webhook_secret != secret

    response = client.post(url("delete", instance), {"post": "yes"})
    assert response.status_code == 302
    assert not WhatsAppInstance.objects.filter(pk=instance.pk).exists()
    assert instance.evolution_name not in {i.name for i in evo.fetch_instances()}


def test_the_change_page_shows_health_and_the_log(english, acme_line, login, cast, english_pages):
    # ``english`` first: the log's "Created by" is written when acme_line is made.
    page = login(cast.ana).get(url("change", acme_line)).content.decode()
    assert "0 sent · 0 delivered · 0 read · 0 failed" in page
    assert f"Created by {cast.ana}" in page


def test_gabriel_gets_404_on_every_page_of_acmes_instance(acme_line, login, cast):
    client = login(cast.gabriel)
    for name in ("change", "delete", "history", "connection", "connect", "logout", "webhook"):
        assert client.get(url(name, acme_line)).status_code == 404, name
        assert client.post(url(name, acme_line), {"post": "yes"}).status_code == 404, name
    acme_line.refresh_from_db()
    assert acme_line.state == "connecting"
    assert acme_line.name not in client.get(reverse(CHANGELIST)).content.decode()


def test_marcos_looks_but_cannot_add_change_or_delete(acme_line, login, cast):
    client = login(cast.marcos)
    assert client.get(reverse(CHANGELIST)).status_code == 200
    page = client.get(url("change", acme_line)).content.decode()
    assert acme_line.qr_code not in page  # a QR would let him link his own phone
    assert client.get(reverse(ADD)).status_code == 403
    assert client.post(url("delete", acme_line), {"post": "yes"}).status_code == 403
    for button in ("connect", "logout", "webhook"):
        assert client.post(url(button, acme_line)).status_code == 403, button
    polled = client.get(url("connection", acme_line)).json()
    assert polled["state"] == "connecting" and polled["qr"] == ""
    assert WhatsAppInstance.objects.filter(pk=acme_line.pk).exists()


def test_alice_has_no_instance_pages(acme_line, login, cast):
    client = login(cast.alice)
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.get(url("connection", acme_line)).status_code == 403


def test_buttons_answer_only_to_post(acme_line, login, cast):
    assert login(cast.ana).get(url("logout", acme_line)).status_code == 405
    acme_line.refresh_from_db()
    assert acme_line.state == "connecting"


def test_the_plan_limit_is_shown_on_the_add_form(on_simulator, login, cast, english_pages):
    services.create_instance(cast.globex, "Única")
    response = login(cast.gabriel).post(reverse(ADD), {"name": "Segunda", "daily_send_limit": 10})
    assert response.status_code == 200
    assert "allows 1 WhatsApp instances" in response.content.decode()
    assert WhatsAppInstance.objects.for_tenant(cast.globex).count() == 1


def test_a_server_error_is_explained_and_the_form_kept(server_down, login, cast, english_pages):
    response = login(cast.ana).post(reverse(ADD), {"name": "Vendas", "daily_send_limit": 321})
    page = response.content.decode()
    assert response.status_code == 200
    assert "The WhatsApp server cannot be reached right now" in page
    assert 'value="Vendas"' in page and 'value="321"' in page
    assert not WhatsAppInstance.objects.exists()


def test_a_failing_button_says_why(acme_line, login, cast, settings, english_pages):
    settings.EVOLUTION_API_URL = "http://127.0.0.1:9"
    response = login(cast.ana).post(url("logout", acme_line), follow=True)
    assert any("cannot be reached" in m for m in _messages(response))
    acme_line.refresh_from_db()
    assert acme_line.state == "connecting"


def test_a_failed_delete_keeps_the_instance(acme_line, login, cast, settings, english_pages):
    settings.EVOLUTION_API_URL = "http://127.0.0.1:9"
    response = login(cast.ana).post(url("delete", acme_line), {"post": "yes"}, follow=True)
    assert any("cannot be reached" in m for m in _messages(response))
    assert WhatsAppInstance.objects.filter(pk=acme_line.pk).exists()


def test_the_poll_reports_a_server_error(acme_line, login, cast, settings, english_pages):
    settings.EVOLUTION_API_URL = "http://127.0.0.1:9"
    response = login(cast.ana).get(url("connection", acme_line))
    assert response.status_code == 502
    assert "cannot be reached" in response.json()["error"]
