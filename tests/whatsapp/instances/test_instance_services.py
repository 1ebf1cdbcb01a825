"""whatsapp.services: instances created, connected, logged out, rewired and deleted on the
simulator, with our rows and log following."""

import pytest
from django.core.exceptions import ValidationError

from tenancy.limits import PlanLimitError
from tests.whatsapp.instances.conftest import OWN_NUMBER
from whatsapp import evolution, services
from whatsapp.models import ConnectionLogEntry, EvolutionServer, ServerAssignment, WhatsAppInstance
from whatsapp.webhook_config import SECRET_HEADER, webhook_url


def _log(instance):
    return list(
        ConnectionLogEntry.objects.filter(instance=instance)
        .order_by("at")
        .values_list("state", "detail")
    )


def test_create_makes_the_instance_on_the_server_with_our_webhook(on_simulator, evo, cast, english):
    sales = cast.departments[("acme", "Sales")]
    instance = services.create_instance(
        cast.acme, "Vendas", default_department=sales, daily_send_limit=300, by=cast.ana
    )

    stored = WhatsAppInstance.objects.get(pk=instance.pk)
    assert stored.evolution_name.startswith("alrea-")
    assert (stored.name, stored.default_department, stored.daily_send_limit) == (
        "Vendas",
        sales,
        300,
    )
    assert stored.state == "connecting"
    assert stored.qr_code.startswith("data:image/png;base64,")
    assert stored.token and stored.evolution_id
    [info] = evo.fetch_instances(stored.evolution_name)
    assert (info.id, info.token) == (stored.evolution_id, stored.token)
    webhook = evo.find_webhook(stored.evolution_name)
    assert webhook.url == webhook_url(stored)
    assert webhook.headers == {SECRET_HEADER: stored.webhook_secret}
    assert _log(stored) == [("close", f"Created by {cast.ana}"), ("connecting", "")]


def test_the_token_is_stored_encrypted(on_simulator, cast):
    from django.db import connection

    instance = services.create_instance(cast.acme, "Vendas")
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM whatsapp_whatsappinstance WHERE id = %s", [instance.pk])
        [raw] = cursor.fetchone()
    assert instance.token and instance.token not in raw


def test_the_plan_limit_is_checked_before_the_server_is_called(on_simulator, evo, cast, english):
    services.create_instance(cast.globex, "Única")  # Starter allows one
    with pytest.raises(PlanLimitError) as refused:
        services.create_instance(cast.globex, "Segunda")
    assert "allows 1" in refused.value.messages[0]
    assert WhatsAppInstance.objects.for_tenant(cast.globex).count() == 1
    assert len(evo.fetch_instances()) == 1


def test_a_duplicate_name_is_a_form_error_and_calls_nothing(on_simulator, evo, cast, english):
    services.create_instance(cast.acme, "Vendas")
    with pytest.raises(ValidationError) as refused:
        services.create_instance(cast.acme, "Vendas")
    assert "already has an instance with this name" in str(refused.value)
    assert len(evo.fetch_instances()) == 1


def test_a_department_of_another_company_is_refused(on_simulator, cast, english):
    with pytest.raises(ValidationError):
        services.create_instance(
            cast.acme, "Vendas", default_department=cast.departments[("globex", "Support")]
        )
    assert not WhatsAppInstance.objects.exists()


def test_a_server_that_is_down_leaves_nothing_behind(server_down, cast, english):
    with pytest.raises(services.InstanceError) as failed:
        services.create_instance(cast.acme, "Vendas")
    assert "cannot be reached" in failed.value.message
    assert not WhatsAppInstance.objects.exists()
    assert not ConnectionLogEntry.objects.exists()


def test_a_refusal_by_the_server_leaves_nothing_behind(on_simulator, settings, cast, english):
    settings.EVOLUTION_API_KEY = "wrong-key"
    with pytest.raises(services.InstanceError) as failed:
        services.create_instance(cast.acme, "Vendas")
    assert "refused our key" in failed.value.message
    assert not WhatsAppInstance.objects.exists()


def test_instances_go_to_the_tenants_assigned_server(on_simulator, settings, cast):
    assigned = EvolutionServer.objects.create(
        name="Dedicated", base_url=on_simulator.url, api_key=on_simulator.api_key
    )
    ServerAssignment.objects.create(tenant=cast.acme, server=assigned)
    settings.EVOLUTION_API_URL = "http://127.0.0.1:9"  # the default server is not used

    instance = services.create_instance(cast.acme, "Vendas")

    assert instance.server == assigned
    ServerAssignment.objects.filter(tenant=cast.acme).delete()
    assert services.refresh_state(instance) == "connecting"  # it stays on its server


