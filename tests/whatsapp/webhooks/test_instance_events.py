"""connection, QR code, logout, contacts and chats events update what they describe."""

import pytest

from chat.models import Conversation
from contacts.models import Contact
from tests.whatsapp.webhooks import payloads as p
from whatsapp.models import ConnectionLogEntry

pytestmark = pytest.mark.django_db


def test_connection_open_stores_number_profile_and_logs_the_change(evolution, acme_instance):
    acme_instance.state = "connecting"
    acme_instance.save()
    body = p.restamp(p.sample("connection_update_open"), "acme-main")
    evolution.send(acme_instance, body)
    acme_instance.refresh_from_db()
    assert acme_instance.state == "open"
    assert acme_instance.phone_number == "+5511900001111"
    assert acme_instance.health_score == 100
    assert ConnectionLogEntry.objects.get(instance=acme_instance).state == "open"


def test_connection_close_zeroes_health_and_keeps_the_reason(evolution, acme_instance):
    body = p.restamp(p.sample("connection_update_close"), "acme-main")
    evolution.send(acme_instance, body)
    acme_instance.refresh_from_db()
    assert (acme_instance.state, acme_instance.state_reason) == ("close", 401)
    assert acme_instance.health_score == 0
    entry = ConnectionLogEntry.objects.get(instance=acme_instance)
    assert (entry.state, entry.reason) == ("close", 401)


def test_logout_closes_the_instance(evolution, acme_instance):
    evolution.send(acme_instance, p.envelope("logout.instance", "acme-main", None))
    acme_instance.refresh_from_db()
    assert acme_instance.state == "close"


def test_a_new_qr_code_is_stored_for_the_admin(evolution, acme_instance):
    body = p.restamp(p.sample("qrcode_updated"), "acme-main")
    evolution.send(acme_instance, body)
    acme_instance.refresh_from_db()
    assert acme_instance.qr_code.startswith("data:image/png;base64,")
    assert acme_instance.qr_updated_at is not None


def test_the_qr_limit_message_is_logged_without_touching_the_instance(evolution, acme_instance):
    data = {"message": "QR code limit reached, please login again", "statusCode": 500}
    evolution.send(acme_instance, p.envelope("qrcode.updated", "acme-main", data))
    acme_instance.refresh_from_db()
    assert acme_instance.qr_code == ""


def test_contacts_update_sets_whatsapp_name_and_picture_of_known_contacts(
    evolution, acme_instance, cast
):
    contact = Contact.objects.create(tenant=cast.acme, phone="+5511987654321", name="Maria")
    body = p.restamp(p.sample("contacts_update"), "acme-main")
    evolution.send(acme_instance, body)
    contact.refresh_from_db()
    assert contact.name == "Maria"
    assert contact.whatsapp_name == "Maria Souza"
    assert contact.profile_picture_url.startswith("https://pps.whatsapp.net/")


def test_an_address_book_sync_creates_no_contacts(evolution, acme_instance):
    data = [
        {"remoteJid": f"55119876543{n:02d}@s.whatsapp.net", "pushName": "x", "profilePicUrl": None}
        for n in range(5)
    ]
    evolution.send(acme_instance, p.envelope("contacts.upsert", "acme-main", data))
    assert not Contact.objects.exists()


def test_contacts_of_another_company_are_never_touched(evolution, acme_instance, cast):
    globex_contact = Contact.objects.create(tenant=cast.globex, phone="+5511987654321")
    evolution.send(acme_instance, p.restamp(p.sample("contacts_update"), "acme-main"))
    globex_contact.refresh_from_db()
    assert globex_contact.whatsapp_name == ""


def test_a_chat_read_on_the_phone_clears_unread(evolution, acme_instance):
    evolution.send(acme_instance, p.text("acme-main"))
    data = [{"remoteJid": p.CUSTOMER, "instanceId": "x", "unreadMessages": 0}]
    evolution.send(acme_instance, p.envelope("chats.upsert", "acme-main", data))
    assert Conversation.objects.get().unread_count == 0


def test_a_group_subject_names_its_conversation(evolution, acme_instance):
    evolution.send(acme_instance, p.text("acme-main", remote_jid=p.GROUP))
    data = [{"remoteJid": p.GROUP, "instanceId": "x", "name": "Equipe Vendas", "unreadMessages": 1}]
    evolution.send(acme_instance, p.envelope("chats.upsert", "acme-main", data))
    assert Conversation.objects.get().name == "Equipe Vendas"


def test_presence_is_not_stored(evolution, acme_instance):
    data = {"id": p.CUSTOMER, "presences": {p.CUSTOMER: {"lastKnownPresence": "composing"}}}
    assert (
        evolution.send(acme_instance, p.envelope("presence.update", "acme-main", data)) == "ignored"
    )


def test_deleting_an_instance_keeps_its_conversations(evolution, acme_instance):
    evolution.send(acme_instance, p.text("acme-main", "histórico"))
    acme_instance.delete()
    conversation = Conversation.objects.get()
    assert conversation.instance is None
    assert conversation.messages.get().body == "histórico"
