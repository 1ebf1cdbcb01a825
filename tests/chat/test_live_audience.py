"""A live event names who may see its conversation (``selectors.audience``), and each chat
socket decides from that alone.

Before, each socket asked the database per event; with 200 agents at 20 messages a second the
checks queued seconds behind (tests/bench/chat_fanout.py, docs/performance.md). The audience is
now read once per event, so it must be exactly the visibility rule: every user, every shape of
conversation.
"""

import asyncio
import json
import time

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from accounts.models import User
from chat import live, selectors
from chat.models import Conversation
from tests.chat.conftest import make_agent, make_conversation
from tests.chat.test_live_socket import ready_socket


@pytest.fixture
def shapes(cast, conversations):
    """The shared set, an unclaimed Inbox chat, one a colleague took from it, a manager of two
    departments and an agent who was switched off."""
    line = conversations["sales"].instance
    sales = cast.departments[("acme", "Sales")]
    support = cast.departments[("acme", "Support")]
    bruno = make_agent(cast.acme, "bruno@acme.example", sales)
    make_agent(cast.acme, "sofia@acme.example", sales, support, role="manager")
    User.objects.filter(pk=make_agent(cast.acme, "gone@acme.example", sales).pk).update(
        is_active=False
    )
    return [
        *conversations.values(),
        make_conversation(line, "5511911110005", name="Waiting in the Inbox"),
        make_conversation(line, "5511911110006", name="Bruno's", assigned_to=bruno),
        make_conversation(
            line, "5511911110007", name="Closed in Sales", department=sales, status="closed"
        ),
    ]


@pytest.mark.django_db
def test_the_audience_is_everyone_active_who_sees_the_conversation(cast, shapes):
    people = list(User.objects.filter(tenant__isnull=False))
    for conversation in shapes:
        expected = {
            str(person.pk)
            for person in people
            if person.is_active
            and Conversation.objects.visible_to(person).filter(pk=conversation.pk).exists()
        }
        audience = selectors.audience(conversation)
        assert sorted(audience) == sorted(expected), conversation.name


@pytest.mark.django_db
def test_a_deactivated_agent_is_left_out_although_her_department_sees_it(cast, shapes):
    gone = User.objects.get(email="gone@acme.example")
    assert Conversation.objects.visible_to(gone).filter(pk=shapes[0].pk).exists()
    assert str(gone.pk) not in selectors.audience(shapes[0])


@pytest.mark.django_db(transaction=True)
async def test_a_socket_forwards_an_event_only_when_its_audience_names_the_user(
    cast, conversations
):
    alice = await ready_socket(cast.alice)
    layer = get_channel_layer()

    def event(body, audience):
        return {
            "type": "chat.event",
            "tenant_id": str(cast.acme.pk),
            "audience": audience,
            "text": json.dumps({"type": "message", "message": {"body": body}}),
        }

    group = live.group_name(cast.acme.pk)
    await layer.group_send(group, event("for ana only", [str(cast.ana.pk)]))
    await layer.group_send(group, event("for alice", [str(cast.alice.pk)]))
    received = await alice.receive_json_from(timeout=3)
    assert received["message"]["body"] == "for alice"
    assert await alice.receive_nothing(timeout=0.3)
    await alice.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_an_event_reaches_the_socket_while_the_sync_thread_is_busy(cast):
    """Forwarding reads no database, so it does not wait for the process' one sync thread
    (where channels would close old connections before every event of every socket) while a
    slow request holds it."""
    alice = await ready_socket(cast.alice)
    busy = asyncio.ensure_future(sync_to_async(time.sleep)(2))
    await asyncio.sleep(0.05)  # the sleep holds the thread now
    event = {
        "type": "chat.event",
        "tenant_id": str(cast.acme.pk),
        "audience": [str(cast.alice.pk)],
        "text": json.dumps({"type": "presence", "state": "composing"}),
    }
    await get_channel_layer().group_send(live.group_name(cast.acme.pk), event)
    assert (await alice.receive_json_from(timeout=1))["state"] == "composing"
    assert not busy.done()
    await busy
    await alice.disconnect()
