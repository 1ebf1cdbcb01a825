"""The chat page (/chat/): who may open it, what each role sees in its lists and conversations,
and the composer and buttons behind it."""

import pytest
from django.urls import reverse

from bus.payloads import ChatSend
from chat.models import Conversation, ConversationEvent, Message
from contacts.models import Contact
from tests.chat.conftest import make_conversation, make_line, make_message

pytestmark = pytest.mark.django_db


def listed(client, user, tab, **query) -> set[str]:
    client.force_login(user)
    answer = client.get(reverse("chat:list"), {"tab": tab, **query})
    assert answer.status_code == 200
    return {c.name for c in answer.context["conversations"]}


def test_anonymous_is_sent_to_the_login(client):
    answer = client.get(reverse("chat:page"))
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("admin:login"))


def test_platform_staff_without_a_company_get_no_chat(client, cast):
    client.force_login(cast.staff)
    assert client.get(reverse("chat:page")).status_code == 403


def test_the_page_opens_on_the_inbox(client, cast, conversations):
    client.force_login(cast.alice)
    answer = client.get(reverse("chat:page"))
    assert answer.status_code == 200
    page = answer.content.decode()
    assert 'id="chat-page"' in page
    assert answer.context["tab"] == "inbox"
    assert "Alice&#x27;s own" not in page  # hers, not in the Inbox: it has an agent


@pytest.mark.parametrize(("person", "linked"), [("alice", True), ("ana", True), ("staff", False)])
def test_the_admin_sidebar_links_the_chat_for_people_of_a_company(client, cast, person, linked):
    client.force_login(getattr(cast, person))
    index = client.get(reverse("admin:index")).content.decode()
    assert (f'href="{reverse("chat:page")}"' in index) is linked


def test_agent_lists_follow_her_visibility(client, cast, conversations):
    alice = cast.alice
    assert listed(client, alice, "mine") == {"Handed to Alice", "Alice's own"}
    assert listed(client, alice, "departments") == {"Sales chat"}
    assert listed(client, alice, "inbox") == set()
    inbox = make_conversation(make_line(cast.acme, "Acme-2"), "5511911110009", name="Waiting")
    assert listed(client, alice, "inbox") == {inbox.name}


def test_manager_sees_his_departments_and_admin_the_company(client, cast, conversations):
    assert listed(client, cast.marcos, "departments") == {"Sales chat"}
    acme = {"Sales chat", "Support chat", "Handed to Alice"}
    assert listed(client, cast.ana, "departments") == acme  # an admin has every department
    Conversation.objects.filter(name="Support chat").update(status=Conversation.Status.CLOSED)
    assert listed(client, cast.ana, "closed") == {"Support chat"}
    assert listed(client, cast.marcos, "closed") == set()
    assert listed(client, cast.gabriel, "departments") == {"Globex chat"}


def test_search_finds_by_contact_name_and_phone(client, cast, conversations):
    assert listed(client, cast.alice, "mine", q="own") == {"Alice's own"}
    assert listed(client, cast.alice, "mine", q="+55 11 91111-0003") == set()  # no contact
    contact = Contact.objects.create(tenant=cast.acme, name="Joana Prado", phone="+5511955554444")
    Conversation.objects.filter(name="Alice's own").update(contact=contact)
    assert listed(client, cast.alice, "mine", q="joana") == {"Alice's own"}
    assert listed(client, cast.alice, "mine", q="95555-4444") == {"Alice's own"}


@pytest.mark.parametrize(
    ("person", "chat", "status"),
    [
        ("alice", "sales", 200),
        ("alice", "support_for_alice", 200),
        ("alice", "support", 404),
        ("marcos", "support", 404),
        ("ana", "support", 200),
        ("gabriel", "sales", 404),
        ("ana", "globex", 404),
    ],
)
def test_opening_a_conversation_follows_visibility(
    client, cast, conversations, person, chat, status
):
    client.force_login(getattr(cast, person))
    conversation = conversations[chat]
    assert client.get(reverse("chat:conversation", args=[conversation.pk])).status_code == status
    assert client.get(reverse("chat:messages", args=[conversation.pk])).status_code == status
    sent = client.post(reverse("chat:send", args=[conversation.pk]), {"body": "Oi", "note": "1"})
    assert sent.status_code == (201 if status == 200 else 404)


