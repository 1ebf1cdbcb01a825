"""The client's instance calls against the simulator: create, QR, state, list, logout, delete."""

import pytest

from tests.whatsapp.client.conftest import OWN_NUMBER, WEBHOOK
from whatsapp import evolution
from whatsapp.evolution import EvolutionClient


def test_create_returns_the_token_id_and_a_qr_to_scan(evo, new_name):
    name = new_name()
    created = evo.create_instance(name, webhook=WEBHOOK)

    assert created.name == name
    assert created.id and created.token
    assert created.status == "connecting"
    assert created.qr.base64.startswith("data:image/png;base64,")
    assert created.qr.code and created.qr.count >= 1
    assert created.token not in repr(created)


def test_create_stores_the_webhook_as_given(evo, instance):
    stored = evo.find_webhook(instance.name)
    assert stored.url == WEBHOOK["url"]
    assert stored.enabled
    assert stored.headers == WEBHOOK["headers"]
    assert set(stored.events) == set(WEBHOOK["events"])


def test_a_taken_name_is_refused(evo, instance):
    with pytest.raises(evolution.InstanceNameInUse) as refused:
        evo.create_instance(instance.name, webhook=WEBHOOK)
    assert refused.value.status == 403
    assert instance.name in refused.value.message


def test_create_needs_the_global_key(simulator, instance, new_name):
    # The instance token works on its own routes, never on /instance/create (§1.1).
    with EvolutionClient(simulator.url, instance.token) as client:
        assert client.connection_state(instance.name).name == instance.name
        with pytest.raises(evolution.Unauthorized) as refused:
            client.create_instance(new_name(), webhook=WEBHOOK)
    assert refused.value.status == 401


def test_a_wrong_key_is_unauthorized(simulator, instance):
    with (
        EvolutionClient(simulator.url, "not-the-key") as client,
        pytest.raises(evolution.Unauthorized) as refused,
    ):
        client.connection_state(instance.name)
    assert (refused.value.status, refused.value.message) == (401, "Unauthorized")


def test_an_unknown_instance_is_not_found(evo):
    with pytest.raises(evolution.InstanceNotFound) as missing:
        evo.connection_state("nobody-here")
    assert missing.value.status == 404
    assert "nobody-here" in missing.value.message


def test_unknown_instance_wins_over_a_bad_key(simulator):
    # Evolution's guards run 404 before 401.
    with (
        EvolutionClient(simulator.url, "not-the-key") as client,
        pytest.raises(evolution.InstanceNotFound),
    ):
        client.logout("nobody-here")


def test_connect_gives_the_qr_then_the_open_state(simulator, evo, instance):
    qr = evo.connect(instance.name)
    assert isinstance(qr, evolution.QRCode)
    assert qr.base64.startswith("data:image/png;base64,")
    assert evo.connection_state(instance.name).state == "connecting"

    simulator.control.scan(instance.name, number=OWN_NUMBER)

    assert evo.connect(instance.name) == evolution.InstanceState(instance.name, "open")
    assert evo.connection_state(instance.name).state == "open"


def test_fetch_instances_shows_the_connected_number(evo, connected):
    [info] = evo.fetch_instances(connected)
    assert (info.name, info.state) == (connected, "open")
    assert info.owner_jid == f"{OWN_NUMBER}@s.whatsapp.net"
    assert info.profile_name == "Loja Teste"
    assert evolution.jid_to_e164(info.owner_jid) == f"+{OWN_NUMBER}"
    assert connected in {i.name for i in evo.fetch_instances()}


def test_fetch_instances_of_an_unknown_name_is_not_found(evo):
    with pytest.raises(evolution.InstanceNotFound):
        evo.fetch_instances("nobody-here")


def test_logout_closes_and_a_second_logout_says_disconnected(evo, connected):
    assert evo.logout(connected) is None
    assert evo.connection_state(connected).state == "close"

    with pytest.raises(evolution.Disconnected) as closed:
        evo.logout(connected)
    assert closed.value.status == 400
    assert "is not connected" in closed.value.message


def test_delete_removes_the_instance(evo, connected):
    evo.delete_instance(connected)
    with pytest.raises(evolution.InstanceNotFound):
        evo.connection_state(connected)
    with pytest.raises(evolution.InstanceNotFound):
        evo.delete_instance(connected)


def test_webhook_set_replaces_the_configuration(evo, instance):
    new = {**WEBHOOK, "url": "http://127.0.0.1:9/other", "headers": {"x-alrea-webhook-secret": "2"}}

    stored = evo.set_webhook(instance.name, new)

    assert (stored.url, stored.headers) == (new["url"], new["headers"])
    assert evo.find_webhook(instance.name).url == new["url"]


def test_webhook_set_with_an_unknown_event_is_a_validation_error(evo, instance):
    with pytest.raises(evolution.ValidationError) as refused:
        evo.set_webhook(instance.name, {**WEBHOOK, "events": ["NOT_AN_EVENT"]})
    assert refused.value.status == 400
    [message] = refused.value.messages  # flattened from [["..."]]
    assert message.startswith("webhook.events[0] is not one of enum values")
