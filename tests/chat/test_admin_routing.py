"""The conversation page's routing buttons: each runs its service, refuses by role and state with
a message or a 403, and another company's conversation answers 404."""

import pytest
from django.urls import reverse

from chat.models import Conversation, ConversationEvent
from tests.admin.walk import admin_url
from tests.chat.conftest import make_agent

pytestmark = pytest.mark.django_db
S = Conversation.Status


def url(action, conversation):
    return reverse(f"admin:chat_conversation_{action}", args=[conversation.pk])


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def fresh(conversation):
    return Conversation.objects.get(pk=conversation.pk)


def test_the_page_offers_what_the_role_may_do(cast, login, conversations):
    chat = conversations["sales"]
    alice_page = login(cast.alice).get(admin_url(Conversation, "change", chat)).content.decode()
    assert url("claim", chat) in alice_page and url("close", chat) in alice_page
    assert url("transfer", chat) in alice_page
    assert url("assign", chat) not in alice_page  # agents do not assign
    ana_page = login(cast.ana).get(admin_url(Conversation, "change", chat)).content.decode()
    assert url("assign", chat) in ana_page
    assert url("reopen", chat) not in ana_page  # it is not closed


def test_claim_button(cast, login, conversations, english):
    chat = conversations["sales"]
    response = login(cast.alice).post(url("claim", chat), follow=True)
    assert "The conversation is yours." in shown_messages(response)
    assert fresh(chat).assigned_to == cast.alice
    # The timeline on the page shows it.
    assert 'data-kind="claimed"' in response.content.decode()


def test_a_second_claim_is_refused_with_a_message(cast, login, conversations, english):
    chat = conversations["sales"]
    bruno = make_agent(cast.acme, "bruno@acme.example", cast.departments[("acme", "Sales")])
    login(cast.alice).post(url("claim", chat))
    response = login(bruno).post(url("claim", chat), follow=True)
    assert any("has already taken" in text for text in shown_messages(response))
    assert fresh(chat).assigned_to == cast.alice


def test_assign_button_for_a_manager(cast, login, conversations, english):
    chat = conversations["sales"]
    response = login(cast.marcos).post(url("assign", chat), {"agent": cast.alice.pk}, follow=True)
    assert "The conversation was assigned." in shown_messages(response)
    assert fresh(chat).assigned_to == cast.alice


def test_assign_button_refuses_someone_outside_the_department(cast, login, conversations, english):
    chat = conversations["sales"]
    outsider = make_agent(cast.acme, "sofia@acme.example", cast.departments[("acme", "Support")])
    response = login(cast.ana).post(url("assign", chat), {"agent": outsider.pk}, follow=True)
    assert any("valid choice" in text for text in shown_messages(response))
    assert fresh(chat).assigned_to is None


def test_an_agent_pressing_assign_gets_403(cast, login, conversations):
    chat = conversations["sales"]
    response = login(cast.alice).post(url("assign", chat), {"agent": cast.alice.pk})
    assert response.status_code == 403
    assert fresh(chat).assigned_to is None


def test_transfer_button_with_reason(cast, login, conversations, english):
    chat = conversations["sales"]
    support = cast.departments[("acme", "Support")]
    response = login(cast.alice).post(
        url("transfer", chat), {"department": support.pk, "reason": "Pedido de troca"}, follow=True
    )
    assert "The conversation was transferred." in shown_messages(response)
    assert fresh(chat).department == support
    # Out of her queues now: back to the list rather than to a page that would answer 404.
    assert response.redirect_chain[-1][0] == admin_url(Conversation, "changelist")
    event = ConversationEvent.objects.get(kind=ConversationEvent.Kind.TRANSFERRED)
    assert (event.actor, event.reason) == (cast.alice, "Pedido de troca")


def test_transfer_without_a_target_is_refused(cast, login, conversations, english):
    chat = conversations["sales"]
    response = login(cast.ana).post(url("transfer", chat), {"reason": "x"}, follow=True)
    assert "Choose a department or an agent." in shown_messages(response)
    assert not ConversationEvent.objects.exists()


def test_transfer_to_another_companys_department_is_refused(cast, login, conversations, english):
    chat = conversations["sales"]
    globex_support = cast.departments[("globex", "Support")]
    response = login(cast.ana).post(
        url("transfer", chat), {"department": globex_support.pk}, follow=True
    )
    assert any("valid choice" in text for text in shown_messages(response))
    assert fresh(chat).department == cast.departments[("acme", "Sales")]


def test_close_and_reopen_buttons(cast, login, conversations, english):
    chat = conversations["sales"]
    client = login(cast.alice)
    response = client.post(url("close", chat), follow=True)
    assert "The conversation is closed." in shown_messages(response)
    assert fresh(chat).status == S.CLOSED
    response = client.post(url("reopen", chat), follow=True)
    assert "The conversation was reopened." in shown_messages(response)
    assert fresh(chat).status == S.PENDING  # the line has no default department: the Inbox


def test_buttons_only_answer_post(cast, login, conversations):
    chat = conversations["sales"]
    assert login(cast.ana).get(url("claim", chat)).status_code == 405
    assert fresh(chat).assigned_to is None


@pytest.mark.parametrize("action", ["claim", "assign", "transfer", "close", "reopen"])
def test_another_companys_conversation_answers_404(cast, login, conversations, action):
    chat = conversations["sales"]
    response = login(cast.gabriel).post(
        url(action, chat), {"agent": cast.gabriel.pk, "department": ""}
    )
    assert response.status_code == 404
    assert fresh(chat).assigned_to is None and fresh(chat).status == chat.status


@pytest.mark.parametrize("action", ["claim", "close"])
def test_an_agent_cannot_route_another_departments_conversation(cast, login, conversations, action):
    chat = conversations["support"]
    assert login(cast.alice).post(url(action, chat)).status_code == 404
    assert fresh(chat).assigned_to is None and fresh(chat).status == chat.status


def close_selected(client, *chats):
    return client.post(
        admin_url(Conversation, "changelist"),
        {"action": "close_selected", "_selected_action": [chat.pk for chat in chats]},
        follow=True,
    )


def test_a_manager_closes_selected_conversations_from_the_list(cast, login, conversations, english):
    sales = conversations["sales"]
    response = close_selected(login(cast.ana), sales, conversations["support"])
    assert "2 conversations closed." in shown_messages(response)
    assert {fresh(sales).status, fresh(conversations["support"]).status} == {S.CLOSED}


def test_closing_from_the_list_reports_what_the_role_may_not_close(
    cast, login, conversations, english
):
    bruno = make_agent(cast.acme, "bruno@acme.example", cast.departments[("acme", "Sales")])
    login(bruno).post(url("claim", conversations["sales"]))
    response = close_selected(
        login(cast.alice), conversations["sales"], conversations["inbox_for_alice"]
    )
    shown = shown_messages(response)
    assert "1 conversation closed." in shown
    assert any("may not" in text for text in shown)
    assert fresh(conversations["sales"]).status != S.CLOSED
    assert fresh(conversations["inbox_for_alice"]).status == S.CLOSED


def test_closing_from_the_list_ignores_another_companys_ids(cast, login, conversations):
    close_selected(login(cast.gabriel), conversations["sales"])
    assert fresh(conversations["sales"]).status != S.CLOSED