def test_history_pages_upward_without_overlap(client, cast, conversations):
    chat = conversations["sales"]
    for n in range(35):
        make_message(chat, 100 - n, body=f"m{n}")
    client.force_login(cast.alice)
    url = reverse("chat:messages", args=[chat.pk])
    newest = client.get(url).json()
    assert [m["body"] for m in newest["messages"]] == [f"m{n}" for n in range(5, 35)]
    assert newest["has_more"] is True
    older = client.get(url, {"before": newest["messages"][0]["id"]}).json()
    assert [m["body"] for m in older["messages"]] == [f"m{n}" for n in range(5)]
    assert older["has_more"] is False


def test_a_message_of_another_conversation_is_no_page_mark(client, cast, conversations):
    other = make_message(conversations["support"], 1, body="x")
    client.force_login(cast.alice)
    url = reverse("chat:messages", args=[conversations["sales"].pk])
    assert client.get(url, {"before": other.pk}).status_code == 404
    assert client.get(url, {"before": "not-an-id"}).status_code == 404
    assert client.get(url, {"after": "yesterday"}).status_code == 400


def test_catch_up_brings_what_came_after_the_cursor_and_fresh_ticks(client, cast, conversations):
    chat = conversations["sales"]
    client.force_login(cast.alice)
    url = reverse("chat:messages", args=[chat.pk])
    old = make_message(chat, 60, body="before", direction=Message.Direction.OUTBOUND, status="sent")
    Message.objects.filter(pk=old.pk).update(created_at=old.created_at.replace(year=2020))
    first = client.get(url).json()
    new = make_message(chat, 0, body="while away")
    Message.objects.filter(pk=old.pk).update(status=Message.Status.READ)

    caught = client.get(url, {"after": first["cursor"]}).json()
    by_id = {m["id"]: m for m in caught["messages"]}
    assert by_id[str(new.pk)]["body"] == "while away"
    assert by_id[str(old.pk)]["status"] == "read"  # its tick moved meanwhile
    assert len(caught["messages"]) == len(by_id)  # each once
    assert caught["cursor"] > first["cursor"]


def test_the_composer_queues_a_reply_through_the_outbox(
    client, cast, conversations, django_capture_on_commit_callbacks
):
    chat = conversations["sales"]
    question = make_message(chat, 1, body="Tem em azul?", provider_id="ABC")
    client.force_login(cast.alice)
    with django_capture_on_commit_callbacks() as callbacks:
        answer = client.post(
            reverse("chat:send", args=[chat.pk]), {"body": " Tem sim 💙 ", "quoted": question.pk}
        )
    assert answer.status_code == 201
    sent = Message.objects.get(pk=answer.json()["message"]["id"])
    assert (sent.body, sent.status, sent.sent_by, sent.quoted) == (
        "Tem sim 💙",
        Message.Status.PENDING,
        cast.alice,
        question,
    )
    assert answer.json()["message"]["quoted"]["text"] == "Tem em azul?"
    published = [c.args[0].payload for c in callbacks if getattr(c, "args", None)]
    assert ChatSend(tenant_id=chat.tenant_id, message_id=sent.pk) in published


def test_a_note_is_stored_and_never_published(
    client, cast, conversations, django_capture_on_commit_callbacks
):
    chat = conversations["sales"]
    client.force_login(cast.alice)
    with django_capture_on_commit_callbacks() as callbacks:
        answer = client.post(
            reverse("chat:send", args=[chat.pk]), {"body": "Cliente VIP", "note": "1"}
        )
    assert answer.status_code == 201
    note = Message.objects.get(pk=answer.json()["message"]["id"])
    assert note.type == Message.Type.NOTE
    assert [c for c in callbacks if getattr(c, "args", None)] == []  # nothing for the bus
    assert client.post(reverse("chat:retry", args=[note.pk])).status_code == 400


