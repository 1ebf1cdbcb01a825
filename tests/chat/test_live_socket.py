"""The chat page's socket (``ws/chat/``) through the real ASGI stack and the Redis channel
layer: who may open it, and that each event reaches only the sockets whose user may see its
conversation at that moment."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from chat import notes, routing
from chat.models import Conversation
from chat.sockets import FORBIDDEN
from tests import sockets

# Session auth needs the rows committed (the socket reads them from another thread).
pytestmark = pytest.mark.django_db(transaction=True)

add_note = database_sync_to_async(notes.add_note)
transfer = database_sync_to_async(routing.transfer)


def open_socket(user=None):
    return sockets.open_socket("/ws/chat/", user)


async def ready_socket(user) -> WebsocketCommunicator:
    socket = await open_socket(user)
    assert await socket.receive_json_from(timeout=3) == {"type": "ready"}
    return socket


async def close_code(socket) -> int | None:
    output = await socket.receive_output(timeout=3)
    await socket.wait()
    return output.get("code") if output["type"] == "websocket.close" else None


async def next_note(socket) -> str:
    """The body of the next message event (conversation events in between are skipped)."""
    while True:
        event = await socket.receive_json_from(timeout=3)
        if event["type"] == "message":
            return event["message"]["body"]


async def test_anonymous_is_refused(cast):
    assert await close_code(await open_socket()) == FORBIDDEN


async def test_platform_staff_without_a_company_is_refused(cast):
    assert await close_code(await open_socket(cast.staff)) == FORBIDDEN


async def test_an_agent_receives_her_departments_messages_only(cast, conversations):
    alice = await ready_socket(cast.alice)
    await add_note(conversations["support"], "not for alice", by=cast.ana)
    await add_note(conversations["sales"], "for alice", by=cast.ana)
    event = await alice.receive_json_from(timeout=3)
    assert event["type"] == "message"
    assert event["message"]["body"] == "for alice"
    assert event["conversation"]["id"] == str(conversations["sales"].pk)
    await alice.disconnect()


async def test_a_globex_user_never_receives_acmes_events(cast, conversations):
    gabriel = await ready_socket(cast.gabriel)
    await add_note(conversations["sales"], "Acme's", by=cast.ana)
    await add_note(conversations["globex"], "Globex's", by=cast.gabriel)
    assert await next_note(gabriel) == "Globex's"
    await gabriel.disconnect()


async def test_visibility_is_checked_per_event_not_at_connect(cast, conversations):
    sales = conversations["sales"]
    support = cast.departments[("acme", "Support")]
    alice = await ready_socket(cast.alice)
    await add_note(sales, "before", by=cast.ana)
    assert await next_note(alice) == "before"

    await transfer(sales, department=support, by=cast.ana)
    await add_note(sales, "after the transfer", by=cast.ana)
    await add_note(conversations["inbox_for_alice"], "hers", by=cast.ana)
    assert await next_note(alice) == "hers"
    await alice.disconnect()


async def test_assignment_changes_arrive_as_conversation_events(cast, conversations):
    marcos = await ready_socket(cast.marcos)
    await database_sync_to_async(routing.claim)(conversations["sales"], by=cast.alice)
    event = await marcos.receive_json_from(timeout=3)
    assert event["type"] == "conversation"
    assert event["conversation"]["agent_id"] == str(cast.alice.pk)
    assert event["conversation"]["status"] == Conversation.Status.OPEN
    await marcos.disconnect()
