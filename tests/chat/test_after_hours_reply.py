"""The after-hours reply, driven by WhatsApp webhooks: once per closed period (not per message),
sent through chat.send, with the department's text and follow-up; none while open, without
hours, for our own messages, groups or an opt-out."""

from datetime import date, datetime, time, timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from chat import after_hours, outbox, welcome
from chat.models import Conversation, FollowUp, Message
from contacts.models import Contact
from notifications.models import Notification
from tests.chat.reception_helpers import OFFICE, SAO_PAULO, local, make_hours
from tests.chat.test_sending import chat_with, deliver
from tests.whatsapp.webhooks import payloads as p
from tests.whatsapp.webhooks.conftest import Evolution

pytestmark = pytest.mark.django_db
EVERY_DAY = {day: [("08:00", "18:00")] for day in range(7)}
ALL_DAY = {day: [("00:00", "23:59:59.999999")] for day in range(7)}


def today() -> date:
    return timezone.now().astimezone(SAO_PAULO).date()


def closed_today(tenant, **fields):
    """Open every day 08:00-18:00, but today is a holiday: closed until tomorrow 08:00."""
    return make_hours(tenant, EVERY_DAY, holidays=[(today(), False)], **fields)


def customer_writes(line, text="Oi, tem alguém aí?", at=0, **kwargs):
    status = Evolution().send(
        line, p.text(line.evolution_name, text, timestamp=p.BASE_TS + at, **kwargs)
    )
    assert status == "processed"


def automatic(kind=outbox.AFTER_HOURS):
    return Message.objects.filter(
        direction=Message.Direction.OUTBOUND, metadata__automatic=kind
    ).order_by("created_at")


def test_writing_while_closed_gets_the_reply_once(line, simulator, cast):
    hours_row = closed_today(cast.acme)
    customer_writes(line)
    customer_writes(line, "Alô?", at=5)
    customer_writes(line, "Preciso de ajuda", at=9)

    [reply] = automatic()
    conversation = Conversation.objects.get()
    assert reply.conversation == conversation
    assert (reply.body, reply.sent_by, reply.status) == (
        hours_row.after_hours_reply,
        None,
        Message.Status.PENDING,
    )
    tomorrow = datetime.combine(today() + timedelta(days=1), time(8), SAO_PAULO)
    assert conversation.reception.after_hours_until == tomorrow

    deliver(reply)  # what the chat.send consumer does with it
    [sent] = simulator.control.sent(line.evolution_name)
    assert sent["message"]["conversation"] == hours_row.after_hours_reply
    assert reply.status == Message.Status.SENT


def test_the_chat_page_labels_it_automatic(line, simulator, cast, login):
    closed_today(cast.acme)
    customer_writes(line)
    conversation = Conversation.objects.get()
    page = login(cast.ana).get(reverse("chat:messages", args=[conversation.pk]))
    assert page.status_code == 200, page.content
    [reply] = [m for m in page.json()["messages"] if m["direction"] == "out"]
    assert reply["sender"] == "Automatic reply"


def test_no_reply_while_open(line, cast):
    make_hours(cast.acme, ALL_DAY)
    customer_writes(line)
    assert not automatic().exists()


def test_no_reply_without_business_hours(line, cast):
    customer_writes(line)
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()


def test_our_own_messages_and_groups_get_no_reply(line, cast):
    closed_today(cast.acme)
    customer_writes(line, "Bom dia!", from_me=True)
    customer_writes(
        line,
        "Oi grupo",
        at=3,
        remote_jid=p.GROUP,
        key_extra={"participant": "5511987654321@s.whatsapp.net"},
    )
    assert not automatic().exists()


def test_an_opt_out_gets_only_its_confirmation(line, cast):
    closed_today(cast.acme)
    Contact.objects.create(tenant=cast.acme, phone="+5511987654321", name="Maria")
    customer_writes(line, "SAIR")
    [only] = Message.objects.filter(direction=Message.Direction.OUTBOUND)
    assert only.body == cast.acme.opt_out_reply


def test_an_empty_text_sends_nothing(line, cast):
    closed_today(cast.acme, after_hours_reply="  ")
    customer_writes(line)
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()


def test_the_departments_text_and_one_follow_up_per_closed_period(line, cast):
    sales = cast.departments[("acme", "Sales")]
    line.default_department = sales
    line.save()
    make_hours(cast.acme, ALL_DAY)  # the company is open, Sales is not
    closed_today(
        cast.acme, department=sales, after_hours_reply="Vendas abre às 8h.", create_follow_up=True
    )
    customer_writes(line, "Quero comprar")
    customer_writes(line, "Ainda quero", at=5)

    [reply] = automatic()
    assert reply.body == "Vendas abre às 8h."
    [follow_up] = FollowUp.objects.all()
    assert (follow_up.department, follow_up.tenant, follow_up.done_at) == (sales, cast.acme, None)
    assert follow_up.conversation == reply.conversation
    assert "Quero comprar" in follow_up.note
    # The department hears of it once (the bell, the chat page's toasts); others do not.
    told = Notification.objects.filter(kind=Notification.Kind.FOLLOW_UP)
    assert {n.user for n in told} == {cast.alice, cast.marcos}
    assert {(n.body, n.link) for n in told} == {
        (follow_up.note, reverse("chat:conversation", args=[reply.conversation_id]))
    }


def test_a_new_closed_period_gets_a_new_reply(line, cast):
    make_hours(cast.acme, OFFICE, create_follow_up=True)
    conversation = chat_with(line, "+5511987654321")

    def write_at(moment):
        with transaction.atomic():
            locked, state = welcome.lock_reception(conversation.pk)
            return after_hours.reply_if_closed(locked, state, local(moment))

    assert write_at("2026-12-07 19:00")  # Monday evening: closed
    assert not write_at("2026-12-07 23:00")  # the same night
    assert not write_at("2026-12-08 07:59")
    assert not write_at("2026-12-08 10:00")  # open
    assert write_at("2026-12-08 12:30")  # lunch is a closed period of its own
    assert not write_at("2026-12-08 12:59")
    assert write_at("2026-12-11 18:01")  # Friday evening, until Monday
    assert not write_at("2026-12-13 15:00")
    assert automatic().count() == 3
    assert FollowUp.objects.count() == 3
