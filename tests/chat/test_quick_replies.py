"""Quick replies: the company's saved answers, offered in the composer filled for the contact,
managed in the admin by administrators (the company's) and managers (their departments')."""

import pytest
from django.test import Client
from django.urls import reverse

from chat.models import Conversation, QuickReply
from contacts.models import Contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def replies(cast):
    acme, globex = cast.acme, cast.globex
    sales = cast.departments[("acme", "Sales")]
    support = cast.departments[("acme", "Support")]

    def make(tenant, shortcut, text, department=None):
        return QuickReply.objects.create(
            tenant=tenant, shortcut=shortcut, text=text, department=department
        )

    return {
        "hello": make(acme, "ola", "Olá {{primeiro_nome}}, em que posso ajudar?"),
        "price": make(acme, "preco", "Nossos preços estão no site.", sales),
        "refund": make(acme, "reembolso", "O reembolso leva 5 dias.", support),
        "globex": make(globex, "oi", "Oi da Globex", None),
    }


def offered(client, user, conversation) -> dict:
    client.force_login(user)
    answer = client.get(reverse("chat:quick_replies", args=[conversation.pk]))
    assert answer.status_code == 200
    return {r["shortcut"]: r for r in answer.json()["replies"]}


def with_contact(conversation, **fields) -> Conversation:
    contact = Contact.objects.create(tenant=conversation.tenant, phone="+5511987650001", **fields)
    Conversation.objects.filter(pk=conversation.pk).update(contact=contact)
    conversation.refresh_from_db()
    return conversation


# --- The composer's list -----------------------------------------------------------------


def test_an_agent_gets_the_companys_and_her_departments_replies(
    client, cast, conversations, replies
):
    shown = offered(client, cast.alice, conversations["sales"])
    assert sorted(shown) == ["ola", "preco"]  # not Support's, not Globex's
    assert shown["preco"]["department"] == "Sales"


def test_an_admin_gets_every_reply_of_her_company(client, cast, conversations, replies):
    assert sorted(offered(client, cast.ana, conversations["support"])) == [
        "ola",
        "preco",
        "reembolso",
    ]


def test_variables_are_filled_for_the_conversations_contact(client, cast, conversations, replies):
    chat = with_contact(conversations["sales"], name="Maria Souza")
    hello = offered(client, cast.alice, chat)["ola"]
    assert (hello["text"], hello["filled"]) == ("Olá Maria, em que posso ajudar?", True)


def test_a_reply_that_cannot_be_filled_is_offered_as_written(client, cast, conversations, replies):
    replies["hello"].text = "Seu pedido {{pedido}} saiu."  # no contact has a "pedido"
    replies["hello"].save()
    chat = with_contact(conversations["sales"], name="Maria")
    hello = offered(client, cast.alice, chat)["ola"]
    assert (hello["text"], hello["filled"]) == ("Seu pedido {{pedido}} saiu.", False)
    # No contact at all (the fixture's chats have none): as written too.
    bare = offered(client, cast.alice, conversations["inbox_for_alice"])["ola"]
    assert (bare["text"], bare["filled"]) == ("Seu pedido {{pedido}} saiu.", False)


@pytest.mark.parametrize(
    ("person", "conversation", "status"),
    [
        ("alice", "support", 404),  # a department she is not in
        ("gabriel", "sales", 404),  # another company
        ("marcos", "sales", 200),
    ],
)
def test_only_who_sees_the_conversation_gets_the_list(
    client, cast, conversations, replies, person, conversation, status
):
    client.force_login(getattr(cast, person))
    answer = client.get(reverse("chat:quick_replies", args=[conversations[conversation].pk]))
    assert answer.status_code == status


def test_the_list_needs_a_session_and_a_get(client, cast, conversations):
    url = reverse("chat:quick_replies", args=[conversations["sales"].pk])
    assert client.get(url).status_code == 302
    client.force_login(cast.alice)
    assert client.post(url).status_code == 405


# --- The admin ---------------------------------------------------------------------------


def add_url():
    return reverse("admin:chat_quickreply_add")


