"""A conversation whose WhatsApp number is disconnected says so above the composer, and the
banner follows the number live: the simulator's ``connection.update`` through our webhook
reaches the sockets that may see a conversation of that number, and no one else."""

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from tests import sockets
from tests.chat.conftest import make_agent, make_conversation, make_line
from tests.chat.webhooks import CUSTOMER, forward, seen
from whatsapp.models import WhatsAppInstance

pytestmark = pytest.mark.django_db(transaction=True)
BANNER = 'id="chat-instance-banner"'


@pytest.fixture
def chat(cast, line):
    return make_conversation(
        line, CUSTOMER, name="Maria", department=cast.departments[("acme", "Sales")]
    )


def banner_of(client, user, conversation) -> str:
    client.force_login(user)
    html = client.get(reverse("chat:conversation", args=[conversation.pk])).content.decode()
    start = html.index(BANNER)
    return html[start : html.index(">", start)]


def test_the_banner_is_hidden_while_the_number_is_connected(client, cast, chat):
    assert "hidden" in banner_of(client, cast.alice, chat)


def test_the_banner_shows_when_the_number_is_disconnected(client, cast, chat):
    WhatsAppInstance.objects.filter(pk=chat.instance_id).update(state="close")
    assert "hidden" not in banner_of(client, cast.alice, chat)
    page = client.get(reverse("chat:conversation", args=[chat.pk])).content.decode()
    assert "messages to the customer will fail" in page


def test_a_catch_up_carries_the_numbers_state(client, cast, chat):
    WhatsAppInstance.objects.filter(pk=chat.instance_id).update(state="close")
    client.force_login(cast.alice)
    answer = client.get(reverse("chat:messages", args=[chat.pk])).json()
    assert answer["conversation"]["instance"] == {
        "instance_id": str(chat.instance_id),
        "name": "Acme Vendas",
        "state": "close",
        "connected": False,
    }


async def ready(user):
    socket = await sockets.open_socket("/ws/chat/", user)
    assert await socket.receive_json_from(timeout=3) == {"type": "ready"}
    return socket


@database_sync_to_async
def connection_changes(capture, line, change, *, until: str) -> None:
    """``change()`` on the simulator; its connection.update webhooks posted here, in order, up
    to the one that reports ``until`` (a scan goes through "connecting" first)."""
    before = seen(capture, "connection.update")
    change()
    for after in range(before, before + 5):
        forward(capture, line, "connection.update", after=after)
        if capture.events("connection.update")[after].body["data"]["state"] == until:
            return
    raise AssertionError(f"the simulator never reported {until}")


async def test_disconnect_and_reconnect_reach_the_agent_live(
    cast, line, chat, simulator, webhook_capture
):
    alice = await ready(cast.alice)
    control = simulator.control
    await connection_changes(
        webhook_capture, line, lambda: control.disconnect(line.evolution_name), until="close"
    )
    event = await alice.receive_json_from(timeout=3)
    assert event == {
        "type": "instance",
        "instance_id": str(line.pk),
        "name": "Acme Vendas",
        "state": "close",
        "connected": False,
    }
    await connection_changes(
        webhook_capture,
        line,
        lambda: control.scan(line.evolution_name, number="5511900001111"),
        until="open",
    )
    changes = [await alice.receive_json_from(timeout=3) for _change in range(2)]
    assert [(c["state"], c["connected"]) for c in changes] == [
        ("connecting", False),
        ("open", True),
    ]
    await alice.disconnect()


async def test_only_sockets_that_see_a_conversation_of_the_number_hear_of_it(
    cast, line, chat, simulator, webhook_capture
):
    @database_sync_to_async
    def others():
        make_conversation(make_line(cast.globex, "Globex-line"), CUSTOMER, name="Globex's")
        return make_agent(cast.acme, "bruno@acme.test", cast.departments[("acme", "Support")])

    bruno = await others()  # Support only: the number's one conversation is in Sales
    ana, bruno, gabriel = [await ready(u) for u in (cast.ana, bruno, cast.gabriel)]
    await connection_changes(
        webhook_capture,
        line,
        lambda: simulator.control.disconnect(line.evolution_name),
        until="close",
    )
    assert (await ana.receive_json_from(timeout=3))["connected"] is False
    assert await bruno.receive_nothing(timeout=0.5)
    assert await gabriel.receive_nothing(timeout=0.1)
    for socket in (ana, bruno, gabriel):
        await socket.disconnect()
