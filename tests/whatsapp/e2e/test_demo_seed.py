"""seed_demo_whatsapp and simulate_message: the demo number `.ci/serve` sets up, restarts too."""

import io

import pytest
from django.core.management import CommandError, call_command

from chat.models import Conversation, Message
from tests.bus.marks import committed_db
from tests.whatsapp.e2e.conftest import drain
from whatsapp import demo
from whatsapp.models import WhatsAppInstance

pytestmark = committed_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo_whatsapp", wait=0, stdout=out, stderr=io.StringIO())
    drain()  # what the process_webhooks worker does beside .ci/serve
    return out.getvalue()


def test_the_demo_number_is_connected_with_customers_writing_in(gateway, cast, english):
    output = seed()

    instance = WhatsAppInstance.objects.get(tenant=cast.acme, name=demo.INSTANCE_NAME)
    assert (instance.state, instance.phone_number) == ("open", "+" + demo.OWN_NUMBER)
    assert instance.default_department == cast.departments[("acme", "Sales")]
    assert "5 customer messages sent in" in output
    messages = Message.objects.filter(conversation__instance=instance)
    assert messages.count() == len(demo.MESSAGES)
    maria = Conversation.objects.get(instance=instance, remote_jid=f"{demo.MARIA}@s.whatsapp.net")
    assert maria.department.name == "Sales"
    assert list(maria.messages.values_list("direction", "type")) == [
        ("in", "text"),
        ("out", "text"),
        ("in", "image"),
        ("in", "text"),
    ]
    assert maria.messages.get(provider_id="DEMOACME0004").quoted.provider_id == "DEMOACME0002"
    assert maria.messages.get(type="image").attachment.status == "pending"


def test_after_a_simulator_restart_the_same_instance_is_restored_without_duplicates(
    gateway, evo, cast
):
    seed()
    before = WhatsAppInstance.objects.get(tenant=cast.acme, name=demo.INSTANCE_NAME)
    other = WhatsAppInstance.objects.create(
        tenant=cast.globex, name="Globex", evolution_name="alrea-earlier-run"
    )

    gateway.control.reset()  # a restarted simulator knows nothing
    seed()

    [after] = WhatsAppInstance.objects.filter(name=demo.INSTANCE_NAME)
    assert (after.pk, after.evolution_name) == (before.pk, before.evolution_name)
    assert (after.state, after.phone_number) == ("open", "+" + demo.OWN_NUMBER)
    [on_server] = evo.fetch_instances(after.evolution_name)
    assert on_server.token == after.token  # the new token was kept
    assert Message.objects.filter(conversation__instance=after).count() == len(demo.MESSAGES)
    assert Conversation.objects.filter(instance=after).count() == 2
    assert evo.fetch_instances(other.evolution_name)  # made again too, for its QR code


def test_a_customer_message_sent_with_simulate_message_is_stored(gateway, cast):
    seed()
    call_command("simulate_message", "Ainda tem?", number="5531988887777", stdout=io.StringIO())
    drain()

    message = Message.objects.get(body="Ainda tem?")
    assert message.conversation.instance.name == demo.INSTANCE_NAME
    assert message.conversation.contact.phone == "+5531988887777"


@pytest.mark.parametrize("command", ["seed_demo_whatsapp", "simulate_message"])
def test_the_demo_commands_refuse_to_run_in_production(settings, command):
    settings.PRODUCTION = True
    args = ["Oi"] if command == "simulate_message" else []
    with pytest.raises(CommandError, match="production"):
        call_command(command, *args)