def change_url(reply):
    return reverse("admin:chat_quickreply_change", args=[reply.pk])


def test_an_admin_adds_a_reply_for_the_whole_company(client, cast):
    client.force_login(cast.ana)
    answer = client.post(
        add_url(), {"shortcut": "horario", "text": "Atendemos das 8h às 18h.", "department": ""}
    )
    assert answer.status_code == 302
    reply = QuickReply.objects.get(shortcut="horario")
    assert (reply.tenant, reply.department) == (cast.acme, None)


def test_a_manager_writes_only_for_her_departments(client, cast):
    client.force_login(cast.marcos)
    page = client.get(add_url())
    choices = {
        str(c.instance)
        for c, _label in page.context["adminform"].form.fields["department"].choices
        if c
    }
    assert choices == {"Sales"}
    whole_company = client.post(add_url(), {"shortcut": "x", "text": "Oi", "department": ""})
    assert whole_company.status_code == 200
    assert "department" in whole_company.context["adminform"].form.errors
    support = cast.departments[("acme", "Support")]
    other = client.post(add_url(), {"shortcut": "x", "text": "Oi", "department": support.pk})
    assert "department" in other.context["adminform"].form.errors
    sales = cast.departments[("acme", "Sales")]
    ok = client.post(add_url(), {"shortcut": "x", "text": "Oi", "department": sales.pk})
    assert ok.status_code == 302
    assert QuickReply.objects.get(shortcut="x").department == sales


def test_a_manager_reads_but_cannot_change_the_companys_replies(client, cast, replies):
    client.force_login(cast.marcos)
    url = change_url(replies["hello"])
    assert client.get(url).status_code == 200  # read-only view
    answer = client.post(url, {"shortcut": "ola", "text": "Mudei", "department": ""})
    assert answer.status_code == 403
    replies["hello"].refresh_from_db()
    assert replies["hello"].text.startswith("Olá")
    assert (
        client.post(
            change_url(replies["price"]),
            {"shortcut": "preco", "text": "Novo", "department": replies["price"].department_id},
        ).status_code
        == 302
    )


def test_an_agent_reads_the_list_but_edits_nothing(client, cast, replies):
    client.force_login(cast.alice)
    listing = client.get(reverse("admin:chat_quickreply_changelist"))
    assert listing.status_code == 200
    assert [str(r) for r in listing.context["cl"].result_list] == ["/ola", "/preco"]
    assert client.get(add_url()).status_code == 403
    answer = client.post(change_url(replies["price"]), {"shortcut": "p", "text": "x"})
    assert answer.status_code == 403


def test_another_companys_reply_is_not_found(client, cast, replies):
    client.force_login(cast.gabriel)
    assert client.get(change_url(replies["hello"])).status_code == 404
    listing = client.get(reverse("admin:chat_quickreply_changelist"))
    assert [str(r) for r in listing.context["cl"].result_list] == ["/oi"]


@pytest.mark.parametrize(
    ("fields", "field", "error"),
    [
        ({"shortcut": "ola", "text": "De novo"}, "__all__", "already exists"),
        ({"shortcut": "novo", "text": "Seu {{pedido}}"}, "text", "Unknown variables"),
        ({"shortcut": "novo", "text": "Oi {{nome"}, "text", "not closed"),
        ({"shortcut": "com espaço", "text": "Oi"}, "shortcut", "valid"),
        ({"shortcut": "novo", "text": ""}, "text", "required"),
    ],
)
def test_bad_replies_are_refused_with_the_reason(client, cast, replies, fields, field, error):
    client.force_login(cast.ana)
    answer = client.post(add_url(), {"department": "", **fields})
    assert answer.status_code == 200
    assert error in " ".join(answer.context["adminform"].form.errors[field])
    assert not QuickReply.objects.filter(shortcut=fields["shortcut"], text=fields["text"]).exists()


def test_the_admin_forms_need_the_csrf_token(cast):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast.ana)
    assert strict.post(add_url(), {"shortcut": "a", "text": "b"}).status_code == 403
    assert not QuickReply.objects.exists()
