"""The demo's chat: ``seed_demo`` fills Acme's demo number with a few days of pt-BR history
(every state, both directions, ticks, a photo, a note, a transfer), and ``demo_customers`` keeps
customers writing through the simulator and our real webhook."""

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from chat.models import Conversation, ConversationEvent, Message
from media import storage
from tests.chat.webhooks import forward, seen
from tests.media import conftest as media
from whatsapp import demo, demo_customers
from whatsapp.models import WhatsAppInstance

pytestmark = pytest.mark.django_db
media_root = media.media_root  # a fixture: the photo goes to a temporary folder


def seed_demo() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_fills_acmes_chats_with_history(client, media_root, english):
    output = seed_demo()

    number = WhatsAppInstance.objects.get(name=demo.INSTANCE_NAME)
    assert (number.tenant.slug, number.default_department.name) == ("acme", "Sales")
    assert number.state == "close"  # seed_demo_whatsapp connects it on the simulator
    chats = Conversation.objects.filter(instance=number)
    assert "5 demo conversations added to Acme." in output
    assert Counter(chats.values_list("status", flat=True)) == {"open": 2, "pending": 2, "closed": 1}
    assert Counter(chats.values_list("department__name", flat=True)) == {
        "Sales": 3,
        "Support": 1,
        None: 1,
    }
    assert not Conversation.objects.exclude(tenant=number.tenant).exists()

    messages = Message.objects.filter(conversation__instance=number)
    assert Counter(messages.values_list("direction", flat=True)) == {"in": 10, "out": 9}
    outbound = messages.filter(direction="out").exclude(type="note")
    assert set(outbound.values_list("status", flat=True)) == {"sent", "delivered", "read", "failed"}
    note = messages.get(type="note")
    assert note.sent_by.email == "alice@acme.test" and not note.provider_id

    photo = messages.get(type="image").attachment
    assert (photo.status, photo.mimetype) == ("ready", "image/jpeg")
    assert storage.read(photo.storage, photo.storage_key)[:3] == b"\xff\xd8\xff"  # a JPEG
    assert storage.exists(photo.storage, photo.thumbnail_key)

    moved = ConversationEvent.objects.get(kind="transferred")
    assert (moved.from_department.name, moved.to_department.name) == ("Sales", "Support")
    assert moved.conversation.contact.name == "Roberto Lima"

    # Alice sees her own chats on the page, with the photo, and not Support's.
    client.force_login(number.tenant.users.get(email="alice@acme.test"))
    page = client.get(reverse("chat:page"), {"tab": "mine"}).content.decode()
    assert "Carla Mendes" in page and "Roberto Lima" not in page
    carla = chats.get(contact__name="Carla Mendes")
    history = client.get(reverse("chat:messages", args=[carla.pk])).json()["messages"]
    assert [m["type"] for m in history] == ["text", "text", "image", "text", "note", "text"]
    assert client.get(history[2]["attachment"]["url"]).status_code == 200


def test_seeding_again_adds_nothing(media_root):
    seed_demo()
    counts = (Conversation.objects.count(), Message.objects.count())
    output = seed_demo()
    assert "demo conversations added" not in output
    assert (Conversation.objects.count(), Message.objects.count()) == counts


def test_one_tick_sends_one_customer_message_through_the_webhook(line, simulator, webhook_capture):
    typing, upserts = (
        seen(webhook_capture, "presence.update"),
        seen(webhook_capture, "messages.upsert"),
    )

    sent = demo_customers.tick(simulator.control, line.evolution_name, 0, typing_seconds=0)

    assert forward(webhook_capture, line, "presence.update", after=typing) == "ignored"
    assert forward(webhook_capture, line, "messages.upsert", after=upserts) == "processed"
    first = demo_customers.CUSTOMERS[0]
    message = Message.objects.get(provider_id=sent["key"]["id"])
    assert (message.direction, message.body) == ("in", demo_customers.PHRASES[0])
    assert message.conversation.remote_jid == f"{first.number}@s.whatsapp.net"
    assert Message.objects.count() == 1


def test_the_command_sends_one_message_per_tick(line, simulator, webhook_capture):
    before = seen(webhook_capture, "messages.upsert")
    out = io.StringIO()
    call_command("demo_customers", every=0, count=2, stdout=out)
    assert "2 demo customer messages sent." in out.getvalue()
    for after in (before, before + 1):
        assert forward(webhook_capture, line, "messages.upsert", after=after) == "processed"
    senders = Message.objects.values_list("conversation__contact__whatsapp_name", flat=True)
    assert sorted(senders) == sorted(c.name for c in demo_customers.CUSTOMERS[:2])


def test_the_command_refuses_bad_input_and_production(settings, cast, english):
    with pytest.raises(CommandError, match="cannot be negative"):
        call_command("demo_customers", every=-1, count=1)
    with pytest.raises(CommandError, match="No single instance"):
        call_command("demo_customers", every=0, count=1, instance="Nope")
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("demo_customers", every=0, count=1)
