"""The welcome menu, driven by WhatsApp webhooks and by its schedule with the clock moved: the
greeting with numbered departments, a number routes the conversation, anything else gets the
hint, a reminder once, then the conversation is closed; an agent stepping in ends it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat import outbox, routing, welcome
from chat.models import Conversation, ConversationEvent, Message
from tests.chat.reception_helpers import make_hours, make_menu
from tests.chat.test_sending import deliver
from tests.whatsapp.webhooks import payloads as p
from tests.whatsapp.webhooks.conftest import Evolution

pytestmark = pytest.mark.django_db
Kind = ConversationEvent.Kind
S = Conversation.Status


@pytest.fixture
def departments(cast):
    return cast.departments[("acme", "Sales")], cast.departments[("acme", "Support")]


@pytest.fixture
def menu(cast, departments):
    return make_menu(cast.acme, *departments, greeting="Olá! Escolha:")


class Customer:
    def __init__(self, line):
        self.line, self.at = line, 0

    def writes(self, text):
        self.at += 1
        body = p.text(self.line.evolution_name, text, timestamp=p.BASE_TS + self.at)
        assert Evolution().send(self.line, body) == "processed"
        return Conversation.objects.get()


@pytest.fixture
def customer(line):
    return Customer(line)


def menu_messages():
    return list(
        Message.objects.filter(metadata__automatic=outbox.WELCOME_MENU)
        .order_by("created_at")
        .values_list("body", flat=True)
    )


def test_a_new_conversation_gets_the_greeting_and_the_options(customer, menu, line, simulator):
    conversation = customer.writes("oi")
    assert menu_messages() == ["Olá! Escolha:\n\n1 - Sales\n2 - Support"]
    assert (conversation.status, conversation.department) == (S.PENDING, None)  # the Inbox
    assert conversation.reception.menu_sent_at is not None

    deliver(Message.objects.get(metadata__automatic=outbox.WELCOME_MENU))
    [sent] = simulator.control.sent(line.evolution_name)
    assert sent["message"]["conversation"].startswith("Olá! Escolha:")


@pytest.mark.parametrize("answer", ["2", " 2. ", "(2)", "support", "SUPPORT"])
def test_the_customers_number_routes_the_conversation(customer, menu, departments, answer):
    customer.writes("oi")
    conversation = customer.writes(answer)
    support = departments[1]
    assert (conversation.status, conversation.department, conversation.assigned_to) == (
        S.OPEN,
        support,
        None,
    )
    chosen = conversation.events.get(kind=Kind.CHOSEN)
    assert (chosen.actor, chosen.from_department, chosen.to_department) == (None, None, support)
    assert conversation.reception.menu_sent_at is None
    customer.writes("3")  # routed: later numbers are just messages
    assert len(menu_messages()) == 1


def test_an_invalid_answer_gets_the_hint_and_the_menu_again(customer, menu, departments):
    customer.writes("oi")
    customer.writes("quero falar com alguém")
    customer.writes("7")
    hint = "Sorry, I did not understand. Please reply with one of the numbers below."
    assert menu_messages()[1:] == [f"{hint}\n\n1 - Sales\n2 - Support"] * 2
    conversation = customer.writes("1")
    assert conversation.department == departments[0]


def test_a_label_replaces_the_department_name(customer, menu):
    menu.options.filter(number=1).update(label="Comprar")
    customer.writes("oi")
    assert menu_messages() == ["Olá! Escolha:\n\n1 - Comprar\n2 - Support"]
    assert customer.writes("comprar").department.name == "Sales"


def test_the_default_department_is_kept_until_the_customer_chooses(
    customer, menu, line, departments
):
    sales, _support = departments
    line.default_department = sales
    line.save()
    conversation = customer.writes("oi")
    assert conversation.department == sales
    assert customer.writes("1").department == sales  # chosen where it already was: no error
    assert conversation.events.filter(kind=Kind.CHOSEN).count() == 1


def test_no_menu_when_disabled_or_without_options(customer, menu, cast):
    menu.enabled = False
    menu.save()
    customer.writes("oi")
    menu.enabled = True
    menu.save()
    menu.options.all().delete()
    Conversation.objects.all().delete()
    customer.writes("oi de novo")
    assert menu_messages() == []


def test_a_reopened_conversation_gets_the_menu_again(customer, menu, cast):
    customer.writes("oi")
    conversation = customer.writes("1")
    routing.close(conversation, by=cast.ana)
    conversation = customer.writes("voltei")
    assert conversation.status == S.PENDING
    assert len(menu_messages()) == 2
    assert customer.writes("2").department.name == "Support"


def test_an_agent_stepping_in_ends_the_menu(customer, menu, cast):
    conversation = customer.writes("oi")
    routing.claim(conversation, by=cast.ana)
    conversation = customer.writes("2")  # an answer to Ana now, not to the menu
    assert (conversation.department, conversation.assigned_to) == (None, cast.ana)
    assert not conversation.events.filter(kind=Kind.CHOSEN).exists()
    later = timezone.now() + timedelta(hours=5)
    assert welcome.remind_and_close(later) == {"reminded": 0, "closed": 0}


def test_an_agent_writing_ends_the_menu(customer, menu, cast):
    conversation = customer.writes("oi")
    outbox.queue_text(conversation, "Oi, aqui é a Ana", by=cast.ana)
    assert welcome.remind_and_close(timezone.now() + timedelta(hours=5))["reminded"] == 0
    assert customer.writes("1").department is None


def test_a_reminder_once_then_the_conversation_is_closed(customer, menu):
    conversation = customer.writes("oi")
    sent_at = conversation.reception.menu_sent_at

    assert welcome.remind_and_close(sent_at + timedelta(minutes=9)) == {"reminded": 0, "closed": 0}
    reminded = sent_at + timedelta(minutes=10)
    assert welcome.remind_and_close(reminded) == {"reminded": 1, "closed": 0}
    assert welcome.remind_and_close(reminded + timedelta(minutes=5)) == {
        "reminded": 0,
        "closed": 0,
    }
    reminder = "Are you still there? Reply with the number of the team you want."
    assert menu_messages()[1] == f"{reminder}\n\n1 - Sales\n2 - Support"

    assert welcome.remind_and_close(reminded + timedelta(minutes=29))["closed"] == 0
    assert welcome.remind_and_close(reminded + timedelta(minutes=30)) == {
        "reminded": 0,
        "closed": 1,
    }
    conversation.refresh_from_db()
    assert conversation.status == S.CLOSED
    closed = conversation.events.get(kind=Kind.CLOSED)
    assert (closed.actor, closed.reason) == (None, "No answer to the welcome menu.")
    assert menu_messages()[-1] == menu.closing_message
    assert len(menu_messages()) == 3
    assert welcome.remind_and_close(reminded + timedelta(days=1)) == {"reminded": 0, "closed": 0}


def test_the_minutes_are_the_companys(customer, menu):
    menu.remind_after_minutes, menu.close_after_minutes = 2, 3
    menu.save()
    sent_at = customer.writes("oi").reception.menu_sent_at
    assert welcome.remind_and_close(sent_at + timedelta(minutes=2))["reminded"] == 1
    assert welcome.remind_and_close(sent_at + timedelta(minutes=5))["closed"] == 1


def test_answering_after_the_reminder_routes_and_nothing_closes(customer, menu):
    sent_at = customer.writes("oi").reception.menu_sent_at
    welcome.remind_and_close(sent_at + timedelta(minutes=10))
    conversation = customer.writes("2")
    assert conversation.department.name == "Support"
    assert welcome.remind_and_close(sent_at + timedelta(hours=2))["closed"] == 0
    conversation.refresh_from_db()
    assert conversation.status == S.OPEN


def test_an_invalid_answer_restarts_the_clock(customer, menu):
    first = customer.writes("oi").reception.menu_sent_at
    conversation = customer.writes("hã?")
    conversation.reception.refresh_from_db()
    assert conversation.reception.menu_sent_at > first
    assert welcome.remind_and_close(first + timedelta(minutes=10))["reminded"] == 0


def test_switching_the_menu_off_stops_waiting(customer, menu):
    sent_at = customer.writes("oi").reception.menu_sent_at
    menu.enabled = False
    menu.save()
    assert welcome.remind_and_close(sent_at + timedelta(hours=1)) == {"reminded": 0, "closed": 0}
    assert Conversation.objects.get().reception.menu_sent_at is None


def test_after_hours_the_menu_comes_first_then_the_chosen_departments_reply(
    customer, menu, cast, departments
):
    sales, _support = departments
    make_hours(cast.acme, {})  # the company never opens
    make_hours(
        cast.acme, {day: [("00:00", "23:59:59.999999")] for day in range(7)}, department=sales
    )
    customer.writes("oi")
    assert len(menu_messages()) == 1
    assert not Message.objects.filter(metadata__automatic=outbox.AFTER_HOURS).exists()

    customer.writes("2")  # Support follows the company's hours: closed
    [reply] = Message.objects.filter(metadata__automatic=outbox.AFTER_HOURS)
    assert reply.body.startswith("Hello! We are closed right now.")


def test_choosing_an_open_department_gets_no_after_hours_reply(customer, menu, cast, departments):
    sales, _support = departments
    make_hours(cast.acme, {})
    make_hours(
        cast.acme, {day: [("00:00", "23:59:59.999999")] for day in range(7)}, department=sales
    )
    customer.writes("oi")
    customer.writes("1")
    assert not Message.objects.filter(metadata__automatic=outbox.AFTER_HOURS).exists()


def test_another_companys_menu_is_not_used(customer, cast):
    make_menu(cast.globex, cast.departments[("globex", "Support")])
    customer.writes("oi")
    assert menu_messages() == []
