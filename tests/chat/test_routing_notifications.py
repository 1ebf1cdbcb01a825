"""Routing tells people: a conversation waiting in a department reaches its agents and managers,
one assigned or transferred to someone reaches them; nobody hears of what they did themselves."""

import pytest
from django.urls import reverse

from chat import routing
from chat.models import Conversation
from notifications.models import Notification
from tests.chat.conftest import make_agent
from tests.whatsapp.webhooks import conftest as webhooks
from tests.whatsapp.webhooks import payloads as p

pytestmark = pytest.mark.django_db
Kind = Notification.Kind

evolution, acme_instance = webhooks.evolution, webhooks.acme_instance


def told(kind=None):
    """{user email: [titles]} of the notifications made so far."""
    rows = Notification.objects.order_by("created_at")
    if kind is not None:
        rows = rows.filter(kind=kind)
    result = {}
    for row in rows.select_related("user"):
        result.setdefault(row.user.email, []).append(row.title)
    return result


@pytest.fixture
def sales_line(acme_instance, cast):
    acme_instance.default_department = cast.departments[("acme", "Sales")]
    acme_instance.save()
    return acme_instance


def test_a_new_chat_in_a_department_tells_its_agents_and_managers(
    evolution, sales_line, cast, english
):
    evolution.send(sales_line, p.text("acme-main", "Quero um orçamento"))
    conversation = Conversation.objects.get()
    waiting = Notification.objects.filter(kind=Kind.CONVERSATION_WAITING)
    assert {n.user for n in waiting} == {cast.alice, cast.marcos}
    notice = waiting.get(user=cast.alice)
    assert notice.title == f"{conversation} is waiting in Sales"
    assert notice.body == "Quero um orçamento"  # the customer's first words
    assert notice.link == reverse("chat:conversation", args=[conversation.pk])
    # More messages of the same conversation are not news.
    evolution.send(sales_line, p.text("acme-main", "Alô?", timestamp=p.BASE_TS + 30))
    assert waiting.count() == 2


def test_a_new_chat_in_the_inbox_tells_nobody(evolution, acme_instance):
    evolution.send(acme_instance, p.text("acme-main", "oi"))
    assert not Notification.objects.exists()


def test_our_own_first_message_tells_nobody(evolution, sales_line):
    evolution.send(sales_line, p.text("acme-main", "Bom dia!", from_me=True, push_name=""))
    assert Conversation.objects.exists()
    assert not Notification.objects.exists()


def test_a_customer_reopening_tells_the_department_once_while_unread(evolution, sales_line, cast):
    evolution.send(sales_line, p.text("acme-main", "oi"))
    Notification.objects.update(read_at="2026-01-01T00:00Z")  # they saw the first one
    conversation = Conversation.objects.get()
    routing.close(conversation, by=cast.ana)
    evolution.send(sales_line, p.text("acme-main", "voltei", timestamp=p.BASE_TS + 60))
    unread = Notification.objects.filter(kind=Kind.CONVERSATION_WAITING, read_at=None)
    assert {n.user for n in unread} == {cast.alice, cast.marcos}
    assert {n.body for n in unread} == {"voltei"}
    routing.close(conversation, by=cast.ana)
    evolution.send(sales_line, p.text("acme-main", "de novo", timestamp=p.BASE_TS + 120))
    assert unread.count() == 2  # still unread: not told twice


def test_assigning_tells_the_agent_but_not_the_one_who_assigned(cast, conversations, english):
    chat = routing.assign(conversations["sales"], cast.alice, by=cast.marcos)
    assert told() == {"alice@acme.test": [f"{chat} is yours now"]}
    notice = Notification.objects.get()
    assert (notice.kind, notice.body) == (Kind.CONVERSATION_ASSIGNED, "From Marcos Lima.")


def test_claiming_tells_nobody(cast, conversations):
    routing.claim(conversations["sales"], by=cast.alice)
    assert not Notification.objects.exists()


def test_transfer_to_an_agent_tells_that_agent(cast, conversations):
    support = cast.departments[("acme", "Support")]
    sofia = make_agent(cast.acme, "sofia@acme.example", support)
    routing.transfer(conversations["sales"], department=support, agent=sofia, by=cast.alice)
    assert list(told(Kind.CONVERSATION_TRANSFERRED)) == ["sofia@acme.example"]
    assert not Notification.objects.filter(kind=Kind.CONVERSATION_WAITING).exists()


def test_transfer_to_a_queue_tells_the_department_and_never_another_company(cast, conversations):
    support = cast.departments[("acme", "Support")]
    sofia = make_agent(cast.acme, "sofia@acme.example", support)
    routing.transfer(conversations["sales"], department=support, by=cast.alice)
    assert set(told(Kind.CONVERSATION_WAITING)) == {sofia.email}
    assert not Notification.objects.filter(user=cast.gabriel).exists()


def test_taking_it_yourself_tells_nobody(cast, conversations):
    routing.transfer(conversations["sales"], agent=cast.alice, by=cast.alice)
    assert not Notification.objects.exists()
