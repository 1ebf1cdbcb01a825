"""The customer's presence (``presence.update`` from the simulator, through our webhook) shows as
"typing…" / "recording audio…" live, only on sockets that may see the conversation, and is
never stored."""

import pytest
from channels.db import database_sync_to_async

from chat.models import Conversation, Message
from tests import sockets
from tests.chat.conftest import make_agent, make_conversation
from tests.chat.webhooks import CUSTOMER, CUSTOMER_JID, forward, seen
from whatsapp.models import WebhookEvent

pytestmark = pytest.mark.django_db(transaction=True)


async def ready(user):
    socket = await sockets.open_socket("/ws/chat/", user)
    assert await socket.receive_json_from(timeout=3) == {"type": "ready"}
    return socket


@pytest.fixture
def chat(cast, line):
    return make_conversation(
        line, CUSTOMER, name="Maria", department=cast.departments[("acme", "Sales")]
    )


@database_sync_to_async
def customer(simulator, capture, line, presence: str) -> str:
    before = seen(capture, "presence.update")
    simulator.control.presence(line.evolution_name, CUSTOMER, presence)
    return forward(capture, line, "presence.update", after=before)


async def test_typing_recording_and_paused_reach_the_agent_live(
    cast, line, chat, simulator, webhook_capture
):
    alice = await ready(cast.alice)
    for said, shown in (("composing", "typing"), ("recording", "recording"), ("paused", "stopped")):
        await customer(simulator, webhook_capture, line, said)
        assert await alice.receive_json_from(timeout=3) == {
            "type": "presence",
            "conversation_id": str(chat.pk),
            "state": shown,
        }
    await alice.disconnect()


async def test_presence_reaches_no_one_who_may_not_see_the_conversation(
    cast, line, chat, simulator, webhook_capture
):
    support_only = await database_sync_to_async(make_agent)(
        cast.acme, "bruno@acme.test", cast.departments[("acme", "Support")]
    )
    marcos, bruno, gabriel = [await ready(u) for u in (cast.marcos, support_only, cast.gabriel)]
    await customer(simulator, webhook_capture, line, "composing")
    assert (await marcos.receive_json_from(timeout=3))["state"] == "typing"
    assert await bruno.receive_nothing(timeout=0.5)
    assert await gabriel.receive_nothing(timeout=0.1)
    for socket in (marcos, bruno, gabriel):
        await socket.disconnect()


async def test_presence_is_not_stored(cast, line, chat, simulator, webhook_capture):
    alice = await ready(cast.alice)
    status = await customer(simulator, webhook_capture, line, "composing")
    await alice.receive_json_from(timeout=3)

    @database_sync_to_async
    def stored():
        return (
            Message.objects.count(),
            Conversation.objects.count(),
            list(WebhookEvent.objects.filter(event="presence.update").values_list("status")),
        )

    # Only the raw webhook log keeps it, as not applied (like every event we do not apply).
    assert status == "ignored"
    assert await stored() == (0, 1, [("ignored",)])
    await alice.disconnect()


async def test_presence_of_a_chat_we_do_not_have_is_dropped(
    cast, line, chat, simulator, webhook_capture
):
    alice = await ready(cast.alice)
    before = await database_sync_to_async(seen)(webhook_capture, "presence.update")
    await database_sync_to_async(simulator.control.presence)(
        line.evolution_name, "5511911112222", "composing"
    )
    await database_sync_to_async(forward)(webhook_capture, line, "presence.update", after=before)
    assert await alice.receive_nothing(timeout=0.5)
    assert not await database_sync_to_async(
        Conversation.objects.exclude(remote_jid=CUSTOMER_JID).exists
    )()
    await alice.disconnect()
