"""Agents' reactions to a customer's message: one per message (a new one replaces ours, the
same one takes it back), sent by chat.send with Evolution's sendReaction (the simulator),
shown on the message at once and live; refused clearly when it cannot go."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import reverse

from chat import outbox
from chat.models import Conversation, Message
from tests import sockets
from tests.chat.conftest import make_message
from tests.chat.test_sending import chat_with, deliver

pytestmark = pytest.mark.django_db
S, T = Message.Status, Message.Type


def react(client, user, message, emoji):
    client.force_login(user)
    return client.post(reverse("chat:react", args=[message.pk]), {"emoji": emoji})


def ours(message) -> list[Message]:
    return list(
        Message.objects.filter(
            reaction_to=message, type=T.REACTION, direction=Message.Direction.OUTBOUND
        )
    )


@pytest.fixture
def question(line):
    chat = chat_with(line, "+5511987654321")
    return make_message(chat, 1, body="Chegou o pedido!", provider_id="CUSTOMER-MSG-1")


def test_alice_reacts_and_whatsapp_gets_it_on_the_customers_message(
    client, cast, question, simulator
):
    answer = react(client, cast.alice, question, "👍")
    assert answer.status_code == 200
    shown = answer.json()["message"]
    assert shown["id"] == str(question.pk)
    assert shown["reactions"] == [
        {"emoji": "👍", "direction": "out", "sender": "", "status": "pending"}
    ]
    [reaction] = ours(question)
    assert (reaction.body, reaction.status, reaction.sent_by) == ("👍", S.PENDING, cast.alice)

    deliver(reaction)

    [sent] = simulator.control.sent(question.conversation.instance.evolution_name)
    assert sent["message"]["reactionMessage"]["text"] == "👍"
    assert sent["message"]["reactionMessage"]["key"] == {
        "remoteJid": "5511987654321@s.whatsapp.net",
        "fromMe": False,
        "id": "CUSTOMER-MSG-1",
    }
    assert (reaction.status, reaction.provider_id) == (S.SENT, sent["key"]["id"])


def test_a_new_reaction_replaces_ours_and_an_empty_one_takes_it_back(
    client, cast, question, simulator
):
    react(client, cast.alice, question, "👍")
    replaced = react(client, cast.ana, question, "❤️")
    assert [r["emoji"] for r in replaced.json()["message"]["reactions"]] == ["❤️"]
    assert [r.body for r in ours(question)] == ["❤️"]

    taken_back = react(client, cast.alice, question, "")
    assert taken_back.json()["message"]["reactions"] == []
    [removal] = ours(question)
    deliver(removal)
    [sent] = simulator.control.sent(question.conversation.instance.evolution_name)
    assert sent["message"]["reactionMessage"]["text"] == ""
    assert removal.status == S.SENT


def test_a_reaction_that_fails_shows_as_failed_on_the_message(client, cast, question, simulator):
    simulator.control.disconnect(question.conversation.instance.evolution_name)
    react(client, cast.alice, question, "🙏")
    [reaction] = ours(question)
    deliver(reaction)
    assert reaction.status == S.FAILED and "disconnected" in reaction.error
    client.force_login(cast.alice)
    page = client.get(reverse("chat:messages", args=[question.conversation_id])).json()
    [shown] = [m for m in page["messages"] if m["id"] == str(question.pk)]
    assert shown["reactions"][0]["status"] == "failed"


@pytest.mark.django_db(transaction=True)
async def test_the_reaction_reaches_the_page_live_on_its_message(cast, conversations):
    target = await database_sync_to_async(make_message)(
        conversations["sales"], 1, body="Oi", provider_id="IN-LIVE"
    )
    alice = await sockets.open_socket("/ws/chat/", cast.alice)
    assert await alice.receive_json_from(timeout=3) == {"type": "ready"}
    await database_sync_to_async(outbox.queue_reaction)(target, "😂", by=cast.marcos)
    event = await alice.receive_json_from(timeout=3)
    assert event["type"] == "message"
    assert event["message"]["id"] == str(target.pk)
    assert [r["emoji"] for r in event["message"]["reactions"]] == ["😂"]
    await alice.disconnect()


# --- Refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("emoji", "error"),
    [("ok", "one emoji"), ("👍👍", "one emoji"), ("a👍", "one emoji"), ("👍" * 20, "one emoji")],
)
def test_only_one_emoji_is_a_reaction(client, cast, question, emoji, error):
    answer = react(client, cast.alice, question, emoji)
    assert answer.status_code == 400 and error in answer.json()["error"]
    assert ours(question) == []


@pytest.mark.parametrize("emoji", ["❤️", "👍🏽", "👨‍👩‍👧", "🇧🇷"])
def test_composed_emoji_count_as_one(client, cast, question, emoji):
    assert react(client, cast.alice, question, emoji).status_code == 200


def test_only_a_customers_message_known_to_whatsapp_gets_a_reaction(client, cast, question):
    chat = question.conversation
    cases = {
        "ours": make_message(
            chat, 1, body="Enviado", direction=Message.Direction.OUTBOUND, provider_id="OUT-1"
        ),
        "note": make_message(chat, 1, body="Nota", type=T.NOTE),
        "unknown": make_message(chat, 1, body="Sem id"),
    }
    for name, message in cases.items():
        answer = react(client, cast.alice, message, "👍")
        assert answer.status_code == 400, name
        assert answer.json()["error"], name
        assert ours(message) == []


def test_a_closed_conversation_takes_no_reaction(client, cast, question):
    Conversation.objects.filter(pk=question.conversation_id).update(
        status=Conversation.Status.CLOSED
    )
    answer = react(client, cast.alice, question, "👍")
    assert answer.status_code == 400 and "closed" in answer.json()["error"]


@pytest.mark.parametrize(
    ("person", "conversation", "status"),
    [
        ("alice", "sales", 200),
        ("alice", "support", 404),
        ("gabriel", "sales", 404),
        ("ana", "support", 200),
    ],
)
def test_only_who_sees_the_conversation_may_react(
    client, cast, conversations, person, conversation, status
):
    target = make_message(conversations[conversation], 1, body="Oi", provider_id="IN-9")
    assert react(client, getattr(cast, person), target, "👍").status_code == status
    assert len(ours(target)) == (status == 200)


def test_reacting_needs_a_session_a_post_and_the_csrf_token(client, cast, conversations):
    target = make_message(conversations["sales"], 1, body="Oi", provider_id="IN-10")
    url = reverse("chat:react", args=[target.pk])
    assert client.post(url, {"emoji": "👍"}).status_code == 302
    client.force_login(cast.alice)
    assert client.get(url).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast.alice)
    assert strict.post(url, {"emoji": "👍"}).status_code == 403
    assert ours(target) == []
