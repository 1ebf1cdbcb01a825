"""Who sees which conversation: admins the company, managers their departments, agents their
departments' queues, their own conversations and the Inbox; nobody another company's."""

import pytest

from chat.models import Conversation, ConversationEvent, Message
from tests.admin.walk import admin_url
from tests.chat.conftest import make_agent, make_conversation, make_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def chats(cast, conversations):
    """The shared set plus an unclaimed Inbox conversation and one a colleague took from it."""
    line = conversations["sales"].instance
    colleague = make_agent(cast.acme, "bruno@acme.example", cast.departments[("acme", "Sales")])
    return {
        **conversations,
        "inbox": make_conversation(line, "5511911110005", name="Waiting in the Inbox"),
        "inbox_for_bruno": make_conversation(
            line, "5511911110006", name="Bruno's from the Inbox", assigned_to=colleague
        ),
    }


def names(queryset):
    return set(queryset.values_list("name", flat=True))


ACME = {
    "Sales chat",
    "Support chat",
    "Handed to Alice",
    "Alice's own",
    "Waiting in the Inbox",
    "Bruno's from the Inbox",
}


def test_admin_sees_the_whole_company(cast, chats):
    assert names(Conversation.objects.visible_to(cast.ana)) == ACME


def test_manager_sees_his_departments_only(cast, chats):
    assert names(Conversation.objects.visible_to(cast.marcos)) == {"Sales chat"}


def test_agent_sees_her_queue_her_own_and_the_inbox(cast, chats):
    assert names(Conversation.objects.visible_to(cast.alice)) == {
        "Sales chat",
        "Handed to Alice",
        "Alice's own",
        "Waiting in the Inbox",
    }


def test_other_company_sees_none_of_acmes(cast, chats):
    assert names(Conversation.objects.visible_to(cast.gabriel)) == {"Globex chat"}


def test_messages_and_events_follow_their_conversation(cast, chats):
    for chat in chats.values():
        make_message(chat, 1, body=chat.name)
        ConversationEvent.objects.create(
            tenant_id=chat.tenant_id, conversation=chat, kind=ConversationEvent.Kind.OPENED
        )
    for person in ("ana", "marcos", "alice", "gabriel"):
        user = cast.users[person]
        seen = names(Conversation.objects.visible_to(user))
        bodies = set(Message.objects.visible_to(user).values_list("body", flat=True))
        timelines = set(
            ConversationEvent.objects.visible_to(user).values_list("conversation__name", flat=True)
        )
        assert bodies == seen == timelines, person


def test_the_agent_list_in_the_admin_includes_the_inbox(cast, login, chats):
    response = login(cast.alice).get(admin_url(Conversation, "changelist"))
    assert {c.name for c in response.context["cl"].result_list} == {
        "Sales chat",
        "Handed to Alice",
        "Alice's own",
        "Waiting in the Inbox",
    }
    assert (
        login(cast.alice).get(admin_url(Conversation, "change", chats["inbox"])).status_code == 200
    )
    assert (
        login(cast.alice).get(admin_url(Conversation, "change", chats["inbox_for_bruno"]))
    ).status_code == 404


def test_globex_never_reaches_an_acme_conversation_page(cast, login, chats):
    client = login(cast.gabriel)
    for key in ("sales", "inbox", "support"):
        assert client.get(admin_url(Conversation, "change", chats[key])).status_code == 404