def test_connect_scan_and_state(on_simulator, cast):
    instance = services.create_instance(cast.acme, "Vendas")

    qr = services.connect(instance)
    assert qr.base64 == instance.qr_code

    on_simulator.control.scan(instance.evolution_name, number=OWN_NUMBER, profile_name="Loja")
    assert services.refresh_state(instance) == "open"
    instance.refresh_from_db()
    assert (instance.phone_number, instance.profile_name) == (f"+{OWN_NUMBER}", "Loja")
    assert instance.qr_code == ""
    assert instance.health_score == 100
    assert services.connect(instance) is None  # connected: no QR


def test_logout_closes_and_logs_who(on_simulator, evo, cast, english):
    instance = services.create_instance(cast.acme, "Vendas")
    on_simulator.control.scan(instance.evolution_name, number=OWN_NUMBER)
    services.refresh_state(instance)

    services.logout(instance, by=cast.ana)
    services.logout(instance, by=cast.ana)  # already out: not an error

    assert evo.connection_state(instance.evolution_name).state == "close"
    instance.refresh_from_db()
    assert (instance.state, instance.health_score) == ("close", 0)
    assert _log(instance)[-1] == ("close", f"Logged out by {cast.ana}")


def test_delete_removes_both_sides(on_simulator, evo, cast):
    instance = services.create_instance(cast.acme, "Vendas")
    services.delete_instance(instance, by=cast.ana)
    assert not WhatsAppInstance.objects.exists()
    with pytest.raises(evolution.InstanceNotFound):
        evo.connection_state(instance.evolution_name)


def test_delete_of_an_instance_already_gone_on_the_server(on_simulator, evo, cast):
    instance = services.create_instance(cast.acme, "Vendas")
    evo.delete_instance(instance.evolution_name)
    services.delete_instance(instance)
    assert not WhatsAppInstance.objects.exists()


def test_delete_keeps_the_row_when_the_server_is_down(on_simulator, settings, cast, english):
    instance = services.create_instance(cast.acme, "Vendas")
    settings.EVOLUTION_API_URL = "http://127.0.0.1:9"
    with pytest.raises(services.InstanceError):
        services.delete_instance(instance)
    assert WhatsAppInstance.objects.filter(pk=instance.pk).exists()


def test_reconfigure_webhook_rotates_the_secret(on_simulator, evo, cast, english):
    instance = services.create_instance(cast.acme, "Vendas")
    old = instance.webhook_secret

    services.reconfigure_webhook(instance, by=cast.ana)

    instance.refresh_from_db()
    assert instance.webhook_secret != old
    assert evo.find_webhook(instance.evolution_name).headers == {
        SECRET_HEADER: instance.webhook_secret
    }
    assert _log(instance)[-1][1] == f"Webhook reconfigured by {cast.ana}"


def test_a_failed_reconfiguration_keeps_the_old_secret(on_simulator, evo, cast):
    instance = services.create_instance(cast.acme, "Vendas")
    old = instance.webhook_secret
    evo.delete_instance(instance.evolution_name)

    with pytest.raises(services.InstanceError):
        services.reconfigure_webhook(instance)

    assert instance.webhook_secret == old
    instance.refresh_from_db()
    assert instance.webhook_secret == old


def test_webhooks_arrive_with_the_instance_secret(on_simulator, webhook_capture, cast):
    instance = services.create_instance(cast.acme, "Vendas")
    on_simulator.control.scan(instance.evolution_name, number=OWN_NUMBER)
    [posted] = webhook_capture.wait_for(
        lambda request: (
            request.event == "connection.update" and request.body["data"]["state"] == "open"
        )
    )
    assert posted.headers[SECRET_HEADER] == instance.webhook_secret
    # (The simulator drops the URL's trailing slash: compared without it.)
    assert webhook_capture.url + posted.path.rstrip("/") == webhook_url(instance).rstrip("/")


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (evolution.InstanceNotFound("x", 404), "no longer has this instance"),
        (evolution.Disconnected("Connection Closed", 500), "not connected"),
        (evolution.NotOnWhatsApp("x", 400, jid="55@s.whatsapp.net", number="55"), "55 is not"),
        (evolution.Timeout("slow"), "took too long"),
        (evolution.ValidationError("Text is required", 400, messages=[]), "Text is required"),
        (evolution.ServerError("Timed Out", 500), "failed (Timed Out)"),
    ],
)
def test_errors_read_as_something_a_user_can_act_on(english, error, text):
    assert text in services.user_message(error)
