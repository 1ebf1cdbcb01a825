"""An instance's life over real HTTP: scanned, customers write in, our messages are delivered
and read, duplicates are kept once, a STOP comes back, and companies stay apart."""

import httpx

from chat.models import Attachment, Conversation, Message
from contacts.models import Contact
from tests.bus.marks import committed_db
from tests.whatsapp.e2e.conftest import drain, received, send_text
from whatsapp import inbound, services
from whatsapp.models import WebhookEvent
from whatsapp.webhook_config import SECRET_HEADER, webhook_url

pytestmark = committed_db

OWN = "5511900001111"
MARIA = "5511987654321"


def test_scanning_the_qr_opens_the_instance_with_its_number(gateway, cast):
    sales = cast.departments[("acme", "Sales")]
    instance = services.create_instance(cast.acme, "Acme Vendas", default_department=sales)
    assert instance.state == "connecting"
    assert instance.qr_code.startswith("data:image/png;base64,")

    gateway.control.scan(instance.evolution_name, number=OWN, profile_name="Acme Vendas")
    [qr] = received(instance, "qrcode.updated", 1)
    received(instance, "connection.update", 2)  # connecting, then open
    drain()

    instance.refresh_from_db()
    assert (instance.state, instance.phone_number, instance.profile_name) == (
        "open",
        "+5511900001111",
        "Acme Vendas",
    )
    assert instance.qr_code == ""
    qr.refresh_from_db()
    assert qr.status == WebhookEvent.Status.PROCESSED


def test_a_customer_text_and_photo_become_a_contact_a_conversation_and_messages(
    gateway, connect, cast
):
    sales = cast.departments[("acme", "Sales")]
    instance = connect(cast.acme, "Acme Vendas", OWN, default_department=sales)

    gateway.control.inbound(
        instance.evolution_name, "text", number=MARIA, push_name="Maria", text="Oi, tem no 38?"
    )
    photo = gateway.control.inbound(
        instance.evolution_name, "image", number=MARIA, push_name="Maria", caption="Este aqui"
    )
    assert drain() >= 2

    contact = Contact.objects.for_tenant(cast.acme).get(phone="+5511987654321")
    assert contact.whatsapp_name == "Maria"
    conversation = Conversation.objects.get(instance=instance)
    assert (conversation.contact, conversation.department, conversation.status) == (
        contact,
        sales,
        "open",
    )
    assert conversation.unread_count == 2
    text, image = conversation.messages.order_by("created_at")
    assert (text.direction, text.type, text.body) == ("in", "text", "Oi, tem no 38?")
    assert (image.type, image.caption, image.provider_id) == (
        "image",
        "Este aqui",
        photo["key"]["id"],
    )
    attachment = Attachment.objects.get(message=image)
    assert (attachment.status, attachment.mimetype) == ("pending", "image/jpeg")


def test_a_sent_message_is_marked_sent_then_delivered_then_read(gateway, evo, connect, cast):
    instance = connect(cast.acme, "Acme Vendas", OWN)
    message = send_text(evo, instance, MARIA, "Seu pedido saiu para entrega")

    received(instance, "send.message", 1)
    receipts = received(instance, "messages.update", 3)
    assert {r.payload["data"]["keyId"] for r in receipts} == {message.provider_id}

    statuses = []
    while inbound.process_pending(limit=1):  # one event at a time, in arrival order
        message.refresh_from_db()
        if not statuses or statuses[-1] != message.status:
            statuses.append(message.status)
    assert statuses == ["sent", "delivered", "read"]
    assert message.sent_at <= message.delivered_at <= message.read_at
    assert not WebhookEvent.objects.filter(instance=instance, status="deferred").exists()


def test_webhooks_posted_twice_store_each_message_once(gateway, connect, cast):
    instance = connect(cast.acme, "Acme Vendas", OWN)
    gateway.control.configure(duplicate_webhooks=True)

    sent = gateway.control.inbound(instance.evolution_name, number=MARIA, text="Oi")
    gateway.control.inbound(instance.evolution_name, number=MARIA, text="Tudo bem?")
    drain()

    assert list(
        Message.objects.filter(conversation__instance=instance)
        .order_by("created_at")
        .values_list("body", flat=True)
    ) == ["Oi", "Tudo bem?"]
    upsert = WebhookEvent.objects.get(instance=instance, dedup_key=f"msg:{sent['key']['id']}")
    assert upsert.deliveries == 2
    posted = [d for d in gateway.control.deliveries() if d["event"] == "messages.upsert"]
    assert len(posted) == 4


def test_a_customer_answering_stop_arrives_as_an_inbound_message(gateway, evo, connect, cast):
    instance = connect(cast.acme, "Acme Vendas", OWN)
    gateway.control.configure(reply_probability=1.0, reply_texts=["STOP"])

    ours = send_text(evo, instance, MARIA, "Promoção de sábado: 20% em tudo")
    received(instance, "messages.upsert", 1)
    drain()

    reply = Message.objects.get(conversation=ours.conversation, direction="in")
    assert (reply.body, reply.type) == ("STOP", "text")


def test_globex_webhooks_never_land_in_acme(gateway, connect, cast):
    acme = connect(cast.acme, "Acme Vendas", OWN)
    globex = connect(cast.globex, "Globex", "5511900002222")

    gateway.control.inbound(globex.evolution_name, number=MARIA, push_name="Maria", text="Globex?")
    gateway.control.inbound(acme.evolution_name, number=MARIA, push_name="Maria", text="Acme?")
    drain()

    for tenant, instance, text in ((cast.acme, acme, "Acme?"), (cast.globex, globex, "Globex?")):
        messages = Message.objects.for_tenant(tenant)
        assert list(messages.values_list("body", flat=True)) == [text]
        assert {m.conversation.instance_id for m in messages} == {instance.pk}
        assert Conversation.objects.for_tenant(tenant).count() == 1
        assert Contact.objects.for_tenant(tenant).filter(phone="+" + MARIA).count() == 1

    # A body naming Acme's instance, signed with Globex's secret, is refused and not kept.
    forged = WebhookEvent.objects.get(instance=globex, event="messages.upsert").payload
    forged["instance"] = acme.evolution_name
    answer = httpx.post(
        webhook_url(acme), json=forged, headers={SECRET_HEADER: globex.webhook_secret}
    )
    assert answer.status_code == 401
    assert WebhookEvent.objects.filter(instance=acme, event="messages.upsert").count() == 1
