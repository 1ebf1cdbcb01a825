"""The user's notifications pop up as toasts on the chat page: the page carries the bell's
toasts (one socket, one piece of code for the admin and the chat page), each chat event reaches
the socket of the person concerned and no one else's, and a toast opens the conversation on the
chat page."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import reverse

from chat import routing
from notifications.models import Notification
from tests import sockets
from tests.chat.webhooks import forward, seen
from whatsapp.models import WhatsAppInstance

pytestmark = pytest.mark.django_db(transaction=True)
Kind = Notification.Kind


def test_the_chat_page_carries_the_bells_toasts(client, cast):
    client.force_login(cast.alice)
    page = client.get(reverse("chat:page")).content.decode()
    assert page.count('id="notification-toasts"') == 1
    assert page.count("notifications/bell.js") == 1


async def listening(*users):
    opened = []
    for user in users:
        socket = await sockets.open_socket("/ws/notifications/", user)
        assert (await socket.receive_json_from(timeout=3))["type"] == "summary"
        opened.append(socket)
    return opened


async def toast(socket) -> dict:
    pushed = await socket.receive_json_from(timeout=3)
    assert pushed["type"] == "created"
    return pushed["notification"]


async def close(*opened):
    for socket in opened:
        await socket.disconnect()


async def test_a_conversation_assigned_to_me_pops_up_for_me_alone(cast, conversations):
    sales = conversations["sales"]
    alice, marcos, gabriel = await listening(cast.alice, cast.marcos, cast.gabriel)
    await database_sync_to_async(routing.assign)(sales, cast.alice, by=cast.marcos)

    shown = await toast(alice)
    assert (shown["kind"], shown["title"]) == (
        Kind.CONVERSATION_ASSIGNED,
        "Sales chat is yours now",
    )
    assert await marcos.receive_nothing(timeout=0.5)  # he did it himself
    assert await gabriel.receive_nothing(timeout=0.1)
    await close(alice, marcos, gabriel)

    @database_sync_to_async
    def click(user):
        browser = Client()
        browser.force_login(user)
        return browser.get(shown["url"])

    assert (await click(cast.marcos)).status_code == 404  # not his
    opened = await click(cast.alice)
    assert opened.status_code == 302
    assert opened["Location"] == reverse("chat:conversation", args=[sales.pk])
    read = Notification.objects.filter(pk=shown["id"], read_at__isnull=False).exists
    assert await database_sync_to_async(read)()


async def test_a_transfer_to_me_pops_up(cast, conversations):
    (alice,) = await listening(cast.alice)
    await database_sync_to_async(routing.transfer)(
        conversations["support"],
        department=cast.departments[("acme", "Sales")],
        agent=cast.alice,
        reason="Ela cuida de vendas",
        by=cast.ana,
    )
    shown = await toast(alice)
    assert (shown["kind"], shown["title"]) == (
        Kind.CONVERSATION_TRANSFERRED,
        "Support chat is yours now",
    )
    await close(alice)


async def test_a_new_conversation_waiting_in_my_department_pops_up(
    cast, line, simulator, webhook_capture
):
    @database_sync_to_async
    def customer_writes():
        WhatsAppInstance.objects.filter(pk=line.pk).update(
            default_department=cast.departments[("acme", "Sales")]
        )
        before = seen(webhook_capture, "messages.upsert")
        simulator.control.inbound(
            line.evolution_name, number="5511987654321", push_name="Maria", text="Oi!"
        )
        return forward(webhook_capture, line, "messages.upsert", after=before)

    alice, gabriel = await listening(cast.alice, cast.gabriel)
    assert await customer_writes() == "processed"
    shown = await toast(alice)
    assert shown["kind"] == Kind.CONVERSATION_WAITING
    assert shown["title"] == "Maria is waiting in Sales"
    assert await gabriel.receive_nothing(timeout=0.5)
    await close(alice, gabriel)


async def test_a_disconnected_number_pops_up_for_the_admin_not_the_agent(
    cast, line, simulator, webhook_capture
):
    @database_sync_to_async
    def number_drops():
        before = seen(webhook_capture, "connection.update")
        simulator.control.disconnect(line.evolution_name)
        return forward(webhook_capture, line, "connection.update", after=before)

    ana, alice = await listening(cast.ana, cast.alice)
    assert await number_drops() == "processed"
    shown = await toast(ana)
    assert (shown["kind"], shown["title"]) == (
        Kind.INSTANCE_DISCONNECTED,
        "WhatsApp number Acme Vendas disconnected",
    )
    assert await alice.receive_nothing(timeout=0.5)
    await close(ana, alice)