@pytest.mark.parametrize(
    ("fields", "error"),
    [({"body": "   "}, "Write something first."), ({"body": "x" * 4097}, "too long")],
)
def test_the_composer_refuses_empty_and_overlong_texts(client, cast, conversations, fields, error):
    client.force_login(cast.alice)
    answer = client.post(reverse("chat:send", args=[conversations["sales"].pk]), fields)
    assert answer.status_code == 400
    assert error in answer.json()["error"]
    assert not Message.objects.exists()


def test_a_closed_conversation_takes_notes_but_no_texts(client, cast, conversations):
    chat = conversations["sales"]
    Conversation.objects.filter(pk=chat.pk).update(status=Conversation.Status.CLOSED)
    client.force_login(cast.ana)
    url = reverse("chat:send", args=[chat.pk])
    answer = client.post(url, {"body": "Oi"})
    assert answer.status_code == 400
    assert "closed" in answer.json()["error"]
    assert client.post(url, {"body": "Encerrado", "note": "1"}).status_code == 201


def test_claim_then_a_second_claim_is_refused_with_the_reason(client, cast, conversations):
    chat = conversations["sales"]
    client.force_login(cast.alice)
    claimed = client.post(reverse("chat:act", args=[chat.pk, "claim"]))
    assert claimed.status_code == 200
    assert claimed.json()["conversation"]["agent_id"] == str(cast.alice.pk)
    again = client.post(reverse("chat:act", args=[chat.pk, "claim"]))
    assert again.status_code == 400
    assert again.json()["error"] == "This conversation is already yours."
    assert client.post(reverse("chat:act", args=[chat.pk, "explode"])).status_code == 404


def test_an_agent_may_not_close_a_colleagues_conversation(client, cast, conversations):
    chat = conversations["sales"]
    Conversation.objects.filter(pk=chat.pk).update(assigned_to=cast.marcos)
    client.force_login(cast.alice)
    answer = client.post(reverse("chat:act", args=[chat.pk, "close"]))
    assert answer.status_code == 403
    assert "role" in answer.json()["error"]


def test_transfer_to_another_department_leaves_the_agents_view(client, cast, conversations):
    chat = conversations["sales"]
    support = cast.departments[("acme", "Support")]
    client.force_login(cast.alice)
    answer = client.post(
        reverse("chat:act", args=[chat.pk, "transfer"]),
        {"department": support.pk, "reason": "Troca"},
    )
    assert answer.status_code == 200
    assert answer.json()["visible"] is False
    event = ConversationEvent.objects.get(kind=ConversationEvent.Kind.TRANSFERRED)
    assert (event.to_department, event.reason) == (support, "Troca")
    globex = cast.departments[("globex", "Support")]
    refused = client.post(
        reverse("chat:act", args=[conversations["inbox_for_alice"].pk, "transfer"]),
        {"department": globex.pk},
    )
    assert refused.status_code == 404


def test_send_again_requeues_a_failed_message_only(client, cast, conversations):
    chat = conversations["sales"]
    failed = make_message(
        chat, 1, body="x", direction=Message.Direction.OUTBOUND, status=Message.Status.FAILED
    )
    sent = make_message(chat, 1, body="y", direction=Message.Direction.OUTBOUND, status="sent")
    client.force_login(cast.alice)
    assert client.post(reverse("chat:retry", args=[failed.pk])).status_code == 200
    failed.refresh_from_db()
    assert failed.status == Message.Status.PENDING
    assert client.post(reverse("chat:retry", args=[sent.pk])).status_code == 400
    client.force_login(cast.gabriel)
    assert client.post(reverse("chat:retry", args=[failed.pk])).status_code == 404
